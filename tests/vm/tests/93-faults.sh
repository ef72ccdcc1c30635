# SPDX-License-Identifier: GPL-2.0
# The fault matrix (issue 8, point 4) around a running tokenfactoryd: each
# case says what it injects and what it observes. Across every case the
# energy accounts stay monotonic (domains, groups, ledger) and conserved
# (the agent's "conservation errors" stay 0). SIGKILL, broker restart and
# SIGTERM are in 89-daemon, a full ledger in 85-ledger-full.
. /tests/lib.sh
set +e	# busybox sh -e ends loops in subshells early; each step checks itself

rmmod tokenfactory
TF_INS="insmod /tokenfactory.ko heartbeat_timeout_ms=1000 est_idle_watts=10 est_max_watts=40"
$TF_INS || die "insmod"

cg=/sys/fs/cgroup
echo +cpu > $cg/cgroup.subtree_control || die "no cpu controller"
mkdir -p $cg/tf.slice/chat $cg/tf.slice/batch
echo +cpu > $cg/tf.slice/cgroup.subtree_control

# The signal: busybox httpd with a CGI whose answer /tmp/www/mode chooses
mkdir -p /tmp/www/cgi-bin
echo ok > /tmp/www/mode
cat > /tmp/www/cgi-bin/sig <<'EOF'
#!/bin/sh
case "$(cat /tmp/www/mode)" in
ok)	printf 'Content-Type: application/json\r\n\r\n{"surplus_w": 20}\n' ;;
500)	printf 'HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nboom\n' ;;
garbage) printf 'Content-Type: application/json\r\n\r\n{"surplus_w": "lots"\n' ;;
hang)	sleep 20 ;;
esac
EOF
chmod +x /tmp/www/cgi-bin/sig
httpd -f -p 127.0.0.1:8080 -h /tmp/www &
httpd_pid=$!
n=0
until wget -q -O /dev/null http://127.0.0.1:8080/cgi-bin/sig; do
	[ $n -lt 50 ] || die "httpd did not start"
	sleep 0.1
	n=$((n + 1))
done

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

[source site]
type = http
url = http://127.0.0.1:8080/cgi-bin/sig
shape = json
period = 1s
timeout = 1500ms
ttl = 4s

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

# spin NAME: a batch worker, spinning; its pid in $spin
spin() {
	sh -c 'echo $$ > /sys/fs/cgroup/tf.slice/batch/cgroup.procs; exec tf-spin 100 600 100' > /dev/null &
	spin=$!
}
spin
worker=$spin

