# SPDX-License-Identifier: GPL-2.0
# make bench-agent: tokenfactoryd as deployed (MQTT signal from a local
# mosquitto, three groups on cgroups, /metrics, 8 GPUs of the NVML TEST
# DOUBLE) at a 1 s tick on a guest with 2,000 processes. Over the same
# window length: the guest's busy CPU without the agent (baseline), then
# with it, and the agent's own utime+stime, VmRSS, VmHWM; tf-agent-bench,
# the agent's per-tick work alone, just before and just after that window,
# for the TCG factor (tests/bench/agent.sh takes their mean over the same
# work on the host: the two bracket the guest's drift in speed).
. /tests/lib.sh
set +e

SETTLE=${TF_BENCH_SETTLE:-10}
WINDOW=${TF_BENCH_WINDOW:-60}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

cg=/sys/fs/cgroup
echo +cpu > $cg/cgroup.subtree_control || die "no cpu controller"
mkdir -p $cg/tf.slice/chat $cg/tf.slice/batch $cg/tf.slice/background
echo +cpu > $cg/tf.slice/cgroup.subtree_control

broker_start

# 2,000 sleepers waking once a second and 4 busy processes (5 % duty)
tf-agent-bench --spawn -p 2000 -b 4 > /tmp/busy &
load=$!
n=0
until [ -s /tmp/busy ]; do
	[ $n -lt 600 ] || die "load did not start"
	sleep 0.1
	n=$((n + 1))
done
set -- $(cat /tmp/busy)
echo $1 > $cg/tf.slice/chat/cgroup.procs
echo $2 > $cg/tf.slice/batch/cgroup.procs
echo $3 > $cg/tf.slice/batch/cgroup.procs
echo $4 > $cg/tf.slice/background/cgroup.procs
# 8 GPUs, two busy processes on each
awk -v b="$(cat /tmp/busy)" 'BEGIN {
	n = split(b, p, " "); print "gpus=8"
	for (i = 0; i < 8; i++)
		printf "gpu%d.procs=%s:40,%s:30\n", i, p[i % n + 1], p[(i + 1) % n + 1]
}' > /tmp/gpu.state
echo "load: $(ls -d /proc/[0-9]* | wc -l) processes, busy: $(cat /tmp/busy)"

# the site's surplus, retained, refreshed well inside its TTL
(while :; do
	mosquitto_pub -h 127.0.0.1 -r -t site/host/surplus -m '{"surplus_w": 25}'
	sleep 10
done) &
feeder=$!

cat > /tmp/tf.conf <<'EOF'
[agent]
interval = 1s
gpus = yes
cgroup_root = /sys/fs/cgroup

[budget]
floor = 20W
ceiling = 40W
share = 100%
cpu_watts = 15W
cpu_idle_watts = 10W

[metrics]
listen = 127.0.0.1:9464

[source site]
type = mqtt
host = 127.0.0.1
port = 1883
topic = site/host/surplus
ttl = 30s

[group chat]
tier = interactive
cgroup = tf.slice/chat
reserved = 10W
demand = 10W

[group batch]
tier = batch
cgroup = tf.slice/batch
demand = 20W

[group background]
tier = background
cgroup = tf.slice/background
demand = 5W
EOF
tokenfactoryd --check-config -c /tmp/tf.conf > /dev/null || die "config rejected"

# busy jiffies of the whole guest (all CPUs: user nice system irq softirq steal)
busy() {
	awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
cputime() {	# pid: utime + stime, clock ticks
	awk '{ print $14 + $15 }' /proc/$1/stat
}
# per thread: "tid (comm) utime stime" (no spaces in these names)
threads() {
	for t in /proc/$1/task/*; do
		echo "${t##*/} $(awk '{ print $2, $14, $15 }' $t/stat)"
	done | sort
}

sleep $SETTLE
b0=$(busy)
sleep $WINDOW
b1=$(busy)
echo "agent-vm baseline-busy-pct $(awk -v d=$((b1 - b0)) -v w=$WINDOW -v hz=$HZ 'BEGIN { printf "%.2f", d * 100 / hz / w }')"

# the same per-tick work without the daemon around it, against this load;
# bounded: under TCG an attach has once stalled the guest's RCU for good
guest_bench() {
	TF_NVML_LIB=/usr/lib/tf-test/libnvidia-ml.so.1 TF_NVML_DOUBLE_STATE=/tmp/gpu.state \
		timeout 300 tf-agent-bench -p 0 -b 0 -t 15 -w 3 2>&1 | grep -v '^<' ||
		die "tf-agent-bench failed"
}
guest_bench

