// SPDX-License-Identifier: GPL-2.0
/*
 * Token counters scraped with libcurl's multi interface: every group's
 * endpoint in flight at once, so a tick waits for the slowest worker (at
 * most the timeout), not for the sum of them. Easy handles are kept across
 * ticks so a worker's connection is reused (HTTP keep-alive).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "tokens.h"

#define TF_PPM		1000000U
/* vLLM's page is ~100 KiB with its histograms; anything far past is wrong */
#define TF_TOK_MAX_BODY	(16U << 20)

void tf_tok_account(struct tf_tok_acct *a, uint64_t energy_uj,
		    uint32_t green_ppm)
{
	unsigned __int128 g;

	if (green_ppm > TF_PPM)
		green_ppm = TF_PPM;
	a->delta = a->pending;
	a->pending = 0;
	a->tokens += a->delta;
	a->energy_uj += energy_uj;
	/* exact: the fraction of a green token carries to the next tick */
	g = (unsigned __int128)a->delta * green_ppm + a->green_rem;
	a->green_tokens += (uint64_t)(g / TF_PPM);
	a->green_rem = (uint64_t)(g % TF_PPM);
}

double tf_tok_j_per_token(const struct tf_tok_acct *a)
{
	if (!a->tokens)
		return NAN;
	return (double)a->energy_uj / 1e6 / (double)a->tokens;
}

int tf_tokens_to_rows(struct tf_ledger_row *rows, unsigned int *n,
		      unsigned int cap, uint32_t pid, uint64_t tokens)
{
	unsigned int i;

	if (!tokens)
		return 0;
	for (i = 0; i < *n; i++)
		if (rows[i].pid == pid) {
			rows[i].tokens += tokens;
			return 0;
		}
	if (*n >= cap)
		return -ENOSPC;
	memset(&rows[*n], 0, sizeof(rows[*n]));
	rows[*n].pid = pid;
	rows[*n].tokens = tokens;
	(*n)++;
	return 0;
}

struct tok_conn {
	CURL *easy;
	struct tf_prom_selector sel;
	char *body;
	size_t len, size;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
	char logged[256];	/* the failure last logged; "" when up */
	bool ever_up;
	bool busy;		/* in the multi handle */
};

struct tf_tokens {
	struct tf_tokens_group *g;
	struct tok_conn *c;
	size_t n;
	CURLM *multi;
	struct curl_slist *headers;
	long timeout_ms;
	bool curl;		/* some group has a URL: libcurl initialised */
};

static size_t tok_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct tok_conn *c = arg;
	size_t n = size * nmemb;
	char *p;

	if (c->len + n > TF_TOK_MAX_BODY) {
		c->too_big = true;
		return 0;	/* curl stops with CURLE_WRITE_ERROR */
	}
	if (c->len + n > c->size) {
		size_t sz = c->size ? c->size : 64 << 10;

		while (sz < c->len + n)
			sz *= 2;
		p = realloc(c->body, sz);
		if (!p)
			return 0;
		c->body = p;
		c->size = sz;
	}
	memcpy(c->body + c->len, data, n);
	c->len += n;
	return n;
}

static int tok_easy(struct tf_tokens *t, size_t i)
{
	struct tok_conn *c = &t->c[i];
	CURL *e = curl_easy_init();
	CURLcode r = CURLE_OK;

	if (!e)
		return -ENOMEM;
	c->easy = e;
#define TOK_SET(opt, val) do { if (!r) r = curl_easy_setopt(e, opt, val); } while (0)
	TOK_SET(CURLOPT_URL, t->g[i].url);
	TOK_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	TOK_SET(CURLOPT_NOSIGNAL, 1L);
	TOK_SET(CURLOPT_TIMEOUT_MS, t->timeout_ms);
	TOK_SET(CURLOPT_HTTPHEADER, t->headers);
	TOK_SET(CURLOPT_ACCEPT_ENCODING, "");
	TOK_SET(CURLOPT_USERAGENT, "tokenfactoryd");
	TOK_SET(CURLOPT_WRITEFUNCTION, tok_write);
	TOK_SET(CURLOPT_WRITEDATA, c);
	TOK_SET(CURLOPT_ERRORBUFFER, c->errbuf);
	TOK_SET(CURLOPT_PRIVATE, (void *)c);
#undef TOK_SET
	/* setopt copies strings: out of memory is not a bad URL */
	if (r == CURLE_OUT_OF_MEMORY)
		return -ENOMEM;
	return r ? -EINVAL : 0;
}

