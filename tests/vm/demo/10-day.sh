# SPDX-License-Identifier: GPL-2.0
# make demo, inside the VM: a token-factory day. tokenfactory.ko meters the
# host, a real mosquitto broker carries the site's surplus, tokenfactoryd
# turns it into caps, cgroup limits and the batch tier's quota plan, while
# two real inference workers (tf-worker, a random-weight transformer: the
# tokens are meaningless, the compute is real) serve an interactive load
# (tf-loadgen) and a batch quota. One day of the CAISO trace is replayed at
# ACCEL trace seconds per wall second. The interval log, the load
# generator's figures and the agent's settings go back to the host on the
# result port as "DEMO <file> <line>" lines (tests/demo/run.sh).
. /tests/lib.sh
set +e

D=/demo
. $D/demo.env		# DAY_UTC ACCEL QUOTA_FRAC PEAK_RPS MAX_TOKENS SLO_MS HOURS [DEMO_DEBUG]
cg=/sys/fs/cgroup
out=/dev/ttyS1

say() {
	echo "DEMO: $*"
}

ship() {	# ship FILE NAME: the file's lines to the host
	sed "s|^|DEMO $2 |" "$1" > $out
}

rmmod tokenfactory
insmod /tokenfactory.ko est_idle_watts=10 est_max_watts=65 || die "insmod"
say "tokenfactory.ko: $(tfctl -j status | jq -r '"version \(.version), meter \(.meters[0].kind // "estimate")"')"

echo +cpu > $cg/cgroup.subtree_control
mkdir -p $cg/tf.slice/interactive $cg/tf.slice/batch
echo +cpu > $cg/tf.slice/cgroup.subtree_control

broker_start
say "mosquitto broker on 127.0.0.1:1883"

# Calibration: this guest's speed (QEMU TCG is far slower than the host
# the curve was measured on). The host's curve keeps its shape; its rates
# are scaled to the guest's full-speed rate, then to tokens per trace
# second: the agent plans in trace time.
full=$(tf-worker --model tiny --batch --port 0 --duration 6 | jq .tokens_per_s)
say "calibration: one worker at full speed makes $full tokens/s in this guest"
awk -F, -v g="$full" -v a="$ACCEL" '
	!/^[0-9]/ { next }
	{ p[n] = $1; r[n] = $2; if ($2 > top) top = $2; n++ }
	END {
		print "power_w,tokens_per_s"
		for (i = 0; i < n; i++)
			printf "%.3f,%.6f\n", p[i], r[i] / top * g / a
	}' $D/cpu-curve.csv > $D/curve.csv
# the quota: QUOTA_FRAC of what the batch worker makes flat out all day
quota=$(awk -v g="$full" -v f="$QUOTA_FRAC" -v a="$ACCEL" -v h="$HOURS" \
	'BEGIN { printf "%d", g * h * 3600 / a * f }')
say "batch quota: $quota tokens by the end of the day"

cat > /tmp/tf.conf <<EOF
[agent]
interval = 500ms
gpus = no
cgroup_root = /sys/fs/cgroup
timezone = America/Los_Angeles
clock = signal

[budget]
floor = 40W
ceiling = 65W
host_max = 65W
share = 100%
cpu_watts = 27.5W
cpu_idle_watts = 10W
history = $D/history.csv
forecast_days = 14

[metrics]
listen = 127.0.0.1:9464

[source site]
type = mqtt
host = 127.0.0.1
topic = site/demo/surplus
ttl = 30s
replay = yes

[group interactive]
tier = interactive
cgroup = tf.slice/interactive
reserved = 15W
metrics_url = http://127.0.0.1:8081/metrics
preset = llamacpp

[group batch]
tier = batch
cgroup = tf.slice/batch
metrics_url = http://127.0.0.1:8082/metrics
preset = llamacpp
quota = $quota
curve = $D/curve.csv
EOF
tokenfactoryd --check-config -c /tmp/tf.conf > /tmp/check.txt || { cat /tmp/check.txt; die "config"; }

sh -c "echo \$\$ > $cg/tf.slice/interactive/cgroup.procs; exec tf-worker --model tiny --interactive --port 8081" > /tmp/wi.json 2>/tmp/wi.log &
wi=$!
sh -c "echo \$\$ > $cg/tf.slice/batch/cgroup.procs; exec tf-worker --model tiny --batch --port 8082" > /tmp/wb.json 2>/tmp/wb.log &
wb=$!
for port in 8081 8082; do
	n=0
	until wget -q -O /dev/null http://127.0.0.1:$port/health; do
		[ $n -lt 100 ] || die "worker on $port did not start"
		sleep 0.1
		n=$((n + 1))
	done
done
say "workers: interactive on :8081 (tf.slice/interactive), batch on :8082 (tf.slice/batch)"

tokenfactoryd -c /tmp/tf.conf 2> /tmp/agent.log &
agent=$!
n=0
until [ "$(tfctl -j status | jq .failsafe)" = false ]; do
	kill -0 $agent 2>/dev/null || { cat /tmp/agent.log; die "agent did not start"; }
	[ $n -lt 300 ] || { cat /tmp/agent.log; die "the agent never took control"; }
	sleep 0.1
	n=$((n + 1))
done
say "tokenfactoryd in control (pid $agent)"

tf-loadgen --url http://127.0.0.1:8081/generate --accel "$ACCEL" \
	--day-curve $D/demand.csv --peak-rps "$PEAK_RPS" --max-tokens "$MAX_TOKENS" \
	--prompt-tokens "$PROMPT_TOKENS" \
	--slo-ms "$SLO_MS" --hours "$HOURS" --json /tmp/loadgen.json --quiet \
	> /tmp/loadgen.txt 2>&1 &
lg=$!

ACCEL=$ACCEL TICK=1 TOPIC=site/demo/surplus HOURS=$HOURS TS=1 \
	sh /tests/day.sh $D/day.csv "$DAY_UTC" /tmp/day.log
wait $lg

kill $agent
wait $agent
rc=$?
kill $wi $wb
wait $wi $wb 2>/dev/null
say "agent exit status $rc; batch worker: $(cat /tmp/wb.json)"

ship /tmp/day.log day.csv
ship /tmp/loadgen.json loadgen.json
ship $D/curve.csv curve.csv
echo "DEMO quota $quota" > $out
grep -E '<[0-4]>' /tmp/agent.log | head -n 20 | sed 's/^/  agent: /'
if [ -n "${DEMO_DEBUG:-}" ]; then
	tail -n 40 /tmp/agent.log; tail -n 5 /tmp/wi.log /tmp/wb.log /tmp/loadgen.txt
fi
[ $rc = 0 ] || die "agent exit $rc"
[ -s /tmp/day.log ] || die "no interval log"
true
