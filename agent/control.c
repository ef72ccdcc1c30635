// SPDX-License-Identifier: GPL-2.0
/*
 * The control step (control.h). Per step:
 *   1. the signal: the sources' combined value (the most conservative fresh
 *      one), mirrored into the module so tfctl, the ledger's green share and
 *      the fail-safe all see what the agent acts on;
 *   2. the host budget (tf_budget_step: floor, share, ceiling, ramp,
 *      hysteresis; stale means the floor);
 *   3. the tiers (tf_policy_split) over the configured groups;
 *   4. the actuators.
 * On a tick also: group energy read back from the module (measured power
 * per group), tokens scraped, /metrics refreshed.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actuate.h"
#include "config.h"
#include "agent.h"
#include "control.h"
#include "lever.h"
#include "localday.h"
#include "log.h"
#include "metrics.h"
#include "nvml.h"
#include "policy.h"
#include "source.h"
#include "tf_nl.h"
#include "tokens.h"
#include "trace.h"

#define TF_CTL_CPU_PERIOD_US 100000	/* cpu.max period: the kernel's default */

struct tf_ctl_group {
	const struct tf_group_cfg *cfg;
	bool in_module;			/* the module knows the group */
	uint64_t energy_uj;		/* all its domains, last tick */
	uint64_t power_uw;		/* measured over the last tick */
	uint64_t tick_uj;		/* energy of the last tick */
	struct tf_mx_group tokmx;	/* its token figures, as last booked */
	/* a batch group with a daily quota (tf_policy_batch_now) */
	bool quota;
	uint64_t day_tokens0;		/* its tokens when the local day began */
	double plan_w;			/* the planner's batch power, last step */
	struct tf_alloc alloc;
	struct tf_act_group_plan plan;
};

struct tf_ctl {
	const struct tf_config *cfg;
	/*
	 * Groups, actuators, tokens and sources up for cfg. false after a
	 * reload that could rebuild neither configuration (out of memory):
	 * each step tries again, and does nothing else until it succeeds.
	 */
	bool built;
	struct tf_nl *nl;
	int wake_fd;
	struct tf_budget budget;
	struct tf_ctl_group *groups;
	size_t ngroups;
	struct tf_demand *dem;
	struct tf_alloc *alloc;
	struct tf_act_group_plan *plans;
	struct tf_nvml *nvml;		/* NULL: no NVIDIA GPUs, or not ours */
	struct tf_act *act;
	unsigned int ncpus;
	uint64_t *gpu_uw;
	size_t ngpu;
	uint64_t cpu_uw;		/* the CPU packages' power, last tick */
	uint64_t cpu_uj;
	uint64_t budget_uw;		/* the last step's */
	uint64_t last_tick_ns;
	uint64_t last_step_ns;		/* the last tick's step */
	uint32_t green_ppm;		/* the accounting tick's */
	struct tf_agent_stats agent;

	/*
	 * Tokens: scraped on a thread of their own (a slow worker must not
	 * hold up the loop), booked by the tick when the scraper is idle.
	 */
	struct tf_tokens *tok;
	pthread_t scraper;
	bool scraper_up, scraper_quit, scrape_due;
	pthread_mutex_t tok_lock;
	pthread_cond_t tok_cond;
	uint64_t *tok_uj;
	struct tf_ledger_row *tok_rows;

	/* the quota's local day and the surplus forecast (policy.h) */
	struct tf_forecast fc;
	int64_t day;
	bool any_quota;
	struct tf_series hist;		/* the history file, until fed */
	bool hist_pending;

	struct tf_sources *src;		/* NULL: the module's signal alone */
	bool mirror;			/* copy the sources' signal into the module */
	struct tf_sigval sig;		/* the signal acted on */

	struct tf_metrics *mx;
	struct tf_mx_snapshot *snap;
	char mx_listen[TF_CFG_STR];
	struct tf_domain_info *doms;	/* the last tick's */
	unsigned int ndoms;
	/* the signal acted on */
	bool fresh;
	uint64_t surplus_uw;
	bool logged_stale;
	unsigned int nl_gen;		/* tf_nl_generation() at the last sync */
};

static uint64_t tf_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The module's group for each configured one, with its cgroup as member,
 * so the ledger sums the group's energy. An existing group (an earlier
 * agent's) is taken over: its tier follows the configuration.
 */
