// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting tick. Energy comes from the module's domains (whatever
 * meters them: RAPL, the estimate, the agent's own GPU pushes); who used it
 * comes from the sensor (CPU) and NVML (GPU). tf_account_tick() splits each
 * domain's delta exactly; this file gathers the inputs and pushes the rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "agent.h"
#include "drm.h"
#include "log.h"
#include "nvml.h"
#include "sensor.h"
#include "tf_nl.h"

#define TF_AGENT_UTIL_SAMPLES 512

struct tf_agent {
	struct tf_nl *nl;
	struct tf_sensor *sensor;
	struct tf_nvml *nvml;		/* NULL: no NVIDIA GPUs */
	uint64_t gpu_since_us[TF_ACCT_MAX_GPUS];
	bool gpu_known[TF_ACCT_MAX_GPUS];
	struct tf_gpu_proc_util util[TF_AGENT_UTIL_SAMPLES];
	struct tf_agent_stats st;
	/* the domains' energy at the previous tick, by id */
	uint64_t last_uj[TF_NL_MAX_ENERGIES];
	bool seen[TF_NL_MAX_ENERGIES];
	/* this tick's processes */
	struct tf_proc_tick *procs;
	size_t nprocs, cap;
	/*
	 * procs by tgid for the GPU samples (up to 512 a GPU): open
	 * addressing, index + 1 per slot, built on the first lookup of a tick
	 */
	uint32_t *idx;
	size_t idx_mask;	/* slots - 1 */
	bool idx_ok;
	struct tf_ledger_row *rows;
	size_t rows_cap;
	struct tf_acct_buf acct;	/* the rows' entries, reused every tick */
	uint64_t last_tick_ns;
	/* GPUs NVML does not know: DRM fdinfo weighs, hwmon meters */
	struct tf_drm_card drm[TF_DRM_MAX_CARDS];
	unsigned int ndrm;
	uint64_t drm_acc_uj[TF_DRM_MAX_CARDS];	/* integrated power1_average */
	struct tf_drm_use *drm_last;		/* the previous scan */
	int ndrm_last;
	uint64_t drm_tick_ns;
};

static uint64_t tf_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __thread char tf_agent_why[640];

const char *tf_agent_error(void)
{
	return tf_agent_why;
}

