// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics: the renderer's text (exact decimals, escapes, families left out
 * when empty), Prometheus's own checker on it (promtool check metrics, from
 * Debian's prometheus package: missing promtool fails the test), our own
 * parser reading it back, and the endpoint over real HTTP (libcurl):
 * 200/404/405, IPv4, IPv6, an address in use, malformed listen strings.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tf_test.h"
#include "metrics.h"
#include "metrics_fill.h"
#include "promtext.h"

static char *render(const struct tf_mx_snapshot *s)
{
	char *text;
	size_t len;

	assert_int_equal(tf_metrics_render(s, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	return text;
}

static void has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing \"%s\" in:\n%s", line, text);
}

static void test_render(void **state)
{
	struct tf_mx_snapshot *s = malloc(sizeof(*s));
	char *text;

	(void)state;
	tf_metrics_fill(s);
	text = render(s);
	has(text, "# HELP tokenfactory_domain_energy_joules_total ");
	has(text, "# TYPE tokenfactory_domain_energy_joules_total counter\n");
	has(text, "\ntokenfactory_domain_energy_joules_total{domain=\"host\"} 123456.789012\n");
	has(text, "\ntokenfactory_domain_power_watts{domain=\"host\"} 312.500001\n");
	has(text, "\ntokenfactory_domain_cap_watts{domain=\"package-0\"} 120.000000\n");
	/* no cap: no series */
	assert_null(strstr(text, "tokenfactory_domain_cap_watts{domain=\"gpu-0\"}"));
	has(text, "\ntokenfactory_domain_estimated{domain=\"package-0\"} 1\n");
	has(text, "\ntokenfactory_group_info{group=\"chat\",tier=\"interactive\"} 1\n");
	has(text, "\ntokenfactory_group_tokens_total{group=\"chat\"} 123456\n");
	has(text, "\ntokenfactory_group_green_tokens_total{group=\"chat\"} 45678\n");
	has(text, "\ntokenfactory_group_joules_per_token{group=\"chat\"} 0.0405002592");
	/* batch has no token yet: no J/token series, but its counters */
	assert_null(strstr(text, "tokenfactory_group_joules_per_token{group=\"batch\"}"));
	has(text, "\ntokenfactory_group_tokens_up{group=\"batch\"} 0\n");
	has(text, "\ntokenfactory_group_token_scrape_errors_total{group=\"batch\"} 7\n");
	has(text, "\ntokenfactory_group_frozen{group=\"batch\"} 1\n");
	has(text, "\ntokenfactory_group_cpu_max_cpus{group=\"chat\"} +Inf\n");
	has(text, "\ntokenfactory_group_cpu_max_cpus{group=\"batch\"} 1.5\n");
	/* every escape the format has */
	has(text, "\ntokenfactory_group_info{group=\"odd \\\"q\\\" \\\\ x\\ny\",tier=\"background\"} 1\n");
	/* the odd group has no token counter: none of its token series */
	assert_null(strstr(text, "tokenfactory_group_tokens_total{group=\"odd"));
	has(text, "\ntokenfactory_signal_fresh 1\n");
	has(text, "\ntokenfactory_signal_surplus_watts 150.000000\n");
	has(text, "\ntokenfactory_signal_age_seconds 2.500\n");
	has(text, "\ntokenfactory_source_fresh{source=\"grid-mqtt\",kind=\"mqtt\"} 0\n");
	has(text, "\ntokenfactory_source_rejected_total{source=\"grid-mqtt\"} 3\n");
	has(text, "\ntokenfactory_budget_watts 420.500000\n");
	has(text, "\ntokenfactory_green_share_ratio 0.357143\n");
	has(text, "\ntokenfactory_actuator_state{actuator=\"gpu-0\",state=\"clamped\"} 1\n");
	has(text, "\ntokenfactory_actuator_errors_total{actuator=\"cgroup/batch\"} 1\n");
	has(text, "\ntokenfactory_ledger_push_errors_total 2\n");
	free(text);

	/* an empty snapshot: the scalars, no per-item family, no signal */
	memset(s, 0, sizeof(*s));
	text = render(s);
	has(text, "tokenfactory_ticks_total 0\n");
	has(text, "tokenfactory_signal_fresh 0\n");
	assert_null(strstr(text, "domain"));
	assert_null(strstr(text, "group"));
	assert_null(strstr(text, "tokenfactory_signal_surplus_watts"));
	assert_null(strstr(text, "actuator"));
	free(text);
	free(s);
}