static void tf_ctl_groups_sync(struct tf_ctl *ctl)
{
	size_t i;

	for (i = 0; i < ctl->ngroups; i++) {
		struct tf_ctl_group *g = &ctl->groups[i];
		int err;

		err = tf_nl_group_new(ctl->nl, g->cfg->name, g->cfg->tier, NULL);
		if (err == -EEXIST)
			err = tf_nl_group_set(ctl->nl, g->cfg->name,
					      &g->cfg->tier, NULL);
		if (err) {
			tf_log(TF_LOG_WARNING, "group %s: %s (%s)", g->cfg->name,
			       strerror(-err), tf_nl_errmsg(ctl->nl));
			continue;
		}
		g->in_module = true;
		if (g->cfg->cgroup[0]) {
			char path[TF_CFG_PATH + 1];

			/* the module takes the path from the cgroup2 root */
			snprintf(path, sizeof(path), "/%s", g->cfg->cgroup);
			err = tf_nl_member(ctl->nl, true, g->cfg->name, 0, path);
			if (err && err != -EEXIST)
				tf_log(TF_LOG_WARNING, "group %s: cgroup %s: %s (%s)",
				       g->cfg->name, path,
				       strerror(-err), tf_nl_errmsg(ctl->nl));
		}
	}
}

/*
 * The module drops a cgroup member whose cgroup went offline (removed);
 * one made again under the same path is a new cgroup: add it again, so
 * that the group's energy keeps counting its processes.
 */
static void tf_ctl_member_again(struct tf_ctl *ctl, struct tf_ctl_group *g,
				const struct tf_group_info *gi)
{
	char path[TF_CFG_PATH + 1];
	unsigned int k;
	int err;

	snprintf(path, sizeof(path), "/%s", g->cfg->cgroup);
	for (k = 0; k < gi->n_members; k++)
		if (!gi->members[k].pid && !strcmp(gi->members[k].cgroup, path))
			return;
	err = tf_nl_member(ctl->nl, true, g->cfg->name, 0, path);
	/* ENOENT: not there (yet); EEXIST: there under another spelling */
	if (!err)
		tf_log(TF_LOG_NOTICE, "group %s: cgroup %s is a member again",
		       g->cfg->name, path);
}

static void *tf_ctl_scraper(void *arg)
{
	struct tf_ctl *ctl = arg;

	pthread_mutex_lock(&ctl->tok_lock);
	for (;;) {
		while (!ctl->scrape_due && !ctl->scraper_quit)
			pthread_cond_wait(&ctl->tok_cond, &ctl->tok_lock);
		if (ctl->scraper_quit)
			break;
		ctl->scrape_due = false;
		tf_tokens_scrape(ctl->tok);	/* the lock held: the tick skips */
	}
	pthread_mutex_unlock(&ctl->tok_lock);
	return NULL;
}

static int tf_ctl_tokens_start(struct tf_ctl *ctl, const struct tf_config *c)
{
	size_t n = c->ngroups ? c->ngroups : 1;
	char err[256];
	int e;

	ctl->tok_uj = calloc(n, sizeof(*ctl->tok_uj));
	ctl->tok_rows = calloc(n, sizeof(*ctl->tok_rows));
	if (!ctl->tok_uj || !ctl->tok_rows)
		return -ENOMEM;
	/* half a tick at most: the next scrape is due at the next tick */
	e = tf_tokens_open(&ctl->tok, c->groups, c->ngroups,
			   c->interval_ms / 2 ? c->interval_ms / 2 : 1, err,
			   sizeof(err));
	if (e) {
		tf_log(TF_LOG_ERR, "tokens: %s", err);
		return e;
	}
	ctl->scraper_quit = false;
	ctl->scrape_due = false;
	e = pthread_create(&ctl->scraper, NULL, tf_ctl_scraper, ctl);
	if (e)
		return -e;
	ctl->scraper_up = true;
	return 0;
}

static void tf_ctl_tokens_stop(struct tf_ctl *ctl)
{
	if (ctl->scraper_up) {
		pthread_mutex_lock(&ctl->tok_lock);
		ctl->scraper_quit = true;
		pthread_cond_signal(&ctl->tok_cond);
		pthread_mutex_unlock(&ctl->tok_lock);
		pthread_join(ctl->scraper, NULL);
		ctl->scraper_up = false;
	}
	tf_tokens_close(ctl->tok);
	ctl->tok = NULL;
	free(ctl->tok_uj);
	free(ctl->tok_rows);
	ctl->tok_uj = NULL;
	ctl->tok_rows = NULL;
}

