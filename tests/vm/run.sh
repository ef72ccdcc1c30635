#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM layer: boots Debian's kernel (the release the module was built
# against) under qemu with a busybox initramfs that carries the module,
# tfctl, the agent and the tests; tests/vm/init runs the whole suite in one
# boot. Prints PASS:/FAIL: per test. Any failing test, kernel oops or WARN
# (panic_on_warn=1), missing success token or timeout fails.
#
# Environment: KDIR (headers the module was built with), T (only tests whose
# name contains T), TF_VM_ACCEL (tcg|kvm|auto, default auto: KVM only if a
# quick probe boots), TF_VM_APPEND (more kernel parameters, e.g. tf.fuzz_n=N
# for 92-fuzz), TF_VM_SUITE (tests, the default, or bench: the
# directory under tests/vm/ whose scripts run), TF_VM_TIMEOUT (s, default 600), TF_VM_KEEP=1 keeps the
# work directory, TF_VM_LIVE=1 (the guest's progress lines as they come),
# TF_VM_FILES (a directory copied to /demo), TF_VM_RESULT_OUT (a copy of the
# result port's lines), TF_VM_MODULE (the tokenfactory.ko to insert, default the
# one make module built; tests/pkg/dkms.sh passes the DKMS-built one).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
B=$top/build
cache=${TF_CACHE:-/var/cache/tokenfactory}/vm
timeout_s=${TF_VM_TIMEOUT:-600}

fail() {
	echo "FAIL: vm/$1"
	exit 0
}

[ -n "${KDIR:-}" ] && [ -r "$KDIR/include/generated/utsrelease.h" ] ||
	fail "setup (no kernel headers at KDIR='${KDIR:-}': make deps)"
kver=$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$KDIR/include/generated/utsrelease.h")
ko=${TF_VM_MODULE:-$top/tokenfactory.ko}
[ -r "$ko" ] || fail "setup (no $ko: make module)"
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null || true)
[ "${vermagic%% *}" = "$kver" ] ||
	fail "setup ($ko is for '${vermagic%% *}', not $kver: make module)"
kernel=$("$top/tests/vm/kernel.sh" "$kver") || fail "setup (no kernel image for $kver)"

