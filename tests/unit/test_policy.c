// SPDX-License-Identifier: GPL-2.0
/* The budget and the tiered split, table-driven. */
#include "tf_test.h"
#include "policy.h"

#define W 1000000ULL
#define S 1000000000ULL

struct budget_case {
	const char *name;
	uint64_t surplus_w;
	bool stale;
	uint64_t dt_s;		/* since the previous step */
	uint64_t want_w;
};

/* floor 100 W, ceiling 400 W, half the surplus, +50 W/s, 5 W hysteresis */
static const struct tf_budget_cfg cfg = {
	.floor_uw = 100 * W, .ceiling_uw = 400 * W, .share_ppm = 500000,
	.ramp_uw_s = 50 * W, .hysteresis_uw = 5 * W,
};

static void test_budget_sequence(void **state)
{
	static const struct budget_case steps[] = {
		{ "start: the floor", 0, false, 0, 100 },
		{ "surplus: ramps up 50 W/s", 200, false, 1, 150 },
		{ "...until the target", 200, false, 1, 200 },
		{ "a small rise is ignored", 208, false, 1, 200 },
		{ "a rise past the hysteresis", 220, false, 1, 210 },
		{ "a drop: at once", 40, false, 1, 120 },
		{ "stale: the floor at once", 1000, true, 1, 100 },
		{ "stale never raises", 1000, true, 10, 100 },
		{ "fresh again: ramps", 1000, false, 2, 200 },
		{ "the ceiling", 1000, false, 10, 400 },
		{ "no time passed: no rise", 1000, false, 0, 400 },
		{ "missing signal = stale", 0, true, 1, 100 },
	};
	struct tf_budget b = { 0 };
	uint64_t t = 5 * S;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint64_t got;

		t += steps[i].dt_s * S;
		got = tf_budget_step(&b, &cfg, steps[i].surplus_w * W,
				     steps[i].stale, t);
		if (got != steps[i].want_w * W)
			fail_msg("%s: got %lu W, want %lu W", steps[i].name,
				 (unsigned long)(got / W),
				 (unsigned long)steps[i].want_w);
	}
}

static void test_budget_no_ramp(void **state)
{
	struct tf_budget_cfg c = cfg;
	struct tf_budget b = { 0 };

	(void)state;
	c.ramp_uw_s = 0;
	c.hysteresis_uw = 0;
	assert_int_equal(tf_budget_step(&b, &c, 0, false, S), 100 * W);
	assert_int_equal(tf_budget_step(&b, &c, 300 * W, false, S), 250 * W);
}

struct split_case {
	const char *name;
	uint64_t budget_w, floor_w;
	struct tf_demand g[4];
	size_t n;
	uint64_t want_w[4];
	bool frozen[4];
};

#define I TF_POLICY_INTERACTIVE
#define B TF_POLICY_BATCH
#define G TF_POLICY_BACKGROUND

static void test_split_table(void **state)
{
	static const struct split_case cases[] = {
		{ "no surplus: batch and background pause, interactive keeps its own",
		  100, 100, { { I, 60 * W, 40 * W }, { B, 200 * W, 0 }, { G, 50 * W, 0 } }, 3,
		  { 60, 0, 40 }, { false, true, false } },
		{ "no surplus, interactive needs the floor: background pauses too",
		  100, 100, { { I, 150 * W, 80 * W }, { B, 200 * W, 0 }, { G, 50 * W, 0 } }, 3,
		  { 100, 0, 0 }, { false, true, true } },
		{ "surplus feeds batch, not interactive's extra first",
		  250, 100, { { I, 120 * W, 80 * W }, { B, 200 * W, 0 }, { G, 50 * W, 0 } }, 3,
		  { 100, 150, 0 }, { false, false, true } },
		{ "more surplus than batch wants: the rest to interactive, then background",
		  400, 100, { { I, 120 * W, 80 * W }, { B, 100 * W, 0 }, { G, 500 * W, 0 } }, 3,
		  { 120, 100, 180 }, { false, false, false } },
		{ "two batch groups share the surplus by demand",
		  160, 100, { { B, 40 * W, 0 }, { B, 80 * W, 0 } }, 2,
		  { 20, 40 }, { false, false } },
		{ "interactive reservations above the budget: scaled",
		  90, 100, { { I, 100 * W, 100 * W }, { I, 50 * W, 50 * W } }, 2,
		  { 60, 30 }, { false, false } },
	};
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct split_case *k = &cases[c];
		struct tf_alloc out[4];
		uint64_t sum = 0, left;

		left = tf_policy_split(k->budget_w * W, k->floor_w * W, k->g, k->n, out);
		for (i = 0; i < k->n; i++) {
			sum += out[i].uw;
			if (out[i].uw != k->want_w[i] * W || out[i].frozen != k->frozen[i])
				fail_msg("%s: group %zu got %lu W%s, want %lu W%s", k->name, i,
					 (unsigned long)(out[i].uw / W),
					 out[i].frozen ? " (frozen)" : "",
					 (unsigned long)k->want_w[i],
					 k->frozen[i] ? " (frozen)" : "");
		}
		/* never more than the budget; nothing lost */
		assert_int_equal(sum + left, k->budget_w * W);
	}
}

