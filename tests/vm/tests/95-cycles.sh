# SPDX-License-Identifier: GPL-2.0
# 50 cycles of insmod, traffic, rmmod, while readers dump, an "agent" pushes
# and a monitor listens the whole time: rmmod at any moment must be safe.
. /tests/lib.sh

rmmod tokenfactory
# The background load fails while the module is out; that is expected.
( set +e; while :; do tfctl -j domain; tfctl -j group; tfctl -j ledger; done ) >/dev/null 2>&1 &
readers=$!
( set +e; while :; do tfctl heartbeat; tfctl ledger push 1 domain package-0 energy 1J tokens 1; \
	tfctl domain push gpu-0 energy 1J max 100W; done ) >/dev/null 2>&1 &
pusher=$!
i=0
while [ $i -lt 50 ]; do
	insmod /tokenfactory.ko heartbeat_timeout_ms=100 sample_ms=10
	tfctl monitor > /dev/null 2>&1 &
	mon=$!
	tfctl signal set surplus ${i}W ttl 1s
	tfctl domain set package-0 cap $((20 + i))W
	tfctl group add g$i tier batch
	tfctl member add g$i pid $readers
	tfctl -j domain > /dev/null
	# a dump in flight holds a reference: rmmod is refused (EAGAIN) until
	# it ends, which is the safe answer; try again, a bounded number of times
	n=0
	until rmmod tokenfactory 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 200 ] || die "rmmod refused 200 times"
		sleep 0.05
	done
	# the monitor outlives the family it listened to: nothing more comes
	kill $mon
	wait $mon 2>/dev/null || true
	i=$((i + 1))
done
kill $readers $pusher
wait $readers $pusher 2>/dev/null || true
echo "50 cycles done"
