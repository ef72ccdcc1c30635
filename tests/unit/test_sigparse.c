// SPDX-License-Identifier: GPL-2.0
/*
 * The signal parsers: real-shaped payloads of each API, and malformed,
 * truncated, huge and wrong-typed ones, each error naming its field.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tf_test.h"
#include "sigparse.h"
#include "tf_nl.h"

#define S		1000000000LL
/* 2024-05-01T12:00:00Z */
#define NOON		(1714564800LL * S)
#define MIN		(60 * S)

static struct tf_source_cfg cfg(void)
{
	struct tf_source_cfg c;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "test");
	strcpy(c.surplus_field, "surplus_w");
	strcpy(c.carbon_field, "carbon_g_kwh");
	strcpy(c.price_field, "price_mwh");
	c.value_low = 100;
	c.value_high = 500;
	c.surplus_max_uw = 1000000000ULL;	/* 1 kW */
	return c;
}

/* err starts with the expected text (which names the field) */
static void assert_err(const char *err, const char *want, const char *what)
{
	if (strncmp(err, want, strlen(want))) {
		print_error("%s: error \"%s\", expected \"%s...\"\n", what, err,
			    want);
		fail();
	}
}

/* ---- the JSON payload ---------------------------------------------------- */

struct jcase {
	const char *payload;
	const char *err;		/* NULL: accepted */
	uint64_t surplus_uw;
};

static const struct jcase json_cases[] = {
	{ "{\"surplus_w\": 250}", NULL, 250000000ULL },
	{ "{\"surplus_w\": 0}", NULL, 0 },
	{ "{\"surplus_w\": 0.5, \"carbon_g_kwh\": null}", NULL, 500000ULL },
	{ "  {\"surplus_w\": 1e3}\n", NULL, 1000000000ULL },
	{ "{\"surplus_w\": \"250\"}", "surplus_w: not a number", 0 },
	{ "{\"surplus_w\": true}", "surplus_w: not a number", 0 },
	{ "{\"surplus_w\": {}}", "surplus_w: not a number", 0 },
	{ "{\"surplus_w\": [1]}", "surplus_w: not a number", 0 },
	{ "{\"surplus_w\": null}", "surplus_w: null", 0 },
	{ "{\"surplus\": 5}", "surplus_w: missing", 0 },
	{ "{}", "surplus_w: missing", 0 },
	{ "{\"surplus_w\": -1}", "surplus_w: negative", 0 },
	{ "{\"surplus_w\": NaN}", "surplus_w: not finite", 0 },
	{ "{\"surplus_w\": -Infinity}", "surplus_w: not finite", 0 },
	{ "{\"surplus_w\": 1e400}", "surplus_w: not finite", 0 },
	{ "{\"surplus_w\": 1e7}", "surplus_w: above 1000000 W", 0 },
	{ "{\"surplus_w\": 5", "payload: truncated JSON", 0 },
	{ "{\"surplus_w\": 5, \"carb", "payload: truncated JSON", 0 },
	{ "{\"surplus_w\": 5,}", "payload: not JSON", 0 },
	{ "surplus_w=5", "payload: not JSON", 0 },
	{ "{\"surplus_w\": 5} {\"surplus_w\": 6}", "payload: not JSON", 0 },
	{ "{\"surplus_w\": 5} x", "payload: not JSON", 0 },
	{ "[{\"surplus_w\": 5}]", "payload: not an object", 0 },
	{ "5", "payload: not an object", 0 },
	{ "", "payload: empty", 0 },
	{ "   ", "payload: truncated JSON", 0 },
	{ "{\"surplus_w\": 1, \"carbon_g_kwh\": \"low\"}",
	  "carbon_g_kwh: not a number", 0 },
	{ "{\"surplus_w\": 1, \"carbon_g_kwh\": -3}", "carbon_g_kwh: negative", 0 },
	{ "{\"surplus_w\": 1, \"carbon_g_kwh\": 1e10}",
	  "carbon_g_kwh: out of range", 0 },
	{ "{\"surplus_w\": 1, \"price_mwh\": false}", "price_mwh: not a number", 0 },
	{ "{\"surplus_w\": 1, \"price_mwh\": 1e13}", "price_mwh: out of range", 0 },
	{ "{\"surplus_w\": 1, \"ts\": \"yesterday\"}", "ts: bad timestamp", 0 },
	{ "{\"surplus_w\": 1, \"ts\": \"2024-05-01T12:00:00\"}",
	  "ts: bad timestamp", 0 },
	{ "{\"surplus_w\": 1, \"ts\": -5}", "ts: bad timestamp", 0 },
	{ "{\"surplus_w\": 1, \"ts\": true}", "ts: not a timestamp", 0 },
};

static void test_json_table(void **state)
{
	struct tf_source_cfg c = cfg();
	struct tf_sigval v;
	char err[TF_SIG_ERR];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct jcase *k = &json_cases[i];

		err[0] = '\0';
		r = tf_sig_parse_json(&c, k->payload, strlen(k->payload), &v,
				      err, sizeof(err));
		if (!k->err) {
			if (r) {
				print_error("%s: rejected: %s\n", k->payload,
					    err);
				fail();
			}
			assert_int_equal(v.surplus_uw, k->surplus_uw);
		} else {
			assert_int_equal(r, -1);
			assert_err(err, k->err, k->payload);
		}
	}
}

