# SPDX-License-Identifier: GPL-2.0
# Idle injection holds a package cap: with a cap on package-0 (no cpufreq in
# the guest, so idle injection is the only lever), one busy loop per CPU
# gets the configured share of its CPU, within 3 percentage points; without
# the cap, the whole CPU again.
. /tests/lib.sh

# The estimate model (tf_cap_to_perf_pct): perf% = (cap - idle) * 100 /
# (max - idle). With idle 10 W and max 110 W, a cap of 10 + P watts is
# P % performance, and P % is the share each loop gets.
IDLE_W=10
MAX_W=110
TOL=3
# the debug kernel's checkers (KASAN, lockdep) slow the injection threads'
# own work, which the share then includes; that lane is for memory and
# locking errors, this tolerance for the accuracy of the normal kernel
debug_kernel && TOL=8
WINDOW_S=5

# set_perf P: cap package-0 at the performance share P % (100: no cap).
set_perf() {
	cap=0
	if [ "$1" -lt 100 ]; then
		cap=$((IDLE_W + (MAX_W - IDLE_W) * $1 / 100))
	fi
	out=$(tfctl domain set package-0 cap $cap 2>&1) ||
		die "tfctl domain set package-0 cap $cap: $out"
}

reload() {	# reload [MODULE-PARAMETERS...]
	rmmod tokenfactory
	insmod /tokenfactory.ko "$@"
}

pids=
stop_loops() {
	[ -n "$pids" ] && kill $pids 2>/dev/null
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	pids=
}

# One busy loop pinned to each online CPU.
start_loops() {
	ncpu=$(nproc)
	cpu=0
	while [ $cpu -lt "$ncpu" ]; do
		taskset -c $cpu sh -c 'while :; do :; done' &
		pids="$pids $!"
		cpu=$((cpu + 1))
	done
}

# snapshot: centiseconds since boot, then each loop's utime + stime, all in
# USER_HZ ticks (100 in the guest), read by one process at one instant.
snapshot() {
	stats=
	for p in $pids; do stats="$stats /proc/$p/stat"; done
	awk 'FNR == 1 && NR == 1 { split($1, a, "."); printf "%d", a[1] * 100 + substr(a[2] "00", 1, 2); next }
	     { printf " %d", $14 + $15 }
	     END { print "" }' /proc/uptime $stats
}

# measure WANT [info]: each loop's share of its CPU over WINDOW_S seconds
# must be WANT % +- TOL; with "info", it is only printed. Under TCG the
# guest's clock runs on while the host does not run its vCPUs, and the task
# on the CPU then is charged for that time: a window that overran its sleep
# by more than 10 % (a busy host) is measured again, up to 3 times.
measure() {
	try=1
	while :; do
		before=$(snapshot)
		sleep $WINDOW_S
		after=$(snapshot)
		dt=$((${after%% *} - ${before%% *}))
		if [ $dt -le $((WINDOW_S * 110)) ] || [ $try -ge 3 ]; then
			break
		fi
		echo "  (the window took $dt cs: the host starved the guest; again)"
		try=$((try + 1))
	done
	echo "$before | $after" | awk -v want="$1" -v tol=$TOL -v info="$2" '
	{
		n = (NF - 3) / 2
		dt = $(n + 3) - $1
		for (j = 1; j <= n; j++) {
			s = ($(n + 3 + j) - $(1 + j)) * 100 / dt
			sum += s
			printf "  cpu%d: %.1f %%\n", j - 1, s
			if (s < want - tol || s > want + tol)
				bad = 1
		}
		printf "  mean: %.1f %% (want %d +- %d, over %.2f s)\n", sum / n, want, tol, dt / 100
		exit info ? 0 : bad
	}' || die "share outside $1 +- $TOL %"
}

trap stop_loops EXIT
# failsafe_pct=100: no agent here, and the fail-safe cap must not interfere
reload est_idle_watts=$IDLE_W est_max_watts=$MAX_W failsafe_pct=100
start_loops
sleep 1
# For reference: the first seconds after boot still carry the kernel's own
# work (the rt kernel's threads above all), so this one is not checked.
echo "no cap yet:"
measure 100 info

for perf in 50 25; do
	set_perf $perf
	sleep 1
	echo "cap $((IDLE_W + (MAX_W - IDLE_W) * perf / 100)) W = $perf % performance:"
	measure $perf
done

set_perf 100
sleep 1
echo "cap removed:"
measure 100

stop_loops
reload
