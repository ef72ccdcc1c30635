// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "attrib.h"

/* The weight procs give this domain; 0 for a domain nobody is weighed on. */
static uint64_t tf_weight(const struct tf_dom_tick *d,
			  const struct tf_proc_tick *p)
{
	switch (d->type) {
	case TF_DOMAIN_PACKAGE:
	case TF_DOMAIN_DRAM:
		return d->index < TF_ACCT_MAX_PKGS ? p->cpu[d->index] : 0;
	case TF_DOMAIN_GPU:
		return d->index < TF_ACCT_MAX_GPUS ? p->gpu[d->index] : 0;
	default:
		return 0;
	}
}

int tf_account_tick(struct tf_dom_tick *doms, size_t nd,
		    const struct tf_proc_tick *procs, size_t np,
		    struct tf_ledger_row *rows)
{
	struct tf_share *v = malloc((np ? np : 1) * sizeof(*v));
	size_t *from = malloc((np ? np : 1) * sizeof(*from));
	size_t d, i, n, out = 0;

	if (!v || !from) {
		free(v);
		free(from);
		return -ENOMEM;
	}
	for (i = 0; i < np; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].pid = procs[i].tgid;
		memcpy(rows[i].comm, procs[i].comm, sizeof(rows[i].comm));
	}
	for (d = 0; d < nd; d++) {
		struct tf_dom_tick *dom = &doms[d];
		uint64_t rest_w = 0;

		if (dom->type == TF_DOMAIN_HOST) {
			dom->rest_uj = 0;
			continue;
		}
		/* processes weighed on this domain; the idle tasks are the rest */
		for (i = 0, n = 0; i < np; i++) {
			uint64_t w = tf_weight(dom, &procs[i]);

			if (!w)
				continue;
			if (!procs[i].tgid) {
				rest_w += w;
				continue;
			}
			v[n].tgid = procs[i].tgid;
			v[n].weight = w;
			from[n++] = i;
		}
		dom->rest_uj = tf_attribute(dom->delta_uj, rest_w, v, n);
		/* at most one entry per domain per row: never more than fit */
		for (i = 0; i < n; i++) {
			struct tf_ledger_row *r = &rows[from[i]];

			if (!v[i].uj)
				continue;
			r->energy[r->n_energy].domain_id = dom->id;
			r->energy[r->n_energy].uj = v[i].uj;
			r->n_energy++;
		}
	}
	free(v);
	free(from);
	/* compact: rows with energy first, in input order */
	for (i = 0; i < np; i++)
		if (rows[i].n_energy && rows[i].pid)
			rows[out++] = rows[i];
	return (int)out;
}

uint32_t tf_green_ppm(uint64_t surplus_uw, bool stale, uint64_t dt_ns,
		      uint64_t host_uj)
{
	unsigned __int128 surplus_uj;

	if (stale || !host_uj)
		return 0;
	/* µW * ns / 10^9 = µJ */
	surplus_uj = (unsigned __int128)surplus_uw * dt_ns / 1000000000U;
	if (surplus_uj >= host_uj)
		return 1000000;
	return (uint32_t)(surplus_uj * 1000000 / host_uj);
}
