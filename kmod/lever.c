// SPDX-License-Identifier: GPL-2.0
/*
 * Placeholder until the levers land (branch "lever"): no lever can act, so
 * every CPU cap below full performance is reported unenforceable.
 */
#include <linux/errno.h>

#include "lever.h"

int tf_lever_init(void)
{
	return 0;
}

void tf_lever_exit(void)
{
}

int tf_lever_set(unsigned int pkg, unsigned int perf_pct, u32 *levers)
{
	*levers = 0;
	return perf_pct >= 100 ? 0 : -EOPNOTSUPP;
}
