// SPDX-License-Identifier: GPL-2.0
/* The CAISO converter: hour-ending local time, sparse hours, several rows an hour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_test.h"
#include "trace.h"

#define HEADER "month,day,year,hour,curtailment_type,reason,curtail_category,fuel_type,curtailed_MWh,curtailed_MW\n"

static int read_str(const char *text, long from, long to, struct tf_trace *t,
		    char *err, size_t errsz)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	ret = tf_caiso_read(f, "test.csv", from, to, t, err, errsz);
	fclose(f);
	return ret;
}

static void test_civil(void **state)
{
	(void)state;
	assert_int_equal(tf_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(tf_days_from_civil(2018, 3, 24), 17614);
	assert_int_equal(tf_days_from_civil(2000, 3, 1), 11017);
}

/* Hour-ending: HE 1 is 00:00-01:00 local; PST is UTC-8, PDT UTC-7. */
static void test_hour_ending(void **state)
{
	(void)state;
	/* 2018-01-15 HE1 = 00:00 PST = 08:00 UTC */
	assert_int_equal(tf_caiso_hour_utc(2018, 1, 15, 1), 1515974400 + 8 * 3600);
	/* 2018-03-24 HE16 = 15:00 PDT = 22:00 UTC */
	assert_int_equal(tf_caiso_hour_utc(2018, 3, 24, 16),
			 17614 * 86400LL + 22 * 3600);
	/* DST 2018 began 2018-03-11 02:00: HE2 is PST, HE4 PDT, one hour apart */
	assert_int_equal(tf_caiso_hour_utc(2018, 3, 11, 4) - tf_caiso_hour_utc(2018, 3, 11, 2), 3600);
	/* the missing hour (HE3) lands on the one after it */
	assert_int_equal(tf_caiso_hour_utc(2018, 3, 11, 3), tf_caiso_hour_utc(2018, 3, 11, 4));
	/* DST 2018 ended 2018-11-04 02:00 PDT: HE1 PDT, HE2 PST, two hours apart */
	assert_int_equal(tf_caiso_hour_utc(2018, 11, 4, 2) - tf_caiso_hour_utc(2018, 11, 4, 1), 7200);
	/* ordinary days: 24 hours */
	assert_int_equal(tf_caiso_hour_utc(2018, 6, 2, 1) - tf_caiso_hour_utc(2018, 6, 1, 1), 86400);
}

