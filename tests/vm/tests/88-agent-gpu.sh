# SPDX-License-Identifier: GPL-2.0
# tokenfactoryd with GPUs: NVML is loaded with dlopen exactly as on a GPU
# host, here the TEST DOUBLE of NVML (tests/nvml-double, no NVIDIA hardware
# in this guest). The GPU's energy is pushed to the module, which meters
# gpu-0 from it, and split over two processes by their SM utilisation.
. /tests/lib.sh

sleep 60 &
a=$!
sleep 60 &
b=$!
cat > /tmp/gpu.state <<STATE
gpus=1
gpu0.procs=$a:20,$b:60
STATE
TF_NVML_LIB=/usr/lib/tf-test/libnvidia-ml.so.1 TF_NVML_DOUBLE_STATE=/tmp/gpu.state \
	tokenfactoryd --interval 500ms --verbose 2> /tmp/agent.log &
agent=$!
# both processes' GPU energy in the ledger, and then a few ticks more
gpu_split() {
	tfctl -j ledger 2>/dev/null | jq -e "[.accounts[] | select((.pid == $a or .pid == $b) and (.energy_uj[\"gpu-0\"] // 0) > 0)] | length == 2" >/dev/null
}
wait_until 60 gpu_split || { cat /tmp/agent.log; die "no GPU energy for both processes in 60 s"; }
sleep 2
kill -TERM $agent
set +e
wait $agent
rc=$?
set -e
head -n 3 /tmp/agent.log
grep -q "1 NVIDIA GPU" /tmp/agent.log || die "the agent did not find the GPU"
expect_eq "agent exit" $rc 0
jcheck "$(tfctl -j domain show gpu-0)" '.domains[0] | .meter == "pushed" and .energy_uj > 0 and .max_power_uw == 700000000'
j=$(tfctl -j ledger)
ga=$(echo "$j" | jq "[.accounts[] | select(.pid == $a) | .energy_uj[\"gpu-0\"]] | add // 0")
gb=$(echo "$j" | jq "[.accounts[] | select(.pid == $b) | .energy_uj[\"gpu-0\"]] | add // 0")
g=$(tfctl -j domain show gpu-0 | jq '.domains[0].energy_uj')
echo "gpu-0: $g uJ; process at 20 % SM: $ga uJ, at 60 %: $gb uJ"
awk -v a="$ga" -v b="$gb" 'BEGIN { r = b / a; printf "ratio %.4f (utilisation ratio 3)\n", r; exit !(r > 2.94 && r < 3.06) }' ||
	die "GPU energy not split by utilisation"
kill $a $b
