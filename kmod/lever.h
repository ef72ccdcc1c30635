/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's CPU levers for holding a package's power cap: frequency QoS
 * on the package's cpufreq policies, and idle injection by per-CPU
 * SCHED_FIFO threads. kmod/lever.c describes the design.
 */
#ifndef _TF_LEVER_H
#define _TF_LEVER_H

#include <linux/types.h>

/* Module init; may sleep. */
int tf_lever_init(void);

/*
 * Module exit: releases every request, stops every thread. Safe at any
 * time, also after a failed or without a tf_lever_init().
 */
void tf_lever_exit(void);

/*
 * Limit the CPUs of physical package @pkg (topology_physical_package_id) to
 * @perf_pct percent of their full performance; 100 releases every lever.
 * Sets *levers to the TF_LEVER_* bits (include/uapi/linux/tokenfactory.h) in
 * use once it returns, also on error.
 *
 * Returns 0, or
 *   -ERANGE  the target is beyond reach: the levers hold their deepest
 *            setting (idle injection capped at TF_IDLE_MAX_PCT percent of
 *            each period) and *levers says which are in use; the caller
 *            reports the cap as unenforceable (TF_CAP_UNENFORCEABLE);
 *   -ENODEV  no lever can act on that package (none of its CPUs is online);
 *            nothing changed;
 *   -EINVAL  @perf_pct above 100;
 *   -ENOMEM or another -errno from the kernel: a lever could not be set up;
 *            the others are set.
 *
 * Called in process context with the module's state mutex held: may sleep,
 * must not call back into the rest of the module. Takes the CPU hotplug
 * lock, so that mutex must never be taken from a CPU hotplug callback.
 */
int tf_lever_set(unsigned int pkg, unsigned int perf_pct, u32 *levers);

#endif /* _TF_LEVER_H */
