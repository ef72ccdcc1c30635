// SPDX-License-Identifier: GPL-2.0
/*
 * Meters: which energy sources this host has, and reading them. Each CPU
 * package gets a RAPL meter when its energy status MSRs can be read (Intel
 * or AMD), and DRAM a second one where the CPU has it; otherwise the package
 * gets the estimate meter, flagged as such everywhere it is shown.
 */
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/kernel_stat.h>
#include <linux/moduleparam.h>
#include <linux/topology.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "energy.h"
#include "meter.h"

#define TF_MAX_PKGS	16
#define TF_MAX_METERS	(2 * TF_MAX_PKGS)

/* RAPL MSRs (Intel SDM vol. 4, AMD PPR for family 17h and later). */
#define TF_MSR_INTEL_UNIT	0x606
#define TF_MSR_INTEL_PKG	0x611
#define TF_MSR_INTEL_DRAM	0x619
#define TF_MSR_INTEL_CORES	0x639	/* PP0: the cores of the package */
#define TF_MSR_AMD_UNIT		0xc0010299
#define TF_MSR_AMD_PKG		0xc001029b
#define TF_MSR_AMD_CORE		0xc001029a	/* per core: the one read's */

static unsigned int est_idle_watts = 10;
module_param(est_idle_watts, uint, 0444);
MODULE_PARM_DESC(est_idle_watts, "Estimate meter: package power with all CPUs idle, W (default 10)");

static unsigned int est_max_watts = 65;
module_param(est_max_watts, uint, 0444);
MODULE_PARM_DESC(est_max_watts, "Estimate meter: package power with all CPUs busy, W (default 65)");

static unsigned int rapl_max_watts = 500;
module_param(rapl_max_watts, uint, 0444);
MODULE_PARM_DESC(rapl_max_watts, "Highest power a RAPL domain can draw, W: bounds the sampling period so that no counter wrap is missed (default 500)");

struct tf_rapl_msrs {
	u32 unit, pkg, dram, cores;	/* 0: none */
};

static struct tf_meter tf_meters[TF_MAX_METERS];
static unsigned int tf_nr_meters;

static const struct tf_rapl_msrs *tf_rapl_vendor(void)
{
	static const struct tf_rapl_msrs intel = {
		TF_MSR_INTEL_UNIT, TF_MSR_INTEL_PKG, TF_MSR_INTEL_DRAM,
		TF_MSR_INTEL_CORES,
	};
	static const struct tf_rapl_msrs amd = {
		TF_MSR_AMD_UNIT, TF_MSR_AMD_PKG, 0, TF_MSR_AMD_CORE,
	};

	switch (boot_cpu_data.x86_vendor) {
	case X86_VENDOR_INTEL:
		return &intel;
	case X86_VENDOR_AMD:
	case X86_VENDOR_HYGON:
		return &amd;
	default:
		return NULL;
	}
}

/* Busy time of the package's online CPUs, ns, from the scheduler's cpustat. */
static u64 tf_pkg_busy_ns(unsigned int pkg, u32 *ncpus)
{
	struct kernel_cpustat kcs;
	unsigned int cpu;
	u64 busy = 0;

	*ncpus = 0;
	for_each_online_cpu(cpu) {
		if (topology_physical_package_id(cpu) != pkg)
			continue;
		kcpustat_cpu_fetch(&kcs, cpu);
		busy += kcs.cpustat[CPUTIME_USER] + kcs.cpustat[CPUTIME_NICE] +
			kcs.cpustat[CPUTIME_SYSTEM] + kcs.cpustat[CPUTIME_IRQ] +
			kcs.cpustat[CPUTIME_SOFTIRQ];
		(*ncpus)++;
	}
	return busy;
}

static struct tf_meter *tf_meter_add(enum tf_meter_kind kind,
				     enum tf_domain_type type, unsigned int pkg,
				     unsigned int cpu)
{
	struct tf_meter *m;

	if (tf_nr_meters >= TF_MAX_METERS)
		return NULL;
	m = &tf_meters[tf_nr_meters++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s-%u",
		 type == TF_DOMAIN_DRAM ? "dram" : "package", pkg);
	m->kind = kind;
	m->type = type;
	m->pkg = pkg;
	m->cpu = cpu;
	m->max_watts = kind == TF_METER_RAPL ? rapl_max_watts : est_max_watts;
	return m;
}

/*
 * RAPL exists on a package when its unit MSR reads without a fault and makes
 * sense, and its energy counter moves: a running package spends at least
 * tens of units per millisecond.
 */
static bool tf_rapl_probe(const struct tf_rapl_msrs *r, unsigned int cpu,
			  u32 msr, unsigned int *esu, u32 *raw)
{
	u64 unit, e1, e2;

	if (!r || !msr)
		return false;
	if (rdmsrq_safe_on_cpu(cpu, r->unit, &unit) ||
	    !tf_rapl_unit_plausible(unit) ||
	    rdmsrq_safe_on_cpu(cpu, msr, &e1))
		return false;
	usleep_range(5000, 10000);
	if (rdmsrq_safe_on_cpu(cpu, msr, &e2) || (u32)e1 == (u32)e2)
		return false;
	*esu = tf_rapl_esu(unit);
	*raw = e2;
	return true;
}

