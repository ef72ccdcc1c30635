// SPDX-License-Identifier: GPL-2.0
/*
 * The control step (agent/control.c) with each allocation failing in turn
 * (tests/unit/oom.h, failalloc.c): tf_ctl_open, tf_ctl_step (a tick, the
 * budget falling) and tf_ctl_reload, over the real actuators on a temporary
 * tree standing in for the cgroup hierarchy, the module's package caps and
 * signal through a NETLINK DOUBLE (below: no module on the build host), the
 * module's signal as the only one (no sources), no GPUs, no /metrics.
 *
 * A step that runs out of memory leaves every cap at its old or its new
 * value, never none, and the next step with memory reaches exactly what a
 * step with memory does; a reload that fails keeps the running
 * configuration (the caller frees the new one at once: poisoned here) and
 * the next step caps as before; a failed open writes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "tf_test.h"
#include "failalloc.h"
#include "oom.h"

#include "config.h"
#include "control.h"
#include "log.h"
#include "tf_nl.h"

#pragma GCC diagnostic ignored "-Wformat-truncation"

#define W 1000000ULL

/* ---- NETLINK DOUBLE: the module's side of control.c's calls ----------------- */

struct tf_nl {
	int unused;
};

static struct {
	struct tf_domain_info d[3];
	uint64_t surplus_uw;
	uint64_t tokens[2];		/* pushed to the ledger: pid 4242, others */
} nd;

