# SPDX-License-Identifier: GPL-2.0
# Worker groups, members by pid and by cgroup, the ledger and final bills.
. /tests/lib.sh

fails() {	# fails WANT_TEXT CMD...: tfctl must exit 1 and say WANT_TEXT
	local want=$1 out rc
	shift
	set +e
	out=$("$@" 2>&1); rc=$?
	set -e
	[ $rc -eq 1 ] || die "'$*' exited $rc, want 1: $out"
	echo "$out" | grep -q "$want" || die "'$*': want '$want', got: $out"
	echo "refused as expected: $* -> $(echo "$out" | head -n 1)"
}

mon_start /tmp/mon.json -j

tfctl group add batch1 tier batch
tfctl group add chat tier interactive
fails "group exists" tfctl group add chat tier batch
fails "no such group" tfctl group del nosuch
fails "no such group" tfctl member add nosuch pid 1
expect_err 34 "TF_A_GROUP_TIER" TF_CMD_GROUP_NEW TF_A_GROUP_NAME:str:x TF_A_GROUP_TIER:u32:9
expect_err 22 "TF_A_GROUP_NAME" TF_CMD_GROUP_NEW TF_A_GROUP_NAME:str:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa TF_A_GROUP_TIER:u32:1
expect_err 22 "exactly one of TF_A_MEMBER_PID or TF_A_MEMBER_CGROUP" TF_CMD_MEMBER_ADD TF_A_GROUP_NAME:str:chat TF_A_MEMBER_PID:u32:1 TF_A_MEMBER_CGROUP:str:/
tfctl group set chat tier interactive
jcheck "$(tfctl -j group)" '[.groups[] | {name, tier}] == [{"name":"batch1","tier":"batch"},{"name":"chat","tier":"interactive"}]'

# members by pid
sleep 60 &
p1=$!
tfctl member add batch1 pid $p1
fails "already in a group" tfctl member add chat pid $p1
fails "no such process" tfctl member add chat pid 4000000
fails "not in this group" tfctl member del chat pid $p1
jcheck "$(tfctl -j group show batch1)" ".groups[0].members == [{\"pid\": $p1}]"

# members by cgroup
mkdir /sys/fs/cgroup/work
tfctl member add chat cgroup /work
fails "no such cgroup" tfctl member add chat cgroup /nope
fails "not an absolute path" tfctl member add chat cgroup work
sh -c 'echo $$ > /sys/fs/cgroup/work/cgroup.procs; exec sleep 60' &
p2=$!
sleep 0.2

# the ledger: a push lands on the process and on its group
tfctl ledger push $p1 domain package-0 energy 5J tokens 100 green 50
tfctl ledger push $p2 domain package-0 energy 2J tokens 7
tfctl ledger
j=$(tfctl -j ledger)
jcheck "$j" ".accounts[] | select(.pid == $p1) | .energy_uj[\"package-0\"] == 5000000 and .tokens == 100 and .green_uj == 2500000 and .group == \"batch1\" and .comm == \"sleep\""
jcheck "$j" ".accounts[] | select(.pid == $p2) | .group == \"chat\" and .tokens == 7"
tfctl group
jcheck "$(tfctl -j group show batch1)" '.groups[0] | .tokens == 100 and .green_uj == 2500000 and .energy_uj["package-0"] == 5000000'
jcheck "$(tfctl -j group show chat)" '.groups[0] | .tokens == 7 and .energy_uj["package-0"] == 2000000'
expect_err 2 "TF_A_ENERGY_DOMAIN_ID: no such domain" TF_CMD_LEDGER_PUSH "TF_A_LEDGER_ENTRIES:nest:[TF_A_LEDGER_ENTRY:nest:[TF_A_LEDGER_PID:u32:$p1,TF_A_LEDGER_ENERGY:nest:[TF_A_ENERGY:nest:[TF_A_ENERGY_DOMAIN_ID:u32:60,TF_A_ENERGY_UJ:u64:1]]]]"
expect_err 22 "TF_A_LEDGER_PID: missing in entry" TF_CMD_LEDGER_PUSH "TF_A_LEDGER_ENTRIES:nest:[TF_A_LEDGER_ENTRY:nest:[TF_A_LEDGER_TOKENS:u64:1]]"
expect_err 34 "TF_A_LEDGER_GREEN_PPM" TF_CMD_LEDGER_PUSH TF_A_LEDGER_GREEN_PPM:u32:1000001 "TF_A_LEDGER_ENTRIES:nest:[]"
tfctl ledger push $p1 domain package-0 energy 1J
jcheck "$(tfctl -j ledger)" ".accounts[] | select(.pid == $p1) | .energy_uj[\"package-0\"] == 6000000"

# an exit: the member leaves, with its final bill
kill $p1
wait $p1 2>/dev/null || true
sleep 0.5
tfctl ledger bills
jcheck "$(tfctl -j ledger bills)" ".bills[] | select(.pid == $p1) | .energy_uj[\"package-0\"] == 6000000 and .tokens == 100 and .group == \"batch1\" and .exit_ns > 0"
jcheck "$(tfctl -j group show batch1)" '.groups[0].members == []'
jcheck "$(tfctl -j ledger)" "[.accounts[] | select(.pid == $p1)] == []"

# a removed cgroup leaves its group
kill $p2
wait $p2 2>/dev/null || true
rmdir /sys/fs/cgroup/work
sleep 0.5
jcheck "$(tfctl -j group show chat)" '.groups[0].members == []'
jcheck "$(tfctl -j ledger bills)" "[.bills[] | select(.pid == $p2)] | length == 1"

# the recent-exits table keeps the last 256 bills and counts the rest
i=0
while [ $i -lt 260 ]; do
	tfctl ledger push $((3000000 + i)) domain package-0 energy 1J
	i=$((i + 1))
done
j=$(tfctl -j ledger bills)
jcheck "$j" '(.bills | length) == 256 and .overflows == 6'
jcheck "$j" '.bills[-1].pid == 3000259'

# a group's cap: stored and announced for the agent to apply, and its
# powercap zone (created by a work item: poll for it)
zone_of() {
	local n=0 f
	while [ $n -lt 30 ]; do
		for f in /sys/class/powercap/tokenfactory*/name; do
			[ "$(cat "$f")" = "$1" ] && { dirname "$f"; return 0; }
		done
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
tfctl group set batch1 cap 150W
jcheck "$(tfctl -j group show batch1)" '.groups[0].cap_uw == 150000000'
z=$(zone_of batch1) || die "no powercap zone for group batch1"
echo "group batch1: $z"
expect_eq "zone limit" "$(cat $z/constraint_0_power_limit_uw)" 150000000
expect_eq "zone energy = the group's" "$(cat $z/energy_uj)" 6000000
echo 90000000 > $z/constraint_0_power_limit_uw
jcheck "$(tfctl -j group show batch1)" '.groups[0].cap_uw == 90000000'
zone_of chat > /dev/null || die "no zone for chat"
tfctl group del chat
sleep 0.5
for f in /sys/class/powercap/tokenfactory*/name; do
	[ "$(cat "$f")" != chat ] || die "zone of a deleted group remains"
done
mon_stop

has_event /tmp/mon.json '.event == "bill" and .pid == '$p1 || die "no bill event"
has_event /tmp/mon.json '.event == "group" and .name == "chat" and .deleted' || die "no deletion event"
has_event /tmp/mon.json '.event == "group" and .name == "batch1" and .members == []' || die "no member-left event"

# unprivileged readers: whole joules
j=$(su -s /bin/sh nobody -c "tfctl -j group show batch1")
jcheck "$j" '.groups[0].green_uj == 2000000'
