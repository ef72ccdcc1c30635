// SPDX-License-Identifier: GPL-2.0
/*
 * Tokens: the green-token rule and the ledger rows (pure), then the scraper
 * over real HTTP against an in-process libmicrohttpd server standing in for
 * the workers: readings, a worker restart, 404, a refused connection, a
 * slow worker cut by the timeout, a malformed page; failures logged once
 * per change of state.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "tf_test.h"
#include "account.h"
#include "log.h"
#include "tokens.h"

static void test_green_rule(void **state)
{
	struct tf_tok_acct a = { 0 };

	(void)state;
	/* 100 tokens, host energy half covered by surplus: 50 green */
	a.pending = 100;
	tf_tok_account(&a, 2000000, 500000);
	assert_int_equal(a.delta, 100);
	assert_int_equal(a.pending, 0);
	assert_int_equal(a.tokens, 100);
	assert_int_equal(a.green_tokens, 50);
	assert_int_equal(a.energy_uj, 2000000);
	assert_true(tf_tok_j_per_token(&a) == 0.02);
	/* 1 token a third green, three times: the thirds add up exactly */
	a.pending = 1;
	tf_tok_account(&a, 0, 333334);
	assert_int_equal(a.green_tokens, 50);
	a.pending = 1;
	tf_tok_account(&a, 0, 333333);
	a.pending = 1;
	tf_tok_account(&a, 0, 333333);
	assert_int_equal(a.green_tokens, 51);
	assert_int_equal(a.green_rem, 0);
	/* no tokens this tick: energy still counts, delta 0 */
	tf_tok_account(&a, 1000000, 1000000);
	assert_int_equal(a.delta, 0);
	assert_int_equal(a.tokens, 103);
	/* a share above 1 is 1 */
	a.pending = 10;
	tf_tok_account(&a, 0, 5000000);
	assert_int_equal(a.green_tokens, 61);
	/* huge counts do not overflow the product */
	a.pending = UINT64_MAX / 2;
	tf_tok_account(&a, 0, 999999);
	assert_true(a.green_tokens > UINT64_MAX / 2 - UINT64_MAX / 2000000 - 1);
}

static void test_green_from_surplus(void **state)
{
	struct tf_tok_acct a = { 0 };

	(void)state;
	/* 1 s at 150 W surplus over a host that drew 300 J: half green */
	a.pending = 1000;
	tf_tok_account(&a, 0, tf_green_ppm(150000000, false, 1000000000,
					    300000000));
	assert_int_equal(a.green_tokens, 500);
	/* more surplus than the host used: all green */
	a.pending = 1000;
	tf_tok_account(&a, 0, tf_green_ppm(500000000, false, 1000000000,
					    300000000));
	assert_int_equal(a.green_tokens, 1500);
	/* a stale signal covers nothing */
	a.pending = 1000;
	tf_tok_account(&a, 0, tf_green_ppm(500000000, true, 1000000000,
					    300000000));
	assert_int_equal(a.green_tokens, 1500);
	assert_int_equal(a.tokens, 3000);
}

static void test_j_per_token(void **state)
{
	struct tf_tok_acct a = { 0 };

	(void)state;
	assert_true(isnan(tf_tok_j_per_token(&a)));
	tf_tok_account(&a, 5000000, 0);
	assert_true(isnan(tf_tok_j_per_token(&a)));
	a.pending = 4;
	tf_tok_account(&a, 0, 0);
	assert_true(tf_tok_j_per_token(&a) == 1.25);
}

