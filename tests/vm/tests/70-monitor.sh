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

# The module reloaded under a running monitor: the family and its "events"
# group get new ids and the old membership is gone. The monitor follows the
# controller's notifications, says so on stderr, and joins again: events
# after the reload still arrive.
tfctl -j monitor > /tmp/mon.re 2> /tmp/mon.re.err &
mon_pid=$!
n=0
while [ ! -s /tmp/mon.re ]; do
	[ $n -lt 100 ] || die "monitor never received an event"
	tfctl group add mon-ping tier background
	tfctl group del mon-ping
	sleep 0.1
	n=$((n + 1))
done
n=0
until rmmod tokenfactory 2>/dev/null; do
	[ $n -lt 100 ] || die "rmmod refused 100 times"
	sleep 0.05
	n=$((n + 1))
done
sleep 0.3
insmod /tokenfactory.ko failsafe_pct=100
n=0
until has_event /tmp/mon.re '.event == "domain" and .name == "package-0" and .cap_uw == 43000000'; do
	if [ $n -ge 50 ]; then
		cat /tmp/mon.re.err /tmp/mon.re
		die "no event after the module was reloaded"
	fi
	tfctl domain set package-0 cap 43W
	sleep 0.2
	n=$((n + 1))
done
kill -0 $mon_pid || die "monitor ended"
mon_stop
cat /tmp/mon.re.err
grep -q '^monitor: module unloaded' /tmp/mon.re.err || die "no line for the unload"
grep -q '^monitor: module reloaded: joined "events" again' /tmp/mon.re.err || die "no line for the rejoin"
tfctl domain set package-0 cap 0
