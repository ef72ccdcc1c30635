# SPDX-License-Identifier: GPL-2.0
# tokenfactoryd as a host runs it: a real mosquitto broker carries the
# site's surplus, the agent turns it into a budget, freezes and thaws the
# batch tier's cgroup and sets its cpu.max, serves /metrics; garbage is
# rejected, an expired signal drops the budget to the floor, a broker
# restart is survived, SIGKILL hands over to the module's fail-safe, a new
# agent resynchronises, SIGTERM restores the cgroups.
. /tests/lib.sh
set +e	# busybox sh -e ends loops in subshells early; each step checks itself

rmmod tokenfactory
insmod /tokenfactory.ko heartbeat_timeout_ms=1000 est_idle_watts=10 est_max_watts=40

cg=/sys/fs/cgroup
echo +cpu > $cg/cgroup.subtree_control || die "no cpu controller"
mkdir -p $cg/tf.slice/chat $cg/tf.slice/batch
echo +cpu > $cg/tf.slice/cgroup.subtree_control

broker_start

cat > /tmp/tf.conf <<'EOF'
[agent]
interval = 200ms
gpus = no
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
topic = site/test/surplus
ttl = 3s
reconnect_max = 1s

[group chat]
tier = interactive
cgroup = tf.slice/chat
reserved = 10W
demand = 10W

[group batch]
tier = batch
cgroup = tf.slice/batch
demand = 30W
EOF
tokenfactoryd --check-config -c /tmp/tf.conf || die "config rejected"

# a batch worker, spinning
sh -c 'echo $$ > /sys/fs/cgroup/tf.slice/batch/cgroup.procs; exec tf-spin 100 600 100' > /dev/null &
worker=$!

start_agent() {
	tokenfactoryd -c /tmp/tf.conf --verbose 2> /tmp/agent.log &
	agent=$!
	n=0
	until [ "$(tfctl -j status | jq .failsafe)" = false ]; do
		kill -0 $agent 2>/dev/null || { cat /tmp/agent.log; die "agent did not start"; }
		[ $n -lt 200 ] || { cat /tmp/agent.log; die "the agent never took control"; }
		sleep 0.1
		n=$((n + 1))
	done
}

frozen() {
	sed -n 's/^frozen //p' $cg/tf.slice/batch/cgroup.events
}

# wait_for SECONDS DESCRIPTION CMD...: until CMD succeeds
wait_for() {
	local s=$1 what=$2 n=0
	shift 2
	until "$@"; do
		[ $n -lt $((s * 20)) ] || { tail -n 30 /tmp/agent.log; die "$what"; }
		sleep 0.05
		n=$((n + 1))
	done
}

pub() {
	mosquitto_pub -h 127.0.0.1 -t site/test/surplus -m "$1"
}

start_agent
# no signal yet: the floor (20 W) covers only the interactive tier
wait_for 5 "batch not frozen without a signal" sh -c '[ "$(sed -n "s/^frozen //p" /sys/fs/cgroup/tf.slice/batch/cgroup.events)" = 1 ]'
echo "no signal: batch frozen, budget at the floor"

# surplus: batch thaws and gets a cpu.max from its share
pub '{"surplus_w": 20}'
wait_for 5 "batch not thawed by a 20 W surplus" sh -c '[ "$(sed -n "s/^frozen //p" /sys/fs/cgroup/tf.slice/batch/cgroup.events)" = 0 ]'
q=$(cat $cg/tf.slice/batch/cpu.max)
echo "surplus 20 W: batch thawed, cpu.max '$q'"
case "$q" in max*) die "batch cpu.max not limited: $q" ;; esac

# signal-to-actuation latency: 0 W / 20 W steps over one MQTT connection,
# each timed until the agent wrote cgroup.freeze (goal: 50 ms), and until
# the kernel's freezer had every task stopped (cgroup.events)
tf-latency 127.0.0.1 1883 site/test/surplus $cg/tf.slice/batch 20 0 20 > /tmp/lat ||
	{ cat /tmp/lat; tail -n 30 /tmp/agent.log; die "latency steps not actuated"; }