int tf_tokens_open(struct tf_tokens **out, const struct tf_group_cfg *groups,
		   size_t n, uint64_t timeout_ms, char *err, size_t errsz)
{
	struct tf_tokens *t;
	size_t i;
	int ret = -ENOMEM;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		t->curl |= groups[i].metrics_url[0] != '\0';
	/*
	 * No group with a counter: no libcurl at all. Its global init sets
	 * up the TLS library, some 3 MiB of the daemon's resident pages.
	 */
	if (t->curl && curl_global_init(CURL_GLOBAL_DEFAULT)) {
		free(t);
		snprintf(err, errsz, "curl_global_init failed");
		return -ENOMEM;
	}
	t->n = n;
	t->timeout_ms = timeout_ms ? (long)timeout_ms : 1000;
	t->g = calloc(n ? n : 1, sizeof(*t->g));
	t->c = calloc(n ? n : 1, sizeof(*t->c));
	if (t->curl) {
		t->multi = curl_multi_init();
		/* the 0.0.4 text format, whatever else the server could speak */
		t->headers = curl_slist_append(NULL,
					       "Accept: text/plain;version=0.0.4");
	}
	if (!t->g || !t->c || (t->curl && (!t->multi || !t->headers))) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		const struct tf_group_cfg *gc = &groups[i];
		struct tf_tokens_group *g = &t->g[i];
		const char *metric = gc->metric;
		char why[200];

		snprintf(g->name, sizeof(g->name), "%s", gc->name);
		if (!gc->metrics_url[0])
			continue;
		if (!metric[0]) {
			metric = tf_prom_preset_metric(gc->preset);
			if (!metric) {
				if (gc->preset[0])
					snprintf(err, errsz,
						 "group %s: unknown preset \"%s\" (vllm, llamacpp, sglang, tgi)",
						 gc->name, gc->preset);
				else
					snprintf(err, errsz,
						 "group %s: metrics_url needs a preset or a metric",
						 gc->name);
				ret = -EINVAL;
				goto fail;
			}
		}
		if (tf_prom_selector_parse(metric, &t->c[i].sel, why,
					   sizeof(why))) {
			snprintf(err, errsz, "group %s: metric: %s", gc->name,
				 why);
			ret = -EINVAL;
			goto fail;
		}
		snprintf(g->url, sizeof(g->url), "%s", gc->metrics_url);
		snprintf(g->metric, sizeof(g->metric), "%s", metric);
		ret = tok_easy(t, i);
		if (ret) {
			snprintf(err, errsz, "group %s: %s", gc->name,
				 ret == -ENOMEM ? "out of memory" :
				 "libcurl refused the URL");
			goto fail;
		}
	}
	*out = t;
	return 0;
fail:
	tf_tokens_close(t);
	return ret;
}

void tf_tokens_close(struct tf_tokens *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->c && i < t->n; i++) {
		if (t->c[i].easy)
			curl_easy_cleanup(t->c[i].easy);
		free(t->c[i].body);
	}
	if (t->multi)
		curl_multi_cleanup(t->multi);
	curl_slist_free_all(t->headers);
	free(t->c);
	free(t->g);
	if (t->curl)
		curl_global_cleanup();
	free(t);
}

/* Logs a failure when it differs from the one last logged. */
static void tok_down(struct tf_tokens_group *g, struct tok_conn *c,
		     const char *what)
{
	g->up = false;
	g->scrape_errors++;
	if (!strcmp(c->logged, what))
		return;
	snprintf(c->logged, sizeof(c->logged), "%s", what);
	tf_log(TF_LOG_WARNING, "tokens: group %s: %s: %s%s", g->name, g->url,
	       what, c->ever_up ? "" : " (no tokens counted until it answers)");
}

