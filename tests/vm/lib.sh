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

# jcheck JSON JQ-EXPR: the jq filter must print true for the document.
jcheck() {
	[ "$(printf '%s' "$1" | jq -e "$2" 2>&1)" = true ] ||
		die "JSON check '$2' failed on: $1"
}