start_agent() {
	tokenfactoryd -c /tmp/tf.conf --verbose 2>> /tmp/agent.log &
	agent=$!
	wait_for 20 "the agent never took control" sh -c '[ "$(tfctl -j status | jq .failsafe)" = false ]'
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

is_frozen() { [ "$(frozen)" = 1 ]; }
is_thawed() { [ "$(frozen)" = 0 ]; }
# logged PATTERN: in the agent's log since line $since
since=0
logged() { tail -n +$((since + 1)) /tmp/agent.log | grep -q -E "$1"; }
alive() { kill -0 $agent 2>/dev/null || { tail -n 30 /tmp/agent.log; die "the agent died ($1)"; }; }

# The energy accounts: every domain's counter, the groups' sum and each
# ledger account (a live one or its bill) never go back within one
# module's life; the agent never counts a conservation error. Bills past
# the last TF_BILLS_MAX are dropped (counted as overflows): a pid that
# disappears is not compared, nor one that moved to the bills between the
# two dumps.
E_DOMS= E_GROUPS=0
echo '[]' > /tmp/ledger.prev
ledger_now() {
	{ tfctl -j ledger bills; tfctl -j ledger; } |
		jq -s -c '[(.[0].bills[]?, .[1].accounts[]?) | {pid, e: ([.energy_uj[]?] | add // 0)}] |
			group_by(.pid) | map(max_by(.e))'
}
accounts_ok() {	# accounts_ok CASE
	local doms g back
	doms=$(tfctl -j domain | jq -r '.domains[] | "\(.name)=\(.energy_uj)"') ||
		die "$1: no domains"
	for d in $doms; do
		for p in $E_DOMS; do
			[ "${p%%=*}" = "${d%%=*}" ] || continue
			[ "${d#*=}" -ge "${p#*=}" ] || die "$1: domain ${d%%=*} went back: ${p#*=} -> ${d#*=} uJ"
		done
	done
	E_DOMS=$doms
	g=$(tfctl -j group | jq '[.groups[].energy_uj[]?] | add // 0')
	[ "$g" -ge "$E_GROUPS" ] || die "$1: groups' energy went back: $E_GROUPS -> $g uJ"
	E_GROUPS=$g
	ledger_now > /tmp/ledger.now || die "$1: no ledger"
	back=$(jq -n -c --slurpfile a /tmp/ledger.prev --slurpfile b /tmp/ledger.now \
		'[$a[0][] as $p | $b[0][] | select(.pid == $p.pid and .e < $p.e) | {pid, was: $p.e, now: .e}]')
	[ "$back" = '[]' ] || die "$1: ledger accounts went back: $back"
	mv /tmp/ledger.now /tmp/ledger.prev
	if grep -q -E 'conservation errors [1-9]' /tmp/agent.log; then
		grep -E 'conservation errors [1-9]' /tmp/agent.log | head -n 3
		die "$1: conservation errors"
	fi
	echo "  accounts after $1: host $(tfctl -j domain | jq '.domains[0].energy_uj') uJ, groups $g uJ, $(jq length /tmp/ledger.prev) ledger accounts and bills, none back; conservation errors 0"
}
# a new module starts its accounts again
accounts_reset() { E_DOMS= E_GROUPS=0; echo '[]' > /tmp/ledger.prev; }

: > /tmp/agent.log
start_agent
wait_for 10 "batch not thawed by a 20 W surplus" is_thawed
echo "setup: agent $agent in control, http source at 20 W, batch thawed"
accounts_ok setup

# ---- 1. agent SIGSTOP / SIGCONT -------------------------------------------
echo "case 1: injected SIGSTOP to the agent (heartbeat_timeout_ms=1000)"
kill -STOP $agent
wait_for 6 "fail-safe did not engage on a stopped agent" sh -c '[ "$(tfctl -j status | jq .failsafe)" = true ]'
echo "  observed: fail-safe engaged ($(tfctl -j status | jq -c '{failsafe, heartbeat_age_ms}'))"
kill -CONT $agent
wait_for 6 "the agent did not take control back after SIGCONT" sh -c '[ "$(tfctl -j status | jq .failsafe)" = false ]'
alive "after SIGCONT"
echo "  observed: SIGCONT, fail-safe off again, same agent (pid $agent), no restart"
wait_for 10 "batch not thawed after SIGCONT" is_thawed
accounts_ok "case 1"

# ---- 2. worker crash ---------------------------------------------------------
echo "case 2: injected kill -9 of a batch worker"
spin
victim=$spin
sleep 2
kill -9 $victim
wait $victim 2>/dev/null
wait_for 10 "no bill for the killed worker $victim" sh -c "tfctl -j ledger bills | jq -e '[.bills[] | select(.pid == $victim)] | length > 0' > /dev/null"
alive "after the worker crash"
echo "  observed: the agent carries on; bill of $victim: $(tfctl -j ledger bills | jq -c "[.bills[] | select(.pid == $victim)][0].energy_uj")"
accounts_ok "case 2"

# ---- 3. the batch cgroup removed under the agent, and made again -------------
wait_for 10 "batch not thawed" is_thawed
wait_for 5 "batch cpu.max not limited" sh -c '! grep -q ^max /sys/fs/cgroup/tf.slice/batch/cpu.max'
echo "case 3: injected rmdir of tf.slice/batch while limited (cpu.max '$(cat $cg/tf.slice/batch/cpu.max)'), processes moved out first"
for p in $(cat $cg/tf.slice/batch/cgroup.procs); do
	echo $p > $cg/cgroup.procs
done
rmdir $cg/tf.slice/batch || die "rmdir batch"
wait_for 5 "the agent did not notice the cgroup gone" logged 'group batch: cgroup .* is gone'
sleep 1
alive "with its cgroup gone"
mkdir $cg/tf.slice/batch
echo $worker > $cg/tf.slice/batch/cgroup.procs
wait_for 5 "the agent did not notice the cgroup back" logged 'group batch: cgroup .* is back'
wait_for 5 "no cpu.max on the new cgroup" sh -c '! grep -q ^max /sys/fs/cgroup/tf.slice/batch/cpu.max'
expect_eq "'is gone' logged once" "$(grep -c 'group batch: cgroup .* is gone' /tmp/agent.log)" 1
# the module dropped the removed cgroup from the group: the agent adds the new one
wait_for 5 "the new cgroup not a member of batch again" sh -c \
	"tfctl -j group show batch | jq -e '[.groups[0].members[]? | select(.cgroup == \"/tf.slice/batch\")] | length == 1' > /dev/null"
logged 'group batch: cgroup /tf.slice/batch is a member again' || die "member again not logged"
echo "  observed: logged once, carried on, the new cgroup limited again (cpu.max '$(cat $cg/tf.slice/batch/cpu.max)') and a member of batch again"
accounts_ok "case 3"

# ---- 5. wall-clock jumps -----------------------------------------------------
ticks() { grep -c 'tick [0-9]*: ' /tmp/agent.log; }
for jump in +31536000 -63072000; do
	t0=$(ticks)
	date -s "@$(($(date +%s) $jump))" > /dev/null || die "date -s"
	echo "case 5: injected a wall-clock jump of $jump s (now $(date -u +%FT%TZ))"
	sleep 3
	t1=$(ticks)
	alive "after the clock jump"
	# 3 s at 200 ms: 15 ticks (and the time the commands take); a timer
	# on the wall clock would stop for the jump back or burst forward
	[ $((t1 - t0)) -ge 5 ] && [ $((t1 - t0)) -le 22 ] ||
		die "ticks over 3 s after a $jump s jump: $((t1 - t0))"
	is_thawed || die "the signal went stale with the wall clock"
	jcheck "$(tfctl -j signal)" '.surplus_uw == 20000000 and (.stale | not)'
	echo "  observed: $((t1 - t0)) ticks in 3 s, signal fresh, batch thawed"
done
date -s "@$(($(date +%s) + 31536000))" > /dev/null
accounts_ok "case 5"

# ---- 6. a meter counter going backwards ---------------------------------------
echo "case 6: injected a gpu-0 energy push going backwards (1000 J, then 900 J)"
# the counter counts from its first push
tfctl domain push gpu-0 energy 1000J max 700W || die "gpu-0 push"
sleep 0.5
accounts_ok "case 6, 1000 J"
rejects=$(tfctl -j status | jq .push_rejects)
out=$(tfctl domain push gpu-0 energy 900J 2>&1)
rc=$?
expect_eq "backwards push exit" $rc 1
echo "$out" | grep -q 'counter went backwards' || die "backwards push: $out"
expect_eq "rejection counted" "$(tfctl -j status | jq .push_rejects)" $((rejects + 1))
expect_eq "gpu-0 after the rejected push" "$(dom gpu-0 energy_uj)" 0
accounts_ok "case 6, 900 J rejected"
tfctl domain push gpu-0 energy 1001J || die "gpu-0 forward push"
sleep 1
expect_eq "gpu-0 after a good push" "$(dom gpu-0 energy_uj)" 1000000
alive "after the backwards push"
echo "  observed: rejected ($out), push_rejects +1, the counter unchanged, then +1 J accepted"
accounts_ok "case 6"

# ---- 7. the HTTP source failing ----------------------------------------------
for mode in 500 garbage hang; do
	echo ok > /tmp/www/mode
	wait_for 10 "no good value before '$mode'" sh -c '[ "$(tfctl -j signal | jq .stale)" = false ]'
	wait_for 10 "batch not thawed before '$mode'" is_thawed
	since=$(wc -l < /tmp/agent.log)
	echo $mode > /tmp/www/mode
	echo "case 7: injected HTTP '$mode' (ttl 4 s, period 1 s, timeout 1.5 s)"
	case $mode in
	500) pat='source site: HTTP 500' ;;
	garbage) pat='source site: rejected' ;;
	hang) pat='source site: HTTP: .*(imeout|timed out)' ;;
	esac
	wait_for 10 "'$mode' not logged" logged "$pat"
	# the last good value stays until its TTL
	is_thawed || die "'$mode': the last good value was dropped at once"
	echo "  observed: '$(tail -n +$((since + 1)) /tmp/agent.log | grep -E "$pat" | tail -n 1 | sed 's/^.*source/source/')', last good value kept"
	wait_for 10 "'$mode': no floor after the TTL" is_frozen
	logged 'signal: none fresh' || die "'$mode': stale signal not logged"
	alive "HTTP $mode"
	echo "  observed: TTL over: budget at the floor, batch frozen"
