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

# ---- every admin command of the protocol, straight to the kernel ----------
# The list comes from the uapi header ("(do, admin)"), so a new command is
# covered the day it is documented. No attributes, and garbage ones: the
# permission is checked before anything is parsed.
admin=$(sed -nE 's/^ \* (TF_CMD_[A-Z_]+) +\(do, admin\).*/\1/p' /tests/tokenfactory.h)
[ "$(echo "$admin" | wc -l)" -ge 10 ] || die "admin commands in the header: $admin"
for cmd in $admin; do
	for attrs in "" "TF_A_GROUP_NAME:str:g1 TF_A_GROUP_TIER:u32:1" "TF_A_DOMAIN_NAME:bin:3"; do
		set +e
		out=$(as_nobody tf-nlraw $cmd $attrs 2>&1)
		set -e
		case "$out" in
		"error 1 "*) ;;
		*) die "$cmd $attrs as nobody: '$out', want EPERM" ;;
		esac
	done
	echo "$cmd: EPERM for nobody"
done
expect_eq "group g1 untouched" "$(tfctl -j group show g1 | jq -r '.groups[0].tier')" batch

# ---- coarse energy: ledger and groups too, and root still sees it fine -----
sleep 60 & w=$!
tfctl member add g1 pid $w
tfctl ledger push $w domain package-0 energy 1.5J green 50
jcheck "$(tfctl -j ledger)" ".accounts[] | select(.pid == $w) | .energy_uj[\"package-0\"] == 1500000 and .green_uj == 750000"
jcheck "$(as_nobody tfctl -j ledger)" ".accounts[] | select(.pid == $w) | .energy_uj[\"package-0\"] == 1000000 and .green_uj == 0"
jcheck "$(as_nobody tfctl -j ledger)" '[.accounts[] | .energy_uj[] % 1000000] | all(. == 0)'
jcheck "$(tfctl -j group show g1)" '.groups[0].energy_uj["package-0"] == 1500000'
jcheck "$(as_nobody tfctl -j group show g1)" '.groups[0].energy_uj["package-0"] == 1000000 and .groups[0].green_uj == 0'
kill $w