static int tf_ctl_build(struct tf_ctl *ctl, const struct tf_config *c)
{
	size_t i, n = c->ngroups ? c->ngroups : 1;

	struct tf_act_state st;
	int err;

	ctl->act = NULL;
	ctl->gpu_uw = NULL;
	ctl->groups = calloc(n, sizeof(*ctl->groups));
	ctl->dem = calloc(n, sizeof(*ctl->dem));
	ctl->alloc = calloc(n, sizeof(*ctl->alloc));
	ctl->plans = calloc(n, sizeof(*ctl->plans));
	if (!ctl->groups || !ctl->dem || !ctl->alloc || !ctl->plans)
		return -ENOMEM;
	ctl->ngroups = c->ngroups;
	ctl->any_quota = false;
	for (i = 0; i < c->ngroups; i++) {
		ctl->groups[i].cfg = &c->groups[i];
		ctl->groups[i].tokmx.j_per_token = NAN;
		ctl->groups[i].quota = c->groups[i].tier == TF_TIER_BATCH &&
				       c->groups[i].quota_tok > 0 &&
				       c->groups[i].curve.n >= 2;
		ctl->any_quota |= ctl->groups[i].quota;
	}
	ctl->cfg = c;
	err = tf_act_open(&ctl->act, c, ctl->nl, ctl->nvml,
			  &(struct tf_act_opts){ .state_dir = TF_ACT_STATE_DIR });
	if (err)
		return err;
	tf_act_state(ctl->act, &st);
	ctl->ngpu = st.ngpus;
	ctl->gpu_uw = calloc(st.ngpus ? st.ngpus : 1, sizeof(*ctl->gpu_uw));
	if (!ctl->gpu_uw)
		return -ENOMEM;
	err = tf_ctl_tokens_start(ctl, c);
	if (err)
		return err;
	ctl->mirror = c->nsources > 0;
	for (i = 0; i < c->nsources; i++)
		if (c->sources[i].kind == TF_SRC_MODULE)
			ctl->mirror = false;	/* we would read our own copy back */
	if (c->nsources) {
		err = tf_sources_start(&ctl->src, c->sources, c->nsources,
				       ctl->wake_fd);
		if (err)
			return err;
	}
	ctl->built = true;
	return 0;
}

/*
 * Puts the actuators back. A reload goes through here too: the next
 * actuators take stock of the original values, not of ours, and the step
 * that follows at once sets them again.
 */
static void tf_ctl_unbuild(struct tf_ctl *ctl)
{
	ctl->built = false;
	tf_sources_stop(ctl->src);
	ctl->src = NULL;
	tf_ctl_tokens_stop(ctl);
	tf_act_close(ctl->act);
	free(ctl->groups);
	free(ctl->dem);
	free(ctl->alloc);
	free(ctl->plans);
	free(ctl->gpu_uw);
	ctl->act = NULL;
	ctl->groups = NULL;
	ctl->dem = NULL;
	ctl->alloc = NULL;
	ctl->plans = NULL;
	ctl->gpu_uw = NULL;
	ctl->ngroups = 0;
}

/* /metrics on the configured address; a new address on reload moves it. */
static int tf_ctl_metrics(struct tf_ctl *ctl, const struct tf_config *c)
{
	char err[256];
	int e;

	if (ctl->mx && !strcmp(ctl->mx_listen, c->listen))
		return 0;
	tf_metrics_close(ctl->mx);
	ctl->mx = NULL;
	ctl->mx_listen[0] = '\0';
	if (!c->listen[0])
		return 0;
	e = tf_metrics_open(&ctl->mx, c->listen, err, sizeof(err));
	if (e) {
		tf_log(TF_LOG_ERR, "metrics: %s", err);
		return e;
	}
	snprintf(ctl->mx_listen, sizeof(ctl->mx_listen), "%s", c->listen);
	tf_log(TF_LOG_INFO, "metrics: http://%s/metrics", c->listen);
	return 0;
}

/*
 * The forecast the quota planner sees: the history file's days before the
 * first moment the agent knows the time of (the same rule as tf-eval: never
 * the day's own future), then the live signal, hour by hour. With the
 * signal's clock that moment is the first time-stamped value, so the file
 * is read now and fed at the first step. In the signal's units; the host's
 * share is taken when slots are made. A file missing or malformed is
 * logged and done without; out of memory is an error (-ENOMEM), not a
 * quota planned as if the host had no history.
 */
static int tf_ctl_forecast(struct tf_ctl *ctl, const struct tf_config *c)
{
	char err[256];
	FILE *f;
	int ret;

	tf_fc_init(&ctl->fc, c->forecast_days, TF_FC_MEDIAN);
	ctl->day = INT64_MIN;
	tf_series_free(&ctl->hist);
	ctl->hist_pending = false;
	if (!c->history[0])
		return 0;
	f = fopen(c->history, "re");
	if (!f) {
		if (errno == ENOMEM)
			return -ENOMEM;
		tf_log(TF_LOG_WARNING, "forecast: %s: %s", c->history, strerror(errno));
		return 0;
	}
	ret = tf_series_read(f, c->history, &ctl->hist, err, sizeof(err));
	if (!ret) {
		ctl->hist_pending = true;
	} else if (ret != -ENOMEM) {
		tf_log(TF_LOG_WARNING, "forecast: %s", err);
		ret = 0;
	}
	fclose(f);
	return ret;
}

