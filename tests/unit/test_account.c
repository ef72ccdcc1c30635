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
	struct tf_acct_buf buf = { 0 };
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
	n = tf_account_tick(d, 5, p, 4, rows, &buf);
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
	/* entries in domain order, rows' entries side by side in the pool */
	assert_int_equal(rows[0].n_energy, 2);		/* package-0, dram-0 */
	assert_int_equal(rows[0].energy[0].domain_id, 1);
	assert_int_equal(rows[0].energy[1].domain_id, 3);
	assert_int_equal(rows[1].n_energy, 2);		/* package-1, gpu-0 */
	assert_int_equal(rows[1].energy[0].domain_id, 2);
	assert_int_equal(rows[1].energy[1].domain_id, 4);
	assert_ptr_equal(rows[0].energy, buf.e);
	assert_ptr_equal(rows[1].energy, buf.e + 2);
	assert_int_equal(rows[0].tokens, 0);
	assert_string_equal(rows[0].comm, "");
	tf_acct_buf_free(&buf);
	assert_null(buf.e);
}

static void test_nobody_ran(void **state)
{
	struct tf_dom_tick d[] = { { 1, TF_DOMAIN_PACKAGE, 0, 12345, 0 } };
	struct tf_ledger_row rows[1];
	struct tf_acct_buf buf = { 0 };

	(void)state;
	assert_int_equal(tf_account_tick(d, 1, NULL, 0, rows, &buf), 0);
	assert_int_equal(d[0].rest_uj, 12345);
	tf_acct_buf_free(&buf);
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Many ticks of random shapes through one pool: it grows and is reused,
 * every domain stays exact, no two rows share an entry, each row's
 * entries are in domain order, the compacted rows keep input order.
 */
static void test_pool_reuse(void **state)
{
	enum { MAXP = 700, ND = 6 };
	struct tf_proc_tick *p = calloc(MAXP, sizeof(*p));
	struct tf_ledger_row *rows = calloc(MAXP, sizeof(*rows));
	unsigned char *owner;
	struct tf_acct_buf buf = { 0 };
	uint64_t x = 88172645463325252ULL;
	int tick;

	(void)state;
	assert_non_null(p);
	assert_non_null(rows);
	for (tick = 0; tick < 40; tick++) {
		struct tf_dom_tick d[ND] = {
			{ 0, TF_DOMAIN_HOST, 0, 1, 0 },
			{ 1, TF_DOMAIN_PACKAGE, 0, rnd(&x) % 200000000, 0 },
			{ 2, TF_DOMAIN_PACKAGE, 1, rnd(&x) % 3, 0 },
			{ 5, TF_DOMAIN_DRAM, 0, rnd(&x) % 20000000, 0 },
			{ 7, TF_DOMAIN_GPU, 0, rnd(&x) % 300000000, 0 },
			{ 9, TF_DOMAIN_GPU, 3, rnd(&x) % 300000000, 0 },
		};
		uint64_t total[10] = { 0 };
		size_t np = rnd(&x) % MAXP, i, used = 0;
		uint32_t last = 0;
		int n, r, k;

		memset(p, 0, MAXP * sizeof(*p));
		for (i = 0; i < np; i++) {
			p[i].tgid = i % 97 ? (uint32_t)(i + 1) : 0;
			if (rnd(&x) % 3)
				p[i].cpu[0] = rnd(&x) % 100000000;
			if (rnd(&x) % 4 == 0)
				p[i].cpu[1] = rnd(&x) % 1000;
			if (rnd(&x) % 50 == 0)
				p[i].gpu[0] = rnd(&x) % 100;
			if (rnd(&x) % 60 == 0)
				p[i].gpu[3] = 1;
		}
		n = tf_account_tick(d, ND, p, np, rows, &buf);
		assert_true(n >= 0 && (size_t)n <= np);
		owner = calloc(buf.ecap ? buf.ecap : 1, 1);
		assert_non_null(owner);
		for (r = 0; r < n; r++) {
			assert_true(rows[r].pid > last);	/* input order */
			last = rows[r].pid;
			assert_true(rows[r].n_energy >= 1 && rows[r].n_energy <= 4);
			assert_true(rows[r].energy >= buf.e &&
				    rows[r].energy + rows[r].n_energy <= buf.e + buf.ecap);
			for (k = 0; k < (int)rows[r].n_energy; k++) {
				const struct tf_energy_row *e = &rows[r].energy[k];

				assert_int_equal(owner[e - buf.e], 0);
				owner[e - buf.e] = 1;
				assert_true(e->uj > 0);
				assert_true(e->domain_id > 0 && e->domain_id < 10);
				if (k)
					assert_true(e->domain_id > e[-1].domain_id);
				total[e->domain_id] += e->uj;
				used++;
			}
		}
		free(owner);
		assert_true(used <= buf.ecap);
		for (i = 1; i < ND; i++)
			assert_int_equal(total[d[i].id] + d[i].rest_uj, d[i].delta_uj);
	}
	tf_acct_buf_free(&buf);
	free(p);
	free(rows);
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
		cmocka_unit_test(test_pool_reuse),
		cmocka_unit_test(test_green),
	};

	return TF_RUN_TESTS("account", tests);
}
