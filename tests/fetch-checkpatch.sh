#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Puts the kernel's checkpatch.pl (with the spelling and const-struct lists
# it reads) into DIR, from Debian's linux-source-6.1 package, once. Nothing
# of it is committed to this repository.
set -euo pipefail

dir=${1:?usage: fetch-checkpatch.sh DIR}
[ -x "$dir/checkpatch.pl" ] && exit 0
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
echo "  FETCH    checkpatch.pl from linux-source-6.1"
apt-get download linux-source-6.1 >/dev/null 2>&1 || {
	apt-get update -qq
	apt-get download linux-source-6.1 >/dev/null
}
dpkg-deb --fsys-tarfile linux-source-6.1_*.deb |
	tar -x --wildcards './usr/src/linux-source-6.1.tar.xz'
tar -xJf usr/src/linux-source-6.1.tar.xz --wildcards --strip-components=2 \
	'linux-source-6.1/scripts/checkpatch.pl' \
	'linux-source-6.1/scripts/spelling.txt' \
	'linux-source-6.1/scripts/const_structs.checkpatch'
install -m 0755 checkpatch.pl "$dir/checkpatch.pl.tmp"
install -m 0644 spelling.txt const_structs.checkpatch "$dir/"
mv "$dir/checkpatch.pl.tmp" "$dir/checkpatch.pl"
