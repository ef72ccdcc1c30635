// SPDX-License-Identifier: GPL-2.0
/*
 * agent/nvml.c, unchanged, against the NVML test double
 * (tests/nvml-double/, built as build/tests/nvml-double/libnvidia-ml.so.1),
 * loaded through TF_NVML_LIB exactly as the driver's library would be.
 *
 * Timing checks are bounds, not tolerances picked to pass: every reading is
 * bracketed by CLOCK_MONOTONIC before and after the call, so the time the
 * double used lies between the brackets; the double's integer outputs floor
 * power to 1 mW and energy to 1 mJ. Each expected value is then an interval
 * from those brackets and resolutions, and holds however slowly the test
 * runs (valgrind).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tf_test.h"
#include "nvml.h"
#include "nvml_api.h"

static char tf_state[64];
static char tf_double[PATH_MAX];
/* What a test has open, closed by teardown when an assertion ends it early,
 * so that one failure does not leave the double loaded for the next test. */
static struct tf_nvml *tf_open[2];
static void *tf_raw;

/* ---- helpers ------------------------------------------------------------ */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* TF_NVML_DOUBLE_LIB, else build/tests/nvml-double/ beside our directory. */
static const char *double_path(void)
{
	const char *env = getenv("TF_NVML_DOUBLE_LIB");
	char exe[PATH_MAX], *slash;
	ssize_t len;

	if (env && *env)
		return env;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	snprintf(tf_double, sizeof(tf_double), "%.*s/../nvml-double/libnvidia-ml.so.1",
		 (int)(sizeof(tf_double) - 40), exe);
	return tf_double;
}

static void write_state(const char *text)
{
	FILE *f = fopen(tf_state, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A fresh state file per test; the double's defaults unless it says more. */
static int setup(void **state)
{
	const char *lib = double_path();
	int fd;

	(void)state;
	if (!lib || access(lib, R_OK)) {
		fprintf(stderr, "no NVML test double at %s (make tests)\n",
			lib ? lib : "?");
		return -1;
	}
	snprintf(tf_state, sizeof(tf_state), "/tmp/tf-nvml-double.XXXXXX");
	fd = mkstemp(tf_state);
	if (fd < 0)
		return -1;
	close(fd);
	setenv("TF_NVML_LIB", lib, 1);
	setenv("TF_NVML_DOUBLE_STATE", tf_state, 1);
	unsetenv("TF_NVML_DOUBLE_GPUS");
	unsetenv("TF_NVML_DOUBLE_TAU_MS");
	unsetenv("TF_NVML_DOUBLE_FAIL");
	return 0;
}

static int teardown(void **state)
{
	char tmp[80];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tf_open) / sizeof(tf_open[0]); i++) {
		tf_nvml_close(tf_open[i]);
		tf_open[i] = NULL;
	}
	if (tf_raw)
		dlclose(tf_raw);
	tf_raw = NULL;
	unlink(tf_state);
	snprintf(tmp, sizeof(tmp), "%s.tmp", tf_state);
	unlink(tmp);
	return 0;
}

static struct tf_nvml *open_ok(unsigned int flags)
{
	struct tf_nvml *n = NULL;
	int err = tf_nvml_open(&n, flags);
	size_t i;

	if (err)
		fail_msg("tf_nvml_open: %d: %s", err, tf_nvml_errmsg(NULL));
	assert_non_null(n);
	for (i = 0; tf_open[i]; i++)
		assert_true(i + 1 < sizeof(tf_open) / sizeof(tf_open[0]));
	tf_open[i] = n;
	return n;
}

static void close_ok(struct tf_nvml *n)
{
	size_t i;

	for (i = 0; i < sizeof(tf_open) / sizeof(tf_open[0]); i++)
		if (tf_open[i] == n)
			tf_open[i] = NULL;
	tf_nvml_close(n);
}

static uint64_t limit_w(struct tf_nvml *n, unsigned int i)
{
	uint64_t uw;

	assert_int_equal(tf_nvml_limit_uw(n, i, &uw), 0);
	return uw / 1000000;
}

/* A reading of power (µW) and the interval of monotonic time it was taken in. */
struct at {
	uint64_t v, lo_ns, hi_ns;
};