static void test_ledger_rows(void **state)
{
	struct tf_ledger_row rows[3];
	unsigned int n = 1;

	(void)state;
	memset(rows, 0xff, sizeof(rows));
	rows[0].pid = 10;
	rows[0].tokens = 0;
	rows[0].n_energy = 1;
	assert_int_equal(tf_tokens_to_rows(rows, &n, 3, 10, 7), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].tokens, 7);
	assert_int_equal(rows[0].n_energy, 1);
	/* a process with no energy this tick gets a row of its own */
	assert_int_equal(tf_tokens_to_rows(rows, &n, 3, 20, 5), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[1].pid, 20);
	assert_int_equal(rows[1].tokens, 5);
	assert_int_equal(rows[1].n_energy, 0);
	assert_int_equal(rows[1].comm[0], '\0');
	assert_int_equal(tf_tokens_to_rows(rows, &n, 3, 20, 1), 0);
	assert_int_equal(rows[1].tokens, 6);
	/* no tokens: nothing */
	assert_int_equal(tf_tokens_to_rows(rows, &n, 3, 30, 0), 0);
	assert_int_equal(n, 2);
	assert_int_equal(tf_tokens_to_rows(rows, &n, 3, 30, 1), 0);
	assert_int_equal(tf_tokens_to_rows(rows, &n, 3, 40, 1), -ENOSPC);
	assert_int_equal(n, 3);
}

