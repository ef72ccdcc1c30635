// SPDX-License-Identifier: GPL-2.0
/* kmod/energy.c built for userspace: RAPL units, wraps, the CPU levers' maps. */
#include <stdint.h>
#include "tf_test.h"

#include <errno.h>

#include "energy.h"
#include "ring.h"

static void test_esu_decoding(void **state)
{
	(void)state;
	/* Intel Skylake server: power 1/8 W, energy 2^-14 J, time 2^-10 s */
	assert_int_equal(tf_rapl_esu(0x000a0e03), 14);
	/* AMD Zen: energy 2^-16 J */
	assert_int_equal(tf_rapl_esu(0x000a1003), 16);
	/* Bits above 12 do not leak in */
	assert_int_equal(tf_rapl_esu(0xffffe0ff), 0);
}

static void test_unit_plausible(void **state)
{
	(void)state;
	assert_true(tf_rapl_unit_plausible(0x000a0e03));
	assert_true(tf_rapl_unit_plausible(0x000a1003));
	/* what QEMU's TCG answers for an MSR it does not know */
	assert_false(tf_rapl_unit_plausible(0));
	assert_false(tf_rapl_unit_plausible(0x1f00));
}

static void test_units_to_uj(void **state)
{
	(void)state;
	assert_int_equal(tf_rapl_to_uj(1 << 14, 14), 1000000);
	assert_int_equal(tf_rapl_to_uj(1, 14), 61);	/* 61.03 µJ, floor */
	assert_int_equal(tf_rapl_to_uj(1 << 16, 16), 1000000);
	/* a 64-bit running total: raw * 10^6 overflows 64 bits, the result does not */
	assert_int_equal(tf_rapl_to_uj(1ULL << 50, 16), (1ULL << 34) * 1000000);
}

static void test_wrap_delta(void **state)
{
	(void)state;
	assert_int_equal(tf_rapl_delta(100, 250), 150);
	assert_int_equal(tf_rapl_delta(0xffffff00u, 0x100), 0x200);
	assert_int_equal(tf_rapl_delta(5, 5), 0);
}

/*
 * Sampling at tf_rapl_period_ms() while the package draws its maximum power:
 * the counter advances by less than one wrap between samples, even when it
 * wraps between them, so the 32-bit delta is the true one.
 */
