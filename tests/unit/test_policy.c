// SPDX-License-Identifier: GPL-2.0
/* The budget and the tiered split, table-driven. */
#include <stdio.h>
#include <string.h>

#include "tf_test.h"
#include "localday.h"
#include "policy.h"
#include "trace.h"

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

/* ---- one step's decision: tf_policy_batch_now ---------------------------- */

/* tf-eval's hour h of a day of `hours` (eval.c), the reference for the local hours. */
static unsigned int ref_local_hour(unsigned int h, unsigned int hours)
{
	if (hours == 23 && h >= 2)
		return h + 1 > 23 ? 23 : h + 1;
	if (hours == 25 && h >= 2)
		return h - 1;
	return h > 23 ? 23 : h;
}

/* A host as the slot callback sees it: idle, its most, interactive by hour. */
struct model {
	const struct tf_curve *c;
	double idle_w, max_w, inter_w[24];
};

static void model_slot(const void *arg, double surplus_w, unsigned int lh,
		       struct tf_slot *out)
{
	const struct model *m = arg;

	out->surplus_w = surplus_w;
	out->head_w = fmin(m->max_w - m->idle_w - m->inter_w[lh], tf_curve_max_w(m->c));
	out->green_w = fmax(0, surplus_w - m->idle_w - m->inter_w[lh]);
}

/* The slots tf-eval built inline before tf_policy_batch_now existed. */
static double ref_batch_now(const struct tf_curve *c, const struct tf_quota_cfg *q,
			    double due, const struct model *m, const struct tf_slot *now,
			    size_t j, size_t sph, double step_s, unsigned int hours,
			    const struct tf_forecast *fc)
{
	struct tf_slot sl[27];
	size_t k = 0, h = j / sph;

	sl[k++] = *now;
	if (j % sph != sph - 1)
		sl[k++] = (struct tf_slot){ (double)(sph - 1 - j % sph) * step_s,
					    now->green_w, now->head_w, now->surplus_w };
	for (h = h + 1; h < hours; h++) {
		unsigned int lh = ref_local_hour((unsigned int)h, hours);
		struct tf_slot f;

		model_slot(m, fc ? tf_fc_get(fc, lh) : 0, lh, &f);
		sl[k++] = (struct tf_slot){ 3600, f.green_w, f.head_w, f.surplus_w };
	}
	return tf_batch_power(c, q, due, sl, k);
}

/* A four-point concave worker: 0.75, 0.4, 0.15 tokens/J. */
static struct tf_curve curve3(void)
{
	static const double p[] = { 0, 40, 140, 280 }, t[] = { 0, 30, 70, 91 };
	struct tf_curve c;

	assert_int_equal(tf_curve_init(&c, p, t, 4), 0);
	return c;
}

static void test_batch_now_same_as_inline(void **state)
{
	static const double steps[] = { 300, 900, 3600 };
	static const double dues[] = { 0, 5e4, 3e5, 1e6, 1e8 };
	static const struct tf_quota_cfg qs[] = { { 0.01, 1 }, { 0.1, 0.5 } };
	struct tf_curve c = curve3();
	struct model m = { &c, 100, 500, { 0 } };
	struct tf_forecast fc;
	unsigned int hours, lh, d, diff = 0, calls = 0;
	size_t si, j, di, qi;

	(void)state;
	for (lh = 0; lh < 24; lh++)
		m.inter_w[lh] = lh >= 9 && lh < 19 ? 120 : 30 + lh;
	/* three past days of a midday surplus, some at night: every hour differs */
	tf_fc_init(&fc, 7, TF_FC_MEDIAN);
	for (d = 0; d < 3; d++) {
		for (lh = 0; lh < 24; lh++)
			tf_fc_observe(&fc, lh, lh >= 10 && lh < 16 ? 150.0 * d + 200 : 7.0 * lh);
		tf_fc_end_day(&fc);
	}
	for (hours = 23; hours <= 25; hours++)
		for (si = 0; si < 3; si++) {
			size_t sph = (size_t)(3600 / steps[si]);

			for (j = 0; j < sph * hours; j++) {
				unsigned int h = (unsigned int)(j / sph), l = ref_local_hour(h, hours);
				double sur = l >= 11 && l < 14 ? 320 + 10.0 * (double)(j % 7) : 0;
				struct tf_slot now;

				model_slot(&m, sur, l, &now);
				now.dur_s = steps[si];
				for (di = 0; di < 5; di++)
					for (qi = 0; qi < 2; qi++) {
						const struct tf_forecast *f = (di + qi) % 2 ? &fc : NULL;
						double want = ref_batch_now(&c, &qs[qi], dues[di], &m, &now,
									    j, sph, steps[si], hours, f);
						double got = tf_policy_batch_now(&c, &qs[qi], dues[di], &now,
							(double)(sph - j % sph) * steps[si],
							ref_local_hour(h + 1, hours), hours - 1 - h,
							f, model_slot, &m);

						calls++;
						/* the same slots in the same order: the same bits */
						if (got != want && !diff++)
							fail_msg("%u-hour day, step %g s, step %zu, due %g: %g W, inline %g W",
								 hours, steps[si], j, dues[di], got, want);
					}
			}
		}
	assert_int_equal(diff, 0);
	assert_true(calls > 10000);
}

