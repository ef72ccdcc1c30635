// SPDX-License-Identifier: GPL-2.0
/*
 * NVIDIA GPUs through NVML, loaded with dlopen and called through our own
 * declarations (nvml_api.h). This is the real implementation: the unit
 * tests run it unchanged against the test double in tests/nvml-double/.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvml.h"
#include "nvml_api.h"

struct tf_nvml_fns {
#define TF_NVML_FN_PTR(name, ret, params) name##_fn *name;
	TF_NVML_SYMBOLS(TF_NVML_FN_PTR)
#undef TF_NVML_FN_PTR
};

static const struct {
	const char *name;
	size_t off;
} tf_nvml_syms[] = {
#define TF_NVML_FN_SYM(name, ret, params) \
	{ #name, offsetof(struct tf_nvml_fns, name) },
	TF_NVML_SYMBOLS(TF_NVML_FN_SYM)
#undef TF_NVML_FN_SYM
};

struct tf_gpu {
	nvmlDevice_t dev;		/* NULL: no handle (see why) */
	char why[256];			/* as n->err */
	char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
	bool has_range;			/* constraints readable */
	unsigned int min_mw, max_mw;	/* limit constraints */
	bool limit_saved;		/* changed through this handle: */
	unsigned int orig_limit_mw;	/* the limit before the first change */
	bool clocks_locked;		/* locked through this handle */
};

struct tf_nvml {
	void *lib;
	struct tf_nvml_fns f;
	unsigned int flags;
	unsigned int ngpus;
	struct tf_gpu *gpus;
	nvmlProcessUtilizationSample_t *ubuf;	/* reused by process_util */
	unsigned int ubuf_len;
	char err[256];
};

static _Thread_local char tf_nvml_open_err[256];

static int tf_nvml_errno(nvmlReturn_t r)
{
	switch (r) {
	case NVML_SUCCESS:
		return 0;
	case NVML_ERROR_INVALID_ARGUMENT:
		return -EINVAL;
	case NVML_ERROR_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case NVML_ERROR_NO_PERMISSION:
		return -EPERM;
	case NVML_ERROR_NOT_FOUND:
	case NVML_ERROR_LIBRARY_NOT_FOUND:
		return -ENOENT;
	case NVML_ERROR_INSUFFICIENT_SIZE:
		return -ENOSPC;
	case NVML_ERROR_DRIVER_NOT_LOADED:
	case NVML_ERROR_GPU_IS_LOST:
	case NVML_ERROR_GPU_NOT_FOUND:
		return -ENODEV;
	case NVML_ERROR_TIMEOUT:
		return -ETIMEDOUT;
	case NVML_ERROR_FUNCTION_NOT_FOUND:
		return -ENOSYS;
	case NVML_ERROR_IN_USE:
		return -EBUSY;
	case NVML_ERROR_MEMORY:
	case NVML_ERROR_INSUFFICIENT_RESOURCES:
		return -ENOMEM;
	case NVML_ERROR_NO_DATA:
		return -ENODATA;
	case NVML_ERROR_NOT_READY:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

static int tf_nvml_fail(struct tf_nvml *n, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int tf_nvml_fail(struct tf_nvml *n, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->err, sizeof(n->err), fmt, ap);
	va_end(ap);
	return err;
}

static int tf_nvml_open_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int tf_nvml_open_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tf_nvml_open_err, sizeof(tf_nvml_open_err), fmt, ap);
	va_end(ap);
	return err;
}

static const char *tf_nvml_str(struct tf_nvml *n, nvmlReturn_t r)
{
	const char *s = n->f.nvmlErrorString ? n->f.nvmlErrorString(r) : NULL;

	return s ? s : "unknown NVML error";
}

/* An NVML call failed: keep its words for tf_nvml_errmsg(), return -errno. */
static int tf_nvml_ret(struct tf_nvml *n, unsigned int i, const char *call,
		       nvmlReturn_t r)
{
	if (r == NVML_SUCCESS)
		return 0;
	return tf_nvml_fail(n, tf_nvml_errno(r), "gpu%u: %s: %s (NVML %d)",
			    i, call, tf_nvml_str(n, r), (int)r);
}

