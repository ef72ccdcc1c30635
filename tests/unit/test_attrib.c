// SPDX-License-Identifier: GPL-2.0
/* Attribution: exact conservation and a deterministic remainder rule. */
#include <string.h>

#include "tf_test.h"
#include "attrib.h"

static uint64_t sum(const struct tf_share *v, size_t n)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += v[i].uj;
	return s;
}

static void test_proportional(void **state)
{
	struct tf_share v[] = { { 10, 25, 0 }, { 11, 75, 0 } };
	uint64_t rest;

	(void)state;
	rest = tf_attribute(1000000, 0, v, 2);
	assert_int_equal(v[0].uj, 250000);
	assert_int_equal(v[1].uj, 750000);
	assert_int_equal(rest, 0);
	/* with idle time as a third participant */
	rest = tf_attribute(1000000, 100, v, 2);
	assert_int_equal(v[0].uj, 125000);
	assert_int_equal(v[1].uj, 375000);
	assert_int_equal(rest, 500000);
}

/* 10 µJ over three equal weights: 3 each, and the last µJ by the rule. */
static void test_remainder_rule(void **state)
{
	struct tf_share v[] = { { 30, 1, 0 }, { 20, 1, 0 }, { 10, 1, 0 } };
	uint64_t rest;

	(void)state;
	rest = tf_attribute(10, 0, v, 3);
	assert_int_equal(rest, 0);
	/* equal fractions: the lowest tgid gets the extra µJ */
	assert_int_equal(v[2].uj, 4);
	assert_int_equal(v[0].uj, 3);
	assert_int_equal(v[1].uj, 3);
	/* the same input gives the same output, whatever the order */
	struct tf_share w[] = { { 10, 1, 0 }, { 30, 1, 0 }, { 20, 1, 0 } };

	tf_attribute(10, 0, w, 3);
	assert_int_equal(w[0].uj, 4);
	/* the largest fraction wins over the lower tgid */
	struct tf_share x[] = { { 1, 1, 0 }, { 2, 2, 0 } };

	rest = tf_attribute(2, 0, x, 2);	/* exact 0.667 and 1.333 */
	assert_int_equal(x[0].uj, 1);
	assert_int_equal(x[1].uj, 1);
	assert_int_equal(rest, 0);
}

static void test_no_weight(void **state)
{
	struct tf_share v[] = { { 1, 0, 99 } };

	(void)state;
	assert_int_equal(tf_attribute(500, 0, v, 1), 500);
	assert_int_equal(v[0].uj, 0);
	assert_int_equal(tf_attribute(500, 0, NULL, 0), 500);
	assert_int_equal(tf_attribute(0, 7, v, 1), 0);
}

/* No overflow where delta * weight exceeds 64 bits. */
static void test_large(void **state)
{
	struct tf_share v[] = { { 1, 40000000000ULL, 0 }, { 2, 10000000000ULL, 0 } };
	uint64_t rest;

	(void)state;
	rest = tf_attribute(10000000000000ULL, 0, v, 2);	/* 10 MJ */
	assert_int_equal(v[0].uj, 8000000000000ULL);
	assert_int_equal(v[1].uj, 2000000000000ULL);
	assert_int_equal(rest, 0);
}

/* Conservation on many random ticks: attributed + remainder == delta. */
static void test_conservation_random(void **state)
{
	struct tf_share v[300];
	unsigned int seed = 12345, t;
	size_t i, n;

	(void)state;
	for (t = 0; t < 2000; t++) {
		uint64_t delta = rand_r(&seed) % 5000000000ULL, rest_w, rest;

		n = rand_r(&seed) % 300;
		for (i = 0; i < n; i++) {
			v[i].tgid = rand_r(&seed) % 100000;
			v[i].weight = (uint64_t)rand_r(&seed) * (rand_r(&seed) % 1000);
		}
		rest_w = rand_r(&seed) % 3 ? (uint64_t)rand_r(&seed) : 0;
		rest = tf_attribute(delta, rest_w, v, n);
		assert_int_equal(sum(v, n) + rest, delta);
		for (i = 0; i < n; i++)
			if (!v[i].weight)
				assert_int_equal(v[i].uj, 0);
	}
}

/* The rule as documented, written plainly: floors, then a full ranking. */
struct ref_frac {
	unsigned __int128 frac;
	size_t idx;		/* n: the remainder */
	uint32_t tgid;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref_frac *x = a, *y = b;

	if (x->frac != y->frac)
		return x->frac > y->frac ? -1 : 1;
	if ((x->idx == SIZE_MAX) != (y->idx == SIZE_MAX))
		return x->idx == SIZE_MAX ? 1 : -1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static uint64_t ref_attribute(uint64_t delta, uint64_t rest_w, uint64_t *uj,
			      const struct tf_share *v, size_t n)
{
	struct ref_frac f[301];
	unsigned __int128 total = rest_w, e;
	uint64_t given = 0, rest, left;
	size_t i;

	for (i = 0; i < n; i++)
		total += v[i].weight;
	if (!total) {
		memset(uj, 0, n * sizeof(*uj));
		return delta;
	}
	for (i = 0; i < n; i++) {
		e = (unsigned __int128)delta * v[i].weight;
		uj[i] = (uint64_t)(e / total);
		given += uj[i];
		f[i] = (struct ref_frac){ e % total, i, v[i].tgid };
	}
	e = (unsigned __int128)delta * rest_w;
	rest = (uint64_t)(e / total);
	f[n] = (struct ref_frac){ e % total, SIZE_MAX, 0 };
	left = delta - given - rest;
	qsort(f, n + 1, sizeof(*f), ref_cmp);
	for (i = 0; i < left; i++) {
		if (f[i].idx == SIZE_MAX)
			rest++;
		else
			uj[f[i].idx]++;
	}
	return rest;
}

/*
 * The selection gives the µJ the full ranking gives, to the µJ: many equal
 * fractions (small weights), reused tgids, the remainder tied with
 * processes, products past 64 bits.
 */
static void test_same_as_full_ranking(void **state)
{
	struct tf_share v[300];
	uint64_t uj[300];
	unsigned int seed = 777, t;
	size_t i, n;

	(void)state;
	for (t = 0; t < 3000; t++) {
		uint64_t delta, rest_w, rest, want;
		unsigned int shape = t % 4;

		n = rand_r(&seed) % 300;
		delta = shape == 3 ? (uint64_t)rand_r(&seed) << 33 :
			rand_r(&seed) % (shape ? 5000000000ULL : 1000);
		for (i = 0; i < n; i++) {
			v[i].tgid = shape == 1 ? rand_r(&seed) % 8 : rand_r(&seed) % 100000;
			v[i].weight = shape == 0 ? (uint64_t)rand_r(&seed) % 4 :
				      shape == 3 ? (uint64_t)rand_r(&seed) << 20 :
				      (uint64_t)rand_r(&seed) * (rand_r(&seed) % 1000);
		}
		rest_w = rand_r(&seed) % 3 ? (uint64_t)rand_r(&seed) % (shape ? 1u << 30 : 4) : 0;
		want = ref_attribute(delta, rest_w, uj, v, n);
		rest = tf_attribute(delta, rest_w, v, n);
		assert_int_equal(rest, want);
		for (i = 0; i < n; i++)
			assert_int_equal(v[i].uj, uj[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proportional),
		cmocka_unit_test(test_remainder_rule),
		cmocka_unit_test(test_no_weight),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_conservation_random),
		cmocka_unit_test(test_same_as_full_ranking),
	};

	return TF_RUN_TESTS("attrib", tests);
}
