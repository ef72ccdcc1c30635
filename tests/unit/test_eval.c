// SPDX-License-Identifier: GPL-2.0
/*
 * The evaluation harness: the offline optimum on a day worked out by hand,
 * the policies on synthetic days (no surplus, all surplus, surplus only
 * at night), and the curve and demand files, malformed ones too.
 */
#include <math.h>
#include <string.h>

#include "tf_test.h"
#include "eval.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-6 * (fabs((double)(b)) + 1))

/*
 * Idle 100 W, at most 300 W, no interactive demand, hourly steps, a
 * worker making 1 token/J up to 100 W and 0.5 token/J up to 200 W.
 */
static struct tf_eval_cfg base_cfg(double quota)
{
	static const double p[] = { 0, 100, 200 }, t[] = { 0, 100, 150 };
	struct tf_eval_cfg c = {
		.idle_w = 100, .max_w = 300, .quota_tok = quota, .step_s = 3600,
		.fixed_w = 25, .quota = { .margin = 0.01, .fc_trust = 1 },
	};

	assert_int_equal(tf_curve_init(&c.curve, p, t, 3), 0);
	return c;
}

static double share(const struct tf_eval_day *r)
{
	return r->tokens > 0 ? r->green_tok / r->tokens : 0;
}

/* A forecast that has seen the same day n times before. */
static void feed(struct tf_forecast *fc, const double *s, unsigned int n)
{
	unsigned int d, h;

	tf_fc_init(fc, 7, TF_FC_MEDIAN);
	for (d = 0; d < n; d++) {
		for (h = 0; h < 24; h++)
			tf_fc_observe(fc, h, s[h]);
		tf_fc_end_day(fc);
	}
}

/*
 * 200 W of surplus from 10:00 to 14:00, quota 2.16 M tokens. The optimum:
 * batch 100 W on the surplus (1.44 M tokens, all green), and the 0.72 M
 * left at 1 token/J at 100 W in two hours without surplus, the latest
 * (22:00, 23:00): grid 7.2 MJ idle in the 20 dark hours + 0.72 MJ batch.
 */
static void test_optimum_by_hand(void **state)
{
	struct tf_eval_cfg c = base_cfg(2.16e6);
	struct tf_eval_day r;
	struct tf_forecast fc;
	double s[24] = { 0 };
	unsigned int h;

	(void)state;
	for (h = 10; h < 14; h++)
		s[h] = 200;
	assert_int_equal(tf_eval_day(&c, TF_EV_OPTIMUM, s, 24, NULL, &r), 0);
	assert_true(NEAR(r.batch_tok, 2.16e6));
	assert_true(NEAR(r.green_tok, 1.44e6));
	assert_true(NEAR(r.grid_j, 7.92e6));
	assert_true(NEAR(r.energy_j, 7.92e6 + 4 * 200 * 3600.0));
	assert_true(NEAR(r.surplus_j, 4 * 200 * 3600.0));
	assert_true(r.quota_met && r.feasible);

	/* uncapped: 200 W from midnight for 4 h, before any surplus */
	assert_int_equal(tf_eval_day(&c, TF_EV_UNCAPPED, s, 24, NULL, &r), 0);
	assert_true(NEAR(r.batch_tok, 2.16e6));
	assert_true(r.green_tok == 0);
	assert_true(NEAR(r.grid_j, 20 * 100 * 3600.0 + 4 * 200 * 3600.0));

	/* on/off: 200 W in the surplus hours, a third of each on the grid */
	assert_int_equal(tf_eval_day(&c, TF_EV_ONOFF, s, 24, NULL, &r), 0);
	assert_true(NEAR(r.batch_tok, 2.16e6));
	assert_true(NEAR(share(&r), 2.0 / 3));
	assert_true(NEAR(r.grid_j, 20 * 100 * 3600.0 + 4 * 100 * 3600.0));

	/* a fixed 25 W: 25 tokens/s all day, green only beside the surplus */
	assert_int_equal(tf_eval_day(&c, TF_EV_FIXED, s, 24, NULL, &r), 0);
	assert_true(NEAR(r.batch_tok, 2.16e6) && r.quota_met);
	assert_true(NEAR(share(&r), 4.0 / 24));
	assert_true(NEAR(r.grid_j, 20 * 125 * 3600.0));

	/* tokenfactory, with or without a forecast: the optimum's plan */
	feed(&fc, s, 7);
	assert_int_equal(tf_eval_day(&c, TF_EV_TOKENFACTORY, s, 24, &fc, &r), 0);
	assert_true(r.quota_met);
	assert_true(r.batch_tok <= 2.16e6 * 1.011);
	assert_true(share(&r) >= 0.99 * 2.0 / 3);
	assert_int_equal(tf_eval_day(&c, TF_EV_TOKENFACTORY, s, 24, NULL, &r), 0);
	assert_true(r.quota_met);
	assert_true(share(&r) >= 0.99 * 2.0 / 3);
}

