/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Domains: host, CPU packages, DRAM, GPUs. Each has a meter, a cumulative
 * energy counter, a recent power figure and caps. All state here is guarded
 * by tf_lock (tokenfactory.h).
 */
#ifndef _TF_DOMAIN_H
#define _TF_DOMAIN_H

#include <linux/netlink.h>
#include <linux/types.h>
#include <linux/tokenfactory.h>

#define TF_MAX_DOMAINS	64
#define TF_MAX_GPUS	16

struct tf_meter;

struct tf_domain {
	u32 id;				/* index in the table, stable */
	char name[TF_NAME_LEN];
	enum tf_domain_type type;
	enum tf_meter_kind meter_kind;
	bool estimated;
	struct tf_meter *meter;		/* kernel-read meters only */
	unsigned int index;		/* package or GPU number */

	u64 energy_uj;			/* cumulative, never decreases */
	bool has_cores;			/* RAPL reads the cores' part too */
	u64 core_uj;			/* the cores' part of energy_uj */
	u64 power_uw;
	u64 max_power_uw;
	u64 last_sample_uj;		/* energy at the last power figure */

	u64 push_dev_uj;		/* pushed: the device's last counter */
	u64 push_ns;

	u64 cap_uw;
	u64 failsafe_cap_uw;
	u64 eff_cap_uw;
	enum tf_cap_state cap_state;
	u32 levers;
	u32 perf_pct;
	int lever_err;			/* last tf_lever_set() failure */
	struct {			/* as last announced */
		u64 cap_uw;
		u64 failsafe_cap_uw;
		u64 eff_cap_uw;
		enum tf_cap_state cap_state;
		u32 perf_pct;
	} told;

	/* what unprivileged readers see: a snapshot at least 1 s old */
	u64 coarse_uj;
	u64 coarse_next_uj;
	u64 coarse_power_uw;
};

int tf_domain_init(void);
void tf_domain_exit(void);

unsigned int tf_domain_count(void);
struct tf_domain *tf_domain_get(unsigned int id);
struct tf_domain *tf_domain_find(const char *name);
u64 tf_domain_energy_for(const struct tf_domain *d, bool privileged);
u64 tf_domain_power_for(const struct tf_domain *d, bool privileged);

void tf_domain_set_caps(struct tf_domain *d, const u64 *cap_uw,
			const u64 *failsafe_uw);
int tf_domain_push(const char *name, u64 energy_uj, const u64 *power_uw,
		   const u64 *max_power_uw, struct netlink_ext_ack *extack);
u64 tf_domain_push_rejects(void);
unsigned int tf_domain_period_ms(void);
void tf_domain_apply_caps(void);

#endif /* _TF_DOMAIN_H */
