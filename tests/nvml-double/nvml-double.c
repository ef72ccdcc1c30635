// SPDX-License-Identifier: GPL-2.0
/*
 * TEST DOUBLE OF NVML, for machines without NVIDIA GPUs.
 *
 * This is not NVIDIA's library and talks to no hardware. It is built as
 * build/tests/nvml-double/libnvidia-ml.so.1 and implements the NVML entry
 * points tokenfactory uses (agent/nvml_api.h) over simulated GPUs, so that
 * the real implementation, agent/nvml.c, can be exercised unchanged: the
 * tests point TF_NVML_LIB at this file and agent/nvml.c dlopens it exactly
 * as it dlopens the driver's libnvidia-ml.so.1 on a GPU host.
 *
 * The model, per simulated GPU (docs/testing.md has the configuration):
 *  - load: util_pct of the SM (or the sum of the configured processes');
 *  - SM clock: the maximum (or the locked maximum) when busy, lowered when
 *    the power limit would otherwise be exceeded; the minimum (or the
 *    locked minimum) when idle;
 *  - target power: idle_mw + (max_draw_mw - idle_mw) * util * clock/max,
 *    at most the limit;
 *  - power follows the target as a first-order system, time constant
 *    tau_ms, and the energy counter (mJ) is its exact integral over
 *    CLOCK_MONOTONIC time;
 *  - per-process samples, one per sample_ms and process, with CPU
 *    timestamps (µs since the epoch), the processes' ticks spread evenly
 *    over the period;
 *  - limit constraints; a limit outside them is NVML_ERROR_INVALID_ARGUMENT;
 *    locked clocks are clamped to the clock range, min > max is invalid.
 *
 * State (TF_NVML_DOUBLE_STATE): a key=value file read by nvmlInit_v2 and
 * written back after every change and by the last nvmlShutdown, so that
 * settings outlive the process as on a real GPU and the energy counter
 * keeps running between processes. TF_NVML_DOUBLE_GPUS, _TAU_MS override
 * the file; TF_NVML_DOUBLE_FAIL=name=code[,name=code] makes those entry
 * points return that NVML code. One process at a time per state file.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvml_api.h"

#define DBL_API __attribute__((visibility("default")))

/* Declared through nvml_api.h's types: a drifted prototype fails here. */
#define DBL_DECLARE(name, ret, params) DBL_API name##_fn name;
TF_NVML_SYMBOLS(DBL_DECLARE)
#undef DBL_DECLARE

#define DBL_MAX_GPUS	64
#define DBL_MAX_PROCS	32
#define DBL_MAX_FAILS	16

struct dbl_proc {
	unsigned int pid, sm, mem;
};

struct dbl_gpu {
	char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
	unsigned int idle_mw, max_draw_mw;
	unsigned int min_limit_mw, max_limit_mw, default_limit_mw, limit_mw;
	unsigned int min_sm_mhz, max_sm_mhz, mem_mhz;
	unsigned int locked_min_mhz, locked_max_mhz;	/* 0: not locked */
	unsigned int util_pct;
	struct dbl_proc procs[DBL_MAX_PROCS];
	unsigned int nprocs;
	/* the simulation, at time t_ns */
	double power_mw, energy_mj;
	uint64_t t_ns;
};

static struct {
	pthread_mutex_t lock;
	unsigned int refs;
	unsigned int ngpus;
	double tau_ms;
	unsigned int sample_ms;
	unsigned int sloppy_samples;	/* quirk: see GetProcessUtilization */
	uint64_t t0_ns, t0_real_us;	/* for sample timestamps */
	struct {
		char name[64];
		nvmlReturn_t code;
	} fails[DBL_MAX_FAILS];
	unsigned int nfails;
	struct dbl_gpu gpu[DBL_MAX_GPUS];
} D = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t dbl_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the model ---------------------------------------------------------- */

static unsigned int dbl_util(const struct dbl_gpu *g)
{
	unsigned int k, u = 0;

	if (!g->nprocs)
		return g->util_pct > 100 ? 100 : g->util_pct;
	for (k = 0; k < g->nprocs; k++)
		u += g->procs[k].sm;
	return u > 100 ? 100 : u;
}