done
echo ok > /tmp/www/mode
wait_for 10 "batch not thawed after the source recovered" is_thawed
echo "  observed: source good again: batch thawed"
accounts_ok "case 7"

# ---- 4. module removed and re-inserted under the running agent ---------------
since=$(wc -l < /tmp/agent.log)
echo "case 4: injected rmmod tokenfactory under the running agent"
n=0
until rmmod tokenfactory 2>/dev/null; do
	# a request in flight holds the module: try again
	n=$((n + 1))
	[ $n -lt 200 ] || die "rmmod refused 200 times"
	sleep 0.05
done
wait_for 5 "module unreachable not logged" logged 'tick: '
sleep 1
alive "with the module out"
echo "  observed: rmmod after $n retries, '$(grep 'tick: ' /tmp/agent.log | tail -n 1 | sed 's/^.*tick/tick/')', agent running"
$TF_INS || die "insmod again"
accounts_reset
wait_for 10 "the agent did not take control of the new module" sh -c '[ "$(tfctl -j status | jq .failsafe)" = false ]'
wait_for 5 "reachable again not logged" logged 'module reachable again'
wait_for 5 "resync not logged" logged 'module reloaded: groups created again'
wait_for 5 "groups not created again" sh -c 'tfctl -j group show batch > /dev/null 2>&1'
jcheck "$(tfctl -j group show batch)" '.groups[0].tier == "batch"'
jcheck "$(tfctl -j group show chat)" '.groups[0].tier == "interactive"'
wait_for 10 "batch not thawed under the new module" is_thawed
alive "after insmod"
echo "  observed: fail-safe off, groups batch and chat created again, batch thawed"
sleep 1
accounts_ok "case 4"
sleep 1
accounts_ok "case 4, later"

