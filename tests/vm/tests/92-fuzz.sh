# SPDX-License-Identifier: GPL-2.0
# Netlink fuzzing (tests/vm/fuzz.c): N requests (10,000 by default;
# tf.fuzz_n=N on the kernel command line, make fuzz-netlink N=...), every one
# answered, the module's invariants checked by dumps, no WARN/BUG/KASAN/
# UBSAN/lockdep line in the kernel log. 80 % plain, 10 % with rmmod/insmod
# between batches, 10 % while a loop replaces the module under the fuzzer;
# then an unprivileged fuzzer, refused EPERM on every admin command.
. /tests/lib.sh

n=$(sed -n 's/.*tf\.fuzz_n=\([0-9]*\).*/\1/p' /proc/cmdline)
n=${n:-10000}
seed=$(sed -n 's/.*tf\.fuzz_seed=\([0-9]*\).*/\1/p' /proc/cmdline)
seed=${seed:-1}
reload="rmmod tokenfactory && insmod /tokenfactory.ko failsafe_pct=100"
log0=$(dmesg | wc -l)

# Regression (found by this fuzzer): a ledger push of ~0 µJ wrapped the
# account backwards; now a tick's entry is bounded (2^48) and accounts full.
sleep 60 & w=$!
entry() {	# energy tokens
	echo "TF_A_LEDGER_ENTRIES:nest:[TF_A_LEDGER_ENTRY:nest:[TF_A_LEDGER_PID:u32:$w,TF_A_LEDGER_TOKENS:u64:$2,TF_A_LEDGER_ENERGY:nest:[TF_A_ENERGY:nest:[TF_A_ENERGY_DOMAIN_ID:u32:0,TF_A_ENERGY_UJ:u64:$1]]]]"
}
tf-nlraw TF_CMD_LEDGER_PUSH TF_A_LEDGER_GREEN_PPM:u32:1000000 "$(entry 1000 1)"
expect_err 34 "TF_A_ENERGY_UJ: more than a tick can hold" TF_CMD_LEDGER_PUSH "$(entry 18446744073709551615 1)"
expect_err 34 "TF_A_ENERGY_UJ: more than a tick can hold" TF_CMD_LEDGER_PUSH "$(entry 281474976710657 1)"
expect_err 34 "TF_A_LEDGER_TOKENS: more than a tick can hold" TF_CMD_LEDGER_PUSH "$(entry 1 281474976710657)"
# the largest tick, all green: green stays exact (no 64-bit product overflow)
tf-nlraw TF_CMD_LEDGER_PUSH TF_A_LEDGER_GREEN_PPM:u32:1000000 "$(entry 281474976710656 0)"
jcheck "$(tfctl -j ledger)" ".accounts[] | select(.pid == $w) | .energy_uj.host == 281474976711656 and .green_uj == 281474976711656 and .tokens == 1"
kill $w

# cgroups for TF_A_MEMBER_CGROUP to find
mkdir -p /sys/fs/cgroup/fz/a

# dumps of 500 groups in CI, 2,000 in the long runs
groups=500
[ "$n" -lt 100000 ] || groups=2000
echo "--- $((n * 8 / 10)) requests, $groups groups, 100 accounts (seed $seed)"
tf-nlfuzz --seed "$seed" --count $((n * 8 / 10)) --groups $groups --accounts 100 ||
	die "fuzzer, seed $seed"

echo "--- $((n / 10)) requests, rmmod/insmod every $((n / 100 + 1))"
tf-nlfuzz --seed $((seed + 1)) --count $((n / 10)) --groups 50 --accounts 10 \
	--reload-every $((n / 100 + 1)) --reload-cmd "$reload" ||
	die "fuzzer with reloads, seed $((seed + 1))"

echo "--- $((n / 10)) requests (or more: 3 reloads at least) while a loop replaces the module"
touch /tmp/fz-reload
: > /tmp/fz-reloads
(
	while [ -e /tmp/fz-reload ]; do
		rmmod tokenfactory 2>/dev/null && {
			insmod /tokenfactory.ko failsafe_pct=100 || break
			echo >> /tmp/fz-reloads
		}
		sleep 0.05
	done
) &
loop=$!
i=0
rc=0
set +e
while [ $i -lt 20 ] && [ $rc -eq 0 ]; do
	tf-nlfuzz --seed $((seed + 2 + i * 1000)) --count $((n / 10)) --timeout-ms 15000
	rc=$?
	i=$((i + 1))
	[ "$(wc -l < /tmp/fz-reloads)" -ge 3 ] && break
done
set -e
rm -f /tmp/fz-reload
wait $loop || die "reload loop"
lsmod | grep -q '^tokenfactory ' || insmod /tokenfactory.ko failsafe_pct=100
[ $rc -eq 0 ] || die "fuzzer under concurrent reloads, seed $((seed + 2 + (i - 1) * 1000))"
echo "$i fuzzer runs, $(wc -l < /tmp/fz-reloads) reloads under them"
[ "$(wc -l < /tmp/fz-reloads)" -ge 3 ] || die "too few reloads"
tfctl status > /dev/null

echo "--- $((n / 10)) requests from an unprivileged user"
tfctl group add g-unpriv tier batch
su -s /bin/sh nobody -c "tf-nlfuzz --unpriv --seed $((seed + 3)) --count $((n / 10))" ||
	die "unprivileged fuzzer, seed $((seed + 3))"
tfctl -j group show g-unpriv > /dev/null

rmdir /sys/fs/cgroup/fz/a /sys/fs/cgroup/fz 2>/dev/null || true
bad=$(dmesg | tail -n +$((log0 + 1)) |
	grep -E 'WARNING:|BUG:|Oops|KASAN|UBSAN|lockdep|possible recursive locking|circular locking|suspicious RCU|Call Trace|kmemleak: .*suspected' || true)
[ -z "$bad" ] || die "kernel log: $bad"
