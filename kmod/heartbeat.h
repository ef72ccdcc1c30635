/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's heartbeat and the fail-safe it keeps away. A host with no
 * agent, or whose agent went silent for heartbeat_timeout_ms, runs under
 * the fail-safe caps.
 */
#ifndef _TF_HEARTBEAT_H
#define _TF_HEARTBEAT_H

#include <linux/types.h>

int tf_heartbeat_init(void);
void tf_heartbeat_exit(void);

/* All below with tf_lock held. */
void tf_heartbeat(pid_t pid);
bool tf_failsafe_active(void);
u32 tf_failsafe_count(void);
pid_t tf_agent_pid(void);
s64 tf_heartbeat_age_ms(void);	/* -1: never */
u32 tf_heartbeat_timeout_ms(void);

#endif /* _TF_HEARTBEAT_H */