static void test_sparse_and_summed(void **state)
{
	static const char text[] = HEADER
		"4,2,2018,14,Economic,Local,Economic - Local,SOLR,100,\n"
		"4,2,2018,14,Economic,System,Economic - System,WIND,50,20\n"
		"4,2,2018,10,Economic,Local,Economic - Local,SOLR,7,7\n";
	struct tf_site_scale s = { 0.005, 100, 1000 };
	struct tf_trace t;
	char err[200];
	size_t i, nonzero = 0;

	(void)state;
	assert_int_equal(read_str(text, 0, 0, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 24);	/* the whole local day, zeros too */
	assert_int_equal(t.v[0].t, tf_caiso_hour_utc(2018, 4, 2, 1));
	for (i = 0; i < t.n; i++)
		nonzero += t.v[i].mwh > 0;
	assert_int_equal(nonzero, 2);
	assert_true(t.v[13].mwh == 150);	/* HE14: both rows */
	assert_true(t.v[9].mwh == 7);
	/* 150 MW × 0.5 % / 100 hosts = 7.5 kW, a host takes at most 1 kW */
	assert_true(tf_host_surplus_w(t.v[13].mwh, &s) == 1000);
	assert_true(tf_host_surplus_w(t.v[9].mwh, &s) == 350);
	assert_true(tf_host_surplus_w(0, &s) == 0);
	tf_trace_free(&t);
}

static void test_day_range(void **state)
{
	static const char text[] = HEADER
		"4,1,2018,12,E,L,E,SOLR,1,\n"
		"4,3,2018,12,E,L,E,SOLR,3,\n"
		"4,5,2018,12,E,L,E,SOLR,5,\n";
	struct tf_trace t;
	char err[200];

	(void)state;
	assert_int_equal(read_str(text, 20180402, 20180404, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 24);
	assert_true(t.v[11].mwh == 3);
	tf_trace_free(&t);
	assert_int_equal(read_str(text, 20190101, 0, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no rows"));
}

static void test_errors_name_line_and_field(void **state)
{
	struct tf_trace t;
	char err[200];

	(void)state;
	assert_int_equal(read_str("a,b,c\n", 0, 0, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "test.csv:1"));
	assert_int_equal(read_str(HEADER "4,2,2018,25,E,L,E,SOLR,1,\n", 0, 0, &t,
				  err, sizeof(err)), -1);
	assert_non_null(strstr(err, "test.csv:2: field hour"));
	assert_int_equal(read_str(HEADER "4,2,2018,3,E,L,E,SOLR,1,\n13,2,2018,3,E,L,E,SOLR,1,\n",
				  0, 0, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "test.csv:3: field month"));
	assert_int_equal(read_str(HEADER "4,2,2018,3,E,L,E,SOLR,abc,\n", 0, 0, &t,
				  err, sizeof(err)), -1);
	assert_non_null(strstr(err, "field curtailed_MWh"));
	assert_int_equal(read_str(HEADER "4,2,2018,3,E,L,E,SOLR,-4,\n", 0, 0, &t,
				  err, sizeof(err)), -1);
}

/* Local days: 23 hours on the spring switch, 25 on the fall one; rows in any order. */
static void test_dst_days_and_order(void **state)
{
	static const char spring[] = HEADER "3,11,2018,24,E,L,E,SOLR,9,\n"
		"3,11,2018,1,E,L,E,WIND,4,\n";
	static const char fall[] = HEADER "11,4,2018,2,E,L,E,WIND,2,\n"
		"11,4,2018,1,E,L,E,WIND,1,\n11,4,2018,25,E,L,E,WIND,1,\n";
	static const char two[] = HEADER "4,3,2018,1,E,L,E,WIND,5,\n"
		"4,2,2018,24,E,L,E,WIND,6,\n4,2,2018,24,E,L,E,SOLR,1,\n";
	struct tf_trace t;
	char err[200];

	(void)state;
	assert_int_equal(read_str(spring, 0, 0, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 23);
	assert_true(t.v[0].mwh == 4 && t.v[22].mwh == 9);
	tf_trace_free(&t);
	/* hours are 1..24 even on the fall day: its repeated hour has no row */
	assert_int_equal(read_str(fall, 0, 0, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "test.csv:4: field hour"));
	{
		static const char fall2[] = HEADER "11,4,2018,2,E,L,E,WIND,2,\n"
			"11,4,2018,1,E,L,E,WIND,1,\n";

		assert_int_equal(read_str(fall2, 0, 0, &t, err, sizeof(err)), 0);
		assert_int_equal(t.n, 25);
		assert_true(t.v[0].mwh == 1);
		assert_true(t.v[1].mwh == 0);	/* 01:00 PST, the repeated hour */
		assert_true(t.v[2].mwh == 2);	/* HE2 = 01:00-02:00 PST */
		tf_trace_free(&t);
	}
	/* unordered rows of two days: one contiguous series, HE24 then HE1 */
	assert_int_equal(read_str(two, 0, 0, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 48);
	assert_true(t.v[23].mwh == 7 && t.v[24].mwh == 5);
	assert_int_equal(t.v[24].t - t.v[23].t, 3600);
	tf_trace_free(&t);
}

static int series_str(const char *text, struct tf_series *s, char *err, size_t errsz)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	ret = tf_series_read(f, "h.csv", s, err, errsz);
	fclose(f);
	return ret;
}

/* tf-caiso's output read back: the daemon's forecast history. */
static void test_series(void **state)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "", "h.csv: no rows" },
		{ "# only a comment\n\n", "h.csv: no rows" },
		{ "1500000000,1\n1500003600;2\n", "h.csv:2: not \"UTC_SECONDS,SURPLUS_W\"" },
		{ "1500000000.5,1\n", "h.csv:1: not" },
		{ "1500000000,\n", "h.csv:1: not" },
		{ "1500000000,nan\n", "h.csv:1: not" },
		{ "1500000000,inf\n", "h.csv:1: not" },
		{ "1500000000,1,2\n", "h.csv:1: not" },
		{ "1500000000,1 x\n", "h.csv:1: not" },
		{ ",5\n", "h.csv:1: not" },
		{ "99999999999999999999,5\n", "h.csv:1: not" },
		{ "1,1\nutc_s,surplus_w\n", "h.csv:2: not" },	/* a header after data */
		{ "a,b\nc,d\n", "h.csv:2: not" },		/* one header only */
		{ "1500003600,1\n1500000000,2\n",
		  "h.csv:2: time 1500000000 not after the row before (1500003600)" },
		{ "5,1\n5,2\n", "h.csv:2: time 5 not after the row before (5)" },
	};
	struct tf_series s;
	char err[200], *big;
	size_t i;

	(void)state;
	assert_int_equal(series_str("# utc_s,surplus_w  (tf-caiso)\n"
				    "1520668800,0.0\n\n  1520672400,250.5\r\n"
				    "1520676000,-3\n", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 3);
	assert_true(s.t[0] == 1520668800 && s.w[0] == 0);
	assert_true(s.t[1] == 1520672400 && s.w[1] == 250.5);
	assert_true(s.t[2] == 1520676000 && s.w[2] == -3);
	tf_series_free(&s);
	tf_series_free(&s);	/* twice is harmless */
	assert_int_equal(series_str("utc_s,surplus_w\n-3600,1e3\n", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.t[0] == -3600 && s.w[0] == 1000);
	tf_series_free(&s);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0x5a, sizeof(s));
		if (series_str(bad[i].text, &s, err, sizeof(err)) != -1)
			fail_msg("'%s' read", bad[i].text);
		if (strstr(err, bad[i].err) != err)
			fail_msg("'%s': got \"%s\", want \"%s...\"", bad[i].text, err, bad[i].err);
		assert_null(s.t);
		assert_int_equal(s.n, 0);
	}

	/* a line too long, and a series long enough to grow the arrays */
	big = malloc(100000);
	assert_non_null(big);
	memset(big, '1', 300);
	strcpy(big + 300, ",1\n");
	assert_int_equal(series_str(big, &s, err, sizeof(err)), -1);
	assert_string_equal(err, "h.csv:1: line too long");
	big[0] = '\0';
	for (i = 0; i < 3000; i++)
		sprintf(big + strlen(big), "%zu,%zu.5\n", 1000 + 3600 * i, i);
	assert_int_equal(series_str(big, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 3000);
	assert_true(s.t[2999] == 1000 + 3600 * 2999 && s.w[2999] == 2999.5);
	tf_series_free(&s);
	free(big);
}

/*
 * Found by tests/fuzz/fuzz_caiso: a mistyped year (9842 beside 2018) made
 * it allocate the hourly series for 7,800 years (1 GB); such a span is
 * refused now. A day past the month's end (31 February) is refused too
 * rather than landing in March, outside the sorted order.
 */
static void test_span_and_dates(void **state)
{
	struct tf_trace t;
	char err[200];

	(void)state;
	assert_int_equal(read_str(HEADER "1,11,9842,24,E,L,E,SOLR,9,\n"
				  "3,11,2018,1,E,L,E,WIND,4,\n", 0, 0, &t, err,
				  sizeof(err)), -1);
	assert_null(t.v);
	assert_non_null(strstr(err, "test.csv: rows from 20180311 to 98420111: over"));
	/* 99 years is fine (868,000 hours) */
	assert_int_equal(read_str(HEADER "1,1,1950,1,E,L,E,SOLR,9,\n"
				  "12,31,2048,24,E,L,E,WIND,4,\n", 0, 0, &t, err,
				  sizeof(err)), 0);
	assert_int_equal(t.n, (size_t)(tf_days_from_civil(2049, 1, 1) -
				       tf_days_from_civil(1950, 1, 1)) * 24);
	tf_trace_free(&t);

	assert_int_equal(read_str(HEADER "2,29,2018,1,E,L,E,SOLR,9,\n", 0, 0, &t,
				  err, sizeof(err)), -1);
	assert_string_equal(err, "test.csv:2: field day: not a number in range");
	assert_int_equal(read_str(HEADER "4,31,2018,1,E,L,E,SOLR,9,\n", 0, 0, &t,
				  err, sizeof(err)), -1);
	/* 2016 and 2000 are leap years, 1900 is not */
	assert_int_equal(read_str(HEADER "2,29,2016,1,E,L,E,SOLR,9,\n", 0, 0, &t,
				  err, sizeof(err)), 0);
	tf_trace_free(&t);
	assert_int_equal(read_str(HEADER "2,29,2000,1,E,L,E,SOLR,9,\n", 0, 0, &t,
				  err, sizeof(err)), 0);
	tf_trace_free(&t);
	assert_int_equal(read_str(HEADER "2,29,1900,1,E,L,E,SOLR,9,\n", 0, 0, &t,
				  err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_hour_ending),
		cmocka_unit_test(test_sparse_and_summed),
		cmocka_unit_test(test_day_range),
		cmocka_unit_test(test_errors_name_line_and_field),
		cmocka_unit_test(test_dst_days_and_order),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_span_and_dates),
	};

	return TF_RUN_TESTS("trace", tests);
}