static void test_wrap_at_max_power(void **state)
{
	static const struct { unsigned int esu; uint32_t watts; } cases[] = {
		{ 14, 500 }, { 16, 500 }, { 16, 1000 }, { 14, 65535 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t period = tf_rapl_period_ms(cases[i].esu, cases[i].watts);
		/* energy in units drawn during one period at max power */
		unsigned __int128 units = (unsigned __int128)cases[i].watts *
					  period * (1ULL << cases[i].esu) / 1000;
		uint32_t before = 0xf0000000u, after = before + (uint32_t)units;

		assert_true(units < (1ULL << 32));
		assert_true(after < before);	/* it did wrap */
		assert_int_equal(tf_rapl_delta(before, after), (uint64_t)units);
		/* and not so short that we sample needlessly: at least 1/4 wrap */
		assert_true(units >= (1ULL << 30));
	}
	/* ESU 14 at 500 W wraps after 524.288 s: sample every 262 s */
	assert_int_equal(tf_rapl_period_ms(14, 500), 262144);
	assert_int_equal(tf_rapl_period_ms(16, 0), tf_rapl_period_ms(16, 1));
}

static void test_estimate(void **state)
{
	const uint64_t s = 1000000000ULL;

	(void)state;
	/* 10 W idle, 65 W busy, 2 CPUs, one second */
	assert_int_equal(tf_estimate_nj(10, 65, 0, 2, s), 10 * s);
	assert_int_equal(tf_estimate_nj(10, 65, 2 * s, 2, s), 65 * s);
	assert_int_equal(tf_estimate_nj(10, 65, s, 2, s), 37500000000ULL);
	/* busy time beyond what the CPUs had is clamped, not extrapolated */
	assert_int_equal(tf_estimate_nj(10, 65, 5 * s, 2, s), 65 * s);
	assert_int_equal(tf_estimate_nj(10, 65, s, 0, s), 0);
	/* a model whose max is below idle spends idle power only */
	assert_int_equal(tf_estimate_nj(10, 5, s, 1, s), 10 * s);
}

static void test_power(void **state)
{
	(void)state;
	assert_int_equal(tf_power_uw(1000000, 1000000000), 1000000);
	assert_int_equal(tf_power_uw(5000, 100000000), 50000);
	assert_int_equal(tf_power_uw(5, 0), 0);
}

static void test_push_check(void **state)
{
	const uint64_t s = 1000000000ULL, w700 = 700000000ULL;

	(void)state;
	assert_int_equal(tf_push_check(100, 99, s, w700), -ERANGE);
	assert_int_equal(tf_push_check(100, 100, s, w700), 0);
	/* 700 W for 1 s is 700 J: accepted, with 10 % and 1 J of slack */
	assert_int_equal(tf_push_check(0, 700000000, s, w700), 0);
	assert_int_equal(tf_push_check(0, 771000000, s, w700), 0);
	assert_int_equal(tf_push_check(0, 771000001, s, w700), -E2BIG);
	assert_int_equal(tf_push_check(0, 100000000000ULL, s, w700), -E2BIG);
}

static void test_cap_map(void **state)
{
	(void)state;
	/* 10 W idle, 65 W busy */
	assert_int_equal(tf_cap_to_perf_pct(0, 10, 65), 100);
	assert_int_equal(tf_cap_to_perf_pct(65000000, 10, 65), 100);
	assert_int_equal(tf_cap_to_perf_pct(10000000, 10, 65), 0);
	assert_int_equal(tf_cap_to_perf_pct(5000000, 10, 65), 0);
	assert_int_equal(tf_cap_to_perf_pct(37500000, 10, 65), 50);
	assert_int_equal(tf_cap_to_perf_pct(32500000, 10, 65), 40);
}

/* A package whose power follows performance settles on the cap. */
static void test_feedback_converges(void **state)
{
	const uint64_t idle = 20000000, max = 200000000;
	static const uint64_t caps[] = { 150000000, 80000000, 30000000 };
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		uint32_t perf = 100;
		uint64_t power = max;
		int i;

		for (i = 0; i < 20; i++) {
			perf = tf_perf_feedback(perf, power, caps[c], max);
			assert_true(perf >= 1 && perf <= 100);
			power = idle + (max - idle) * perf / 100;
		}
		print_message("cap %lu W: settles at %lu W, perf %u%%\n",
			      (unsigned long)(caps[c] / 1000000),
			      (unsigned long)(power / 1000000), perf);
		/* never above the cap, and within 2 % of the maximum below it */
		assert_true(power <= caps[c]);
		assert_true(power + max / 50 >= caps[c]);
	}
	/* below what the deepest setting reaches: perf bottoms out at 1 */
	assert_int_equal(tf_perf_feedback(1, idle, 1000000, max), 1);
	/* no cap pressure: back to 100 */
	assert_int_equal(tf_perf_feedback(99, idle, max, max), 100);
}

static void test_coarse(void **state)
{
	(void)state;
	assert_int_equal(tf_coarse_uj(0), 0);
	assert_int_equal(tf_coarse_uj(999999), 0);
	assert_int_equal(tf_coarse_uj(1000000), 1000000);
	assert_int_equal(tf_coarse_uj(123456789), 123000000);
}

