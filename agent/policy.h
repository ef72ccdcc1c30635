/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The budget and the tiered split: the policy math, in one place, shared by
 * the agent, the evaluation harness and the tests. Pure: no I/O, no clock.
 */
#ifndef TF_POLICY_H
#define TF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tf_budget_cfg {
	uint64_t floor_uw;	/* always allowed, surplus or not */
	uint64_t ceiling_uw;	/* never more */
	uint32_t share_ppm;	/* of the signalled surplus this host may use */
	uint64_t ramp_uw_s;	/* fastest rise, per second; 0: no limit */
	uint64_t hysteresis_uw;	/* a rise smaller than this is ignored */
};

struct tf_budget {
	uint64_t budget_uw;
	uint64_t t_ns;
	bool started;
};

/*
 * The host budget for now_ns: clamp(floor + share × surplus, floor,
 * ceiling), rising no faster than the ramp and not for less than the
 * hysteresis, falling at once. A stale or missing signal counts as no
 * surplus: the budget falls to the floor and never rises on it.
 */
uint64_t tf_budget_step(struct tf_budget *b, const struct tf_budget_cfg *c,
			uint64_t surplus_uw, bool stale, uint64_t now_ns);

enum tf_policy_tier {
	TF_POLICY_INTERACTIVE = 1,	/* = enum tf_tier */
	TF_POLICY_BATCH,
	TF_POLICY_BACKGROUND,
};

struct tf_demand {
	uint32_t tier;		/* enum tf_tier */
	uint64_t demand_uw;	/* what it would draw unthrottled */
	uint64_t reserved_uw;	/* interactive: its guaranteed floor */
};

struct tf_alloc {
	uint64_t uw;		/* its share of the budget */
	bool frozen;		/* nothing for it now: pause it (cgroup.freeze) */
};

/*
 * Splits the budget over groups by tier:
 *  1. interactive groups get their reserved power (up to their demand),
 *     from the whole budget;
 *  2. batch groups share the surplus part (budget above the floor) only;
 *  3. interactive groups get the rest of their demand from what is left;
 *  4. background groups share whatever remains.
 * Within a step, groups share in proportion to demand, none above its
 * demand. A batch or background group that gets nothing is frozen, not
 * killed; interactive groups are never frozen. Returns the power left.
 */
uint64_t tf_policy_split(uint64_t budget_uw, uint64_t floor_uw,
			 const struct tf_demand *g, size_t n,
			 struct tf_alloc *out);

#endif /* TF_POLICY_H */