#define TF_NVML_CALL(n, i, fn, ...) \
	tf_nvml_ret(n, i, #fn, (n)->f.fn(__VA_ARGS__))

static struct tf_gpu *tf_nvml_gpu(struct tf_nvml *n, unsigned int i)
{
	if (!n || i >= n->ngpus) {
		if (n)
			tf_nvml_fail(n, -ENODEV, "gpu%u: no such GPU (%u found)",
				     i, n->ngpus);
		return NULL;
	}
	if (!n->gpus[i].dev) {
		tf_nvml_fail(n, -ENODEV, "%s", n->gpus[i].why);
		return NULL;
	}
	return &n->gpus[i];
}

static int tf_nvml_writable(struct tf_nvml *n, unsigned int i, const char *what)
{
	if (n->flags & TF_NVML_RDONLY)
		return tf_nvml_fail(n, -EPERM, "gpu%u: %s: opened read-only", i, what);
	return 0;
}

static int tf_nvml_load(struct tf_nvml *n, const char *path)
{
	size_t k;
	void *sym;

	n->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!n->lib) {
		const char *e = dlerror();

		return tf_nvml_open_fail(-ENOENT,
			"no NVML: cannot load %s (%s); running without NVIDIA GPUs",
			path, e ? e : "unknown reason");
	}
	for (k = 0; k < sizeof(tf_nvml_syms) / sizeof(tf_nvml_syms[0]); k++) {
		sym = dlsym(n->lib, tf_nvml_syms[k].name);
		if (!sym)
			return tf_nvml_open_fail(-ENOSYS,
				"NVML in %s lacks %s: driver too old?",
				path, tf_nvml_syms[k].name);
		/* dlsym returns object pointers; POSIX makes this conversion work. */
		memcpy((char *)&n->f + tf_nvml_syms[k].off, &sym, sizeof(sym));
	}
	return 0;
}

/*
 * A GPU NVML counts but gives no handle (lost, or not ours to see) keeps
 * its index, so indices stay NVML's (and nvidia-smi's); every call on it
 * fails with -ENODEV and the reason. The others work.
 */
static void tf_nvml_init_gpu(struct tf_nvml *n, unsigned int i)
{
	struct tf_gpu *g = &n->gpus[i];
	nvmlReturn_t r;

	if (TF_NVML_CALL(n, i, nvmlDeviceGetHandleByIndex_v2, i, &g->dev)) {
		g->dev = NULL;
		snprintf(g->why, sizeof(g->why), "%s", n->err);
		snprintf(g->name, sizeof(g->name), "unavailable");
		return;
	}
	if (n->f.nvmlDeviceGetName(g->dev, g->name, sizeof(g->name)) != NVML_SUCCESS)
		snprintf(g->name, sizeof(g->name), "unknown");
	if (n->f.nvmlDeviceGetUUID(g->dev, g->uuid, sizeof(g->uuid)) != NVML_SUCCESS)
		g->uuid[0] = '\0';
	g->name[sizeof(g->name) - 1] = '\0';
	g->uuid[sizeof(g->uuid) - 1] = '\0';
	r = n->f.nvmlDeviceGetPowerManagementLimitConstraints(g->dev, &g->min_mw,
							      &g->max_mw);
	g->has_range = r == NVML_SUCCESS && g->min_mw <= g->max_mw;
}