static void test_json_full(void **state)
{
	static const char p[] =
		"{\"surplus_w\": 250.5, \"carbon_g_kwh\": 123.4, "
		"\"price_mwh\": -12.5, \"ts\": \"2024-05-01T14:00:00+02:00\", "
		"\"site\": \"caiso\"}";
	struct tf_source_cfg c = cfg();
	struct tf_sigval v;
	char err[TF_SIG_ERR];
	const char *p2;

	(void)state;
	assert_int_equal(tf_sig_parse_json(&c, p, strlen(p), &v, err,
					   sizeof(err)), 0);
	assert_int_equal(v.surplus_uw, 250500000ULL);
	assert_true(v.has_carbon);
	assert_int_equal(v.carbon_mg_kwh, 123400);
	assert_true(v.has_price);
	assert_int_equal(v.price_ucur_mwh, -12500000LL);
	assert_int_equal(v.timestamp_ns, NOON);

	/* epoch seconds; no optional fields */
	p2 = "{\"surplus_w\":1,\"ts\":1714564800.5}";
	assert_int_equal(tf_sig_parse_json(&c, p2, strlen(p2), &v, err,
					   sizeof(err)), 0);
	assert_int_equal(v.timestamp_ns, NOON + S / 2);
	assert_false(v.has_carbon);
	assert_false(v.has_price);

	/* a C string's NUL sent along is fine; one inside is not */
	assert_int_equal(tf_sig_parse_json(&c, "{\"surplus_w\":2}", 16, &v, err,
					   sizeof(err)), 0);
	assert_int_equal(v.surplus_uw, 2000000);
	assert_int_equal(tf_sig_parse_json(&c, "{\"surplus_w\":2}\0{}", 18, &v,
					   err, sizeof(err)), -1);
	assert_err(err, "payload: NUL byte", "NUL");
	assert_int_equal(tf_sig_parse_json(&c, NULL, 0, &v, err, sizeof(err)),
			 -1);
	assert_err(err, "payload: missing", "NULL");
}

static void test_json_paths(void **state)
{
	struct tf_source_cfg c = cfg();
	struct tf_sigval v;
	char err[TF_SIG_ERR];
	const char *p;

	(void)state;
	strcpy(c.surplus_field, "site.surplus.w");
	strcpy(c.carbon_field, "grid.co2");
	c.price_field[0] = '\0';	/* not read */
	p = "{\"site\":{\"surplus\":{\"w\":42}},\"grid\":{\"co2\":200},\"price_mwh\":\"x\"}";
	assert_int_equal(tf_sig_parse_json(&c, p, strlen(p), &v, err,
					   sizeof(err)), 0);
	assert_int_equal(v.surplus_uw, 42000000);
	assert_int_equal(v.carbon_mg_kwh, 200000);
	assert_false(v.has_price);

	p = "{\"site\":5}";
	assert_int_equal(tf_sig_parse_json(&c, p, strlen(p), &v, err,
					   sizeof(err)), -1);
	assert_err(err, "site: not an object", p);
	p = "{\"site\":{\"surplus\":[]}}";
	assert_int_equal(tf_sig_parse_json(&c, p, strlen(p), &v, err,
					   sizeof(err)), -1);
	assert_err(err, "site.surplus: not an object", p);
	p = "{\"site\":{\"surplus\":{}}}";
	assert_int_equal(tf_sig_parse_json(&c, p, strlen(p), &v, err,
					   sizeof(err)), -1);
	assert_err(err, "site.surplus.w: missing", p);
	p = "{\"site\":{\"surplus\":{\"w\":\"1\"}}}";
	assert_int_equal(tf_sig_parse_json(&c, p, strlen(p), &v, err,
					   sizeof(err)), -1);
	assert_err(err, "site.surplus.w: not a number", p);
	/* the default name when none is configured */
	c.surplus_field[0] = '\0';
	assert_int_equal(tf_sig_parse_json(&c, "{\"surplus_w\":3}", 15, &v, err,
					   sizeof(err)), 0);
	assert_int_equal(v.surplus_uw, 3000000);
}

static void test_huge(void **state)
{
	struct tf_source_cfg c = cfg();
	size_t n = TF_SIG_PAYLOAD_MAX + 100;
	char *p = malloc(n), err[TF_SIG_ERR];
	struct tf_sigval v;

	(void)state;
	assert_non_null(p);
	/* a valid object padded with blanks past the bound */
	memset(p, ' ', n);
	memcpy(p, "{\"surplus_w\":1}", 15);
	assert_int_equal(tf_sig_parse_json(&c, p, n, &v, err, sizeof(err)), -1);
	assert_err(err, "payload: over", "huge json");
	assert_int_equal(tf_sig_parse_watttime(&c, p, n, NOON, &v, err,
					       sizeof(err)), -1);
	assert_err(err, "payload: over", "huge watttime");
	/* just under the bound is fine */
	assert_int_equal(tf_sig_parse_json(&c, p, TF_SIG_PAYLOAD_MAX, &v, err,
					   sizeof(err)), 0);
	/* deep nesting */
	memset(p, '[', 5000);
	assert_int_equal(tf_sig_parse_json(&c, p, 5000, &v, err, sizeof(err)),
			 -1);
	assert_err(err, "payload: not JSON", "deep");
	free(p);
}

