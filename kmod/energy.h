/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Energy arithmetic with no kernel state: RAPL unit decoding, wrap-safe
 * counter deltas and the sampling period that keeps a wrap from being
 * missed. Built into the module and, from the same file, into the unit
 * tests (tests/unit/kshim provides the few kernel helpers it needs).
 */
#ifndef _TF_ENERGY_H
#define _TF_ENERGY_H

#include <linux/types.h>

/* Energy Status Units: bits 12:8 of the RAPL power unit MSR. */
static inline unsigned int tf_rapl_esu(u64 unit_msr)
{
	return (unit_msr >> 8) & 0x1f;
}

/*
 * Some hypervisors (QEMU's TCG among them) answer unknown MSRs with 0
 * instead of a fault. Real parts report ESU 14 (Intel) or 16 (AMD); accept a
 * margin around them, never 0.
 */
static inline bool tf_rapl_unit_plausible(u64 unit_msr)
{
	unsigned int esu = tf_rapl_esu(unit_msr);

	return esu >= 8 && esu <= 20;
}

/* Counter delta of a 32-bit RAPL energy status register, across one wrap. */
static inline u32 tf_rapl_delta(u32 prev, u32 now)
{
	return now - prev;
}

u64 tf_rapl_to_uj(u64 raw, unsigned int esu);
u64 tf_rapl_period_ms(unsigned int esu, u32 max_watts);

#endif /* _TF_ENERGY_H */
