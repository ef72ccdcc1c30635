// SPDX-License-Identifier: GPL-2.0
/* The load generator's arithmetic: demand curve, schedule, percentiles. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tf_test.h"
#include "demo/lgmath.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_builtin_curve(void **state)
{
	struct lg_curve c;
	int lo = 0, hi = 0;

	(void)state;
	lg_curve_builtin(&c);
	for (int h = 1; h < 24; h++) {
		if (c.v[h] < c.v[lo])
			lo = h;
		if (c.v[h] > c.v[hi])
			hi = h;
	}
	assert_int_equal(hi, 20);	/* evening peak */
	assert_int_equal(lo, 4);	/* night trough */
	NEAR(lg_curve_max(&c), 1.0);
	NEAR(lg_curve_at(&c, 20), 1.0);
	NEAR(lg_curve_at(&c, 20.5), (1.0 + 0.93) / 2);
	NEAR(lg_curve_at(&c, 20.25), 1.0 + (0.93 - 1.0) * 0.25);
	/* from 23:00 back to 00:00, and any real hour wraps */
	NEAR(lg_curve_at(&c, 23.5), (0.50 + 0.35) / 2);
	NEAR(lg_curve_at(&c, -0.5), (0.50 + 0.35) / 2);
	NEAR(lg_curve_at(&c, 24), c.v[0]);
	NEAR(lg_curve_at(&c, 48 + 4), c.v[4]);
	NEAR(lg_curve_at(&c, 23.999999999), 0.35 + (0.50 - 0.35) * 1e-9);
}

static void test_curve_parse(void **state)
{
	char text[2048], err[128];
	struct lg_curve c;
	size_t n = 0;

	(void)state;
	n += snprintf(text + n, sizeof(text) - n, "hour,demand\n# a flat day\n\n");
	for (int h = 23; h >= 0; h--)	/* any order */
		n += snprintf(text + n, sizeof(text) - n,
			      h % 2 ? "%d,%d # odd\n" : "  %d %d\r\n", h, h + 1);
	assert_int_equal(lg_curve_parse(text, &c, err, sizeof(err)), 0);
	for (int h = 0; h < 24; h++)
		NEAR(c.v[h], h + 1);
	NEAR(lg_curve_max(&c), 24);
	NEAR(lg_curve_at(&c, 23.5), (24 + 1) / 2.0);
}

static void test_curve_parse_bad(void **state)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "", "hour 0 missing" },
		{ "0,1\n", "hour 1 missing" },
		{ "24,1\n", "line 1: hour not in 0..23" },
		{ "-1,1\n", "line 1: hour not in 0..23" },
		{ "x,1\n", "line 1: hour not in 0..23" },
		{ "0,1\n0,2\n", "line 2: hour 0 twice" },
		{ "0,-1\n", "line 1: value not a number >= 0" },
		{ "0,nan\n", "line 1: value not a number >= 0" },
		{ "0,1x\n", "line 1: value not a number >= 0" },
		{ "0,\n", "line 1: value not a number >= 0" },
		{ "0;1\n", "line 1: want HOUR,VALUE" },
		{ "0\n", "line 1: want HOUR,VALUE" },
	};
	char text[1024], err[128];
	struct lg_curve c;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(lg_curve_parse(bad[i].text, &c, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].err);
	}
	for (int h = 0; h < 24; h++)
		n += snprintf(text + n, sizeof(text) - n, "%d,0\n", h);
	assert_int_equal(lg_curve_parse(text, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "every hour is zero");
}

static void test_percentile(void **state)
{
	double v[100], one = 7;

	(void)state;
	for (int i = 0; i < 100; i++)	/* 100, 99, ..., 1: unsorted input */
		v[i] = 100 - i;
	NEAR(lg_percentile(v, 100, 50), 50);
	NEAR(lg_percentile(v, 100, 99), 99);
	NEAR(lg_percentile(v, 100, 100), 100);
	NEAR(lg_percentile(v, 100, 0), 1);
	NEAR(lg_percentile(v, 100, 99.5), 100);
	NEAR(lg_percentile(v, 100, 0.1), 1);
	NEAR(lg_percentile(v, 100, 29), 29);	/* 0.29 x 100 is 28.999... */
	/* nearest rank: 10 values, p99 is the largest, p50 the fifth */
	NEAR(lg_percentile(v, 10, 99), 10);
	NEAR(lg_percentile(v, 10, 50), 5);
	NEAR(lg_percentile(&one, 1, 50), 7);
	NEAR(lg_percentile(&one, 1, 99), 7);
	assert_true(isnan(lg_percentile(v, 0, 50)));
	assert_true(isnan(lg_percentile(v, 10, -1)));
	assert_true(isnan(lg_percentile(v, 10, 100.5)));
	assert_true(isnan(lg_percentile(v, 10, NAN)));
}

