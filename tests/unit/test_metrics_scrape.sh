#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tokenfactoryd's /metrics scraped by a real Prometheus server: the endpoint
# (build/tests/unit/tf-metrics-demo, agent/metrics.c serving a filled
# snapshot) on a free port, Prometheus scraping it every second into a
# throw-away TSDB, then Prometheus's HTTP API asked for the values. A missing
# prometheus binary (Debian package prometheus) fails, it does not skip.
# Both processes are stopped on exit, whatever happened.
#
# Prints "PASS: unit/metrics_scrape/NAME" or "FAIL: unit/metrics_scrape/NAME"
# per check, like tests/run.sh's layers; exits 1 if any failed.
#
#   bash tests/unit/test_metrics_scrape.sh
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
demo=$top/build/tests/unit/tf-metrics-demo
T=${T:-}
tmp=$(mktemp -d)
demo_pid=
prom_pid=
failed=0

cleanup() {
	[ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
	[ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

pass() { echo "PASS: unit/metrics_scrape/$1"; }
fail() {
	echo "FAIL: unit/metrics_scrape/$1${2:+ ($2)}"
	failed=1
}
# Ends the run: the remaining checks cannot run.
fatal() {
	fail "$@"
	[ -s "$tmp/prometheus.log" ] && tail -n 20 "$tmp/prometheus.log" | sed 's/^/    /'
	exit 1
}

if [ -n "$T" ] && [[ metrics_scrape != *"$T"* ]]; then
	exit 0
fi
command -v prometheus >/dev/null ||
	fatal prometheus "no prometheus binary: apt-get install prometheus (tests/deps.sh)"
command -v curl >/dev/null || fatal curl "no curl binary"
command -v jq >/dev/null || fatal jq "no jq binary"
[ -x "$demo" ] || fatal demo "$demo not built: make tests"

# the endpoint, on a port the kernel picks
"$demo" 127.0.0.1:0 >"$tmp/demo.out" 2>&1 &
demo_pid=$!
for _ in $(seq 50); do
	grep -q '^port ' "$tmp/demo.out" && break
	sleep 0.1
done
port=$(sed -n 's/^port //p' "$tmp/demo.out")
[ -n "$port" ] || fatal endpoint "tf-metrics-demo did not start: $(cat "$tmp/demo.out")"
pass endpoint

# a port for Prometheus that nothing answers on now
for _ in $(seq 20); do
	pport=$((20000 + RANDOM % 40000))
	(exec 3<>"/dev/tcp/127.0.0.1/$pport") 2>/dev/null || break
done
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tokenfactoryd
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn \
	>"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
api=http://127.0.0.1:$pport/api/v1

# PromQL query -> the first result's value ("" if none yet)
query() {
	curl -sf --max-time 2 --get --data-urlencode "query=$1" "$api/query" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}

# wait for the first successful scrape: up == 1 (25 s at most)
up=
for _ in $(seq 100); do
	kill -0 "$prom_pid" 2>/dev/null || fatal prometheus "prometheus exited"
	up=$(query 'up{job="tokenfactoryd"}')
	[ "$up" = 1 ] && break
	sleep 0.25
done
[ "$up" = 1 ] || fatal scraped "no successful scrape: up=${up:-none}"
pass scraped

check() {	# name promql expected
	local got
	got=$(query "$2")
	if [ "$got" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "$2 = ${got:-none}, want $3"
	fi
}

check energy 'tokenfactory_domain_energy_joules_total{domain="host"}' 123456.789012
check power 'tokenfactory_domain_power_watts{domain="gpu-0"}' 200.5
check green_tokens 'tokenfactory_group_green_tokens_total{group="chat"}' 45678
check budget 'tokenfactory_budget_watts' 420.5
check cpu_max_unlimited 'tokenfactory_group_cpu_max_cpus{group="chat"}' '+Inf'

# the chat group's tokens grow by 10 a second in the demo
tokens=$(query 'tokenfactory_group_tokens_total{group="chat"}')
if [ -n "$tokens" ] && [ "${tokens%.*}" -ge 123456 ] 2>/dev/null &&
	[ $(((${tokens%.*} - 123456) % 10)) -eq 0 ]; then
	pass tokens
else
	fail tokens "tokenfactory_group_tokens_total{group=\"chat\"} = ${tokens:-none}"
fi

# every escape survives the trip: Prometheus holds the odd group's real name
odd=$(curl -sf --max-time 2 --get \
	--data-urlencode 'query=tokenfactory_group_info{tier="background"}' \
	"$api/query" | jq -r '.data.result[0].metric.group // empty')
if [ "$odd" = $'odd "q" \\ x\ny' ]; then
	pass label_escapes
else
	fail label_escapes "group label: $(printf '%q' "$odd")"
fi

exit $failed
