#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-sensor: the sensor's cost per context switch and its loss of
# context-switch throughput, beside the equivalent bpftrace one-liner, on
# this machine's own kernel (docs/benchmarks.md, "Sensor"). Needs root,
# perf (linux-perf) and bpftrace (make deps). bpftrace finds tracepoints in
# tracefs: mounted here if it is not, and unmounted again.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench-sensor: needs root" >&2; exit 1; }
for t in perf bpftrace taskset; do
	command -v $t >/dev/null || { echo "bench-sensor: no $t (make deps)" >&2; exit 1; }
done
mounted=
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing
	mounted=1
fi
trap '[ -z "$mounted" ] || umount /sys/kernel/tracing' EXIT
echo "  BENCH    sensor: $(uname -r), $(nproc) CPUs"
"$top/build/tests/bench/tf-sensor-bench" "$@"