/* The recent-exits table: keeps the newest, counts the dropped. */
static void test_ring_overflow(void **state)
{
	struct tf_ring r = { .size = 4 };
	unsigned int data[4], i;

	(void)state;
	for (i = 0; i < 3; i++)
		data[tf_ring_push(&r)] = i;
	assert_int_equal(r.count, 3);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(data[tf_ring_slot(&r, 0)], 0);
	for (i = 3; i < 10; i++)
		data[tf_ring_push(&r)] = i;
	assert_int_equal(r.count, 4);
	assert_int_equal(r.dropped, 6);
	for (i = 0; i < 4; i++)
		assert_int_equal(data[tf_ring_slot(&r, i)], 6 + i);
}

/* The documented perf -> maximum frequency map (kmod/energy.c). */
static void test_perf_to_freq(void **state)
{
	(void)state;
	/* 800 MHz .. 4 GHz: r = 20 % */
	assert_int_equal(tf_perf_to_freq_khz(100, 800000, 4000000), 4000000);
	assert_int_equal(tf_perf_to_freq_khz(150, 800000, 4000000), 4000000);
	assert_int_equal(tf_perf_to_freq_khz(50, 800000, 4000000), 2400000);
	assert_int_equal(tf_perf_to_freq_khz(20, 800000, 4000000), 1440000);
	/* below r the frequency stays at its floor */
	assert_int_equal(tf_perf_to_freq_khz(19, 800000, 4000000), 800000);
	assert_int_equal(tf_perf_to_freq_khz(0, 800000, 4000000), 800000);
	/* a policy with one frequency */
	assert_int_equal(tf_perf_to_freq_khz(30, 2000000, 2000000), 2000000);
	/* monotonic */
	for (uint32_t p = 1; p <= 100; p++)
		assert_true(tf_perf_to_freq_khz(p, 800000, 4000000) >=
			    tf_perf_to_freq_khz(p - 1, 800000, 4000000));
}

static void test_perf_to_idle(void **state)
{
	(void)state;
	/* no cpufreq: idle = 100 - perf */
	assert_int_equal(tf_perf_to_idle_pct(100, 0, 0), 0);
	assert_int_equal(tf_perf_to_idle_pct(50, 0, 0), 50);
	assert_int_equal(tf_perf_to_idle_pct(25, 0, 0), 75);
	assert_int_equal(tf_perf_to_idle_pct(0, 0, 0), 100);
	/* frequency alone down to r = 20 % */
	assert_int_equal(tf_perf_to_idle_pct(20, 800000, 4000000), 0);
	assert_int_equal(tf_perf_to_idle_pct(60, 800000, 4000000), 0);
	/* below: run = perf / r */
	assert_int_equal(tf_perf_to_idle_pct(10, 800000, 4000000), 50);
	assert_int_equal(tf_perf_to_idle_pct(5, 800000, 4000000), 75);
	assert_int_equal(tf_perf_to_idle_pct(0, 800000, 4000000), 100);
	/* a driver that reports no minimum: frequency covers everything */
	assert_int_equal(tf_perf_to_idle_pct(0, 0, 4000000), 0);
	/* the delivered share, min/max * run, never exceeds the target */
	for (uint32_t p = 0; p < 100; p++) {
		uint32_t run = 100 - tf_perf_to_idle_pct(p, 1200000, 3700000);

		if (run < 100)
			assert_true((uint64_t)run * 1200000 <= (uint64_t)p * 3700000);
	}
}

static void test_idle_period(void **state)
{
	(void)state;
	assert_int_equal(tf_idle_ns(50, TF_IDLE_PERIOD_NS), 10000000);
	assert_int_equal(tf_idle_ns(75, TF_IDLE_PERIOD_NS), 15000000);
	assert_int_equal(tf_idle_ns(TF_IDLE_MAX_PCT, TF_IDLE_PERIOD_NS), 18000000);
	assert_int_equal(tf_idle_ns(0, TF_IDLE_PERIOD_NS), 0);
	assert_int_equal(tf_idle_ns(250, TF_IDLE_PERIOD_NS), TF_IDLE_PERIOD_NS);
	/* the smallest run part at the deepest setting is 2 ms */
	assert_int_equal(TF_IDLE_PERIOD_NS - tf_idle_ns(TF_IDLE_MAX_PCT, TF_IDLE_PERIOD_NS),
			 2000000);
}

