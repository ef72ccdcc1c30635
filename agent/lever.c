// SPDX-License-Identifier: GPL-2.0
/* Watts to actuator settings (lever.h). Pure. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lever.h"

typedef unsigned __int128 u128;

uint64_t tf_lever_idle_share(uint64_t idle_uw, uint64_t group_uw,
			     uint64_t total_uw)
{
	if (!total_uw)
		return 0;
	if (group_uw > total_uw)
		group_uw = total_uw;
	return (uint64_t)((u128)idle_uw * group_uw / total_uw);
}

static bool tf_lever_period_ok(uint64_t period_us)
{
	return period_us >= TF_LEVER_PERIOD_MIN_US &&
	       period_us <= TF_LEVER_PERIOD_MAX_US;
}

int tf_lever_cpu_max(const struct tf_lever_cpu *m, uint64_t power_uw,
		     uint64_t idle_share_uw, uint64_t demand_uw, bool frozen,
		     struct tf_cpu_max *out)
{
	u128 quota, all;
	uint64_t dyn;

	if (!m->cpu_watts_uw || !m->ncpus || !tf_lever_period_ok(m->period_us))
		return -EINVAL;
	out->period_us = m->period_us;
	if (frozen) {
		out->unlimited = false;
		out->quota_us = TF_LEVER_QUOTA_MIN_US;
		return 0;
	}
	if (demand_uw && power_uw >= demand_uw) {
		out->unlimited = true;
		out->quota_us = 0;
		return 0;
	}
	dyn = power_uw > idle_share_uw ? power_uw - idle_share_uw : 0;
	quota = (u128)dyn * m->period_us / m->cpu_watts_uw;
	all = (u128)m->ncpus * m->period_us;
	if (quota >= all) {
		out->unlimited = true;
		out->quota_us = 0;
		return 0;
	}
	out->unlimited = false;
	out->quota_us = quota < TF_LEVER_QUOTA_MIN_US ?
			TF_LEVER_QUOTA_MIN_US : (uint64_t)quota;
	return 0;
}

int tf_lever_cpu_max_str(const struct tf_cpu_max *v, char *buf, size_t size)
{
	int n;

	if (v->unlimited)
		n = snprintf(buf, size, "max %" PRIu64, v->period_us);
	else
		n = snprintf(buf, size, "%" PRIu64 " %" PRIu64, v->quota_us,
			     v->period_us);
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

static int tf_lever_u64(const char *s, char **end, uint64_t *v)
{
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, end, 10);
	if (errno)
		return -EINVAL;
	*v = x;
	return 0;
}

int tf_lever_cpu_max_parse(const char *s, struct tf_cpu_max *out)
{
	struct tf_cpu_max v = { 0 };
	char *end;

	if (!strncmp(s, "max", 3)) {
		v.unlimited = true;
		end = (char *)s + 3;
	} else if (tf_lever_u64(s, &end, &v.quota_us) || !v.quota_us) {
		return -EINVAL;
	}
	if (*end != ' ' || tf_lever_u64(end + 1, &end, &v.period_us) ||
	    !v.period_us)
		return -EINVAL;
	if (*end == '\n')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int tf_lever_gpu_limit(uint64_t share_uw, uint64_t min_uw, uint64_t max_uw,
		       uint64_t *limit_uw, bool *clamped)
{
	uint64_t v = share_uw;

	if (min_uw > max_uw || !max_uw)
		return -EINVAL;
	if (v < min_uw)
		v = min_uw;
	else if (v > max_uw)
		v = max_uw;
	*limit_uw = v;
	if (clamped)
		*clamped = v != share_uw;
	return 0;
}

int tf_lever_gpu_clock(uint64_t share_uw, uint64_t min_limit_uw,
		       uint64_t default_limit_uw, unsigned int min_clock_mhz,
		       unsigned int max_clock_mhz, unsigned int *clock_mhz)
{
	u128 span;

	if (min_limit_uw >= default_limit_uw || min_clock_mhz > max_clock_mhz ||
	    !max_clock_mhz)
		return -EINVAL;
	if (share_uw <= min_limit_uw) {
		*clock_mhz = min_clock_mhz;
		return 0;
	}
	if (share_uw >= default_limit_uw) {
		*clock_mhz = max_clock_mhz;
		return 0;
	}
	span = (u128)(max_clock_mhz - min_clock_mhz) * (share_uw - min_limit_uw) /
	       (default_limit_uw - min_limit_uw);
	*clock_mhz = min_clock_mhz + (unsigned int)span;
	return 0;
}

uint64_t tf_lever_cpu_cap(uint64_t budget_uw, const uint64_t *gpu_uw,
			  size_t ngpu, uint64_t floor_uw)
{
	uint64_t cap = budget_uw;
	size_t i;

	for (i = 0; i < ngpu; i++)
		cap = cap > gpu_uw[i] ? cap - gpu_uw[i] : 0;
	if (cap < floor_uw)
		cap = floor_uw;
	return cap ? cap : 1;
}

int tf_lever_package_caps(uint64_t cap_uw, const uint64_t *max_power_uw,
			  size_t n, uint64_t *out)
{
	u128 total = 0;
	uint64_t given = 0;
	bool equal = false;
	size_t i;

	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!max_power_uw || !max_power_uw[i])
			equal = true;
		else
			total += max_power_uw[i];
	}
	for (i = 0; i < n; i++) {
		out[i] = equal ? cap_uw / n :
			 (uint64_t)((u128)cap_uw * max_power_uw[i] / total);
		given += out[i];
	}
	out[0] += cap_uw - given;
	for (i = 0; i < n; i++)
		if (!out[i])
			out[i] = 1;	/* 0 would remove the cap */
	return 0;
}

int tf_lever_duty(uint64_t power_uw, uint64_t idle_share_uw,
		  uint64_t demand_uw, bool frozen, uint64_t period_us,
		  uint64_t *on_us)
{
	uint64_t dyn, want, on;

	if (!tf_lever_period_ok(period_us))
		return -EINVAL;
	if (frozen) {
		*on_us = 0;
		return 0;
	}
	if (!demand_uw || power_uw >= demand_uw || demand_uw <= idle_share_uw) {
		*on_us = period_us;
		return 0;
	}
	dyn = power_uw > idle_share_uw ? power_uw - idle_share_uw : 0;
	want = demand_uw - idle_share_uw;
	on = (uint64_t)((u128)period_us * dyn / want);
	*on_us = on < TF_LEVER_QUOTA_MIN_US ? TF_LEVER_QUOTA_MIN_US : on;
	return 0;
}
