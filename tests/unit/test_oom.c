// SPDX-License-Identifier: GPL-2.0
/*
 * Out of memory at every allocation of the agent's data path (issue 8's
 * fault matrix). For each unit: one run counts its allocations K (libc's and
 * libraries' own included, tests/unit/failalloc.c), then for n = 1..K the
 * n-th one fails, once, and again with the heap staying exhausted from the
 * n-th on. Every run must end in a clean error (the unit's documented one)
 * or in the very result of a run with memory, never in a crash or a
 * different answer; state that existed before is left as it was; tests/run.sh
 * runs this under valgrind, so a leak on any error path fails it.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "tf_test.h"
#include "failalloc.h"
#include "oom.h"

#include "account.h"
#include "attrib.h"
#include "config.h"
#include "drm.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "promtext.h"
#include "sigparse.h"
#include "tokens.h"

#include "metrics_fill.h"

/* ---- config (agent/config.c) ------------------------------------------------ */

struct cfg_ctx {
	char path[64], curve[64], hist[64];
	struct tf_config ref;		/* loaded with memory */
	struct tf_config running;	/* what a reload must leave alone */
	struct tf_config c;
	char err[1024];
};

static void write_tmp(char *path, size_t sz, const char *text)
{
	int fd;

	snprintf(path, sz, "/tmp/tf-oom-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Every part of a config the daemon reads: the scalars and the arrays. */
static bool cfg_equal(const struct tf_config *a, const struct tf_config *b)
{
	struct tf_config x = *a, y = *b;

	if (a->nsources != b->nsources || a->ngroups != b->ngroups ||
	    a->ngpu != b->ngpu)
		return false;
	if (memcmp(a->sources, b->sources, a->nsources * sizeof(*a->sources)) ||
	    memcmp(a->groups, b->groups, a->ngroups * sizeof(*a->groups)) ||
	    memcmp(a->gpu, b->gpu, a->ngpu * sizeof(*a->gpu)))
		return false;
	x.sources = y.sources = NULL;
	x.groups = y.groups = NULL;
	x.gpu = y.gpu = NULL;
	return !memcmp(&x, &y, sizeof(x));
}

static int cfg_op(void *arg)
{
	struct cfg_ctx *x = arg;

	return tf_config_load(x->path, &x->c, x->err, sizeof(x->err));
}

static void cfg_check(void *arg, int rc, unsigned long failed)
{
	struct cfg_ctx *x = arg;

	if (rc) {
		/* an error only when memory ran out, and it says so */
		assert_int_equal(rc, -1);
		assert_true(failed > 0);
		if (!strstr(x->err, "out of memory") &&
		    !strstr(x->err, strerror(ENOMEM)))
			fail_msg("config error without naming memory: %s", x->err);
	} else if (!cfg_equal(&x->c, &x->ref)) {
		fail_msg("config loaded differently with %lu allocation(s) failed",
			 failed);
	}
	/* the running configuration (a SIGHUP reload loads beside it) */
	assert_true(cfg_equal(&x->running, &x->ref));
}

static void cfg_teardown(void *arg)
{
	struct cfg_ctx *x = arg;

	tf_config_free(&x->c);
}

static void test_config(void **state)
{
	struct cfg_ctx *x = calloc(1, sizeof(*x));
	char text[2048];
	struct oom_case c = {
		"config", x, NULL, cfg_op, cfg_check, cfg_teardown,
	};

	(void)state;
	assert_non_null(x);
	write_tmp(x->curve, sizeof(x->curve),
		  "power_w,tokens_per_s\n40,30\n80,50\n120,60\n");
	write_tmp(x->hist, sizeof(x->hist),
		  "# utc_s,surplus_w\n1500000000,0.0\n1500003600,250.5\n");
	snprintf(text, sizeof(text),
		 "[agent]\ninterval = 500ms\ntimezone = Europe/Berlin\n"
		 "[budget]\nfloor = 200W\nceiling = 800W\nhistory = %s\n"
		 "[metrics]\nlisten = 127.0.0.1:9464\n"
		 "[source site]\ntype = mqtt\ntopic = site/surplus\nttl = 1m\n"
		 "[source wt]\ntype = http\nshape = watttime\n"
		 "url = https://api.example.net/v3/signal-index\nperiod = 5m\n"
		 "value_low = 10\nvalue_high = 60\nsurplus_max = 20kW\n"
		 "[group chat]\ntier = interactive\ncgroup = tf.slice/chat\n"
		 "metrics_url = http://127.0.0.1:8080/metrics\npreset = llamacpp\n"
		 "[group batch]\ntier = batch\ncgroup = tf.slice/batch\n"
		 "quota = 2e6\ncurve = %s\n"
		 "[gpu 0]\nlever = clocks\nmin_clock = 900\nmax_clock = 1800\n"
		 "[gpu 1]\nlever = power\n",
		 x->hist, x->curve);
	write_tmp(x->path, sizeof(x->path), text);
	if (tf_config_load(x->path, &x->ref, x->err, sizeof(x->err)))
		fail_msg("%s", x->err);
	assert_int_equal(x->ref.nsources, 2);
	assert_int_equal(x->ref.ngroups, 2);
	assert_int_equal(x->ref.ngpu, 2);
	assert_int_equal(tf_config_load(x->path, &x->running, x->err,
					sizeof(x->err)), 0);

	oom_run(&c);

	tf_config_free(&x->ref);
	tf_config_free(&x->running);
	unlink(x->path);
	unlink(x->curve);
	unlink(x->hist);
	free(x);
}

/* ---- signal payloads (agent/sigparse.c) ------------------------------------- */

#define S	1000000000LL
#define NOON	(1714564800LL * S)	/* 2024-05-01T12:00:00Z */

enum sig_kind { SIG_JSON, SIG_WT, SIG_EMAPS, SIG_CA, SIG_CSV };

struct sig_ctx {
	enum sig_kind kind;
	const char *payload;
	int64_t now;
	struct tf_source_cfg cfg;
	struct tf_sigval ref, v;	/* v: the last good value before */
	struct tf_csv csv_ref, csv;
	char err[TF_SIG_ERR];
};

static int sig_parse(struct sig_ctx *x, struct tf_sigval *v,
		     struct tf_csv *csv)
{
	size_t len = strlen(x->payload);

	switch (x->kind) {
	case SIG_JSON:
		return tf_sig_parse_json(&x->cfg, x->payload, len, v, x->err,
					 sizeof(x->err));
	case SIG_WT:
	case SIG_EMAPS:
	case SIG_CA:
		return tf_sig_parse_http(&x->cfg, x->payload, len, x->now, v,
					 x->err, sizeof(x->err));
	case SIG_CSV:
		return tf_sig_parse_csv(x->payload, len, csv, x->err,
					sizeof(x->err));
	}
	return -1;
}

/* the source's last good value: a parse that fails must not touch it */
static const struct tf_sigval sig_last = {
	.surplus_uw = 777, .has_carbon = true, .carbon_mg_kwh = 555,
	.timestamp_ns = 42, .source = "last", .ttl_left_ms = 9,
};

static void sig_setup(void *arg)
{
	struct sig_ctx *x = arg;

	x->v = sig_last;
	memset(&x->csv, 0, sizeof(x->csv));
	x->err[0] = '\0';
}

static int sig_op(void *arg)
{
	struct sig_ctx *x = arg;

	return sig_parse(x, &x->v, &x->csv);
}

static void sig_check(void *arg, int rc, unsigned long failed)
{
	struct sig_ctx *x = arg;

	if (rc) {
		assert_int_equal(rc, -1);
		assert_true(failed > 0);
		assert_true(x->err[0] != '\0');
		/* not mistaken for a malformed payload */
		if (!strstr(x->err, "out of memory"))
			fail_msg("%s: rejected as \"%s\"", x->payload, x->err);
		assert_memory_equal(&x->v, &sig_last, sizeof(x->v));
		assert_null(x->csv.v);
		return;
	}
	if (x->kind == SIG_CSV) {
		assert_int_equal(x->csv.n, x->csv_ref.n);
		assert_memory_equal(x->csv.v, x->csv_ref.v,
				    x->csv.n * sizeof(*x->csv.v));
	} else {
		assert_memory_equal(&x->v, &x->ref, sizeof(x->v));
	}
}

static void sig_teardown(void *arg)
{
	struct sig_ctx *x = arg;

	tf_csv_free(&x->csv);
}

static void sig_case(const char *name, enum sig_kind kind,
		     const char *payload, int64_t now)
{
	struct sig_ctx x = { .kind = kind, .payload = payload, .now = now };
	struct oom_case c = {
		name, &x, sig_setup, sig_op, sig_check, sig_teardown,
	};

	strcpy(x.cfg.name, "test");
	strcpy(x.cfg.surplus_field, "grid.surplus_w");
	strcpy(x.cfg.carbon_field, "carbon_g_kwh");
	strcpy(x.cfg.price_field, "price_mwh");
	x.cfg.value_low = 100;
	x.cfg.value_high = 500;
	x.cfg.surplus_max_uw = 1000000000ULL;
	x.cfg.shape = kind == SIG_WT ? TF_HTTP_WATTTIME :
		      kind == SIG_EMAPS ? TF_HTTP_EMAPS : TF_HTTP_CARBONAWARE;
	memset(&x.ref, 0, sizeof(x.ref));
	if (sig_parse(&x, &x.ref, &x.csv_ref))
		fail_msg("%s: %s", name, x.err);
	oom_run(&c);
	tf_csv_free(&x.csv_ref);
}

static void test_sigparse(void **state)
{
	(void)state;
	/*
	 * libjson-c 0.16 (Debian 12) in json_tokener_parse_ex(): its strdup()
	 * of an object key is not checked (json_object_object_add_ex() then
	 * crashes in strlen(NULL)), and a key that json_object_object_add_ex()
	 * fails to add is dropped without an error (a wrong answer, not a
	 * failed parse). Not ours to fix: those allocations are left alone;
	 * every other one, json-c's own included, fails in turn.
	 */
	tf_fa_exempt("json_tokener_parse_ex", "strdup");
	tf_fa_exempt("json_object_object_add_ex", "strdup");
	sig_case("json", SIG_JSON,
		 "{\"grid\":{\"surplus_w\":1250.5,\"region\":\"CAISO\"},"
		 "\"carbon_g_kwh\":210,\"price_mwh\":-12.5,"
		 "\"ts\":\"2024-05-01T12:00:00+02:00\",\"extra\":[1,2,3]}", 0);
	sig_case("watttime", SIG_WT,
		 "{\"data\":[{\"point_time\":\"2024-05-01T12:00:00+00:00\",\"value\":870.0},"
		 "{\"point_time\":\"2024-05-01T12:05:00+00:00\",\"value\":860.0}],"
		 "\"meta\":{\"data_point_period_seconds\":300,"
		 "\"generated_at\":\"2024-05-01T12:00:00+00:00\","
		 "\"signal_type\":\"co2_moer\",\"units\":\"lbs_co2_per_mwh\"}}",
		 NOON + 7 * 60 * S);
	sig_case("emaps", SIG_EMAPS,
		 "{\"zone\":\"DE\",\"history\":["
		 "{\"carbonIntensity\":310,\"datetime\":\"2024-05-01T10:00:00.000Z\"},"
		 "{\"carbonIntensity\":290,\"datetime\":\"2024-05-01T11:00:00.000Z\"}]}",
		 NOON);
	sig_case("emaps latest", SIG_EMAPS,
		 "{\"zone\":\"DE\",\"carbonIntensity\":302,"
		 "\"datetime\":\"2024-05-01T12:00:00.000Z\"}", NOON);
	sig_case("carbonaware", SIG_CA,
		 "[{\"location\":\"eastus\",\"forecastData\":["
		 "{\"timestamp\":\"2024-05-01T12:00:00+00:00\",\"duration\":5,\"value\":350.5},"
		 "{\"timestamp\":\"2024-05-01T12:05:00+00:00\",\"duration\":5,\"value\":300.0}]}]",
		 NOON + 6 * 60 * S);
	sig_case("csv", SIG_CSV,
		 "# utc_s,surplus_w\n1500000000,0\n1500003600,250.5\n"
		 "1500007200,1000\n", 0);
}

/* ---- Prometheus text (agent/promtext.c) ------------------------------------- */

static const char prom_page[] =
	"# HELP vllm:generation_tokens_total Number of generation tokens processed.\n"
	"# TYPE vllm:generation_tokens_total counter\n"
	"vllm:generation_tokens_total{engine=\"0\",model_name=\"m\"} 1234.0\n"
	"vllm:generation_tokens_total{engine=\"1\",model_name=\"m\"} 1.5e3\n"
	"vllm:generation_tokens_created{engine=\"0\",model_name=\"m\"} 1.7e+09\n"
	"# TYPE other gauge\nother{a=\"x\\\"y\"} -3.25 1714564800000\n";

struct prom_ctx {
	struct tf_prom_selector sel;
	double sum, ref;
	unsigned int nseries;
	char err[256];
};

static int prom_op(void *arg)
{
	struct prom_ctx *x = arg;

	return tf_prom_sum(prom_page, strlen(prom_page), &x->sel, &x->sum,
			   &x->nseries, x->err, sizeof(x->err));
}

static void prom_check(void *arg, int rc, unsigned long failed)
{
	struct prom_ctx *x = arg;

	if (rc) {
		/* not mistaken for a malformed page or a missing metric */
		assert_int_equal(rc, -ENOMEM);
		assert_true(failed > 0);
		return;
	}
	assert_true(x->sum == x->ref);
	assert_int_equal(x->nseries, 2);
}

static void test_promtext(void **state)
{
	struct prom_ctx x;
	struct oom_case c = { "promtext", &x, NULL, prom_op, prom_check, NULL };

	(void)state;
	memset(&x, 0, sizeof(x));
	assert_int_equal(tf_prom_selector_parse("vllm:generation_tokens_total{model_name=\"m\"}",
						&x.sel, x.err, sizeof(x.err)), 0);
	assert_int_equal(prom_op(&x), 0);
	x.ref = x.sum;
	assert_true(x.ref == 2734.0);
	oom_run(&c);
}

/* ---- token scrapes (agent/tokens.c) ------------------------------------------ */

static char tok_page[1024];
static pthread_mutex_t tok_lock = PTHREAD_MUTEX_INITIALIZER;

static enum MHD_Result tok_serve(void *cls, struct MHD_Connection *conn,
				 const char *url, const char *method,
				 const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	(void)upload_size; (void)con_cls;
	pthread_mutex_lock(&tok_lock);
	r = MHD_create_response_from_buffer(strlen(tok_page), tok_page,
					    MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&tok_lock);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void tok_set(uint64_t v)
{
	pthread_mutex_lock(&tok_lock);
	snprintf(tok_page, sizeof(tok_page),
		 "# TYPE llamacpp:tokens_predicted_total counter\n"
		 "llamacpp:tokens_predicted_total %llu\n", (unsigned long long)v);
	pthread_mutex_unlock(&tok_lock);
}

struct tok_ctx {
	struct tf_group_cfg g[2];
	struct tf_tokens *t;		/* tf_tokens_open's result */
	struct tf_tokens *live;		/* the scraper under test */
	char err[256];
	uint64_t counter;		/* the worker's counter now */
	uint64_t pending;		/* before this scrape */
	uint64_t booked;		/* the counter value last read */
};

static int tok_open_op(void *arg)
{
	struct tok_ctx *x = arg;

	x->err[0] = '\0';
	return tf_tokens_open(&x->t, x->g, 2, 2000, x->err, sizeof(x->err));
}

static void tok_open_check(void *arg, int rc, unsigned long failed)
{
	struct tok_ctx *x = arg;

	if (rc) {
		assert_int_equal(rc, -ENOMEM);
		assert_true(failed > 0);
		assert_null(x->t);
		assert_true(x->err[0] != '\0');
		return;
	}
	assert_non_null(x->t);
	assert_int_equal(tf_tokens_count(x->t), 2);
}

static void tok_open_teardown(void *arg)
{
	struct tok_ctx *x = arg;

	tf_tokens_close(x->t);
	x->t = NULL;
}

static void tok_scrape_setup(void *arg)
{
	struct tok_ctx *x = arg;

	x->counter += 10;
	tok_set(x->counter);
	x->pending = tf_tokens_group(x->live, 0)->acct.pending;
}

static int tok_scrape_op(void *arg)
{
	struct tok_ctx *x = arg;

	return tf_tokens_scrape(x->live) == 1 ? 0 : -1;
}

static void tok_scrape_check(void *arg, int rc, unsigned long failed)
{
	struct tok_ctx *x = arg;
	const struct tf_tokens_group *g = tf_tokens_group(x->live, 0);

	if (rc) {
		/* a failed scrape books nothing; the next reading catches up */
		assert_true(failed > 0);
		assert_false(g->up);
		assert_int_equal(g->acct.pending, x->pending);
		return;
	}
	assert_true(g->up);
	/* every token since the last reading, once */
	assert_int_equal(g->acct.pending - x->pending, x->counter - x->booked);
	x->booked = x->counter;
}

static void sink_quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

static void test_tokens(void **state)
{
	struct tok_ctx *x = calloc(1, sizeof(*x));
	struct oom_case open = {
		"tokens open", x, NULL, tok_open_op, tok_open_check,
		tok_open_teardown,
	};
	struct oom_case scrape = {
		"tokens scrape", x, tok_scrape_setup, tok_scrape_op,
		tok_scrape_check, NULL,
	};
	struct MHD_Daemon *d;
	unsigned int port;

	(void)state;
	assert_non_null(x);
	tf_log_set_sink(sink_quiet, NULL);
	/* libcurl's global state (OpenSSL's) is the process's, made once */
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
	x->counter = 1000;
	tok_set(x->counter);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			     tok_serve, NULL, MHD_OPTION_END);
	assert_non_null(d);
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	strcpy(x->g[0].name, "chat");
	snprintf(x->g[0].metrics_url, sizeof(x->g[0].metrics_url),
		 "http://127.0.0.1:%u/metrics", port);
	strcpy(x->g[0].preset, "llamacpp");
	strcpy(x->g[1].name, "batch");	/* no counter */

	oom_run(&open);

	assert_int_equal(tf_tokens_open(&x->live, x->g, 2, 2000, x->err,
					sizeof(x->err)), 0);
	/* the first reading is the baseline */
	assert_int_equal(tf_tokens_scrape(x->live), 1);
	assert_int_equal(tf_tokens_group(x->live, 0)->acct.pending, 0);
	x->booked = x->counter;
	oom_run(&scrape);
	/* nothing lost: every token the worker made since the baseline */
	assert_int_equal(tf_tokens_group(x->live, 0)->acct.pending,
			 x->counter - 1000);
	tf_tokens_close(x->live);
	MHD_stop_daemon(d);
	curl_global_cleanup();
	tf_log_set_sink(NULL, NULL);
	free(x);
}

/* ---- /metrics render (agent/metrics.c) --------------------------------------- */

struct mx_ctx {
	struct tf_mx_snapshot s;
	char *ref, *out;
	size_t ref_len, len;
};

static void mx_setup(void *arg)
{
	struct mx_ctx *x = arg;

	x->out = (char *)x;	/* not touched on failure */
	x->len = 12345;
}

static int mx_op(void *arg)
{
	struct mx_ctx *x = arg;

	return tf_metrics_render(&x->s, &x->out, &x->len);
}

static void mx_check(void *arg, int rc, unsigned long failed)
{
	struct mx_ctx *x = arg;

	if (rc) {
		assert_int_equal(rc, -ENOMEM);
		assert_true(failed > 0);
		assert_ptr_equal(x->out, x);
		assert_int_equal(x->len, 12345);
		x->out = NULL;
		return;
	}
	assert_int_equal(x->len, x->ref_len);
	assert_memory_equal(x->out, x->ref, x->len + 1);
}

static void mx_teardown(void *arg)
{
	struct mx_ctx *x = arg;

	free(x->out);
	x->out = NULL;
}

static void test_metrics(void **state)
{
	struct mx_ctx *x = calloc(1, sizeof(*x));
	struct oom_case c = {
		"metrics render", x, mx_setup, mx_op, mx_check, mx_teardown,
	};

	(void)state;
	assert_non_null(x);
	tf_metrics_fill(&x->s);
	assert_int_equal(tf_metrics_render(&x->s, &x->ref, &x->ref_len), 0);
	assert_true(x->ref_len > 1000);
	oom_run(&c);
	free(x->ref);
	free(x);
}

/* ---- accounting (agent/account.c, agent/attrib.c) ------------------------------ */

#define ACCT_NP 7

struct acct_ctx {
	struct tf_dom_tick doms[4], doms0[4];
	struct tf_proc_tick procs[ACCT_NP];
	struct tf_ledger_row rows[ACCT_NP], rows0[ACCT_NP], ref[ACCT_NP];
	struct tf_energy_row ref_e[ACCT_NP][4];	/* ref's entries, copied */
	struct tf_acct_buf buf;		/* fresh each run: its growth fails too */
	int nref;
};

static void acct_setup(void *arg)
{
	struct acct_ctx *x = arg;

	/* last tick's leftovers: must survive a failed tick untouched */
	memset(x->rows, 0xa5, sizeof(x->rows));
	memcpy(x->rows0, x->rows, sizeof(x->rows));
	memcpy(x->doms, x->doms0, sizeof(x->doms));
	x->doms[1].rest_uj = x->doms[2].rest_uj = x->doms[3].rest_uj = 99;
	memcpy(x->doms0, x->doms, sizeof(x->doms));
	memset(&x->buf, 0, sizeof(x->buf));
}

static void acct_teardown(void *arg)
{
	struct acct_ctx *x = arg;

	tf_acct_buf_free(&x->buf);
}

static int acct_op(void *arg)
{
	struct acct_ctx *x = arg;

	return tf_account_tick(x->doms, 4, x->procs, ACCT_NP, x->rows, &x->buf);
}

/* each domain's rows plus its remainder are its metered delta, exactly */
static void acct_conserved(const struct acct_ctx *x, int n)
{
	size_t d, e;
	int i;

	for (d = 1; d < 4; d++) {
		uint64_t sum = x->doms[d].rest_uj;

		for (i = 0; i < n; i++)
			for (e = 0; e < x->rows[i].n_energy; e++)
				if (x->rows[i].energy[e].domain_id == x->doms[d].id)
					sum += x->rows[i].energy[e].uj;
		assert_int_equal(sum, x->doms[d].delta_uj);
	}
}

static void acct_check(void *arg, int rc, unsigned long failed)
{
	struct acct_ctx *x = arg;

	if (rc < 0) {
		/* nothing half-applied: rows and remainders as they were */
		assert_int_equal(rc, -ENOMEM);
		assert_true(failed > 0);
		assert_memory_equal(x->rows, x->rows0, sizeof(x->rows));
		assert_memory_equal(x->doms, x->doms0, sizeof(x->doms));
		return;
	}
	assert_int_equal(rc, x->nref);
	acct_conserved(x, rc);
	/*
	 * With memory: the reference split. Without memory for its ranking
	 * tf_attribute() leaves the leftover µJ (fewer than the processes)
	 * with the remainder: still conserved, never more to anyone.
	 */
	for (int i = 0; i < rc; i++) {
		assert_int_equal(x->rows[i].pid, x->ref[i].pid);
		assert_string_equal(x->rows[i].comm, x->ref[i].comm);
		assert_int_equal(x->rows[i].n_energy, x->ref[i].n_energy);
		for (size_t e = 0; e < x->rows[i].n_energy; e++) {
			const struct tf_energy_row *got = &x->rows[i].energy[e];
			const struct tf_energy_row *want = &x->ref_e[i][e];

			assert_int_equal(got->domain_id, want->domain_id);
			if (!failed)
				assert_int_equal(got->uj, want->uj);
			else
				assert_true(got->uj <= want->uj && got->uj + 1 >= want->uj);
		}
	}
}

static void test_account(void **state)
{
	struct acct_ctx *x = calloc(1, sizeof(*x));
	struct oom_case c = {
		"account tick", x, acct_setup, acct_op, acct_check, acct_teardown,
	};
	static const uint32_t type[4] = {
		TF_DOMAIN_HOST, TF_DOMAIN_PACKAGE, TF_DOMAIN_DRAM, TF_DOMAIN_GPU,
	};
	int i;

	(void)state;
	assert_non_null(x);
	for (i = 0; i < 4; i++) {
		x->doms0[i].id = (uint32_t)i;
		x->doms0[i].type = type[i];
		x->doms0[i].delta_uj = 1000003ULL * (uint64_t)(i + 1);
	}
	/* tgid 0: the idle tasks; weights that leave remainders to rank */
	for (i = 0; i < ACCT_NP; i++) {
		x->procs[i].tgid = i ? 100 + (uint32_t)i : 0;
		snprintf(x->procs[i].comm, sizeof(x->procs[i].comm), "p%d", i);
		x->procs[i].cpu[0] = (uint64_t)(i * 7 + 3);
		x->procs[i].gpu[0] = i % 2 ? (uint64_t)(i * 11) : 0;
	}
	acct_setup(x);
	x->nref = acct_op(x);
	assert_int_equal(x->nref, ACCT_NP - 1);
	acct_conserved(x, x->nref);
	memcpy(x->ref, x->rows, sizeof(x->ref));
	for (i = 0; i < x->nref; i++) {
		assert_true(x->rows[i].n_energy <= 4);
		memcpy(x->ref_e[i], x->rows[i].energy,
		       x->rows[i].n_energy * sizeof(x->ref_e[i][0]));
	}
	acct_teardown(x);
	oom_run(&c);
	free(x);
}

struct attr_ctx {
	struct tf_share v[5];
	uint64_t rest, ref_rest;
	uint64_t ref[5];
};

static int attr_op(void *arg)
{
	struct attr_ctx *x = arg;

	x->rest = tf_attribute(1000003, 17, x->v, 5);
	return 0;
}

static void attr_check(void *arg, int rc, unsigned long failed)
{
	struct attr_ctx *x = arg;
	uint64_t sum = x->rest;
	size_t i;

	assert_int_equal(rc, 0);
	for (i = 0; i < 5; i++) {
		sum += x->v[i].uj;
		/* the floor of the exact share, plus at most the one µJ */
		assert_true(x->v[i].uj <= x->ref[i] && x->v[i].uj + 1 >= x->ref[i]);
		if (!failed)
			assert_int_equal(x->v[i].uj, x->ref[i]);
	}
	assert_int_equal(sum, 1000003);	/* conserved, memory or not */
	if (!failed)
		assert_int_equal(x->rest, x->ref_rest);
}

static void test_attribute(void **state)
{
	struct attr_ctx x;
	struct oom_case c = { "attribute", &x, NULL, attr_op, attr_check, NULL };
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		x.v[i].tgid = 10 + (uint32_t)i;
		x.v[i].weight = 3 + i;
	}
	attr_op(&x);
	for (i = 0; i < 5; i++)
		x.ref[i] = x.v[i].uj;
	x.ref_rest = x.rest;
	oom_run(&c);
}

/* ---- DRM fdinfo scan (agent/drm.c) --------------------------------------------- */

static const char drm_fdinfo[] =
	"pos:\t0\nflags:\t02100002\nmnt_id:\t24\nino:\t1073\n"
	"drm-driver:\tamdgpu\ndrm-pdev:\t0000:03:00.0\ndrm-client-id:\t%u\n"
	"drm-engine-gfx:\t%u ns\ndrm-engine-compute:\t0 ns\n"
	"drm-memory-vram:\t1024 KiB\n";

struct drm_ctx {
	char root[64], proc[96];
	struct tf_drm_card cards[1];
	struct tf_drm_use *use, *ref;
	int nref;
};

static void drm_put(const struct drm_ctx *x, const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", x->root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int drm_op(void *arg)
{
	struct drm_ctx *x = arg;

	return tf_drm_scan(x->proc, x->cards, 1, &x->use);
}

static int drm_cmp(const void *a, const void *b)
{
	const struct tf_drm_use *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void drm_check(void *arg, int rc, unsigned long failed)
{
	struct drm_ctx *x = arg;

	if (rc < 0) {
		/* never a scan with some processes silently left out */
		assert_int_equal(rc, -ENOMEM);
		assert_true(failed > 0);
		assert_null(x->use);
		return;
	}
	assert_int_equal(rc, x->nref);
	qsort(x->use, (size_t)rc, sizeof(*x->use), drm_cmp);
	assert_memory_equal(x->use, x->ref, (size_t)rc * sizeof(*x->use));
}

static void drm_teardown(void *arg)
{
	struct drm_ctx *x = arg;

	free(x->use);
	x->use = NULL;
}

static void test_drm(void **state)
{
	struct drm_ctx *x = calloc(1, sizeof(*x));
	struct oom_case c = {
		"drm scan", x, NULL, drm_op, drm_check, drm_teardown,
	};
	char cmd[256], rel[64], text[512];
	unsigned int pid, fd;

	(void)state;
	assert_non_null(x);
	strcpy(x->root, "/tmp/tf-oom-drm-XXXXXX");
	assert_non_null(mkdtemp(x->root));
	snprintf(x->proc, sizeof(x->proc), "%s/proc", x->root);
	strcpy(x->cards[0].pdev, "0000:03:00.0");
	strcpy(x->cards[0].driver, "amdgpu");
	/* 20 processes with two clients each (enough rows to grow twice) */
	for (pid = 100; pid < 120; pid++) {
		snprintf(cmd, sizeof(cmd), "mkdir -p %s/%u/fd %s/%u/fdinfo",
			 x->proc, pid, x->proc, pid);
		assert_int_equal(system(cmd), 0);
		for (fd = 3; fd < 5; fd++) {
			snprintf(rel, sizeof(rel), "proc/%u/fd/%u", pid, fd);
			snprintf(cmd, sizeof(cmd), "%s/%s", x->root, rel);
			assert_int_equal(symlink("/dev/dri/renderD128", cmd), 0);
			snprintf(rel, sizeof(rel), "proc/%u/fdinfo/%u", pid, fd);
			snprintf(text, sizeof(text), drm_fdinfo, pid * 10 + fd,
				 pid * 1000 + fd);
			drm_put(x, rel, text);
		}
	}
	x->nref = drm_op(x);
	assert_int_equal(x->nref, 20);
	qsort(x->use, 20, sizeof(*x->use), drm_cmp);
	assert_int_equal(x->use[0].engine_ns, 100000 * 2 + 7);
	x->ref = x->use;
	x->use = NULL;
	oom_run(&c);
	free(x->ref);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->root);
	assert_int_equal(system(cmd), 0);
	free(x);
}

/* ---- quota planner (agent/policy.c) -------------------------------------------- */

struct plan_ctx {
	struct tf_curve curve;
	struct tf_quota_cfg q;
	struct tf_slot s[6];
	double p, ref, head0;
	struct tf_plan plan, plan_ref;
	double extra[6], extra_ref[6];
};

static int plan_batch_op(void *arg)
{
	struct plan_ctx *x = arg;

	x->p = tf_batch_power(&x->curve, &x->q, 1.2e6, x->s, 6);
	return 0;
}

static void plan_batch_check(void *arg, int rc, unsigned long failed)
{
	struct plan_ctx *x = arg;

	assert_int_equal(rc, 0);
	/* documented: without memory for the plan, the head (quota first) */
	if (failed && x->p != x->ref)
		assert_true(x->p == x->head0);
	else
		assert_true(x->p == x->ref);
}

static int plan_grid_op(void *arg)
{
	struct plan_ctx *x = arg;

	return tf_plan_grid(&x->curve, x->s, 6, 1.5e6, x->extra, &x->plan);
}

static void plan_grid_check(void *arg, int rc, unsigned long failed)
{
	struct plan_ctx *x = arg;

	if (rc) {
		assert_int_equal(rc, -1);
		assert_true(failed > 0);
		return;
	}
	assert_memory_equal(&x->plan, &x->plan_ref, sizeof(x->plan));
	assert_memory_equal(x->extra, x->extra_ref, sizeof(x->extra));
}

static void test_policy(void **state)
{
	static const double p_w[] = { 40, 80, 120 }, tps[] = { 30, 50, 60 };
	struct plan_ctx x;
	struct oom_case batch = {
		"batch power", &x, NULL, plan_batch_op, plan_batch_check, NULL,
	};
	struct oom_case grid = {
		"plan grid", &x, NULL, plan_grid_op, plan_grid_check, NULL,
	};
	int k;

	(void)state;
	memset(&x, 0, sizeof(x));
	assert_int_equal(tf_curve_init(&x.curve, p_w, tps, 3), 0);
	x.q.margin = 0.01;
	x.q.fc_trust = 1;
	for (k = 0; k < 6; k++) {
		x.s[k].dur_s = 3600;
		x.s[k].green_w = k * 15;
		x.s[k].head_w = 120;
		x.s[k].surplus_w = k * 20;
	}
	x.head0 = fmin(x.s[0].head_w, tf_curve_max_w(&x.curve));
	plan_batch_op(&x);
	x.ref = x.p;
	assert_true(x.ref > 0 && x.ref < x.head0);	/* a plan, not the head */
	assert_int_equal(plan_grid_op(&x), 0);
	x.plan_ref = x.plan;
	memcpy(x.extra_ref, x.extra, sizeof(x.extra));
	oom_run(&batch);
	oom_run(&grid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_sigparse),
		cmocka_unit_test(test_promtext),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_account),
		cmocka_unit_test(test_attribute),
		cmocka_unit_test(test_drm),
		cmocka_unit_test(test_policy),
	};

	return TF_RUN_TESTS("oom", tests);
}