static struct at power_at(struct tf_nvml *n, unsigned int i)
{
	struct at a;

	a.lo_ns = mono_ns();
	assert_int_equal(tf_nvml_power_uw(n, i, &a.v), 0);
	a.hi_ns = mono_ns();
	return a;
}

static struct at energy_at(struct tf_nvml *n, unsigned int i)
{
	struct at a;

	a.lo_ns = mono_ns();
	assert_int_equal(tf_nvml_energy_uj(n, i, &a.v), 0);
	a.hi_ns = mono_ns();
	return a;
}

/*
 * A first-order response from p0 to target (µW) with time constant tau,
 * started at some time in [s_lo, s_hi]: the reading p, taken in [lo, hi],
 * lies between the curve's values at the longest and the shortest elapsed
 * time, give or take the 1 mW the double floors to.
 */
static void expect_first_order(struct at p, double p0, double target,
			       uint64_t s_lo, uint64_t s_hi, double tau_s)
{
	double tmin = (p.lo_ns - s_hi) / 1e9, tmax = (p.hi_ns - s_lo) / 1e9;
	double a = target + (p0 - target) * exp(-tmax / tau_s);
	double b = target + (p0 - target) * exp(-tmin / tau_s);
	double lo = (a < b ? a : b) - 1000, hi = (a < b ? b : a) + 1000;

	if ((double)p.v < lo || (double)p.v > hi)
		fail_msg("power %.3f W outside [%.3f, %.3f] W (%.3f..%.3f s after the step)",
			 p.v / 1e6, lo / 1e6, hi / 1e6, tmin, tmax);
}

/* ---- tests -------------------------------------------------------------- */

static void test_count(void **state)
{
	struct tf_nvml *n;
	uint64_t v;
	unsigned int i;

	(void)state;
	write_state("gpus=8\n");
	n = open_ok(0);
	assert_int_equal(tf_nvml_count(n), 8);
	for (i = 0; i < 8; i++) {
		assert_string_equal(tf_nvml_name(n, i), "NVML test double GPU");
		assert_int_equal(strncmp(tf_nvml_uuid(n, i), "GPU-", 4), 0);
		if (i)
			assert_string_not_equal(tf_nvml_uuid(n, i), tf_nvml_uuid(n, i - 1));
	}
	assert_null(tf_nvml_name(n, 8));
	assert_int_equal(tf_nvml_power_uw(n, 8, &v), -ENODEV);
	assert_non_null(strstr(tf_nvml_errmsg(n), "no such GPU"));
	close_ok(n);

	/* the environment overrides the file */
	setenv("TF_NVML_DOUBLE_GPUS", "3", 1);
	n = open_ok(0);
	assert_int_equal(tf_nvml_count(n), 3);
	close_ok(n);
}

/*
 * Steady power (util 50 %: 60 W idle + 540 W * 0.5 = 330 W), so the energy
 * between two readings is power times the time between them; with the
 * brackets, dE lies in [p * (lo1 - hi0), (p + 1 mW) * (hi1 - lo0)], and
 * each energy reading is floored to 1 mJ.
 */
static void test_energy(void **state)
{
	struct tf_nvml *n;
	struct at e0, e1, p;
	uint64_t prev;
	double lo, hi, de;
	int k;

	(void)state;
	write_state("gpus=2\n");
	n = open_ok(0);
	p = power_at(n, 1);
	assert_in_range(p.v, 329999000, 330000000);

	e0 = energy_at(n, 1);
	prev = e0.v;
	for (k = 0; k < 5; k++) {
		uint64_t uj;

		sleep_ms(60);
		assert_int_equal(tf_nvml_energy_uj(n, 1, &uj), 0);
		assert_true(uj > prev);
		prev = uj;
	}
	e1 = energy_at(n, 1);
	de = (double)(e1.v - e0.v);	/* µJ */
	lo = p.v / 1e6 * (e1.lo_ns - e0.hi_ns) / 1e3 - 1000;
	hi = (p.v + 1000) / 1e6 * (e1.hi_ns - e0.lo_ns) / 1e3 + 1000;
	if (de < lo || de > hi)
		fail_msg("energy %.0f uJ outside [%.0f, %.0f]", de, lo, hi);
	/* the counter is kept in mJ: microjoules are whole millijoules */
	assert_int_equal(e1.v % 1000, 0);
	close_ok(n);
}

