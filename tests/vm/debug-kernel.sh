#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The debug kernel for `make check-debug`: Debian's linux-source-6.1,
# configured from `make allnoconfig` with tests/vm/debug-base.config (what
# the VM suite needs: the machine, cgroup v2, BPF with BTF, the module's
# kernel interfaces) and tests/vm/debug.config on top (KASAN, UBSAN,
# lockdep, kmemleak, DEBUG_OBJECTS, ...). Built once per configuration: the
# cache key is a hash of both fragments, the source package's version and
# this script. Prints the build directory (the KDIR to build the module
# against) and puts the image where tests/vm/kernel.sh looks for it by
# release.
#
#   debug-kernel.sh              build if needed, print KDIR
#   debug-kernel.sh --config DIR unpack and configure in DIR only, assert
#                                that every fragment line survived, no build
#
# Environment: TF_CACHE (/var/cache/tokenfactory), TF_DEBUG_JOBS (make -j,
# default 2).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
base=$top/tests/vm/debug-base.config
frag=$top/tests/vm/debug.config
cache=${TF_CACHE:-/var/cache/tokenfactory}
jobs=${TF_DEBUG_JOBS:-2}
tarball=/usr/src/linux-source-6.1.tar.xz
# to configure and build the kernel; installed here, not by tests/deps.sh
PKGS=(linux-source-6.1 bison flex bc dwarves libssl-dev libelf-dev cpio rsync xz-utils)

log() {
	echo "  DEBUG-K  $*" >&2
}

need_pkgs() {
	local p missing=()

	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Every line of the fragments, set or "is not set", exactly in .config.
assert_config() {	# config
	local line bad=0

	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF -- "$line" "$1" || { log "lost: $line"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			if grep -q "^${line:2:-11}=" "$1"; then
				log "lost: $line ($(grep "^${line:2:-11}=" "$1"))"
				bad=1
			fi ;;
		esac
	done < <(cat "$base" "$frag")
	[ $bad -eq 0 ] || { log "the fragments did not survive olddefconfig"; return 1; }
	log "all $(cat "$base" "$frag" | grep -cE '^(CONFIG_|# CONFIG_)') fragment options in $1"
}

configure() {	# dir
	local dir=$1 src=$1/src out=$1/build

	mkdir -p "$src" "$out"
	if [ ! -e "$src/Makefile" ]; then
		log "unpacking $(basename "$tarball")"
		tar -xf "$tarball" -C "$src" --strip-components=1
	fi
	make -s -C "$src" O="$out" ARCH=x86_64 allnoconfig >/dev/null
	(cd "$out" && "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
		.config "$base" "$frag" >/dev/null)
	make -s -C "$src" O="$out" ARCH=x86_64 olddefconfig >/dev/null
	assert_config "$out/.config"
}

if [ "${1:-}" = --config ]; then
	[ -n "${2:-}" ] || { echo "usage: $0 --config DIR" >&2; exit 2; }
	need_pkgs
	configure "$2"
	exit 0
fi

need_pkgs
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$(cat "$base" "$frag" "$0" <(echo "$ver") | sha256sum | cut -c1-16)
dir=$cache/debug-kernel/$key
if [ -e "$dir/done" ]; then
	echo "$dir/build"
	exit 0
fi
log "building in $dir (linux-source-6.1 $ver, -j$jobs); log: $dir/build.log"
rm -rf "$dir"
configure "$dir"
start=$(date +%s)
# modules too: the few left, and Module.symvers for building ours against it
make -C "$dir/src" O="$dir/build" -j"$jobs" bzImage modules > "$dir/build.log" 2>&1 || {
	tail -n 40 "$dir/build.log" >&2
	log "build failed"
	exit 1
}
echo "$(($(date +%s) - start)) s with -j$jobs on $(nproc) CPUs" > "$dir/build-time"
kver=$(cat "$dir/build/include/config/kernel.release")
mkdir -p "$cache/vm"
cp "$dir/build/arch/x86/boot/bzImage" "$cache/vm/vmlinuz-$kver"
# the source tree stays: the module's build needs it (the build dir links to it)
touch "$dir/done"
log "built $kver in $(cat "$dir/build-time")"
echo "$dir/build"