int tf_nvml_open(struct tf_nvml **out, unsigned int flags)
{
	const char *path = secure_getenv("TF_NVML_LIB");
	struct tf_nvml *n;
	nvmlReturn_t r;
	unsigned int i;
	int err;

	*out = NULL;
	tf_nvml_open_err[0] = '\0';
	if (!path || !*path)
		path = TF_NVML_LIB_DEFAULT;
	n = calloc(1, sizeof(*n));
	if (!n)
		return tf_nvml_open_fail(-ENOMEM, "NVML: out of memory");
	n->flags = flags;
	err = tf_nvml_load(n, path);
	if (err)
		goto err_free;
	r = n->f.nvmlInit_v2();
	if (r != NVML_SUCCESS) {
		err = tf_nvml_open_fail(tf_nvml_errno(r), "NVML: nvmlInit_v2: %s (NVML %d)",
					tf_nvml_str(n, r), (int)r);
		goto err_free;
	}
	r = n->f.nvmlDeviceGetCount_v2(&n->ngpus);
	if (r != NVML_SUCCESS) {
		err = tf_nvml_open_fail(tf_nvml_errno(r),
					"NVML: nvmlDeviceGetCount_v2: %s (NVML %d)",
					tf_nvml_str(n, r), (int)r);
		goto err_shutdown;
	}
	if (n->ngpus) {
		n->gpus = calloc(n->ngpus, sizeof(*n->gpus));
		if (!n->gpus) {
			err = tf_nvml_open_fail(-ENOMEM, "NVML: out of memory");
			goto err_shutdown;
		}
	}
	for (i = 0; i < n->ngpus; i++)
		tf_nvml_init_gpu(n, i);
	n->err[0] = '\0';
	*out = n;
	return 0;

err_shutdown:
	n->f.nvmlShutdown();
err_free:
	if (n->lib)
		dlclose(n->lib);
	free(n->gpus);
	free(n);
	return err;
}

void tf_nvml_close(struct tf_nvml *n)
{
	if (!n)
		return;
	tf_nvml_restore(n);
	n->f.nvmlShutdown();
	dlclose(n->lib);
	free(n->ubuf);
	free(n->gpus);
	free(n);
}

const char *tf_nvml_errmsg(const struct tf_nvml *n)
{
	return n ? n->err : tf_nvml_open_err;
}

unsigned int tf_nvml_count(const struct tf_nvml *n)
{
	return n ? n->ngpus : 0;
}

const char *tf_nvml_name(const struct tf_nvml *n, unsigned int i)
{
	return n && i < n->ngpus ? n->gpus[i].name : NULL;
}

const char *tf_nvml_uuid(const struct tf_nvml *n, unsigned int i)
{
	return n && i < n->ngpus ? n->gpus[i].uuid : NULL;
}

int tf_nvml_energy_uj(struct tf_nvml *n, unsigned int i, uint64_t *uj)
{
	struct tf_gpu *g = tf_nvml_gpu(n, i);
	unsigned long long mj;
	int err;

	if (!g)
		return -ENODEV;
	err = TF_NVML_CALL(n, i, nvmlDeviceGetTotalEnergyConsumption, g->dev, &mj);
	if (err)
		return err;
	/* 2^64 µJ is 5 million MWh: no GPU gets near, no overflow check. */
	*uj = (uint64_t)mj * 1000;
	return 0;
}

int tf_nvml_power_uw(struct tf_nvml *n, unsigned int i, uint64_t *uw)
{
	struct tf_gpu *g = tf_nvml_gpu(n, i);
	unsigned int mw;
	int err;

	if (!g)
		return -ENODEV;
	err = TF_NVML_CALL(n, i, nvmlDeviceGetPowerUsage, g->dev, &mw);
	if (!err)
		*uw = (uint64_t)mw * 1000;
	return err;
}

int tf_nvml_limit_uw(struct tf_nvml *n, unsigned int i, uint64_t *uw)
{
	struct tf_gpu *g = tf_nvml_gpu(n, i);
	unsigned int mw;
	int err;

	if (!g)
		return -ENODEV;
	err = TF_NVML_CALL(n, i, nvmlDeviceGetPowerManagementLimit, g->dev, &mw);
	if (!err)
		*uw = (uint64_t)mw * 1000;
	return err;
}

int tf_nvml_limit_range_uw(struct tf_nvml *n, unsigned int i,
			   uint64_t *min, uint64_t *max, uint64_t *dflt)
{
	struct tf_gpu *g = tf_nvml_gpu(n, i);
	unsigned int lo, hi, d;
	int err;

	if (!g)
		return -ENODEV;
	err = TF_NVML_CALL(n, i, nvmlDeviceGetPowerManagementLimitConstraints,
			   g->dev, &lo, &hi);
	if (err)
		return err;
	err = TF_NVML_CALL(n, i, nvmlDeviceGetPowerManagementDefaultLimit, g->dev, &d);
	if (err)
		return err;
	g->has_range = lo <= hi;
	g->min_mw = lo;
	g->max_mw = hi;
	*min = (uint64_t)lo * 1000;
	*max = (uint64_t)hi * 1000;
	*dflt = (uint64_t)d * 1000;
	return 0;
}