static void test_limit(void **state)
{
	struct tf_nvml *n;
	uint64_t min, max, dflt, applied;

	(void)state;
	write_state("gpus=1\nmin_limit_mw=200000\nmax_limit_mw=700000\n"
		    "default_limit_mw=600000\nlimit_mw=600000\n");
	n = open_ok(0);
	assert_int_equal(tf_nvml_limit_range_uw(n, 0, &min, &max, &dflt), 0);
	assert_int_equal(min, 200000000);
	assert_int_equal(max, 700000000);
	assert_int_equal(dflt, 600000000);
	assert_int_equal(limit_w(n, 0), 600);

	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 300000000, &applied), 0);
	assert_int_equal(applied, 300000000);
	assert_int_equal(limit_w(n, 0), 300);
	/* rounded down to NVML's mW: a cap is never exceeded */
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 250000999, &applied), 0);
	assert_int_equal(applied, 250000000);

	/* below and above the range: clamped, set, and said */
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 100000000, &applied), -ERANGE);
	assert_int_equal(applied, 200000000);
	assert_int_equal(limit_w(n, 0), 200);
	assert_non_null(strstr(tf_nvml_errmsg(n), "clamped to 200000 mW"));
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 900000000, &applied), -ERANGE);
	assert_int_equal(applied, 700000000);
	assert_int_equal(limit_w(n, 0), 700);
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 0, NULL), -ERANGE);
	assert_int_equal(limit_w(n, 0), 200);
	close_ok(n);
}

/* The double itself refuses a limit outside the constraints, as NVML does. */
static void test_limit_reject(void **state)
{
	void *lib = tf_raw = dlopen(getenv("TF_NVML_LIB"), RTLD_NOW | RTLD_LOCAL);
	nvmlDeviceSetPowerManagementLimit_fn *set;
	nvmlDeviceGetPowerManagementLimit_fn *get;
	nvmlDeviceGetHandleByIndex_v2_fn *handle;
	nvmlInit_v2_fn *init;
	nvmlShutdown_fn *shutdown;
	struct tf_nvml *n;
	nvmlDevice_t dev;
	unsigned int mw;

	(void)state;
	assert_non_null(lib);
	*(void **)&init = dlsym(lib, "nvmlInit_v2");
	*(void **)&shutdown = dlsym(lib, "nvmlShutdown");
	*(void **)&handle = dlsym(lib, "nvmlDeviceGetHandleByIndex_v2");
	*(void **)&set = dlsym(lib, "nvmlDeviceSetPowerManagementLimit");
	*(void **)&get = dlsym(lib, "nvmlDeviceGetPowerManagementLimit");
	assert_true(init && shutdown && handle && set && get);

	assert_int_equal(set(NULL, 300000), NVML_ERROR_UNINITIALIZED);
	assert_int_equal(init(), NVML_SUCCESS);
	assert_int_equal(handle(0, &dev), NVML_SUCCESS);
	assert_int_equal(set(dev, 199999), NVML_ERROR_INVALID_ARGUMENT);
	assert_int_equal(set(dev, 700001), NVML_ERROR_INVALID_ARGUMENT);
	assert_int_equal(get(dev, &mw), NVML_SUCCESS);
	assert_int_equal(mw, 700000);
	assert_int_equal(set(dev, 200000), NVML_SUCCESS);
	assert_int_equal(shutdown(), NVML_SUCCESS);
	dlclose(lib);
	tf_raw = NULL;

	/*
	 * Settings outlive the caller, as on a GPU (the double keeps them in
	 * its state file), which is what makes test_restore mean something.
	 */
	n = open_ok(0);
	assert_int_equal(limit_w(n, 0), 200);
	close_ok(n);
}