/* The policies that draw no batch power beside no surplus. */
static void test_day_no_surplus(void **state)
{
	struct tf_eval_cfg c = base_cfg(2.16e6);
	struct tf_eval_day r[TF_EV_NPOLICIES];
	struct tf_forecast fc;
	double s[24] = { 0 };
	int p;

	(void)state;
	feed(&fc, s, 7);
	for (p = 0; p < TF_EV_NPOLICIES; p++) {
		assert_int_equal(tf_eval_day(&c, p, s, 24, &fc, &r[p]), 0);
		assert_true(r[p].green_tok == 0);
		assert_true(r[p].surplus_j == 0);
		assert_true(r[p].quota_met);
	}
	/* nothing beats the optimum on grid energy */
	for (p = 0; p < TF_EV_NPOLICIES; p++)
		assert_true(r[TF_EV_OPTIMUM].grid_j <= r[p].grid_j * (1 + 1e-9));
	/* 1 token/J at 100 W: 6 h of batch on top of the idle day */
	assert_true(NEAR(r[TF_EV_OPTIMUM].grid_j, 24 * 100 * 3600.0 + 2.16e6));
	/* tokenfactory runs the same cheapest segment, a little over for its margin */
	assert_true(r[TF_EV_TOKENFACTORY].grid_j <= r[TF_EV_OPTIMUM].grid_j * 1.011);
	/* uncapped runs flat out: 0.5 token/J at the top, dearer */
	assert_true(r[TF_EV_UNCAPPED].grid_j > r[TF_EV_OPTIMUM].grid_j * 1.05);
}

/* Surplus to spare all day: all batch green, flat out, no grid. */
static void test_day_all_surplus(void **state)
{
	struct tf_eval_cfg c = base_cfg(2.16e6);
	struct tf_eval_day r;
	struct tf_forecast fc;
	double s[24];
	unsigned int h;

	(void)state;
	for (h = 0; h < 24; h++)
		s[h] = 1000;
	feed(&fc, s, 7);
	assert_int_equal(tf_eval_day(&c, TF_EV_TOKENFACTORY, s, 24, &fc, &r), 0);
	assert_true(NEAR(share(&r), 1) && r.grid_j == 0);
	assert_true(NEAR(r.batch_tok, 150 * 86400.0) && r.quota_met);
	assert_int_equal(tf_eval_day(&c, TF_EV_OPTIMUM, s, 24, NULL, &r), 0);
	assert_true(NEAR(share(&r), 1) && r.grid_j == 0);
	assert_true(NEAR(r.batch_tok, 150 * 86400.0));
}

/*
 * 150 W of surplus (50 W for batch) 00:00-06:00 and 20:00-24:00 only:
 * 1.8 M green tokens; the 0.36 M left at 1 token/J beside the latest
 * surplus (22:00, 23:00 at 100 W, three quarters green).
 */
static void test_day_surplus_at_night(void **state)
{
	struct tf_eval_cfg c = base_cfg(2.16e6);
	struct tf_eval_day r[TF_EV_NPOLICIES];
	struct tf_forecast fc;
	double s[24] = { 0 }, want = (1.44e6 + 2 * 3.6e5 * 0.75) / 2.16e6;
	unsigned int h;
	int p;

	(void)state;
	for (h = 0; h < 24; h++)
		s[h] = h < 6 || h >= 20 ? 150 : 0;
	feed(&fc, s, 7);
	for (p = 0; p < TF_EV_NPOLICIES; p++)
		assert_int_equal(tf_eval_day(&c, p, s, 24, &fc, &r[p]), 0);
	assert_true(NEAR(share(&r[TF_EV_OPTIMUM]), want));
	assert_true(r[TF_EV_TOKENFACTORY].quota_met);
	assert_true(share(&r[TF_EV_TOKENFACTORY]) >= 0.99 * want);
	for (p = 0; p < TF_EV_NPOLICIES; p++)
		if (p != TF_EV_TOKENFACTORY && p != TF_EV_OPTIMUM)
			assert_true(share(&r[TF_EV_TOKENFACTORY]) > share(&r[p]) + 0.1);
}