/* ---- time ---------------------------------------------------------------- */

static void test_iso8601(void **state)
{
	static const struct {
		const char *s;
		int64_t ns;	/* -1: invalid */
	} t[] = {
		{ "2024-05-01T12:00:00Z", NOON },
		{ "2024-05-01t12:00:00z", NOON },
		{ "2024-05-01T12:00:00+00:00", NOON },
		{ "2024-05-01T14:00:00+02:00", NOON },
		{ "2024-05-01T14:00:00+0200", NOON },
		{ "2024-05-01T07:00:00-05", NOON },
		{ "2024-05-01T12:00:00.000Z", NOON },
		{ "2024-05-01T12:00:00.25Z", NOON + S / 4 },
		{ "2024-05-01T12:00:00.1234567891234Z", NOON + 123456789 },
		{ "2024-05-01T12:00Z", NOON },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2024-02-29T00:00:00Z", 1709164800LL * S },
		{ "2023-02-29T00:00:00Z", -1 },
		{ "2024-04-31T00:00:00Z", -1 },
		{ "2024-13-01T00:00:00Z", -1 },
		{ "2024-05-01T24:00:00Z", -1 },
		{ "2024-05-01T12:60:00Z", -1 },
		{ "2024-05-01T12:00:00", -1 },	/* no zone */
		{ "2024-05-01 12:00:00Z", -1 },
		{ "2024-05-01T12:00:00.Z", -1 },
		{ "2024-05-01T12:00:00Zjunk", -1 },
		{ "2024-5-01T12:00:00Z", -1 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "", -1 },
	};
	size_t i;
	int64_t ns;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = tf_sig_parse_iso8601(t[i].s, &ns);

		if (t[i].ns < 0) {
			if (r != -1) {
				print_error("%s: accepted\n", t[i].s);
				fail();
			}
		} else {
			if (r || ns != t[i].ns) {
				print_error("%s: %d %lld\n", t[i].s, r,
					    (long long)ns);
				fail();
			}
		}
	}
}

/* ---- carbon to surplus --------------------------------------------------- */

static void test_carbon_map(void **state)
{
	struct tf_source_cfg c = cfg();
	char err[TF_SIG_ERR];
	uint64_t uw;

	(void)state;
	assert_int_equal(tf_sig_carbon_to_surplus(&c, 100, &uw, err,
						  sizeof(err)), 0);
	assert_int_equal(uw, 1000000000ULL);
	assert_int_equal(tf_sig_carbon_to_surplus(&c, 50, &uw, err,
						  sizeof(err)), 0);
	assert_int_equal(uw, 1000000000ULL);	/* clamped */
	assert_int_equal(tf_sig_carbon_to_surplus(&c, 300, &uw, err,
						  sizeof(err)), 0);
	assert_int_equal(uw, 500000000ULL);
	assert_int_equal(tf_sig_carbon_to_surplus(&c, 500, &uw, err,
						  sizeof(err)), 0);
	assert_int_equal(uw, 0);
	assert_int_equal(tf_sig_carbon_to_surplus(&c, 900, &uw, err,
						  sizeof(err)), 0);
	assert_int_equal(uw, 0);
	c.value_high = c.value_low;
	assert_int_equal(tf_sig_carbon_to_surplus(&c, 300, &uw, err,
						  sizeof(err)), -1);
	assert_err(err, "value_high: not above value_low", "cfg");
	c.value_high = NAN;
	assert_int_equal(tf_sig_carbon_to_surplus(&c, 300, &uw, err,
						  sizeof(err)), -1);
}

/* ---- the HTTP shapes ----------------------------------------------------- */

enum shape { WT = TF_HTTP_WATTTIME, EM = TF_HTTP_EMAPS, CA = TF_HTTP_CARBONAWARE };

struct hcase {
	enum shape shape;
	const char *what;
	const char *payload;
	int64_t now;
	const char *err;		/* NULL: accepted */
	uint64_t surplus_uw;
	int64_t point;			/* the chosen point's time */
	uint32_t carbon_mg;		/* 0: no carbon */
};

/* /v3/signal-index: one point, a percentile */
#define WT_INDEX "{\"data\":[{\"point_time\":\"2024-05-01T12:00:00+00:00\",\"value\":30.0}]," \
	"\"meta\":{\"data_point_period_seconds\":300,\"region\":\"CAISO_NORTH\"," \
	"\"signal_type\":\"co2_moer\",\"units\":\"percentile\",\"warnings\":[]," \
	"\"model\":{\"date\":\"2023-03-01\"}}}"