int tf_nl_open(struct tf_nl **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void tf_nl_close(struct tf_nl *nl)
{
	free(nl);
}

const char *tf_nl_errmsg(const struct tf_nl *nl)
{
	(void)nl;
	return "";
}

unsigned int tf_nl_generation(const struct tf_nl *nl)
{
	(void)nl;
	return 0;
}

int tf_nl_status(struct tf_nl *nl, struct tf_status *st)
{
	(void)nl;
	memset(st, 0, sizeof(*st));
	return 0;
}

/* allocated as the real client's dump is */
int tf_nl_domains(struct tf_nl *nl, struct tf_domain_info **out, unsigned int *n)
{
	(void)nl;
	*out = malloc(sizeof(nd.d));
	if (!*out)
		return -ENOMEM;
	memcpy(*out, nd.d, sizeof(nd.d));
	*n = 3;
	return 0;
}

int tf_nl_domain_set(struct tf_nl *nl, const char *name, const uint64_t *cap_uw,
		     const uint64_t *failsafe_uw)
{
	(void)nl;
	(void)failsafe_uw;
	for (int i = 0; i < 3; i++)
		if (!strcmp(nd.d[i].name, name)) {
			nd.d[i].cap_uw = *cap_uw;
			return 0;
		}
	return -ENOENT;
}

int tf_nl_signal_get(struct tf_nl *nl, struct tf_signal_info *s)
{
	(void)nl;
	memset(s, 0, sizeof(*s));
	s->set = true;
	s->surplus_uw = nd.surplus_uw;
	s->ttl_ms = 60000;
	return 0;
}

int tf_nl_signal_set(struct tf_nl *nl, const struct tf_signal_info *s)
{
	(void)nl;
	(void)s;
	return 0;
}

int tf_nl_group_get(struct tf_nl *nl, const char *name, struct tf_group_info *g)
{
	(void)nl;
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	return 0;
}

void tf_group_info_free(struct tf_group_info *g)
{
	free(g->members);
	g->members = NULL;
	g->n_members = 0;
}

int tf_nl_group_new(struct tf_nl *nl, const char *name, uint32_t tier,
		    const uint64_t *cap_uw)
{
	(void)nl; (void)name; (void)tier; (void)cap_uw;
	return 0;
}

int tf_nl_group_set(struct tf_nl *nl, const char *name, const uint32_t *tier,
		    const uint64_t *cap_uw)
{
	(void)nl; (void)name; (void)tier; (void)cap_uw;
	return 0;
}

int tf_nl_member(struct tf_nl *nl, bool add, const char *group, uint32_t pid,
		 const char *cgroup)
{
	(void)nl; (void)add; (void)group; (void)pid; (void)cgroup;
	return 0;
}

int tf_nl_ledger_push(struct tf_nl *nl, uint32_t green_ppm,
		      const struct tf_ledger_row *rows, unsigned int n)
{
	(void)nl;
	(void)green_ppm;
	for (unsigned int i = 0; i < n; i++)
		nd.tokens[rows[i].pid == 4242 ? 0 : 1] += rows[i].tokens;
	return 0;
}

const char *tf_tier_name(uint32_t tier)
{
	static const char *const names[] = { "?", "interactive", "batch", "background" };

	return tier < 4 ? names[tier] : "?";
}

/* package domains named for this test: what the actuators keep of them in
 * /run/tokenfactory cannot be mistaken for a host's */
static void nd_reset(void)
{
	memset(&nd, 0, sizeof(nd));
	strcpy(nd.d[0].name, "host");
	nd.d[0].type = TF_DOMAIN_HOST;
	strcpy(nd.d[1].name, "package-oomtest-0");
	nd.d[1].type = TF_DOMAIN_PACKAGE;
	nd.d[1].max_power_uw = 300 * W;
	strcpy(nd.d[2].name, "package-oomtest-1");
	nd.d[2].type = TF_DOMAIN_PACKAGE;
	nd.d[2].max_power_uw = 100 * W;
}

/* ---- the tree and what is in force ------------------------------------------ */

static char top[64];

static void tree(void)
{
	assert_int_equal(mkdir(top, 0700), 0);
	oom_mkd(top, "cg");
	oom_put(top, "cg/cgroup.subtree_control", "cpu memory\n");
	oom_mkd(top, "cg/a");
	oom_put(top, "cg/a/cgroup.procs", "4242\n");
	oom_put(top, "cg/a/cpu.max", "max 100000\n");
	oom_put(top, "cg/a/cgroup.freeze", "0\n");
	oom_mkd(top, "cg/b");
	oom_put(top, "cg/b/cpu.max", "max 100000\n");
	oom_put(top, "cg/b/cgroup.freeze", "0\n");
	nd_reset();
}

struct snap {
	char a_max[32], a_frz[8], b_max[32], b_frz[8];
	uint64_t cap[2];
};

static void snap_take(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	oom_get(top, "cg/a/cpu.max", s->a_max, sizeof(s->a_max));
	oom_get(top, "cg/a/cgroup.freeze", s->a_frz, sizeof(s->a_frz));
	oom_get(top, "cg/b/cpu.max", s->b_max, sizeof(s->b_max));
	oom_get(top, "cg/b/cgroup.freeze", s->b_frz, sizeof(s->b_frz));
	s->cap[0] = nd.d[1].cap_uw;
	s->cap[1] = nd.d[2].cap_uw;
}

static void snap_eq(const struct snap *x, const struct snap *y, int line)
{
#define STR(f) do { if (strcmp(x->f, y->f))					\
	fail_msg("line %d: " #f ": \"%s\", want \"%s\"", line, x->f, y->f); } while (0)
#define NUM(f) do { if (x->f != y->f)						\
	fail_msg("line %d: " #f ": %llu, want %llu", line,			\
		 (unsigned long long)x->f, (unsigned long long)y->f); } while (0)
	STR(a_max); STR(a_frz); STR(b_max); STR(b_frz);
	NUM(cap[0]); NUM(cap[1]);
#undef STR
#undef NUM
}

#define SNAP_EQ(x, y) snap_eq((x), (y), __LINE__)

/*
 * After a step that failed: each actuator at its old or its new value
 * (both what the policy allowed at one of the two steps), the packages
 * never uncapped.
 */
static void old_or_new(const struct snap *s, const struct snap *o,
		       const struct snap *n)
{
#define ONE(f) do { if (strcmp(s->f, o->f) && strcmp(s->f, n->f))		\
	fail_msg(#f " \"%s\": neither \"%s\" nor \"%s\"", s->f, o->f, n->f); } while (0)
	ONE(a_max); ONE(a_frz); ONE(b_max); ONE(b_frz);
#undef ONE
	for (int i = 0; i < 2; i++) {
		assert_true(s->cap[i]);
		if (s->cap[i] != o->cap[i] && s->cap[i] != n->cap[i])
			fail_msg("package %d cap %llu: neither %llu nor %llu", i,
				 (unsigned long long)s->cap[i],
				 (unsigned long long)o->cap[i],
				 (unsigned long long)n->cap[i]);
	}
}

/* ---- a worker's token counter (chat's metrics_url) ------------------------------ */

static pthread_mutex_t wk_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t wk_tokens, wk_served;

static enum MHD_Result wk_serve(void *cls, struct MHD_Connection *conn,
				const char *url, const char *method,
				const char *version, const char *upload,
				size_t *upload_size, void **con_cls)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char page[256];

	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	(void)upload_size; (void)con_cls;
	pthread_mutex_lock(&wk_lock);
	snprintf(page, sizeof(page),
		 "# TYPE llamacpp:tokens_predicted_total counter\n"
		 "llamacpp:tokens_predicted_total %llu\n",
		 (unsigned long long)wk_tokens);
	wk_served++;
	pthread_mutex_unlock(&wk_lock);
	r = MHD_create_response_from_buffer(strlen(page), page, MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static uint64_t wk_get(uint64_t *v)
{
	uint64_t x;

	pthread_mutex_lock(&wk_lock);
	x = *v;
	pthread_mutex_unlock(&wk_lock);
	return x;
}

/* the control's scraper, on its own thread, has read the counter since */
static void wk_scraped(uint64_t served)
{
	for (int i = 0; i < 10000 && wk_get(&wk_served) == served; i++)
		usleep(1000);
	assert_true(wk_get(&wk_served) > served);
	usleep(100000);		/* and parsed it, the lock let go */
}

/* ---- the cases ---------------------------------------------------------------- */

/* warnings about the forecast's history: a run with memory logs none */
static unsigned int fc_warned;

#define HIGH	(250 * W)	/* surplus: the budget at 350 W */
#define LOW	(20 * W)	/* the budget at 120 W */

struct ctl_ctx {
	char conf1[PATH_MAX], conf2[PATH_MAX], hist[PATH_MAX];
	struct tf_config c1, c2;
	bool c2_loaded;
	struct tf_ctl *ctl;
	/* with memory: as found, c1 at HIGH, c1 at LOW, c2 at HIGH */
	struct snap s0, s_high, s_low, s_c2;
	uint64_t tok0;
};

static int wk_port;

static void conf_write(char *path, const char *name, const char *ceiling,
		       const char *history)
{
	char text[4096];
	int fd;

	snprintf(path, PATH_MAX, "%s-%s.conf", top, name);
	snprintf(text, sizeof(text),
		 "[agent]\ninterval = 1s\ngpus = no\ncgroup_root = %s/cg\n"
		 "[budget]\nfloor = 100W\nceiling = %s\nshare = 1\n"
		 "cpu_watts = 10W\ncpu_idle_watts = 20W\nhistory = %s\n"
		 "[group chat]\ntier = interactive\ncgroup = a\nreserved = 50W\n"
		 "demand = 100W\nmetrics_url = http://127.0.0.1:%d/metrics\n"
		 "preset = llamacpp\n"
		 "[group batch]\ntier = batch\ncgroup = b\ndemand = 200W\n",
		 top, ceiling, history, wk_port);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void load(const char *path, struct tf_config *c)
{
	char err[512];

	if (tf_config_load(path, c, err, sizeof(err)))
		fail_msg("%s", err);
}

static void ctl_up(struct ctl_ctx *x, uint64_t surplus)
{
	assert_int_equal(tf_ctl_open(&x->ctl, &x->c1, -1), 0);
	nd.surplus_uw = surplus;
	tf_ctl_step(x->ctl, true);
}

/* close with memory: the host's own values back */
static void ctl_down(struct ctl_ctx *x)
{
	struct snap s;

	tf_ctl_close(x->ctl);
	x->ctl = NULL;
	snap_take(&s);
	SNAP_EQ(&s, &x->s0);
	if (x->c2_loaded)
		tf_config_free(&x->c2);
	x->c2_loaded = false;
	oom_rm_tree(top);
}

/* open */

static void open_setup(void *arg)
{
	(void)arg;
	tree();
	nd.surplus_uw = HIGH;
}

static int open_op(void *arg)
{
	struct ctl_ctx *x = arg;

	return tf_ctl_open(&x->ctl, &x->c1, -1);
}

static void open_check(void *arg, int rc, unsigned long failed)
{
	struct ctl_ctx *x = arg;
	struct snap s;

	snap_take(&s);
	SNAP_EQ(&s, &x->s0);		/* open writes nothing */
	if (rc) {
		assert_int_equal(rc, -ENOMEM);
		assert_true(failed > 0);
		oom_rm_tree(top);
		return;
	}
	/* not opened without the surplus history it was given */
	assert_int_equal(fc_warned, 0);
	tf_ctl_step(x->ctl, true);
	snap_take(&s);
	SNAP_EQ(&s, &x->s_high);
	ctl_down(x);
}

/* step: the budget falls from HIGH's to LOW's */

static void step_setup(void *arg)
{
	struct ctl_ctx *x = arg;

	tree();
	ctl_up(x, HIGH);
	nd.surplus_uw = LOW;
}

static int step_op(void *arg)
{
	struct ctl_ctx *x = arg;

	tf_ctl_step(x->ctl, true);
	return 0;
}

static void step_check(void *arg, int rc, unsigned long failed)
{
	struct ctl_ctx *x = arg;
	struct snap s;

	assert_int_equal(rc, 0);
	snap_take(&s);
	if (failed) {
		old_or_new(&s, &x->s_high, &x->s_low);
		/* the next step repairs what this one left */
		tf_ctl_step(x->ctl, false);
		snap_take(&s);
	}
	SNAP_EQ(&s, &x->s_low);
	ctl_down(x);
}

/* reload: c1 in force at HIGH, c2 (a lower ceiling) under test */

static void reload_setup(void *arg)
{
	struct ctl_ctx *x = arg;

	tree();
	ctl_up(x, HIGH);
	load(x->conf2, &x->c2);
	x->c2_loaded = true;
}

static int reload_op(void *arg)
{
	struct ctl_ctx *x = arg;

	return tf_ctl_reload(x->ctl, &x->c2);
}

static void reload_check(void *arg, int rc, unsigned long failed)
{
	struct ctl_ctx *x = arg;
	struct snap s;

	if (rc) {
		assert_int_equal(rc, -ENOMEM);
		assert_true(failed > 0);
		/* tokenfactoryd frees the new configuration at once */
		tf_config_free(&x->c2);
		memset(&x->c2, 0x5a, sizeof(x->c2));
		x->c2_loaded = false;
		/* the running one is in force again at the next step */
		tf_ctl_step(x->ctl, false);
		snap_take(&s);
		SNAP_EQ(&s, &x->s_high);
		ctl_down(x);
		return;
	}
	snap_take(&s);
	SNAP_EQ(&s, &x->s_c2);
	ctl_down(x);
}

/*
 * tokens: the worker made 10 more since the last tick, the scraper has read
 * them; the tick books them into the ledger, to a process of the group's
 * cgroup (its cgroup.procs).
 */

static void tok_setup(void *arg)
{
	struct ctl_ctx *x = arg;
	uint64_t served = wk_get(&wk_served);

	pthread_mutex_lock(&wk_lock);
	wk_tokens += 10;
	pthread_mutex_unlock(&wk_lock);
	tf_ctl_step(x->ctl, true);	/* books the last scrape, asks for one */
	wk_scraped(served);
	x->tok0 = nd.tokens[0];
}

static void tok_check(void *arg, int rc, unsigned long failed)
{
	struct ctl_ctx *x = arg;

	(void)failed;
	assert_int_equal(rc, 0);
	/* every token in the ledger, memory or not, to the group's process */
	assert_int_equal(nd.tokens[0] - x->tok0, 10);
	assert_int_equal(nd.tokens[1], 0);
}

/* The reference, with memory. */
static void ctl_reference(struct ctl_ctx *x)
{
	tree();
	snap_take(&x->s0);
	ctl_up(x, HIGH);
	snap_take(&x->s_high);
	nd.surplus_uw = LOW;
	tf_ctl_step(x->ctl, true);
	snap_take(&x->s_low);
	tf_ctl_close(x->ctl);
	oom_rm_tree(top);

	tree();
	ctl_up(x, HIGH);
	load(x->conf2, &x->c2);
	assert_int_equal(tf_ctl_reload(x->ctl, &x->c2), 0);
	snap_take(&x->s_c2);
	tf_ctl_close(x->ctl);
	x->ctl = NULL;
	tf_config_free(&x->c2);
	oom_rm_tree(top);
}

static void quiet(int level, const char *line, void *arg)
{
	(void)arg;
	if (level <= TF_LOG_WARNING && strstr(line, "forecast"))
		fc_warned++;
}

static void test_control(void **state)
{
	struct ctl_ctx *x = calloc(1, sizeof(*x));
	struct oom_case open = {
		"control open", x, open_setup, open_op, open_check, NULL,
	};
	struct oom_case step = {
		"control step", x, step_setup, step_op, step_check, NULL,
	};
	struct oom_case reload = {
		"control reload", x, reload_setup, reload_op, reload_check, NULL,
	};
	struct oom_case tokens = {
		"control tokens", x, tok_setup, step_op, tok_check, NULL,
	};
	struct MHD_Daemon *d;

	(void)state;
	assert_non_null(x);
	tf_log_set_sink(quiet, NULL);
	/* libcurl's global state (OpenSSL's) is the process's, made once */
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			     wk_serve, NULL, MHD_OPTION_END);
	assert_non_null(d);
	wk_port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	snprintf(top, sizeof(top), "/tmp/tf-oom-ctl-XXXXXX");
	assert_non_null(mkdtemp(top));
	assert_int_equal(rmdir(top), 0);	/* tree() makes it each run */
	snprintf(x->hist, sizeof(x->hist), "%s-history.csv", top);
	{
		FILE *f = fopen(x->hist, "w");

		assert_non_null(f);
		fputs("# utc_s,surplus_w\n", f);
		for (int h = 0; h < 72; h++)
			fprintf(f, "%d,%d\n", 1714521600 + h * 3600, (h % 24) * 10);
		fclose(f);
	}
	conf_write(x->conf1, "1", "400W", x->hist);
	conf_write(x->conf2, "2", "200W", x->hist);
	load(x->conf1, &x->c1);

	ctl_reference(x);
	assert_int_equal(fc_warned, 0);
	/* what the policy makes of it: capped throughout, falling and rising */
	assert_true(x->s_high.cap[0] && x->s_high.cap[1]);
	assert_true(x->s_low.cap[0] < x->s_high.cap[0]);
	assert_true(x->s_c2.cap[0] < x->s_high.cap[0]);
	assert_string_equal(x->s0.b_max, "max 100000");
	assert_true(strcmp(x->s_low.b_max, x->s_high.b_max));

	oom_run(&open);
	oom_run(&step);
	oom_run(&reload);

	/* the tokens: one control for all the runs, its scraper warmed up */
	tree();
	ctl_up(x, HIGH);
	tok_setup(x);
	tok_setup(x);
	oom_run(&tokens);
	ctl_down(x);

	tf_config_free(&x->c1);
	unlink(x->conf1);
	unlink(x->conf2);
	unlink(x->hist);
	MHD_stop_daemon(d);
	curl_global_cleanup();
	tf_log_set_sink(NULL, NULL);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control),
	};

	return TF_RUN_TESTS("oom_control", tests);
}
