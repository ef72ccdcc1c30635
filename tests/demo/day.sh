#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo's clock (run in the VM by tests/vm/demo/10-day.sh). Replays one day
# of a host's surplus series (tf-caiso's "UTC_SECONDS,SURPLUS_W" lines, one
# per hour) through MQTT at an accelerated clock, and logs one row per tick
# for tf-report. Busybox sh; needs mosquitto_pub and wget.
#
#   day.sh SERIES START_UTC LOG
#
# Environment: ACCEL (trace seconds per wall second, default 480: a day in
# 3 minutes), TICK (wall seconds per row, default 1), TOPIC (default
# tokenfactory/surplus), MQTT_HOST (default 127.0.0.1), METRICS_URL (the
# agent's /metrics), HOURS (default 24).
#
# Each tick: publish the surplus of the trace hour now begun, sleep a tick,
# then log the interval that ended (rows follow the wall clock): t (trace
# seconds from START_UTC, the day's 00:00), the surplus that was in force,
# the host domain's power and meter, the tokens each group made in it (the
# agent's count, scraped from the workers' llamacpp:tokens_predicted_total)
# and the agent's budget, all from the agent's /metrics. A progress line
# per trace hour goes to stderr.
set -eu

series=$1
start=$2
log=$3
ACCEL=${ACCEL:-480}
TICK=${TICK:-1}
TOPIC=${TOPIC:-tokenfactory/surplus}
MQTT_HOST=${MQTT_HOST:-127.0.0.1}
METRICS_URL=${METRICS_URL:-http://127.0.0.1:9464/metrics}
HOURS=${HOURS:-24}

# The series' value for the hour that holds trace time $1 (UTC seconds).
surplus_at() {
	awk -F, -v t="$1" '$1 <= t && t < $1 + 3600 { v = $2 } END { print v + 0 }' "$series"
}

# Trace seconds since the start: wall time from /proc/uptime (every tick's
# tfctl and wget take time too, so the rows follow the wall clock, not a
# count of sleeps) times ACCEL.
now_trace() {
	awk -v t0="$t0" -v a="$ACCEL" '{ printf "%d", ($1 - t0) * a }' /proc/uptime
}

echo "t,surplus_w,host_power_w,meter,tokens_interactive,tokens_batch,budget_w" > "$log"
# Everything a row needs from one scrape of the agent's /metrics (one
# request a tick: the guest is slow enough): the host domain's power and
# meter, each group's tokens, the budget. A scrape that fails keeps the
# last figures.
m_host=0; m_est=1; m_ti=0; m_tb=0; m_budget=0
scrape() {
	local v
	v=$(timeout 5 wget -q -O - "$METRICS_URL" 2>/dev/null | awk '
		$1 == "tokenfactory_domain_power_watts{domain=\"host\"}" { p = $2 }
		$1 == "tokenfactory_domain_estimated{domain=\"host\"}" { e = $2 }
		$1 == "tokenfactory_group_tokens_total{group=\"interactive\"}" { i = $2 }
		$1 == "tokenfactory_group_tokens_total{group=\"batch\"}" { b = $2 }
		$1 == "tokenfactory_budget_watts" { w = $2 }
		END { if (w != "") print p + 0, e + 0, i + 0, b + 0, w }')
	[ -n "$v" ] || return 0
	set -- $v
	m_host=$1; m_est=$2; m_ti=$3; m_tb=$4; m_budget=$5
}
scrape
ti=$m_ti
tb=$m_tb
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
	scrape
	[ "$m_est" = 1 ] && m=estimated || m=measured
	echo "$t,$s,$m_host,$m,$(awk -v a="$m_ti" -v b="$ti" 'BEGIN { print a - b }'),$(awk -v a="$m_tb" -v b="$tb" 'BEGIN { print a - b }'),$m_budget" >> "$log"
	ti=$m_ti
	tb=$m_tb
	if [ $h -ne $last_hour ]; then
		printf '  hour %02d  surplus %6.1f W  budget %6.1f W  power %6.1f W (%s)  tokens %s interactive, %s batch\n' \
			$h "$s" "$m_budget" "$m_host" "$m" "$m_ti" "$m_tb" >&2
		last_hour=$h
	fi
done
