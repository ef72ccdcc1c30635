#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs test layers (unit, bpf, fuzz, vm, pkg, gpu) and prints one line per test,
# "PASS: layer/name" or "FAIL: layer/name", then the verdict
# "N passed, N failed". Exit status 0 only if nothing failed.
# T=pattern runs only the tests whose name contains pattern.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
T=${T:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Turns cmocka's TAP output into PASS/FAIL lines; a binary that dies
# without reporting a failure still counts as one.
run_cmocka() {	# layer binary [wrapper...]
	local layer=$1 bin=$2 name out rc
	shift 2
	name=$(basename "$bin")
	name=${name#test_}
	if [ -n "$T" ] && [[ "$name" != *"$T"* ]]; then
		export TF_TEST_FILTER="*$T*"
	else
		unset TF_TEST_FILTER
	fi
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$@" "$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -vE '^(ok|not ok) [0-9]+ - ' | sed 's/^/    /'
	printf '%s\n' "$out" | sed -nE "s|^ok [0-9]+ - (.*)|PASS: $layer/$name/\1|p; s|^not ok [0-9]+ - (.*)|FAIL: $layer/$name/\1|p"
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
		echo "FAIL: $layer/$name (exit $rc)"
	fi
}

layer_unit() {
	local t vg=()
	# Leaks and memory errors fail a unit test (valgrind's exit code 99).
	# nouserintercepts: valgrind replaces libc's malloc only, so that
	# test_oom's own malloc (tests/unit/failalloc.c) stays in front of it.
	command -v valgrind >/dev/null &&
		vg=(valgrind -q --soname-synonyms=somalloc=nouserintercepts --leak-check=full
		    --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
	for t in "$B"/tests/unit/test_*; do
		[ -x "$t" ] && run_cmocka unit "$t" "${vg[@]}"
	done
	# bash completion of tfctl, against a stand-in tfctl
	T="$T" bash "$top/tests/unit/test_completion.sh"
	# /metrics scraped by a real Prometheus server
	T="$T" bash "$top/tests/unit/test_metrics_scrape.sh"
}

layer_bpf() {
	local t
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL: bpf (needs root: CAP_BPF and CAP_PERFMON to load the sensor)"
		return
	fi
	for t in "$B"/tests/bpf/test_*; do
		[ -x "$t" ] && run_cmocka bpf "$t"
	done
}

layer_vm() {
	"$top/tests/vm/run.sh" || echo "FAIL: vm/harness (exit $?)"
}

# The agent's parsers under libFuzzer with ASan and UBSan (tests/fuzz/),
# 10 s each (TF_FUZZ_SECONDS): about 1.5 minutes. make fuzz-parsers runs
# them longer. A crash, leak, UB report or timeout fails the target.
layer_fuzz() {
	T="$T" "$top/tests/fuzz/run.sh" "${TF_FUZZ_SECONDS:-10}"
}

# Packaging and rollout (tests/pkg/*.sh): DKMS, the Debian packages, the
# Ansible role, the site publisher, the kernel matrix. Needs root; 4 to 6
# minutes on a 2-core machine. make check runs it without trixie's 6.12
# headers (TF_PKG_TRIXIE=0); make check-pkg with them.
# deb before ansible: the role's check-mode run installs make deb's packages.
layer_pkg() {
	local t
	for t in dkms deb ansible site-publish kmatrix; do
		[ -n "$T" ] && [[ "$t" != *"$T"* ]] && continue
		bash "$top/tests/pkg/$t.sh"
	done
}

# Read-only NVML checks on this host's NVIDIA GPUs (not part of make check).
layer_gpu() {
	"$top/tests/gpu/nvml-check.sh"
}

for layer in "$@"; do
	echo "== $layer"
	start=$(date +%s)
	before=$(grep -cE '^(PASS|FAIL): ' "$log")
	"layer_$layer" 2>&1 | tee -a "$log"
	# a layer that reports nothing has failed, whatever else it said
	if [ "$(grep -cE '^(PASS|FAIL): ' "$log")" -eq "$before" ]; then
		echo "FAIL: $layer (no test reported a result)" | tee -a "$log"
	fi
	echo "== $layer: $(($(date +%s) - start)) s"
done

pass=$(grep -c '^PASS: ' "$log")
fail=$(grep -c '^FAIL: ' "$log")
if [ "$fail" -ne 0 ]; then
	echo "== failed:"
	grep '^FAIL: ' "$log"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