static void test_add_full(void **state)
{
	struct tf_mx_snapshot *s = calloc(1, sizeof(*s));
	char longname[200];
	size_t i;

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (i = 0; i < TF_MX_MAX_GROUPS; i++)
		assert_non_null(tf_mx_add_group(s, longname));
	assert_null(tf_mx_add_group(s, "one too many"));
	assert_int_equal(s->ngroups, TF_MX_MAX_GROUPS);
	assert_int_equal(strlen(s->groups[0].name), TF_MX_NAME - 1);
	assert_true(isnan(s->groups[0].j_per_token));
	for (i = 0; i < TF_MX_MAX_SOURCES; i++)
		assert_non_null(tf_mx_add_source(s, "s"));
	assert_null(tf_mx_add_source(s, "s"));
	free(s);
}

/* Prometheus's own checker: exit 0 and not a word (no lint complaint). */
static void test_promtool(void **state)
{
	struct tf_mx_snapshot *s = malloc(sizeof(*s));
	char tmpl[] = "/tmp/tf-metrics-XXXXXX", cmd[128], out[4096];
	size_t n;
	char *text;
	FILE *f, *p;
	int fd, status;

	(void)state;
	tf_metrics_fill(s);
	text = render(s);
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", tmpl);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	unlink(tmpl);
	free(text);
	free(s);
	if (status != 0 || n)
		fail_msg("promtool check metrics: status %d (127: promtool missing, apt-get install prometheus): %s",
			 status, out);
}

struct sum_arg {
	unsigned int samples;
	bool odd_seen;
};

static int count_cb(const struct tf_prom_sample *s, void *arg)
{
	struct sum_arg *a = arg;
	unsigned int i;

	a->samples++;
	for (i = 0; i < s->nlabels; i++)
		if (!strcmp(s->labels[i].value, TF_FILL_ODD_GROUP))
			a->odd_seen = true;
	return 0;
}

/* Our parser reads back what our renderer wrote, escapes undone. */
static void test_round_trip(void **state)
{
	struct tf_mx_snapshot *s = malloc(sizeof(*s));
	struct tf_prom_selector sel;
	struct sum_arg a = { 0 };
	char *text, err[256];
	double v;
	unsigned int n;

	(void)state;
	tf_metrics_fill(s);
	text = render(s);
	assert_int_equal(tf_prom_parse(text, strlen(text), count_cb, &a, err,
				       sizeof(err)), 0);
	assert_true(a.samples > 40);
	assert_true(a.odd_seen);
	assert_int_equal(tf_prom_selector_parse("tokenfactory_group_tokens_total",
						&sel, err, sizeof(err)), 0);
	assert_int_equal(tf_prom_sum(text, strlen(text), &sel, &v, &n, err,
				     sizeof(err)), 0);
	assert_true(v == 123456.0);
	assert_int_equal(n, 2);
	free(text);
	free(s);
}

/* ---- HTTP ---- */

struct body {
	char *p;
	size_t len;
};

