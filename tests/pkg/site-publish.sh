#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The site's side of the surplus fan-out against a real mosquitto broker on
# this machine (127.0.0.1, a free port): tf-site-publish replays a trace in
# order, paced, as JSON the agents' MQTT source reads; the last value stays
# retained, so every host's agent, started or restarted later, gets it at
# once; several subscribers with their own client ids (the hosts) all
# receive the same site value; a malformed trace publishes nothing. The
# agents' side (each applying its [budget] share) is the agent's own test.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

for c in mosquitto mosquitto_pub mosquitto_sub; do
	command -v $c >/dev/null || [ -x /usr/sbin/$c ] || { fail site-publish "no $c: make deps"; exit 0; }
done
pub=$top/packaging/tf-site-publish
tmp=$(mktemp -d /tmp/tf-mqtt.XXXXXX)
broker=
cleanup() {
	[ -n "$broker" ] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" > "$tmp/mosquitto.conf"
PATH=$PATH:/usr/sbin mosquitto -c "$tmp/mosquitto.conf" > "$tmp/broker.log" 2>&1 &
broker=$!
for _ in $(seq 50); do
	mosquitto_pub -h 127.0.0.1 -p "$port" -t tf/ping -n 2>/dev/null && break
	sleep 0.1
done
topic=site/ci/surplus
sub() {	# sub COUNT ID: COUNT messages of the topic
	timeout 20 mosquitto_sub -h 127.0.0.1 -p "$port" -t "$topic" -i "$2" -q 1 -C "$1"
}

# three hosts subscribed before the replay: each sees every row, in order
subs=()
for h in 1 2 3; do
	sub 3 "tokenfactoryd-host$h" > "$tmp/host$h" &
	subs+=($!)
done
sleep 0.5
printf '# utc_s,surplus_w  (a test trace)\n1000,0.0\n2000,150000.5\n3000,420000.0\n' > "$tmp/trace.csv"
start=$(date +%s.%N)
if "$pub" -H 127.0.0.1 -p "$port" -s ci -a 2000 "$tmp/trace.csv"; then
	pass site-publish/replay
else
	fail site-publish/replay "tf-site-publish exit $?"
fi
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{print e - s}')
# 2000 trace seconds at 2000x: about 1 s of sleeping, not 0, not 2000
awk -v t="$took" 'BEGIN{exit !(t >= 0.9 && t < 10)}' && pass site-publish/paced ||
	fail site-publish/paced "took $took s"
wait "${subs[@]}"
fanout() {
	local h got
	for h in 1 2 3; do
		got=$(sed -E 's/"ts": [0-9]+/"ts": T/' "$tmp/host$h" | tr '\n' '|')
		[ "$got" = '{"surplus_w": 0.0, "ts": T}|{"surplus_w": 150000.5, "ts": T}|{"surplus_w": 420000.0, "ts": T}|' ] ||
			{ echo "host$h got '$got'"; return 1; }
	done
}
check site-publish/fan-out fanout
# the JSON the agents parse, with a recent clock stamp
json() {
	jq -e --argjson now "$(date +%s)" 'select(.surplus_w == 420000 and (.ts - $now | fabs) < 60)' \
		< <(tail -n 1 "$tmp/host1") >/dev/null
}
check site-publish/json json

# a host starting later gets the retained value at once
late() {
	local got
	got=$(sub 1 tokenfactoryd-late) || return 1
	jq -e '.surplus_w == 420000' <<<"$got" >/dev/null || { echo "late: '$got'"; return 1; }
}
check site-publish/retained late
# --value: the site controller's live path
check site-publish/value "$pub" -H 127.0.0.1 -p "$port" -t "$topic" --value 1234.5
check site-publish/value-retained sh -c "timeout 20 mosquitto_sub -h 127.0.0.1 -p $port -t $topic -C 1 | jq -e '.surplus_w == 1234.5'"

# malformed input: refused before anything goes out
bad() {
	local rc
	printf '1000,5\n2000,-3\n' > "$tmp/bad.csv"
	"$pub" -H 127.0.0.1 -p "$port" -s ci "$tmp/bad.csv" 2>"$tmp/bad.err"
	rc=$?
	[ $rc = 2 ] && grep -q 'line 2' "$tmp/bad.err" || { echo "exit $rc: $(cat "$tmp/bad.err")"; return 1; }
	printf '1000,5\n900,6\n' | "$pub" -n -s ci - 2>/dev/null >/dev/null && { echo "time backwards accepted"; return 1; }
	"$pub" -s ci --value abc 2>/dev/null && { echo "--value abc accepted"; return 1; }
	"$pub" --value 5 2>/dev/null && { echo "no topic accepted"; return 1; }
	# line 1 was good, yet nothing went out: still the last --value
	timeout 20 mosquitto_sub -h 127.0.0.1 -p "$port" -t "$topic" -C 1 |
		jq -e '.surplus_w == 1234.5' >/dev/null || { echo "a bad trace published"; return 1; }
}
check site-publish/malformed bad