int tf_agent_open(struct tf_agent **out, const struct tf_agent_opts *o)
{
	struct tf_sensor_opts so = {
		.max_procs = o->max_procs,
		.counters = o->counters,
	};
	struct tf_agent *a;
	int err;

	tf_agent_why[0] = '\0';
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(tf_agent_why, sizeof(tf_agent_why), "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	err = tf_nl_open(&a->nl);
	if (err) {
		snprintf(tf_agent_why, sizeof(tf_agent_why), "netlink: %s%s",
			 strerror(-err),
			 err == -ENOENT ? " (is tokenfactory.ko loaded?)" : "");
		goto err_free;
	}
	err = tf_sensor_open2(&a->sensor, &so);
	if (err) {
		/* libbpf's errno alone misleads: "No such process" for no BTF */
		snprintf(tf_agent_why, sizeof(tf_agent_why), "sensor: %s",
			 tf_sensor_error()[0] ? tf_sensor_error() : strerror(-err));
		goto err_nl;
	}
	a->st.counters = tf_sensor_has_counters(a->sensor);
	if (tf_sensor_ustats(a->sensor)->loader_hwm_kb)
		tf_log(TF_LOG_DEBUG, "sensor: loaded by a child process, its peak RSS %llu KiB",
		       (unsigned long long)tf_sensor_ustats(a->sensor)->loader_hwm_kb);
	/* accounting only reads the GPUs; actuators get their own handle */
	if (o->gpus && !tf_nvml_open(&a->nvml, TF_NVML_RDONLY)) {
		a->st.gpus = tf_nvml_count(a->nvml);
		if (a->st.gpus > TF_ACCT_MAX_GPUS)
			a->st.gpus = TF_ACCT_MAX_GPUS;
	}
	/* the rest of the GPUs: those NVML meters are skipped */
	if (o->gpus) {
		int n = tf_drm_cards("/sys", a->nvml ? "nvidia" : "", a->drm,
				     TF_DRM_MAX_CARDS);

		if (n > (int)(TF_ACCT_MAX_GPUS - a->st.gpus))
			n = TF_ACCT_MAX_GPUS - a->st.gpus;
		a->ndrm = n > 0 ? n : 0;
		a->st.gpus += a->ndrm;
		a->st.drm_gpus = a->ndrm;
	}
	*out = a;
	return 0;

err_nl:
	tf_nl_close(a->nl);
err_free:
	free(a);
	return err;
}

void tf_agent_close(struct tf_agent *a)
{
	if (!a)
		return;
	tf_sensor_close(a->sensor);
	tf_nvml_close(a->nvml);
	tf_nl_close(a->nl);
	free(a->procs);
	free(a->idx);
	free(a->rows);
	tf_acct_buf_free(&a->acct);
	free(a->drm_last);
	free(a);
}

const struct tf_agent_stats *tf_agent_stats(const struct tf_agent *a)
{
	return &a->st;
}

/* A fresh entry for this tick's process list; NULL without memory. */
static struct tf_proc_tick *tf_agent_proc_new(struct tf_agent *a, uint32_t tgid)
{
	struct tf_proc_tick *p;

	if (a->nprocs == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 256;
		struct tf_proc_tick *v = realloc(a->procs, cap * sizeof(*v));

		if (!v)
			return NULL;	/* its energy stays remainder: conserved */
		a->procs = v;
		a->cap = cap;
	}
	p = &a->procs[a->nprocs++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	return p;
}

static void tf_agent_on_proc(const struct tf_proc_delta *d, void *arg)
{
	struct tf_agent *a = arg;
	struct tf_proc_tick *p = tf_agent_proc_new(a, d->tgid);
	unsigned int k;

	if (!p)
		return;
	/*
	 * The module names an account after the live task when it makes it;
	 * a name goes in the entry only where that is not enough: the first
	 * report, a rename (exec), a process gone. 20 of ~80 bytes an entry.
	 */
	if (d->named || d->exited) {
		memcpy(p->comm, d->comm, sizeof(p->comm));
		p->comm[sizeof(p->comm) - 1] = '\0';
	}
	for (k = 0; k < TF_SENSOR_MAX_PKGS && k < TF_ACCT_MAX_PKGS; k++)
		p->cpu[k] = a->st.counters ? d->cycles[k] : d->on_ns[k];
}

static size_t tf_agent_slot(const struct tf_agent *a, uint32_t tgid)
{
	size_t h = (tgid * 2654435761u) & a->idx_mask;

	while (a->idx[h] && a->procs[a->idx[h] - 1].tgid != tgid)
		h = (h + 1) & a->idx_mask;
	return h;
}

/* Indexes procs; false without memory (the caller then scans). */
static bool tf_agent_index(struct tf_agent *a)
{
	size_t slots = 1024, k;

	/* at most half full, with room for the GPUs' own processes */
	while (slots < 2 * (a->nprocs + TF_AGENT_UTIL_SAMPLES))
		slots *= 2;
	if (slots - 1 != a->idx_mask || !a->idx) {
		uint32_t *v = malloc(slots * sizeof(*v));

		if (!v)
			return false;
		free(a->idx);
		a->idx = v;
		a->idx_mask = slots - 1;
	}
	memset(a->idx, 0, slots * sizeof(*a->idx));
	/* a tgid twice (exited, then reused): the later, live one wins */
	for (k = 0; k < a->nprocs; k++)
		a->idx[tf_agent_slot(a, a->procs[k].tgid)] = k + 1;
	a->idx_ok = true;
	return true;
}

/* This tick's entry for tgid, made if the sensor did not report it. */
static struct tf_proc_tick *tf_agent_proc_find(struct tf_agent *a, uint32_t tgid)
{
	struct tf_proc_tick *p;
	size_t k, h;

	if ((a->idx_ok && 2 * (a->nprocs + 1) <= a->idx_mask + 1) ||
	    tf_agent_index(a)) {
		h = tf_agent_slot(a, tgid);
		if (a->idx[h])
			return &a->procs[a->idx[h] - 1];
		p = tf_agent_proc_new(a, tgid);
		if (p)
			a->idx[h] = a->nprocs;
		return p;
	}
	for (k = a->nprocs; k-- > 0;)
		if (a->procs[k].tgid == tgid)
			return &a->procs[k];
	return tf_agent_proc_new(a, tgid);
}

/*
 * GPUs: push each one's energy counter to the module (its meter), and weigh
 * processes by their SM utilisation samples since the last tick. A process
 * the CPU sensor did not see this tick gets an entry of its own.
 */
static void tf_agent_gpus(struct tf_agent *a)
{
	unsigned int i, j, n;

	for (i = 0; i < a->st.gpus; i++) {
		uint64_t uj, uw, min, max, dflt;
		char name[TF_NAME_LEN];

		snprintf(name, sizeof(name), "gpu-%u", i);
		if (tf_nvml_energy_uj(a->nvml, i, &uj))
			continue;
		if (tf_nvml_power_uw(a->nvml, i, &uw))
			uw = 0;
		if (!a->gpu_known[i] &&
		    !tf_nvml_limit_range_uw(a->nvml, i, &min, &max, &dflt)) {
			if (!tf_nl_energy_push(a->nl, name, uj, &uw, &max))
				a->gpu_known[i] = true;
		} else if (a->gpu_known[i]) {
			tf_nl_energy_push(a->nl, name, uj, &uw, NULL);
		}
		n = TF_AGENT_UTIL_SAMPLES;
		if (tf_nvml_process_util(a->nvml, i, a->gpu_since_us[i], a->util, &n))
			continue;
		for (j = 0; j < n; j++) {
			struct tf_proc_tick *p;

			if (!a->util[j].pid)
				continue;
			if (a->util[j].time_us > a->gpu_since_us[i])
				a->gpu_since_us[i] = a->util[j].time_us;
			p = tf_agent_proc_find(a, a->util[j].pid);
			if (p)
				p->gpu[i] += a->util[j].sm_pct;
		}
	}
}

/*
 * DRM GPUs: each card's hwmon energy pushed to the module as gpu-N (after
 * the NVML ones), processes weighed by their engine time since the last
 * scan. A client that appeared since counts from zero.
 */
static void tf_agent_drm(struct tf_agent *a)
{
	uint64_t now = tf_mono_ns(), dt = a->drm_tick_ns ? now - a->drm_tick_ns : 0;
	unsigned int base = a->st.gpus - a->ndrm, c;
	struct tf_drm_use *use;
	int n, i, j;

	a->drm_tick_ns = now;
	for (c = 0; c < a->ndrm; c++) {
		char name[TF_NAME_LEN];
		uint64_t uj;

		if (tf_drm_energy_uj(&a->drm[c], dt, &a->drm_acc_uj[c], &uj))
			continue;
		snprintf(name, sizeof(name), "gpu-%u", base + c);
		/* the maximum goes with every push: the first creates the domain */
		tf_nl_energy_push(a->nl, name, uj, NULL, &a->drm[c].max_uw);
	}
	n = tf_drm_scan("/proc", a->drm, a->ndrm, &use);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		uint64_t before = 0;
		struct tf_proc_tick *p;

		for (j = 0; j < a->ndrm_last; j++)
			if (a->drm_last[j].pid == use[i].pid &&
			    a->drm_last[j].card == use[i].card)
				before = a->drm_last[j].engine_ns;
		if (use[i].engine_ns <= before)
			continue;
		p = tf_agent_proc_find(a, use[i].pid);
		if (p)
			p->gpu[base + use[i].card] += use[i].engine_ns - before;
	}
	free(a->drm_last);
	a->drm_last = use;
	a->ndrm_last = n;
}

/*
 * Each domain's delta since the last tick (none on the first sight of it).
 * Nothing changes in a: tf_agent_commit() takes the readings as the new
 * baseline once the tick is accounted, so that a tick that fails (out of
 * memory) leaves its energy to the next one instead of dropping it.
 */
static size_t tf_agent_deltas(const struct tf_agent *a,
			      const struct tf_domain_info *v, unsigned int n,
			      struct tf_dom_tick *out)
{
	size_t nd = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t id = v[i].id;

		if (id >= TF_NL_MAX_ENERGIES)
			continue;
		/* counters never go backwards; a reloaded module starts again */
		if (a->seen[id] && v[i].energy_uj >= a->last_uj[id]) {
			out[nd].id = id;
			out[nd].type = v[i].type;
			out[nd].index = strtoul(strchr(v[i].name, '-') ?
						strchr(v[i].name, '-') + 1 : "0",
						NULL, 10);
			out[nd].delta_uj = v[i].energy_uj - a->last_uj[id];
			nd++;
		}
	}
	return nd;
}

