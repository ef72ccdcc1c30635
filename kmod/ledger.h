/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ledger: per-process energy accounts, filled by the agent's pushes,
 * and the final bills of processes that left. Guarded by tf_lock.
 */
#ifndef _TF_LEDGER_H
#define _TF_LEDGER_H

#include <linux/list.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/tokenfactory.h>

#include "domain.h"

struct pid;

struct tf_account {
	pid_t nr;
	char comm[TASK_COMM_LEN];
	char group[TF_NAME_LEN];	/* "" when in no group */
	u64 energy_uj[TF_MAX_DOMAINS];
	u64 tokens;
	u64 green_uj;
	u64 exit_ns;			/* bills: CLOCK_REALTIME of the exit */
};

int tf_ledger_init(void);
void tf_ledger_exit_all(void);

int tf_ledger_push(struct nlattr *entries, u32 green_ppm,
		   struct netlink_ext_ack *extack);
/* The process nr exited: bill it (no-op without an account). */
void tf_ledger_exit(pid_t nr);
/* Bills every account whose process is gone. */
void tf_ledger_reap(void);

const struct tf_account *tf_ledger_at(unsigned long pos);
u64 tf_ledger_overflows(void);
/* Bills, oldest first. */
const struct tf_account *tf_bill_at(unsigned long pos);
u64 tf_bill_overflows(void);

#endif /* _TF_LEDGER_H */
