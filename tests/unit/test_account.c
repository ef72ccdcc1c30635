// SPDX-License-Identifier: GPL-2.0
/* One tick of accounting: every domain conserved, to the µJ. */
#include <string.h>

#include "tf_test.h"
#include "account.h"

static uint64_t row_uj(const struct tf_ledger_row *r, uint32_t dom)
{
	unsigned int i;

	for (i = 0; i < r->n_energy; i++)
		if (r->energy[i].domain_id == dom)
			return r->energy[i].uj;
	return 0;
}

/* host, package-0, package-1, dram-0, gpu-0; idle time, two CPU jobs, one GPU job */
static void test_tick(void **state)
{
	struct tf_dom_tick d[] = {
		{ 0, TF_DOMAIN_HOST, 0, 999999, 0 },
		{ 1, TF_DOMAIN_PACKAGE, 0, 40000000, 0 },
		{ 2, TF_DOMAIN_PACKAGE, 1, 30000000, 0 },
		{ 3, TF_DOMAIN_DRAM, 0, 5000001, 0 },
		{ 4, TF_DOMAIN_GPU, 0, 300000000, 0 },
	};
	struct tf_proc_tick p[4];
	struct tf_ledger_row rows[4];
	uint64_t total[5] = { 0 };
	int n, i, k;

	(void)state;
	memset(p, 0, sizeof(p));
	p[0].tgid = 0;				/* idle */
	p[0].cpu[0] = 500;
	p[0].cpu[1] = 1000;
	p[1].tgid = 100;
	p[1].cpu[0] = 1500;
	p[2].tgid = 200;
	p[2].cpu[1] = 1000;
	p[2].gpu[0] = 1;
	p[3].tgid = 300;			/* ran nowhere this tick */
	n = tf_account_tick(d, 5, p, 4, rows);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].pid, 100);
	assert_int_equal(rows[1].pid, 200);
	assert_int_equal(row_uj(&rows[0], 1), 30000000);	/* 3/4 of package-0 */
	assert_int_equal(row_uj(&rows[1], 2), 15000000);	/* 1/2 of package-1 */
	assert_int_equal(row_uj(&rows[1], 4), 300000000);	/* all of the GPU */
	assert_int_equal(d[2].rest_uj, 15000000);
	assert_int_equal(d[4].rest_uj, 0);
	for (i = 0; i < n; i++)
		for (k = 0; k < (int)rows[i].n_energy; k++)
			total[rows[i].energy[k].domain_id] += rows[i].energy[k].uj;
	for (i = 1; i < 5; i++)
		assert_int_equal(total[i] + d[i].rest_uj, d[i].delta_uj);
	/* the host is never split */
	assert_int_equal(total[0], 0);
	assert_int_equal(d[0].rest_uj, 0);
}

static void test_nobody_ran(void **state)
{
	struct tf_dom_tick d[] = { { 1, TF_DOMAIN_PACKAGE, 0, 12345, 0 } };
	struct tf_ledger_row rows[1];

	(void)state;
	assert_int_equal(tf_account_tick(d, 1, NULL, 0, rows), 0);
	assert_int_equal(d[0].rest_uj, 12345);
}

static void test_green(void **state)
{
	const uint64_t s = 1000000000ULL;

	(void)state;
	/* 50 W of surplus, 100 J used in a second: half green */
	assert_int_equal(tf_green_ppm(50000000, false, s, 100000000), 500000);
	/* more surplus than use: all of it, never more */
	assert_int_equal(tf_green_ppm(500000000, false, s, 100000000), 1000000);
	/* stale: nothing, whatever it said */
	assert_int_equal(tf_green_ppm(500000000, true, s, 100000000), 0);
	assert_int_equal(tf_green_ppm(0, false, s, 100000000), 0);
	assert_int_equal(tf_green_ppm(5, false, s, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tick),
		cmocka_unit_test(test_nobody_ran),
		cmocka_unit_test(test_green),
	};

	return TF_RUN_TESTS("account", tests);
}
