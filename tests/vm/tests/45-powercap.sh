# SPDX-License-Identifier: GPL-2.0
# The "tokenfactory" powercap control type: one zone per domain under the
# host zone; energy that is the netlink counter; caps both ways; a GPU's zone
# on its first push; energy_uj for root only; rmmod under sysfs readers.
. /tests/lib.sh

pc=/sys/class/powercap

# zone NAME: the sysfs directory of the zone with that name
zone() {
	local d
	for d in $pc/tokenfactory:*; do
		[ "$(cat "$d/name")" = "$1" ] && { echo "$d"; return 0; }
	done
	return 1
}

as_nobody() {
	su -s /bin/sh nobody -c "$*"
}

[ -d $pc/tokenfactory ] || die "no control type at $pc/tokenfactory"
ls -l $pc | grep tokenfactory

# ---- layout: the host, the package under it ------------------------------
expect_eq "zone 0" "$(cat $pc/tokenfactory:0/name)" host
expect_eq "zone 0:0" "$(cat $pc/tokenfactory:0:0/name)" package-0
host=$(readlink -f $pc/tokenfactory:0)
pkg=$(readlink -f $pc/tokenfactory:0:0)
expect_eq "package-0 is a child of host" "$(dirname "$pkg")" "$host"
expect_eq "zones" "$(ls -d $pc/tokenfactory:* | wc -l)" 2

out=$(powercap-info tokenfactory)
echo "$out"
echo "$out" | grep -q 'name: host' || die "powercap-info: no host zone"
echo "$out" | grep -q 'name: package-0' || die "powercap-info: no package-0 zone"
echo "$out" | grep -q 'energy_uj: [0-9]' || die "powercap-info: no energy"
expect_eq "powercap-info zone 0:0 name" "$(powercap-info tokenfactory -z 0:0 -x)" package-0
e=$(powercap-info tokenfactory -z 0:0 -j)
[ "$e" -gt 0 ] || die "powercap-info energy of package-0: '$e'"
expect_eq "max_energy_range_uj (S64_MAX: the core prints %lld)" \
	"$(cat $pkg/max_energy_range_uj)" 9223372036854775807
expect_eq "constraint name" "$(cat $pkg/constraint_0_name)" long_term
expect_eq "time window = sampling period" "$(cat $pkg/constraint_0_time_window_us)" 100000
expect_eq "constraint max = max power" "$(cat $pkg/constraint_0_max_power_uw)" "$(dom package-0 max_power_uw)"
expect_eq "host max = sum of max" "$(cat $host/constraint_0_max_power_uw)" "$(dom host max_power_uw)"

# ---- energy: grows, and is the netlink counter ---------------------------
e1=$(cat $pkg/energy_uj)
sleep 0.5
e2=$(cat $pkg/energy_uj)
[ "$e2" -gt "$e1" ] || die "energy_uj did not grow: $e1 -> $e2"
# sysfs, netlink, sysfs: the netlink value lies between; both read one counter
for z in host package-0; do
	d=$(zone $z)
	i=0
	while [ $i -lt 5 ]; do
		a=$(cat "$d/energy_uj")
		n=$(dom $z energy_uj)
		b=$(cat "$d/energy_uj")
		[ "$a" -le "$n" ] && [ "$n" -le "$b" ] ||
			die "$z: sysfs $a, netlink $n, sysfs $b: not one counter"
		i=$((i + 1))
	done
	echo "$z: sysfs $a <= netlink $n <= sysfs $b"
done
# apart by no more than the domain can draw in the time between the reads
# plus one sampling period (100 ms), at its max power (uptime: 10 ms steps)
max=$(dom package-0 max_power_uw)
t0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
a=$(cat $pkg/energy_uj)
n=$(dom package-0 energy_uj)
t1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
bound=$((max / 100 * (t1 - t0 + 1 + 10)))
echo "sysfs $a, netlink $n: $((n - a)) uJ apart in $((t1 - t0))0 ms, bound $bound"
[ $((n - a)) -le $bound ] || die "sysfs and netlink energy too far apart"