static void tok_done(struct tf_tokens *t, struct tok_conn *c, CURLcode res)
{
	struct tf_tokens_group *g = &t->g[c - t->c];
	char why[256];
	unsigned int nseries;
	uint64_t resets = g->acct.ctr.resets, before = g->acct.ctr.last;
	long status = 0;
	double v;
	int ret;

	g->scrapes++;
	if (res != CURLE_OK) {
		/* the class of error, not errbuf's varying details */
		snprintf(why, sizeof(why), "%s",
			 c->too_big ? "answer larger than 16 MiB" :
			 curl_easy_strerror(res));
		tok_down(g, c, why);
		return;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(why, sizeof(why), "HTTP status %ld", status);
		tok_down(g, c, why);
		return;
	}
	ret = tf_prom_sum(c->body ? c->body : "", c->len, &c->sel, &v,
			  &nseries, why, sizeof(why));
	if (ret) {
		tok_down(g, c, why);
		return;
	}
	g->acct.pending += tf_counter_step(&g->acct.ctr, v);
	g->up = true;
	if (c->logged[0] || !c->ever_up)
		tf_log(TF_LOG_INFO, "tokens: group %s: reading %s from %s (%u series)",
		       g->name, g->metric, g->url, nseries);
	c->logged[0] = '\0';
	c->ever_up = true;
	if (g->acct.ctr.resets != resets)
		tf_log(TF_LOG_NOTICE, "tokens: group %s: %s went back from %llu to %llu: worker restarted",
		       g->name, g->metric, (unsigned long long)before,
		       (unsigned long long)g->acct.ctr.last);
}

int tf_tokens_scrape(struct tf_tokens *t)
{
	int running = 0, left, up = 0;
	CURLMsg *m;
	size_t i;

	if (!t->curl)
		return 0;	/* no group has a counter */
	for (i = 0; i < t->n; i++) {
		struct tok_conn *c = &t->c[i];

		if (!c->easy)
			continue;
		c->len = 0;
		c->too_big = false;
		c->errbuf[0] = '\0';
		if (curl_multi_add_handle(t->multi, c->easy)) {
			tok_down(&t->g[i], c, "curl_multi_add_handle failed");
			continue;
		}
		c->busy = true;
		running++;
	}
	while (running) {
		if (curl_multi_perform(t->multi, &running) != CURLM_OK)
			break;
		/* every handle has CURLOPT_TIMEOUT_MS: this ends */
		if (running && curl_multi_poll(t->multi, NULL, 0, 100, NULL))
			break;
	}
	while ((m = curl_multi_info_read(t->multi, &left))) {
		struct tok_conn *c;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		c->busy = false;
		curl_multi_remove_handle(t->multi, c->easy);
		tok_done(t, c, m->data.result);
	}
	for (i = 0; i < t->n; i++) {
		/* only if curl_multi failed under us */
		if (t->c[i].busy) {
			t->c[i].busy = false;
			curl_multi_remove_handle(t->multi, t->c[i].easy);
			t->g[i].scrapes++;
			tok_down(&t->g[i], &t->c[i], "scrape did not finish");
		}
		up += t->g[i].url[0] && t->g[i].up;
	}
	return up;
}

void tf_tokens_tick(struct tf_tokens *t, const uint64_t *energy_uj,
		    uint32_t green_ppm)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		tf_tok_account(&t->g[i].acct, energy_uj ? energy_uj[i] : 0,
			       green_ppm);
}

void tf_tokens_mx(const struct tf_tokens_group *g, struct tf_mx_group *mg)
{
	mg->has_tokens = g->url[0];
	mg->tokens_up = g->up;
	mg->tokens = g->acct.tokens;
	mg->green_tokens = g->acct.green_tokens;
	mg->scrape_errors = g->scrape_errors;
	mg->j_per_token = tf_tok_j_per_token(&g->acct);
}

size_t tf_tokens_count(const struct tf_tokens *t)
{
	return t->n;
}

const struct tf_tokens_group *tf_tokens_group(const struct tf_tokens *t,
					      size_t i)
{
	return i < t->n ? &t->g[i] : NULL;
}
