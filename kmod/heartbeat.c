// SPDX-License-Identifier: GPL-2.0
/*
 * Fail-safe: a watchdog work item is (re)armed by every heartbeat to fire
 * heartbeat_timeout_ms later, on the high-priority system workqueue so
 * that busy CPUs delay it as little as possible. When it fires with no
 * heartbeat since, the fail-safe caps take over; the next heartbeat hands
 * control back to the agent.
 */
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/ktime.h>
#include <linux/workqueue.h>

#include "domain.h"
#include "heartbeat.h"
#include "netlink.h"
#include "tokenfactory.h"

static unsigned int heartbeat_timeout_ms = 3000;
module_param(heartbeat_timeout_ms, uint, 0444);
MODULE_PARM_DESC(heartbeat_timeout_ms, "Agent silence after which the fail-safe caps apply, ms (100..600000, default 3000)");

static bool tf_failsafe = true;		/* until an agent speaks */
static u32 tf_failsafe_engaged;
static pid_t tf_agent;
static u64 tf_last_beat_ns;

static void tf_watchdog_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(tf_watchdog, tf_watchdog_fn);

static void tf_failsafe_set(bool on)
{
	tf_failsafe = on;
	if (on)
		tf_failsafe_engaged++;
	tf_domain_apply_caps();
	tf_nl_notify_failsafe(on);
}

static void tf_watchdog_fn(struct work_struct *work)
{
	u64 silent;

	mutex_lock(&tf_lock);
	silent = ktime_get_ns() - tf_last_beat_ns;
	if (!tf_failsafe && silent >= (u64)heartbeat_timeout_ms * NSEC_PER_MSEC) {
		pr_warn("agent (pid %d) silent for %llu ms: fail-safe caps apply\n",
			tf_agent, div_u64(silent, NSEC_PER_MSEC));
		tf_failsafe_set(true);
	}
	mutex_unlock(&tf_lock);
}

void tf_heartbeat(pid_t pid)
{
	tf_last_beat_ns = ktime_get_ns();
	tf_agent = pid;
	mod_delayed_work(system_highpri_wq, &tf_watchdog,
			 msecs_to_jiffies(heartbeat_timeout_ms));
	if (tf_failsafe) {
		pr_info("agent (pid %d) in control\n", pid);
		tf_failsafe_set(false);
	}
}

bool tf_failsafe_active(void)
{
	return tf_failsafe;
}

u32 tf_failsafe_count(void)
{
	return tf_failsafe_engaged;
}

pid_t tf_agent_pid(void)
{
	return tf_agent;
}

s64 tf_heartbeat_age_ms(void)
{
	if (!tf_last_beat_ns)
		return -1;
	return div_u64(ktime_get_ns() - tf_last_beat_ns, NSEC_PER_MSEC);
}

u32 tf_heartbeat_timeout_ms(void)
{
	return heartbeat_timeout_ms;
}

int tf_heartbeat_init(void)
{
	if (heartbeat_timeout_ms < 100 || heartbeat_timeout_ms > 600000) {
		pr_err("heartbeat_timeout_ms must be 100..600000\n");
		return -EINVAL;
	}
	return 0;
}

void tf_heartbeat_exit(void)
{
	cancel_delayed_work_sync(&tf_watchdog);
}
