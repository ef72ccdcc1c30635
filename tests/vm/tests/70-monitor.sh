# SPDX-License-Identifier: GPL-2.0
# tfctl monitor sees each kind of event.
. /tests/lib.sh

mon_start /tmp/mon -j
tfctl domain set package-0 cap 45W
tfctl signal set surplus 10W ttl 200ms
tfctl heartbeat
sleep 0.5
tfctl domain set package-0 cap 0
mon_stop
cat /tmp/mon
has_event /tmp/mon '.event == "domain" and .name == "package-0" and .cap_uw == 45000000' || die "no cap event"
has_event /tmp/mon '.event == "signal" and .surplus_uw == 10000000 and (.stale | not)' || die "no signal event"
has_event /tmp/mon '.event == "signal" and .stale' || die "no stale event"
has_event /tmp/mon '.event == "failsafe" and .failsafe == false' || die "no fail-safe event"
has_event /tmp/mon '.event == "group" and .name == "mon-ping" and .deleted' || die "no group event"

mon_start /tmp/mon.txt
tfctl domain set package-0 cap 44W
mon_stop
cat /tmp/mon.txt
grep -q '^domain: package-0 cap 44.000 ' /tmp/mon.txt || die "text event"
tfctl domain set package-0 cap 0