static void tf_agent_commit(struct tf_agent *a, const struct tf_domain_info *v,
			    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (v[i].id >= TF_NL_MAX_ENERGIES)
			continue;
		a->last_uj[v[i].id] = v[i].energy_uj;
		a->seen[v[i].id] = true;
	}
}

/*
 * A named process whose row does not go out (no energy this tick, as on
 * the first tick, which only takes the meters' baseline): named again in
 * its next report. Rows keep the processes' order: one walk.
 */
static void tf_agent_unnamed(struct tf_agent *a, int rows)
{
	size_t i, j = 0;

	for (i = 0; i < a->nprocs; i++) {
		const struct tf_proc_tick *p = &a->procs[i];

		if (j < (size_t)rows && a->rows[j].pid == p->tgid) {
			j++;
			continue;
		}
		if (p->comm[0])
			tf_sensor_forget_name(a->sensor, p->tgid);
	}
}

int tf_agent_tick(struct tf_agent *a)
{
	struct tf_dom_tick doms[TF_NL_MAX_ENERGIES];
	struct tf_domain_info *v = NULL;
	uint64_t attributed = 0, rest = 0, metered = 0, host = 0, now;
	struct tf_signal_info sig;
	uint32_t green;
	unsigned int n, i, k;
	size_t nd;
	int err, rows;

	err = tf_nl_heartbeat(a->nl);
	if (err)
		return err;
	/* the sensor first, then the meters: the same interval, as near as can be */
	a->nprocs = 0;
	a->idx_ok = false;
	err = tf_sensor_collect(a->sensor, tf_agent_on_proc, a);
	if (err)
		return err;
	if (a->nvml)
		tf_agent_gpus(a);
	if (a->ndrm)
		tf_agent_drm(a);
	err = tf_nl_domains(a->nl, &v, &n);
	if (err) {
		tf_sensor_forget_names(a->sensor);	/* none went out */
		return err;
	}
	nd = tf_agent_deltas(a, v, n, doms);
	if (a->rows_cap < a->nprocs) {
		struct tf_ledger_row *r = realloc(a->rows, a->nprocs * sizeof(*r));

		if (!r) {
			tf_sensor_forget_names(a->sensor);
			free(v);
			return -ENOMEM;
		}
		a->rows = r;
		a->rows_cap = a->nprocs;
	}
	rows = tf_account_tick(doms, nd, a->procs, a->nprocs, a->rows, &a->acct);
	if (rows < 0) {
		/* nothing goes out: every name of this tick must come again */
		tf_sensor_forget_names(a->sensor);
		free(v);
		return rows;
	}
	tf_agent_unnamed(a, rows);
	tf_agent_commit(a, v, n);
	free(v);
	for (i = 0; i < nd; i++) {
		if (doms[i].type == TF_DOMAIN_HOST) {
			host = doms[i].delta_uj;
			continue;
		}
		metered += doms[i].delta_uj;
		rest += doms[i].rest_uj;
	}
	for (i = 0; i < (unsigned int)rows; i++)
		for (k = 0; k < a->rows[i].n_energy; k++)
			attributed += a->rows[i].energy[k].uj;
	a->st.ticks++;
	a->st.procs = rows;
	a->st.metered_uj = metered;
	a->st.attributed_uj = attributed;
	a->st.remainder_uj = rest;
	if (attributed + rest != metered)
		a->st.conservation_errors++;
	now = tf_mono_ns();
	green = 0;
	if (a->last_tick_ns && !tf_nl_signal_get(a->nl, &sig))
		green = tf_green_ppm(sig.surplus_uw, !sig.set || sig.stale,
				     now - a->last_tick_ns, host);
	a->last_tick_ns = now;
	a->st.green_ppm = green;
	if (rows && tf_nl_ledger_push(a->nl, green, a->rows, rows)) {
		a->st.push_errors++;
		/* the names of this push may be lost with it: tell them again */
		tf_sensor_forget_names(a->sensor);
	}
	return 0;
}