int tf_ctl_open(struct tf_ctl **out, const struct tf_config *c, int wake_fd)
{
	struct tf_ctl *ctl = calloc(1, sizeof(*ctl));
	int err;

	if (!ctl)
		return -ENOMEM;
	ctl->wake_fd = wake_fd;
	ctl->ncpus = sysconf(_SC_NPROCESSORS_ONLN) > 0 ?
		     (unsigned int)sysconf(_SC_NPROCESSORS_ONLN) : 1;
	err = tf_nl_open(&ctl->nl);
	if (err)
		goto fail;
	/* the actuators' own handle: accounting's is read-only */
	if (c->gpus && tf_nvml_open(&ctl->nvml, 0))
		ctl->nvml = NULL;
	pthread_mutex_init(&ctl->tok_lock, NULL);
	pthread_cond_init(&ctl->tok_cond, NULL);
	err = tf_ctl_forecast(ctl, c);
	if (err)
		goto fail;
	ctl->snap = calloc(1, sizeof(*ctl->snap));
	if (!ctl->snap) {
		err = -ENOMEM;
		goto fail;
	}
	err = tf_ctl_build(ctl, c);
	if (err)
		goto fail;
	err = tf_ctl_metrics(ctl, c);
	if (err)
		goto fail;
	tf_ctl_groups_sync(ctl);
	*out = ctl;
	return 0;
fail:
	tf_ctl_close(ctl);
	return err;
}

/*
 * The signal: the sources' combined value (the least surplus of the fresh
 * ones), copied into the module with the time it stays fresh, so tfctl,
 * the ledger's green share and the agent see one signal; without sources,
 * the module's own (tfctl signal set).
 */
static bool tf_ctl_signal(struct tf_ctl *ctl, uint64_t *surplus_uw)
{
	struct tf_signal_info s;

	if (ctl->src) {
		struct tf_sigval v;

		if (!tf_sources_current(ctl->src, tf_sources_now_ms(), &v))
			return false;
		if (ctl->mirror && v.ttl_left_ms) {
			s = (struct tf_signal_info){
				.set = true,
				.surplus_uw = v.surplus_uw,
				.ttl_ms = v.ttl_left_ms > TF_SIGNAL_TTL_MAX_MS ?
					  TF_SIGNAL_TTL_MAX_MS : (uint32_t)v.ttl_left_ms,
				.has_carbon = v.has_carbon,
				.has_price = v.has_price,
				.carbon_mg_kwh = v.carbon_mg_kwh,
				.price_ucur_mwh = v.price_ucur_mwh,
				.timestamp_ns = v.timestamp_ns,
			};
			snprintf(s.source, sizeof(s.source), "%s", v.source);
			if (tf_nl_signal_set(ctl->nl, &s))
				tf_log(TF_LOG_DEBUG, "signal: to the module: %s",
				       tf_nl_errmsg(ctl->nl));
		}
		ctl->sig = v;
		*surplus_uw = v.surplus_uw;
		return true;
	}
	if (tf_nl_signal_get(ctl->nl, &s) || !s.set || s.stale)
		return false;
	memset(&ctl->sig, 0, sizeof(ctl->sig));
	ctl->sig.surplus_uw = s.surplus_uw;
	ctl->sig.timestamp_ns = s.timestamp_ns;
	*surplus_uw = s.surplus_uw;
	return true;
}

/*
 * Each group's energy over the tick, from the module's ledger, and the
 * CPU packages' power (what is left of the budget for GPUs).
 */
static void tf_ctl_measure(struct tf_ctl *ctl, uint64_t dt_ns)
{
	struct tf_domain_info *v;
	uint64_t cpu_uj = 0;
	unsigned int n, k;
	size_t i;

	for (i = 0; i < ctl->ngroups; i++) {
		struct tf_ctl_group *g = &ctl->groups[i];
		struct tf_group_info gi;
		uint64_t uj = 0;

		if (!g->in_module || tf_nl_group_get(ctl->nl, g->cfg->name, &gi))
			continue;
		for (k = 0; k < gi.n_energy; k++)
			uj += gi.energy[k].uj;
		if (g->cfg->cgroup[0])
			tf_ctl_member_again(ctl, g, &gi);
		tf_group_info_free(&gi);
		g->tick_uj = 0;
		if (uj >= g->energy_uj && g->energy_uj) {
			g->tick_uj = uj - g->energy_uj;
			if (dt_ns)
				g->power_uw = g->tick_uj * 1000000000ULL / dt_ns;
		}
		g->energy_uj = uj;
	}
	if (tf_nl_domains(ctl->nl, &v, &n))
		return;
	for (k = 0; k < n; k++)
		if (v[k].type == TF_DOMAIN_PACKAGE || v[k].type == TF_DOMAIN_DRAM)
			cpu_uj += v[k].energy_uj;
	free(ctl->doms);
	ctl->doms = v;
	ctl->ndoms = n;
	if (dt_ns && cpu_uj >= ctl->cpu_uj && ctl->cpu_uj)
		ctl->cpu_uw = (cpu_uj - ctl->cpu_uj) * 1000000000ULL / dt_ns;
	ctl->cpu_uj = cpu_uj;
}

