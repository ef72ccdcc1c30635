#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DKMS, as a host installing tokenfactory-dkms does it: the module's source
# (Kbuild, kmod/, include/, packaging/dkms.conf) under /usr/src, then
# `dkms add`, `dkms build -k KVER`, `dkms install -k KVER` for Debian's 6.1
# headers (KDIR). The installed module must carry KVER's vermagic, the
# module's version and the same srcversion as `make module` builds; then
# the VM suite boots KVER with exactly that module (TF_VM_MODULE, T=status
# unless TF_PKG_VM_T says otherwise). Everything is removed again at the
# end: dkms remove --all, /usr/src/tokenfactory-VERSION.
#
# The version is TF_VERSION+ci, so an installed tokenfactory-dkms package
# (TF_VERSION) is left alone.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	fail dkms "needs root: dkms installs under /usr/src and /lib/modules"
	exit 0
fi
command -v dkms >/dev/null || { fail dkms "no dkms: make deps"; exit 0; }
kdir=$(tf_kdir)
kver=$(tf_kver "$kdir")
[ -n "$kver" ] || { fail dkms "no kernel headers at KDIR='$kdir': make deps"; exit 0; }
ver="$(tf_version)+ci"
src=/usr/src/tokenfactory-$ver
out=$B/dkms/$kver

cleanup() {
	dkms remove -m tokenfactory -v "$ver" --all >/dev/null 2>&1
	rm -rf "$src"
}
cleanup
trap cleanup EXIT

# What the tokenfactory-dkms package ships (packaging/debian/rules does the
# same), with #MODULE_VERSION# filled in as dh_dkms does.
mkdir -p "$src"
cp -a "$top/Kbuild" "$top/kmod" "$src/"
install -D -m 0644 "$top/include/uapi/linux/tokenfactory.h" \
	"$src/include/uapi/linux/tokenfactory.h"
sed "s/#MODULE_VERSION#/$ver/" "$top/packaging/dkms.conf" > "$src/dkms.conf"
rm -f "$src"/kmod/*.o "$src"/kmod/.*.cmd

check dkms/add dkms add -m tokenfactory -v "$ver"
check dkms/build dkms build -m tokenfactory -v "$ver" -k "$kver" --kernelsourcedir "$kdir"
check dkms/install dkms install -m tokenfactory -v "$ver" -k "$kver" --kernelsourcedir "$kdir"
if dkms status -m tokenfactory -v "$ver" -k "$kver" | grep -q ': installed'; then
	pass dkms/status
else
	fail dkms/status "$(dkms status -m tokenfactory -v "$ver" -k "$kver")"
fi

# depmod found it where modprobe will look: updates/dkms wins over any
# other tokenfactory.ko for that kernel.
ko=$(modinfo -k "$kver" -F filename tokenfactory 2>/dev/null)
if [ "$ko" = "/lib/modules/$kver/updates/dkms/tokenfactory.ko" ]; then
	pass dkms/depmod
else
	fail dkms/depmod "modinfo -k $kver tokenfactory: '${ko:-not found}'"
	exit 0
fi
vermagic=$(modinfo -F vermagic "$ko")
if [ "${vermagic%% *}" = "$kver" ]; then
	pass dkms/vermagic
else
	fail dkms/vermagic "'$vermagic', not $kver"
fi
mver=$(modinfo -F version "$ko")
[ "$mver" = "$(tf_version)" ] && pass dkms/version || fail dkms/version "'$mver'"
# The same sources as make module: the same srcversion (where that built).
if [ -r "$top/tokenfactory.ko" ] &&
	[ "$(modinfo -F vermagic "$top/tokenfactory.ko" | cut -d' ' -f1)" = "$kver" ]; then
	a=$(modinfo -F srcversion "$ko")
	b=$(modinfo -F srcversion "$top/tokenfactory.ko")
	[ "$a" = "$b" ] && pass dkms/srcversion || fail dkms/srcversion "dkms $a, make module $b"
fi

# The VM suite loads this very file.
rm -rf "$out"
install -D -m 0644 "$ko" "$out/tokenfactory.ko"
TF_VM_MODULE=$out/tokenfactory.ko T=${TF_PKG_VM_T-status} KDIR=$kdir \
	"$top/tests/vm/run.sh" | sed -E 's#^(PASS|FAIL): vm/#\1: pkg/dkms/vm-#'
