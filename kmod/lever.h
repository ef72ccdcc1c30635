/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's CPU levers for holding a power cap: frequency QoS on cpufreq
 * policies, and idle injection where there is no cpufreq or frequency alone
 * cannot reach the share.
 */
#ifndef _TF_LEVER_H
#define _TF_LEVER_H

#include <linux/types.h>

int tf_lever_init(void);
void tf_lever_exit(void);
/*
 * Limits the CPUs of physical package pkg to perf_pct percent of their full
 * performance; 100 releases every lever. *levers gets the TF_LEVER_* bits in
 * use. 0 or -errno. Process context, tf_lock held.
 */
int tf_lever_set(unsigned int pkg, unsigned int perf_pct, u32 *levers);

#endif /* _TF_LEVER_H */