/*
 * What a group would draw unthrottled: its configured demand, else the
 * whole ceiling (an unmeasured worker may take all it is given; a frozen
 * one draws nothing, so its measured power says nothing of its demand).
 */
static uint64_t tf_ctl_demand(const struct tf_ctl *ctl,
			      const struct tf_ctl_group *g)
{
	if (g->cfg->demand_uw)
		return g->cfg->demand_uw;
	return ctl->cfg->budget.ceiling_uw;
}

/*
 * The GPUs share what the CPUs do not draw, equally; each GPU's lever
 * clamps its share to its range (lever.h). The module's CPU cap is then
 * the budget less the GPUs' shares.
 */
static uint64_t tf_ctl_gpus(struct tf_ctl *ctl, uint64_t budget)
{
	uint64_t left, each;
	size_t i;

	if (!ctl->ngpu)
		return tf_lever_cpu_cap(budget, NULL, 0, ctl->cfg->budget.floor_uw);
	left = budget > ctl->cpu_uw ? budget - ctl->cpu_uw : 0;
	each = left / ctl->ngpu;
	for (i = 0; i < ctl->ngpu; i++)
		ctl->gpu_uw[i] = each;
	return tf_lever_cpu_cap(budget, ctl->gpu_uw, ctl->ngpu,
				ctl->cfg->budget.floor_uw);
}

/*
 * A process of the group's cgroup, to carry its tokens in the ledger.
 * read(2), not stdio: without memory for a FILE the tick's tokens would
 * go to no process, lost to the ledger.
 */
static uint32_t tf_ctl_group_pid(const struct tf_ctl *ctl,
				 const struct tf_group_cfg *g)
{
	char path[TF_CFG_PATH * 2 + 32], buf[32], *end;
	unsigned long pid;
	ssize_t n;
	int fd;

	if (!g->cgroup[0])
		return 0;
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", ctl->cfg->cgroup_root,
		 g->cgroup);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtoul(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || pid > UINT32_MAX)
		return 0;
	return (uint32_t)pid;
}

/*
 * Books the tokens scraped since the last tick, with the tick's energy and
 * green share, into the ledger and the figures; then asks for the next
 * scrape. When the scraper is still at it, the tokens wait a tick.
 */
static void tf_ctl_tokens(struct tf_ctl *ctl)
{
	unsigned int nrows = 0;
	size_t i;

	if (!ctl->tok || pthread_mutex_trylock(&ctl->tok_lock))
		return;
	for (i = 0; i < ctl->ngroups; i++)
		ctl->tok_uj[i] = ctl->groups[i].tick_uj;
	tf_tokens_tick(ctl->tok, ctl->tok_uj, ctl->green_ppm);
	for (i = 0; i < ctl->ngroups && i < tf_tokens_count(ctl->tok); i++) {
		const struct tf_tokens_group *tg = tf_tokens_group(ctl->tok, i);
		uint32_t pid;

		tf_tokens_mx(tg, &ctl->groups[i].tokmx);
		if (!tg->acct.delta)
			continue;
		pid = tf_ctl_group_pid(ctl, ctl->groups[i].cfg);
		if (pid)
			tf_tokens_to_rows(ctl->tok_rows, &nrows, ctl->ngroups, pid,
					  tg->acct.delta);
	}
	if (nrows && tf_nl_ledger_push(ctl->nl, ctl->green_ppm, ctl->tok_rows, nrows))
		tf_log(TF_LOG_DEBUG, "tokens: ledger push: %s", tf_nl_errmsg(ctl->nl));
	ctl->scrape_due = true;
	pthread_cond_signal(&ctl->tok_cond);
	pthread_mutex_unlock(&ctl->tok_lock);
}

