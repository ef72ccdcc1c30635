# SPDX-License-Identifier: GPL-2.0
# An unprivileged user reads, coarsely, and writes nothing.
. /tests/lib.sh

as_nobody() {
	su -s /bin/sh nobody -c "$*"
}

j=$(as_nobody tfctl -j domain)
echo "$j"
jcheck "$j" '[.domains[].energy_uj % 1000000] | all(. == 0)'
jcheck "$j" '[.domains[].power_uw % 1000000] | all(. == 0)'
# at least a second old: the root view is ahead
r=$(dom package-0 energy_uj)
u=$(echo "$j" | jq '.domains[1].energy_uj')
[ "$u" -le "$r" ] || die "unprivileged energy $u ahead of $r"
as_nobody tfctl status >/dev/null
as_nobody tfctl signal >/dev/null

tfctl group add g1 tier batch
for cmd in "domain set package-0 cap 10W" "signal set surplus 1W ttl 1s" \
	   "heartbeat" "domain push gpu-5 energy 1J max 100W" \
	   "group add g2 tier batch" "group set g1 tier interactive" \
	   "group del g1" "member add g1 pid 1" "ledger push 1 tokens 1"; do
	set +e
	out=$(as_nobody tfctl $cmd 2>&1); rc=$?
	set -e
	expect_eq "exit of '$cmd' as nobody" $rc 1
	echo "$out" | grep -q 'Operation not permitted' || die "$cmd as nobody: $out"
done
expect_eq "cap untouched" "$(dom package-0 cap_uw)" 0
jcheck "$(as_nobody tfctl -j group)" '[.groups[] | {name, tier}] == [{"name": "g1", "tier": "batch"}]'
as_nobody tfctl ledger > /dev/null
as_nobody tfctl ledger bills > /dev/null
