// SPDX-License-Identifier: GPL-2.0
/*
 * Domains and their sampling. A delayed work item samples every meter each
 * sample_ms (shortened so no RAPL wrap can be missed), derives power, sums
 * the host, keeps the coarse snapshots unprivileged readers see, and re-
 * applies caps (the feedback loop where a real meter exists).
 */
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include "domain.h"
#include "energy.h"
#include "group.h"
#include "heartbeat.h"
#include "ledger.h"
#include "lever.h"
#include "meter.h"
#include "netlink.h"
#include "powercap.h"
#include "signal.h"
#include "tokenfactory.h"

static unsigned int sample_ms = 100;
module_param(sample_ms, uint, 0444);
MODULE_PARM_DESC(sample_ms, "Meter sampling period, ms (10..1000, default 100; shorter where RAPL needs it)");

static unsigned int failsafe_pct = 50;
module_param(failsafe_pct, uint, 0444);
MODULE_PARM_DESC(failsafe_pct, "Default fail-safe cap of each package and GPU, percent of its maximum power (1..100, default 50)");

static struct tf_domain tf_domains[TF_MAX_DOMAINS];
static unsigned int tf_nr_domains;
static struct tf_domain *tf_host;
static u64 tf_push_rejects;
static u64 tf_last_sample_ns;
static u64 tf_last_coarse_ns;
static unsigned int tf_period_ms;

static void tf_sample_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(tf_sample_work, tf_sample_fn);

static struct tf_domain *tf_domain_add(const char *name,
				       enum tf_domain_type type,
				       enum tf_meter_kind kind,
				       unsigned int index, u64 max_power_uw)
{
	struct tf_domain *d;

	if (tf_nr_domains >= TF_MAX_DOMAINS)
		return NULL;
	d = &tf_domains[tf_nr_domains];
	memset(d, 0, sizeof(*d));
	d->id = tf_nr_domains++;
	strscpy(d->name, name, sizeof(d->name));
	d->type = type;
	d->meter_kind = kind;
	d->estimated = kind == TF_METER_ESTIMATE;
	d->index = index;
	d->max_power_uw = max_power_uw;
	d->cap_state = TF_CAP_NONE;
	d->perf_pct = 100;
	if (type == TF_DOMAIN_PACKAGE || type == TF_DOMAIN_GPU)
		d->failsafe_cap_uw = div_u64(max_power_uw * failsafe_pct, 100);
	tf_generation_bump();
	/* queues its zone's registration: a no-op until powercap is up */
	tf_powercap_add_domain(d);
	return d;
}

unsigned int tf_domain_count(void)
{
	return tf_nr_domains;
}

struct tf_domain *tf_domain_get(unsigned int id)
{
	return id < tf_nr_domains ? &tf_domains[id] : NULL;
}

struct tf_domain *tf_domain_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < tf_nr_domains; i++)
		if (!strcmp(tf_domains[i].name, name))
			return &tf_domains[i];
	return NULL;
}

u64 tf_domain_energy_for(const struct tf_domain *d, bool privileged)
{
	return privileged ? d->energy_uj : d->coarse_uj;
}

u64 tf_domain_power_for(const struct tf_domain *d, bool privileged)
{
	return privileged ? d->power_uw : d->coarse_power_uw;
}

/* The sampling period, ms; fixed once the module is loaded. */
unsigned int tf_domain_period_ms(void)
{
	return tf_period_ms;
}

u64 tf_domain_push_rejects(void)
{
	return tf_push_rejects;
}

/* The host is the sum of every other domain: monotonic because they are. */
static void tf_host_sum(void)
{
	u64 energy = 0, power = 0, max = 0;
	unsigned int i;

	for (i = 0; i < tf_nr_domains; i++) {
		struct tf_domain *d = &tf_domains[i];

		if (d == tf_host)
			continue;
		energy += d->energy_uj;
		power += d->power_uw;
		max += d->max_power_uw;
		if (d->estimated)
			tf_host->estimated = true;
	}
	tf_host->energy_uj = energy;
	tf_host->power_uw = power;
	tf_host->max_power_uw = max;
}

/*
 * The part of the host cap left for a package once the domains the kernel
 * cannot hold (DRAM, GPUs) have drawn their current power, split over the
 * packages by their maximum power. 0: no host cap.
 */
static u64 tf_host_share_uw(const struct tf_domain *pkg)
{
	u64 others = 0, pkg_max = 0;
	unsigned int i;

	if (!tf_host->eff_cap_uw)
		return 0;
	for (i = 0; i < tf_nr_domains; i++) {
		const struct tf_domain *d = &tf_domains[i];

		if (d->type == TF_DOMAIN_PACKAGE)
			pkg_max += d->max_power_uw;
		else if (d != tf_host)
			others += d->power_uw;
	}
	if (others >= tf_host->eff_cap_uw || !pkg_max)
		return 1;	/* nothing left: the deepest setting */
	return div64_u64((tf_host->eff_cap_uw - others) * pkg->max_power_uw,
			 pkg_max);
}

