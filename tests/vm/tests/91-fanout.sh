# SPDX-License-Identifier: GPL-2.0
# Site signal fan-out (docs/rollout.md): one MQTT topic carries the site's
# surplus; every host's agent subscribes with its own client id and takes
# its share ([budget] share, from the inventory's weight). Three agents on
# one broker: their budgets must add up to the site's surplus, at every
# step. Dry run: one guest, one module, so the agents must not fight over
# its caps; what is tested is the signal path and the budget.
. /tests/lib.sh
set +e

broker_start

# host k of the site: weight w_k of the site's total, as the Ansible role
# computes it (packaging/ansible: share = weight / sum of weights)
agents=
for k in 1 2 3; do
	share=$(echo "$k" | awk '{ print ($1 == 1 ? "20%" : $1 == 2 ? "30%" : "50%") }')
	cat > /tmp/tf$k.conf <<EOF
[agent]
interval = 500ms
gpus = no
dry_run = yes

[budget]
floor = 0W
ceiling = 10kW
share = $share

[metrics]
listen = 127.0.0.1:947$k

[source site]
type = mqtt
host = 127.0.0.1
topic = site/fremont/surplus
client_id = host-$k
ttl = 30s
EOF
	tokenfactoryd -c /tmp/tf$k.conf 2> /tmp/agent$k.log &
	agents="$agents $!"
done

budget() {	# budget K: agent K's budget in W (empty when it does not answer)
	wget -q -O - http://127.0.0.1:947$1/metrics 2>/dev/null |
		awk '$1 == "tokenfactory_budget_watts" { print $2 }'
}

# sum_is W: until every agent answers and their budgets add up to W
sum_is() {
	local want=$1 n=0 b1 b2 b3
	while :; do
		b1=$(budget 1); b2=$(budget 2); b3=$(budget 3)
		if [ -n "$b1" ] && [ -n "$b2" ] && [ -n "$b3" ] &&
			awk -v a="$b1" -v b="$b2" -v c="$b3" -v w="$want" \
				'BEGIN { s = a + b + c; exit !(s >= w - 0.001 && s <= w + 0.001) }'; then
			echo "site surplus $want W: budgets $b1 + $b2 + $b3 W"
			return 0
		fi
		[ $n -lt 200 ] || { tail -n 5 /tmp/agent*.log; die "budgets $b1 + $b2 + $b3 W do not add up to $want W"; }
		sleep 0.1
		n=$((n + 1))
	done
}

sum_is 0		# no signal yet: the floor, 0 W
for w in 1000 2500 137.5 0; do
	mosquitto_pub -h 127.0.0.1 -t site/fremont/surplus -q 1 -m "{\"surplus_w\": $w}"
	sum_is "$w"
done
# each agent's own share, exactly
mosquitto_pub -h 127.0.0.1 -t site/fremont/surplus -q 1 -m '{"surplus_w": 1000}'
sum_is 1000
expect_eq "host-1's budget" "$(budget 1)" 200.000000
expect_eq "host-2's budget" "$(budget 2)" 300.000000
expect_eq "host-3's budget" "$(budget 3)" 500.000000

for a in $agents; do
	kill $a
	wait $a || die "an agent exited with $?"
done
kill $broker
wait $broker 2>/dev/null
true
