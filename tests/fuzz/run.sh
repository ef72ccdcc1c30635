#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs each parser fuzzer (build/fuzz/fuzz_NAME) for SECONDS on its seeds
# (tests/fuzz/corpus/NAME) and what earlier runs found (build/fuzz/corpus/
# NAME, where new inputs go), and prints "PASS: fuzz/NAME" or "FAIL:
# fuzz/NAME" with the execs/s. Any crash, leak, UBSan report or timeout
# fails it; the input is left in build/fuzz/artifacts/ and the log in
# build/fuzz/NAME.log. T=pattern runs only the matching targets.
# Usage: tests/fuzz/run.sh [SECONDS] [NAME...]
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
B=$top/build/fuzz
secs=${1:-20}
shift || true
T=${T:-}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(sigjson sighttp sigcsv config promtext promsel drm series caiso)

# max_len per target: a JSON payload or page well past any real one (the
# JSON parsers refuse more than 1 MiB anyway; bigger only slows the search)
declare -A maxlen=([config]=16384 [drm]=4096)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$B/artifacts"
cd "$top" || exit 1
rc=0
for t in "${targets[@]}"; do
	[ -n "$T" ] && [[ "fuzz/$t" != *"$T"* ]] && continue
	bin=$B/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "FAIL: fuzz/$t (no $bin: make fuzz-parsers builds it)"
		rc=1
		continue
	fi
	mkdir -p "$B/corpus/$t"
	dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	log=$B/$t.log
	"$bin" -max_total_time="$secs" -max_len="${maxlen[$t]:-65536}" \
		-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
		-print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" \
		"${dict[@]}" "$B/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	r=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
	corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -n 1)
	if [ $r -eq 0 ] && [ -n "$runs" ]; then
		echo "PASS: fuzz/$t ($runs runs, $((runs / secs)) execs/s, $cov, $corp)"
	else
		echo "FAIL: fuzz/$t (exit $r; $log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5 | sed 's/^/    /'
		ls "$B/artifacts/$t-"* 2>/dev/null | sed 's/^/    input: /'
		rc=1
	fi
done
exit $rc