static u32 tf_package_perf(struct tf_domain *d, u64 cap_uw)
{
	if (d->meter_kind == TF_METER_ESTIMATE)
		return tf_cap_to_perf_pct(cap_uw, tf_meter_est_idle_watts(),
					  tf_meter_est_max_watts());
	/* a real meter: integral feedback on the measured power */
	return tf_perf_feedback(d->perf_pct, d->power_uw, cap_uw,
				d->max_power_uw);
}

static void tf_apply_package(struct tf_domain *d)
{
	u64 cap = d->eff_cap_uw, share = tf_host_share_uw(d);
	u32 perf = 100;
	bool reachable = true;

	if (share && (!cap || share < cap))
		cap = share;
	if (cap) {
		perf = tf_package_perf(d, cap);
		reachable = perf > 0;
	}
	/* pull the levers only on a change, or to retry a failure */
	if (perf != d->perf_pct || d->lever_err)
		d->lever_err = tf_lever_set(d->index, perf, &d->levers);
	d->perf_pct = perf;
	if (!cap)
		d->cap_state = TF_CAP_NONE;
	else if (d->lever_err || !reachable || (perf < 100 && !d->levers))
		d->cap_state = TF_CAP_UNENFORCEABLE;
	else
		d->cap_state = TF_CAP_ENFORCED;
}

/* In fail-safe the lower of the two caps holds: the fail-safe never lifts one. */
static u64 tf_effective_cap(const struct tf_domain *d, bool failsafe)
{
	if (!failsafe || !d->failsafe_cap_uw)
		return d->cap_uw;
	if (!d->cap_uw)
		return d->failsafe_cap_uw;
	return min(d->cap_uw, d->failsafe_cap_uw);
}

/* The host holds when every package it leans on holds. */
static void tf_apply_host(void)
{
	unsigned int i;

	tf_host->cap_state = tf_host->eff_cap_uw ? TF_CAP_ENFORCED : TF_CAP_NONE;
	if (!tf_host->eff_cap_uw)
		return;
	for (i = 0; i < tf_nr_domains; i++)
		if (tf_domains[i].type == TF_DOMAIN_PACKAGE &&
		    tf_domains[i].cap_state != TF_CAP_ENFORCED)
			tf_host->cap_state = TF_CAP_UNENFORCEABLE;
}

/* Recomputes effective caps and pulls the levers; announces what changed. */
void tf_domain_apply_caps(void)
{
	bool failsafe = tf_failsafe_active();
	unsigned int i;

	for (i = 0; i < tf_nr_domains; i++)
		tf_domains[i].eff_cap_uw = tf_effective_cap(&tf_domains[i],
							    failsafe);
	for (i = 0; i < tf_nr_domains; i++) {
		struct tf_domain *d = &tf_domains[i];

		switch (d->type) {
		case TF_DOMAIN_PACKAGE:
			tf_apply_package(d);
			break;
		case TF_DOMAIN_GPU:
			/* stored and announced: the agent applies it */
			d->cap_state = d->eff_cap_uw ? TF_CAP_AGENT : TF_CAP_NONE;
			break;
		case TF_DOMAIN_DRAM:
			/* no DRAM lever in the kernel: say so */
			d->cap_state = d->eff_cap_uw ? TF_CAP_UNENFORCEABLE :
						       TF_CAP_NONE;
			break;
		default:
			break;
		}
	}
	tf_apply_host();
	for (i = 0; i < tf_nr_domains; i++) {
		struct tf_domain *d = &tf_domains[i];

		if (d->told.cap_uw == d->cap_uw &&
		    d->told.failsafe_cap_uw == d->failsafe_cap_uw &&
		    d->told.eff_cap_uw == d->eff_cap_uw &&
		    d->told.cap_state == d->cap_state &&
		    d->told.perf_pct == d->perf_pct)
			continue;
		d->told.cap_uw = d->cap_uw;
		d->told.failsafe_cap_uw = d->failsafe_cap_uw;
		d->told.eff_cap_uw = d->eff_cap_uw;
		d->told.cap_state = d->cap_state;
		d->told.perf_pct = d->perf_pct;
		tf_nl_notify_domain(d);
	}
}

void tf_domain_set_caps(struct tf_domain *d, const u64 *cap_uw,
			const u64 *failsafe_uw)
{
	if (cap_uw)
		d->cap_uw = *cap_uw;
	if (failsafe_uw)
		d->failsafe_cap_uw = *failsafe_uw;
	tf_domain_apply_caps();
}