static size_t body_write(char *d, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *p = realloc(b->p, b->len + n + 1);

	if (!p)
		return 0;
	memcpy(p + b->len, d, n);
	b->p = p;
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* GET (or method) url; returns the status, the body in *b, or -1. */
static long http(const char *url, const char *method, struct body *b,
		 char *ctype, size_t ctsz)
{
	CURL *c = curl_easy_init();
	long status = -1;
	char *ct = NULL;

	b->p = NULL;
	b->len = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	if (method && !strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (ctype)
			snprintf(ctype, ctsz, "%s", ct ? ct : "");
	}
	curl_easy_cleanup(c);
	return status;
}

static void test_http(void **state)
{
	struct tf_mx_snapshot *s = malloc(sizeof(*s));
	struct tf_metrics *m, *m2;
	struct body b;
	char url[128], err[256], ctype[128], *text, listen_at[64];
	size_t len;
	unsigned int port;

	(void)state;
	assert_int_equal(tf_metrics_open(&m, "127.0.0.1:0", err, sizeof(err)), 0);
	port = tf_metrics_port(m);
	assert_true(port > 0);

	/* before the first update: the empty snapshot */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
	assert_int_equal(http(url, NULL, &b, ctype, sizeof(ctype)), 200);
	assert_string_equal(ctype, "text/plain; version=0.0.4; charset=utf-8");
	has(b.p, "tokenfactory_ticks_total 0\n");
	free(b.p);

	tf_metrics_fill(s);
	tf_metrics_update(m, s);
	memset(s, 0, sizeof(*s));	/* the endpoint has its own copy */
	tf_metrics_fill(s);
	assert_int_equal(tf_metrics_render(s, &text, &len), 0);
	assert_int_equal(http(url, NULL, &b, NULL, 0), 200);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.p, text, len);
	free(b.p);
	free(text);

	assert_int_equal(http(url, "HEAD", &b, NULL, 0), 200);
	assert_int_equal(b.len, 0);
	free(b.p);
	assert_int_equal(http(url, "POST", &b, NULL, 0), 405);
	free(b.p);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	assert_int_equal(http(url, NULL, &b, NULL, 0), 404);
	has(b.p, "/metrics");
	free(b.p);

	/* the port taken: the error says so */
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%u", port);
	assert_int_equal(tf_metrics_open(&m2, listen_at, err, sizeof(err)),
			 -EADDRINUSE);
	assert_null(m2);
	has(err, "Address already in use");
	tf_metrics_close(m);

	/* IPv6 loopback, and every address (dual stack) reached over IPv4 */
	if (tf_metrics_open(&m, "[::1]:0", err, sizeof(err)) == 0) {
		snprintf(url, sizeof(url), "http://[::1]:%u/metrics",
			 tf_metrics_port(m));
		assert_int_equal(http(url, NULL, &b, NULL, 0), 200);
		free(b.p);
		tf_metrics_close(m);
	} else {
		print_message("no IPv6 loopback here: %s\n", err);
	}
	assert_int_equal(tf_metrics_open(&m, ":0", err, sizeof(err)), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics",
		 tf_metrics_port(m));
	assert_int_equal(http(url, NULL, &b, NULL, 0), 200);
	free(b.p);
	tf_metrics_close(m);
	free(s);
}

static void test_listen_errors(void **state)
{
	static const char *const bad[] = {
		"", "9105", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http",
		"127.0.0.1:70000", "::1:9105", "[::1]9105", "[::1", "host:9x",
	};
	struct tf_metrics *m;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tf_metrics_open(&m, bad[i], err, sizeof(err)),
				 -EINVAL);
		assert_null(m);
		has(err, "not host:port, [ipv6]:port or :port");
	}
	/* a name that does not resolve */
	assert_int_equal(tf_metrics_open(&m, "no-such-host.invalid:9105", err,
					 sizeof(err)), -EINVAL);
	has(err, "listen \"no-such-host.invalid:9105\": ");
	/* an address this host does not have */
	assert_true(tf_metrics_open(&m, "192.0.2.1:0", err, sizeof(err)) < 0);
	has(err, "Cannot assign requested address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_add_full),
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_listen_errors),
	};
	int ret;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = TF_RUN_TESTS("metrics", tests);
	curl_global_cleanup();
	return ret;
}
