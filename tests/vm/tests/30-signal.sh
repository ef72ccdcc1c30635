# SPDX-License-Identifier: GPL-2.0
# The surplus signal: set, read back, goes stale after its TTL.
. /tests/lib.sh

tfctl signal | grep -q '^no signal$' || die "a signal before any was set"
jcheck "$(tfctl -j signal)" '.set == false'

tfctl signal set surplus 120W ttl 2s source mqtt:site1 carbon 123.5 price -4.25
tfctl signal
j=$(tfctl -j signal)
jcheck "$j" '.set and .surplus_uw == 120000000 and .ttl_ms == 2000'
jcheck "$j" '.source == "mqtt:site1" and .carbon_mg_kwh == 123500'
jcheck "$j" '.price_ucur_mwh == -4250000 and (.stale | not) and .age_ms < 2000'
jcheck "$j" '.timestamp_ns > 1600000000000000000'

tfctl signal set surplus 1.5kW ttl 300ms
sleep 0.5
j=$(tfctl -j signal)
echo "$j"
jcheck "$j" '.stale and .surplus_uw == 1500000000 and .source == "tfctl"'
tfctl signal | grep -q 'STALE' || die "text does not say stale"
