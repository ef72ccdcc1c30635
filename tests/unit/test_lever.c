// SPDX-License-Identifier: GPL-2.0
/* Watts to actuator settings (agent/lever.c), table-driven. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tf_test.h"
/* kmod/lever.h is on the quote path first (-iquote kmod) */
#include "../../agent/lever.h"

#define W 1000000ULL
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* 4 CPUs of 10 W each, 100 ms periods */
static const struct tf_lever_cpu cpu4 = {
	.cpu_watts_uw = 10 * W, .ncpus = 4, .period_us = 100000,
};

static void test_idle_share(void **state)
{
	static const struct {
		uint64_t idle, group, total, want;
	} c[] = {
		{ 40 * W, 50 * W, 200 * W, 10 * W },
		{ 40 * W, 0, 200 * W, 0 },
		{ 40 * W, 200 * W, 200 * W, 40 * W },
		{ 40 * W, 300 * W, 200 * W, 40 * W },	/* more than the total */
		{ 40 * W, 50 * W, 0, 0 },		/* no budget */
		{ 10, 1, 3, 3 },			/* rounded down */
		{ UINT64_MAX, UINT64_MAX / 2, UINT64_MAX, UINT64_MAX / 2 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(c); i++)
		if (tf_lever_idle_share(c[i].idle, c[i].group, c[i].total) != c[i].want)
			fail_msg("case %zu: got %llu", i, (unsigned long long)
				 tf_lever_idle_share(c[i].idle, c[i].group, c[i].total));
}

static void test_cpu_max(void **state)
{
	static const struct {
		const char *name;
		uint64_t power, idle, demand;
		bool frozen;
		const char *want;
	} c[] = {
		{ "one CPU", 10 * W, 0, 0, false, "100000 100000" },
		{ "idle share taken off", 25 * W, 5 * W, 0, false, "200000 100000" },
		{ "half a CPU", 5 * W, 0, 0, false, "50000 100000" },
		{ "rounded down", 10 * W - 1, 0, 0, false, "99999 100000" },
		{ "below the idle share: the minimum", 3 * W, 5 * W, 0, false, "1000 100000" },
		{ "no power: the minimum", 0, 0, 0, false, "1000 100000" },
		{ "tiny: the minimum", 50000, 0, 0, false, "1000 100000" },
		{ "demand covered: max", 20 * W, 0, 20 * W, false, "max 100000" },
		{ "demand not covered", 19 * W, 0, 20 * W, false, "190000 100000" },
		{ "every CPU: max", 40 * W, 0, 0, false, "max 100000" },
		{ "just below every CPU", 40 * W - 100, 0, 0, false, "399999 100000" },
		{ "frozen: the minimum", 30 * W, 0, 0, true, "1000 100000" },
		{ "frozen beats demand", 30 * W, 0, 1 * W, true, "1000 100000" },
		{ "huge power: max", UINT64_MAX, 0, 0, false, "max 100000" },
	};
	char buf[TF_LEVER_CPU_MAX_STR];
	struct tf_cpu_max v;
	size_t i;

	(void)state;
	for (i = 0; i < N(c); i++) {
		assert_int_equal(tf_lever_cpu_max(&cpu4, c[i].power, c[i].idle,
						  c[i].demand, c[i].frozen, &v), 0);
		assert_int_equal(tf_lever_cpu_max_str(&v, buf, sizeof(buf)), 0);
		if (strcmp(buf, c[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", c[i].name, buf,
				 c[i].want);
	}
}

static void test_cpu_max_invalid(void **state)
{
	struct tf_lever_cpu bad[] = {
		{ .cpu_watts_uw = 0, .ncpus = 4, .period_us = 100000 },
		{ .cpu_watts_uw = W, .ncpus = 0, .period_us = 100000 },
		{ .cpu_watts_uw = W, .ncpus = 4, .period_us = 999 },
		{ .cpu_watts_uw = W, .ncpus = 4, .period_us = 1000001 },
		{ .cpu_watts_uw = W, .ncpus = 4, .period_us = 0 },
	};
	struct tf_cpu_max v = { .quota_us = 7, .period_us = 7 };
	char small[8];
	size_t i;

	(void)state;
	for (i = 0; i < N(bad); i++) {
		assert_int_equal(tf_lever_cpu_max(&bad[i], W, 0, 0, false, &v), -EINVAL);
		assert_int_equal(v.quota_us, 7);	/* untouched */
	}
	v = (struct tf_cpu_max){ .quota_us = 123456789, .period_us = 100000 };
	assert_int_equal(tf_lever_cpu_max_str(&v, small, sizeof(small)), -EINVAL);
}

static void test_cpu_max_parse(void **state)
{
	static const struct {
		const char *s;
		int err;
		bool unlimited;
		uint64_t quota, period;
	} c[] = {
		{ "max 100000\n", 0, true, 0, 100000 },
		{ "max 100000", 0, true, 0, 100000 },
		{ "50000 100000\n", 0, false, 50000, 100000 },
		{ "1000 1000", 0, false, 1000, 1000 },
		{ "", -EINVAL, 0, 0, 0 },
		{ "max", -EINVAL, 0, 0, 0 },
		{ "max\n", -EINVAL, 0, 0, 0 },
		{ "maximal 100000", -EINVAL, 0, 0, 0 },
		{ "0 100000", -EINVAL, 0, 0, 0 },
		{ "50000 0", -EINVAL, 0, 0, 0 },
		{ "-5 100000", -EINVAL, 0, 0, 0 },
		{ "50000  100000", -EINVAL, 0, 0, 0 },
		{ "50000 100000 7", -EINVAL, 0, 0, 0 },
		{ "50000 100000\n\n", -EINVAL, 0, 0, 0 },
		{ "50000", -EINVAL, 0, 0, 0 },
		{ "99999999999999999999999 100000", -EINVAL, 0, 0, 0 },
	};
	struct tf_cpu_max v;
	size_t i;

	(void)state;
	for (i = 0; i < N(c); i++) {
		memset(&v, 0xa5, sizeof(v));
		if (tf_lever_cpu_max_parse(c[i].s, &v) != c[i].err)
			fail_msg("\"%s\": want %d", c[i].s, c[i].err);
		if (c[i].err)
			continue;
		assert_int_equal(v.unlimited, c[i].unlimited);
		assert_int_equal(v.period_us, c[i].period);
		if (!c[i].unlimited)
			assert_int_equal(v.quota_us, c[i].quota);
	}
}

static void test_gpu_limit(void **state)
{
	static const struct {
		uint64_t share, min, max;
		int err;
		uint64_t want;
		bool clamped;
	} c[] = {
		{ 300 * W, 200 * W, 700 * W, 0, 300 * W, false },
		{ 200 * W, 200 * W, 700 * W, 0, 200 * W, false },
		{ 700 * W, 200 * W, 700 * W, 0, 700 * W, false },
		{ 100 * W, 200 * W, 700 * W, 0, 200 * W, true },
		{ 0, 200 * W, 700 * W, 0, 200 * W, true },
		{ 900 * W, 200 * W, 700 * W, 0, 700 * W, true },
		{ 300 * W, 300 * W, 300 * W, 0, 300 * W, false },
		{ 300 * W, 700 * W, 200 * W, -EINVAL, 0, false },	/* empty */
		{ 300 * W, 0, 0, -EINVAL, 0, false },
	};
	uint64_t got;
	bool clamped;
	size_t i;

	(void)state;
	for (i = 0; i < N(c); i++) {
		got = 42;
		clamped = !c[i].clamped;
		assert_int_equal(tf_lever_gpu_limit(c[i].share, c[i].min, c[i].max,
						    &got, &clamped), c[i].err);
		if (c[i].err) {
			assert_int_equal(got, 42);
			continue;
		}
		assert_int_equal(got, c[i].want);
		assert_int_equal(clamped, c[i].clamped);
	}
	assert_int_equal(tf_lever_gpu_limit(W, 0, 2 * W, &got, NULL), 0);
}

static void test_gpu_clock(void **state)
{
	/* limits 200..700 W, clocks 600..1800 MHz: 2.4 MHz per W */
	static const struct {
		uint64_t share;
		unsigned int want;
	} c[] = {
		{ 0, 600 },
		{ 200 * W, 600 },
		{ 200 * W + 1, 600 },
		{ 450 * W, 1200 },
		{ 325 * W, 900 },
		{ 700 * W - 1, 1799 },
		{ 700 * W, 1800 },
		{ 2000 * W, 1800 },
	};
	unsigned int got, prev = 0;
	size_t i;

	(void)state;
	for (i = 0; i < N(c); i++) {
		assert_int_equal(tf_lever_gpu_clock(c[i].share, 200 * W, 700 * W,
						    600, 1800, &got), 0);
		if (got != c[i].want)
			fail_msg("%llu uW: got %u MHz, want %u", (unsigned long long)
				 c[i].share, got, c[i].want);
	}
	/* monotonic in the share, over the whole range */
	for (i = 0; i <= 800; i++) {
		assert_int_equal(tf_lever_gpu_clock(i * W, 200 * W, 700 * W, 600,
						    1800, &got), 0);
		assert_true(got >= prev);
		prev = got;
	}
	got = 77;
	assert_int_equal(tf_lever_gpu_clock(W, 700 * W, 700 * W, 600, 1800, &got), -EINVAL);
	assert_int_equal(tf_lever_gpu_clock(W, 800 * W, 700 * W, 600, 1800, &got), -EINVAL);
	assert_int_equal(tf_lever_gpu_clock(W, 200 * W, 700 * W, 1900, 1800, &got), -EINVAL);
	assert_int_equal(tf_lever_gpu_clock(W, 200 * W, 700 * W, 0, 0, &got), -EINVAL);
	assert_int_equal(got, 77);
	/* a one-clock range */
	assert_int_equal(tf_lever_gpu_clock(450 * W, 200 * W, 700 * W, 1500, 1500, &got), 0);
	assert_int_equal(got, 1500);
}

static void test_cpu_cap(void **state)
{
	static const struct {
		uint64_t budget;
		uint64_t gpu[3];
		size_t ngpu;
		uint64_t floor, want;
	} c[] = {
		{ 1000 * W, { 300 * W, 200 * W }, 2, 50 * W, 500 * W },
		{ 1000 * W, { 0 }, 0, 50 * W, 1000 * W },
		{ 1000 * W, { 600 * W, 600 * W }, 2, 50 * W, 50 * W },	/* GPUs past it */
		{ 1000 * W, { 980 * W }, 1, 50 * W, 50 * W },
		{ 1000 * W, { 1000 * W }, 1, 0, 1 },			/* never 0 */
		{ 0, { 0 }, 0, 0, 1 },
		{ 500 * W, { 100 * W, 100 * W, 100 * W }, 3, 0, 200 * W },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(c); i++)
		if (tf_lever_cpu_cap(c[i].budget, c[i].gpu, c[i].ngpu, c[i].floor) != c[i].want)
			fail_msg("case %zu: got %llu", i, (unsigned long long)
				 tf_lever_cpu_cap(c[i].budget, c[i].gpu, c[i].ngpu, c[i].floor));
}

static void test_package_caps(void **state)
{
	static const struct {
		uint64_t cap;
		uint64_t max[3];
		size_t n;
		uint64_t want[3];
	} c[] = {
		{ 300 * W, { 200 * W, 100 * W }, 2, { 200 * W, 100 * W } },
		{ 300 * W, { 0, 100 * W }, 2, { 150 * W, 150 * W } },	/* unknown: equal */
		{ 100, { 1, 1, 1 }, 3, { 34, 33, 33 } },		/* remainder first */
		{ 100 * W, { 125 * W }, 1, { 100 * W } },
		{ 2, { 1, 1, 1 }, 3, { 2, 1, 1 } },			/* none 0 */
	};
	uint64_t out[3];
	size_t i, j;

	(void)state;
	for (i = 0; i < N(c); i++) {
		assert_int_equal(tf_lever_package_caps(c[i].cap, c[i].max, c[i].n, out), 0);
		for (j = 0; j < c[i].n; j++)
			if (out[j] != c[i].want[j])
				fail_msg("case %zu pkg %zu: got %llu", i, j,
					 (unsigned long long)out[j]);
	}
	assert_int_equal(tf_lever_package_caps(W, NULL, 2, out), 0);
	assert_int_equal(out[0], W / 2);
	assert_int_equal(tf_lever_package_caps(W, NULL, 0, out), -EINVAL);
}

static void test_duty(void **state)
{
	static const struct {
		const char *name;
		uint64_t power, idle, demand;
		bool frozen;
		uint64_t period;
		int err;
		uint64_t want;
	} c[] = {
		{ "half", 50 * W, 0, 100 * W, false, 100000, 0, 50000 },
		{ "idle share taken off", 60 * W, 20 * W, 100 * W, false, 100000, 0, 50000 },
		{ "covered: always on", 100 * W, 0, 100 * W, false, 100000, 0, 100000 },
		{ "demand unknown: on", 1 * W, 0, 0, false, 100000, 0, 100000 },
		{ "demand within idle: on", 1 * W, 20 * W, 10 * W, false, 100000, 0, 100000 },
		{ "below idle: the minimum", 10 * W, 20 * W, 100 * W, false, 100000, 0, 1000 },
		{ "tiny: the minimum", 1, 0, 100 * W, false, 100000, 0, 1000 },
		{ "frozen: stopped", 90 * W, 0, 100 * W, true, 100000, 0, 0 },
		{ "frozen, demand unknown", 90 * W, 0, 0, true, 100000, 0, 0 },
		{ "rounded down", 1 * W, 0, 3 * W, false, 100000, 0, 33333 },
		{ "period too short", 50 * W, 0, 100 * W, false, 999, -EINVAL, 7 },
		{ "period too long", 50 * W, 0, 100 * W, false, 1000001, -EINVAL, 7 },
	};
	uint64_t on;
	size_t i;

	(void)state;
	for (i = 0; i < N(c); i++) {
		on = 7;
		if (tf_lever_duty(c[i].power, c[i].idle, c[i].demand, c[i].frozen,
				  c[i].period, &on) != c[i].err || on != c[i].want)
			fail_msg("%s: got %llu us", c[i].name, (unsigned long long)on);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_share),
		cmocka_unit_test(test_cpu_max),
		cmocka_unit_test(test_cpu_max_invalid),
		cmocka_unit_test(test_cpu_max_parse),
		cmocka_unit_test(test_gpu_limit),
		cmocka_unit_test(test_gpu_clock),
		cmocka_unit_test(test_cpu_cap),
		cmocka_unit_test(test_package_caps),
		cmocka_unit_test(test_duty),
	};

	return TF_RUN_TESTS("lever", tests);
}