static void test_open_errors(void **state)
{
	struct tf_group_cfg g[2];
	struct tf_tokens *t;
	char err[256];

	(void)state;
	memset(g, 0, sizeof(g));
	strcpy(g[0].name, "batch");
	strcpy(g[1].name, "chat");
	strcpy(g[1].metrics_url, "http://127.0.0.1:1/metrics");
	assert_int_equal(tf_tokens_open(&t, g, 2, 100, err, sizeof(err)),
			 -EINVAL);
	assert_null(t);
	assert_string_equal(err, "group chat: metrics_url needs a preset or a metric");
	strcpy(g[1].preset, "ollama");
	assert_int_equal(tf_tokens_open(&t, g, 2, 100, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "group chat: unknown preset \"ollama\" (vllm, llamacpp, sglang, tgi)");
	strcpy(g[1].metric, "tokens{model=}");
	assert_int_equal(tf_tokens_open(&t, g, 2, 100, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "group chat: metric: '\"' expected to open the value of label \"model\"");
	/* a metric overrides the preset; a group without a URL is no error */
	strcpy(g[1].metric, "tokens_total{model=\"m\"}");
	assert_int_equal(tf_tokens_open(&t, g, 2, 100, err, sizeof(err)), 0);
	assert_int_equal(tf_tokens_count(t), 2);
	assert_string_equal(tf_tokens_group(t, 0)->name, "batch");
	assert_string_equal(tf_tokens_group(t, 0)->url, "");
	assert_string_equal(tf_tokens_group(t, 1)->metric, "tokens_total{model=\"m\"}");
	assert_null(tf_tokens_group(t, 2));
	tf_tokens_close(t);
}

/* No group with a counter: no libcurl, and scrapes find nothing, quietly. */
static void test_no_counters(void **state)
{
	struct tf_group_cfg g[2];
	struct tf_tokens *t;
	char err[256] = "";

	(void)state;
	memset(g, 0, sizeof(g));
	strcpy(g[0].name, "batch");
	strcpy(g[1].name, "chat");
	strcpy(g[1].preset, "vllm");	/* a preset alone reads nothing */
	assert_int_equal(tf_tokens_open(&t, g, 2, 100, err, sizeof(err)), 0);
	assert_int_equal(tf_tokens_count(t), 2);
	assert_int_equal(tf_tokens_scrape(t), 0);
	assert_int_equal(tf_tokens_scrape(t), 0);
	assert_false(tf_tokens_group(t, 1)->up);
	assert_int_equal(tf_tokens_group(t, 1)->scrapes, 0);
	assert_int_equal(tf_tokens_group(t, 1)->scrape_errors, 0);
	tf_tokens_close(t);
	assert_int_equal(tf_tokens_open(&t, g, 0, 100, err, sizeof(err)), 0);
	assert_int_equal(tf_tokens_scrape(t), 0);
	tf_tokens_close(t);
}

/* ---- the workers: one HTTP server, a page per path ---- */

static char page_a[4096];	/* /a: a vLLM page, counter set by the test */
static char page_b[4096];	/* /b: a llama.cpp page */

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn,
			     const char *url, const char *method,
			     const char *version, const char *upload,
			     size_t *upload_size, void **con_cls)
{
	struct MHD_Response *r;
	const char *body = NULL;
	unsigned int status = MHD_HTTP_OK;
	enum MHD_Result ret;

	(void)cls; (void)method; (void)version; (void)upload;
	(void)upload_size; (void)con_cls;
	if (!strcmp(url, "/a"))
		body = page_a;
	else if (!strcmp(url, "/b"))
		body = page_b;
	else if (!strcmp(url, "/slow"))
		usleep(1500 * 1000), body = page_b;
	else if (!strcmp(url, "/bad"))
		body = "# TYPE x counter\nx_total{ 3\n";
	if (!body) {
		body = "not found\n";
		status = MHD_HTTP_NOT_FOUND;
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void set_a(double v)
{
	snprintf(page_a, sizeof(page_a),
		 "# HELP vllm:generation_tokens_total Number of generation tokens processed.\n"
		 "# TYPE vllm:generation_tokens_total counter\n"
		 "vllm:generation_tokens_total{engine=\"0\",model_name=\"m\"} %.1f\n"
		 "vllm:generation_tokens_created{engine=\"0\",model_name=\"m\"} 1.7e+09\n",
		 v);
}

static void set_b(unsigned int v)
{
	snprintf(page_b, sizeof(page_b),
		 "# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.\n"
		 "# TYPE llamacpp:tokens_predicted_total counter\n"
		 "llamacpp:tokens_predicted_total %u\n", v);
}

struct logs {
	unsigned int n;
	char last[512];
	char all[4096];
};

static void sink(int level, const char *line, void *arg)
{
	struct logs *l = arg;

	(void)level;
	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", line);
	if (strlen(l->all) + strlen(line) + 2 < sizeof(l->all)) {
		strcat(l->all, line);
		strcat(l->all, "\n");
	}
}

static void test_scrape(void **state)
{
	struct MHD_Daemon *d;
	struct tf_group_cfg g[4];
	struct tf_tokens *t;
	const struct tf_tokens_group *ga, *gb, *gc;
	struct logs logs = { 0 };
	struct tf_mx_group mg;
	char err[256];
	unsigned int port, n;
	uint64_t energy[4] = { 3000000, 1000000, 0, 0 };

	(void)state;
	set_a(1000);
	set_b(50);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
			     serve, NULL,
			     MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	assert_non_null(d);
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	assert_true(port > 0);

	memset(g, 0, sizeof(g));
	strcpy(g[0].name, "chat");
	snprintf(g[0].metrics_url, sizeof(g[0].metrics_url),
		 "http://127.0.0.1:%u/a", port);
	strcpy(g[0].preset, "vllm");
	strcpy(g[1].name, "batch");
	snprintf(g[1].metrics_url, sizeof(g[1].metrics_url),
		 "http://localhost:%u/b", port);
	strcpy(g[1].preset, "llamacpp");
	strcpy(g[2].name, "missing");
	snprintf(g[2].metrics_url, sizeof(g[2].metrics_url),
		 "http://127.0.0.1:%u/nothing", port);
	strcpy(g[2].preset, "tgi");
	strcpy(g[3].name, "idle");	/* no URL */

	tf_log_set_sink(sink, &logs);
	assert_int_equal(tf_tokens_open(&t, g, 4, 5000, err, sizeof(err)), 0);
	ga = tf_tokens_group(t, 0);
	gb = tf_tokens_group(t, 1);
	gc = tf_tokens_group(t, 2);

	/* first scrape: baselines, no tokens yet; the 404 is logged once */
	assert_int_equal(tf_tokens_scrape(t), 2);
	tf_tokens_tick(t, energy, 1000000);
	assert_true(ga->up && gb->up && !gc->up);
	assert_int_equal(ga->acct.tokens, 0);
	assert_int_equal(gb->acct.tokens, 0);
	assert_int_equal(gc->scrape_errors, 1);
	assert_int_equal(logs.n, 3);	/* two "reading", one failure */
	n = logs.n;

	set_a(1300);
	set_b(80);
	assert_int_equal(tf_tokens_scrape(t), 2);
	tf_tokens_tick(t, energy, 500000);
	assert_int_equal(ga->acct.delta, 300);
	assert_int_equal(ga->acct.green_tokens, 150);
	assert_int_equal(gb->acct.delta, 30);
	assert_int_equal(gb->acct.green_tokens, 15);
	assert_int_equal(gc->scrape_errors, 2);
	assert_int_equal(logs.n, n);	/* the same failure: not again */

	/* into /metrics rows */
	memset(&mg, 0, sizeof(mg));
	tf_tokens_mx(ga, &mg);
	assert_true(mg.has_tokens && mg.tokens_up);
	assert_int_equal(mg.tokens, 300);
	assert_int_equal(mg.green_tokens, 150);
	assert_true(mg.j_per_token == 6.0 / 300);	/* 3 J a tick, two ticks */
	tf_tokens_mx(gc, &mg);
	assert_true(mg.has_tokens && !mg.tokens_up);
	assert_int_equal(mg.scrape_errors, 2);
	assert_true(isnan(mg.j_per_token));
	tf_tokens_mx(tf_tokens_group(t, 3), &mg);
	assert_false(mg.has_tokens);

	/* the vLLM worker restarts: its counter starts over at 20 */
	set_a(20);
	assert_int_equal(tf_tokens_scrape(t), 2);
	tf_tokens_tick(t, energy, 0);
	assert_int_equal(ga->acct.delta, 20);
	assert_int_equal(ga->acct.tokens, 320);
	assert_int_equal(ga->acct.ctr.resets, 1);
	assert_non_null(strstr(logs.last, "went back from 1300 to 20"));
	assert_int_equal(logs.n, n + 1);
	n = logs.n;

	/* a malformed page: down, logged with its line */
	tf_tokens_close(t);
	strcpy(g[1].metrics_url, g[0].metrics_url);
	*strrchr(g[1].metrics_url, '/') = '\0';
	strcat(g[1].metrics_url, "/bad");
	assert_int_equal(tf_tokens_open(&t, g, 4, 5000, err, sizeof(err)), 0);
	gb = tf_tokens_group(t, 1);
	logs.n = 0;
	assert_int_equal(tf_tokens_scrape(t), 1);
	assert_false(gb->up);
	assert_int_equal(logs.n, 3);
	assert_non_null(strstr(logs.all, "group batch: http://127.0.0.1:"));
	assert_non_null(strstr(logs.all, "/bad: line 2: label name expected, found an invalid character"));
	tf_tokens_close(t);

	/* a slow worker is cut by the timeout; a refused one fails fast */
	strcpy(g[0].metrics_url, g[2].metrics_url);
	*strrchr(g[0].metrics_url, '/') = '\0';
	strcat(g[0].metrics_url, "/slow");
	strcpy(g[1].metrics_url, "http://127.0.0.1:1/metrics");
	assert_int_equal(tf_tokens_open(&t, g, 2, 200, err, sizeof(err)), 0);
	logs.n = 0;
	logs.all[0] = '\0';
	assert_int_equal(tf_tokens_scrape(t), 0);
	assert_int_equal(logs.n, 2);
	assert_non_null(strstr(logs.all, "Couldn't connect to server"));
	assert_non_null(strstr(logs.all, "/slow: Timeout was reached"));
	assert_int_equal(tf_tokens_scrape(t), 0);
	assert_int_equal(logs.n, 2);
	assert_int_equal(tf_tokens_group(t, 0)->scrape_errors, 2);
	tf_tokens_close(t);

	tf_log_set_sink(NULL, NULL);
	MHD_stop_daemon(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_green_rule),
		cmocka_unit_test(test_green_from_surplus),
		cmocka_unit_test(test_j_per_token),
		cmocka_unit_test(test_ledger_rows),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_no_counters),
		cmocka_unit_test(test_scrape),
	};

	return TF_RUN_TESTS("tokens", tests);
}
