#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo's clock (run in the VM by tests/vm/demo/10-day.sh). Replays one day
# of a host's surplus series (tf-caiso's "UTC_SECONDS,SURPLUS_W" lines, one
# per hour) through MQTT at an accelerated clock, and logs one row per tick
# for tf-report. Busybox sh; needs mosquitto_pub, tfctl, jq, wget.
#
#   day.sh SERIES START_UTC LOG
#
# Environment: ACCEL (trace seconds per wall second, default 480: a day in
# 3 minutes), TICK (wall seconds per row, default 1), TOPIC (default
# tokenfactory/surplus), MQTT_HOST (default 127.0.0.1), INTERACTIVE_URL and
# BATCH_URL (the workers' /metrics), HOURS (default 24).
#
# Each tick: publish the surplus of the trace hour now begun, sleep a tick,
# then log the interval that ended (rows follow the wall clock): t (trace seconds from START_UTC, the
# day's 00:00), the surplus that was in force, the host domain's power and
# meter (tfctl), the tokens each worker made in it (the difference of
# llamacpp:tokens_predicted_total), and the host cap the agent set (its
# budget). A progress line per trace hour goes to stderr.
set -eu

series=$1
start=$2
log=$3
ACCEL=${ACCEL:-480}
TICK=${TICK:-1}
TOPIC=${TOPIC:-tokenfactory/surplus}
MQTT_HOST=${MQTT_HOST:-127.0.0.1}
INTERACTIVE_URL=${INTERACTIVE_URL:-http://127.0.0.1:8081/metrics}
BATCH_URL=${BATCH_URL:-http://127.0.0.1:8082/metrics}
HOURS=${HOURS:-24}

# The series' value for the hour that holds trace time $1 (UTC seconds).
surplus_at() {
	awk -F, -v t="$1" '$1 <= t && t < $1 + 3600 { v = $2 } END { print v + 0 }' "$series"
}

# A worker's generated tokens so far (0 when it does not answer).
tokens() {
	wget -q -T 2 -O - "$1" 2>/dev/null |
		awk '$1 == "llamacpp:tokens_predicted_total" { v = $2 } END { print v + 0 }'
}

# Trace seconds since the start: wall time from /proc/uptime (every tick's
# tfctl and wget take time too, so the rows follow the wall clock, not a
# count of sleeps) times ACCEL.
now_trace() {
	awk -v t0="$t0" -v a="$ACCEL" '{ printf "%d", ($1 - t0) * a }' /proc/uptime
}

echo "t,surplus_w,host_power_w,meter,tokens_interactive,tokens_batch,budget_w" > "$log"
ti=$(tokens "$INTERACTIVE_URL")
tb=$(tokens "$BATCH_URL")
t0=$(cut -d' ' -f1 /proc/uptime)
end=$((HOURS * 3600))
last_hour=-1
t=0
while [ "$t" -lt $end ]; do
	s=$(surplus_at $((start + t)))
	# ts: the trace's own time, the agent's clock for the quota's day
	mosquitto_pub -h "$MQTT_HOST" -t "$TOPIC" -q 1 -m "{\"surplus_w\":$s,\"ts\":$((start + t))}"
	h=$((t / 3600))
	sleep "$TICK"
	t=$(now_trace)
	host=$(tfctl -j domain show host)
	p=$(echo "$host" | jq '.domains[0].power_uw / 1e6')
	m=$(echo "$host" | jq -r 'if .domains[0].estimated then "estimated" else "measured" end')
	# the agent's budget, from its /metrics
	cap=$(wget -q -T 2 -O - http://127.0.0.1:9464/metrics 2>/dev/null |
		awk '$1 == "tokenfactory_budget_watts" { v = $2 } END { print v + 0 }')
	ni=$(tokens "$INTERACTIVE_URL")
	nb=$(tokens "$BATCH_URL")
	echo "$t,$s,$p,$m,$(awk -v a="$ni" -v b="$ti" 'BEGIN { print a - b }'),$(awk -v a="$nb" -v b="$tb" 'BEGIN { print a - b }'),$cap" >> "$log"
	ti=$ni
	tb=$nb
	if [ $h -ne $last_hour ]; then
		printf '  hour %02d  surplus %6.1f W  budget %6.1f W  power %6.1f W (%s)\n' \
			$h "$s" "$cap" "$p" "$m" >&2
		last_hour=$h
	fi
done