static void tf_rapl_add(enum tf_domain_type type, unsigned int pkg,
			unsigned int cpu, u32 msr, unsigned int esu, u32 raw)
{
	struct tf_meter *m = tf_meter_add(TF_METER_RAPL, type, pkg, cpu);

	if (!m)
		return;
	m->msr = msr;
	m->esu = esu;
	m->last_raw = raw;
}

static struct tf_meter *tf_meter_of_pkg(unsigned int pkg)
{
	unsigned int i;

	for (i = 0; i < tf_nr_meters; i++)
		if (tf_meters[i].type == TF_DOMAIN_PACKAGE &&
		    tf_meters[i].pkg == pkg)
			return &tf_meters[i];
	return NULL;
}

int tf_meter_init(void)
{
	const struct tf_rapl_msrs *r = tf_rapl_vendor();
	DECLARE_BITMAP(seen, TF_MAX_PKGS);
	unsigned int cpu, pkg, esu;
	struct tf_meter *m;
	u32 raw;

	if (est_max_watts < est_idle_watts) {
		pr_err("est_max_watts (%u) below est_idle_watts (%u)\n",
		       est_max_watts, est_idle_watts);
		return -EINVAL;
	}
	bitmap_zero(seen, TF_MAX_PKGS);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		pkg = topology_physical_package_id(cpu);
		if (pkg >= TF_MAX_PKGS || test_and_set_bit(pkg, seen))
			continue;
		if (tf_rapl_probe(r, cpu, r ? r->pkg : 0, &esu, &raw)) {
			tf_rapl_add(TF_DOMAIN_PACKAGE, pkg, cpu, r->pkg, esu, raw);
			if (tf_rapl_probe(r, cpu, r->dram, &esu, &raw))
				tf_rapl_add(TF_DOMAIN_DRAM, pkg, cpu, r->dram,
					    esu, raw);
			/*
			 * The cores' share of the package (Intel PP0, AMD
			 * core energy): a figure within the package, not a
			 * domain of its own, so the host sum counts it once.
			 */
			m = tf_meter_of_pkg(pkg);
			if (m && tf_rapl_probe(r, cpu, r->cores, &esu, &raw)) {
				m->core_msr = r->cores;
				m->core_esu = esu;
				m->core_last_raw = raw;
			}
		} else {
			m = tf_meter_add(TF_METER_ESTIMATE, TF_DOMAIN_PACKAGE,
					 pkg, cpu);
			if (m)
				m->last_busy_ns = tf_pkg_busy_ns(pkg, &raw);
		}
	}
	cpus_read_unlock();
	return 0;
}

void tf_meter_exit(void)
{
	tf_nr_meters = 0;
}

unsigned int tf_meter_count(void)
{
	return tf_nr_meters;
}

struct tf_meter *tf_meter_get(unsigned int i)
{
	return i < tf_nr_meters ? &tf_meters[i] : NULL;
}

u32 tf_meter_est_idle_watts(void)
{
	return est_idle_watts;
}

u32 tf_meter_est_max_watts(void)
{
	return est_max_watts;
}

/* Advances m->energy_uj over the dt_ns since the last sample. */
void tf_meter_sample(struct tf_meter *m, u64 dt_ns)
{
	u64 raw, busy, nj;
	u32 ncpus;

	switch (m->kind) {
	case TF_METER_RAPL:
		/* A failed read leaves the counter where it was: no energy is invented. */
		if (rdmsrq_safe_on_cpu(m->cpu, m->msr, &raw))
			return;
		m->raw_total += tf_rapl_delta(m->last_raw, raw);
		m->last_raw = raw;
		m->energy_uj = tf_rapl_to_uj(m->raw_total, m->esu);
		if (m->core_msr && !rdmsrq_safe_on_cpu(m->cpu, m->core_msr, &raw)) {
			m->core_raw_total += tf_rapl_delta(m->core_last_raw, raw);
			m->core_last_raw = raw;
			m->core_uj = tf_rapl_to_uj(m->core_raw_total, m->core_esu);
		}
		break;
	case TF_METER_ESTIMATE:
		busy = tf_pkg_busy_ns(m->pkg, &ncpus);
		/* cpustat of a CPU that went offline leaves the sum: never negative */
		nj = tf_estimate_nj(est_idle_watts, est_max_watts,
				    busy > m->last_busy_ns ? busy - m->last_busy_ns : 0,
				    ncpus, dt_ns) + m->rem_nj;
		m->last_busy_ns = busy;
		m->energy_uj += nj / 1000;
		m->rem_nj = nj % 1000;
		break;
	default:
		break;
	}
}

/* The sampling period: wanted_ms, shortened so that no RAPL wrap is missed. */
unsigned int tf_meter_period_ms(unsigned int wanted_ms)
{
	unsigned int i;
	u64 bound;

	for (i = 0; i < tf_nr_meters; i++) {
		if (tf_meters[i].kind != TF_METER_RAPL)
			continue;
		bound = tf_rapl_period_ms(tf_meters[i].esu, rapl_max_watts);
		if (bound < wanted_ms)
			wanted_ms = bound;
	}
	return wanted_ms;
}