int tf_nvml_set_power_limit_uw(struct tf_nvml *n, unsigned int i,
			       uint64_t uw, uint64_t *applied_uw)
{
	struct tf_gpu *g = tf_nvml_gpu(n, i);
	uint64_t want = uw / 1000;	/* down: a cap is never exceeded */
	unsigned int mw, orig;
	bool clamped = false;
	int err;

	if (!g)
		return -ENODEV;
	err = tf_nvml_writable(n, i, "set power limit");
	if (err)
		return err;
	if (g->has_range && want < g->min_mw) {
		want = g->min_mw;
		clamped = true;
	} else if (g->has_range && want > g->max_mw) {
		want = g->max_mw;
		clamped = true;
	} else if (want > 0xffffffffu) {
		return tf_nvml_fail(n, -ERANGE, "gpu%u: limit %llu uW out of NVML's range",
				    i, (unsigned long long)uw);
	}
	mw = (unsigned int)want;
	if (!g->limit_saved) {
		err = TF_NVML_CALL(n, i, nvmlDeviceGetPowerManagementLimit, g->dev, &orig);
		if (err)
			return err;
	}
	err = TF_NVML_CALL(n, i, nvmlDeviceSetPowerManagementLimit, g->dev, mw);
	if (err)
		return err;
	if (!g->limit_saved) {
		g->limit_saved = true;
		g->orig_limit_mw = orig;
	}
	if (applied_uw)
		*applied_uw = (uint64_t)mw * 1000;
	if (clamped)
		return tf_nvml_fail(n, -ERANGE,
			"gpu%u: limit %llu uW outside %u..%u mW: clamped to %u mW",
			i, (unsigned long long)uw, g->min_mw, g->max_mw, mw);
	return 0;
}

int tf_nvml_sm_clock_mhz(struct tf_nvml *n, unsigned int i,
			 unsigned int *cur, unsigned int *max)
{
	struct tf_gpu *g = tf_nvml_gpu(n, i);
	int err;

	if (!g)
		return -ENODEV;
	err = TF_NVML_CALL(n, i, nvmlDeviceGetClockInfo, g->dev, NVML_CLOCK_SM, cur);
	if (err)
		return err;
	return TF_NVML_CALL(n, i, nvmlDeviceGetMaxClockInfo, g->dev, NVML_CLOCK_SM, max);
}

int tf_nvml_lock_sm_clocks_mhz(struct tf_nvml *n, unsigned int i,
			       unsigned int min, unsigned int max)
{
	struct tf_gpu *g = tf_nvml_gpu(n, i);
	int err;

	if (!g)
		return -ENODEV;
	err = tf_nvml_writable(n, i, "lock clocks");
	if (err)
		return err;
	if (min > max)
		return tf_nvml_fail(n, -EINVAL, "gpu%u: lock clocks: %u MHz > %u MHz",
				    i, min, max);
	err = TF_NVML_CALL(n, i, nvmlDeviceSetGpuLockedClocks, g->dev, min, max);
	if (!err)
		g->clocks_locked = true;
	return err;
}

int tf_nvml_reset_sm_clocks(struct tf_nvml *n, unsigned int i)
{
	struct tf_gpu *g = tf_nvml_gpu(n, i);
	int err;

	if (!g)
		return -ENODEV;
	err = tf_nvml_writable(n, i, "reset clocks");
	if (err)
		return err;
	err = TF_NVML_CALL(n, i, nvmlDeviceResetGpuLockedClocks, g->dev);
	if (!err)
		g->clocks_locked = false;
	return err;
}