/* The figures /metrics serves, refreshed every tick. */
static void tf_ctl_snapshot(struct tf_ctl *ctl)
{
	struct tf_mx_snapshot *s = ctl->snap;
	struct tf_signal_info sig;
	struct tf_act_state st;
	struct tf_status mst;
	unsigned int k;
	size_t i;

	if (!ctl->mx)
		return;
	memset(s, 0, sizeof(*s));
	s->ticks = ctl->agent.ticks;
	s->conservation_errors = ctl->agent.conservation_errors;
	s->push_errors = ctl->agent.push_errors;
	s->green_ppm = ctl->green_ppm;
	s->budget_uw = ctl->budget_uw;
	if (!tf_nl_status(ctl->nl, &mst))
		s->failsafe = mst.failsafe;
	if (!tf_nl_signal_get(ctl->nl, &sig) && sig.set) {
		s->signal_set = true;
		s->signal_fresh = !sig.stale;
		s->surplus_uw = sig.surplus_uw;
		s->signal_age_ms = sig.age_ms;
	}
	for (k = 0; k < ctl->ndoms; k++) {
		struct tf_mx_domain *d = tf_mx_add_domain(s, ctl->doms[k].name);

		if (!d)
			break;
		d->energy_uj = ctl->doms[k].energy_uj;
		d->power_uw = ctl->doms[k].power_uw;
		d->cap_uw = ctl->doms[k].eff_cap_uw;
		d->estimated = ctl->doms[k].estimated;
	}
	if (ctl->src) {
		struct tf_source_status ss[TF_MX_MAX_SOURCES];
		size_t n = tf_sources_status(ctl->src, ss, TF_MX_MAX_SOURCES);
		static const char *const kinds[] = {
			[TF_SRC_MQTT] = "mqtt", [TF_SRC_HTTP] = "http",
			[TF_SRC_CSV] = "csv", [TF_SRC_MODULE] = "module",
		};

		for (i = 0; i < n && i < TF_MX_MAX_SOURCES; i++) {
			struct tf_mx_source *m = tf_mx_add_source(s, ss[i].name);

			if (!m)
				break;
			if (ss[i].kind >= TF_SRC_MQTT && ss[i].kind <= TF_SRC_MODULE)
				snprintf(m->kind, sizeof(m->kind), "%s", kinds[ss[i].kind]);
			m->fresh = ss[i].fresh;
			m->accepted = ss[i].accepted;
			m->rejected = ss[i].rejected;
		}
	}
	tf_act_state(ctl->act, &st);
	for (i = 0; i < ctl->ngroups; i++) {
		struct tf_ctl_group *g = &ctl->groups[i];
		struct tf_mx_group *m = tf_mx_add_group(s, g->cfg->name);

		if (!m)
			break;
		snprintf(m->tier, sizeof(m->tier), "%s", tf_tier_name(g->cfg->tier));
		m->energy_uj = g->energy_uj;
		m->power_uw = g->power_uw;
		m->frozen = g->alloc.frozen;
		m->has_tokens = g->tokmx.has_tokens;
		m->tokens_up = g->tokmx.tokens_up;
		m->tokens = g->tokmx.tokens;
		m->green_tokens = g->tokmx.green_tokens;
		m->scrape_errors = g->tokmx.scrape_errors;
		m->j_per_token = g->tokmx.j_per_token;
		if (i < st.ngroups && st.groups[i].cpu_max[0]) {
			struct tf_cpu_max cm;

			m->has_cpu_max = true;
			m->cpu_max = -1;
			if (!tf_lever_cpu_max_parse(st.groups[i].cpu_max, &cm) &&
			    !cm.unlimited && cm.period_us)
				m->cpu_max = (double)cm.quota_us / cm.period_us;
		}
	}
	for (i = 0; i < st.ngpus; i++) {
		struct tf_mx_actuator *a = tf_mx_add_actuator(s, st.gpus[i].name);

		if (a)
			snprintf(a->state, sizeof(a->state), "%s",
				 st.dry_run ? "dry-run" :
				 st.gpus[i].limit_uw || st.gpus[i].clock_max_mhz ?
				 "applied" : "untouched");
	}
	for (i = 0; i < st.npkgs; i++) {
		struct tf_mx_actuator *a = tf_mx_add_actuator(s, st.pkgs[i].name);

		if (a)
			snprintf(a->state, sizeof(a->state), "%s",
				 st.dry_run ? "dry-run" :
				 st.pkgs[i].cap_uw ? "applied" : "untouched");
	}
	tf_metrics_update(ctl->mx, s);
}

/* The planner's model of an hour: idle and the interactive tiers' power. */
struct tf_ctl_slot_arg {
	double share;		/* of the signal this host may use */
	double base_w;		/* idle + interactive */
	double head_w;		/* host_max - base, at most the curve's top */
};

static void tf_ctl_slot(const void *arg, double surplus_w, unsigned int lhour,
			struct tf_slot *out)
{
	const struct tf_ctl_slot_arg *a = arg;
	double host = surplus_w * a->share;

	(void)lhour;
	out->green_w = fmax(0, host - a->base_w);
	out->head_w = a->head_w;
	out->surplus_w = host;
}

/*
 * Batch groups with a daily quota: the batch power the planner wants now
 * (all the surplus batch can use, plus the grid power that meets the quota
 * where the forecast has least surplus). Returns the budget, raised if
 * the plan needs grid power beyond it: the quota outranks the floor.
 */