/* ---- the quota planner ---------------------------------------------------- */

#include <math.h>

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-6 * (fabs((double)(b)) + 1))

struct curve_case {
	const char *name;
	double p[8], t[8];
	unsigned int n;
	int ret;
	unsigned int want_n;		/* kept points */
	double want_p[8], want_t[8];
};

static void test_curve_init(void **state)
{
	static const struct curve_case cases[] = {
		{ "unsorted, origin added", { 200, 100 }, { 150, 100 }, 2, 0,
		  3, { 0, 100, 200 }, { 0, 100, 150 } },
		{ "a point under the hull dropped", { 0, 100, 150, 200 }, { 0, 100, 110, 150 }, 4, 0,
		  3, { 0, 100, 200 }, { 0, 100, 150 } },
		{ "collinear point dropped", { 0, 50, 100 }, { 0, 50, 100 }, 3, 0,
		  2, { 0, 100 }, { 0, 100 } },
		{ "past the top rate dropped", { 0, 100, 200, 300 }, { 0, 100, 120, 110 }, 4, 0,
		  3, { 0, 100, 200 }, { 0, 100, 120 } },
		{ "a flat top dropped", { 0, 100, 200 }, { 0, 100, 100 }, 3, 0,
		  2, { 0, 100 }, { 0, 100 } },
		{ "negative power", { -1, 100 }, { 0, 100 }, 2, -1, 0, { 0 }, { 0 } },
		{ "negative rate", { 0, 100 }, { 0, -100 }, 2, -1, 0, { 0 }, { 0 } },
		{ "two points at one power", { 100, 100 }, { 10, 20 }, 2, -1, 0, { 0 }, { 0 } },
		{ "tokens at 0 W", { 0, 100 }, { 5, 100 }, 2, -1, 0, { 0 }, { 0 } },
		{ "no tokens anywhere", { 0, 100 }, { 0, 0 }, 2, -1, 0, { 0 }, { 0 } },
		{ "no points", { 0 }, { 0 }, 0, -1, 0, { 0 }, { 0 } },
	};
	size_t k;
	unsigned int i;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct curve_case *c = &cases[k];
		struct tf_curve cv;
		int ret = tf_curve_init(&cv, c->p, c->t, c->n);

		if (ret != c->ret)
			fail_msg("%s: returned %d, want %d", c->name, ret, c->ret);
		if (ret)
			continue;
		if (cv.n != c->want_n)
			fail_msg("%s: %u points, want %u", c->name, cv.n, c->want_n);
		for (i = 0; i < cv.n; i++)
			if (cv.p_w[i] != c->want_p[i] || cv.tps[i] != c->want_t[i])
				fail_msg("%s: point %u is (%g, %g), want (%g, %g)", c->name, i,
					 cv.p_w[i], cv.tps[i], c->want_p[i], c->want_t[i]);
	}
}

static void test_curve_too_many_and_nan(void **state)
{
	double p[TF_CURVE_MAX + 1], t[TF_CURVE_MAX + 1];
	struct tf_curve cv;
	unsigned int i;

	(void)state;
	for (i = 0; i <= TF_CURVE_MAX; i++) {
		p[i] = i + 1;
		t[i] = sqrt(i + 1);
	}
	assert_int_equal(tf_curve_init(&cv, p, t, TF_CURVE_MAX + 1), -1);
	/* MAX points without the origin: no room to add it */
	assert_int_equal(tf_curve_init(&cv, p, t, TF_CURVE_MAX), -1);
	assert_int_equal(tf_curve_init(&cv, p, t, TF_CURVE_MAX - 1), 0);
	p[0] = NAN;
	assert_int_equal(tf_curve_init(&cv, p, t, 4), -1);
}

/* (0,0) (100,100) (200,150): 1 token/J, then 0.5 */
static struct tf_curve curve2(void)
{
	static const double p[] = { 0, 100, 200 }, t[] = { 0, 100, 150 };
	struct tf_curve c;

	assert_int_equal(tf_curve_init(&c, p, t, 3), 0);
	return c;
}

