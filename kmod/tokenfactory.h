/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the module's units. Each unit exports an
 * init/exit pair and the few functions the others need.
 */
#ifndef _TF_TOKENFACTORY_H
#define _TF_TOKENFACTORY_H

#include <linux/mutex.h>
#include <linux/types.h>

#define TF_VERSION "0.1.0"

/*
 * One mutex guards the module's state (domains, caps, signal, heartbeat,
 * groups, ledger). Every path that takes it runs in process context
 * (netlink requests, the sampling and watchdog work items), and none holds
 * it for long: a single lock keeps the invariants easy to see.
 */
extern struct mutex tf_lock;

/* main.c */
u64 tf_uptime_ns(void);
void tf_generation_bump(void);
u32 tf_generation(void);

#endif /* _TF_TOKENFACTORY_H */