/* NVML's error comes back as -errno, with its words kept for the log. */
static void test_errors(void **state)
{
	struct tf_nvml *n;
	uint64_t v;

	(void)state;
	setenv("TF_NVML_DOUBLE_FAIL",
	       "nvmlDeviceSetPowerManagementLimit=4,nvmlDeviceGetPowerUsage=15", 1);
	n = open_ok(0);
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 300000000, &v), -EPERM);
	assert_string_equal(tf_nvml_errmsg(n),
		"gpu0: nvmlDeviceSetPowerManagementLimit: Insufficient Permissions (NVML 4)");
	assert_int_equal(tf_nvml_power_uw(n, 0, &v), -ENODEV);
	assert_non_null(strstr(tf_nvml_errmsg(n), "GPU is lost"));
	assert_int_equal(limit_w(n, 0), 700);
	/* a refused change leaves nothing to restore: close calls no setter */
	assert_int_equal(tf_nvml_restore(n), 0);
	assert_int_equal(tf_nvml_lock_sm_clocks_mhz(n, 0, 1500, 1000), -EINVAL);
	close_ok(n);

	/* GPUs without a handle keep their index and say why */
	setenv("TF_NVML_DOUBLE_FAIL", "nvmlDeviceGetHandleByIndex_v2=15", 1);
	setenv("TF_NVML_DOUBLE_GPUS", "2", 1);
	n = open_ok(0);
	assert_int_equal(tf_nvml_count(n), 2);
	assert_string_equal(tf_nvml_name(n, 1), "unavailable");
	assert_int_equal(tf_nvml_energy_uj(n, 1, &v), -ENODEV);
	assert_string_equal(tf_nvml_errmsg(n),
		"gpu1: nvmlDeviceGetHandleByIndex_v2: GPU is lost (NVML 15)");
	close_ok(n);
}

static void test_restore(void **state)
{
	struct tf_nvml *n;
	unsigned int cur, max;
	uint64_t applied;

	(void)state;
	write_state("gpus=2\n");
	n = open_ok(0);
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 300000000, &applied), 0);
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 250000000, &applied), 0);
	assert_int_equal(tf_nvml_lock_sm_clocks_mhz(n, 1, 900, 900), 0);
	assert_int_equal(tf_nvml_sm_clock_mhz(n, 1, &cur, &max), 0);
	assert_int_equal(cur, 900);
	assert_int_equal(max, 1980);
	close_ok(n);	/* restores */

	/* a new handle (as a restarted agent) finds what was there before */
	n = open_ok(0);
	assert_int_equal(limit_w(n, 0), 700);
	assert_int_equal(tf_nvml_sm_clock_mhz(n, 1, &cur, &max), 0);
	assert_int_equal(cur, 1980);	/* busy and unlocked: the maximum */

	/* explicit restore, twice: the second has nothing left to do */
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 1, 400000000, &applied), 0);
	assert_int_equal(tf_nvml_restore(n), 0);
	assert_int_equal(limit_w(n, 1), 700);
	assert_int_equal(tf_nvml_restore(n), 0);
	close_ok(n);
}

/*
 * restore() puts back the limit found before our first change, which need
 * not be the default: here another tool had set 450 W.
 */
static void test_restore_foreign(void **state)
{
	struct tf_nvml *n;
	uint64_t applied;

	(void)state;
	write_state("gpus=1\nlimit_mw=450000\n");
	n = open_ok(0);
	assert_int_equal(limit_w(n, 0), 450);
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 300000000, &applied), 0);
	assert_int_equal(limit_w(n, 0), 300);
	close_ok(n);
	n = open_ok(0);
	assert_int_equal(limit_w(n, 0), 450);
	close_ok(n);
}

/*
 * Locked clocks, then a lower limit, each lowering power as a first-order
 * system (tau 100 ms in the double): 330 W at 1980 MHz; locked at 990 MHz
 * the dynamic part halves (60 W + 540 W * 0.5 * 0.5 = 195 W); unlocked
 * under a 250 W limit the clock drops until power meets the limit.
 */
