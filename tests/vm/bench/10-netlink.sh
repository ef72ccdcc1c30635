# SPDX-License-Identifier: GPL-2.0
# make bench-netlink: netlink round trips and a 10,000-group dump.
tf-nlbench 20000 10000