static uint64_t tf_ctl_quota(struct tf_ctl *ctl, uint64_t budget,
			     uint64_t surplus_uw, bool fresh, uint64_t dt_ns)
{
	const struct tf_config *c = ctl->cfg;
	struct tf_ctl_slot_arg arg;
	struct tf_localtime lt;
	struct timespec ts;
	double t, inter = 0, planned = 0, need;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + ts.tv_nsec / 1e9;
	if (c->clock == TF_CLOCK_SIGNAL) {
		if (!ctl->sig.timestamp_ns)
			return budget;	/* no time yet: nothing planned */
		t = ctl->sig.timestamp_ns / 1e9;
	}
	if (ctl->hist_pending) {
		size_t n = tf_fc_seed(&ctl->fc, &ctl->day, ctl->hist.t, ctl->hist.w,
				      ctl->hist.n, t);

		tf_log(TF_LOG_INFO, "forecast: %zu samples of %s before now, %u past days",
		       n, c->history, ctl->fc.have);
		tf_series_free(&ctl->hist);
		ctl->hist_pending = false;
	}
	if (tf_local_at(t, &lt))
		return budget;
	if (tf_fc_roll(&ctl->fc, &ctl->day, &lt)) {
		for (i = 0; i < ctl->ngroups; i++)
			ctl->groups[i].day_tokens0 = ctl->groups[i].tokmx.tokens;
		tf_log(TF_LOG_INFO, "quota: a new local day");
	}
	if (fresh)
		tf_fc_observe(&ctl->fc, lt.hour, surplus_uw / 1e6);

	for (i = 0; i < ctl->ngroups; i++)
		if (ctl->groups[i].cfg->tier == TF_TIER_INTERACTIVE)
			inter += fmax(ctl->groups[i].power_uw,
				      ctl->groups[i].cfg->reserved_uw) / 1e6;
	arg.share = c->budget.share_ppm / 1e6;
	arg.base_w = c->cpu_idle_uw / 1e6 + inter;
	for (i = 0; i < ctl->ngroups; i++) {
		struct tf_ctl_group *g = &ctl->groups[i];
		struct tf_slot now;
		double due;

		if (!g->quota)
			continue;
		arg.head_w = fmax(0, fmin(c->host_max_uw / 1e6 - arg.base_w,
					  tf_curve_max_w(&g->cfg->curve)));
		tf_ctl_slot(&arg, fresh ? surplus_uw / 1e6 : 0, lt.hour, &now);
		now.dur_s = dt_ns ? dt_ns / 1e9 : c->interval_ms / 1e3;
		due = g->cfg->quota_tok - (double)(g->tokmx.tokens - g->day_tokens0);
		g->plan_w = tf_policy_batch_now(&g->cfg->curve, &c->quota, due, &now,
						lt.hour_left_s, lt.next_hour,
						lt.hours_left, &ctl->fc, tf_ctl_slot,
						&arg);
		planned += g->plan_w;
	}
	need = c->cpu_idle_uw / 1e6 + inter + planned;
	if (need * 1e6 > budget)
		budget = (uint64_t)fmin(need * 1e6, c->budget.ceiling_uw);
	return budget;
}

void tf_ctl_agent(struct tf_ctl *ctl, const struct tf_agent_stats *st)
{
	ctl->agent = *st;
	ctl->green_ppm = st->green_ppm;
}

/* ctl->cfg built again after a reload that could not (a step's first job) */
static int tf_ctl_rebuild(struct tf_ctl *ctl)
{
	int err;

	tf_ctl_unbuild(ctl);
	err = tf_ctl_build(ctl, ctl->cfg);
	if (err) {
		tf_ctl_unbuild(ctl);
		return err;
	}
	tf_log(TF_LOG_NOTICE, "the running configuration is up again");
	tf_ctl_groups_sync(ctl);
	return 0;
}