/* The power the GPU settles at, in mW, and the SM clock it runs. */
static double dbl_target(const struct dbl_gpu *g, unsigned int *clk_mhz)
{
	double util = dbl_util(g) / 100.0, dyn, clk, p;

	if (util <= 0) {
		*clk_mhz = g->locked_min_mhz ? g->locked_min_mhz : g->min_sm_mhz;
		return g->idle_mw;
	}
	clk = g->locked_max_mhz ? g->locked_max_mhz : g->max_sm_mhz;
	dyn = ((double)g->max_draw_mw - g->idle_mw) * util / g->max_sm_mhz;
	p = g->idle_mw + dyn * clk;
	if (p > g->limit_mw) {
		/* the power limit wins over clocks, locked or not */
		clk = ((double)g->limit_mw - g->idle_mw) / dyn;
		if (clk < g->min_sm_mhz)
			clk = g->min_sm_mhz;
		p = g->idle_mw + dyn * clk;
	}
	*clk_mhz = (unsigned int)clk;
	return p;
}

/*
 * Moves the simulation to now with the settings in force since the last
 * step: P(t) = P* + (P0 - P*) e^(-t/tau), E += the integral of P(t).
 */
static void dbl_advance(struct dbl_gpu *g, uint64_t now)
{
	double dt, a, target, tau = D.tau_ms / 1000.0;
	unsigned int clk;

	if (now <= g->t_ns)
		return;
	dt = (now - g->t_ns) / 1e9;
	target = dbl_target(g, &clk);
	if (tau > 0) {
		a = exp(-dt / tau);
		g->energy_mj += target * dt + (g->power_mw - target) * tau * (1 - a);
		g->power_mw = target + (g->power_mw - target) * a;
	} else {
		g->energy_mj += target * dt;
		g->power_mw = target;
	}
	g->t_ns = now;
}

/* ---- configuration and state -------------------------------------------- */

static void dbl_default_gpu(struct dbl_gpu *g, unsigned int i)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "NVML test double GPU");
	snprintf(g->uuid, sizeof(g->uuid),
		 "GPU-00000000-0000-4000-8000-%012x", i);
	g->idle_mw = 60000;
	g->max_draw_mw = 600000;
	g->min_limit_mw = 200000;
	g->max_limit_mw = 700000;
	g->default_limit_mw = 700000;
	g->limit_mw = 700000;
	g->min_sm_mhz = 345;
	g->max_sm_mhz = 1980;
	g->mem_mhz = 2619;
	g->util_pct = 50;
}

static int dbl_uint(const char *v, unsigned int *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || end == v || *end || x > 0xffffffffu)
		return -1;
	*out = (unsigned int)x;
	return 0;
}

/* "pid:sm[:mem],..." */
static int dbl_procs(struct dbl_gpu *g, const char *v)
{
	unsigned int pid, sm, mem;
	int used;

	g->nprocs = 0;
	while (*v) {
		mem = 0;
		if (sscanf(v, "%u:%u%n", &pid, &sm, &used) != 2)
			return -1;
		v += used;
		if (*v == ':') {
			if (sscanf(v, ":%u%n", &mem, &used) != 1)
				return -1;
			v += used;
		}
		if (g->nprocs == DBL_MAX_PROCS || !pid)
			return -1;
		g->procs[g->nprocs++] = (struct dbl_proc){ pid, sm, mem };
		if (*v == ',')
			v++;
		else if (*v)
			return -1;
	}
	return 0;
}

