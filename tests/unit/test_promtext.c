// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text parser on pages shaped as each inference server
 * serves them (vLLM's prometheus_client with model_name and engine labels
 * and _created samples, llama.cpp's hand-written page, SGLang's exponents,
 * TGI's histogram from the Rust metrics exporter), and on malformed text:
 * every error names its line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tf_test.h"
#include "promtext.h"

/* vLLM v1 (prometheus_client): a series per engine, and _created samples. */
static const char vllm_page[] =
	"# HELP python_gc_objects_collected_total Objects collected during gc\n"
	"# TYPE python_gc_objects_collected_total counter\n"
	"python_gc_objects_collected_total{generation=\"0\"} 12034.0\n"
	"# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
	"# TYPE vllm:num_requests_running gauge\n"
	"vllm:num_requests_running{engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 3.0\n"
	"# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
	"# TYPE vllm:prompt_tokens_total counter\n"
	"vllm:prompt_tokens_total{engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 52761.0\n"
	"vllm:prompt_tokens_created{engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 1.7326534568713e+09\n"
	"# HELP vllm:generation_tokens_total Number of generation tokens processed.\n"
	"# TYPE vllm:generation_tokens_total counter\n"
	"vllm:generation_tokens_total{engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 27453.0\n"
	"vllm:generation_tokens_total{engine=\"1\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 1000.0\n"
	"vllm:generation_tokens_created{engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 1.7326534568713e+09\n"
	"# HELP vllm:e2e_request_latency_seconds Histogram of e2e request latency in seconds.\n"
	"# TYPE vllm:e2e_request_latency_seconds histogram\n"
	"vllm:e2e_request_latency_seconds_sum{engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 1234.5\n"
	"vllm:e2e_request_latency_seconds_bucket{engine=\"0\",le=\"0.3\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 0.0\n"
	"vllm:e2e_request_latency_seconds_bucket{engine=\"0\",le=\"+Inf\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 87.0\n"
	"vllm:e2e_request_latency_seconds_count{engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 87.0\n";

/* llama.cpp's server (--metrics): no labels, integers and decimals. */
static const char llamacpp_page[] =
	"# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n"
	"# TYPE llamacpp:prompt_tokens_total counter\n"
	"llamacpp:prompt_tokens_total 6886\n"
	"# HELP llamacpp:prompt_seconds_total Prompt process time\n"
	"# TYPE llamacpp:prompt_seconds_total counter\n"
	"llamacpp:prompt_seconds_total 2903.63\n"
	"# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.\n"
	"# TYPE llamacpp:tokens_predicted_total counter\n"
	"llamacpp:tokens_predicted_total 3469\n"
	"# HELP llamacpp:tokens_predicted_seconds_total Predict process time\n"
	"# TYPE llamacpp:tokens_predicted_seconds_total counter\n"
	"llamacpp:tokens_predicted_seconds_total 3544.27\n"
	"# HELP llamacpp:prompt_tokens_seconds Average prompt throughput in tokens/s.\n"
	"# TYPE llamacpp:prompt_tokens_seconds gauge\n"
	"llamacpp:prompt_tokens_seconds 2.37151\n"
	"# HELP llamacpp:requests_processing Number of requests processing.\n"
	"# TYPE llamacpp:requests_processing gauge\n"
	"llamacpp:requests_processing 0\n";

/* SGLang (prometheus_client): exponents on big counters. */
static const char sglang_page[] =
	"# HELP sglang:prompt_tokens_total Number of prefill tokens processed.\n"
	"# TYPE sglang:prompt_tokens_total counter\n"
	"sglang:prompt_tokens_total{model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 8.128902e+06\n"
	"# HELP sglang:generation_tokens_total Number of generation tokens processed.\n"
	"# TYPE sglang:generation_tokens_total counter\n"
	"sglang:generation_tokens_total{model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 7.557572e+06\n"
	"# HELP sglang:cache_hit_rate The cache hit rate\n"
	"# TYPE sglang:cache_hit_rate gauge\n"
	"sglang:cache_hit_rate{model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 0.007507552643049313\n"
	"# HELP sglang:time_to_first_token_seconds Histogram of time to first token in seconds.\n"
	"# TYPE sglang:time_to_first_token_seconds histogram\n"
	"sglang:time_to_first_token_seconds_sum{model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 2.3518979474117756e+06\n"
	"sglang:time_to_first_token_seconds_bucket{le=\"0.001\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 0.0\n"
	"sglang:time_to_first_token_seconds_bucket{le=\"+Inf\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 4.0\n"
	"sglang:time_to_first_token_seconds_count{model_name=\"meta-llama/Llama-3.1-8B-Instruct\"} 4.0\n";

/* TGI (Rust metrics-exporter-prometheus): TYPE without HELP, a histogram. */
static const char tgi_page[] =
	"# TYPE tgi_queue_size gauge\n"
	"tgi_queue_size 0\n"
	"\n"
	"# TYPE tgi_request_generated_tokens histogram\n"
	"tgi_request_generated_tokens_bucket{le=\"1\"} 0\n"
	"tgi_request_generated_tokens_bucket{le=\"10\"} 2\n"
	"tgi_request_generated_tokens_bucket{le=\"100\"} 7\n"
	"tgi_request_generated_tokens_bucket{le=\"+Inf\"} 9\n"
	"tgi_request_generated_tokens_sum 1711\n"
	"tgi_request_generated_tokens_count 9\n"
	"\n"
	"# TYPE tgi_request_input_length histogram\n"
	"tgi_request_input_length_sum 5120\n"
	"tgi_request_input_length_count 9\n";

static int sum_of(const char *page, const char *selector, double *sum,
		  unsigned int *n, char *err, size_t errsz)
{
	struct tf_prom_selector sel;
	int ret;

	ret = tf_prom_selector_parse(selector, &sel, err, errsz);
	assert_int_equal(ret, 0);
	return tf_prom_sum(page, strlen(page), &sel, sum, n, err, errsz);
}

static double preset_sum(const char *page, const char *preset)
{
	char err[256];
	double sum = -1;
	unsigned int n = 0;
	const char *metric = tf_prom_preset_metric(preset);

	assert_non_null(metric);
	assert_int_equal(sum_of(page, metric, &sum, &n, err, sizeof(err)), 0);
	assert_true(n >= 1);
	return sum;
}

static void test_presets(void **state)
{
	(void)state;
	/* vLLM: both engines' series, not the _created sample */
	assert_true(preset_sum(vllm_page, "vllm") == 28453.0);
	assert_true(preset_sum(llamacpp_page, "llamacpp") == 3469.0);
	assert_true(preset_sum(sglang_page, "sglang") == 7557572.0);
	assert_true(preset_sum(tgi_page, "tgi") == 1711.0);
	assert_null(tf_prom_preset_metric("ollama"));
	assert_null(tf_prom_preset_metric(""));
	assert_null(tf_prom_preset_metric(NULL));
}

static void test_label_match(void **state)
{
	char err[256];
	double sum;
	unsigned int n;

	(void)state;
	assert_int_equal(sum_of(vllm_page,
				"vllm:generation_tokens_total{engine=\"1\"}",
				&sum, &n, err, sizeof(err)), 0);
	assert_true(sum == 1000.0);
	assert_int_equal(n, 1);
	/* two labels, trailing comma, blanks */
	assert_int_equal(sum_of(vllm_page,
				"vllm:generation_tokens_total{ model_name = \"meta-llama/Llama-3.1-8B-Instruct\", engine=\"0\", }",
				&sum, &n, err, sizeof(err)), 0);
	assert_true(sum == 27453.0);
	/* a label value nobody has */
	assert_int_equal(sum_of(vllm_page,
				"vllm:generation_tokens_total{engine=\"7\"}",
				&sum, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "vllm:generation_tokens_total"));
	/* a metric nobody serves */
	assert_int_equal(sum_of(llamacpp_page, "vllm:generation_tokens_total",
				&sum, &n, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "no sample of vllm:generation_tokens_total");
}

struct collect {
	struct tf_prom_sample s[8];
	unsigned int n;
};

static int collect_cb(const struct tf_prom_sample *s, void *arg)
{
	struct collect *c = arg;

	if (c->n < 8)
		tf_prom_sample_copy(&c->s[c->n], s);
	c->n++;
	return 0;
}

static void test_syntax(void **state)
{
	static const char page[] =
		"# a plain comment\n"
		"#\n"
		"   \t\n"
		"# HELP esc Backslash \\\\ and newline \\n in help\n"
		"# TYPE esc counter\n"
		"esc_total{path=\"C:\\\\dir\",msg=\"say \\\"hi\\\"\\n\"} 1e3 1712345678901\r\n"
		"esc_total{} +Inf\n"
		"  inf_minus\t-Inf   -5\n"
		"nan_value NaN\n"
		"exp_value{a=\"}{,=\"} 6.02E-23\n"
		"last_no_newline .5";
	struct collect c = { .n = 0 };
	char err[256];

	(void)state;
	assert_int_equal(tf_prom_parse(page, strlen(page), collect_cb, &c, err,
				       sizeof(err)), 0);
	assert_int_equal(c.n, 6);

	assert_string_equal(c.s[0].name, "esc_total");
	assert_int_equal(c.s[0].type, TF_PROM_COUNTER);
	assert_int_equal(c.s[0].nlabels, 2);
	assert_string_equal(c.s[0].labels[0].name, "path");
	assert_string_equal(c.s[0].labels[0].value, "C:\\dir");
	assert_string_equal(c.s[0].labels[1].value, "say \"hi\"\n");
	assert_true(c.s[0].value == 1000.0);
	assert_true(c.s[0].has_ts);
	assert_true(c.s[0].ts_ms == 1712345678901LL);
	assert_int_equal(c.s[0].line, 6);

	assert_int_equal(c.s[1].nlabels, 0);
	assert_true(isinf(c.s[1].value) && c.s[1].value > 0);
	assert_false(c.s[1].has_ts);

	assert_string_equal(c.s[2].name, "inf_minus");
	assert_true(isinf(c.s[2].value) && c.s[2].value < 0);
	assert_true(c.s[2].ts_ms == -5);
	assert_int_equal(c.s[2].type, TF_PROM_UNTYPED);

	assert_true(isnan(c.s[3].value));
	assert_string_equal(c.s[4].labels[0].value, "}{,=");
	assert_true(fabs(c.s[4].value - 6.02e-23) < 1e-30);
	assert_true(c.s[5].value == 0.5);
	assert_int_equal(c.s[5].line, 11);
}

static void test_types(void **state)
{
	struct collect c = { .n = 0 };

	(void)state;
	assert_int_equal(tf_prom_parse(tgi_page, strlen(tgi_page), collect_cb,
				       &c, NULL, 0), 0);
	assert_int_equal(c.n, 9);
	assert_int_equal(c.s[0].type, TF_PROM_GAUGE);
	assert_int_equal(c.s[1].type, TF_PROM_HISTOGRAM);	/* _bucket */
	assert_string_equal(c.s[1].labels[0].value, "1");
	assert_int_equal(c.s[5].type, TF_PROM_HISTOGRAM);	/* _sum */
	assert_int_equal(c.s[6].type, TF_PROM_HISTOGRAM);	/* _count */
}

static int stop_cb(const struct tf_prom_sample *s, void *arg)
{
	(*(int *)arg)++;
	return !strcmp(s->name, "b") ? 42 : 0;
}

static void test_callback_stops(void **state)
{
	static const char page[] = "a 1\nb 2\nc 3\n";
	int calls = 0;

	(void)state;
	assert_int_equal(tf_prom_parse(page, strlen(page), stop_cb, &calls,
				       NULL, 0), 42);
	assert_int_equal(calls, 2);
}

/* Each malformed page fails whole, with the line and what is wrong. */
static void test_malformed(void **state)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "ok 1\n1bad 2\n", "line 2: metric name expected, found an invalid character" },
		{ "a{b=\"c\" 1\n", "line 1: ',' or '}' expected after label \"b\"" },
		{ "a{b=\"c} 1\n", "line 1: value of label \"b\" not closed" },
		{ "a{b=c} 1\n", "line 1: '\"' expected to open the value of label \"b\"" },
		{ "a{b} 1\n", "line 1: '=' expected after label \"b\"" },
		{ "a{b=\"1\",b=\"2\"} 1\n", "line 1: label \"b\" given twice" },
		{ "a{b=\"\\t\"} 1\n", "line 1: invalid escape \"\\t\" in label \"b\"" },
		{ "a{:b=\"1\"} 1\n", "line 1: label name expected, found an invalid character" },
		{ "a\n", "line 1: value expected" },
		{ "a{} \n", "line 1: value expected" },
		{ "a 1 2 3\n", "line 1: text after the timestamp of a" },
		{ "a one\n", "line 1: invalid value \"one\" of a" },
		{ "a 0x10\n", "line 1: invalid value \"0x10\" of a" },
		{ "a nan(1)\n", "line 1: invalid value \"nan(1)\" of a" },
		{ "a 1e999\n", "line 1: invalid value \"1e999\" of a" },
		{ "a 1 1.5\n", "line 1: invalid timestamp \"1.5\" of a" },
		{ "a 1 99999999999999999999\n",
		  "line 1: invalid timestamp \"99999999999999999999\" of a" },
		{ "a-b 1\n", "line 1: invalid character in metric name a" },
		{ "\n\n# TYPE a gauges\na 1\n",
		  "line 3: unknown type \"gauges\" in TYPE of a" },
		{ "# TYPE a counter extra\n", "line 1: text after the type in TYPE of a" },
		{ "# TYPE\n", "line 1: metric name expected, found end of line" },
		{ "# HELP a bad \\x escape\n", "line 1: invalid escape in HELP of a" },
		{ "# HELP a-b doc\n", "line 1: invalid character in metric name of HELP" },
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct collect c = { .n = 0 };
		int ret = tf_prom_parse(bad[i].text, strlen(bad[i].text),
					collect_cb, &c, err, sizeof(err));

		if (ret != -EINVAL || strcmp(err, bad[i].err))
			fail_msg("case %zu \"%s\": got %d \"%s\", want \"%s\"",
				 i, bad[i].text, ret, err, bad[i].err);
	}
}

