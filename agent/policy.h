/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The budget and the tiered split: the policy math, in one place, shared by
 * the agent, the evaluation harness and the tests. Pure: no clock, no I/O
 * but the two readers at the end, which parse a stream they are given.
 */
#ifndef TF_POLICY_H
#define TF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/*
 * Batch power against a daily token quota. Floating point: these plan
 * over hours, not microwatts. Shared by the agent, tf-eval and the tests.
 */

#define TF_CURVE_MAX 32

/*
 * A worker's throughput against its power (watts above the host's idle),
 * piecewise linear through (0, 0), concave and rising: slopes strictly
 * falling, so no two segments are collinear.
 */
struct tf_curve {
	unsigned int n;			/* points, 2..TF_CURVE_MAX */
	double p_w[TF_CURVE_MAX];	/* rising, p_w[0] = 0 */
	double tps[TF_CURVE_MAX];	/* tokens/s, rising, tps[0] = 0 */
};

/*
 * Builds a curve from measured points in any order: adds (0, 0) if absent,
 * keeps the upper concave hull (a worker duty-cycled between two operating
 * points within a tick reaches every point of the chord) and drops the
 * points past the highest rate (more power, no more tokens). Returns 0, or
 * -1 for a negative value, two points at one power, tokens at 0 W, fewer
 * than one point with tokens, or more than TF_CURVE_MAX points.
 */
int tf_curve_init(struct tf_curve *c, const double *p_w, const double *tps,
		  unsigned int n);
/* Tokens/s at p_w (clamped to the curve's range). */
double tf_curve_rate(const struct tf_curve *c, double p_w);
/* The least power that gives tps (the curve's top power above its top rate). */
double tf_curve_power(const struct tf_curve *c, double tps);
static inline double tf_curve_max_w(const struct tf_curve *c)
{
	return c->p_w[c->n - 1];
}

/*
 * Forecast of an hourly series (surplus watts) for each hour of the local
 * day from the same hour over the previous days: only days already closed
 * with tf_fc_end_day count, never the day being observed.
 */
#define TF_FC_SLOTS 24
#define TF_FC_DAYS_MAX 28

enum tf_fc_kind {
	TF_FC_MEAN,
	TF_FC_MEDIAN,
};

struct tf_forecast {
	unsigned int days;	/* past days used, 1..TF_FC_DAYS_MAX */
	unsigned int kind;	/* enum tf_fc_kind */
	unsigned int have;	/* closed days stored, <= days */
	unsigned int head;	/* row the next closed day goes to */
	double hist[TF_FC_DAYS_MAX][TF_FC_SLOTS];
	double sum[TF_FC_SLOTS];	/* the open day so far */
	unsigned int cnt[TF_FC_SLOTS];
};

void tf_fc_init(struct tf_forecast *f, unsigned int days, enum tf_fc_kind kind);
/* One sample of the open day in its hour slot (0..23; later ones fold to 23). */
void tf_fc_observe(struct tf_forecast *f, unsigned int slot, double v);
/* Closes the open day: each slot's mean (0 where unobserved) joins history. */
void tf_fc_end_day(struct tf_forecast *f);
/* The forecast for a slot: 0 without history. */
double tf_fc_get(const struct tf_forecast *f, unsigned int slot);

/* A stretch of the day as the quota planner sees it. */
struct tf_slot {
	double dur_s;		/* length */
	double green_w;		/* surplus left for batch after idle and interactive */
	double head_w;		/* the most batch may draw (max - idle - interactive) */
	double surplus_w;	/* the host's whole surplus: breaks ties only */
};

struct tf_plan {
	double green_tok;	/* batch tokens from green power alone */
	double grid_tok;	/* batch tokens the grid power adds */
	double grid_j;		/* grid energy batch draws */
	double short_tok;	/* > 0: the quota cannot be met, by this much */
};