static int dbl_gpu_key(struct dbl_gpu *g, const char *k, const char *v)
{
	static const struct {
		const char *key;
		size_t off;
	} uints[] = {
#define U(f) { #f, offsetof(struct dbl_gpu, f) }
		U(idle_mw), U(max_draw_mw), U(min_limit_mw), U(max_limit_mw),
		U(default_limit_mw), U(limit_mw), U(min_sm_mhz), U(max_sm_mhz),
		U(mem_mhz), U(locked_min_mhz), U(locked_max_mhz), U(util_pct),
#undef U
	};
	size_t i;

	for (i = 0; i < sizeof(uints) / sizeof(uints[0]); i++)
		if (!strcmp(k, uints[i].key))
			return dbl_uint(v, (unsigned int *)((char *)g + uints[i].off));
	if (!strcmp(k, "name"))
		return snprintf(g->name, sizeof(g->name), "%s", v) < 0;
	if (!strcmp(k, "uuid"))
		return snprintf(g->uuid, sizeof(g->uuid), "%s", v) < 0;
	if (!strcmp(k, "procs"))
		return dbl_procs(g, v);
	if (!strcmp(k, "energy_mj"))
		return sscanf(v, "%lf", &g->energy_mj) != 1;
	if (!strcmp(k, "power_mw"))
		return sscanf(v, "%lf", &g->power_mw) != 1 ? -1 : 0;
	if (!strcmp(k, "mono_ns"))
		return sscanf(v, "%" SCNu64, &g->t_ns) != 1 ? -1 : 0;
	return -1;
}

/*
 * Reads the state file in passes first..last of three: globals (gpus,
 * tau_ms, sample_ms), keys without a gpuN. prefix (every GPU), then
 * gpuN.key (that GPU).
 */
static int dbl_load(const char *path, unsigned int first, unsigned int last)
{
	char line[512], *eq, *k, *v, *nl;
	unsigned int pass, i, idx;
	int lineno, bad = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;	/* no file: defaults */
	for (pass = first; pass <= last && !bad; pass++) {
		rewind(f);
		lineno = 0;
		while (fgets(line, sizeof(line), f)) {
			lineno++;
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (!line[0] || line[0] == '#')
				continue;
			eq = strchr(line, '=');
			if (!eq) {
				bad = lineno;
				break;
			}
			*eq = '\0';
			k = line;
			v = eq + 1;
			if (!strcmp(k, "gpus") || !strcmp(k, "tau_ms") ||
			    !strcmp(k, "sample_ms") || !strcmp(k, "sloppy_samples")) {
				if (pass)
					continue;
				if (!strcmp(k, "tau_ms"))
					bad = sscanf(v, "%lf", &D.tau_ms) != 1;
				else
					bad = dbl_uint(v, !strcmp(k, "gpus") ? &D.ngpus :
						       !strcmp(k, "sample_ms") ?
						       &D.sample_ms : &D.sloppy_samples);
			} else if (!strncmp(k, "gpu", 3) && strchr(k, '.')) {
				if (pass != 2)
					continue;
				bad = sscanf(k, "gpu%u.", &idx) != 1;
				if (!bad && idx < D.ngpus)
					bad = dbl_gpu_key(&D.gpu[idx],
							  strchr(k, '.') + 1, v);
			} else if (pass == 1) {
				for (i = 0; i < D.ngpus && !bad; i++)
					bad = dbl_gpu_key(&D.gpu[i], k, v);
			}
			if (bad) {
				bad = lineno;
				break;
			}
		}
	}
	fclose(f);
	if (bad)
		fprintf(stderr, "nvml-double: %s:%d: bad line\n", path, bad);
	return bad ? -1 : 0;
}

/* Writes the whole state, atomically (a new file renamed over the old). */
static void dbl_save(void)
{
	const char *path = getenv("TF_NVML_DOUBLE_STATE");
	char tmp[4096];
	unsigned int i, k;
	FILE *f;

	if (!path || !*path)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "# NVML test double state (tests/nvml-double)\n");
	fprintf(f, "gpus=%u\ntau_ms=%.3f\nsample_ms=%u\nsloppy_samples=%u\n",
		D.ngpus, D.tau_ms, D.sample_ms, D.sloppy_samples);
	for (i = 0; i < D.ngpus; i++) {
		const struct dbl_gpu *g = &D.gpu[i];

		fprintf(f, "gpu%u.name=%s\ngpu%u.uuid=%s\n", i, g->name, i, g->uuid);
#define W(fld) fprintf(f, "gpu%u." #fld "=%u\n", i, g->fld)
		W(idle_mw); W(max_draw_mw); W(min_limit_mw); W(max_limit_mw);
		W(default_limit_mw); W(limit_mw); W(min_sm_mhz); W(max_sm_mhz);
		W(mem_mhz); W(locked_min_mhz); W(locked_max_mhz); W(util_pct);
#undef W
		fprintf(f, "gpu%u.procs=", i);
		for (k = 0; k < g->nprocs; k++)
			fprintf(f, "%s%u:%u:%u", k ? "," : "", g->procs[k].pid,
				g->procs[k].sm, g->procs[k].mem);
		fprintf(f, "\ngpu%u.energy_mj=%.6f\ngpu%u.power_mw=%.6f\n"
			"gpu%u.mono_ns=%" PRIu64 "\n", i, g->energy_mj, i, g->power_mw,
			i, g->t_ns);
	}
	if (fclose(f) == 0)
		rename(tmp, path);
	else
		remove(tmp);
}