/* What the planner is shown: the local hours, the rest of the hour. */
struct rec {
	unsigned int *lh;
	size_t *n;
};

static void rec_slot(const void *arg, double surplus_w, unsigned int lh, struct tf_slot *out)
{
	const struct rec *r = arg;

	(void)surplus_w;
	r->lh[(*r->n)++] = lh;
	out->green_w = 0;
	out->head_w = 200;
	out->surplus_w = 0;
}

static void test_batch_now_hours(void **state)
{
	static const struct {
		const char *name;
		unsigned int next, left, want[26];
		size_t n;
	} cases[] = {
		{ "a 24-hour day at 21:xx", 22, 2, { 22, 23 }, 2 },
		{ "the spring day at 00:xx: no 02:00", 1, 22,
		  { 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 }, 22 },
		{ "the spring day at 01:xx", 3, 21,
		  { 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 }, 21 },
		{ "the fall day at 00:xx: 01:00 twice", 1, 24,
		  { 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 }, 24 },
		{ "the fall day in the first 01:xx", 1, 23,
		  { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 }, 23 },
		{ "the last hour: none after it", 0, 0, { 0 }, 0 },
		{ "more hours than a day has: 25 at most", 0, 99,
		  { 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 }, 25 },
		{ "a next hour past 23: 23", 40, 1, { 23 }, 1 },
	};
	struct tf_curve c = curve2();
	struct tf_quota_cfg q = { 0, 1 };
	struct tf_slot now = { 60, 0, 200, 0 };
	unsigned int lh[32];
	size_t n, k, i;
	struct rec r = { lh, &n };

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		n = 0;
		tf_policy_batch_now(&c, &q, 1000, &now, 600, cases[k].next, cases[k].left,
				    NULL, rec_slot, &r);
		if (n != cases[k].n)
			fail_msg("%s: %zu hours, want %zu", cases[k].name, n, cases[k].n);
		for (i = 0; i < n; i++)
			if (lh[i] != cases[k].want[i])
				fail_msg("%s: hour %zu is %u, want %u", cases[k].name, i, lh[i],
					 cases[k].want[i]);
	}
	/*
	 * The rest of the hour counts at now's surplus: 7,000 tokens due, now
	 * (60 s) at 100 W green makes 6,000; 540 s more of it meets the rest.
	 * With the hour ending at the step's end, the last 1,000 come from
	 * grid power now, at 0.5 tokens/J: 33.3 W more.
	 */
	now = (struct tf_slot){ 60, 100, 200, 300 };
	assert_true(NEAR(tf_policy_batch_now(&c, &q, 7000, &now, 600, 0, 0, NULL,
					     rec_slot, &r), 100));
	assert_true(NEAR(tf_policy_batch_now(&c, &q, 7000, &now, 60, 0, 0, NULL,
					     rec_slot, &r), 100 + 1000 / 30.0));
	/* a step running past the hour's end: no negative rest */
	assert_true(NEAR(tf_policy_batch_now(&c, &q, 7000, &now, 30, 0, 0, NULL,
					     rec_slot, &r), 100 + 1000 / 30.0));
	/* the forecast reaches the planner through the callback */
	{
		struct tf_forecast fc;
		struct model m = { &c, 0, 1000, { 0 } };

		tf_fc_init(&fc, 1, TF_FC_MEAN);
		tf_fc_observe(&fc, 5, 200);
		tf_fc_end_day(&fc);
		now = (struct tf_slot){ 60, 0, 200, 0 };
		/* 500,000 due: 05:00's forecast 200 W green makes 540,000; without it, grid now */
		assert_true(NEAR(tf_policy_batch_now(&c, &q, 500000, &now, 60, 5, 1, &fc,
						     model_slot, &m), 0));
		assert_true(tf_policy_batch_now(&c, &q, 500000, &now, 60, 5, 1, NULL,
						model_slot, &m) > 0);
	}
}