static void test_idle_next_start(void **state)
{
	(void)state;
	assert_int_equal(tf_idle_next_start(0, 20), 20);
	assert_int_equal(tf_idle_next_start(19, 20), 20);
	/* on a boundary: the next one, never now */
	assert_int_equal(tf_idle_next_start(20, 20), 40);
	assert_int_equal(tf_idle_next_start(1234567890123ULL, TF_IDLE_PERIOD_NS),
			 1234580000000ULL);
	assert_int_equal(tf_idle_next_start(5, 0), 6);
}

static void test_idle_due(void **state)
{
	const uint64_t T = TF_IDLE_PERIOD_NS;

	(void)state;
	/* the first part: the next boundary */
	assert_int_equal(tf_idle_due_ns(0, 5 * T + 1, T), 6 * T);
	/* in time: as planned */
	assert_int_equal(tf_idle_due_ns(6 * T, 5 * T + 1, T), 6 * T);
	/* late, by less than a period: still due, at once */
	assert_int_equal(tf_idle_due_ns(6 * T, 6 * T + T / 2, T), 6 * T);
	/* a period or more behind: back to the grid */
	assert_int_equal(tf_idle_due_ns(6 * T, 7 * T, T), 8 * T);
	assert_int_equal(tf_idle_due_ns(6 * T, 9 * T + 3, T), 10 * T);
}

/*
 * A CPU that overshoots every idle part by the same latency injects its
 * share exactly on average, from the second period on.
 */
static void test_idle_compensation(void **state)
{
	static const uint64_t lat[] = { 0, 50000, 550000, 3000000 };
	const uint64_t share = 10000000, period = TF_IDLE_PERIOD_NS;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lat) / sizeof(lat[0]); i++) {
		uint64_t debt = 0, total = 0, req, actual;
		int k;

		for (k = 0; k < 100; k++) {
			req = tf_idle_request_ns(share, debt);
			assert_true(req <= share && req >= share / 2);
			actual = req + lat[i];
			if (k)
				total += actual;
			debt = tf_idle_debt_ns(debt, share, actual, period);
		}
		assert_int_equal(total, 99 * share);
	}
	/* a latency beyond half the share: the floor holds, debt stays bounded */
	assert_int_equal(tf_idle_request_ns(share, 9000000), share / 2);
	assert_int_equal(tf_idle_debt_ns(period, share, share / 2 + 30000000, period),
			 period);
	/* a part that came out short pays the debt back, never below 0 */
	assert_int_equal(tf_idle_debt_ns(2000000, share, 9000000, period), 1000000);
	assert_int_equal(tf_idle_debt_ns(0, share, 5000000, period), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_esu_decoding),
		cmocka_unit_test(test_unit_plausible),
		cmocka_unit_test(test_units_to_uj),
		cmocka_unit_test(test_wrap_delta),
		cmocka_unit_test(test_wrap_at_max_power),
		cmocka_unit_test(test_estimate),
		cmocka_unit_test(test_power),
		cmocka_unit_test(test_push_check),
		cmocka_unit_test(test_cap_map),
		cmocka_unit_test(test_feedback_converges),
		cmocka_unit_test(test_coarse),
		cmocka_unit_test(test_ring_overflow),
		cmocka_unit_test(test_perf_to_freq),
		cmocka_unit_test(test_perf_to_idle),
		cmocka_unit_test(test_idle_period),
		cmocka_unit_test(test_idle_next_start),
		cmocka_unit_test(test_idle_compensation),
		cmocka_unit_test(test_idle_due),
	};

	return TF_RUN_TESTS("energy", tests);
}
