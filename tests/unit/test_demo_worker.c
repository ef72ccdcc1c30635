// SPDX-License-Identifier: GPL-2.0
/*
 * The demo worker's pure parts: the transformer (deterministic for a seed,
 * KV-cache decode equal to a full recompute), the /generate request parser
 * and the llama.cpp-format /metrics text.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tf_test.h"
#include "demo/serve.h"
#include "demo/tfm.h"

/* Tiny, so valgrind runs it in moments. */
static const struct tfm_config tiny = {
	.n_layer = 2, .d_model = 16, .n_head = 2, .n_vocab = 64, .n_ctx = 32,
	.d_ff = 32,
};

static void test_config(void **state)
{
	struct tfm_config c = tiny;
	struct tfm_model m;

	(void)state;
	assert_int_equal(tfm_config_check(&tfm_default_config), 0);
	assert_int_equal(tfm_config_check(&tiny), 0);
	c.n_head = 3;	/* does not divide 16 */
	assert_int_equal(tfm_config_check(&c), -EINVAL);
	assert_int_equal(tfm_init(&m, &c, 1), -EINVAL);
	c = tiny;
	c.n_vocab = 1;
	assert_int_equal(tfm_config_check(&c), -EINVAL);
	c = tiny;
	c.n_ctx = 0;
	assert_int_equal(tfm_config_check(&c), -EINVAL);
}

static int gen(uint64_t seed, float temp, int *out, int n)
{
	static const int prompt[] = { 1, 7, 42, 3, 63, 0 };
	struct tfm_model m;
	struct tfm_state s;
	uint64_t rng = 99;
	int got;

	assert_int_equal(tfm_init(&m, &tiny, seed), 0);
	assert_int_equal(tfm_state_init(&s, &m), 0);
	got = tfm_generate(&m, &s, prompt, 6, n, temp, &rng, out);
	tfm_state_free(&s);
	tfm_free(&m);
	return got;
}

static void test_deterministic(void **state)
{
	struct tfm_model a, b, c;
	int t1[16], t2[16], t3[16], t4[16];

	(void)state;
	assert_int_equal(tfm_init(&a, &tiny, 7), 0);
	assert_int_equal(tfm_init(&b, &tiny, 7), 0);
	assert_int_equal(tfm_init(&c, &tiny, 8), 0);
	assert_int_equal(a.n_params, b.n_params);
	assert_memory_equal(a.mem, b.mem, a.n_params * sizeof(float));
	assert_memory_not_equal(a.mem, c.mem, a.n_params * sizeof(float));
	tfm_free(&a);
	tfm_free(&b);
	tfm_free(&c);

	/* same seed, same tokens, greedy and sampled */
	assert_int_equal(gen(7, 0, t1, 16), 16);
	assert_int_equal(gen(7, 0, t2, 16), 16);
	assert_memory_equal(t1, t2, sizeof(t1));
	assert_int_equal(gen(7, 1.0f, t3, 16), 16);
	assert_int_equal(gen(7, 1.0f, t4, 16), 16);
	assert_memory_equal(t3, t4, sizeof(t3));
	for (int i = 0; i < 16; i++) {
		assert_in_range(t1[i], 0, tiny.n_vocab - 1);
		assert_in_range(t3[i], 0, tiny.n_vocab - 1);
	}
}

/* The cached decode of the last token equals recomputing it all. */
static void test_kv_equals_full(void **state)
{
	struct tfm_model m;
	struct tfm_state s;
	const float *logits = NULL;
	float full[64];
	int toks[20];
	uint64_t rng = 5;

	(void)state;
	assert_int_equal(tfm_init(&m, &tiny, 3), 0);
	assert_int_equal(tfm_state_init(&s, &m), 0);
	for (int i = 0; i < 20; i++)
		toks[i] = (int)(tfm_rand(&rng) % 64);
	for (int n = 1; n <= 20; n++) {
		double maxabs = 0, maxdiff = 0;

		tfm_state_reset(&s);
		for (int i = 0; i < n; i++)
			logits = tfm_forward(&m, &s, toks[i]);
		assert_non_null(logits);
		assert_int_equal(tfm_forward_full(&m, toks, n, full), 0);
		for (int v = 0; v < 64; v++) {
			maxabs = fmax(maxabs, fabs(full[v]));
			maxdiff = fmax(maxdiff, fabs(full[v] - logits[v]));
		}
		assert_true(maxabs > 0.01);	/* not trivially zero */
		assert_true(maxdiff <= 1e-4 * fmax(1.0, maxabs));
	}
	/* and a different history gives different logits */
	toks[0] = (toks[0] + 1) % 64;
	assert_int_equal(tfm_forward_full(&m, toks, 20, full), 0);
	assert_memory_not_equal(full, logits, sizeof(full));
	tfm_state_free(&s);
	tfm_free(&m);
}