static void dbl_load_fails(void)
{
	const char *s = getenv("TF_NVML_DOUBLE_FAIL");
	int used, code;

	D.nfails = 0;
	while (s && *s && D.nfails < DBL_MAX_FAILS) {
		if (sscanf(s, "%63[^=]=%d%n", D.fails[D.nfails].name, &code,
			   &used) != 2)
			break;
		D.fails[D.nfails++].code = (nvmlReturn_t)code;
		s += used;
		if (*s == ',')
			s++;
	}
}

static nvmlReturn_t dbl_failing(const char *fn)
{
	unsigned int k;

	for (k = 0; k < D.nfails; k++)
		if (!strcmp(D.fails[k].name, fn))
			return D.fails[k].code;
	return NVML_SUCCESS;
}

static nvmlReturn_t dbl_init(void)
{
	const char *path = getenv("TF_NVML_DOUBLE_STATE");
	const char *env;
	uint64_t now = dbl_now(CLOCK_MONOTONIC);
	unsigned int i, clk;

	D.ngpus = 1;
	D.tau_ms = 200;
	D.sample_ms = 100;
	D.sloppy_samples = 0;
	for (i = 0; i < DBL_MAX_GPUS; i++)
		dbl_default_gpu(&D.gpu[i], i);
	if (path && *path && dbl_load(path, 0, 0))
		return NVML_ERROR_UNKNOWN;
	env = getenv("TF_NVML_DOUBLE_GPUS");
	if (env && dbl_uint(env, &D.ngpus))
		return NVML_ERROR_UNKNOWN;
	env = getenv("TF_NVML_DOUBLE_TAU_MS");
	if (env && sscanf(env, "%lf", &D.tau_ms) != 1)
		return NVML_ERROR_UNKNOWN;
	if (D.ngpus > DBL_MAX_GPUS)
		return NVML_ERROR_UNKNOWN;
	if (path && *path && dbl_load(path, 1, 2))
		return NVML_ERROR_UNKNOWN;
	if (!D.sample_ms)
		D.sample_ms = 100;
	for (i = 0; i < D.ngpus; i++) {
		struct dbl_gpu *g = &D.gpu[i];

		if (g->t_ns && g->t_ns < now) {
			dbl_advance(g, now);	/* it ran while nobody looked */
		} else {
			g->power_mw = dbl_target(g, &clk);	/* steady */
			g->t_ns = now;
		}
	}
	D.t0_ns = now;
	D.t0_real_us = dbl_now(CLOCK_REALTIME) / 1000;
	return NVML_SUCCESS;
}

/* ---- entry points --------------------------------------------------------- */

/* Every device call: initialised, the handle ours, no injected failure. */
#define DBL_ENTER(dev, g) \
	do { \
		pthread_mutex_lock(&D.lock); \
		r = dbl_enter(__func__, dev, &(g)); \
		if (r != NVML_SUCCESS) \
			goto out; \
	} while (0)

