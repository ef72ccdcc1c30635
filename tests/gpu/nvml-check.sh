#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# READ-ONLY checks of agent/nvml.c on a host with NVIDIA GPUs: GPU count and
# names, the energy counter (monotonic, increasing, consistent with power
# over the window) and per-process utilisation samples. It never changes a
# power limit, a clock or any other setting: tf-nvml-check opens NVML
# read-only and calls no setter (docs/testing.md).
#
#   tests/gpu/nvml-check.sh [-s SECONDS] [-- LOAD COMMAND ...]
#
# With a load command (or TF_GPU_LOAD='command'), the load is started in a
# process group of its own, given TF_GPU_WARMUP seconds (default 3), sampled
# for SECONDS (default 5), then ended (its group, by the id we started).
# Without one, whatever runs on the GPUs is sampled. Prints PASS:/FAIL:
# lines; exit 0 all passed, 1 a check failed, 2 no NVML on this host.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
tool=$top/build/tests/gpu/tf-nvml-check
secs=5
while [ $# -gt 0 ]; do
	case $1 in
	-s) secs=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 [-s SECONDS] [-- LOAD COMMAND ...]" >&2; exit 2 ;;
	esac
done
if [ $# -eq 0 ] && [ -n "${TF_GPU_LOAD:-}" ]; then
	set -- sh -c "$TF_GPU_LOAD"
fi

# Needs only a C compiler and make: no clang, libbpf or NVIDIA headers.
if ! make -s -C "$top" build/tests/gpu/tf-nvml-check >/dev/null; then
	echo "FAIL: gpu/build (make build/tests/gpu/tf-nvml-check)"
	exit 1
fi

load=
stop_load() {
	if [ -n "$load" ]; then
		kill -TERM -- "-$load" 2>/dev/null
		wait "$load" 2>/dev/null
		load=
	fi
}
trap stop_load EXIT

args=(-s "$secs")
if [ $# -gt 0 ]; then
	setsid "$@" >/dev/null 2>&1 &
	load=$!
	echo "    load: pid $load: $*"
	sleep "${TF_GPU_WARMUP:-3}"
	if ! kill -0 "$load" 2>/dev/null; then
		echo "FAIL: gpu/load (the load command ended before the window)"
		load=
		exit 1
	fi
	args+=(-p "$load")
fi
"$tool" "${args[@]}"
rc=$?
stop_load
exit $rc