static void test_first_order(void **state)
{
	const double tau = 0.1, p0 = 330e6;
	struct tf_nvml *n;
	struct at p, e0, e1;
	uint64_t s_lo, s_hi, applied;
	unsigned int cur, max;
	double de, dt_lo, dt_hi;

	(void)state;
	write_state("gpus=1\ntau_ms=100\n");
	n = open_ok(0);
	p = power_at(n, 0);
	assert_in_range(p.v, 329999000, 330000000);

	s_lo = mono_ns();
	assert_int_equal(tf_nvml_lock_sm_clocks_mhz(n, 0, 990, 990), 0);
	s_hi = mono_ns();
	assert_int_equal(tf_nvml_sm_clock_mhz(n, 0, &cur, &max), 0);
	assert_int_equal(cur, 990);
	/* not at once: a step response */
	p = power_at(n, 0);
	expect_first_order(p, p0, 195e6, s_lo, s_hi, tau);
	assert_true(p.v > 250000000);
	e0 = energy_at(n, 0);
	sleep_ms(100);	/* about one tau: 63 % of the way */
	p = power_at(n, 0);
	expect_first_order(p, p0, 195e6, s_lo, s_hi, tau);
	e1 = energy_at(n, 0);
	/* on the way down, energy is between the two levels times the time */
	de = (double)(e1.v - e0.v);
	dt_lo = (e1.lo_ns - e0.hi_ns) / 1e9;
	dt_hi = (e1.hi_ns - e0.lo_ns) / 1e9;
	assert_true(de >= 195e6 * dt_lo - 1000);
	assert_true(de <= 330e6 * dt_hi + 1000);
	sleep_ms(600);	/* six tau and more: within 1 % */
	p = power_at(n, 0);
	expect_first_order(p, p0, 195e6, s_lo, s_hi, tau);
	assert_in_range(p.v, 195000000 - 2000000, 195000000 + 2000000);

	assert_int_equal(tf_nvml_reset_sm_clocks(n, 0), 0);
	assert_int_equal(tf_nvml_sm_clock_mhz(n, 0, &cur, &max), 0);
	assert_int_equal(cur, 1980);
	close_ok(n);

	/* from a fresh 330 W, unlocked, under a 250 W limit */
	write_state("gpus=1\ntau_ms=100\n");
	n = open_ok(0);
	s_lo = mono_ns();
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 250000000, &applied), 0);
	s_hi = mono_ns();
	p = power_at(n, 0);
	expect_first_order(p, p0, 250e6, s_lo, s_hi, tau);
	sleep_ms(150);
	p = power_at(n, 0);
	expect_first_order(p, p0, 250e6, s_lo, s_hi, tau);
	assert_true(p.v < 270000000);
	assert_int_equal(tf_nvml_sm_clock_mhz(n, 0, &cur, &max), 0);
	/* 60 W + 540 W * 0.5 * f / 1980 MHz = 250 W: f = 1393 MHz */
	assert_in_range(cur, 1392, 1394);
	close_ok(n);
}