# ---- caps: sysfs -> netlink, netlink -> sysfs ----------------------------
echo 30000000 > $pkg/constraint_0_power_limit_uw
expect_eq "sysfs limit is the cap" "$(dom package-0 cap_uw)" 30000000
expect_eq "sysfs reads it back" "$(cat $pkg/constraint_0_power_limit_uw)" 30000000
tfctl domain set package-0 cap 25W
expect_eq "netlink cap in sysfs" "$(cat $pkg/constraint_0_power_limit_uw)" 25000000
echo 1500000000 > $host/constraint_0_power_limit_uw
expect_eq "host cap" "$(dom host cap_uw)" 1500000000
echo 0 > $pkg/constraint_0_power_limit_uw
echo 0 > $host/constraint_0_power_limit_uw
expect_eq "0 removes the cap" "$(dom package-0 cap_uw)" 0
expect_eq "0 removes the host cap" "$(dom host cap_uw)" 0
# beyond TF_POWER_MAX_UW (1 MW), and the read-only window: refused
! echo 1000000000001 > $pkg/constraint_0_power_limit_uw 2>/dev/null ||
	die "a limit above 1 MW was accepted"
! echo 5000 > $pkg/constraint_0_time_window_us 2>/dev/null ||
	die "the time window was writable"
expect_eq "window unchanged" "$(cat $pkg/constraint_0_time_window_us)" 100000

# ---- a GPU domain gets its zone on its first push ------------------------
tfctl domain push gpu-0 energy 1000J max 700W
i=0
until gpu=$(zone gpu-0); do
	i=$((i + 1))
	[ $i -lt 50 ] || die "no zone for gpu-0 after 5 s"
	sleep 0.1
done
echo "gpu-0: $gpu"
expect_eq "gpu-0 is a child of host" "$(dirname "$(readlink -f "$gpu")")" "$host"
expect_eq "gpu max" "$(cat "$gpu/constraint_0_max_power_uw")" 700000000
expect_eq "gpu energy before its second push" "$(cat "$gpu/energy_uj")" 0
tfctl domain push gpu-0 energy 1001J power 350W
expect_eq "gpu energy" "$(cat "$gpu/energy_uj")" 1000000
echo 300000000 > "$gpu/constraint_0_power_limit_uw"
expect_eq "gpu cap" "$(dom gpu-0 cap_uw)" 300000000
expect_eq "gpu cap is the agent's" "$(dom gpu-0 cap_state)" agent
expect_eq "host max includes the gpu" "$(cat $host/constraint_0_max_power_uw)" "$(dom host max_power_uw)"
powercap-info tokenfactory -z 0:1 | grep -q 'name: gpu-0' || die "powercap-info: no gpu-0"

# ---- what an unprivileged user sees --------------------------------------
expect_eq "energy_uj mode" "$(stat -c %a $pkg/energy_uj)" 400
for f in name power_uw max_energy_range_uj enabled constraint_0_name \
	 constraint_0_power_limit_uw constraint_0_max_power_uw \
	 constraint_0_time_window_us; do
	as_nobody cat $pkg/$f >/dev/null || die "nobody cannot read $f"
done
as_nobody cat $pkg/energy_uj 2>/dev/null && die "nobody read energy_uj"
as_nobody "echo 1000000 > $pkg/constraint_0_power_limit_uw" 2>/dev/null &&
	die "nobody wrote a power limit"
expect_eq "cap untouched by nobody" "$(dom package-0 cap_uw)" 0
# world-readable power is the coarse, unprivileged figure: whole watts
p=$(as_nobody cat $pkg/power_uw)
expect_eq "power_uw in whole watts" $((p % 1000000)) 0
echo "as nobody:"
as_nobody powercap-info tokenfactory -z 0:0 || true

# ---- rmmod while readers and a writer loop over the zone files -----------
# (the loops must not stop at the first failed read: no set -e in them)
pids=
for i in 1 2; do
	( set +e; while :; do cat $pc/tokenfactory*/energy_uj \
		$pc/tokenfactory*/power_uw $pc/tokenfactory*/constraint_0_* \
		>/dev/null 2>&1; done ) &
	pids="$pids $!"
done
( set +e; while :; do echo 20000000 > $pkg/constraint_0_power_limit_uw; done ) 2>/dev/null &
pids="$pids $!"
( set +e; while :; do as_nobody cat $pc/tokenfactory*/power_uw >/dev/null 2>&1; done ) &
pids="$pids $!"
sleep 1
# three loads and unloads under the loops; each time a GPU zone whose
# registration may still be queued at rmmod
for i in 1 2 3; do
	[ $i -eq 1 ] || insmod /tokenfactory.ko
	sleep 0.3
	tfctl domain push gpu-$i energy 1J max 100W
	for p in $pids; do
		kill -0 $p || die "loop $p stopped before rmmod"
	done
	rmmod tokenfactory
	[ ! -e $pc/tokenfactory ] || die "control type left after rmmod"
done
sleep 0.5
for p in $pids; do
	kill -0 $p || die "loop $p stopped"
done
kill $pids
wait 2>/dev/null || true
echo "3 rmmods under $(echo $pids | wc -w) sysfs loops: ok"
