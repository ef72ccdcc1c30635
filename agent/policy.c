// SPDX-License-Identifier: GPL-2.0
#include "policy.h"

typedef unsigned __int128 u128;

uint64_t tf_budget_step(struct tf_budget *b, const struct tf_budget_cfg *c,
			uint64_t surplus_uw, bool stale, uint64_t now_ns)
{
	uint64_t target = c->floor_uw, dt_ns, rise;

	if (!stale) {
		u128 t = c->floor_uw + (u128)surplus_uw * c->share_ppm / 1000000;

		target = t > c->ceiling_uw ? c->ceiling_uw : (uint64_t)t;
	}
	if (target < c->floor_uw)	/* a ceiling below the floor */
		target = c->floor_uw;
	if (!b->started) {
		/* start from the floor: power is earned by the signal */
		b->started = true;
		b->budget_uw = c->floor_uw;
		b->t_ns = now_ns;
	}
	dt_ns = now_ns > b->t_ns ? now_ns - b->t_ns : 0;
	b->t_ns = now_ns;
	if (target <= b->budget_uw) {
		b->budget_uw = target;		/* falling: at once */
		return b->budget_uw;
	}
	if (target - b->budget_uw < c->hysteresis_uw)
		return b->budget_uw;
	rise = target - b->budget_uw;
	if (c->ramp_uw_s) {
		u128 max = (u128)c->ramp_uw_s * dt_ns / 1000000000U;

		if (rise > max)
			rise = (uint64_t)max;
	}
	b->budget_uw += rise;
	return b->budget_uw;
}

/*
 * Gives each selected group its want (capped at what it wants) out of
 * avail, in proportion to want when avail is short. Returns what it gave.
 */
static uint64_t tf_share_out(uint64_t avail, const struct tf_demand *g,
			     size_t n, struct tf_alloc *out, uint32_t tier,
			     bool reserved)
{
	uint64_t want_sum = 0, given = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (g[i].tier != tier)
			continue;
		want_sum += reserved ?
			(g[i].reserved_uw < g[i].demand_uw ? g[i].reserved_uw : g[i].demand_uw) :
			g[i].demand_uw - out[i].uw;
	}
	if (!want_sum)
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t want;

		if (g[i].tier != tier)
			continue;
		want = reserved ?
			(g[i].reserved_uw < g[i].demand_uw ? g[i].reserved_uw : g[i].demand_uw) :
			g[i].demand_uw - out[i].uw;
		if (want_sum > avail)
			want = (uint64_t)((u128)avail * want / want_sum);
		out[i].uw += want;
		given += want;
	}
	return given;
}

uint64_t tf_policy_split(uint64_t budget_uw, uint64_t floor_uw,
			 const struct tf_demand *g, size_t n,
			 struct tf_alloc *out)
{
	uint64_t left = budget_uw, green, batch_avail;
	size_t i;

	for (i = 0; i < n; i++) {
		out[i].uw = 0;
		out[i].frozen = false;
	}
	green = budget_uw > floor_uw ? budget_uw - floor_uw : 0;
	left -= tf_share_out(left, g, n, out, TF_POLICY_INTERACTIVE, true);
	batch_avail = green < left ? green : left;
	left -= tf_share_out(batch_avail, g, n, out, TF_POLICY_BATCH, false);
	left -= tf_share_out(left, g, n, out, TF_POLICY_INTERACTIVE, false);
	left -= tf_share_out(left, g, n, out, TF_POLICY_BACKGROUND, false);
	for (i = 0; i < n; i++)
		out[i].frozen = g[i].tier != TF_POLICY_INTERACTIVE && !out[i].uw;
	return left;
}