static void test_process_util(void **state)
{
	struct tf_gpu_proc_util u[4];
	struct tf_nvml *n;
	uint64_t t_open, since;
	unsigned int cnt;

	(void)state;
	/*
	 * Samples every 400 ms, the second process's ticks 200 ms after the
	 * first's: at 250 ms each has one, the next comes at 400 ms.
	 */
	write_state("gpus=2\nsample_ms=400\ngpu0.procs=1111:60:10,2222:30:5\n");
	t_open = real_us();
	n = open_ok(0);
	sleep_ms(250);

	cnt = 4;
	assert_int_equal(tf_nvml_process_util(n, 0, 0, u, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(u[0].pid, 1111);
	assert_int_equal(u[0].sm_pct, 60);
	assert_int_equal(u[0].mem_pct, 10);
	assert_int_equal(u[1].pid, 2222);
	assert_int_equal(u[1].sm_pct, 30);
	assert_int_equal(u[1].time_us - u[0].time_us, 200000);
	/* CPU timestamps, µs since the epoch */
	assert_in_range(u[0].time_us, t_open - 1000000, real_us());

	/* only samples newer than since */
	cnt = 4;
	assert_int_equal(tf_nvml_process_util(n, 0, u[0].time_us, u, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_int_equal(u[0].pid, 2222);
	since = u[0].time_us;
	cnt = 4;
	assert_int_equal(tf_nvml_process_util(n, 0, since, u, &cnt), 0);
	assert_int_equal(cnt, 0);

	/* too small a buffer: how many are needed */
	cnt = 1;
	assert_int_equal(tf_nvml_process_util(n, 0, 0, u, &cnt), -ENOSPC);
	assert_int_equal(cnt, 2);
	/* a GPU without processes: no samples, no error */
	cnt = 4;
	assert_int_equal(tf_nvml_process_util(n, 1, 0, u, &cnt), 0);
	assert_int_equal(cnt, 0);
	close_ok(n);
}

/*
 * A driver that returns old samples and pads the buffer with empty ones
 * (the double's sloppy_samples): agent/nvml.c filters by pid and time.
 * At 450 ms: 1111 has samples at 0 and 400 ms, 2222 at 200 ms.
 */
static void test_process_util_sloppy(void **state)
{
	struct tf_gpu_proc_util u[8];
	struct tf_nvml *n;
	unsigned int cnt;

	(void)state;
	write_state("gpus=1\nsample_ms=400\nsloppy_samples=1\n"
		    "gpu0.procs=1111:60:10,2222:30:5\n");
	n = open_ok(0);
	sleep_ms(450);
	cnt = 8;
	assert_int_equal(tf_nvml_process_util(n, 0, 0, u, &cnt), 0);
	assert_int_equal(cnt, 3);
	assert_int_equal(u[0].pid, 1111);
	assert_int_equal(u[1].pid, 1111);
	assert_int_equal(u[0].time_us - u[1].time_us, 400000);
	assert_int_equal(u[2].pid, 2222);
	assert_int_equal(u[0].time_us - u[2].time_us, 200000);

	cnt = 8;
	assert_int_equal(tf_nvml_process_util(n, 0, u[2].time_us, u, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_int_equal(u[0].pid, 1111);
	close_ok(n);
}

static void test_readonly(void **state)
{
	struct tf_nvml *n;
	uint64_t applied;

	(void)state;
	n = open_ok(TF_NVML_RDONLY);
	assert_int_equal(tf_nvml_set_power_limit_uw(n, 0, 300000000, &applied), -EPERM);
	assert_non_null(strstr(tf_nvml_errmsg(n), "read-only"));
	assert_int_equal(tf_nvml_lock_sm_clocks_mhz(n, 0, 900, 900), -EPERM);
	assert_int_equal(tf_nvml_reset_sm_clocks(n, 0), -EPERM);
	assert_int_equal(limit_w(n, 0), 700);
	close_ok(n);
}

/* No library: -ENOENT and a message that says the agent goes on without. */
static void test_absent(void **state)
{
	struct tf_nvml *n = (struct tf_nvml *)1;

	(void)state;
	setenv("TF_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
	assert_int_equal(tf_nvml_open(&n, 0), -ENOENT);
	assert_null(n);
	assert_non_null(strstr(tf_nvml_errmsg(NULL), "no NVML: cannot load "
			       "/nonexistent/libnvidia-ml.so.1"));
	assert_non_null(strstr(tf_nvml_errmsg(NULL), "running without NVIDIA GPUs"));
	tf_nvml_close(NULL);

	/* a library that is not NVML */
	setenv("TF_NVML_LIB", "libm.so.6", 1);
	assert_int_equal(tf_nvml_open(&n, 0), -ENOSYS);
	assert_non_null(strstr(tf_nvml_errmsg(NULL), "lacks nvmlInit_v2"));

	/* the library without its driver */
	setenv("TF_NVML_LIB", double_path(), 1);
	setenv("TF_NVML_DOUBLE_FAIL", "nvmlInit_v2=9", 1);
	assert_int_equal(tf_nvml_open(&n, 0), -ENODEV);
	assert_string_equal(tf_nvml_errmsg(NULL),
			    "NVML: nvmlInit_v2: Driver Not Loaded (NVML 9)");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_count),
		T(test_energy),
		T(test_limit),
		T(test_limit_reject),
		T(test_errors),
		T(test_restore),
		T(test_restore_foreign),
		T(test_first_order),
		T(test_process_util),
		T(test_process_util_sloppy),
		T(test_readonly),
		T(test_absent),
	};

	return TF_RUN_TESTS("nvml", tests);
}
