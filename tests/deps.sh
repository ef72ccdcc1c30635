#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs every build and test dependency with apt-get, idempotently:
# nothing is fetched when everything is already there.
set -euo pipefail

PKGS=(
	# build
	build-essential pkg-config clang llvm bpftool libbpf-dev libelf-dev
	zlib1g-dev libnl-3-dev libnl-genl-3-dev libjson-c-dev libinih-dev
	# signal sources (MQTT, HTTP), tokens scraped from workers (libcurl),
	# our /metrics (libmicrohttpd)
	libmosquitto-dev libcurl4-openssl-dev libmicrohttpd-dev
	# the module: Debian 12's 6.1 headers (generic, and rt for VM_KERNEL=rt)
	linux-headers-amd64
	# tests
	libcmocka-dev valgrind sparse jq
	# the parser fuzzers (tests/fuzz): clang's libFuzzer and sanitizer
	# runtimes, only recommended by clang, so not pulled in by it here
	libclang-rt-14-dev
	# the quota's local day: tzdata zones (America/Los_Angeles, Europe/Berlin)
	tzdata
	# /metrics: promtool check metrics, and a real Prometheus scraping it
	prometheus curl
	# the demo (tests/demo): the report's plot; a real MQTT broker for the
	# demo and test_sources (over TLS too: openssl makes its certificates)
	gnuplot-nox mosquitto mosquitto-clients openssl
	# the agent drops its capabilities after start-up (agent/privs.c)
	libcap-dev
	# bench-sensor: a context-switch load, and bpftrace to compare with
	linux-perf bpftrace
	# VM tests: qemu, a static busybox for the guest's init, cpio for its
	# initramfs; powercap-info reads the module's powercap zones in the guest
	qemu-system-x86 busybox-static cpio xz-utils powercap-utils
	# packaging (make deb, make check-pkg): DKMS, the Debian packages and
	# lintian, the Ansible role and its linter, the site publisher's broker
	dkms debhelper dh-dkms dpkg-dev fakeroot lintian ansible ansible-lint
	mosquitto mosquitto-clients
	# the kernel matrix (tests/pkg/kmatrix.sh) builds for 6.1 rt as well
	linux-headers-rt-amd64
)
if [ "${VM_KERNEL:-}" = rt ]; then
	PKGS+=(linux-headers-rt-amd64)
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "  DEPS     all installed"
	exit 0
fi
echo "  DEPS     installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
