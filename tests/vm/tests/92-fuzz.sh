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

# cgroups for TF_A_MEMBER_CGROUP to find
mkdir -p /sys/fs/cgroup/fz/a

echo "--- $((n * 8 / 10)) requests, 500 groups, 100 accounts (seed $seed)"
tf-nlfuzz --seed "$seed" --count $((n * 8 / 10)) --groups 500 --accounts 100 ||
	die "fuzzer, seed $seed"

echo "--- $((n / 10)) requests, rmmod/insmod every $((n / 100 + 1))"
tf-nlfuzz --seed $((seed + 1)) --count $((n / 10)) --groups 50 --accounts 10 \
	--reload-every $((n / 100 + 1)) --reload-cmd "$reload" ||
	die "fuzzer with reloads, seed $((seed + 1))"

echo "--- $((n / 10)) requests while a loop replaces the module"
touch /tmp/fz-reload
(
	while [ -e /tmp/fz-reload ]; do
		rmmod tokenfactory 2>/dev/null &&
			{ insmod /tokenfactory.ko failsafe_pct=100 || break; }
		sleep 0.2
	done
) &
loop=$!
set +e
tf-nlfuzz --seed $((seed + 2)) --count $((n / 10)) --timeout-ms 15000
rc=$?
set -e
rm -f /tmp/fz-reload
wait $loop || die "reload loop"
lsmod | grep -q '^tokenfactory ' || insmod /tokenfactory.ko failsafe_pct=100
[ $rc -eq 0 ] || die "fuzzer under concurrent reloads, seed $((seed + 2))"
tfctl status > /dev/null

echo "--- $((n / 10)) requests from an unprivileged user"
tfctl group add g-unpriv tier batch
su -s /bin/sh nobody -c "tf-nlfuzz --unpriv --seed $((seed + 3)) --count $((n / 10))" ||
	die "unprivileged fuzzer, seed $((seed + 3))"
tfctl -j group show g-unpriv > /dev/null

rmdir /sys/fs/cgroup/fz/a /sys/fs/cgroup/fz 2>/dev/null || true
bad=$(dmesg | tail -n +$((log0 + 1)) |
	grep -E 'WARNING:|BUG:|Oops|KASAN|UBSAN|lockdep|possible recursive locking|circular locking|suspicious RCU|Call Trace|kmemleak' || true)
[ -z "$bad" ] || die "kernel log: $bad"
