#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages: built (make deb's packaging/build-deb.sh), lintian
# clean at warning level (the info tags left are overridden with their
# reasons in packaging/debian/*.lintian-overrides), files where Debian and
# systemd look for them, and a whole install, reinstall, remove and purge
# with dpkg --root in a scratch root: busybox for the maintainer scripts'
# shell, and stand-ins for dkms that log how the scripts call it (the real
# dkms run is tests/pkg/dkms.sh). The packaged unit passes
# systemd-analyze verify against the packaged binaries, and its exposure
# score is printed (docs/rollout.md records it).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

ver=$(tf_version)
out=$B/deb
tf_deb=$out/tokenfactory_${ver}_amd64.deb
dkms_deb=$out/tokenfactory-dkms_${ver}_all.deb

if [ "$(id -u)" != 0 ]; then
	fail deb "needs root: dpkg --root installs with root's ownership"
	exit 0
fi
for c in dpkg-buildpackage dh dh_dkms lintian systemd-analyze; do
	command -v $c >/dev/null || { fail deb "no $c: make deps"; exit 0; }
done

if log=$("$top/packaging/build-deb.sh" "$out" 2>&1) && [ -r "$tf_deb" ] && [ -r "$dkms_deb" ]; then
	pass deb/build
	printf '%s\n' "$log" | grep '^build-deb:' | sed 's/^/    /'
else
	fail deb/build "packaging/build-deb.sh"
	printf '%s\n' "$log" | tail -n 30 | sed 's/^/    /'
	exit 0
fi

# lintian refuses nothing as root but says so; --fail-on: errors and warnings
check deb/lintian lintian --fail-on error,warning "$out/tokenfactory_${ver}_amd64.changes"

# ---- what goes where --------------------------------------------------------
has_files() {	# has_files DEB PATH...
	local deb=$1 list p missing=
	shift
	list=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\.##')
	for p in "$@"; do
		grep -qxF "$p" <<<"$list" || missing+=" $p"
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}
check deb/files-tokenfactory has_files "$tf_deb" \
	/usr/sbin/tokenfactoryd /usr/sbin/tfctl /usr/bin/tf-caiso /usr/bin/tf-site-publish \
	/etc/tokenfactory/tokenfactoryd.conf \
	/lib/systemd/system/tokenfactoryd.service /lib/systemd/system/tokenfactory.slice \
	/lib/systemd/system/tokenfactory-interactive.slice \
	/lib/systemd/system/tokenfactory-batch.slice \
	/lib/systemd/system/tokenfactory-background.slice \
	/lib/modprobe.d/tokenfactory.conf /usr/lib/modules-load.d/tokenfactory.conf \
	/usr/share/bash-completion/completions/tfctl \
	/usr/share/man/man8/tfctl.8.gz /usr/share/man/man1/tf-caiso.1.gz \
	/usr/share/man/man1/tf-site-publish.1.gz \
	/usr/share/doc/tokenfactory/copyright /usr/share/doc/tokenfactory/rollout.md.gz \
	/usr/share/doc/tokenfactory/examples/systemd/nvidia.conf
check deb/files-dkms has_files "$dkms_deb" \
	/usr/src/tokenfactory-$ver/dkms.conf /usr/src/tokenfactory-$ver/Kbuild \
	/usr/src/tokenfactory-$ver/kmod/main.c /usr/src/tokenfactory-$ver/kmod/compat.h \
	/usr/src/tokenfactory-$ver/include/uapi/linux/tokenfactory.h

# the one conffile, and nothing of the repository's build outside its place
conffiles() {
	local c
	c=$(dpkg-deb -I "$tf_deb" conffiles)
	[ "$c" = /etc/tokenfactory/tokenfactoryd.conf ] || { echo "conffiles: $c"; return 1; }
}
check deb/conffiles conffiles
relations() {
	local d
	d=$(dpkg-deb -f "$tf_deb" Depends)
	grep -q "tokenfactory-dkms (= $ver)" <<<"$d" || { echo "tokenfactory Depends: $d"; return 1; }
	d=$(dpkg-deb -f "$dkms_deb" Depends)
	grep -qw dkms <<<"$d" || { echo "tokenfactory-dkms Depends: $d"; return 1; }
	[ "$(dpkg-deb -f "$dkms_deb" Architecture)" = all ] || { echo "dkms package not arch all"; return 1; }
}
check deb/relations relations