static void test_forward_bounds(void **state)
{
	struct tfm_model m;
	struct tfm_state s;
	float out[64];
	int toks[33] = { 0 };

	(void)state;
	assert_int_equal(tfm_init(&m, &tiny, 1), 0);
	assert_int_equal(tfm_state_init(&s, &m), 0);
	assert_null(tfm_forward(&m, &s, -1));
	assert_null(tfm_forward(&m, &s, 64));
	assert_int_equal(s.pos, 0);
	for (int i = 0; i < 32; i++)
		assert_non_null(tfm_forward(&m, &s, i));
	assert_null(tfm_forward(&m, &s, 0));	/* context full */
	assert_int_equal(s.pos, 32);
	assert_int_equal(tfm_forward_full(&m, toks, 0, out), -EINVAL);
	assert_int_equal(tfm_forward_full(&m, toks, 33, out), -EINVAL);
	toks[3] = 64;
	assert_int_equal(tfm_forward_full(&m, toks, 5, out), -EINVAL);
	tfm_state_free(&s);
	tfm_free(&m);
}

static void test_generate_limits(void **state)
{
	struct tfm_model m;
	struct tfm_state s;
	int prompt[32] = { 0 }, out[40];
	uint64_t rng = 1;

	(void)state;
	assert_int_equal(tfm_init(&m, &tiny, 1), 0);
	assert_int_equal(tfm_state_init(&s, &m), 0);
	assert_int_equal(tfm_generate(&m, &s, prompt, 4, 0, 0, &rng, out), 0);
	/* the context ends generation: 30 prompt passes, 2 more passes, 3 tokens */
	assert_int_equal(tfm_generate(&m, &s, prompt, 30, 10, 0, &rng, out), 3);
	assert_int_equal(s.pos, 32);
	assert_int_equal(tfm_generate(&m, &s, prompt, 32, 10, 0, &rng, out), 1);
	assert_int_equal(tfm_generate(&m, &s, prompt, 0, 10, 0, &rng, out), -EINVAL);
	assert_int_equal(tfm_generate(&m, &s, prompt, 4, -1, 0, &rng, out), -EINVAL);
	prompt[1] = 999;
	assert_int_equal(tfm_generate(&m, &s, prompt, 4, 1, 0, &rng, out), -EINVAL);
	tfm_state_free(&s);
	tfm_free(&m);
}

static void test_sample(void **state)
{
	float l[4] = { 0.0f, logf(3.0f), -INFINITY, 0.0f };
	float tie[3] = { 2.0f, 5.0f, 5.0f };
	uint64_t rng = 11;
	int count[4] = { 0 };

	(void)state;
	assert_int_equal(tfm_argmax(tie, 3), 1);	/* lowest of the ties */
	assert_int_equal(tfm_sample(tie, 3, 0, &rng), 1);
	assert_int_equal(rng, 11);	/* greedy draws nothing */
	/* p = 1/5, 3/5, 0, 1/5 */
	for (int i = 0; i < 5000; i++)
		count[tfm_sample(l, 4, 1.0f, &rng)]++;
	assert_int_equal(count[2], 0);
	assert_in_range(count[1], 2800, 3200);
	assert_in_range(count[0], 850, 1150);
	assert_in_range(count[3], 850, 1150);
}

static int parse(const char *body, struct tfw_req *r, char *err)
{
	return tfw_parse_req(body, strlen(body), 256, r, err, 128);
}

static void test_parse_req(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "42", "null", "{}",
		"{\"prompt_tokens\":8}",
		"{\"max_tokens\":8}",
		"{\"prompt_tokens\":0,\"max_tokens\":8}",
		"{\"prompt_tokens\":257,\"max_tokens\":0}",
		"{\"prompt_tokens\":-1,\"max_tokens\":8}",
		"{\"prompt_tokens\":8,\"max_tokens\":-8}",
		"{\"prompt_tokens\":8.5,\"max_tokens\":8}",
		"{\"prompt_tokens\":\"8\",\"max_tokens\":8}",
		"{\"prompt_tokens\":8,\"max_tokens\":8,\"bogus\":1}",
		"{\"prompt_tokens\":8,\"max_tokens\":8} x",
		"{\"prompt_tokens\":8,\"max_tokens\":8}{}",
		"{\"prompt_tokens\":200,\"max_tokens\":100}",
		"{\"prompt_tokens\":8,\"max_tokens\":8,\"temperature\":-1}",
		"{\"prompt_tokens\":8,\"max_tokens\":8,\"temperature\":\"hot\"}",
		"{\"prompt_tokens\":8,\"max_tokens\":8,\"seed\":-3}",
		"{\"prompt_tokens\":99999999999999999999,\"max_tokens\":8}",
	};
	struct tfw_req r;
	char err[128];

	(void)state;
	assert_int_equal(parse("{\"prompt_tokens\":16,\"max_tokens\":8}", &r, err), 0);
	assert_int_equal(r.prompt_tokens, 16);
	assert_int_equal(r.max_tokens, 8);
	assert_true(r.temperature == 0);
	assert_false(r.has_seed);
	assert_int_equal(parse(" {\"max_tokens\":0, \"prompt_tokens\":256,"
			       " \"temperature\":0.7, \"seed\":12}\r\n", &r, err), 0);
	assert_int_equal(r.prompt_tokens, 256);
	assert_int_equal(r.max_tokens, 0);
	assert_true(fabs(r.temperature - 0.7) < 1e-12);
	assert_true(r.has_seed);
	assert_int_equal(r.seed, 12);
	assert_int_equal(parse("{\"prompt_tokens\":1,\"max_tokens\":256,\"temperature\":1}",
			       &r, err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (parse(bad[i], &r, err) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != 0);
	}
	parse("{\"prompt_tokens\":8,\"max_tokens\":8,\"bogus\":1}", &r, err);
	assert_string_equal(err, "unknown key 'bogus'");
	assert_int_equal(tfw_parse_req(NULL, 0, 256, &r, err, sizeof(err)), -EINVAL);
	/* the length bounds the body: no reading past it */
	assert_int_equal(tfw_parse_req("{\"prompt_tokens\":1,\"max_tokens\":1}XYZ",
				       34, 256, &r, err, sizeof(err)), 0);
}

