/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's energy domains as the NETLINK DOUBLEs model them (the
 * benchmarks' and the agent tests' stand-ins for tokenfactory.ko, which a
 * build host does not have): host (id 0, the sum of the others),
 * package-0 (1), dram-0 (2), and gpu-N (3 + N) holding the counter the
 * agent last pushed as gpu-N's energy. How package-0 and dram-0 advance
 * is the caller's: by time, or by a fixed step per read.
 */
#ifndef TF_TESTS_NL_DOMAINS_H
#define TF_TESTS_NL_DOMAINS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tf_nl.h"

#define ND_MAX_GPUS	16

struct nd_gpus {
	uint64_t uj[ND_MAX_GPUS];	/* as the agent pushed them */
	unsigned int n;			/* gpu-0 .. gpu-(n - 1) pushed so far */
};

/* tf_nl_energy_push()'s model: -EINVAL for a name that is no gpu-N. */
static inline int nd_gpu_push(struct nd_gpus *g, const char *name,
			      uint64_t energy_uj)
{
	unsigned int i;

	if (sscanf(name, "gpu-%u", &i) != 1 || i >= ND_MAX_GPUS)
		return -EINVAL;
	g->uj[i] = energy_uj;
	if (i >= g->n)
		g->n = i + 1;
	return 0;
}

static inline void nd_dom(struct tf_domain_info *d, uint32_t id,
			  const char *name, uint32_t type, uint64_t uj)
{
	d->id = id;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->type = type;
	d->energy_uj = uj;
}

/*
 * tf_nl_domains()'s answer with ngpus GPU domains (at most ND_MAX_GPUS),
 * allocated as the real client's dump is; -ENOMEM.
 */
static inline int nd_domains(const struct nd_gpus *g, unsigned int ngpus,
			     uint64_t package_uj, uint64_t dram_uj,
			     struct tf_domain_info **out, unsigned int *n)
{
	struct tf_domain_info *v = calloc(3 + ngpus, sizeof(*v));
	uint64_t host = package_uj + dram_uj;
	unsigned int i;

	if (!v)
		return -ENOMEM;
	nd_dom(&v[1], 1, "package-0", TF_DOMAIN_PACKAGE, package_uj);
	nd_dom(&v[2], 2, "dram-0", TF_DOMAIN_DRAM, dram_uj);
	for (i = 0; i < ngpus; i++) {
		char name[TF_NAME_LEN];

		snprintf(name, sizeof(name), "gpu-%u", i);
		nd_dom(&v[3 + i], 3 + i, name, TF_DOMAIN_GPU, g->uj[i]);
		host += g->uj[i];
	}
	nd_dom(&v[0], 0, "host", TF_DOMAIN_HOST, host);
	*out = v;
	*n = 3 + ngpus;
	return 0;
}

#endif /* TF_TESTS_NL_DOMAINS_H */