# ---- install into a scratch root ---------------------------------------------
R=$(mktemp -d /tmp/tf-debroot.XXXXXX)
[ -n "${TF_PKG_KEEP:-}" ] || trap 'rm -rf "$R"' EXIT
mkdir -p "$R"/var/lib/dpkg/{info,updates,triggers} "$R"/{bin,sbin,tmp} \
	"$R"/usr/{bin,sbin,lib/dkms}
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
install -m 0755 /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do
	[ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done
# stand-ins: dkms's postinst helper and dkms itself log their arguments
cat > "$R/usr/lib/dkms/common.postinst" <<'STUB'
#!/bin/sh
echo "common.postinst $*" >> /dkms.log
STUB
cat > "$R/usr/sbin/dkms" <<'STUB'
#!/bin/sh
echo "dkms $*" >> /dkms.log
[ "$1" = status ] && [ -e /dkms.added ] && echo "tokenfactory/x: added"
exit 0
STUB
chmod +x "$R/usr/lib/dkms/common.postinst" "$R/usr/sbin/dkms"
touch "$R/dkms.added"
# dpkg wants these on PATH (inside the root for its scripts)
for p in ldconfig start-stop-daemon; do
	printf '#!/bin/sh\nexit 0\n' > "$R/sbin/$p"
	chmod +x "$R/sbin/$p"
done

dpkg_r() {
	PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg --root="$R" --force-depends "$@"
}
check deb/install dpkg_r -i "$dkms_deb" "$tf_deb"
status_ok() {
	local s
	for p in tokenfactory tokenfactory-dkms; do
		s=$(dpkg-query --root="$R" -W -f='${db:Status-Status}' $p)
		[ "$s" = installed ] || { echo "$p: $s"; return 1; }
	done
}
check deb/installed status_ok
postinst_called() {
	grep -q "^common.postinst tokenfactory $ver /usr/share/tokenfactory-dkms" "$R/dkms.log" ||
		{ cat "$R/dkms.log"; return 1; }
}
check deb/dkms-postinst postinst_called
registered() {
	dpkg-query --root="$R" -W -f='${Conffiles}\n' tokenfactory |
		grep -q '^ /etc/tokenfactory/tokenfactoryd.conf [0-9a-f]\{32\}$'
}
check deb/conffile-registered registered
# the package's programs run (on this machine's libraries)
check deb/tfctl-runs "$R/usr/sbin/tfctl" --help
check deb/tokenfactoryd-runs "$R/usr/sbin/tokenfactoryd" --help
check deb/dkms-conf grep -qx "PACKAGE_VERSION=\"$ver\"" "$R/usr/src/tokenfactory-$ver/dkms.conf"
man_ok() {
	local m
	ls "$R"/usr/share/man/man*/*.gz >/dev/null || return 1
	for m in "$R"/usr/share/man/man*/*.gz; do
		zcat "$m" | LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z 2>&1 | grep . && return 1
	done
	return 0
}
check deb/man-pages man_ok

# The packaged unit against the packaged binaries: the host's own units
# (sysinit.target, ...) and the two host programs the unit runs.
unit_verify() {
	local v=$R/verify
	mkdir -p "$v/lib/systemd/system" "$v/bin" "$v/sbin"
	cp -a /lib/systemd/system/. "$v/lib/systemd/system/"
	cp -L /bin/kill "$v/bin/kill"
	cp -L /sbin/modprobe "$v/sbin/modprobe"
	dpkg-deb -x "$tf_deb" "$v"
	(cd "$v" && systemd-analyze verify --root="$v" --man=no \
		lib/systemd/system/tokenfactoryd.service lib/systemd/system/tokenfactory*.slice 2>&1) |
		grep . && return 1
	return 0
}
check deb/unit-verify unit_verify
echo "    $(systemd-analyze security --offline=yes --root="$R/verify" tokenfactoryd.service 2>&1 | tail -n 1)"

# ---- reinstall keeps an edited conffile; remove and purge --------------------
echo '# edited by the site' >> "$R/etc/tokenfactory/tokenfactoryd.conf"
check deb/reinstall dpkg_r --force-confold -i "$tf_deb"
check deb/conffile-kept grep -q 'edited by the site' "$R/etc/tokenfactory/tokenfactoryd.conf"
removed() {
	dpkg_r --remove tokenfactory tokenfactory-dkms || return 1
	[ ! -e "$R/usr/sbin/tokenfactoryd" ] && [ ! -e "$R/usr/src/tokenfactory-$ver" ] &&
		[ -e "$R/etc/tokenfactory/tokenfactoryd.conf" ] &&
		grep -qx "dkms remove -m tokenfactory -v $ver --all" "$R/dkms.log"
}
check deb/remove removed
purged() {
	dpkg_r --purge tokenfactory tokenfactory-dkms || return 1
	[ ! -e "$R/etc/tokenfactory" ] && [ -z "$(dpkg-query --root="$R" -W 'tokenfactory*' 2>/dev/null)" ]
}
check deb/purge purged
