#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the Debian packages tokenfactory and tokenfactory-dkms into OUT
# (default build/deb): a staging copy of the working tree (tracked and
# untracked, not ignored, files) with packaging/debian/ as its debian/,
# then dpkg-buildpackage -b. The repository's own top level stays as the
# brief fixes it; debian/ exists only in the staging copy.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$top/build/deb}" && cd "${1:-$top/build/deb}" && pwd)
ver=$(sed -n 's/^#define TF_VERSION "\(.*\)"/\1/p' "$top/kmod/tokenfactory.h")
deb_ver=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
if [ "${deb_ver%%-*}" != "$ver" ]; then
	echo "build-deb: packaging/debian/changelog is at $deb_ver, TF_VERSION is $ver" >&2
	exit 1
fi

stage=$out/tokenfactory-$ver
rm -rf "$stage" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mkdir -p "$stage"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	tar --null --no-recursion --ignore-failed-read -cf - -T -) |
	tar -xf - -C "$stage"
cp -a "$top/packaging/debian" "$stage/debian"

(cd "$stage" && dpkg-buildpackage -b --no-sign -j2)
ls "$out"/*.deb