static void test_curve_rate_power(void **state)
{
	static const struct { double p, t; } pts[] = {
		{ 0, 0 }, { 50, 50 }, { 100, 100 }, { 150, 125 }, { 200, 150 },
	};
	struct tf_curve c = curve2();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		assert_true(NEAR(tf_curve_rate(&c, pts[i].p), pts[i].t));
		assert_true(NEAR(tf_curve_power(&c, pts[i].t), pts[i].p));
	}
	/* clamped at both ends */
	assert_true(tf_curve_rate(&c, -5) == 0);
	assert_true(tf_curve_rate(&c, 1e9) == 150);
	assert_true(tf_curve_power(&c, -5) == 0);
	assert_true(tf_curve_power(&c, 1e9) == 200);
	assert_true(tf_curve_max_w(&c) == 200);
}

static void test_forecast(void **state)
{
	struct tf_forecast f;
	unsigned int d;

	(void)state;
	tf_fc_init(&f, 3, TF_FC_MEDIAN);
	assert_true(tf_fc_get(&f, 12) == 0);		/* no history */
	tf_fc_observe(&f, 12, 500);
	assert_true(tf_fc_get(&f, 12) == 0);		/* the open day never counts */
	tf_fc_observe(&f, 12, 300);
	tf_fc_end_day(&f);				/* day 1: slot 12 = 400 */
	assert_true(tf_fc_get(&f, 12) == 400);
	assert_true(tf_fc_get(&f, 11) == 0);		/* unobserved: 0 */
	tf_fc_observe(&f, 12, 100);
	tf_fc_end_day(&f);				/* day 2: 100 */
	assert_true(tf_fc_get(&f, 12) == 250);		/* median of two: their mean */
	tf_fc_observe(&f, 12, 1000);
	tf_fc_end_day(&f);				/* day 3: 1000 */
	assert_true(tf_fc_get(&f, 12) == 400);		/* median of 100, 400, 1000 */
	tf_fc_observe(&f, 12, 0);
	tf_fc_end_day(&f);				/* day 4 pushes day 1 out */
	assert_true(tf_fc_get(&f, 12) == 100);		/* median of 0, 100, 1000 */
	/* the 25th hour of a fall-back day folds into the last slot */
	tf_fc_observe(&f, 24, 90);
	tf_fc_end_day(&f);
	assert_true(tf_fc_get(&f, 23) == 0);		/* median of 0, 0, 90 */
	assert_true(tf_fc_get(&f, 99) == 0);

	tf_fc_init(&f, 0, TF_FC_MEAN);			/* at least one day */
	assert_int_equal(f.days, 1);
	tf_fc_init(&f, 1000, TF_FC_MEAN);
	assert_int_equal(f.days, TF_FC_DAYS_MAX);
	for (d = 0; d < 40; d++) {
		tf_fc_observe(&f, 0, d);
		tf_fc_end_day(&f);
	}
	/* the mean of the last TF_FC_DAYS_MAX days: 12..39 */
	assert_true(NEAR(tf_fc_get(&f, 0), (12 + 39) / 2.0));
}

struct plan_case {
	const char *name;
	struct tf_slot s[3];
	size_t n;
	double quota;
	double want_extra[3];
	double want_grid_j, want_short;
};

/* The least-grid plan on cases small enough to work out by hand. */
static void test_plan_grid(void **state)
{
	static const struct plan_case cases[] = {
		{ "green meets the quota: no grid",
		  { { 10, 100, 200, 0 }, { 10, 0, 200, 0 } }, 2, 900,
		  { 0, 0 }, 0, 0 },
		{ "one segment, equal slots: the later one",
		  { { 10, 0, 200, 0 }, { 10, 0, 200, 0 } }, 2, 1000,
		  { 0, 100 }, 1000, 0 },
		{ "steep segments everywhere before a shallow one",
		  { { 10, 0, 200, 0 }, { 10, 0, 200, 0 } }, 2, 2500,
		  { 100, 200 }, 3000, 0 },
		{ "grid where green leaves the curve steep",
		  { { 10, 100, 200, 0 }, { 10, 0, 200, 0 } }, 2, 1500,
		  { 0, 50 }, 500, 0 },
		{ "equal slopes: beside surplus before later",
		  { { 10, 0, 200, 80 }, { 10, 0, 200, 0 } }, 2, 1000,
		  { 100, 0 }, 1000, 0 },
		{ "head below green: batch at the head",
		  { { 10, 300, 150, 0 } }, 1, 1250,
		  { 0 }, 0, 0 },
		{ "head above the curve: the curve's top",
		  { { 10, 0, 900, 0 } }, 1, 1500,
		  { 200 }, 2000, 0 },
		{ "a zero-length slot takes nothing",
		  { { 0, 0, 200, 0 }, { 10, 0, 200, 0 } }, 2, 1000,
		  { 0, 100 }, 1000, 0 },
		{ "infeasible: everything, and the shortfall",
		  { { 10, 0, 200, 0 }, { 10, 0, 200, 0 } }, 2, 5000,
		  { 200, 200 }, 4000, 2000 },
	};
	struct tf_curve c = curve2();
	size_t k, i;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct plan_case *pc = &cases[k];
		struct tf_plan plan;
		double extra[3];

		assert_int_equal(tf_plan_grid(&c, pc->s, pc->n, pc->quota, extra, &plan), 0);
		for (i = 0; i < pc->n; i++)
			if (!NEAR(extra[i], pc->want_extra[i]))
				fail_msg("%s: slot %zu extra %g W, want %g W", pc->name, i,
					 extra[i], pc->want_extra[i]);
		if (!NEAR(plan.grid_j, pc->want_grid_j) || !NEAR(plan.short_tok, pc->want_short))
			fail_msg("%s: grid %g J short %g, want %g J short %g", pc->name,
				 plan.grid_j, plan.short_tok, pc->want_grid_j, pc->want_short);
		/* what it promises is what the curve gives */
		{
			double tok = 0;

			for (i = 0; i < pc->n; i++) {
				double g = fmax(0, fmin(pc->s[i].green_w,
							fmin(pc->s[i].head_w, 200)));

				tok += tf_curve_rate(&c, g + extra[i]) * pc->s[i].dur_s;
			}
			assert_true(NEAR(tok, plan.green_tok + plan.grid_tok));
		}
	}
	/* NULL extra: the totals alone */
	{
		struct tf_plan plan;

		assert_int_equal(tf_plan_grid(&c, cases[2].s, 2, 2500, NULL, &plan), 0);
		assert_true(NEAR(plan.grid_j, 3000.0));
	}
}

