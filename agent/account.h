/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One tick of accounting: each domain's metered energy delta, split over
 * the processes by their use of that domain (a package's and its DRAM's by
 * CPU weight on that package, a GPU's by busy time on that GPU), into ledger
 * rows. Pure: the agent feeds it from the module, the sensor and NVML.
 */
#ifndef TF_ACCOUNT_H
#define TF_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attrib.h"
#include "tf_nl.h"

#define TF_ACCT_MAX_PKGS 16
#define TF_ACCT_MAX_GPUS 16

struct tf_dom_tick {
	uint32_t id;		/* the module's domain id */
	uint32_t type;		/* enum tf_domain_type */
	uint32_t index;		/* package or GPU number */
	uint64_t delta_uj;	/* in: metered this tick */
	uint64_t rest_uj;	/* out: the idle/system remainder */
};

struct tf_proc_tick {
	uint32_t tgid;		/* 0: the idle tasks, part of the remainder */
	char comm[16];		/* optional: labels the bill of one already gone */
	uint64_t cpu[TF_ACCT_MAX_PKGS];	/* weight per package */
	uint64_t gpu[TF_ACCT_MAX_GPUS];	/* weight per GPU */
};

/*
 * Storage a caller keeps across ticks: the rows' energy entries (one pool
 * per tick, rows point into it) and the split's scratch. Grown as needed,
 * never shrunk; zero-initialise, tf_acct_buf_free() at the end.
 */
struct tf_acct_buf {
	struct tf_energy_row *e;
	size_t ecap;
	struct tf_share *v;
	size_t *from;
	size_t vcap;
};

void tf_acct_buf_free(struct tf_acct_buf *b);

/*
 * Fills rows[i] for procs[i] (rows must have np entries) and each domain's
 * rest_uj. For every domain: sum of its rows' energy + rest_uj == delta_uj.
 * The host domain is not split (it is the sum of the others). A row has at
 * most one entry per domain, in domain order; its entries are in buf->e and
 * stay valid until the next call with buf. nd is at most
 * TF_NL_MAX_ENERGIES. Returns the number of rows with any energy,
 * compacted to the front in input order, or -ENOMEM.
 */
int tf_account_tick(struct tf_dom_tick *doms, size_t nd,
		    const struct tf_proc_tick *procs, size_t np,
		    struct tf_ledger_row *rows, struct tf_acct_buf *buf);

/*
 * The share of a tick's host energy that surplus covered, in parts per
 * million: the surplus energy of the interval over the host's, at most all
 * of it. A stale or missing signal covers nothing.
 */
uint32_t tf_green_ppm(uint64_t surplus_uw, bool stale, uint64_t dt_ns,
		      uint64_t host_uj);

#endif /* TF_ACCOUNT_H */