static nvmlReturn_t dbl_enter(const char *fn, nvmlDevice_t dev, struct dbl_gpu **g)
{
	struct dbl_gpu *p = (struct dbl_gpu *)dev;
	nvmlReturn_t r;

	if (!D.refs)
		return NVML_ERROR_UNINITIALIZED;
	r = dbl_failing(fn);
	if (r != NVML_SUCCESS)
		return r;
	if (p < D.gpu || p >= D.gpu + D.ngpus)
		return NVML_ERROR_INVALID_ARGUMENT;
	*g = p;
	dbl_advance(p, dbl_now(CLOCK_MONOTONIC));
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void)
{
	nvmlReturn_t r;

	pthread_mutex_lock(&D.lock);
	dbl_load_fails();
	r = dbl_failing(__func__);
	if (r == NVML_SUCCESS && !D.refs)
		r = dbl_init();
	if (r == NVML_SUCCESS)
		D.refs++;
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlShutdown(void)
{
	uint64_t now = dbl_now(CLOCK_MONOTONIC);
	nvmlReturn_t r = NVML_SUCCESS;
	unsigned int i;

	pthread_mutex_lock(&D.lock);
	if (!D.refs) {
		r = NVML_ERROR_UNINITIALIZED;
	} else if (!--D.refs) {
		for (i = 0; i < D.ngpus; i++)
			dbl_advance(&D.gpu[i], now);
		dbl_save();
	}
	pthread_mutex_unlock(&D.lock);
	return r;
}

const char *nvmlErrorString(nvmlReturn_t result)
{
	switch (result) {
	case NVML_SUCCESS: return "Success";
	case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
	case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
	case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
	case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
	case NVML_ERROR_NOT_FOUND: return "Not Found";
	case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
	case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
	case NVML_ERROR_TIMEOUT: return "Timeout";
	case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
	default: return "Unknown Error";
	}
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount)
{
	nvmlReturn_t r = NVML_SUCCESS;

	pthread_mutex_lock(&D.lock);
	if (!D.refs)
		r = NVML_ERROR_UNINITIALIZED;
	else if (!deviceCount)
		r = NVML_ERROR_INVALID_ARGUMENT;
	else if ((r = dbl_failing(__func__)) == NVML_SUCCESS)
		*deviceCount = D.ngpus;
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
	nvmlReturn_t r = NVML_SUCCESS;

	pthread_mutex_lock(&D.lock);
	if (!D.refs)
		r = NVML_ERROR_UNINITIALIZED;
	else if (index >= D.ngpus || !device)
		r = NVML_ERROR_INVALID_ARGUMENT;
	else if ((r = dbl_failing(__func__)) == NVML_SUCCESS)
		*device = (nvmlDevice_t)&D.gpu[index];
	pthread_mutex_unlock(&D.lock);
	return r;
}

static nvmlReturn_t dbl_copy(char *dst, unsigned int len, const char *src)
{
	if (!dst)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (strlen(src) + 1 > len)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	memcpy(dst, src, strlen(src) + 1);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	r = dbl_copy(name, length, g->name);
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	r = dbl_copy(uuid, length, g->uuid);
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device,
						 unsigned long long *energy)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (!energy)
		r = NVML_ERROR_INVALID_ARGUMENT;
	else
		*energy = (unsigned long long)g->energy_mj;
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (!power)
		r = NVML_ERROR_INVALID_ARGUMENT;
	else
		*power = (unsigned int)g->power_mw;
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int *limit)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (!limit)
		r = NVML_ERROR_INVALID_ARGUMENT;
	else
		*limit = g->limit_mw;
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(nvmlDevice_t device,
							  unsigned int *minLimit,
							  unsigned int *maxLimit)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (!minLimit || !maxLimit) {
		r = NVML_ERROR_INVALID_ARGUMENT;
	} else {
		*minLimit = g->min_limit_mw;
		*maxLimit = g->max_limit_mw;
	}
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t device,
						      unsigned int *defaultLimit)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (!defaultLimit)
		r = NVML_ERROR_INVALID_ARGUMENT;
	else
		*defaultLimit = g->default_limit_mw;
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceSetPowerManagementLimit(nvmlDevice_t device, unsigned int limit)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (limit < g->min_limit_mw || limit > g->max_limit_mw) {
		r = NVML_ERROR_INVALID_ARGUMENT;
	} else {
		g->limit_mw = limit;	/* advanced to now: applies from now */
		dbl_save();
	}
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

/*
 * Each process's latest sample newer than lastSeenTimeStamp. With
 * sloppy_samples=1 the double behaves as a careless driver might: it also
 * returns each process's previous sample, old or not, and pads the
 * caller's buffer with empty (pid 0) entries; the caller must filter.
 */
nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t device,
					     nvmlProcessUtilizationSample_t *utilization,
					     unsigned int *processSamplesCount,
					     unsigned long long lastSeenTimeStamp)
{
	nvmlProcessUtilizationSample_t s[2 * DBL_MAX_PROCS + 2];
	uint64_t el_us, period_us, phase_us, k;
	struct dbl_gpu *g;
	unsigned int j, m = 0, want;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (!processSamplesCount) {
		r = NVML_ERROR_INVALID_ARGUMENT;
		goto out;
	}
	/* ticks every sample_ms, the processes' spread over the period */
	el_us = (dbl_now(CLOCK_MONOTONIC) - D.t0_ns) / 1000;
	period_us = (uint64_t)D.sample_ms * 1000;
	for (j = 0; j < g->nprocs; j++) {
		phase_us = period_us * j / g->nprocs;
		if (el_us < phase_us)
			continue;
		k = (el_us - phase_us) / period_us;
		s[m] = (nvmlProcessUtilizationSample_t){
			.pid = g->procs[j].pid,
			.timeStamp = D.t0_real_us + phase_us + k * period_us,
			.smUtil = g->procs[j].sm,
			.memUtil = g->procs[j].mem,
		};
		if (D.sloppy_samples && k) {
			s[m + 1] = s[m];
			s[m + 1].timeStamp -= period_us;
			m += 2;
		} else if (D.sloppy_samples || s[m].timeStamp > lastSeenTimeStamp) {
			m++;
		}
	}
	want = m + (D.sloppy_samples ? 2 : 0);
	if (!m) {
		*processSamplesCount = 0;
		r = NVML_ERROR_NOT_FOUND;
	} else if (!utilization || *processSamplesCount < want) {
		*processSamplesCount = want;
		r = NVML_ERROR_INSUFFICIENT_SIZE;
	} else {
		memset(utilization, 0, *processSamplesCount * sizeof(s[0]));
		memcpy(utilization, s, m * sizeof(s[0]));
		if (!D.sloppy_samples)
			*processSamplesCount = m;
	}
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, nvmlClockType_t type,
				    unsigned int *clock)
{
	struct dbl_gpu *g;
	unsigned int clk;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (!clock) {
		r = NVML_ERROR_INVALID_ARGUMENT;
	} else if (type == NVML_CLOCK_SM || type == NVML_CLOCK_GRAPHICS) {
		dbl_target(g, &clk);
		*clock = clk;
	} else if (type == NVML_CLOCK_MEM) {
		*clock = g->mem_mhz;
	} else {
		r = NVML_ERROR_NOT_SUPPORTED;
	}
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t device, nvmlClockType_t type,
				       unsigned int *clock)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (!clock)
		r = NVML_ERROR_INVALID_ARGUMENT;
	else if (type == NVML_CLOCK_SM || type == NVML_CLOCK_GRAPHICS)
		*clock = g->max_sm_mhz;
	else if (type == NVML_CLOCK_MEM)
		*clock = g->mem_mhz;
	else
		r = NVML_ERROR_NOT_SUPPORTED;
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

static unsigned int dbl_clamp(unsigned int v, unsigned int lo, unsigned int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

nvmlReturn_t nvmlDeviceSetGpuLockedClocks(nvmlDevice_t device,
					  unsigned int minGpuClockMHz,
					  unsigned int maxGpuClockMHz)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	if (minGpuClockMHz > maxGpuClockMHz) {
		r = NVML_ERROR_INVALID_ARGUMENT;
		goto out;
	}
	/* clamped to what the clock can do, as the driver does */
	g->locked_min_mhz = dbl_clamp(minGpuClockMHz, g->min_sm_mhz, g->max_sm_mhz);
	g->locked_max_mhz = dbl_clamp(maxGpuClockMHz, g->min_sm_mhz, g->max_sm_mhz);
	dbl_save();
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}

nvmlReturn_t nvmlDeviceResetGpuLockedClocks(nvmlDevice_t device)
{
	struct dbl_gpu *g;
	nvmlReturn_t r;

	DBL_ENTER(device, g);
	g->locked_min_mhz = 0;
	g->locked_max_mhz = 0;
	dbl_save();
out:
	pthread_mutex_unlock(&D.lock);
	return r;
}
