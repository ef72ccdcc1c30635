# SPDX-License-Identifier: GPL-2.0
# Sourced by the pkg layer's scripts: one "PASS: pkg/NAME" or
# "FAIL: pkg/NAME (why)" line per check, as tests/run.sh counts them.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$top/build

pass() {	# pass NAME
	echo "PASS: pkg/$1"
}

fail() {	# fail NAME WHY
	echo "FAIL: pkg/$1 ($2)"
}

# check NAME CMD...: PASS if CMD succeeds, else FAIL with its last line.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(printf '%s\n' "$out" | tail -n 1)"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
	fi
}

# The headers the module is built against: KDIR as the Makefile picks it
# (exported by make), else the newest Debian generic 6.x headers.
tf_kdir() {
	if [ -n "${KDIR:-}" ]; then
		echo "$KDIR"
		return
	fi
	ls -d /usr/src/linux-headers-*-amd64 2>/dev/null |
		grep -v -- '-cloud-amd64$' | grep -v -- '-rt-amd64$' | sort -V | tail -n 1
}

tf_kver() {	# tf_kver KDIR
	sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$1/include/generated/utsrelease.h" 2>/dev/null
}

# The upstream version: the module's TF_VERSION.
tf_version() {
	sed -n 's/^#define TF_VERSION "\(.*\)"/\1/p' "$top/kmod/tokenfactory.h"
}
