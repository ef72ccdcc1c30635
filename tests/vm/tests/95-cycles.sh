# SPDX-License-Identifier: GPL-2.0
# 50 cycles of insmod, traffic (with a dump and a monitor running), rmmod.
. /tests/lib.sh

rmmod tokenfactory
i=0
while [ $i -lt 50 ]; do
	insmod /tokenfactory.ko heartbeat_timeout_ms=100 sample_ms=10
	tfctl monitor > /dev/null 2>&1 &
	mon=$!
	tfctl heartbeat
	tfctl signal set surplus ${i}W ttl 1s
	tfctl domain set package-0 cap $((20 + i))W
	tfctl -j domain > /dev/null
	tfctl domain push gpu-0 energy ${i}J max 100W
	rmmod tokenfactory
	# the monitor outlives the family it listened to: nothing more comes
	kill $mon
	wait $mon 2>/dev/null || true
	i=$((i + 1))
done
echo "50 cycles done"
