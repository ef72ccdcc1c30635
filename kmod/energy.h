/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Energy arithmetic with no kernel state: RAPL unit decoding, wrap-safe
 * counter deltas, the sampling period that keeps a wrap from being missed,
 * the estimate meter's model, the check of pushed counters, the cap-to-
 * performance map, the CPU levers' settings and coarsening. Built into the
 * module and, from the same file, into the unit tests (tests/unit/kshim
 * provides the few kernel helpers it needs).
 */
#ifndef _TF_ENERGY_H
#define _TF_ENERGY_H

#include <linux/types.h>

#define TF_UJ_PER_J	1000000ULL

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

/* What an unprivileged reader sees: whole joules. */
static inline u64 tf_coarse_uj(u64 uj)
{
	return uj - uj % TF_UJ_PER_J;
}

u64 tf_rapl_to_uj(u64 raw, unsigned int esu);
u64 tf_rapl_period_ms(unsigned int esu, u32 max_watts);
u64 tf_estimate_nj(u32 idle_w, u32 max_w, u64 busy_ns, u32 ncpus, u64 dt_ns);
u64 tf_power_uw(u64 delta_uj, u64 dt_ns);
int tf_push_check(u64 prev_uj, u64 now_uj, u64 dt_ns, u64 max_power_uw);
u32 tf_cap_to_perf_pct(u64 cap_uw, u32 idle_w, u32 max_w);
u32 tf_perf_feedback(u32 perf_pct, u64 power_uw, u64 cap_uw, u64 max_uw);

/*
 * The CPU levers (kmod/lever.c). Idle is injected in periods of
 * TF_IDLE_PERIOD_NS, at most TF_IDLE_MAX_PCT percent of each; see
 * kmod/lever.c for why these two values.
 */
#define TF_IDLE_PERIOD_NS	20000000ULL
#define TF_IDLE_MAX_PCT		90U

u32 tf_perf_to_freq_khz(u32 perf_pct, u32 min_khz, u32 max_khz);
u32 tf_perf_to_idle_pct(u32 perf_pct, u32 min_khz, u32 max_khz);
u64 tf_idle_ns(u32 idle_pct, u64 period_ns);
u64 tf_idle_next_start(u64 now_ns, u64 period_ns);
u64 tf_idle_due_ns(u64 due_ns, u64 now_ns, u64 period_ns);
u64 tf_idle_request_ns(u64 share_ns, u64 debt_ns);
u64 tf_idle_debt_ns(u64 debt_ns, u64 share_ns, u64 actual_ns, u64 period_ns);

#endif /* _TF_ENERGY_H */