/* /v3/forecast: 5-minute points from generated_at, lbs/MWh */
#define WT_FORECAST "{\"data\":[" \
	"{\"point_time\":\"2024-05-01T12:00:00+00:00\",\"value\":870.0}," \
	"{\"point_time\":\"2024-05-01T12:05:00+00:00\",\"value\":860.0}," \
	"{\"point_time\":\"2024-05-01T12:10:00+00:00\",\"value\":700.0}]," \
	"\"meta\":{\"data_point_period_seconds\":300,\"generated_at\":\"2024-05-01T12:00:00+00:00\"," \
	"\"generated_at_period_seconds\":300,\"region\":\"CAISO_NORTH\"," \
	"\"signal_type\":\"co2_moer\",\"units\":\"lbs_co2_per_mwh\",\"warnings\":[]," \
	"\"model\":{\"date\":\"2023-03-01\"}}}"
/* /v3/carbon-intensity/latest */
#define EM_LATEST "{\"zone\":\"DE\",\"carbonIntensity\":302,\"datetime\":\"2024-05-01T12:00:00.000Z\"," \
	"\"updatedAt\":\"2024-05-01T11:49:21.466Z\",\"createdAt\":\"2024-04-28T12:51:07.735Z\"," \
	"\"emissionFactorType\":\"lifecycle\",\"isEstimated\":true,\"estimationMethod\":\"TIME_SLICER_AVERAGE\"}"
/* /v3/carbon-intensity/history: hourly, the last hour not in yet */
#define EM_HISTORY "{\"zone\":\"DE\",\"history\":[" \
	"{\"zone\":\"DE\",\"carbonIntensity\":310,\"datetime\":\"2024-05-01T10:00:00.000Z\",\"isEstimated\":false}," \
	"{\"zone\":\"DE\",\"carbonIntensity\":290,\"datetime\":\"2024-05-01T11:00:00.000Z\",\"isEstimated\":false}," \
	"{\"zone\":\"DE\",\"carbonIntensity\":null,\"datetime\":\"2024-05-01T12:00:00.000Z\",\"isEstimated\":false}]}"
/* /v3/carbon-intensity/forecast */
#define EM_FORECAST "{\"zone\":\"DE\",\"forecast\":[" \
	"{\"carbonIntensity\":300,\"datetime\":\"2024-05-01T12:00:00.000Z\"}," \
	"{\"carbonIntensity\":200,\"datetime\":\"2024-05-01T13:00:00.000Z\"}]," \
	"\"updatedAt\":\"2024-05-01T11:50:00.000Z\"}"
/* Carbon Aware SDK /emissions/forecasts/current?location=eastus */
#define CA_CURRENT "[{\"requestedAt\":\"2024-05-01T12:01:00+00:00\",\"generatedAt\":\"2024-05-01T12:00:00+00:00\"," \
	"\"location\":\"eastus\",\"dataStartAt\":\"2024-05-01T12:00:00+00:00\",\"dataEndAt\":\"2024-05-01T12:15:00+00:00\"," \
	"\"windowSize\":5,\"optimalDataPoints\":[{\"location\":\"eastus\",\"timestamp\":\"2024-05-01T12:10:00+00:00\",\"duration\":5,\"value\":120.0}]," \
	"\"forecastData\":[" \
	"{\"location\":\"eastus\",\"timestamp\":\"2024-05-01T12:00:00+00:00\",\"duration\":5,\"value\":350.5}," \
	"{\"location\":\"eastus\",\"timestamp\":\"2024-05-01T12:05:00+00:00\",\"duration\":5,\"value\":300.0}," \
	"{\"location\":\"eastus\",\"timestamp\":\"2024-05-01T12:10:00+00:00\",\"duration\":5,\"value\":120.0}]}]"