struct batch_case {
	const char *name;
	double due, margin, trust;
	struct tf_slot s[3];
	size_t n;
	double want_w;
};

static void test_batch_power(void **state)
{
	static const struct batch_case cases[] = {
		{ "nothing due: green only", 0, 0, 1,
		  { { 10, 50, 200, 50 }, { 10, 0, 200, 0 } }, 2, 50 },
		{ "nothing due, green above the head: the head", -5, 0, 1,
		  { { 10, 500, 120, 500 } }, 1, 120 },
		{ "the forecast green will do: none now", 3000, 0, 1,
		  { { 10, 0, 200, 0 }, { 10, 200, 200, 400 }, { 10, 200, 200, 400 } }, 3, 0 },
		{ "a forecast not trusted: grid now", 3000, 0, 0,
		  { { 10, 0, 200, 0 }, { 10, 200, 200, 400 }, { 10, 200, 200, 400 } }, 3, 100 },
		{ "grid as late as possible", 1000, 0, 1,
		  { { 10, 0, 200, 0 }, { 10, 0, 200, 0 }, { 10, 0, 200, 0 } }, 3, 0 },
		{ "the plan needs now's steep segment", 3000, 0, 1,
		  { { 10, 0, 200, 0 }, { 10, 0, 200, 0 }, { 10, 0, 200, 0 } }, 3, 100 },
		{ "shallow segments: the later ones first", 4000, 0, 1,
		  { { 10, 0, 200, 0 }, { 10, 0, 200, 0 }, { 10, 0, 200, 0 } }, 3, 100 },
		{ "the margin asks for more", 4000, 0.1, 1,
		  { { 10, 0, 200, 0 }, { 10, 0, 200, 0 }, { 10, 0, 200, 0 } }, 3, 180 },
		{ "the latest start: what the rest cannot do at full power", 2400, 0, 1,
		  { { 10, 0, 200, 0 }, { 10, 0, 100, 0 } }, 2, 180 },
		{ "the last tick: all that is due", 1250, 0, 1,
		  { { 10, 0, 200, 0 } }, 1, 150 },
		{ "never above the head", 1e9, 0, 1,
		  { { 10, 30, 80, 30 }, { 10, 0, 200, 0 } }, 2, 80 },
		{ "no slots", 100, 0, 1, { { 0, 0, 0, 0 } }, 0, 0 },
	};
	struct tf_curve c = curve2();
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct batch_case *b = &cases[k];
		struct tf_quota_cfg q = { b->margin, b->trust };
		double got = tf_batch_power(&c, &q, b->due, b->s, b->n);

		if (!NEAR(got, b->want_w))
			fail_msg("%s: %g W, want %g W", b->name, got, b->want_w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_sequence),
		cmocka_unit_test(test_budget_no_ramp),
		cmocka_unit_test(test_split_table),
		cmocka_unit_test(test_curve_init),
		cmocka_unit_test(test_curve_too_many_and_nan),
		cmocka_unit_test(test_curve_rate_power),
		cmocka_unit_test(test_forecast),
		cmocka_unit_test(test_plan_grid),
		cmocka_unit_test(test_batch_power),
	};

	return TF_RUN_TESTS("policy", tests);
}
