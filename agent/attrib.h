/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution: one tick's metered energy of one domain, split over the
 * processes that used it, exactly. The policy math lives here once, shared
 * by the agent, tfctl and the tests.
 */
#ifndef TF_ATTRIB_H
#define TF_ATTRIB_H

#include <stddef.h>
#include <stdint.h>

struct tf_share {
	uint32_t tgid;
	uint64_t weight;	/* in: cycles, or on-CPU ns, or GPU busy time */
	uint64_t uj;		/* out: this process's energy */
};

/*
 * Splits delta_uj over v[0..n) in proportion to weight, with rest_weight
 * (idle time, work no process was seen doing) as one more participant
 * whose share is returned: the idle/system remainder.
 *
 * Integer µJ, largest-remainder rule: everyone first gets the floor of the
 * exact share; the few µJ the floors leave go one each to the largest
 * fractional parts, ties to the lower tgid (the remainder participant
 * ranks after every process). So sum(v[].uj) + return == delta_uj, always.
 * With no weight at all, everything is remainder.
 */
uint64_t tf_attribute(uint64_t delta_uj, uint64_t rest_weight,
		      struct tf_share *v, size_t n);

#endif /* TF_ATTRIB_H */