void tf_ctl_step(struct tf_ctl *ctl, bool tick)
{
	const struct tf_config *c = ctl->cfg;
	uint64_t now = tf_mono_ns(), surplus = 0, budget;
	struct tf_act_plan plan = { 0 };
	bool fresh;
	size_t i;
	int err;

	if (!ctl->built && tf_ctl_rebuild(ctl))
		return;		/* no actuators to move: the next step tries */
	if (tick) {
		tf_ctl_measure(ctl, ctl->last_tick_ns ? now - ctl->last_tick_ns : 0);
		ctl->last_tick_ns = now;
		/* a reloaded module knows none of our groups: create them again */
		if (tf_nl_generation(ctl->nl) != ctl->nl_gen) {
			ctl->nl_gen = tf_nl_generation(ctl->nl);
			tf_log(TF_LOG_NOTICE, "module reloaded: groups created again");
			tf_ctl_groups_sync(ctl);
		}
	}
	fresh = tf_ctl_signal(ctl, &surplus);
	if (!fresh && !ctl->logged_stale)
		tf_log(TF_LOG_WARNING, "signal: none fresh: budget at the floor");
	else if (fresh && ctl->logged_stale)
		tf_log(TF_LOG_NOTICE, "signal: fresh again");
	ctl->logged_stale = !fresh;
	ctl->fresh = fresh;
	ctl->surplus_uw = surplus;
	budget = tf_budget_step(&ctl->budget, &c->budget, surplus, !fresh, now);
	if (ctl->any_quota)
		budget = tf_ctl_quota(ctl, budget, surplus, fresh,
				      tick && ctl->last_step_ns ? now - ctl->last_step_ns : 0);
	if (tick)
		ctl->last_step_ns = now;
	if (budget != ctl->budget_uw)
		tf_log(TF_LOG_INFO, "budget %" PRIu64 " mW (surplus %" PRIu64 " mW%s)",
		       budget / 1000, surplus / 1000, fresh ? "" : ", stale");
	ctl->budget_uw = budget;

	for (i = 0; i < ctl->ngroups; i++) {
		struct tf_ctl_group *g = &ctl->groups[i];

		ctl->dem[i] = (struct tf_demand){
			.tier = g->cfg->tier,
			.demand_uw = tf_ctl_demand(ctl, g),
			.reserved_uw = g->cfg->reserved_uw,
		};
	}
	tf_policy_split(budget, c->budget.floor_uw, ctl->dem, ctl->ngroups,
			ctl->alloc);
	/* a quota group runs at its plan, whatever the surplus split gave */
	for (i = 0; i < ctl->ngroups; i++) {
		if (!ctl->groups[i].quota)
			continue;
		ctl->alloc[i].uw = (uint64_t)(ctl->groups[i].plan_w * 1e6);
		ctl->alloc[i].frozen = !ctl->alloc[i].uw;
	}
	for (i = 0; i < ctl->ngroups; i++) {
		struct tf_ctl_group *g = &ctl->groups[i];
		struct tf_act_group_plan *p = &ctl->plans[i];

		if (g->alloc.frozen != ctl->alloc[i].frozen)
			tf_log(TF_LOG_INFO, "group %s: %s", g->cfg->name,
			       ctl->alloc[i].frozen ? "no power for it: frozen" :
			       "power again: thawed");
		g->alloc = ctl->alloc[i];
		/* without cpu_watts only freezing is possible: no cpu.max */
		if (tf_act_plan_group(c, &ctl->alloc[i], g->cfg->demand_uw, budget,
				      ctl->ncpus, TF_CTL_CPU_PERIOD_US,
				      TF_ACT_DUTY_PERIOD_US, p))
			*p = (struct tf_act_group_plan){
				.set = true,
				.cpu = { .unlimited = true,
					 .period_us = TF_CTL_CPU_PERIOD_US },
				.frozen = ctl->alloc[i].frozen,
			};
	}
	plan.groups = ctl->plans;
	plan.cpu_cap_uw = tf_ctl_gpus(ctl, budget);
	plan.gpu_uw = ctl->ngpu ? ctl->gpu_uw : NULL;
	plan.ngpu = ctl->ngpu;
	err = tf_act_apply(ctl->act, &plan);
	if (err)
		tf_log(TF_LOG_DEBUG, "actuators: %s", strerror(-err));
	if (tick) {
		tf_ctl_tokens(ctl);
		tf_ctl_snapshot(ctl);
	}
}

int tf_ctl_reload(struct tf_ctl *ctl, const struct tf_config *c)
{
	const struct tf_config *old = ctl->cfg;
	int err;

	/* the old actuators put back first: the new ones take stock of the
	 * original values, and the step that follows sets them again */
	tf_ctl_unbuild(ctl);
	err = tf_ctl_build(ctl, c);
	if (err) {
		/*
		 * The caller frees c: nothing may point into it any more, even
		 * when the old configuration cannot be built either (then each
		 * step tries again, tf_ctl_rebuild).
		 */
		tf_ctl_unbuild(ctl);
		ctl->cfg = old;
		if (tf_ctl_build(ctl, old)) {
			tf_ctl_unbuild(ctl);
			tf_log(TF_LOG_ERR, "reload: the running configuration could not be rebuilt either: trying again at each step");
		} else {
			tf_ctl_groups_sync(ctl);
		}
		tf_ctl_step(ctl, false);
		return err;
	}
	if (tf_ctl_metrics(ctl, c))
		tf_log(TF_LOG_ERR, "reload: /metrics stays off until the address works");
	tf_ctl_groups_sync(ctl);
	tf_ctl_step(ctl, false);
	return 0;
}

void tf_ctl_close(struct tf_ctl *ctl)
{
	if (!ctl)
		return;
	tf_ctl_unbuild(ctl);	/* restores the actuators */
	tf_metrics_close(ctl->mx);
	tf_series_free(&ctl->hist);
	free(ctl->snap);
	free(ctl->doms);
	pthread_mutex_destroy(&ctl->tok_lock);
	pthread_cond_destroy(&ctl->tok_cond);
	tf_nvml_close(ctl->nvml);
	tf_nl_close(ctl->nl);
	free(ctl);
}
