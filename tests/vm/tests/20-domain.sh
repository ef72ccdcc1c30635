# SPDX-License-Identifier: GPL-2.0
# Domains: the host and the package the estimate meter covers; energy only
# grows, the host is the sum of its parts, caps round-trip.
. /tests/lib.sh

sleep 0.3	# one sampling period after insmod, at least
tfctl domain
j=$(tfctl -j domain)
jcheck "$j" '[.domains[].name] == ["host", "package-0"]'
jcheck "$j" '.domains[1] | .type == "package" and .meter == "estimate" and .estimated'
jcheck "$j" '.domains[0] | .type == "host" and .estimated'
# the estimate of an idle package: at least est_idle_watts (10 W), at most
# est_max_watts; power is energy (whole µJ) over the window, so an idle
# package can read a µW short of 10 W (seen: 9999999)
jcheck "$j" '.domains[1].power_uw >= 9999000 and .domains[1].power_uw <= 65000000'
jcheck "$j" '.domains[1].max_power_uw == 65000000'
# the host is the sum of every other domain, exactly
jcheck "$j" '.domains[0].energy_uj == ([.domains[1:][].energy_uj] | add)'

# energy never goes backwards, and grows while time passes
prev=0
for i in 1 2 3 4 5; do
	e=$(dom package-0 energy_uj)
	[ "$e" -ge "$prev" ] || die "energy went backwards: $prev -> $e"
	prev=$e
	sleep 0.2
done
[ "$prev" -gt 0 ] || die "no energy metered"

# a busy CPU raises the estimate: energy over two seconds, idle then busy
# (10 W idle, 65 W busy for 2 CPUs: one busy CPU adds 27.5 W)
e0=$(dom package-0 energy_uj)
sleep 2
e1=$(dom package-0 energy_uj)
( while :; do :; done ) &
spin=$!
sleep 2
e2=$(dom package-0 energy_uj)
kill $spin
idle_j=$(((e1 - e0) / 1000000))
busy_j=$(((e2 - e1) / 1000000))
echo "estimate over 2 s: idle $idle_j J, one CPU busy $busy_j J"
[ "$busy_j" -ge $((idle_j + 20)) ] || die "busy CPU not seen by the estimate"

# caps round-trip; 0 removes
tfctl domain set package-0 cap 40W failsafe 20W
expect_eq "cap" "$(dom package-0 cap_uw)" 40000000
expect_eq "failsafe cap" "$(dom package-0 failsafe_cap_uw)" 20000000
tfctl domain set host cap 1.5kW
expect_eq "host cap" "$(dom host cap_uw)" 1500000000
tfctl domain set host cap 0
tfctl domain set package-0 cap 0 failsafe 32.5W
expect_eq "cap removed" "$(dom package-0 cap_uw)" 0

# the GPU domains are the agent's: created by its first push, checked after
tfctl domain push gpu-0 energy 1000J max 700W
tfctl domain push gpu-0 energy 1001J power 350W
expect_eq "gpu type" "$(dom gpu-0 type)" gpu
expect_eq "gpu meter" "$(dom gpu-0 meter)" pushed
expect_eq "gpu energy (from its first push)" "$(dom gpu-0 energy_uj)" 1000000
expect_eq "gpu power" "$(dom gpu-0 power_uw)" 350000000
tfctl domain set gpu-0 cap 300W
expect_eq "gpu cap is the agent's to apply" "$(dom gpu-0 cap_state)" agent
rejects=$(tfctl -j status | jq .push_rejects)
set +e
out=$(tfctl domain push gpu-0 energy 900J 2>&1); rc=$?
set -e
expect_eq "backwards push exit" $rc 1
echo "$out" | grep -q 'counter went backwards' || die "backwards push: $out"
set +e
out=$(tfctl domain push gpu-0 energy 100kJ 2>&1); rc=$?
set -e
expect_eq "jump push exit" $rc 1
echo "$out" | grep -q 'faster than max power' || die "jump push: $out"
expect_eq "rejections counted" "$(tfctl -j status | jq .push_rejects)" $((rejects + 2))
expect_eq "energy unchanged by rejected pushes" "$(dom gpu-0 energy_uj)" 1000000
# the host now includes the GPU
j=$(tfctl -j domain)
jcheck "$j" '.domains[0].energy_uj == ([.domains[1:][].energy_uj] | add)'
