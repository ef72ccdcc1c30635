# SPDX-License-Identifier: GPL-2.0
# Helpers for the VM tests (sourced; busybox sh, run with -e).

die() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || die "$1: got '$2', want '$3'"
}

# wait_until SECONDS CMD...: CMD succeeds within SECONDS (polled every
# 0.2 s), else false. For what a test waits on rather than a fixed sleep:
# the debug kernel (make check-debug) runs the same steps several times
# slower.
wait_until() {
	local n=$(($1 * 5))
	shift
	until "$@"; do
		[ $n -gt 0 ] || return 1
		n=$((n - 1))
		sleep 0.2
	done
}

# true on the debug kernel (tests/vm/debug-kernel.sh): its checkers slow
# every path, so a test of timing accuracy widens its tolerance there
debug_kernel() {
	case "$(uname -r)" in *-tfdebug) return 0 ;; esac
	return 1
}

# jcheck JSON JQ-EXPR: the jq filter must print true for the document.
jcheck() {
	[ "$(printf '%s' "$1" | jq -e "$2" 2>&1)" = true ] ||
		die "JSON check '$2' failed on: $1"
}

# expect_err WANT_ERRNO WANT_TEXT CMD...: a tf-nlraw request the kernel must
# reject with that errno and an extack message containing WANT_TEXT.
expect_err() {
	local want=$1 text=$2 out
	shift 2
	out=$(tf-nlraw "$@") && die "accepted: $* -> $out"
	case "$out" in
	"error $want "*"$text"*) echo "rejected as expected: $* -> $out" ;;
	*) die "$*: got '$out', want errno $want and '$text'" ;;
	esac
}

# dom NAME FIELD: one field of one domain, from tfctl's JSON
dom() {
	tfctl -j domain show "$1" | jq -r ".domains[0].$2"
}

# has_event FILE JQ-COND: one of the JSON lines in FILE satisfies the condition
has_event() {
	jq -s -e "any(.[]; $2)" "$1" >/dev/null
}

# mon_start FILE [tfctl options]: a tfctl monitor writing to FILE, returned
# once it demonstrably receives events (a busy host can take its time to
# subscribe). It pings with a throw-away group; mon_stop ends it.
mon_start() {
	local file=$1 n=0
	shift
	tfctl "$@" monitor > "$file" &
	mon_pid=$!
	while [ ! -s "$file" ]; do
		[ $n -lt 100 ] || die "monitor never received an event"
		tfctl group add mon-ping tier background
		tfctl group del mon-ping
		sleep 0.1
		n=$((n + 1))
	done
}

mon_stop() {
	sleep 0.3
	kill "$mon_pid" 2>/dev/null || true
	wait "$mon_pid" 2>/dev/null || true
}

# broker_start: a mosquitto broker on 127.0.0.1:1883 as root (the guest has
# no mosquitto user), returned once it takes a publish; its pid in $broker.
broker_start() {
	local n=0
	printf 'listener 1883 127.0.0.1\nallow_anonymous true\nuser root\n' > /tmp/mosq.conf
	mosquitto -c /tmp/mosq.conf > /tmp/mosq.log 2>&1 &
	broker=$!
	until mosquitto_pub -h 127.0.0.1 -t probe -m x 2>/dev/null; do
		[ $n -lt 100 ] || die "broker did not start: $(cat /tmp/mosq.log)"
		sleep 0.1
		n=$((n + 1))
	done
}