static const struct tfw_stats sample_stats = {
	.prompt_tokens = 640, .prompt_seconds = 0.5, .tokens_predicted = 1234,
	.predicted_seconds = 2.0, .n_decode = 1850, .n_tokens_max = 64,
	.processing = 1, .deferred = 3,
};

/* Every llama.cpp metric: HELP, TYPE and sample in that order, once. */
static void test_metrics_text(void **state)
{
	static const char *const want[][3] = {
		{ "prompt_tokens_total", "counter", "640" },
		{ "prompt_seconds_total", "counter", "0.500000" },
		{ "tokens_predicted_total", "counter", "1234" },
		{ "tokens_predicted_seconds_total", "counter", "2.000000" },
		{ "n_decode_total", "counter", "1850" },
		{ "n_tokens_max", "counter", "64" },
		{ "prompt_tokens_seconds", "gauge", "1280.000000" },
		{ "predicted_tokens_seconds", "gauge", "617.000000" },
		{ "requests_processing", "gauge", "1" },
		{ "requests_deferred", "gauge", "3" },
	};
	char buf[4096], line[256];
	const char *p;
	int n;
	struct tfw_stats zero = { 0 };

	(void)state;
	n = tfw_metrics_text(&sample_stats, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_int_equal(buf[n - 1], '\n');
	p = buf;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(line, sizeof(line), "# HELP llamacpp:%s ", want[i][0]);
		assert_memory_equal(p, line, strlen(line));
		p = strchr(p, '\n') + 1;
		snprintf(line, sizeof(line), "# TYPE llamacpp:%s %s\n", want[i][0], want[i][1]);
		assert_memory_equal(p, line, strlen(line));
		p += strlen(line);
		snprintf(line, sizeof(line), "llamacpp:%s %s\n", want[i][0], want[i][2]);
		assert_memory_equal(p, line, strlen(line));
		p += strlen(line);
	}
	assert_int_equal(*p, 0);
	assert_non_null(strstr(buf, "# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.\n"));

	/* no time yet: throughput 0, not NaN */
	n = tfw_metrics_text(&zero, buf, sizeof(buf));
	assert_true(n > 0);
	assert_null(strstr(buf, "nan"));
	assert_non_null(strstr(buf, "llamacpp:predicted_tokens_seconds 0.000000\n"));

	/* too small: -ENOSPC, at every size short of the whole */
	n = tfw_metrics_text(&sample_stats, buf, sizeof(buf));
	for (int len = 0; len <= n; len += 7)
		assert_int_equal(tfw_metrics_text(&sample_stats, buf, len), -ENOSPC);
	assert_int_equal(tfw_metrics_text(&sample_stats, buf, n + 1), n);
}

/* promtool's exit status for text on stdin; its lint lines into out. */
static int promtool(const char *text, char *out, size_t outsz)
{
	char path[] = "/tmp/tf-prom-XXXXXX", cmd[256];
	FILE *f, *p;
	int fd, st;
	size_t got;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	got = fread(out, 1, outsz - 1, p);
	out[got] = 0;
	st = pclose(p);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Prometheus parses it (promtool check metrics, where installed). Its lint
 * objects to ':' in names and to n_tokens_max lacking _total: both are
 * llama.cpp's own names, kept exactly; anything else fails. promtool exits
 * 1 on a parse error, 3 on lint problems only.
 */
static void test_metrics_promtool(void **state)
{
	char buf[4096], out[8192], *line, *save;
	int rc;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1"))
		skip();
	assert_true(tfw_metrics_text(&sample_stats, buf, sizeof(buf)) > 0);
	rc = promtool(buf, out, sizeof(out));
	assert_true(rc == 0 || rc == 3);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "metric names should not contain ':'") ||
		    strstr(line, "llamacpp:n_tokens_max counter metrics should have \"_total\" suffix"))
			continue;
		fail_msg("promtool: %s", line);
	}
	/* and it does catch broken text */
	rc = promtool("# TYPE x counter\nx{ 1\n", out, sizeof(out));
	assert_int_equal(rc, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_kv_equals_full),
		cmocka_unit_test(test_forward_bounds),
		cmocka_unit_test(test_generate_limits),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_parse_req),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_metrics_promtool),
	};

	return TF_RUN_TESTS("demo_worker", tests);
}
