#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian 13 (trixie)'s 6.12 headers, and the tools to build a module against
# them, unpacked under a cache directory, on this Debian 12 machine, with
# nothing installed and no apt source added: apt-get runs on a private
# sources list and state directory (trixie main only), downloads, and
# dpkg-deb -x unpacks. Prints the KDIR to build with and, on a second
# line, the CC to build with.
#
# Why not apt install: trixie's linux-kbuild needs libc6 ≥ 2.38 (bookworm
# has 2.36) and its Makefile calls gcc-14. So the kbuild tools that need
# glibc 2.38 (modpost, objtool, resolve_btfids) and gcc-14 (driver and
# cc1) run under trixie's own ld.so and libc from the same cache, through
# small wrapper scripts; everything else is bookworm's (binutils, make).
# FLAVOUR=rt-amd64 fetches the rt headers. The kernel image of that release
# goes where tests/vm/kernel.sh finds it ($TF_CACHE/vm/vmlinuz-KVER), so
# the VM harness boots it (tests/pkg/kmatrix.sh).
set -euo pipefail

cache=${TF_CACHE:-/var/cache/tokenfactory}/trixie
flavour=${FLAVOUR:-amd64}
mkdir -p "$cache"/{etc,lists/partial,archives/partial,debs}
cd "$cache"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
	> etc/sources.list
apt_opts=(-o "Dir::Etc::SourceList=$cache/etc/sources.list" -o "Dir::Etc::SourceParts=$cache/etc"
	-o "Dir::State::Lists=$cache/lists" -o "Dir::Cache::Archives=$cache/archives"
	-o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$cache/etc"
	-o "APT::Sandbox::User=root")
[ -n "$(ls lists/*Packages* 2>/dev/null)" ] || apt-get "${apt_opts[@]}" update -qq >&2

# the newest 6.12 ABI of that flavour
abi=$(apt-cache "${apt_opts[@]}" search "^linux-headers-6\.12\..*-$flavour\$" 2>/dev/null |
	sed -n "s/^linux-headers-\(6\.12\.[^ -]*\)-$flavour .*/\1/p" | sort -V | tail -n 1)
[ -n "$abi" ] || { echo "trixie-headers: no linux-headers-6.12.*-$flavour" >&2; exit 1; }
common=linux-headers-$abi-common
[ "$flavour" = rt-amd64 ] && common=linux-headers-$abi-common-rt
pkgs=(linux-headers-$abi-$flavour "$common" linux-kbuild-$abi
	libc6 libelf1t64 zlib1g libzstd1
	gcc-14 gcc-14-x86-64-linux-gnu cpp-14 cpp-14-x86-64-linux-gnu libgcc-14-dev
	gcc-14-base libgmp10 libisl23 libmpc3 libmpfr6 libstdc++6 libgcc-s1)
root=$cache/root
kdir=$root/usr/src/linux-headers-$abi-$flavour
if [ ! -e "$kdir/.tf-ready" ]; then
	(cd debs && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >&2)
	mkdir -p "$root"
	for d in debs/*.deb; do
		dpkg-deb -x "$d" "$root"
	done
	# a flavour's Makefile includes the common one by absolute path (every
	# flavour's: unpacking again restored the others)
	sed -i "s#^include /usr/src/#include $root/usr/src/#" "$root"/usr/src/linux-headers-*/Makefile
	wrap() {	# a trixie binary under trixie's libc
		[ -e "$1.bin" ] || mv "$1" "$1.bin"
		printf '#!/bin/sh\nexec %s --library-path %s "$0.bin" "$@"\n' \
			"$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
			"$root/usr/lib/x86_64-linux-gnu" > "$1"
		chmod +x "$1"
	}
	kb=$root/usr/lib/linux-kbuild-$abi
	for f in "$kb"/scripts/mod/modpost.real-* "$kb"/tools/objtool/objtool.real-* \
		"$kb"/tools/bpf/resolve_btfids/resolve_btfids \
		"$root/usr/bin/x86_64-linux-gnu-gcc-14" "$root"/usr/libexec/gcc/x86_64-linux-gnu/14/cc1; do
		case $f in *.bin) continue ;; esac
		[ -f "$f" ] && wrap "$f"
	done
	touch "$kdir/.tf-ready"
fi
kver=$abi-$flavour
img=${TF_CACHE:-/var/cache/tokenfactory}/vm/vmlinuz-$kver
if [ ! -e "$img" ]; then
	rm -rf img && mkdir -p img "$(dirname "$img")"
	(cd img && apt-get "${apt_opts[@]}" download "linux-image-$kver-unsigned" >&2 &&
		dpkg-deb --fsys-tarfile linux-image-*.deb | tar -x "./boot/vmlinuz-$kver")
	mv "img/boot/vmlinuz-$kver" "$img"
	rm -rf img
fi
echo "$kdir"
echo "$root/usr/bin/x86_64-linux-gnu-gcc-14"