/* Interactive first: its tokens served; more than the host has is not. */
static void test_interactive(void **state)
{
	struct tf_eval_cfg c = base_cfg(1e5);
	struct tf_eval_day r;
	double s[24] = { 0 };
	unsigned int h;

	(void)state;
	for (h = 0; h < 24; h++)
		c.demand_tps[h] = 50;
	assert_int_equal(tf_eval_day(&c, TF_EV_UNCAPPED, s, 24, NULL, &r), 0);
	assert_true(NEAR(r.inter_tok, 50 * 86400.0) && NEAR(r.inter_due, r.inter_tok));
	/* 50 W for interactive: 150 W left, but batch stops at the curve's 200 */
	c.demand_tps[12] = 1000;	/* beyond the host: 150 tokens/s served */
	assert_int_equal(tf_eval_day(&c, TF_EV_OPTIMUM, s, 24, NULL, &r), 0);
	assert_true(NEAR(r.inter_due - r.inter_tok, (1000 - 150) * 3600.0));
	assert_true(r.quota_met);
}

static void test_dst_days_and_errors(void **state)
{
	struct tf_eval_cfg c = base_cfg(1e6);
	struct tf_eval_day r;
	double s[25] = { 0 };

	(void)state;
	assert_int_equal(tf_eval_local_hour(1, 23), 1);
	assert_int_equal(tf_eval_local_hour(2, 23), 3);	/* no 02:00 in spring */
	assert_int_equal(tf_eval_local_hour(22, 23), 23);
	assert_int_equal(tf_eval_local_hour(1, 25), 1);
	assert_int_equal(tf_eval_local_hour(2, 25), 1);	/* 01:00 twice in the fall */
	assert_int_equal(tf_eval_local_hour(24, 25), 23);
	assert_int_equal(tf_eval_local_hour(13, 24), 13);
	assert_int_equal(tf_eval_day(&c, TF_EV_OPTIMUM, s, 23, NULL, &r), 0);
	assert_true(NEAR(r.energy_j, 23 * 100 * 3600.0 + 1e6));
	assert_int_equal(tf_eval_day(&c, TF_EV_OPTIMUM, s, 25, NULL, &r), 0);
	assert_int_equal(tf_eval_day(&c, TF_EV_OPTIMUM, s, 22, NULL, &r), -1);
	assert_int_equal(tf_eval_day(&c, TF_EV_OPTIMUM, s, 26, NULL, &r), -1);
	assert_int_equal(tf_eval_day(&c, TF_EV_NPOLICIES, s, 24, NULL, &r), -1);
	c.step_s = 7;			/* does not divide the hour */
	assert_int_equal(tf_eval_day(&c, TF_EV_OPTIMUM, s, 24, NULL, &r), -1);
	c.step_s = 0;
	assert_int_equal(tf_eval_day(&c, TF_EV_OPTIMUM, s, 24, NULL, &r), -1);
	/* a quota past the day at full power: infeasible, not met */
	c = base_cfg(1e9);
	assert_int_equal(tf_eval_day(&c, TF_EV_TOKENFACTORY, s, 24, NULL, &r), 0);
	assert_true(!r.feasible && !r.quota_met);
	assert_true(NEAR(r.batch_tok, 150 * 86400.0));	/* flat out all day */
}

static FILE *mem(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(f);
	return f;
}

