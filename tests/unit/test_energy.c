// SPDX-License-Identifier: GPL-2.0
/* RAPL unit decoding and wrap arithmetic of kmod/energy.c, built for userspace. */
#include <stdint.h>
#include "tf_test.h"

#include "energy.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_esu_decoding),
		cmocka_unit_test(test_unit_plausible),
		cmocka_unit_test(test_units_to_uj),
		cmocka_unit_test(test_wrap_delta),
		cmocka_unit_test(test_wrap_at_max_power),
	};

	return TF_RUN_TESTS("energy", tests);
}