static const struct hcase http_cases[] = {
	/* value_low 100, value_high 500, 1 kW: surplus = (500 - v) × 2.5 W */
	{ WT, "index", WT_INDEX, NOON + MIN, NULL, 1000000000ULL, NOON, 0 },
	{ WT, "index later", WT_INDEX, NOON + 600 * MIN, NULL, 1000000000ULL,
	  NOON, 0 },
	{ WT, "index in the future", WT_INDEX, NOON - MIN,
	  "data: no point at or before now", 0, 0, 0 },
	{ WT, "forecast 12:07", WT_FORECAST, NOON + 7 * MIN, NULL, 280000000ULL,
	  NOON + 5 * MIN, 390089 },
	{ WT, "forecast 11:58", WT_FORECAST, NOON - 2 * MIN, NULL, 260000000ULL, NOON,
	  394625 },
	{ WT, "forecast 12:14", WT_FORECAST, NOON + 14 * MIN, NULL, 600000000ULL,
	  NOON + 10 * MIN, 317515 },
	{ WT, "forecast ended", WT_FORECAST, NOON + 15 * MIN,
	  "data: forecast ended before now", 0, 0, 0 },
	{ WT, "forecast far ahead", WT_FORECAST, NOON - 6 * MIN,
	  "data: no point at or before now", 0, 0, 0 },
	{ WT, "value missing", "{\"data\":[{\"point_time\":\"2024-05-01T12:00:00Z\"}]}",
	  NOON, "data[0].value: missing", 0, 0, 0 },
	{ WT, "value string", "{\"data\":[{\"point_time\":\"2024-05-01T12:00:00Z\",\"value\":\"5\"}]}",
	  NOON, "data[0].value: not a number", 0, 0, 0 },
	{ WT, "value negative", "{\"data\":[{\"point_time\":\"2024-05-01T12:00:00Z\",\"value\":-5}]}",
	  NOON, "data[0].value: negative", 0, 0, 0 },
	{ WT, "value NaN", "{\"data\":[{\"point_time\":\"2024-05-01T12:00:00Z\",\"value\":NaN}]}",
	  NOON, "data[0].value: not finite", 0, 0, 0 },
	{ WT, "second bad", "{\"data\":[{\"point_time\":\"2024-05-01T12:00:00Z\",\"value\":5},"
	  "{\"point_time\":\"2024-05-01T12:05:00Z\",\"value\":true}]}",
	  NOON, "data[1].value: not a number", 0, 0, 0 },
	{ WT, "time missing", "{\"data\":[{\"value\":5}]}", NOON,
	  "data[0].point_time: missing", 0, 0, 0 },
	{ WT, "time bad", "{\"data\":[{\"point_time\":\"2024-13-01T00:00:00Z\",\"value\":5}]}",
	  NOON, "data[0].point_time: bad timestamp", 0, 0, 0 },
	{ WT, "time type", "{\"data\":[{\"point_time\":[],\"value\":5}]}", NOON,
	  "data[0].point_time: not a timestamp", 0, 0, 0 },
	{ WT, "point type", "{\"data\":[5]}", NOON, "data[0]: not an object", 0, 0, 0 },
	{ WT, "data object", "{\"data\":{}}", NOON, "data: not an array", 0, 0, 0 },
	{ WT, "data empty", "{\"data\":[]}", NOON, "data: empty", 0, 0, 0 },
	{ WT, "data missing", "{\"meta\":{}}", NOON, "data: missing", 0, 0, 0 },
	{ WT, "meta type", "{\"data\":[],\"meta\":[]}", NOON,
	  "meta: not an object", 0, 0, 0 },
	{ WT, "units type", "{\"data\":[],\"meta\":{\"units\":5}}", NOON,
	  "meta.units: not a string", 0, 0, 0 },
	{ WT, "period type", "{\"data\":[],\"meta\":{\"data_point_period_seconds\":\"5\"}}",
	  NOON, "meta.data_point_period_seconds: not a number", 0, 0, 0 },
	{ WT, "period huge", "{\"data\":[],\"meta\":{\"data_point_period_seconds\":1e300}}",
	  NOON, "meta.data_point_period_seconds: out of range", 0, 0, 0 },
	{ CA, "duration huge", "[{\"forecastData\":[{\"timestamp\":\"2024-05-01T12:00:00+00:00\",\"duration\":1e300,\"value\":1}]}]",
	  NOON, "[0].forecastData[0].duration: out of range", 0, 0, 0 },
	{ WT, "truncated", "{\"data\":[{\"point_time\":\"2024-05-01T12:00:00Z\",\"val",
	  NOON, "payload: truncated JSON", 0, 0, 0 },
	{ WT, "html", "<html><body>502 Bad Gateway</body></html>", NOON,
	  "payload: not JSON", 0, 0, 0 },
	{ WT, "array", "[]", NOON, "payload: not an object", 0, 0, 0 },

	{ EM, "latest", EM_LATEST, NOON + 30 * MIN, NULL, 495000000ULL, NOON,
	  302000 },
	{ EM, "latest ahead", EM_LATEST, NOON - 30 * MIN,
	  "carbonIntensity: no point at or before now", 0, 0, 0 },
	{ EM, "history", EM_HISTORY, NOON + 30 * MIN, NULL, 525000000ULL,
	  NOON - 60 * MIN, 290000 },
	{ EM, "history 10:30", EM_HISTORY, NOON - 90 * MIN, NULL,
	  475000000ULL, NOON - 120 * MIN, 310000 },
	{ EM, "forecast", EM_FORECAST, NOON + 90 * MIN, NULL, 750000000ULL,
	  NOON + 60 * MIN, 200000 },
	{ EM, "forecast ended", EM_FORECAST, NOON + 121 * MIN,
	  "forecast: forecast ended before now", 0, 0, 0 },
	{ EM, "latest missing", "{\"zone\":\"DE\",\"datetime\":\"2024-05-01T12:00:00.000Z\"}",
	  NOON, "carbonIntensity: missing", 0, 0, 0 },
	{ EM, "latest null", "{\"zone\":\"DE\",\"carbonIntensity\":null,\"datetime\":\"2024-05-01T12:00:00.000Z\"}",
	  NOON, "carbonIntensity: null", 0, 0, 0 },
	{ EM, "latest type", "{\"zone\":\"DE\",\"carbonIntensity\":\"302\",\"datetime\":\"2024-05-01T12:00:00.000Z\"}",
	  NOON, "carbonIntensity: not a number", 0, 0, 0 },
	{ EM, "latest no time", "{\"zone\":\"DE\",\"carbonIntensity\":302}",
	  NOON, "datetime: missing", 0, 0, 0 },
	{ EM, "latest bad time", "{\"zone\":\"DE\",\"carbonIntensity\":302,\"datetime\":\"noon\"}",
	  NOON, "datetime: bad timestamp", 0, 0, 0 },
	{ EM, "history type", "{\"zone\":\"DE\",\"history\":{}}", NOON,
	  "history: not an array", 0, 0, 0 },
	{ EM, "history point", "{\"history\":[{\"datetime\":\"2024-05-01T12:00:00Z\",\"carbonIntensity\":1},"
	  "{\"datetime\":\"2024-05-01T13:00:00Z\",\"carbonIntensity\":\"x\"}]}",
	  NOON, "history[1].carbonIntensity: not a number", 0, 0, 0 },
	{ EM, "history all null", "{\"history\":[{\"datetime\":\"2024-05-01T12:00:00Z\",\"carbonIntensity\":null}]}",
	  NOON, "history: no value", 0, 0, 0 },
	{ EM, "forecast no time", "{\"forecast\":[{\"carbonIntensity\":1}]}",
	  NOON, "forecast[0].datetime: missing", 0, 0, 0 },

	{ CA, "current 12:06", CA_CURRENT, NOON + 6 * MIN, NULL, 500000000ULL,
	  NOON + 5 * MIN, 300000 },
	{ CA, "current 12:14", CA_CURRENT, NOON + 14 * MIN, NULL,
	  950000000ULL, NOON + 10 * MIN, 120000 },
	{ CA, "current 11:57", CA_CURRENT, NOON - 3 * MIN, NULL, 373750000ULL,
	  NOON, 350500 },
	{ CA, "ended", CA_CURRENT, NOON + 15 * MIN,
	  "[0].forecastData: forecast ended before now", 0, 0, 0 },
	{ CA, "object", "{\"forecastData\":[]}", NOON, "payload: not an array", 0, 0, 0 },
	{ CA, "empty", "[]", NOON, "payload: empty array", 0, 0, 0 },
	{ CA, "element", "[5]", NOON, "[0]: not an object", 0, 0, 0 },
	{ CA, "no data", "[{\"location\":\"eastus\"}]", NOON,
	  "[0].forecastData: missing", 0, 0, 0 },
	{ CA, "data empty", "[{\"forecastData\":[]}]", NOON,
	  "[0].forecastData: empty", 0, 0, 0 },
	{ CA, "value missing", "[{\"forecastData\":[{\"timestamp\":\"2024-05-01T12:00:00+00:00\",\"duration\":5}]}]",
	  NOON, "[0].forecastData[0].value: missing", 0, 0, 0 },
	{ CA, "duration type", "[{\"forecastData\":[{\"timestamp\":\"2024-05-01T12:00:00+00:00\",\"duration\":\"5\",\"value\":1}]}]",
	  NOON, "[0].forecastData[0].duration: not a number", 0, 0, 0 },
	{ CA, "timestamp", "[{\"forecastData\":[{\"timestamp\":\"2024-05-01\",\"duration\":5,\"value\":1}]}]",
	  NOON, "[0].forecastData[0].timestamp: bad timestamp", 0, 0, 0 },
};

