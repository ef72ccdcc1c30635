// SPDX-License-Identifier: GPL-2.0
/*
 * tokenfactory.ko: the energy authority of an inference host.
 * See docs/architecture.md for the design.
 */
#include <linux/module.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>

#include "lever.h"
#include "meter.h"
#include "netlink.h"
#include "tokenfactory.h"

static u64 tf_load_ns;

u64 tf_uptime_ns(void)
{
	return ktime_get_ns() - tf_load_ns;
}

static int __init tf_init(void)
{
	int ret;

	tf_load_ns = ktime_get_ns();
	ret = tf_meter_init();
	if (ret)
		return ret;
	ret = tf_lever_init();
	if (ret)
		goto err_meter;
	ret = tf_netlink_init();
	if (ret)
		goto err_lever;
	pr_info("version %s loaded, %u meter(s)\n", TF_VERSION,
		tf_meter_count());
	return 0;

err_lever:
	tf_lever_exit();
err_meter:
	tf_meter_exit();
	return ret;
}

static void __exit tf_exit(void)
{
	tf_netlink_exit();
	tf_lever_exit();
	tf_meter_exit();
	pr_info("unloaded\n");
}

module_init(tf_init);
module_exit(tf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tokenfactory: per-process energy, power caps and surplus-power signal");
MODULE_VERSION(TF_VERSION);
MODULE_ALIAS_GENL_FAMILY(TF_GENL_NAME);
