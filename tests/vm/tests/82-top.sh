# SPDX-License-Identifier: GPL-2.0
# tfctl top: processes and groups by power over an interval, CPU and GPU.
. /tests/lib.sh

tfctl domain push gpu-0 energy 0J max 700W
tfctl group add serve tier interactive
sleep 60 &
p=$!
tfctl member add serve pid $p
tfctl ledger push $p domain package-0 energy 1J

tfctl -j top interval 1s count 1 > /tmp/top.json &
top=$!
sleep 0.3
# one tick's attribution, as the agent would push it
tfctl ledger push $p domain package-0 energy 3J domain gpu-0 energy 5J
wait $top
cat /tmp/top.json
j=$(cat /tmp/top.json)
# 3 J and 5 J over about one second
jcheck "$j" ".processes[0].pid == $p and .processes[0].name == \"sleep\" and .processes[0].group == \"serve\""
jcheck "$j" '.processes[0].cpu_uw > 2000000 and .processes[0].cpu_uw < 4000000'
jcheck "$j" '.processes[0].gpu_uw > 3500000 and .processes[0].gpu_uw < 6000000'
jcheck "$j" '.groups[0].name == "serve" and .groups[0].gpu_uw > 3500000'
tfctl top interval 200ms count 1
kill $p