echo "signal-to-actuation latency (TCG guest): $(tail -n 1 /tmp/lat)"
echo "  each step, actuated (ms): $(sed -n 's/^step [0-9]*: actuated \([0-9.]*\) ms.*/\1/p' /tmp/lat | tr '\n' ' ')"

# garbage is rejected, named, and the last good value stays
pub '{"surplus_w": 20}'
wait_for 5 "no thaw" sh -c '[ "$(sed -n "s/^frozen //p" /sys/fs/cgroup/tf.slice/batch/cgroup.events)" = 0 ]'
pub '{"surplus_w": "lots"}'
pub 'not json at all'
wait_for 5 "garbage not logged" grep -q 'surplus_w' /tmp/agent.log
grep 'site' /tmp/agent.log | grep -i -E 'reject|invalid|not a number' | head -n 2
expect_eq "batch after garbage" "$(frozen)" 0
jcheck "$(tfctl -j signal)" '.surplus_uw == 20000000'

# /metrics is served and carries the budget
wget -q -O /tmp/metrics http://127.0.0.1:9464/metrics || die "no /metrics"
grep -q '^tokenfactory_' /tmp/metrics || die "no tokenfactory_ metrics"
grep -E '^tokenfactory_budget' /tmp/metrics | head -n 2

# the signal expires (ttl 3 s): floor, batch frozen again
wait_for 8 "batch not frozen after the signal expired" sh -c '[ "$(sed -n "s/^frozen //p" /sys/fs/cgroup/tf.slice/batch/cgroup.events)" = 1 ]'
echo "signal expired: batch frozen again"

# the broker goes away and comes back: the agent reconnects and resubscribes
kill $broker
wait $broker 2>/dev/null
sleep 1
mosquitto -c /tmp/mosq.conf > /tmp/mosq.log 2>&1 &
broker=$!
n=0
until pub '{"surplus_w": 20}' 2>/dev/null && [ "$(frozen)" = 0 ]; do
	[ $n -lt 100 ] || { tail -n 20 /tmp/agent.log; die "no value through the restarted broker"; }
	sleep 0.1
	n=$((n + 1))
done
echo "broker restarted: the agent reconnected, batch thawed"

# SIGKILL: the module's fail-safe takes over within its timeout
kill -9 $agent
wait $agent 2>/dev/null
wait_for 5 "fail-safe did not engage" sh -c '[ "$(tfctl -j status | jq .failsafe)" = true ]'
echo "agent killed: fail-safe engaged"

# a new agent resynchronises and takes control back
start_agent
pub '{"surplus_w": 20}'
wait_for 5 "no thaw after restart" sh -c '[ "$(sed -n "s/^frozen //p" /sys/fs/cgroup/tf.slice/batch/cgroup.events)" = 0 ]'
jcheck "$(tfctl -j group show batch)" '.groups[0].tier == "batch"'
echo "agent restarted: in control, groups resynchronised"

# SIGTERM restores: cpu.max back to max, unfrozen
pub '{"surplus_w": 0}'
wait_for 5 "no freeze" sh -c '[ "$(sed -n "s/^frozen //p" /sys/fs/cgroup/tf.slice/batch/cgroup.events)" = 1 ]'
kill $agent
wait $agent
rc=$?
expect_eq "agent exit status" $rc 0
expect_eq "batch frozen after exit" "$(frozen)" 0
case "$(cat $cg/tf.slice/batch/cpu.max)" in max*) ;; *) tail -n 20 /tmp/agent.log; die "cpu.max not restored: $(cat $cg/tf.slice/batch/cpu.max)" ;; esac
echo "agent stopped: cgroups restored"

kill $worker $broker 2>/dev/null
wait 2>/dev/null
rmdir $cg/tf.slice/chat $cg/tf.slice/batch $cg/tf.slice
true
