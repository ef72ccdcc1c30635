#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prints the path of Debian's kernel image for release KVER (the release of
# the headers the module was built against). Uses /boot when that kernel is
# installed there; otherwise downloads its package once with apt-get and
# keeps only the image, in a cache outside the repository. Nothing is
# installed on the host.
set -euo pipefail

kver=${1:?usage: kernel.sh KVER}
cache=${TF_CACHE:-/var/cache/tokenfactory}/vm

if [ -r "/boot/vmlinuz-$kver" ]; then
	echo "/boot/vmlinuz-$kver"
	exit 0
fi
img=$cache/vmlinuz-$kver
if [ -r "$img" ]; then
	echo "$img"
	exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(
	cd "$tmp"
	apt-get download "linux-image-$kver" >/dev/null 2>&1 ||
		apt-get download "linux-image-$kver-unsigned" >/dev/null 2>&1 || {
		apt-get update -qq
		apt-get download "linux-image-$kver" >/dev/null
	}
	dpkg-deb --fsys-tarfile linux-image-*.deb |
		tar -x "./boot/vmlinuz-$kver"
) >&2
mv "$tmp/boot/vmlinuz-$kver" "$img.tmp"
mv "$img.tmp" "$img"
echo "$img"
