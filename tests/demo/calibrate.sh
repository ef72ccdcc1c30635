#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Calibrates the demo worker's throughput against (estimated) CPU power for
# make eval: runs tf-worker --batch on one thread in a cgroup whose CPU
# quota is 10 % .. 100 % of one CPU, a few seconds per point, three times,
# and writes the median runs as tests/eval/cpu-curve.csv ("power_w,tokens_per_s").
#
# The watts are an ESTIMATE, not a measurement: the module's estimate meter
# (kmod/meter.c, tf_estimate_nj in kmod/energy.c) for a package of NCPUS
# CPUs, with the parameters the VM tests and the demo insert it with:
#   power = IDLE_W + util / NCPUS x (MAX_W - IDLE_W)
# where util is the CPU time the worker really got per wall second (from
# its own getrusage, not the quota: on a busy host it gets less than its
# quota). power_w is what the worker adds to the idle host, the quantity
# make eval and the agent's quota planner (policy.h, tf_curve) work in;
# the first row is the idle package (0 W, no tokens).
#
# Needs root (a cgroup of its own). cgroup v2's cpu.max where the cpu
# controller is on the unified hierarchy, else v1's cpu.cfs_quota_us.
# Environment: WORKER, OUT, RAW (per-run measurements), POINT_S (seconds a
# run, default 3), REPS (default 3), QUOTAS (percent of one CPU, default
# "10 20 ... 100"), IDLE_W (10), MAX_W (65), NCPUS (2: the demo VM's -smp).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
WORKER=${WORKER:-$top/build/tests/demo/tf-worker}
OUT=${OUT:-$top/tests/eval/cpu-curve.csv}
RAW=${RAW:-$top/tests/demo/cpu-curve-raw.csv}
POINT_S=${POINT_S:-3}
REPS=${REPS:-3}
QUOTAS=${QUOTAS:-"10 20 30 40 50 60 70 80 90 100"}
IDLE_W=${IDLE_W:-10}
MAX_W=${MAX_W:-65}
NCPUS=${NCPUS:-2}
PERIOD_US=100000

die() {
	echo "calibrate: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (a cgroup with a CPU quota)"
[ -x "$WORKER" ] || die "no $WORKER: make $WORKER"
command -v jq >/dev/null || die "needs jq (make deps)"

# cgroup v2 where its cpu controller is available, else v1's cpu hierarchy
cg=
if grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control ||
		echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
	cg=/sys/fs/cgroup/tf-cal-$$
	kind=v2
elif [ -w /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
	cg=/sys/fs/cgroup/cpu/tf-cal-$$
	kind=v1
else
	die "no cgroup CPU controller (v2 cpu.max or v1 cpu.cfs_quota_us)"
fi
mkdir "$cg"
trap 'rmdir "$cg" 2>/dev/null || true' EXIT

set_quota() {	# percent of one CPU
	local us=$(($1 * PERIOD_US / 100))
	if [ $kind = v2 ]; then
		echo "$us $PERIOD_US" > "$cg/cpu.max"
	else
		echo $PERIOD_US > "$cg/cpu.cfs_period_us"
		echo "$us" > "$cg/cpu.cfs_quota_us"
	fi
}

# one run in the cgroup: "util tokens_per_s"
run_point() {
	local j
	j=$(sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
		"$WORKER" --batch --port 0 --threads 1 --duration "$POINT_S" 2>/dev/null)
	echo "$j" | jq -r '"\(.cpu_seconds / .seconds) \(.tokens_per_s)"'
}

echo "calibrate: cgroup $kind at $cg, $REPS x ${POINT_S} s per quota; load: $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$(dirname "$OUT")" "$(dirname "$RAW")"
tmp=$(mktemp)
trap 'rmdir "$cg" 2>/dev/null || true; rm -f "$tmp"' EXIT
echo "quota_pct,rep,cpu_util,tokens_per_s" > "$RAW"
{
	echo "# tf-worker's tokens/s against the power it adds to the idle host (W, an"
	echo "# ESTIMATE: the module's estimate meter); tests/demo/calibrate.sh"
	echo "power_w,tokens_per_s"
	# the idle package: no tokens
	echo "0.00,0.00"
	for q in $QUOTAS; do
		set_quota "$q"
		: > "$tmp"
		for r in $(seq "$REPS"); do
			read -r u t < <(run_point)
			echo "$q,$r,$u,$t" >> "$RAW"
			echo "$u $t" >> "$tmp"
		done
		# the run with the median throughput, its utilisation with it
		read -r u t < <(sort -k2 -g "$tmp" | sed -n "$(((REPS + 1) / 2))p")
		echo "calibrate: quota $q %: util $u, $t tokens/s" >&2
		awk -v i="$IDLE_W" -v m="$MAX_W" -v n="$NCPUS" -v u="$u" -v t="$t" \
			'BEGIN { printf "%.2f,%.2f\n", u / n * (m - i), t }'
	done
} > "$OUT.tmp"
# by power: a busy host can give a higher quota less CPU than a lower one
{ head -n 1 "$OUT.tmp"; tail -n +2 "$OUT.tmp" | sort -t, -k1,1g; } > "$OUT"
rm -f "$OUT.tmp"
echo "calibrate: wrote $OUT (raw runs in $RAW)"