static void test_curve_file(void **state)
{
	static const struct {
		const char *text, *err;	/* NULL: parses */
	} cases[] = {
		{ "power_w,tokens_per_s\n# a comment\n\n100,50\n200, 80\n", NULL },
		{ "40,30\r\n0,0\r\n", NULL },
		{ "power_w,tokens_per_s\n", "no points" },
		{ "", "no points" },
		{ "100;50\n", "t.csv:1: not" },
		{ "100,50\nabc\n", "t.csv:2: not" },
		{ "100,\n", "t.csv:1: not" },
		{ "100,50,3\n", "t.csv:1: not" },
		{ "100,50x\n", "t.csv:1: not" },
		{ "100,50\n100,60\n", "not a curve" },
		{ "0,5\n", "not a curve" },
		{ "-10,5\n", "not a curve" },
		{ "5,nan\n", "t.csv:1: not" },
		{ "1e999,5\n", "t.csv:1: not" },
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct tf_curve c;
		char err[200] = "";
		FILE *f = mem(cases[k].text);
		int ret = tf_eval_read_curve(f, "t.csv", &c, err, sizeof(err));

		fclose(f);
		if (!cases[k].err && ret)
			fail_msg("case %zu: %s", k, err);
		if (cases[k].err && (!ret || !strstr(err, cases[k].err)))
			fail_msg("case %zu: '%s', want '%s'", k, err, cases[k].err);
	}
	{
		struct tf_curve c;
		char err[200];
		FILE *f = mem("power_w,tokens_per_s\n200,80\n100,50\n");

		assert_int_equal(tf_eval_read_curve(f, "t.csv", &c, err, sizeof(err)), 0);
		fclose(f);
		assert_int_equal(c.n, 3);
		assert_true(c.p_w[2] == 200 && c.tps[2] == 80);
	}
}

static void test_too_many_points_and_long_line(void **state)
{
	char text[4096], err[200];
	double x[4], y[4];
	FILE *f;
	int i, n = 0;

	(void)state;
	for (i = 0; i < 5; i++)
		n += snprintf(text + n, sizeof(text) - n, "%d,%d\n", i, i);
	f = mem(text);
	assert_int_equal(tf_eval_read_pairs(f, "t.csv", x, y, 4, err, sizeof(err)), -1);
	fclose(f);
	assert_non_null(strstr(err, "t.csv:5: more than 4"));
	memset(text, '1', 1000);
	text[1000] = '\n';
	text[1001] = 0;
	f = mem(text);
	assert_int_equal(tf_eval_read_pairs(f, "t.csv", x, y, 4, err, sizeof(err)), -1);
	fclose(f);
	assert_non_null(strstr(err, "line too long"));
}

static void test_demand_file(void **state)
{
	char text[2048], err[200];
	double d[24];
	FILE *f;
	int h, n = 0;

	(void)state;
	n = snprintf(text, sizeof(text), "hour,tokens_per_s\n");
	for (h = 23; h >= 0; h--)
		n += snprintf(text + n, sizeof(text) - n, "%d,%d\n", h, h * 2);
	f = mem(text);
	assert_int_equal(tf_eval_read_demand(f, "d.csv", d, err, sizeof(err)), 0);
	fclose(f);
	assert_true(d[0] == 0 && d[13] == 26 && d[23] == 46);

	f = mem("0,1\n1,1\n");
	assert_int_equal(tf_eval_read_demand(f, "d.csv", d, err, sizeof(err)), -1);
	fclose(f);
	assert_non_null(strstr(err, "2 hours, want all 24"));
	f = mem("0,1\n0,2\n");
	assert_int_equal(tf_eval_read_demand(f, "d.csv", d, err, sizeof(err)), -1);
	fclose(f);
	assert_non_null(strstr(err, "point 2"));
	f = mem("24,1\n");
	assert_int_equal(tf_eval_read_demand(f, "d.csv", d, err, sizeof(err)), -1);
	fclose(f);
	f = mem("1.5,1\n");
	assert_int_equal(tf_eval_read_demand(f, "d.csv", d, err, sizeof(err)), -1);
	fclose(f);
	f = mem("3,-1\n");
	assert_int_equal(tf_eval_read_demand(f, "d.csv", d, err, sizeof(err)), -1);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_optimum_by_hand),
		cmocka_unit_test(test_day_no_surplus),
		cmocka_unit_test(test_day_all_surplus),
		cmocka_unit_test(test_day_surplus_at_night),
		cmocka_unit_test(test_interactive),
		cmocka_unit_test(test_dst_days_and_errors),
		cmocka_unit_test(test_curve_file),
		cmocka_unit_test(test_too_many_points_and_long_line),
		cmocka_unit_test(test_demand_file),
	};

	return TF_RUN_TESTS("eval", tests);
}
