// SPDX-License-Identifier: GPL-2.0
/* Quantities as operators type them. */
#include <errno.h>

#include "tf_test.h"
#include "units.h"

static void test_power(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(tf_parse_power_uw("250", &v), 0);
	assert_int_equal(v, 250000000ULL);
	assert_int_equal(tf_parse_power_uw("0.1W", &v), 0);
	assert_int_equal(v, 100000ULL);
	assert_int_equal(tf_parse_power_uw("1.5kW", &v), 0);
	assert_int_equal(v, 1500000000ULL);
	assert_int_equal(tf_parse_power_uw("3mW", &v), 0);
	assert_int_equal(v, 3000ULL);
	assert_int_equal(tf_parse_power_uw("3MW", &v), 0);
	assert_int_equal(v, 3000000000000ULL);
	assert_int_equal(tf_parse_power_uw("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(tf_parse_power_uw("", &v), -EINVAL);
	assert_int_equal(tf_parse_power_uw("-5", &v), -EINVAL);
	assert_int_equal(tf_parse_power_uw("5 W", &v), -EINVAL);
	assert_int_equal(tf_parse_power_uw("5X", &v), -EINVAL);
	assert_int_equal(tf_parse_power_uw("W", &v), -EINVAL);
	assert_int_equal(tf_parse_power_uw("0.0000001W", &v), -EINVAL);
	assert_int_equal(tf_parse_power_uw("99999999999999999999", &v), -ERANGE);
	assert_int_equal(tf_parse_power_uw("18446744073709551615MW", &v), -ERANGE);
}

static void test_duration(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(tf_parse_duration_ms("30", &v), 0);
	assert_int_equal(v, 30000);
	assert_int_equal(tf_parse_duration_ms("250ms", &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(tf_parse_duration_ms("1.5m", &v), 0);
	assert_int_equal(v, 90000);
	assert_int_equal(tf_parse_duration_ms("2h", &v), 0);
	assert_int_equal(v, 7200000);
	assert_int_equal(tf_parse_duration_ms("1.0001s", &v), -EINVAL);
	assert_int_equal(tf_parse_duration_ms("1d", &v), -EINVAL);
}

static void test_energy(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(tf_parse_energy_uj("1Wh", &v), 0);
	assert_int_equal(v, 3600000000ULL);
	assert_int_equal(tf_parse_energy_uj("2.5J", &v), 0);
	assert_int_equal(v, 2500000ULL);
	assert_int_equal(tf_parse_energy_uj("7uJ", &v), 0);
	assert_int_equal(v, 7);
}

static void test_fixed(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(tf_parse_fixed("250.5", 1000, &v), 0);
	assert_int_equal(v, 250500);
	assert_int_equal(tf_parse_fixed("-12.25", 1000000, &v), 0);
	assert_int_equal(v, -12250000);
	assert_int_equal(tf_parse_fixed("-", 1000, &v), -EINVAL);
	assert_int_equal(tf_parse_fixed("1e3", 1000, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_energy),
		cmocka_unit_test(test_fixed),
	};

	return TF_RUN_TESTS("units", tests);
}