/* ---- the local day -------------------------------------------------------- */

struct lt_case {
	const char *name;
	double t;
	unsigned int hour;
	double left;
	unsigned int next, hours_left, day_hours;
	int y;
	unsigned int m, d;
};

static void check_lt(const struct lt_case *k)
{
	struct tf_localtime lt;

	if (tf_local_at(k->t, &lt))
		fail_msg("%s: failed", k->name);
	if (lt.hour != k->hour || !NEAR(lt.hour_left_s, k->left) || lt.next_hour != k->next ||
	    lt.hours_left != k->hours_left || lt.day_hours != k->day_hours ||
	    lt.day != tf_days_from_civil(k->y, k->m, k->d))
		fail_msg("%s: hour %u left %g next %u hours_left %u day_hours %u day %lld; "
			 "want %u %g %u %u %u %lld", k->name, lt.hour, lt.hour_left_s,
			 lt.next_hour, lt.hours_left, lt.day_hours, (long long)lt.day,
			 k->hour, k->left, k->next, k->hours_left, k->day_hours,
			 (long long)tf_days_from_civil(k->y, k->m, k->d));
}

static void test_local_at(void **state)
{
	/* America/Los_Angeles 2018: spring 03-11 (23 h), fall 11-04 (25 h) */
	static const double spring = 1520755200, fall = 1541314800;
	static const struct lt_case la[] = {
		{ "spring 00:30 PST", spring + 1800, 0, 1800, 1, 22, 23, 2018, 3, 11 },
		{ "spring 01:15 PST: next is 03:00", spring + 4500, 1, 2700, 3, 21, 23, 2018, 3, 11 },
		{ "spring 03:00 PDT", spring + 7200, 3, 3600, 4, 20, 23, 2018, 3, 11 },
		{ "spring 23:59:59.5", spring + 23 * 3600 - 0.5, 23, 0.5, 0, 0, 23, 2018, 3, 11 },
		{ "the day before: 24 h", spring - 3600 + 0.25, 23, 3599.75, 0, 0, 24, 2018, 3, 10 },
		{ "fall 00:30 PDT", fall + 1800, 0, 1800, 1, 24, 25, 2018, 11, 4 },
		{ "fall 01:01 PDT: 01:00 next", fall + 3660, 1, 3540, 1, 23, 25, 2018, 11, 4 },
		{ "fall 01:00 PST", fall + 7200, 1, 3600, 2, 22, 25, 2018, 11, 4 },
		{ "fall 22:30 PST", fall + 23.5 * 3600, 22, 1800, 23, 1, 25, 2018, 11, 4 },
		{ "the day after: 24 h", fall + 25 * 3600 + 60, 0, 3540, 1, 23, 24, 2018, 11, 5 },
	};
	/* Europe/Berlin: back from 03:00 CEST to 02:00 CET on 2018-10-28 */
	static const struct lt_case be[] = {
		{ "Berlin fall 02:30 CEST: 02:00 again next", 1540677600 + 2.5 * 3600, 2, 1800, 2,
		  22, 25, 2018, 10, 28 },
	};
	static const struct lt_case misc[] = {
		{ "UTC 02:40:00.25", 1500000000.25, 2, 1199.75, 3, 21, 24, 2017, 7, 14 },
		{ "+05:30: 05:30 at the epoch", 0, 5, 1800, 6, 18, 24, 1970, 1, 1 },
	};
	struct tf_localtime lt;
	size_t k;
	int y;

	(void)state;
	assert_int_equal(tf_tz_set("America/Los_Angeles"), 0);
	for (k = 0; k < sizeof(la) / sizeof(la[0]); k++)
		check_lt(&la[k]);
	/* the POSIX rule string gives the same */
	assert_int_equal(tf_tz_set("PST8PDT,M3.2.0,M11.1.0"), 0);
	for (k = 0; k < sizeof(la) / sizeof(la[0]); k++)
		check_lt(&la[k]);
	/*
	 * Every hour of 2016 to 2018 against the CAISO converter's own
	 * conversion (trace.c) and tf-eval's local hours.
	 */
	assert_int_equal(tf_tz_set("America/Los_Angeles"), 0);
	for (y = 2016; y <= 2018; y++) {
		int64_t day = tf_days_from_civil(y, 1, 1), end = tf_days_from_civil(y + 1, 1, 1);

		for (; day < end; day++) {
			/* civil from days, by search within the year */
			unsigned int mo = 1, dd;
			int64_t t0, t1;
			unsigned int n, h;

			while (mo < 12 && tf_days_from_civil(y, mo + 1, 1) <= day)
				mo++;
			dd = (unsigned int)(day - tf_days_from_civil(y, mo, 1)) + 1;
			t0 = tf_caiso_hour_utc(y, mo, dd, 1);
			t1 = t0 + 26 * 3600;
			/* the next local midnight: the first hour whose day is another */
			assert_int_equal(tf_local_at((double)t0, &lt), 0);
			n = lt.day_hours;
			assert_true(n >= 23 && n <= 25);
			assert_true(t1 > t0 + (int64_t)n * 3600);
			for (h = 0; h < n; h++) {
				assert_int_equal(tf_local_at((double)(t0 + h * 3600) + 1234.5, &lt), 0);
				if (lt.day != day || lt.hour != ref_local_hour(h, n) ||
				    lt.hours_left != n - 1 - h || lt.day_hours != n ||
				    lt.hour_left_s != 3600 - 1234.5 ||
				    lt.next_hour != (h + 1 < n ? ref_local_hour(h + 1, n) : 0))
					fail_msg("%d-%02u-%02u hour %u: day %lld hour %u left %u next %u",
						 y, mo, dd, h, (long long)lt.day, lt.hour,
						 lt.hours_left, lt.next_hour);
			}
			assert_int_equal(tf_local_at((double)(t0 + n * 3600), &lt), 0);
			assert_true(lt.day == day + 1 && lt.hour == 0);
		}
	}
	assert_int_equal(tf_tz_set("Europe/Berlin"), 0);
	check_lt(&be[0]);
	assert_int_equal(tf_tz_set("UTC"), 0);
	check_lt(&misc[0]);
	assert_int_equal(tf_tz_set("<+0530>-5:30"), 0);
	check_lt(&misc[1]);
	/* out of range */
	assert_int_equal(tf_local_at(NAN, &lt), -1);
	assert_int_equal(tf_local_at(1e300, &lt), -1);
}

