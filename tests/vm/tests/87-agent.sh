# SPDX-License-Identifier: GPL-2.0
# tokenfactoryd in the 6.1 guest: the sensor loads, every tick is conserved,
# and two processes with known duty cycles are attributed energy in their
# ratio (within 2 %); short-lived processes leave bills.
. /tests/lib.sh

tokenfactoryd --interval 500ms --verbose 2> /tmp/agent.log &
agent=$!
sleep 1
kill -0 $agent || { cat /tmp/agent.log; die "agent did not start"; }
jcheck "$(tfctl -j status)" '.failsafe == false'

tf-spin 25 10 &
a=$!
tf-spin 75 10 &
b=$!
# a fork storm meanwhile: each short process is billed, none is lost
i=0
while [ $i -lt 200 ]; do /bin/true; i=$((i + 1)); done
wait $a $b
sleep 1.2	# two more ticks: the last of their time is pushed
j=$(tfctl -j ledger)
ea=$(echo "$j" | jq "[.accounts[], (.bills // [])[] | select(.pid == $a) | .energy_uj[\"package-0\"]] | add // 0")
eb=$(echo "$j" | jq "[.accounts[] | select(.pid == $b) | .energy_uj[\"package-0\"]] | add // 0")
[ "$ea" -gt 0 ] || ea=$(tfctl -j ledger bills | jq "[.bills[] | select(.pid == $a) | .energy_uj[\"package-0\"]] | add // 0")
[ "$eb" -gt 0 ] || eb=$(tfctl -j ledger bills | jq "[.bills[] | select(.pid == $b) | .energy_uj[\"package-0\"]] | add // 0")
echo "attributed: 25 % process $ea uJ, 75 % process $eb uJ"
ratio=$(awk -v a="$ea" -v b="$eb" 'BEGIN { if (a > 0) printf "%.4f", b / a; else print 0 }')
echo "ratio $ratio (true 3.0)"
awk -v r="$ratio" 'BEGIN { exit !(r >= 2.94 && r <= 3.06) }' || die "ratio $ratio outside 3.0 +- 2 %"

bills=$(tfctl -j ledger bills | jq '[.bills[] | select(.comm == "true")] | length')
echo "bills of short-lived processes: $bills"
[ "$bills" -gt 0 ] || die "no bill for a short-lived process"

kill -TERM $agent
set +e
wait $agent
rc=$?
set -e
tail -n 5 /tmp/agent.log
grep -q "conservation errors 0" /tmp/agent.log || die "no conserved tick logged"
expect_eq "agent exit (conservation errors make it 1)" $rc 0
