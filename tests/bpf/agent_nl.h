/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NETLINK DOUBLE for the agent tests of this directory: where tokenfactoryd
 * talks to tokenfactory.ko (agent/tf_nl.h), the module's side, for a build
 * host without the module. Include it in exactly one file of a test binary.
 *
 * Domains: nl_domains.h's, package-0 and dram-0 advancing by fixed
 * amounts per read. The ledger push adds each row to per-domain
 * totals and to the record of its pid if the test watches it.
 */
#ifndef TF_TESTS_BPF_AGENT_NL_H
#define TF_TESTS_BPF_AGENT_NL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl_domains.h"
#include "tf_nl.h"

#define ND_PKG_STEP	1000003ULL	/* µJ per read */
#define ND_DRAM_STEP	100019ULL
#define ND_DOMS		(3 + ND_MAX_GPUS)
#define ND_WATCH	8

struct nd_proc {
	uint32_t pid;
	unsigned int rows, named;	/* rows pushed; of them with a name */
	char comm[16];			/* the last name pushed */
	uint64_t uj[ND_DOMS];
};

static struct {
	uint64_t reads;			/* tf_nl_domains calls that answered */
	uint64_t pushed[ND_DOMS];	/* ledger energy per domain id */
	struct nd_gpus gpus;		/* as the agent pushed them */
	struct nd_proc watch[ND_WATCH];
	int push_err;			/* the next push fails with it, once */
} nd;

struct tf_nl {
	int unused;
};

static inline struct nd_proc *nd_watch(uint32_t pid)
{
	unsigned int i;

	for (i = 0; i < ND_WATCH; i++)
		if (nd.watch[i].pid == pid || !nd.watch[i].pid) {
			nd.watch[i].pid = pid;
			return &nd.watch[i];
		}
	return NULL;
}

int tf_nl_open(struct tf_nl **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void tf_nl_close(struct tf_nl *nl)
{
	free(nl);
}

int tf_nl_heartbeat(struct tf_nl *nl)
{
	(void)nl;
	return 0;
}

int tf_nl_energy_push(struct tf_nl *nl, const char *name, uint64_t energy_uj,
		      const uint64_t *power_uw, const uint64_t *max_uw)
{
	(void)nl; (void)power_uw; (void)max_uw;
	return nd_gpu_push(&nd.gpus, name, energy_uj);
}

/* allocated as the real client's dump is */
int tf_nl_domains(struct tf_nl *nl, struct tf_domain_info **out,
		  unsigned int *n)
{
	int err;

	(void)nl;
	err = nd_domains(&nd.gpus, nd.gpus.n, (nd.reads + 1) * ND_PKG_STEP,
			 (nd.reads + 1) * ND_DRAM_STEP, out, n);
	if (!err)
		nd.reads++;
	return err;
}

int tf_nl_signal_get(struct tf_nl *nl, struct tf_signal_info *s)
{
	(void)nl;
	memset(s, 0, sizeof(*s));
	s->set = true;
	s->surplus_uw = 100000000;
	return 0;
}

int tf_nl_ledger_push(struct tf_nl *nl, uint32_t green_ppm,
		      const struct tf_ledger_row *rows, unsigned int n)
{
	unsigned int i, k, w;

	(void)nl;
	(void)green_ppm;
	if (nd.push_err) {
		int err = nd.push_err;

		nd.push_err = 0;
		return err;
	}
	for (i = 0; i < n; i++) {
		struct nd_proc *p = NULL;

		for (w = 0; w < ND_WATCH; w++)
			if (nd.watch[w].pid && nd.watch[w].pid == rows[i].pid)
				p = &nd.watch[w];
		if (p) {
			p->rows++;
			if (rows[i].comm[0]) {
				p->named++;
				memcpy(p->comm, rows[i].comm, sizeof(p->comm));
			}
		}
		for (k = 0; k < rows[i].n_energy; k++) {
			uint32_t id = rows[i].energy[k].domain_id;

			if (id >= ND_DOMS)
				continue;
			nd.pushed[id] += rows[i].energy[k].uj;
			if (p)
				p->uj[id] += rows[i].energy[k].uj;
		}
	}
	return 0;
}

#endif /* TF_TESTS_BPF_AGENT_NL_H */