static void test_summarise(void **state)
{
	double lat[] = { 900, 100, 1000, 1000.5, 50 };
	struct lg_stats st;

	(void)state;
	/* 5 answered (1000 is within a 1000 ms SLO, 1000.5 is not), 3 failed */
	lg_summarise(lat, 5, 3, 1000, &st);
	assert_int_equal(st.requests, 8);
	assert_int_equal(st.errors, 3);
	assert_int_equal(st.within_slo, 4);
	NEAR(st.attainment, 4.0 / 8);
	NEAR(st.p50_ms, 900);
	NEAR(st.p99_ms, 1000.5);
	lg_summarise(lat, 0, 0, 1000, &st);
	assert_int_equal(st.requests, 0);
	assert_true(isnan(st.attainment));
	assert_true(isnan(st.p99_ms));
	lg_summarise(lat, 0, 2, 1000, &st);
	NEAR(st.attainment, 0);
}

static void test_schedule(void **state)
{
	static double t[4000];
	struct lg_curve flat, half;
	long n, in_gap = 0;

	(void)state;
	for (int h = 0; h < 24; h++) {
		flat.v[h] = 2;
		half.v[h] = h < 12 ? 1 : 0;
	}
	/* a flat curve: Poisson at peak_rps, 1000 expected (sd 32) */
	n = lg_schedule(&flat, 10, 480, 0, 100, 42, t, 4000);
	assert_in_range(n, 1000 - 160, 1000 + 160);
	for (long i = 1; i < n; i++)
		assert_true(t[i] > t[i - 1]);
	assert_true(t[0] >= 0 && t[n - 1] < 100);
	/* the same seed, the same schedule */
	assert_int_equal(lg_schedule(&flat, 10, 480, 0, 100, 42, t, 4000), n);

	/*
	 * Accel 3600: an hour a second. Demand 1 in hours 0..11 and 0 from
	 * 12:00 to 23:00 (ramps in 11..12 and 23..24): 12 s' worth at 50/s.
	 */
	n = lg_schedule(&half, 50, 3600, 0, 24, 7, t, 4000);
	assert_in_range(n, 600 - 125, 600 + 125);
	for (long i = 0; i < n; i++)
		if (t[i] >= 12 && t[i] < 23)
			in_gap++;
	assert_int_equal(in_gap, 0);
	/* starting at 12:00: the first arrival waits for the 23:00 ramp */
	n = lg_schedule(&half, 50, 3600, 12, 24, 7, t, 4000);
	assert_true(n > 0);
	assert_true(t[0] >= 11);

	/* max truncates; bad arguments */
	assert_int_equal(lg_schedule(&flat, 10, 480, 0, 100, 42, t, 5), 5);
	assert_int_equal(lg_schedule(&flat, 0, 480, 0, 100, 42, t, 10), -EINVAL);
	assert_int_equal(lg_schedule(&flat, 10, 0, 0, 100, 42, t, 10), -EINVAL);
	assert_int_equal(lg_schedule(&flat, 10, 480, NAN, 100, 42, t, 10), -EINVAL);
	assert_int_equal(lg_schedule(&flat, 10, 480, 0, -1, 42, t, 10), -EINVAL);
	for (int h = 0; h < 24; h++)
		flat.v[h] = 0;
	assert_int_equal(lg_schedule(&flat, 10, 480, 0, 100, 42, t, 10), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_curve),
		cmocka_unit_test(test_curve_parse),
		cmocka_unit_test(test_curve_parse_bad),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_summarise),
		cmocka_unit_test(test_schedule),
	};

	return TF_RUN_TESTS("demo_loadgen", tests);
}