static void test_http_table(void **state)
{
	struct tf_source_cfg c = cfg();
	struct tf_sigval v;
	char err[TF_SIG_ERR];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(http_cases) / sizeof(http_cases[0]); i++) {
		const struct hcase *k = &http_cases[i];

		/* WattTime's forecast is in lbs/MWh: its own range */
		if (k->payload == (const char *)WT_FORECAST ||
		    strstr(k->payload, "lbs_co2_per_mwh")) {
			c.value_low = 500;
			c.value_high = 1000;
		} else {
			c.value_low = 100;
			c.value_high = 500;
		}
		c.shape = (enum tf_http_shape)k->shape;
		err[0] = '\0';
		memset(&v, 0xa5, sizeof(v));
		r = tf_sig_parse_http(&c, k->payload, strlen(k->payload),
				      k->now, &v, err, sizeof(err));
		if (k->err) {
			if (r != -1) {
				print_error("%s: accepted\n", k->what);
				fail();
			}
			assert_err(err, k->err, k->what);
			continue;
		}
		if (r) {
			print_error("%s: rejected: %s\n", k->what, err);
			fail();
		}
		if (v.surplus_uw != k->surplus_uw ||
		    (int64_t)v.timestamp_ns != k->point ||
		    v.has_carbon != !!k->carbon_mg ||
		    (k->carbon_mg && v.carbon_mg_kwh != k->carbon_mg)) {
			print_error("%s: surplus %llu t %lld carbon %d/%u\n",
				    k->what, (unsigned long long)v.surplus_uw,
				    (long long)v.timestamp_ns, v.has_carbon,
				    v.carbon_mg_kwh);
			fail();
		}
	}
}

