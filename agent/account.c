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

void tf_acct_buf_free(struct tf_acct_buf *b)
{
	free(b->e);
	free(b->v);
	free(b->from);
	memset(b, 0, sizeof(*b));
}

/* Room for np shares and ne entries; grown by half again, never shrunk. */
static int tf_acct_reserve(struct tf_acct_buf *b, size_t np, size_t ne)
{
	if (np > b->vcap) {
		size_t cap = np > b->vcap + b->vcap / 2 ? np : b->vcap + b->vcap / 2;
		struct tf_share *v = realloc(b->v, cap * sizeof(*v));
		size_t *from;

		if (!v)
			return -ENOMEM;
		b->v = v;
		from = realloc(b->from, cap * sizeof(*from));
		if (!from)
			return -ENOMEM;
		b->from = from;
		b->vcap = cap;
	}
	if (ne > b->ecap) {
		size_t cap = ne > b->ecap + b->ecap / 2 ? ne : b->ecap + b->ecap / 2;
		struct tf_energy_row *e = realloc(b->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		b->e = e;
		b->ecap = cap;
	}
	return 0;
}

/* The entries a process's row may need: one per domain it is weighed on. */
static unsigned int tf_room(const struct tf_dom_tick *doms, size_t nd,
			    const struct tf_proc_tick *p)
{
	unsigned int c = 0;
	size_t d;

	for (d = 0; p->tgid && d < nd; d++)
		if (doms[d].type != TF_DOMAIN_HOST && tf_weight(&doms[d], p))
			c++;
	return c;
}

int tf_account_tick(struct tf_dom_tick *doms, size_t nd,
		    const struct tf_proc_tick *procs, size_t np,
		    struct tf_ledger_row *rows, struct tf_acct_buf *buf)
{
	size_t d, i, n, ne, out = 0;
	struct tf_share *v;
	size_t *from;
	int err;

	/*
	 * Each row's room: one entry per domain it is weighed on (an entry
	 * is only written for energy, so some rooms end part empty). Counted
	 * before anything is written: without memory, rows stay as they were.
	 */
	for (i = 0, ne = 0; i < np; i++)
		ne += tf_room(doms, nd, &procs[i]);
	err = tf_acct_reserve(buf, np, ne);
	if (err)
		return err;
	for (i = 0, ne = 0; i < np; i++) {
		unsigned int room = tf_room(doms, nd, &procs[i]);

		rows[i].pid = procs[i].tgid;
		memcpy(rows[i].comm, procs[i].comm, sizeof(rows[i].comm));
		rows[i].tokens = 0;
		rows[i].n_energy = 0;
		rows[i].energy = room ? buf->e + ne : NULL;
		ne += room;
	}
	v = buf->v;
	from = buf->from;
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
		/* at most one entry per domain per row: within its room */
		for (i = 0; i < n; i++) {
			struct tf_ledger_row *r = &rows[from[i]];

			if (!v[i].uj)
				continue;
			r->energy[r->n_energy].domain_id = dom->id;
			r->energy[r->n_energy].uj = v[i].uj;
			r->n_energy++;
		}
	}
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
