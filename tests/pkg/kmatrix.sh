#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel matrix: tokenfactory.ko built, warning-free at W=1, from a
# copy of its DKMS source (Kbuild, kmod/, include/) against each kernel's
# headers: Debian 12's 6.1 generic and rt (installed by make deps
# VM_KERNEL=rt), and Debian 13's 6.12 generic and rt unpacked by
# tests/pkg/trixie-headers.sh (with gcc-14, as Debian builds 6.12). Each
# result must carry that kernel's vermagic. The 6.12 generic module then
# boots in the VM harness on Debian 13's own 6.12 kernel (T=status:
# insert, tfctl status, remove, no WARN). TF_PKG_TRIXIE=0 skips 6.12.
#
# 6.12 is built without module BTF: bookworm's pahole (1.24) lacks the
# --btf_features option 6.12's Makefile.modfinal passes.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

rm -rf "$B/kmatrix"
tmp=$(mktemp -d /tmp/tf-kmatrix.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

build() {	# build NAME KDIR [make args...]
	local name=$1 kdir=$2 src=$tmp/$1 kver out vm
	shift 2
	kver=$(tf_kver "$kdir")
	[ -n "$kver" ] || { fail "kmatrix/$name" "no headers at $kdir"; return; }
	mkdir -p "$src/include/uapi/linux"
	cp -a "$top/Kbuild" "$top/kmod" "$src/"
	cp "$top/include/uapi/linux/tokenfactory.h" "$src/include/uapi/linux/"
	rm -f "$src"/kmod/*.o "$src"/kmod/.*.cmd
	if ! out=$(make -C "$kdir" M="$src" W=1 -j2 "$@" modules 2>&1); then
		fail "kmatrix/$name" "$kver: build failed"
		printf '%s\n' "$out" | grep -E 'error|warning' | head -n 20 | sed 's/^/    /'
		return
	fi
	if grep -E 'warning:' <<<"$out" | sed 's/^/    /' | grep .; then
		fail "kmatrix/$name" "$kver: warnings"
		return
	fi
	vm=$(modinfo -F vermagic "$src/tokenfactory.ko")
	if [ "${vm%% *}" = "$kver" ]; then
		pass "kmatrix/$name"
		echo "    $kver: $vm"
		install -D -m 0644 "$src/tokenfactory.ko" "$B/kmatrix/$name/tokenfactory.ko"
	else
		fail "kmatrix/$name" "vermagic '$vm', not $kver"
	fi
}

newest() {	# newest FLAVOUR: Debian 12's installed headers (6.1.0-N-FLAVOUR)
	ls -d /usr/src/linux-headers-6.1.* 2>/dev/null |
		grep -E -- "^/usr/src/linux-headers-6\.1\.[0-9]+-[0-9]+-$1\$" | sort -V | tail -n 1
}

k=$(newest amd64)
[ -n "$k" ] && build 6.1-generic "$k" || fail kmatrix/6.1-generic "no linux-headers-6.1.*-amd64: make deps"
k=$(newest rt-amd64)
[ -n "$k" ] && build 6.1-rt "$k" || fail kmatrix/6.1-rt "no linux-headers-6.1.*-rt-amd64: make deps VM_KERNEL=rt"

[ "${TF_PKG_TRIXIE:-1}" = 0 ] && exit 0
for flavour in amd64 rt-amd64; do
	name=6.12-${flavour%-amd64}
	[ "$flavour" = amd64 ] && name=6.12-generic
	if ! t=$(FLAVOUR=$flavour "$top/tests/pkg/trixie-headers.sh" 2>"$tmp/fetch.log"); then
		fail "kmatrix/$name" "trixie headers: $(tail -n 1 "$tmp/fetch.log")"
		continue
	fi
	build "$name" "$(sed -n 1p <<<"$t")" CC="$(sed -n 2p <<<"$t")" CONFIG_DEBUG_INFO_BTF_MODULES=
	if [ $flavour = amd64 ] && [ -r "$B/kmatrix/$name/tokenfactory.ko" ]; then
		KDIR=$(sed -n 1p <<<"$t") TF_VM_MODULE=$B/kmatrix/$name/tokenfactory.ko T=status \
			"$top/tests/vm/run.sh" | sed -E "s#^(PASS|FAIL): vm/#\1: pkg/kmatrix/$name-vm-#"
	fi
done