work=$(mktemp -d /tmp/tf-vm.XXXXXX)
[ "${TF_VM_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
root=$work/root

# Copies an executable and the shared libraries it needs into the guest.
copy_exe() {	# src [dst]
	local src=$1 dst=${2:-$1} lib
	install -D -m 0755 "$src" "$root$dst"
	for lib in $(ldd "$src" 2>/dev/null | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}

build_initramfs() {	# out init [extra...]
	local out=$1 init=$2 a
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,tests,etc,root}
	install -m 0755 /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	install -m 0755 "$init" "$root/init"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
	shift 2
	"$@"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
}

add_suite() {
	install -m 0644 "$ko" "$root/tokenfactory.ko"
	copy_exe "$B/tfctl" /usr/bin/tfctl
	copy_exe "$B/tokenfactoryd" /usr/sbin/tokenfactoryd
	copy_exe "$B/tests/vm/tf-nlraw" /usr/bin/tf-nlraw
	copy_exe "$B/tests/vm/tf-nlfuzz" /usr/bin/tf-nlfuzz
	# the protocol, for tests that walk its commands (60-unpriv)
	install -m 0644 "$top/include/uapi/linux/tokenfactory.h" "$root/tests/tokenfactory.h"
	copy_exe "$B/tests/bench/tf-nlbench" /usr/bin/tf-nlbench
	copy_exe "$B/tests/vm/tf-spin" /usr/bin/tf-spin
	# the TEST DOUBLE of NVML, for tokenfactoryd's GPU path (no GPU here)
	copy_exe "$B/tests/nvml-double/libnvidia-ml.so.1" /usr/lib/tf-test/libnvidia-ml.so.1
	copy_exe "$B/tests/vm/tf-sensor-check" /usr/bin/tf-sensor-check
	copy_exe "$(command -v jq)" /usr/bin/jq
	copy_exe "$(command -v powercap-info)" /usr/bin/powercap-info
	# a real MQTT broker and client for tokenfactoryd's signal
	copy_exe "$(command -v mosquitto)" /usr/sbin/mosquitto
	copy_exe "$(command -v mosquitto_pub)" /usr/bin/mosquitto_pub
	copy_exe "$B/tests/vm/tf-latency" /usr/bin/tf-latency
	# glibc dlopens libgcc_s for pthread_cancel and unwinding: no ldd shows it
	lib=$(readlink -f /lib/x86_64-linux-gnu/libgcc_s.so.1)
	install -D -m 0644 "$lib" "$root/lib/x86_64-linux-gnu/libgcc_s.so.1"
	# the demo's workers and clock, and its data (TF_VM_FILES: a directory
	# copied to /demo)
	if [ "${TF_VM_SUITE:-tests}" = demo ]; then
		copy_exe "$B/tests/demo/tf-worker" /usr/bin/tf-worker
		copy_exe "$B/tests/demo/tf-loadgen" /usr/bin/tf-loadgen
		install -m 0644 "$top/tests/demo/day.sh" "$root/tests/day.sh"
		# tzdata for the agent's local day
		mkdir -p "$root/usr/share/zoneinfo/America"
		cp /usr/share/zoneinfo/America/Los_Angeles "$root/usr/share/zoneinfo/America/"
	fi
	if [ -n "${TF_VM_FILES:-}" ]; then
		mkdir -p "$root/demo"
		cp -r "$TF_VM_FILES"/. "$root/demo/"
	fi
	copy_exe "$B/tests/bench/tf-agent-bench" /usr/bin/tf-agent-bench
	install -m 0644 "$top/tests/vm/lib.sh" "$root/tests/lib.sh"
	install -m 0644 "$top"/tests/vm/"${TF_VM_SUITE:-tests}"/[0-9]*.sh "$root/tests/"
}

# tsc=reliable: under TCG every vCPU reads the same host-derived TSC, but the
# guest's sync check fails, marks the TSC unstable and runs the scheduler on
# the unstable sched_clock path (kernel/sched/clock.c, clamped to tick
# windows), where per-task CPU times around idle injection come out wrong:
# with 50 % idle injected (measured by ktime in the injecting thread), busy
# loops showed 59 % in /proc/PID/stat. With tsc=reliable the two agree.
qemu() {	# accel initramfs console result append timeout
	local cpu=max
	[ "$1" = kvm ] && cpu=host
	timeout "$6" qemu-system-x86_64 -accel "$1" -cpu "$cpu" -smp 2 -m 1024 \
		-nodefaults -display none -no-reboot \
		-kernel "$kernel" -initrd "$2" \
		-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=1 loglevel=7 tsc=reliable $5" \
		-serial "file:$3" -serial "file:$4" </dev/null
}

# KVM only when it demonstrably boots this kernel to userspace (here it hangs).
pick_accel() {
	local want=${TF_VM_ACCEL:-auto} probe=$cache/kvm-$kver
	if [ "$want" != auto ]; then
		echo "$want"
		return
	fi
	if [ ! -w /dev/kvm ]; then
		echo tcg
		return
	fi
	if [ ! -e "$probe" ]; then
		mkdir -p "$cache"
		printf '#!/bin/sh\necho TF-KVM-OK > /dev/ttyS1\npoweroff -f\n' > "$work/probe-init"
		build_initramfs "$work/probe.gz" "$work/probe-init" true
		if qemu kvm "$work/probe.gz" "$work/probe.log" "$work/probe.res" "" 20 >/dev/null 2>&1 &&
			grep -q TF-KVM-OK "$work/probe.res"; then
			echo kvm > "$probe"
		else
			echo tcg > "$probe"
		fi
	fi
	cat "$probe"
}

accel=$(pick_accel)
build_initramfs "$work/initramfs.gz" "$top/tests/vm/init" add_suite
echo "    booting $(basename "$kernel") ($accel) with ${TF_VM_MODULE:-tokenfactory.ko}${T:+, tests matching '$T'}"
start=$(date +%s)
rc=0
# TF_VM_LIVE=1: the guest's "DEMO:" and progress lines as they come
live=
if [ "${TF_VM_LIVE:-0}" = 1 ]; then
	: > "$work/console.log"
	tail -F -n +1 "$work/console.log" 2>/dev/null |
		grep --line-buffered -aE '^(DEMO:|  hour |FAIL:)' | sed -u 's/^DEMO: /  /' &
	live=$!
fi
qemu "$accel" "$work/initramfs.gz" "$work/console.log" "$work/result" \
	"${T:+tf.only=$T} ${TF_VM_APPEND:-}" "$timeout_s" || rc=$?
if [ -n "$live" ]; then
	sleep 0.5
	pkill -f "tail -F -n \+1 $work/console.log" 2>/dev/null || true
	wait "$live" 2>/dev/null || true
fi
echo "    guest ran $(($(date +%s) - start)) s"

tr -d '\r' < "$work/result" > "$work/result.txt" || true
# TF_VM_RESULT_OUT: the result port's lines, for callers that ship data on it
[ -z "${TF_VM_RESULT_OUT:-}" ] || cp "$work/result.txt" "$TF_VM_RESULT_OUT"
tr -d '\r' < "$work/console.log" > "$work/console.txt" || true
# Test output: what the guest printed before its dmesg dump, less kernel log.
sed -n '/^=== dmesg$/q; /^\[ *[0-9]*\.[0-9]*\]/d; p' "$work/console.txt" | sed 's/^/    /'
sed -nE 's/^ok (.*)/PASS: vm\/\1/p; s/^not-ok (.*)/FAIL: vm\/\1/p' "$work/result.txt"
if ! grep -q '^TF-VM-SUCCESS$' "$work/result.txt"; then
	[ $rc -eq 124 ] && why="timeout after $timeout_s s" || why="no success token, qemu exit $rc"
	grep -q '^not-ok ' "$work/result.txt" || echo "FAIL: vm/suite ($why)"
	echo "    ---- guest console (kernel log and test output) ----"
	sed 's/^/    | /' "$work/console.txt" | tail -n 300
fi