/*
 * The least grid energy that meets quota_tok batch tokens over the slots:
 * batch runs on all green power (min(green, head)) in every slot, and the
 * deficit is filled with grid power where a watt buys the most tokens
 * (steepest curve segment first; equal slopes: the slot with more surplus
 * first, whose tokens count partly green, then the later slot, so that
 * grid power is spent as late as possible). Exact for the concave
 * piecewise-linear model (a fractional knapsack, docs/eval.md). extra_w
 * (n entries, may be NULL) gets the grid power above green in each slot.
 * Returns 0, -1 without memory.
 */
int tf_plan_grid(const struct tf_curve *c, const struct tf_slot *s, size_t n,
		 double quota_tok, double *extra_w, struct tf_plan *out);

struct tf_quota_cfg {
	double margin;		/* plan for (1 + margin) × the tokens due */
	double fc_trust;	/* count on this fraction of the forecast green */
};

/*
 * Batch power now: s[0] is this tick as measured, s[1..n-1] the rest of
 * the day as forecast. All green power now, plus the grid power that the
 * plan for (1 + margin) × due_tok (tf_plan_grid, forecast green × fc_trust)
 * places now. Any plan that meets the quota makes now at least what the
 * rest of the day cannot make at full power, so a wrong forecast delays
 * grid power but never past the latest start that still meets the quota.
 * due_tok <= 0: green power only. Never above s[0].head_w (nor the curve's
 * top); without memory for the plan, the head.
 */
double tf_batch_power(const struct tf_curve *c, const struct tf_quota_cfg *q,
		      double due_tok, const struct tf_slot *s, size_t n);

/*
 * The planner's view of an hour of the day: fills out's green_w, head_w
 * and surplus_w for a host surplus of surplus_w (a forecast) in local hour
 * lhour (0..23), from the caller's model of idle and interactive power
 * (tf-eval's demand curve, the daemon's measured groups). dur_s is set by
 * the caller.
 */
typedef void (*tf_slot_fn)(const void *arg, double surplus_w, unsigned int lhour,
			   struct tf_slot *out);

/* now, the rest of its hour, and at most 25 forecast hours */
#define TF_PLAN_SLOTS_MAX (2 + TF_FC_SLOTS + 1)

/*
 * One control step's batch power against the daily quota: the decision
 * the daemon and tf-eval share. The slots it plans over:
 *  - now: this step as measured (its dur_s is the step's length);
 *  - the rest of the current hour, hour_left_s - now->dur_s seconds
 *    (hour_left_s counts from the step's start), at now's surplus: the
 *    signal is hourly, so the hour's value holds;
 *  - hours_left whole hours to local midnight, each from the forecast of
 *    its local hour (fc NULL: no surplus), turned into a slot by slot_fn.
 * The local hours run from next_lhour up to 23; a day whose DST switch is
 * still ahead has one hour fewer or more than that: a short day skips the
 * hour after next_lhour, a long one repeats next_lhour (the US switches:
 * 02:00 missing, 01:00 twice; elsewhere the step before a fall switch may
 * use its neighbour's forecast for one hour). due_tok: batch tokens still
 * due by local midnight. Returns tf_batch_power over those slots.
 */
double tf_policy_batch_now(const struct tf_curve *c,
			   const struct tf_quota_cfg *q, double due_tok,
			   const struct tf_slot *now, double hour_left_s,
			   unsigned int next_lhour, unsigned int hours_left,
			   const struct tf_forecast *fc, tf_slot_fn slot_fn,
			   const void *arg);

/*
 * Readers for the planner's inputs (they parse an open stream, nothing
 * else). "x,y" number pairs, one a line; '#' comments, blank lines and one
 * header line (a line starting with a letter) are skipped. Returns the
 * number of pairs, or -1 with "name:line: why" in err (a malformed line,
 * more than max pairs, none at all).
 */
int tf_read_pairs(FILE *f, const char *name, double *x, double *y,
		  unsigned int max, char *err, size_t errsz);
/* A worker curve file "power_w,tokens_per_s" (see tf_curve_init). */
int tf_curve_read(FILE *f, const char *name, struct tf_curve *c,
		  char *err, size_t errsz);

#endif /* TF_POLICY_H */
