#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The whole daemon natively, without the module: build/tests/bench/
# tokenfactoryd-nldouble (the real daemon, netlink to a double) with the
# agent benchmark's load (2,000 sleepers, 4 busy), 8 NVML TEST DOUBLE GPUs,
# an MQTT source on a local mosquitto, three groups (dry run: nothing is
# written) and /metrics scraped every 2 s. After 10 s, over 30 s: its CPU
# (the threads' schedstat) and memory (/proc/PID/status, the largest
# mappings). Root (the BPF sensor). docs/benchmarks.md.
#   tests/bench/daemon-native.sh [DAEMON]
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
B=$top/build
D=${1:-$B/tests/bench/tokenfactoryd-nldouble}
port=$((20000 + RANDOM % 10000))
mport=$((30000 + RANDOM % 10000))
tmp=$(mktemp -d /tmp/tf-daemon-native.XXXXXX)
mq= load= dp= scr=
cleanup() {
	for p in $scr $dp $load $mq; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

mosquitto -p $port > "$tmp/mosq.log" 2>&1 &
mq=$!
"$B/tests/bench/tf-agent-bench" --spawn -p 2000 -b 4 > "$tmp/busy" &
load=$!
until [ -s "$tmp/busy" ]; do sleep 0.2; done
awk -v b="$(cat "$tmp/busy")" 'BEGIN { n = split(b, p, " "); print "gpus=8"
	for (i = 0; i < 8; i++)
		printf "gpu%d.procs=%s:40,%s:30\n", i, p[i % n + 1], p[(i + 1) % n + 1] }' \
	> "$tmp/gpu.state"
sleep 0.5
mosquitto_pub -p $port -h 127.0.0.1 -r -t site/host/surplus -m '{"surplus_w": 25}'
cat > "$tmp/tf.conf" <<EOC
[agent]
interval = 1s
gpus = yes
dry_run = yes
[budget]
floor = 20W
ceiling = 40W
share = 100%
cpu_watts = 15W
cpu_idle_watts = 10W
[metrics]
listen = 127.0.0.1:$mport
[source site]
type = mqtt
host = 127.0.0.1
port = $port
topic = site/host/surplus
ttl = 300s
[group chat]
tier = interactive
reserved = 10W
demand = 10W
[group batch]
tier = batch
demand = 20W
[group background]
tier = background
demand = 5W
EOC
TF_NVML_LIB=$B/tests/nvml-double/libnvidia-ml.so.1 TF_NVML_DOUBLE_STATE=$tmp/gpu.state \
	"$D" -c "$tmp/tf.conf" > "$tmp/d.log" 2>&1 &
dp=$!
sleep 10
kill -0 $dp 2>/dev/null || { echo "daemon exited:"; cat "$tmp/d.log"; exit 1; }
(for i in $(seq 1 15); do curl -s http://127.0.0.1:$mport/metrics > /dev/null; sleep 2; done) &
scr=$!
run() { cat /proc/$dp/task/*/schedstat | awk '{ s += $1 } END { print s }'; }
t0=$(run)
sleep 30
t1=$(run)
echo "daemon-native cpu-pct $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 3e8 }')"
grep -E '^(VmHWM|VmRSS|RssAnon|RssFile|VmSize)' /proc/$dp/status | tr -s ' \t' ' ' |
	sed 's/^/daemon-native /'
awk '/^[0-9a-f]+-[0-9a-f]+ /{ f = $6 } /^Rss:/{ r[f] += $2 }
	END { for (k in r) if (r[k] >= 200) printf "daemon-native mapped %s %d kB\n", k, r[k] }' \
	/proc/$dp/smaps | sort -k4 -n -r
if grep -q '^<[0-3]>' "$tmp/d.log"; then
	echo "daemon-native errors logged:"
	grep '^<[0-3]>' "$tmp/d.log" | head
	exit 1
fi