# in a cgroup of its own, as systemd runs it: memory.peak is the service's
# peak, the sensor's loader child and the BPF maps (charged to the memory
# cgroup that creates them) included
echo +memory > $cg/cgroup.subtree_control 2>/dev/null
mkdir -p $cg/tfd-bench
TF_NVML_LIB=/usr/lib/tf-test/libnvidia-ml.so.1 TF_NVML_DOUBLE_STATE=/tmp/gpu.state \
	sh -c "echo \$\$ > $cg/tfd-bench/cgroup.procs && exec tokenfactoryd -c /tmp/tf.conf" \
	2> /tmp/agent.log &
agent=$!
sleep $SETTLE
kill -0 $agent 2>/dev/null || { cat /tmp/agent.log; die "agent died"; }
grep -q "8 NVIDIA GPU" /tmp/agent.log || { cat /tmp/agent.log; die "the agent did not find 8 GPUs"; }
b0=$(busy)
a0=$(cputime $agent)
threads $agent > /tmp/thr0
t0=$(cut -d' ' -f1 /proc/uptime)
# resident memory in the steady state: the most of a sample every 5 s (VmHWM
# also holds the start-up's peak: libbpf reads the kernel's BTF once)
rss_max=0
for _ in $(seq $((WINDOW / 5))); do
	sleep 5
	r=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' /proc/$agent/status)
	[ "${r:-0}" -gt $rss_max ] && rss_max=$r
done
a1=$(cputime $agent)
threads $agent > /tmp/thr1
b1=$(busy)
t1=$(cut -d' ' -f1 /proc/uptime)
rss=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' /proc/$agent/status)
hwm=$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' /proc/$agent/status)
thr=$(sed -n 's/^Threads:[^0-9]*\([0-9]*\).*/\1/p' /proc/$agent/status)
wget -q -O /tmp/metrics http://127.0.0.1:9464/metrics || die "no /metrics"
echo "agent-vm busy-pct $(awk -v d=$((b1 - b0)) -v w=$WINDOW -v hz=$HZ 'BEGIN { printf "%.2f", d * 100 / hz / w }')"
echo "agent-vm agent-cpu-pct $(awk -v d=$((a1 - a0)) -v t0=$t0 -v t1=$t1 -v hz=$HZ 'BEGIN { printf "%.3f", d * 100 / hz / (t1 - t0) }')"
echo "agent-vm agent-rss-kib $rss"
echo "agent-vm agent-rss-max-kib $rss_max"
for k in RssAnon RssFile RssShmem; do
	echo "agent-vm agent-$k-kib $(sed -n "s/^$k:[^0-9]*\([0-9]*\).*/\1/p" /proc/$agent/status)"
done
# where the time went: threads, user and system (ms over the window)
paste /tmp/thr0 /tmp/thr1 | awk -v hz=$HZ '$1 == $5 { printf "agent-vm thread %s%s user %d ms system %d ms\n", $1, $2, ($7 - $3) * 1000 / hz, ($8 - $4) * 1000 / hz }'
echo "agent-vm agent-hwm-kib $hwm"
if [ -r $cg/tfd-bench/memory.peak ]; then
	echo "agent-vm cgroup-peak-kib $(($(cat $cg/tfd-bench/memory.peak) / 1024))"
	echo "agent-vm cgroup-current-kib $(($(cat $cg/tfd-bench/memory.current) / 1024))"
	awk '$1 == "anon" || $1 == "kernel" || $1 == "percpu" || $1 == "file" || $1 == "slab" {
		printf "agent-vm cgroup-%s-kib %d\n", $1, $2 / 1024 }' $cg/tfd-bench/memory.stat
fi
echo "agent-vm agent-threads $thr"
echo "agent-vm metrics-bytes $(wc -c < /tmp/metrics)"
# every process's energy reached the module (pushes of more rows than a
# page holds once failed with EMSGSIZE and left the ledger empty)
accts=$(tfctl -j ledger | jq '.accounts | length')
echo "agent-vm ledger-accounts $accts"
[ "$accts" -ge 2000 ] || die "only $accts ledger accounts for 2,000 processes"
kill -TERM $agent
wait $agent
rc=$?
grep -E 'err|ERR|conservation' /tmp/agent.log | head -n 5
expect_eq "agent exit" $rc 0

guest_bench

kill $feeder $load $broker 2>/dev/null
wait 2>/dev/null
rmdir $cg/tf.slice/chat $cg/tf.slice/batch $cg/tf.slice/background $cg/tf.slice $cg/tfd-bench
true