static void test_tz_valid(void **state)
{
	static const char *const good[] = {
		"UTC", "GMT", "America/Los_Angeles", ":Europe/Berlin", "Asia/Kolkata",
		"PST8PDT", "EST5", "PST8PDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3",
		"<+0530>-5:30", "<-03>3", "/usr/share/zoneinfo/Europe/Paris",
	};
	static const char *const bad[] = {
		"", ":", "Mars/Olympus", "PST", "PS8", "PST8PDT,M3.2.0,x", "PST8PDT,",
		"../../../etc/passwd", "America/../../../../etc/passwd", "America",
		"<+05>", "/nonexistent/zone", "pst 8",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!tf_tz_valid(good[i]))
			fail_msg("'%s' rejected", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tf_tz_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(tf_tz_valid(NULL));
	/* a rejected zone leaves TZ as it was */
	assert_int_equal(tf_tz_set("UTC"), 0);
	assert_int_equal(tf_tz_set("Mars/Olympus"), -1);
	assert_string_equal(getenv("TZ"), "UTC");
}

/* LA local midnight of 2018-03-DAY (10..13: the 11th has 23 hours). */
static int64_t la_march(unsigned int day)
{
	return tf_caiso_hour_utc(2018, 3, day, 1);
}

static void test_fc_seed_dst(void **state)
{
	int64_t t[200], day = INT64_MIN;
	double w[200], now;
	struct tf_forecast fc;
	struct tf_localtime lt;
	size_t n = 0, used;
	unsigned int d, h, hours;

	(void)state;
	assert_int_equal(tf_tz_set("America/Los_Angeles"), 0);
	/* hourly from 03-10 00:00 to 03-12 23:00: 1000 × day + local hour */
	for (d = 10; d <= 12; d++) {
		hours = (unsigned int)((la_march(d + 1) - la_march(d)) / 3600);
		for (h = 0; h < hours; h++) {
			t[n] = la_march(d) + h * 3600;
			w[n++] = 1000.0 * d + ref_local_hour(h, hours);
		}
	}
	assert_int_equal(n, 24 + 23 + 24);
	w[3] = -50;	/* a negative surplus counts as none */

	/* now 03-12 10:30 PDT: the 10th and the 11th closed, the 12th open to 10:00 */
	now = (double)la_march(12) + 10.5 * 3600;
	tf_fc_init(&fc, 7, TF_FC_MEAN);
	used = tf_fc_seed(&fc, &day, t, w, n, now);
	assert_int_equal(used, 24 + 23 + 11);
	assert_int_equal(fc.have, 2);
	assert_int_equal(tf_local_at(now, &lt), 0);
	assert_true(day == lt.day);
	assert_true(day == tf_days_from_civil(2018, 3, 12));
	assert_true(tf_fc_get(&fc, 0) == (10000 + 11000) / 2.0);
	assert_true(tf_fc_get(&fc, 3) == (0 + 11003) / 2.0);
	/* 02:00 did not happen on the 11th: its slot closed as 0 */
	assert_true(tf_fc_get(&fc, 2) == (10002 + 0) / 2.0);
	assert_true(tf_fc_get(&fc, 23) == (10023 + 11023) / 2.0);
	/* the open day: 00:00 to 10:00 seen, one sample each, nothing after now */
	for (h = 0; h < 24; h++) {
		assert_int_equal(fc.cnt[h], h <= 10 ? 1 : 0);
		if (h <= 10)
			assert_true(fc.sum[h] == 12000 + h);
	}
	/* the live samples go on in the same day, and close it at midnight */
	assert_int_equal(tf_local_at(now + 3600, &lt), 0);
	assert_false(tf_fc_roll(&fc, &day, &lt));
	assert_int_equal(tf_local_at((double)la_march(13) + 5, &lt), 0);
	assert_true(tf_fc_roll(&fc, &day, &lt));
	assert_int_equal(fc.have, 3);
	assert_true(tf_fc_get(&fc, 10) == (10010 + 11010 + 12010) / 3.0);
	assert_true(tf_fc_get(&fc, 11) == (10011 + 11011 + 0) / 3.0);

	/* now long after the data: its last day closed too, now's day open and empty */
	tf_fc_init(&fc, 7, TF_FC_MEDIAN);
	day = INT64_MIN;
	used = tf_fc_seed(&fc, &day, t, w, n, (double)la_march(20));
	assert_int_equal(used, n);
	assert_int_equal(fc.have, 3);
	assert_true(day == tf_days_from_civil(2018, 3, 20));
	assert_true(tf_fc_get(&fc, 5) == 11005);

	/* a day missing from the data is no day of zeros */
	tf_fc_init(&fc, 7, TF_FC_MEAN);
	day = INT64_MIN;
	used = tf_fc_seed(&fc, &day, t, w, 24, (double)la_march(12) + 1);
	assert_int_equal(used, 24);
	assert_int_equal(fc.have, 1);
	assert_true(tf_fc_get(&fc, 3) == 0);	/* w[3] was negative */
	assert_true(tf_fc_get(&fc, 4) == 10004);

	/* nothing before now: nothing used, now's day open */
	tf_fc_init(&fc, 7, TF_FC_MEAN);
	day = INT64_MIN;
	assert_int_equal(tf_fc_seed(&fc, &day, t, w, n, (double)t[0]), 0);
	assert_int_equal(fc.have, 0);
	assert_true(day == tf_days_from_civil(2018, 3, 10));
	assert_int_equal(tf_fc_seed(&fc, &day, t, w, 0, (double)t[0]), 0);
}

/* The fall day: 01:00 twice, both in slot 1; a looped replay's earlier day is a new day. */
static void test_fc_seed_fall(void **state)
{
	int64_t t[26], day = INT64_MIN, t0 = tf_caiso_hour_utc(2018, 11, 4, 1);
	double w[26];
	struct tf_forecast fc;
	struct tf_localtime lt;
	unsigned int h;

	(void)state;
	assert_int_equal(tf_tz_set("America/Los_Angeles"), 0);
	for (h = 0; h < 25; h++) {
		t[h] = t0 + h * 3600;
		w[h] = 100.0 * h;
	}
	tf_fc_init(&fc, 7, TF_FC_MEAN);
	assert_int_equal(tf_fc_seed(&fc, &day, t, w, 25, (double)(t0 + 25 * 3600)), 25);
	assert_int_equal(fc.have, 1);
	assert_true(tf_fc_get(&fc, 0) == 0);
	assert_true(tf_fc_get(&fc, 1) == (100 + 200) / 2.0);
	assert_true(tf_fc_get(&fc, 2) == 300);
	assert_true(tf_fc_get(&fc, 23) == 2400);
	/* back to an earlier day: closes the open one */
	assert_int_equal(tf_local_at((double)t0, &lt), 0);
	assert_true(tf_fc_roll(&fc, &day, &lt));
	assert_int_equal(fc.have, 2);
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
		cmocka_unit_test(test_batch_now_same_as_inline),
		cmocka_unit_test(test_batch_now_hours),
		cmocka_unit_test(test_local_at),
		cmocka_unit_test(test_tz_valid),
		cmocka_unit_test(test_fc_seed_dst),
		cmocka_unit_test(test_fc_seed_fall),
	};

	return TF_RUN_TESTS("policy", tests);
}