/* WattTime's forecast, lbs/MWh mapped over 500..1000 */
static void test_watttime_forecast_map(void **state)
{
	struct tf_source_cfg c = cfg();
	struct tf_sigval v;
	char err[TF_SIG_ERR];

	(void)state;
	c.value_low = 500;
	c.value_high = 1000;
	assert_int_equal(tf_sig_parse_watttime(&c, WT_FORECAST,
					       strlen(WT_FORECAST),
					       NOON + 12 * MIN, &v, err,
					       sizeof(err)), 0);
	assert_int_equal(v.surplus_uw, 600000000ULL);	/* (1000-700)/500 */
	assert_int_equal(v.timestamp_ns, NOON + 10 * MIN);
	c.shape = 99;
	assert_int_equal(tf_sig_parse_http(&c, "{}", 2, NOON, &v, err,
					   sizeof(err)), -1);
	assert_err(err, "shape: unknown", "shape");
	/* shape json: the MQTT payload over HTTP */
	c.shape = TF_HTTP_JSON;
	assert_int_equal(tf_sig_parse_http(&c, "{\"surplus_w\":7}", 15, NOON,
					   &v, err, sizeof(err)), 0);
	assert_int_equal(v.surplus_uw, 7000000);
}

/* ---- CSV ----------------------------------------------------------------- */

static void test_csv_trace(void **state)
{
	static const char text[] =
		"# utc_s,surplus_w  (CAISO curtailment, site share 0.005)\n"
		"1000,10.5\n"
		"\n"
		"1010, 20\r\n"
		"  1020 ,0\n"
		"1030,1e3";
	struct tf_csv t;
	char err[TF_SIG_ERR];

	(void)state;
	assert_int_equal(tf_sig_parse_csv(text, strlen(text), &t, err,
					  sizeof(err)), 0);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.v[0].t, 1000);
	assert_int_equal(t.v[0].surplus_uw, 10500000);
	assert_int_equal(t.v[1].surplus_uw, 20000000);
	assert_int_equal(t.v[2].surplus_uw, 0);
	assert_int_equal(t.v[3].surplus_uw, 1000000000);
	assert_int_equal(tf_csv_at(&t, 999), -1);
	assert_int_equal(tf_csv_at(&t, 1000), 0);
	assert_int_equal(tf_csv_at(&t, 1009), 0);
	assert_int_equal(tf_csv_at(&t, 1015), 1);
	assert_int_equal(tf_csv_at(&t, 1020), 2);
	assert_int_equal(tf_csv_at(&t, 99999), 3);
	tf_csv_free(&t);
	assert_null(t.v);
}

static void test_csv_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} t[] = {
		{ "abc,1\n", "line 1: bad timestamp" },
		{ "1000,1\n1e3,2\n", "line 2: bad timestamp" },
		{ "-5,1\n", "line 1: bad timestamp" },
		{ "99999999999999999999,1\n", "line 1: bad timestamp" },
		{ ",1\n", "line 1: bad timestamp" },
		{ "1000,x\n", "line 1: bad surplus_w" },
		{ "1000,\n", "line 1: bad surplus_w" },
		{ "1000,nan\n", "line 1: bad surplus_w" },
		{ "1000,inf\n", "line 1: bad surplus_w" },
		{ "1000,0x10\n", "line 1: bad surplus_w" },
		{ "1000,1.2.3\n", "line 1: bad surplus_w" },
		{ "1000,1e999\n", "line 1: surplus_w not finite" },
		{ "1000,-5\n", "line 1: surplus_w negative" },
		{ "1000,2e6\n", "line 1: surplus_w above 1000000 W" },
		{ "1000\n", "line 1: expected UTC_SECONDS,SURPLUS_W" },
		{ "1000,1,2\n", "line 1: extra field" },
		{ "1000,1\n1000,2\n", "line 2: timestamp not after" },
		{ "1000,1\n999,2\n", "line 2: timestamp not after" },
		{ "1000,1\n\n\n# c\nxx,1\n", "line 5: bad timestamp" },
		{ "# only a comment\n\n", "no rows" },
		{ "", "no rows" },
	};
	struct tf_csv c;
	char err[TF_SIG_ERR];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		if (tf_sig_parse_csv(t[i].text, strlen(t[i].text), &c, err,
				     sizeof(err)) != -1) {
			print_error("%s: accepted\n", t[i].text);
			tf_csv_free(&c);
			fail();
		}
		assert_err(err, t[i].err, t[i].text);
	}
	assert_int_equal(tf_sig_parse_csv("1000,1\n\0002000,1\n", 15, &c, err,
					  sizeof(err)), -1);
	assert_err(err, "line 2: NUL byte", "NUL");
}

