# SPDX-License-Identifier: GPL-2.0
# Every rejection by policy or handler: its errno and an extack message that
# names the attribute. Requests go through tf-nlraw, past tfctl's own checks.
. /tests/lib.sh

# wrong type (length)
expect_err 22 "TF_A_SIGNAL_TTL_MS" TF_CMD_SIGNAL_SET TF_A_SIGNAL_SURPLUS_UW:u64:1 TF_A_SIGNAL_TTL_MS:u64:5
# out of range
expect_err 34 "TF_A_SIGNAL_TTL_MS" TF_CMD_SIGNAL_SET TF_A_SIGNAL_SURPLUS_UW:u64:1 TF_A_SIGNAL_TTL_MS:u32:0
expect_err 34 "TF_A_SIGNAL_TTL_MS" TF_CMD_SIGNAL_SET TF_A_SIGNAL_SURPLUS_UW:u64:1 TF_A_SIGNAL_TTL_MS:u32:86400001
expect_err 34 "TF_A_DOMAIN_CAP_UW" TF_CMD_DOMAIN_SET TF_A_DOMAIN_NAME:str:host TF_A_DOMAIN_CAP_UW:u64:1000000000001
# missing
expect_err 22 "missing TF_A_SIGNAL_SURPLUS_UW" TF_CMD_SIGNAL_SET TF_A_SIGNAL_TTL_MS:u32:10
expect_err 22 "missing TF_A_DOMAIN_NAME" TF_CMD_DOMAIN_SET TF_A_DOMAIN_CAP_UW:u64:1
expect_err 22 "missing TF_A_DOMAIN_CAP_UW or TF_A_DOMAIN_FAILSAFE_CAP_UW" TF_CMD_DOMAIN_SET TF_A_DOMAIN_NAME:str:host
expect_err 22 "missing TF_A_DOMAIN_ENERGY_UJ" TF_CMD_ENERGY_PUSH TF_A_DOMAIN_NAME:str:gpu-1
# unknown object
expect_err 2 "TF_A_DOMAIN_NAME: no such domain" TF_CMD_DOMAIN_SET TF_A_DOMAIN_NAME:str:gpu-9 TF_A_DOMAIN_CAP_UW:u64:1
# over-long name (31 bytes and the NUL is the most)
expect_err 22 "TF_A_DOMAIN_NAME" TF_CMD_DOMAIN_GET TF_A_DOMAIN_NAME:str:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
# an attribute the operation does not take
expect_err 22 "TF_A_SIGNAL_TTL_MS" TF_CMD_STATUS_GET TF_A_SIGNAL_TTL_MS:u32:5
# pushes: only GPUs, with their physical bound on the first
expect_err 22 "only gpu-N" TF_CMD_ENERGY_PUSH TF_A_DOMAIN_NAME:str:disk-0 TF_A_DOMAIN_ENERGY_UJ:u64:1
expect_err 22 "TF_A_DOMAIN_MAX_POWER_UW" TF_CMD_ENERGY_PUSH TF_A_DOMAIN_NAME:str:gpu-3 TF_A_DOMAIN_ENERGY_UJ:u64:1
expect_err 22 "meters this domain itself" TF_CMD_ENERGY_PUSH TF_A_DOMAIN_NAME:str:package-0 TF_A_DOMAIN_ENERGY_UJ:u64:1
# the accepted form, for contrast
tf-nlraw TF_CMD_SIGNAL_SET TF_A_SIGNAL_SURPLUS_UW:u64:1 TF_A_SIGNAL_TTL_MS:u32:10
