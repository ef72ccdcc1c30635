#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: a token-factory day. Converts one day of the CAISO curtailment
# trace (and the two weeks before it, the forecast history) into this
# host's surplus series, boots the VM with tests/vm/demo/10-day.sh (module,
# mosquitto, tokenfactoryd, two tf-workers, tf-loadgen, the day replayed
# through MQTT at ACCEL), then prints the day's report, writes the plot, and
# runs make eval's model on the same day with the same parameters to show
# how the measured green-token share compares.
#
# Environment: DAY (YYYY-MM-DD, default 2018-04-28, a spring day with
# curtailment), ACCEL (trace seconds per wall second, default 480: the day
# in 3 minutes), TRACE (the CAISO report), QUOTA_FRAC (the batch quota as a
# share of what the batch worker makes flat out all day, default 0.25),
# HOSTS and SITE_SHARE (tf-caiso's site scaling), JSON=1 (the report as
# JSON). Output in build/demo/.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
B=$top/build
out=$B/demo
DAY=${DAY:-2018-04-28}
ACCEL=${ACCEL:-480}
TRACE=${TRACE:-$top/../shared/data/caiso-curtailment/curtail_report_2016-2018.csv}
QUOTA_FRAC=${QUOTA_FRAC:-0.25}
HOSTS=${HOSTS:-50000}
SITE_SHARE=${SITE_SHARE:-0.005}
HOST_MAX=65		# the VM's package at its most (est_max_watts)
IDLE=10			# ... and idle (est_idle_watts)
# the interactive load: QEMU's TCG emulates every float instruction, so
# the guest's worker makes ~100 tokens/s where the host's makes ~14,000
PEAK_RPS=${PEAK_RPS:-0.5}
MAX_TOKENS=${MAX_TOKENS:-8}
PROMPT_TOKENS=${PROMPT_TOKENS:-4}
SLO_MS=${SLO_MS:-3000}
HOURS=${HOURS:-24}

die() {
	echo "demo: $*" >&2
	exit 1
}

[ -r "$TRACE" ] || die "no trace at $TRACE"
date -d "$DAY" +%F > /dev/null 2>&1 || die "DAY: not a date: $DAY"
rm -rf "$out"
mkdir -p "$out/files"
files=$out/files
week=$(date -d "$DAY - 14 days" +%F)
prev=$(date -d "$DAY - 1 day" +%F)

echo "  DEMO     $DAY of $(basename "$TRACE"), replayed at ${ACCEL}x through MQTT in the VM"
"$B/tf-caiso" --from "$DAY" --to "$DAY" --site-share "$SITE_SHARE" --hosts "$HOSTS" \
	--host-max "$HOST_MAX" "$TRACE" > "$files/day.csv"
"$B/tf-caiso" --from "$week" --to "$prev" --site-share "$SITE_SHARE" --hosts "$HOSTS" \
	--host-max "$HOST_MAX" "$TRACE" > "$files/history.csv"
[ -s "$files/day.csv" ] || die "no rows for $DAY in $TRACE"
day_utc=$(grep -m1 "^[0-9]" "$files/day.csv" | cut -d, -f1)
cp "$top/tests/eval/cpu-curve.csv" "$files/cpu-curve.csv"
# the interactive load's shape over the day (relative to PEAK_RPS)
cat > "$files/demand.csv" <<'EOF'
hour,relative
0,0.35
1,0.25
2,0.20
3,0.16
4,0.15
5,0.18
6,0.28
7,0.45
8,0.62
9,0.75
10,0.82
11,0.85
12,0.85
13,0.83
14,0.80
15,0.78
16,0.78
17,0.80
18,0.87
19,0.95
20,1.00
21,0.93
22,0.72
23,0.50
EOF
cat > "$files/demo.env" <<EOF
DAY_UTC=$day_utc
ACCEL=$ACCEL
QUOTA_FRAC=$QUOTA_FRAC
PEAK_RPS=$PEAK_RPS
MAX_TOKENS=$MAX_TOKENS
PROMPT_TOKENS=$PROMPT_TOKENS
SLO_MS=$SLO_MS
HOURS=$HOURS
DEMO_DEBUG=${DEMO_DEBUG:-}
EOF

# the guest's progress lines as they come; everything in vm.log
rc=0
TF_VM_SUITE=demo T=day TF_VM_LIVE=1 TF_VM_FILES="$files" \
	TF_VM_RESULT_OUT="$out/result.txt" TF_VM_TIMEOUT=${TF_VM_TIMEOUT:-900} \
	"$top/tests/vm/run.sh" 2>&1 | tee "$out/vm.log" | grep --line-buffered -E '^  [^ ]' ||
	rc=${PIPESTATUS[0]}
grep -q '^PASS: vm/day$' "$out/vm.log" || {
	cat "$out/vm.log"
	die "the day did not run (log: $out/vm.log)"
}
for f in day.csv loadgen.json curve.csv; do
	sed -n "s/^DEMO $f //p" "$out/result.txt" > "$out/$f"
done
quota=$(sed -n 's/^DEMO quota //p' "$out/result.txt")
[ -s "$out/day.csv" ] && [ -n "$quota" ] || die "the VM sent no results"

echo
"$B/tests/demo/tf-report" --accel "$ACCEL" --quota "$quota" --slo "$out/loadgen.json" \
	--png "$out/day.png" --title "tokenfactory: $DAY (CAISO curtailment, ${ACCEL}x)" \
	"$out/day.csv" | tee "$out/report.txt"
"$B/tests/demo/tf-report" --accel "$ACCEL" --quota "$quota" --slo "$out/loadgen.json" \
	--json "$out/day.csv" > "$out/report.json"

# make eval's model of the same day: the guest's curve (tokens per trace
# second), its quota, idle and maximum, the same surplus, the same load
awk -F, -v r="$PEAK_RPS" -v m="$MAX_TOKENS" -v a="$ACCEL" \
	'NR > 1 { printf "%d,%.6f\n", $1, $2 * r * m / a }' "$files/demand.csv" > "$out/eval-demand.csv"
"$B/tf-eval" --days "$DAY" --json --curve "$out/curve.csv" --demand "$out/eval-demand.csv" \
	--quota "$quota" --idle "$IDLE" --max "$HOST_MAX" --hosts "$HOSTS" \
	--site-share "$SITE_SHARE" "$TRACE" > "$out/eval.json"
demo_g=$(jq '.totals.green_token_share // .total.green_token_share' "$out/report.json")
eval_g=$(jq '.total.tokenfactory.green_share' "$out/eval.json")
opt_g=$(jq '.total.optimum.green_share' "$out/eval.json")
awk -v d="$demo_g" -v e="$eval_g" -v o="$opt_g" 'BEGIN {
	printf "\n  green-token share: demo (measured) %.1f %%, make eval (model, same day) %.1f %%, offline optimum %.1f %%\n",
		d * 100, e * 100, o * 100
	if (e > 0)
		printf "  demo / eval: %.3f (%+.1f %%)\n", d / e, (d / e - 1) * 100
}'
echo "  plot: $out/day.png   report: $out/report.txt, $out/report.json   eval: $out/eval.json"
exit $rc