static void test_malformed_limits(void **state)
{
	static char page[TF_PROM_LABEL_BUF + 64];
	char err[256];
	struct collect c = { .n = 0 };
	size_t i, n;

	(void)state;
	/* a label value larger than the label buffer */
	n = (size_t)snprintf(page, sizeof(page), "a{b=\"");
	for (i = 0; i < TF_PROM_LABEL_BUF; i++)
		page[n++] = 'x';
	n += (size_t)snprintf(page + n, sizeof(page) - n, "\"} 1\n");
	assert_int_equal(tf_prom_parse(page, n, collect_cb, &c, err,
				       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1: label set longer than"));
	/* a NUL inside the text */
	assert_int_equal(tf_prom_parse("a 1\nb\0 2\n", 9, collect_cb, &c, err,
				       sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: NUL byte");
	/* a name too long */
	memset(page, 'n', TF_PROM_NAME);
	memcpy(page + TF_PROM_NAME, " 1\n", 3);
	assert_int_equal(tf_prom_parse(page, TF_PROM_NAME + 3, collect_cb, &c,
				       err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1: metric name longer than"));
	/* a tiny error buffer is truncated, never overrun */
	assert_int_equal(tf_prom_parse("1 1\n", 4, collect_cb, &c, err, 5),
			 -EINVAL);
	assert_string_equal(err, "line");
}

static void test_sum_rejects_non_counter_values(void **state)
{
	static const char neg[] = "t_total 5\nt_total -1\n";
	static const char nan[] = "# TYPE t counter\nt_total NaN\n";
	char err[256];
	double sum;
	unsigned int n;

	(void)state;
	assert_int_equal(sum_of(neg, "t_total", &sum, &n, err, sizeof(err)),
			 -ERANGE);
	assert_string_equal(err, "line 2: t_total is -1: not a counter's value");
	assert_int_equal(sum_of(nan, "t_total", &sum, &n, err, sizeof(err)),
			 -ERANGE);
	assert_non_null(strstr(err, "line 2: t_total is"));
	/* a malformed page fails the sum even past the series wanted */
	assert_int_equal(sum_of("t_total 5\nbroken{\n", "t_total", &sum, &n,
				err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2:"));
}

static void test_selector_errors(void **state)
{
	struct tf_prom_selector sel;
	char err[256];

	(void)state;
	assert_int_equal(tf_prom_selector_parse("", &sel, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "metric name expected, found end of line");
	assert_int_equal(tf_prom_selector_parse("a{b=\"1\"} x", &sel, err,
						sizeof(err)), -EINVAL);
	assert_string_equal(err, "text after the selector \"a{b=\"1\"} x\"");
	assert_int_equal(tf_prom_selector_parse("a{b=1}", &sel, err,
						sizeof(err)), -EINVAL);
	assert_int_equal(tf_prom_selector_parse("  x:y_total{ k = \"v\" } ",
						&sel, err, sizeof(err)), 0);
	assert_string_equal(sel.name, "x:y_total");
	assert_int_equal(sel.nlabels, 1);
	assert_string_equal(sel.labels[0].value, "v");
}

static void test_counter_step(void **state)
{
	struct tf_counter c = { 0 };

	(void)state;
	/* the first reading is the baseline */
	assert_int_equal(tf_counter_step(&c, 1000.0), 0);
	assert_int_equal(tf_counter_step(&c, 1000.0), 0);
	assert_int_equal(tf_counter_step(&c, 1250.7), 250);
	assert_int_equal(tf_counter_step(&c, 1251.2), 1);
	/* the worker restarted: all of the new reading is new */
	assert_int_equal(tf_counter_step(&c, 40.0), 40);
	assert_int_equal(c.resets, 1);
	assert_int_equal(tf_counter_step(&c, 0.0), 0);
	assert_int_equal(c.resets, 2);
	assert_int_equal(tf_counter_step(&c, 10.0), 10);
	/* no reading: no tokens, state kept */
	assert_int_equal(tf_counter_step(&c, NAN), 0);
	assert_int_equal(tf_counter_step(&c, -3.0), 0);
	assert_int_equal(tf_counter_step(&c, 15.0), 5);
	/* past 2^53, whole tokens still */
	assert_int_equal(tf_counter_step(&c, 9007199254740992.0), 9007199254740977ULL);
	assert_int_equal(tf_counter_step(&c, 1e30), UINT64_MAX - 9007199254740992ULL);
	assert_int_equal(c.resets, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_label_match),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_limits),
		cmocka_unit_test(test_sum_rejects_non_counter_values),
		cmocka_unit_test(test_selector_errors),
		cmocka_unit_test(test_counter_step),
	};

	return TF_RUN_TESTS("promtext", tests);
}