# the run's verdict on conservation: exit status 0
kill $agent
wait $agent
expect_eq "agent exit status (conservation)" $? 0

# ---- 8. out of memory ------------------------------------------------------------
# RLIMIT_AS: whichever allocation fails first (a library, a thread's stack,
# a map), the agent must end with an error, never a crash
for kb in 16000 32000 64000 128000; do
	echo "case 8: injected RLIMIT_AS $kb KiB"
	timeout -s TERM 6 sh -c "ulimit -v $kb; exec tokenfactoryd -c /tmp/tf.conf" > /tmp/oom.log 2>&1
	rc=$?
	case $rc in
	0 | 1 | 2 | 127 | 143) ;;	# clean: ran (ended by SIGTERM), or an error
	*) cat /tmp/oom.log; die "RLIMIT_AS $kb KiB: exit $rc" ;;
	esac
	[ $rc -eq 0 ] || [ -s /tmp/oom.log ] || die "RLIMIT_AS $kb KiB: exit $rc without a word"
	# a start-up failure names what failed, not a bare errno of libbpf's
	# ("start: No such process" was all it said before)
	if grep -q 'start: ' /tmp/oom.log && grep -q 'start: No such process$' /tmp/oom.log; then
		cat /tmp/oom.log
		die "RLIMIT_AS $kb KiB: start-up failure without its cause"
	fi
	echo "  observed: exit $rc: $(grep -v '^$' /tmp/oom.log | tail -n 1)"
done

kill $worker $httpd_pid 2>/dev/null
wait 2>/dev/null
for p in $(cat $cg/tf.slice/batch/cgroup.procs $cg/tf.slice/chat/cgroup.procs); do
	echo $p > $cg/cgroup.procs
done
rmdir $cg/tf.slice/chat $cg/tf.slice/batch $cg/tf.slice
true
