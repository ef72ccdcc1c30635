/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Worker groups: a name, a tier, members by pid or by cgroup v2 path, and
 * what the group consumed (energy per domain, green energy) and produced
 * (tokens). Guarded by tf_lock.
 */
#ifndef _TF_GROUP_H
#define _TF_GROUP_H

#include <linux/list.h>
#include <linux/netlink.h>
#include <linux/types.h>
#include <linux/tokenfactory.h>

#include "domain.h"

struct pid;
struct cgroup;
struct tf_pc_zone;

struct tf_member {
	struct list_head node;
	struct pid *pid;		/* a pid member, or NULL */
	pid_t nr;			/* its number, as the agent sees it */
	struct cgroup *cgrp;		/* a cgroup member, or NULL */
	char path[TF_CGROUP_PATH_MAX];
};

struct tf_group {
	struct list_head node;
	struct hlist_node hnode;
	char name[TF_NAME_LEN];
	enum tf_tier tier;
	u64 cap_uw;			/* the agent applies it */
	struct tf_pc_zone *zone;	/* its powercap zone */
	u64 tokens;
	u64 green_uj;
	u64 energy_uj[TF_MAX_DOMAINS];
	struct list_head members;
	unsigned int nr_members;
};

int tf_group_init(void);
void tf_group_exit(void);

struct tf_group *tf_group_find(const char *name);
int tf_group_new(const char *name, enum tf_tier tier, u64 cap_uw,
		 struct netlink_ext_ack *extack);
int tf_group_del(struct tf_group *g);
void tf_group_set(struct tf_group *g, const enum tf_tier *tier,
		  const u64 *cap_uw);
int tf_member_add(struct tf_group *g, pid_t nr, const char *cgroup_path,
		  struct netlink_ext_ack *extack);
int tf_member_del(struct tf_group *g, pid_t nr, const char *cgroup_path,
		  struct netlink_ext_ack *extack);

/* The group a process belongs to: by pid membership, else cgroup ancestry. */
struct tf_group *tf_group_of(pid_t nr);
/* The same for a struct pid the caller holds (NULL: no task): no lookup. */
struct tf_group *tf_group_of_pid(struct pid *pid, pid_t nr);
/* Iteration for dumps: the group at position pos, in creation order. */
struct tf_group *tf_group_at(unsigned long pos);
unsigned int tf_group_count(void);
/* Drops members that exited or whose cgroup was removed; with their bills. */
void tf_group_reap(void);

#endif /* _TF_GROUP_H */
