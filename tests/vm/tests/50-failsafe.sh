# SPDX-License-Identifier: GPL-2.0
# The fail-safe: on until an agent speaks, off while it beats, back within
# timeout + 100 ms of the last heartbeat.
. /tests/lib.sh

rmmod tokenfactory
insmod /tokenfactory.ko heartbeat_timeout_ms=2000
j=$(tfctl -j status)
jcheck "$j" '.failsafe == true and .agent_pid == 0'
# fail-safe caps are in force before any agent: 50 % of the package's 65 W
expect_eq "effective cap in fail-safe" "$(dom package-0 effective_cap_uw)" 32500000

mon_start /tmp/events -j
tfctl domain set package-0 cap 50W
for i in 1 2 3 4 5; do
	tfctl heartbeat
	sleep 0.2
done
# (read right after a heartbeat: a host that starves the guest's vCPUs can
# stretch the time between two commands)
tfctl heartbeat
expect_eq "agent's cap in force" "$(dom package-0 effective_cap_uw)" 50000000
tfctl heartbeat
jcheck "$(tfctl -j status)" '.failsafe == false and .agent_pid > 0'
sleep 3
j=$(tfctl -j status)
jcheck "$j" '.failsafe == true and .failsafe_count == 1'
expect_eq "fail-safe cap back" "$(dom package-0 effective_cap_uw)" 32500000
mon_stop
cat /tmp/events
on=$(jq -c 'select(.event == "failsafe" and .failsafe == true)' /tmp/events | tail -n 1)
[ -n "$on" ] || die "no fail-safe event"
silent=$(echo "$on" | jq .heartbeat_age_ms)
late=$((silent - 2000))
echo "fail-safe engaged after $silent ms of silence (timeout 2000 ms): $late ms late"
[ "$late" -ge 0 ] && [ "$late" -le 100 ] || die "fail-safe latency $late ms"
grep -q '"event":"failsafe","failsafe":false' /tmp/events || die "no hand-back event"