static void test_csv_line(void **state)
{
	struct tf_csv_row row;
	char err[TF_SIG_ERR];

	(void)state;
	assert_int_equal(tf_sig_parse_csv_line("1714564800,250.5\n", 17, 7,
					       &row, err, sizeof(err)), 0);
	assert_int_equal(row.t, 1714564800);
	assert_int_equal(row.surplus_uw, 250500000);
	assert_int_equal(tf_sig_parse_csv_line("# x", 3, 1, &row, err,
					       sizeof(err)), 1);
	assert_int_equal(tf_sig_parse_csv_line("\r\n", 2, 1, &row, err,
					       sizeof(err)), 1);
	assert_int_equal(tf_sig_parse_csv_line("12,bad", 6, 12, &row, err,
					       sizeof(err)), -1);
	assert_err(err, "line 12: bad surplus_w", "line 12");
}

/* ---- the module ---------------------------------------------------------- */

static void test_module(void **state)
{
	struct tf_signal_info si;
	struct tf_sigval v;
	char err[TF_SIG_ERR];
	uint64_t left;

	(void)state;
	memset(&si, 0, sizeof(si));
	assert_int_equal(tf_sig_from_module(&si, &v, &left, err, sizeof(err)),
			 -1);
	assert_err(err, "signal: none set", "unset");
	si.set = true;
	si.surplus_uw = 300000000;
	si.ttl_ms = 60000;
	si.age_ms = 1500;
	si.has_carbon = true;
	si.carbon_mg_kwh = 123000;
	si.has_price = true;
	si.price_ucur_mwh = -5;
	si.timestamp_ns = NOON;
	assert_int_equal(tf_sig_from_module(&si, &v, &left, err, sizeof(err)),
			 0);
	assert_int_equal(v.surplus_uw, 300000000);
	assert_int_equal(left, 58500);
	assert_true(v.has_carbon);
	assert_int_equal(v.carbon_mg_kwh, 123000);
	assert_int_equal(v.price_ucur_mwh, -5);
	assert_int_equal(v.timestamp_ns, NOON);
	si.age_ms = 60000;
	assert_int_equal(tf_sig_from_module(&si, &v, &left, err, sizeof(err)),
			 -1);
	assert_err(err, "signal: stale", "old");
	si.age_ms = 0;
	si.stale = true;
	assert_int_equal(tf_sig_from_module(&si, &v, &left, err, sizeof(err)),
			 -1);
	assert_err(err, "signal: stale", "stale");
}

/*
 * Found by tests/fuzz/fuzz_sigjson and fuzz_sighttp: a time stamp after
 * 2262-04-11T23:47:15Z overflowed its int64_t ns (signed overflow, UB).
 * The latest one that fits is accepted, a later one refused.
 */
static void test_time_overflow(void **state)
{
	static const char json[] =
		"{\"surplus_w\": 250.5, \"carbon_g_kwh\": 123.4, "
		"\"price_mwh\": -12.5, \"ts\": \"2824-05-01T14:00:00+02:00\", "
		"\"site\": \"caiso\"}";
	static const char wt[] =
		"{\"data\":[{\"point_time\":\"4048-05-01T12:00:00Z\",\"value\":5},"
		"{\"point_time\":\"2024-05-01T12:05:00Z\",\"value\":true}]}";
	struct tf_source_cfg c = cfg();
	struct tf_sigval v;
	char err[TF_SIG_ERR];
	int64_t ns;
	const char *p;

	(void)state;
	assert_int_equal(tf_sig_parse_iso8601("2262-04-11T23:47:15.999999999Z",
					      &ns), 0);
	assert_int_equal(ns, 9223372035LL * S + 999999999);
	assert_int_equal(tf_sig_parse_iso8601("2262-04-11T23:47:16Z", &ns), -1);
	assert_int_equal(tf_sig_parse_iso8601("9999-12-31T23:59:59Z", &ns), -1);
	assert_int_equal(tf_sig_parse_iso8601("2262-04-12T01:47:15+02:00", &ns),
			 0);

	assert_int_equal(tf_sig_parse_json(&c, json, strlen(json), &v, err,
					   sizeof(err)), -1);
	assert_err(err, "ts: bad timestamp", json);
	p = "{\"surplus_w\":1,\"ts\":9223372035.5}";
	assert_int_equal(tf_sig_parse_json(&c, p, strlen(p), &v, err,
					   sizeof(err)), 0);
	assert_int_equal(v.timestamp_ns, 9223372035LL * S + S / 2);
	p = "{\"surplus_w\":1,\"ts\":9223372037}";
	assert_int_equal(tf_sig_parse_json(&c, p, strlen(p), &v, err,
					   sizeof(err)), -1);
	assert_err(err, "ts: bad timestamp", p);

	c.shape = TF_HTTP_WATTTIME;
	assert_int_equal(tf_sig_parse_http(&c, wt, strlen(wt), NOON, &v, err,
					   sizeof(err)), -1);
	assert_err(err, "data[0].point_time: bad timestamp", wt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_table),
		cmocka_unit_test(test_json_full),
		cmocka_unit_test(test_json_paths),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_carbon_map),
		cmocka_unit_test(test_http_table),
		cmocka_unit_test(test_watttime_forecast_map),
		cmocka_unit_test(test_csv_trace),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_line),
		cmocka_unit_test(test_module),
		cmocka_unit_test(test_time_overflow),
	};

	return TF_RUN_TESTS("sigparse", tests);
}
