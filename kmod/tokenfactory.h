/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the module's units. Each unit exports an
 * init/exit pair and the few functions the others need.
 */
#ifndef _TF_TOKENFACTORY_H
#define _TF_TOKENFACTORY_H

#include <linux/types.h>

#define TF_VERSION "0.1.0"

/* main.c */
u64 tf_uptime_ns(void);

#endif /* _TF_TOKENFACTORY_H */
