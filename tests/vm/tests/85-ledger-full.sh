# SPDX-License-Identifier: GPL-2.0
# A full ledger refuses new processes whole, counts it, and loses nothing.
. /tests/lib.sh

rmmod tokenfactory
insmod /tokenfactory.ko ledger_max=2
sleep 60 & a=$!
sleep 60 & b=$!
sleep 60 & c=$!
tfctl ledger push $a domain package-0 energy 1J
tfctl ledger push $b domain package-0 energy 1J
set +e
out=$(tfctl ledger push $c domain package-0 energy 1J 2>&1); rc=$?
set -e
echo "$out"
expect_eq "exit when full" $rc 1
echo "$out" | grep -q "ledger table full" || die "message: $out"
j=$(tfctl -j ledger)
jcheck "$j" '(.accounts | length) == 2 and .overflows == 1'
# known processes still account while full
tfctl ledger push $a domain package-0 energy 1J
jcheck "$(tfctl -j ledger)" ".accounts[] | select(.pid == $a) | .energy_uj[\"package-0\"] == 2000000"
kill $a $b $c