/* Room for at least want samples in n->ubuf. */
static int tf_nvml_ubuf(struct tf_nvml *n, unsigned int want)
{
	nvmlProcessUtilizationSample_t *p;

	if (want <= n->ubuf_len)
		return 0;
	p = realloc(n->ubuf, (size_t)want * sizeof(*p));
	if (!p)
		return -ENOMEM;
	n->ubuf = p;
	n->ubuf_len = want;
	return 0;
}

int tf_nvml_process_util(struct tf_nvml *n, unsigned int i, uint64_t since_us,
			 struct tf_gpu_proc_util *out, unsigned int *count)
{
	struct tf_gpu *g = tf_nvml_gpu(n, i);
	unsigned int cap = *count, got = 0, k, kept = 0, tries;
	bool filled = false;
	nvmlReturn_t r;

	if (!g)
		return -ENODEV;
	*count = 0;
	/*
	 * The sizing call, then the call into a buffer of that size (with
	 * room for a few processes more). Samples may appear in between: the
	 * second call then asks for more room, and we size again.
	 */
	r = n->f.nvmlDeviceGetProcessUtilization(g->dev, NULL, &got, since_us);
	for (tries = 0;; tries++) {
		if (r == NVML_ERROR_NOT_FOUND)
			return 0;	/* no sample */
		if (r != NVML_ERROR_INSUFFICIENT_SIZE && r != NVML_SUCCESS)
			return tf_nvml_ret(n, i, "nvmlDeviceGetProcessUtilization", r);
		if (r == NVML_SUCCESS && (filled || !got))
			break;
		if (tries == 4)
			return tf_nvml_fail(n, -EAGAIN,
				"gpu%u: nvmlDeviceGetProcessUtilization: samples keep growing", i);
		if (tf_nvml_ubuf(n, got + 8))
			return tf_nvml_fail(n, -ENOMEM, "gpu%u: out of memory", i);
		got = n->ubuf_len;
		r = n->f.nvmlDeviceGetProcessUtilization(g->dev, n->ubuf, &got, since_us);
		filled = true;
	}
	if (!filled)
		return 0;
	if (got > n->ubuf_len)
		got = n->ubuf_len;
	/*
	 * NVML is asked for samples newer than since_us only; we check again,
	 * and skip empty slots (pid 0), so that a driver that pads or repeats
	 * cannot have a sample counted twice.
	 */
	for (k = 0; k < got; k++) {
		const nvmlProcessUtilizationSample_t *s = &n->ubuf[k];

		if (!s->pid || s->timeStamp <= since_us)
			continue;
		if (kept < cap) {
			out[kept].pid = s->pid;
			out[kept].sm_pct = s->smUtil;
			out[kept].mem_pct = s->memUtil;
			out[kept].time_us = s->timeStamp;
		}
		kept++;
	}
	*count = kept;
	if (kept > cap)
		return tf_nvml_fail(n, -ENOSPC, "gpu%u: %u samples, room for %u",
				    i, kept, cap);
	return 0;
}

/* Keeps the first error of several, with its message. */
static void tf_nvml_first(struct tf_nvml *n, int err, int *first, char *msg)
{
	if (err && !*first) {
		*first = err;
		memcpy(msg, n->err, sizeof(n->err));
	}
}

int tf_nvml_restore(struct tf_nvml *n)
{
	char msg[sizeof(n->err)];
	unsigned int i;
	int err, first = 0;

	if (!n || (n->flags & TF_NVML_RDONLY))
		return 0;
	for (i = 0; i < n->ngpus; i++) {
		struct tf_gpu *g = &n->gpus[i];

		if (g->limit_saved) {
			err = TF_NVML_CALL(n, i, nvmlDeviceSetPowerManagementLimit,
					   g->dev, g->orig_limit_mw);
			if (!err)
				g->limit_saved = false;
			tf_nvml_first(n, err, &first, msg);
		}
		if (g->clocks_locked) {
			err = TF_NVML_CALL(n, i, nvmlDeviceResetGpuLockedClocks, g->dev);
			if (!err)
				g->clocks_locked = false;
			tf_nvml_first(n, err, &first, msg);
		}
	}
	if (first)
		memcpy(n->err, msg, sizeof(msg));
	return first;
}
