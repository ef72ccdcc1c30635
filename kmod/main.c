// SPDX-License-Identifier: GPL-2.0
/*
 * tokenfactory.ko: the energy authority of an inference host.
 * See docs/architecture.md for the design.
 */
#include <linux/module.h>
#include <linux/ktime.h>
#include <net/genetlink.h>

#include "domain.h"
#include "group.h"
#include "heartbeat.h"
#include "ledger.h"
#include "lever.h"
#include "meter.h"
#include "netlink.h"
#include "powercap.h"
#include "tokenfactory.h"

/* the module's state lock: see tokenfactory.h */
DEFINE_MUTEX(tf_lock);

static u64 tf_load_ns;
static u32 tf_gen = 1;

u64 tf_uptime_ns(void)
{
	return ktime_get_ns() - tf_load_ns;
}

/* The set of domains, groups or members changed; tf_lock held. */
void tf_generation_bump(void)
{
	tf_gen++;
}

u32 tf_generation(void)
{
	return tf_gen;
}

static int __init tf_init(void)
{
	int ret;

	tf_load_ns = ktime_get_ns();
	ret = tf_heartbeat_init();
	if (ret)
		return ret;
	ret = tf_meter_init();
	if (ret)
		return ret;
	ret = tf_lever_init();
	if (ret)
		goto err_meter;
	ret = tf_ledger_init();
	if (ret)
		goto err_lever;
	ret = tf_domain_init();
	if (ret)
		goto err_ledger;
	ret = tf_netlink_init();
	if (ret)
		goto err_domain;
	ret = tf_powercap_init();
	if (ret)
		goto err_netlink;
	pr_info("version %s loaded, %u meter(s), fail-safe until an agent speaks\n",
		TF_VERSION, tf_meter_count());
	return 0;

err_netlink:
	tf_netlink_exit();
err_domain:
	tf_domain_exit();
err_ledger:
	tf_ledger_exit_all();
err_lever:
	tf_lever_exit();
err_meter:
	tf_meter_exit();
	return ret;
}

/*
 * The powercap zones first: their sysfs callbacks read the domains, and
 * unregistering them waits for the callbacks in flight. Then netlink: it
 * waits for requests in flight and stops notifications; then the work items
 * (nothing re-arms them any more), then the levers.
 */
static void __exit tf_exit(void)
{
	tf_powercap_exit();
	tf_netlink_exit();
	tf_domain_exit();
	tf_heartbeat_exit();
	tf_group_exit();
	tf_ledger_exit_all();
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