int tf_domain_push(const char *name, u64 energy_uj, const u64 *power_uw,
		   const u64 *max_power_uw, struct netlink_ext_ack *extack)
{
	struct tf_domain *d = tf_domain_find(name);
	u64 now = ktime_get_ns();
	unsigned int idx;
	int err;

	if (!d) {
		if (sscanf(name, "gpu-%u", &idx) != 1 || idx >= TF_MAX_GPUS) {
			NL_SET_ERR_MSG(extack, "TF_A_DOMAIN_NAME: only gpu-N (N < 16) is pushed");
			return -EINVAL;
		}
		if (!max_power_uw) {
			NL_SET_ERR_MSG(extack, "TF_A_DOMAIN_MAX_POWER_UW: needed on first push");
			return -EINVAL;
		}
		d = tf_domain_add(name, TF_DOMAIN_GPU, TF_METER_PUSHED, idx,
				  *max_power_uw);
		if (!d) {
			NL_SET_ERR_MSG(extack, "domain table full");
			return -ENOSPC;
		}
		d->push_dev_uj = energy_uj;
		d->push_ns = now;
		tf_domain_apply_caps();
		return 0;
	}
	if (d->meter_kind != TF_METER_PUSHED) {
		NL_SET_ERR_MSG(extack, "TF_A_DOMAIN_NAME: the kernel meters this domain itself");
		return -EINVAL;
	}
	err = tf_push_check(d->push_dev_uj, energy_uj, now - d->push_ns,
			    d->max_power_uw);
	if (err) {
		tf_push_rejects++;
		if (err == -ERANGE)
			NL_SET_ERR_MSG(extack, "TF_A_DOMAIN_ENERGY_UJ: counter went backwards");
		else
			NL_SET_ERR_MSG(extack, "TF_A_DOMAIN_ENERGY_UJ: faster than max power");
		return -ERANGE;
	}
	d->energy_uj += energy_uj - d->push_dev_uj;
	d->push_dev_uj = energy_uj;
	d->push_ns = now;
	if (power_uw)
		d->power_uw = min(*power_uw, d->max_power_uw);
	return 0;
}

static void tf_sample(void)
{
	u64 now = ktime_get_ns(), dt = now - tf_last_sample_ns;
	unsigned int i;

	for (i = 0; i < tf_nr_domains; i++) {
		struct tf_domain *d = &tf_domains[i];

		if (!d->meter)
			continue;
		tf_meter_sample(d->meter, dt);
		d->energy_uj = d->meter->energy_uj;
		d->core_uj = d->meter->core_uj;
		d->power_uw = tf_power_uw(d->energy_uj - d->last_sample_uj, dt);
		d->last_sample_uj = d->energy_uj;
	}
	tf_host_sum();
	tf_last_sample_ns = now;

	/*
	 * Unprivileged readers get whole joules as of the previous second, and
	 * the mean power of a whole second in whole watts.
	 */
	if (now - tf_last_coarse_ns >= NSEC_PER_SEC) {
		for (i = 0; i < tf_nr_domains; i++) {
			struct tf_domain *d = &tf_domains[i];
			u64 next = tf_coarse_uj(d->energy_uj);

			d->coarse_power_uw =
				tf_coarse_uj(tf_power_uw(next - d->coarse_next_uj,
							 now - tf_last_coarse_ns));
			d->coarse_uj = d->coarse_next_uj;
			d->coarse_next_uj = next;
		}
		tf_last_coarse_ns = now;
	}
}

static void tf_sample_fn(struct work_struct *work)
{
	mutex_lock(&tf_lock);
	tf_sample();
	tf_domain_apply_caps();
	tf_signal_tick();
	/* exits and cgroup removals are noticed within one sampling period */
	tf_group_reap();
	tf_ledger_reap();
	mutex_unlock(&tf_lock);
	queue_delayed_work(system_highpri_wq, &tf_sample_work,
			   msecs_to_jiffies(tf_period_ms));
}

int tf_domain_init(void)
{
	unsigned int i;

	if (failsafe_pct < 1 || failsafe_pct > 100 ||
	    sample_ms < 10 || sample_ms > 1000) {
		pr_err("failsafe_pct must be 1..100 and sample_ms 10..1000\n");
		return -EINVAL;
	}
	mutex_lock(&tf_lock);
	tf_host = tf_domain_add("host", TF_DOMAIN_HOST, TF_METER_ESTIMATE, 0, 0);
	for (i = 0; i < tf_meter_count(); i++) {
		struct tf_meter *m = tf_meter_get(i);
		struct tf_domain *d;

		d = tf_domain_add(m->name, m->type, m->kind, m->pkg,
				  m->max_watts * 1000000ULL);
		if (d)
			d->meter = m;
	}
	/* The host is estimated only if a part of it is. */
	tf_host->meter_kind = TF_METER_RAPL;
	tf_host->estimated = false;
	tf_last_sample_ns = ktime_get_ns();
	tf_last_coarse_ns = tf_last_sample_ns;
	tf_host_sum();
	for (i = 0; i < tf_nr_domains; i++)
		tf_domains[i].has_cores = tf_domains[i].meter &&
					  tf_domains[i].meter->core_msr;
	if (tf_host->estimated)
		tf_host->meter_kind = TF_METER_ESTIMATE;
	tf_domain_apply_caps();
	mutex_unlock(&tf_lock);
	tf_period_ms = tf_meter_period_ms(sample_ms);
	queue_delayed_work(system_highpri_wq, &tf_sample_work,
			   msecs_to_jiffies(tf_period_ms));
	return 0;
}

void tf_domain_exit(void)
{
	cancel_delayed_work_sync(&tf_sample_work);
	tf_nr_domains = 0;
}
