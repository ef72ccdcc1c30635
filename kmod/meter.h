/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Meters the kernel reads itself: RAPL per package (and DRAM), or the
 * estimate model where there is no RAPL.
 */
#ifndef _TF_METER_H
#define _TF_METER_H

#include <linux/types.h>
#include <linux/tokenfactory.h>

struct tf_meter {
	char name[TF_NAME_LEN];
	enum tf_meter_kind kind;
	enum tf_domain_type type;	/* TF_DOMAIN_PACKAGE or _DRAM */
	unsigned int pkg;
	unsigned int cpu;		/* a CPU of the package, to read its MSRs */
	u64 energy_uj;			/* cumulative, never decreases */
	u32 max_watts;			/* physical bound of this meter */
	/* RAPL */
	u32 msr;
	unsigned int esu;
	u32 last_raw;
	u64 raw_total;
	/* RAPL: the cores' part of a package (PP0 / AMD core), if readable */
	u32 core_msr;
	unsigned int core_esu;
	u32 core_last_raw;
	u64 core_raw_total;
	u64 core_uj;
	/* estimate */
	u64 last_busy_ns;
	u64 rem_nj;
};

int tf_meter_init(void);
void tf_meter_exit(void);
unsigned int tf_meter_count(void);
struct tf_meter *tf_meter_get(unsigned int i);
void tf_meter_sample(struct tf_meter *m, u64 dt_ns);
unsigned int tf_meter_period_ms(unsigned int wanted_ms);
u32 tf_meter_est_idle_watts(void);
u32 tf_meter_est_max_watts(void);

static inline bool tf_meter_estimated(const struct tf_meter *m)
{
	return m->kind == TF_METER_ESTIMATE;
}

#endif /* _TF_METER_H */
