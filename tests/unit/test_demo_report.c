// SPDX-License-Identifier: GPL-2.0
/* The demo's report on synthetic logs whose figures are computed by hand. */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tf_test.h"
#include "demo/report.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6 * fmax(1.0, fabs((double)(b))))

static const char *const header =
	"t,surplus_w,host_power_w,meter,tokens_interactive,tokens_batch,budget_w\n";

/*
 * Two hours, a row every 900 trace s (15 min), accel 480 (each row is
 * 1.875 wall s). Hour 0: surplus 100 W, power 50 W, 100 batch tokens a
 * row: all green. Hour 1: surplus 20 W, power 80 W, 40 interactive tokens
 * a row: a quarter green.
 */
static char *two_hours(char *buf, size_t len)
{
	size_t n = snprintf(buf, len, "%s", header);

	for (int i = 1; i <= 8; i++)
		n += snprintf(buf + n, len - n, i <= 4 ?
			      "%d,100,50,estimated,0,100,60\n" :
			      "%d,20,80,measured,40,0,30\n", i * 900);
	return buf;
}

static void test_two_hours(void **state)
{
	const double epoch_hour = 1500000000 - 1500000000 % 3600;
	struct rp_report r;
	struct rp_row *rows;
	char text[1024], err[128];
	size_t n;

	(void)state;
	assert_int_equal(rp_parse_log(two_hours(text, sizeof(text)), &rows, &n,
				      err, sizeof(err)), 0);
	assert_int_equal(n, 8);
	assert_int_equal(rp_aggregate(rows, n, 480, 0, 400, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nhours, 2);
	assert_int_equal(r.hours[0].hour, 0);
	assert_int_equal(r.hours[1].hour, 1);
	NEAR(r.hours[0].span_s, 3600);
	NEAR(r.hours[0].surplus_w, 100);
	NEAR(r.hours[0].power_w, 50);
	NEAR(r.hours[0].budget_w, 60);
	NEAR(r.hours[0].tok_b, 400);
	NEAR(r.hours[0].tok_i, 0);
	NEAR(r.hours[0].energy_j, 4 * 50 * 1.875);
	NEAR(r.hours[0].grid_j, 0);
	NEAR(r.hours[0].green_tokens, 400);
	assert_int_equal(r.hours[0].meters, RP_ESTIMATED);
	NEAR(r.hours[1].energy_j, 4 * 80 * 1.875);
	NEAR(r.hours[1].green_j, 4 * 20 * 1.875);
	NEAR(r.hours[1].grid_j, 4 * 60 * 1.875);
	NEAR(r.hours[1].green_tokens, 160 * 0.25);
	assert_int_equal(r.hours[1].meters, RP_MEASURED);
	assert_true(isnan(r.hours[1].slo));

	NEAR(r.tok_b, 400);
	NEAR(r.tok_i, 160);
	NEAR(r.energy_j, 975);
	NEAR(r.grid_j, 450);
	NEAR(r.green_j, 525);
	NEAR(r.j_per_token, 975.0 / 560);
	NEAR(r.green_share, 440.0 / 560);
	assert_true(r.quota_met);
	assert_int_equal(r.meters, RP_ESTIMATED | RP_MEASURED);
	assert_true(isnan(r.slo));
	rp_free(&r);

	/* a quota above what was made is not met */
	assert_int_equal(rp_aggregate(rows, n, 480, 0, 401, &r, err, sizeof(err)), 0);
	assert_false(r.quota_met);
	rp_free(&r);

	/* the day starting an hour earlier in trace time: the hours are 1 and 2 */
	assert_int_equal(rp_aggregate(rows, n, 480, -3600, 0, &r, err, sizeof(err)), 0);
	assert_int_equal(r.hours[0].hour, 1);
	assert_int_equal(r.hours[1].hour, 2);
	rp_free(&r);
	/* UTC epoch times with the day's 00:00 at 07:00 UTC: 23:00 and 00:00 */
	for (size_t i = 0; i < n; i++)
		rows[i].t += epoch_hour + 6 * 3600;
	assert_int_equal(rp_aggregate(rows, n, 480, epoch_hour + 7 * 3600, 0,
				      &r, err, sizeof(err)), 0);
	assert_int_equal(r.nhours, 2);
	assert_int_equal(r.hours[0].hour, 23);
	assert_int_equal(r.hours[1].hour, 0);
	NEAR(r.hours[0].tok_b, 400);
	rp_free(&r);
	free(rows);
}

/* An interval across an hour's end is split in proportion. */
static void test_split(void **state)
{
	struct rp_report r;
	struct rp_row *rows;
	char text[512], err[128];
	size_t n;

	(void)state;
	snprintf(text, sizeof(text), "%s3000,0,100,estimated,0,0,0\n"
		 "4200,50,100,estimated,30,90,0\n", header);
	assert_int_equal(rp_parse_log(text, &rows, &n, err, sizeof(err)), 0);
	assert_int_equal(rp_aggregate(rows, n, 1, 0, 0, &r, err, sizeof(err)), 0);
	/* (1800, 3000] and (3000, 4200]: 600 s of the second in each hour */
	assert_int_equal(r.nhours, 2);
	NEAR(r.hours[0].span_s, 1800);
	NEAR(r.hours[1].span_s, 600);
	NEAR(r.hours[0].tok_i, 15);
	NEAR(r.hours[0].tok_b, 45);
	NEAR(r.hours[1].tok_b, 45);
	NEAR(r.hours[0].surplus_w, (0 * 1200 + 50 * 600) / 1800.0);
	NEAR(r.hours[1].surplus_w, 50);
	NEAR(r.hours[0].energy_j, 100 * 1800);
	NEAR(r.hours[0].green_j, 50 * 600);
	NEAR(r.green_share, 0.5);
	assert_true(r.quota_met);	/* no quota */
	rp_free(&r);
	free(rows);
}

static void test_columns_any_order(void **state)
{
	const char *text =
		"# comment\n"
		"meter, budget_w, tokens_batch, extra, t, host_power_w, surplus_w, tokens_interactive\n"
		"measured, 5, 7, x, 10, 3, 2, 1\n"
		"\n"
		"measured,5,7,y,20,3,2,1\r\n";
	struct rp_row *rows;
	char err[128];
	size_t n;

	(void)state;
	assert_int_equal(rp_parse_log(text, &rows, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	NEAR(rows[1].t, 20);
	NEAR(rows[0].surplus_w, 2);
	NEAR(rows[0].power_w, 3);
	NEAR(rows[0].tok_i, 1);
	NEAR(rows[0].tok_b, 7);
	NEAR(rows[0].budget_w, 5);
	assert_int_equal(rows[0].meter, RP_MEASURED);
	free(rows);
}

static void test_bad_logs(void **state)
{
	static const struct {
		const char *body, *err;
	} bad[] = {
		{ "1,2,3,estimated,0,0,0\n1,2,3,estimated,0,0,0\n", "line 3: t does not rise" },
		{ "1,2,3,rapl,0,0,0\n", "line 2: meter: 'rapl' is neither 'measured' nor 'estimated'" },
		{ "1,2,-3,estimated,0,0,0\n", "line 2: host_power_w: '-3' is not a number >= 0" },
		{ "1,2,3,estimated,0,x,0\n", "line 2: tokens_batch: 'x' is not a number >= 0" },
		{ "1,2,3,estimated,0,0\n", "line 2: 6 fields, the header has 7" },
		{ "nan,2,3,estimated,0,0,0\n", "line 2: t: 'nan' is not a number" },
		{ "1,,3,estimated,0,0,0\n", "line 2: surplus_w: '' is not a number >= 0" },
	};
	struct rp_report r;
	struct rp_row *rows;
	char text[512], err[160];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", header, bad[i].body);
		assert_int_equal(rp_parse_log(text, &rows, &n, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].err);
		assert_null(rows);
	}
	assert_int_equal(rp_parse_log("", &rows, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no header");
	assert_int_equal(rp_parse_log("t,surplus_w\n1,2\n", &rows, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: header lacks column 'host_power_w'");

	/* one row is not a day; bad parameters */
	snprintf(text, sizeof(text), "%s1,2,3,estimated,0,0,0\n", header);
	assert_int_equal(rp_parse_log(text, &rows, &n, err, sizeof(err)), 0);
	assert_int_equal(rp_aggregate(rows, n, 480, 0, 0, &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "need at least two rows");
	free(rows);
	snprintf(text, sizeof(text), "%s1,2,3,estimated,0,0,0\n2,2,3,estimated,0,0,0\n", header);
	assert_int_equal(rp_parse_log(text, &rows, &n, err, sizeof(err)), 0);
	assert_int_equal(rp_aggregate(rows, n, 0, 0, 0, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(rp_aggregate(rows, n, 1, 0, -1, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(rp_aggregate(rows, n, 1, NAN, 0, &r, err, sizeof(err)), -EINVAL);
	rows[1].t = 1e9;	/* decades */
	assert_int_equal(rp_aggregate(rows, n, 1, 0, 0, &r, err, sizeof(err)), -EINVAL);
	free(rows);
}

static void test_slo(void **state)
{
	const char *lg =
		"{\"slo_ms\":1000,\"hours\":["
		"{\"hour\":0,\"requests\":10,\"slo_attainment\":1},"
		"{\"hour\":1,\"requests\":10,\"slo_attainment\":0.9},"
		"{\"hour\":2,\"requests\":0,\"slo_attainment\":null}],"
		"\"total\":{\"requests\":20,\"slo_attainment\":0.95}}";
	static const char *const bad[] = {
		"", "[]", "{\"hours\":[]}",
		"{\"hours\":[],\"total\":{}}",
		"{\"hours\":[{\"hour\":0,\"slo_attainment\":1.5}],\"total\":{\"slo_attainment\":1}}",
		"{\"hours\":[{\"hour\":24,\"slo_attainment\":1}],\"total\":{\"slo_attainment\":1}}",
		"{\"hours\":[{\"slo_attainment\":1}],\"total\":{\"slo_attainment\":1}}",
		"{\"hours\":{},\"total\":{\"slo_attainment\":1}}",
		"{\"hours\":[],\"total\":{\"slo_attainment\":\"high\"}}",
	};
	struct rp_report r;
	struct rp_row *rows;
	char text[1024], err[128];
	size_t n;

	(void)state;
	assert_int_equal(rp_parse_log(two_hours(text, sizeof(text)), &rows, &n,
				      err, sizeof(err)), 0);
	assert_int_equal(rp_aggregate(rows, n, 480, 0, 0, &r, err, sizeof(err)), 0);
	assert_int_equal(rp_add_slo(&r, lg, 0.99, err, sizeof(err)), 0);
	NEAR(r.hours[0].slo, 1);
	NEAR(r.hours[1].slo, 0.9);
	NEAR(r.slo, 0.95);
	assert_false(r.slo_met);
	assert_int_equal(rp_add_slo(&r, lg, 0.95, err, sizeof(err)), 0);
	assert_true(r.slo_met);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (rp_add_slo(&r, bad[i], 0.99, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != 0);
	}
	rp_free(&r);
	free(rows);
}

/* build/tests/demo/tf-report, found from this binary's build/tests/unit/ */
static char tool[4096];

static int run(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = 0;
	return pclose(p);
}

/*
 * The tool end to end on a synthetic day: a table, --json, and a PNG that
 * gnuplot drew (skipped where gnuplot is not installed).
 */
static void test_tool(void **state)
{
	char dir[] = "/tmp/tf-report-XXXXXX", log[64], png[64], cmd[8192];
	static char out[65536];
	unsigned char magic[8];
	FILE *f;

	(void)state;
	if (access(tool, X_OK) || system("command -v gnuplot >/dev/null 2>&1"))
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/day.csv", dir);
	snprintf(png, sizeof(png), "%s/day.png", dir);
	f = fopen(log, "w");
	assert_non_null(f);
	fputs(header, f);
	/* a day at accel 480: a row every 480 trace s; surplus 09:00-16:00 */
	for (int i = 1; i <= 180; i++) {
		double h = i * 480 / 3600.0, s = h > 9 && h < 16 ? 60 : 0;

		fprintf(f, "%d,%g,%g,estimated,100,%d,%g\n", i * 480, s,
			s ? 50.0 : 20.0, s ? 400 : 0, s ? 60.0 : 12.0);
	}
	fclose(f);

	snprintf(cmd, sizeof(cmd), "%s --quota 20000 --png %s %s", tool, png, log);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "tokens            38800 (interactive 18000, batch 20800)"));
	assert_non_null(strstr(out, "batch quota       20000 tokens: met"));
	assert_non_null(strstr(out, "note: 'estimated' power"));
	f = fopen(png, "rb");
	assert_non_null(f);
	assert_int_equal(fread(magic, 1, 8, f), 8);
	fclose(f);
	assert_memory_equal(magic, "\x89PNG\r\n\x1a\n", 8);

	snprintf(cmd, sizeof(cmd), "%s --json --quota 99999 %s", tool, log);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"quota_met\": false"));
	assert_non_null(strstr(out, "\"green_token_share\": "));

	/* a broken log: exit 1 and the line named */
	f = fopen(log, "a");
	fputs("1,2,3,estimated,0,0,0\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", tool, log);
	assert_int_not_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "line 182: t does not rise"));
	unlink(log);
	unlink(png);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_hours),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_columns_any_order),
		cmocka_unit_test(test_bad_logs),
		cmocka_unit_test(test_slo),
		cmocka_unit_test(test_tool),
	};

	(void)argc;
	snprintf(tool, sizeof(tool), "%s/../demo/tf-report", dirname(argv[0]));

	return TF_RUN_TESTS("demo_report", tests);
}
