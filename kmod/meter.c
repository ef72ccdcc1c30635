// SPDX-License-Identifier: GPL-2.0
/*
 * Meters: which energy sources this host has. Each CPU package gets a RAPL
 * meter when its energy status MSRs can be read (Intel or AMD), and DRAM a
 * second one where the CPU has it; otherwise the package gets the estimate
 * meter, which is flagged as such everywhere it is shown.
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
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
#define TF_MSR_AMD_UNIT		0xc0010299
#define TF_MSR_AMD_PKG		0xc001029b

struct tf_rapl_msrs {
	u32 unit, pkg, dram;	/* dram 0: none */
};

static struct tf_meter tf_meters[TF_MAX_METERS];
static unsigned int tf_nr_meters;

static const struct tf_rapl_msrs *tf_rapl_vendor(void)
{
	static const struct tf_rapl_msrs intel = {
		TF_MSR_INTEL_UNIT, TF_MSR_INTEL_PKG, TF_MSR_INTEL_DRAM,
	};
	static const struct tf_rapl_msrs amd = {
		TF_MSR_AMD_UNIT, TF_MSR_AMD_PKG, 0,
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

static void tf_meter_add(enum tf_meter_kind kind, const char *what,
			 unsigned int pkg, unsigned int cpu, u32 msr,
			 unsigned int esu)
{
	struct tf_meter *m;

	if (tf_nr_meters >= TF_MAX_METERS)
		return;
	m = &tf_meters[tf_nr_meters++];
	snprintf(m->name, sizeof(m->name), "%s-%u", what, pkg);
	m->kind = kind;
	m->pkg = pkg;
	m->cpu = cpu;
	m->energy_msr = msr;
	m->esu = esu;
}

/*
 * RAPL exists on a package when its unit MSR reads without a fault and makes
 * sense, and its energy counter moves: a running package spends at least
 * tens of units per millisecond.
 */
static bool tf_rapl_probe(const struct tf_rapl_msrs *r, unsigned int cpu,
			  u32 msr, unsigned int *esu)
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
	return true;
}

int tf_meter_init(void)
{
	const struct tf_rapl_msrs *r = tf_rapl_vendor();
	DECLARE_BITMAP(seen, TF_MAX_PKGS);
	unsigned int cpu, pkg, esu;

	bitmap_zero(seen, TF_MAX_PKGS);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		pkg = topology_physical_package_id(cpu);
		if (pkg >= TF_MAX_PKGS || test_and_set_bit(pkg, seen))
			continue;
		if (tf_rapl_probe(r, cpu, r ? r->pkg : 0, &esu)) {
			tf_meter_add(TF_METER_RAPL, "package", pkg, cpu,
				     r->pkg, esu);
			if (tf_rapl_probe(r, cpu, r->dram, &esu))
				tf_meter_add(TF_METER_RAPL, "dram", pkg, cpu,
					     r->dram, esu);
		} else {
			tf_meter_add(TF_METER_ESTIMATE, "package", pkg, cpu,
				     0, 0);
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

const struct tf_meter *tf_meter_get(unsigned int i)
{
	return i < tf_nr_meters ? &tf_meters[i] : NULL;
}
