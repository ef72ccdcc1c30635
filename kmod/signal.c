// SPDX-License-Identifier: GPL-2.0
/*
 * The signal is stored as received; its age runs on the monotonic clock so
 * that wall-clock jumps neither extend nor cut its life. Past its TTL it is
 * stale: readers still see the last value, flagged, and the agent budgets
 * as if there were no surplus. The sampling work calls tf_signal_tick() to
 * announce the moment it goes stale.
 */
#include <linux/math64.h>
#include <linux/ktime.h>

#include "netlink.h"
#include "signal.h"

static struct tf_signal tf_sig;

const struct tf_signal *tf_signal_get(void)
{
	return &tf_sig;
}

void tf_signal_set(const struct tf_signal *sig)
{
	tf_sig = *sig;
	tf_sig.set = true;
	tf_sig.received_ns = ktime_get_ns();
	tf_sig.stale_told = false;
	tf_nl_notify_signal();
}

u64 tf_signal_age_ms(void)
{
	return div_u64(ktime_get_ns() - tf_sig.received_ns, NSEC_PER_MSEC);
}

bool tf_signal_stale(void)
{
	return !tf_sig.set || tf_signal_age_ms() >= tf_sig.ttl_ms;
}

void tf_signal_tick(void)
{
	if (tf_sig.set && !tf_sig.stale_told && tf_signal_stale()) {
		tf_sig.stale_told = true;
		tf_nl_notify_signal();
	}
}
