// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "attrib.h"

typedef unsigned __int128 u128;

struct tf_frac {
	u128 frac;		/* numerator of the fractional part, over total */
	size_t idx;		/* into v, or n for the remainder participant */
	uint32_t tgid;
};

static int tf_frac_cmp(const void *a, const void *b)
{
	const struct tf_frac *x = a, *y = b;

	if (x->frac != y->frac)
		return x->frac > y->frac ? -1 : 1;
	if ((x->idx == SIZE_MAX) != (y->idx == SIZE_MAX))
		return x->idx == SIZE_MAX ? 1 : -1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
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
		exact = (u128)delta_uj * v[i].weight;
		v[i].uj = (uint64_t)(exact / total);
		given += v[i].uj;
		if (f) {
			f[i].frac = exact % total;
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
	qsort(f, n + 1, sizeof(*f), tf_frac_cmp);
	for (i = 0; left; i++, left--) {
		if (f[i].idx == SIZE_MAX)
			rest++;
		else
			v[f[i].idx].uj++;
	}
	free(f);
	return rest;
}
