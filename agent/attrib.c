// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdlib.h>

#include "attrib.h"

typedef unsigned __int128 u128;

struct tf_frac {
	u128 frac;		/* numerator of the fractional part, over total */
	size_t idx;		/* into v, or n for the remainder participant */
	uint32_t tgid;
};

/* The ranking: larger fraction, processes before the remainder, lower tgid. */
static bool tf_frac_before(const struct tf_frac *x, const struct tf_frac *y)
{
	if (x->frac != y->frac)
		return x->frac > y->frac;
	if ((x->idx == SIZE_MAX) != (y->idx == SIZE_MAX))
		return y->idx == SIZE_MAX;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid;
	return x->idx < y->idx;		/* a reused tgid: input order */
}

static int tf_frac_cmp(const void *a, const void *b)
{
	const struct tf_frac *x = a, *y = b;

	return tf_frac_before(x, y) ? -1 : tf_frac_before(y, x);
}

static void tf_frac_swap(struct tf_frac *a, struct tf_frac *b)
{
	struct tf_frac t = *a;

	*a = *b;
	*b = t;
}

/*
 * Puts the k first of f[0..n) by the ranking in f[0..k), in any order: only
 * which participants get a µJ matters, and the ranking is a total order, so
 * that set is the same whatever the input order. Quickselect (median of
 * three), linear on average where the full sort it replaces showed in
 * profiles; a sort bounds the rare bad case.
 */
static void tf_frac_select(struct tf_frac *f, size_t n, size_t k)
{
	size_t lo = 0, hi = n, depth = 0;

	while (hi - lo > 1 && k > lo && k < hi) {
		size_t mid = lo + (hi - lo) / 2, i, p;

		if (++depth > 64) {
			qsort(f + lo, hi - lo, sizeof(*f), tf_frac_cmp);
			return;
		}
		/* the median of f[lo], f[mid], f[hi - 1] as the pivot, at hi - 1 */
		if (tf_frac_before(&f[mid], &f[lo]))
			tf_frac_swap(&f[mid], &f[lo]);
		if (tf_frac_before(&f[hi - 1], &f[lo]))
			tf_frac_swap(&f[hi - 1], &f[lo]);
		if (tf_frac_before(&f[mid], &f[hi - 1]))
			tf_frac_swap(&f[mid], &f[hi - 1]);
		for (i = p = lo; i < hi - 1; i++)
			if (tf_frac_before(&f[i], &f[hi - 1]))
				tf_frac_swap(&f[i], &f[p++]);
		tf_frac_swap(&f[p], &f[hi - 1]);
		/* f[lo..p) rank before f[p], f[p + 1..hi) after it */
		if (k <= p)
			hi = p;
		else
			lo = p + 1;
	}
}

uint64_t tf_attribute(uint64_t delta_uj, uint64_t rest_weight,
		      struct tf_share *v, size_t n)
{
	u128 total = rest_weight, exact;
	uint64_t given = 0, rest, left;
	struct tf_frac *f;
	size_t i;

	for (i = 0; i < n; i++)
		total += v[i].weight;
	if (!total) {
		for (i = 0; i < n; i++)
			v[i].uj = 0;
		return delta_uj;
	}
	f = malloc((n + 1) * sizeof(*f));
	for (i = 0; i < n; i++) {
		u128 frac;

		exact = (u128)delta_uj * v[i].weight;
		/* one 64-bit division where it fits, as it does at a 1 s tick */
		if (!(exact >> 64) && !(total >> 64)) {
			v[i].uj = (uint64_t)exact / (uint64_t)total;
			frac = (uint64_t)exact % (uint64_t)total;
		} else {
			v[i].uj = (uint64_t)(exact / total);
			frac = exact % total;
		}
		given += v[i].uj;
		if (f) {
			f[i].frac = frac;
			f[i].idx = i;
			f[i].tgid = v[i].tgid;
		}
	}
	exact = (u128)delta_uj * rest_weight;
	rest = (uint64_t)(exact / total);
	left = delta_uj - given - rest;	/* < n + 1 */
	if (!f)			/* no memory for the ranking: the remainder keeps it */
		return rest + left;
	f[n].frac = exact % total;
	f[n].idx = SIZE_MAX;
	f[n].tgid = 0;
	tf_frac_select(f, n + 1, left);
	for (i = 0; left; i++, left--) {
		if (f[i].idx == SIZE_MAX)
			rest++;
		else
			v[f[i].idx].uj++;
	}
	free(f);
	return rest;
}
