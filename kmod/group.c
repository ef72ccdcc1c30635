// SPDX-License-Identifier: GPL-2.0
/*
 * Worker groups. Groups live in a list (creation order, for dumps) and a
 * hash table by name. Members hold a reference on their struct pid or
 * cgroup, so that an exit or a removal is noticed by the periodic reap
 * (tf_group_reap) even if the number is reused.
 */
#include <linux/cgroup.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringhash.h>

#include "group.h"
#include "ledger.h"
#include "netlink.h"
#include "powercap.h"
#include "tokenfactory.h"

static unsigned int max_groups = 16384;
module_param(max_groups, uint, 0444);
MODULE_PARM_DESC(max_groups, "Most worker groups (default 16384)");

static unsigned int max_members = 1024;
module_param(max_members, uint, 0444);
MODULE_PARM_DESC(max_members, "Most members of one group (default 1024)");

#define TF_GROUP_HASH_BITS 10

static LIST_HEAD(tf_groups);
static DEFINE_HASHTABLE(tf_group_hash, TF_GROUP_HASH_BITS);
static unsigned int tf_nr_groups;

/* dump cursor: avoids walking the list from the start for every chunk */
static struct tf_group *tf_cursor;
static unsigned long tf_cursor_pos;

static u32 tf_group_hashfn(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

struct tf_group *tf_group_find(const char *name)
{
	struct tf_group *g;

	hash_for_each_possible(tf_group_hash, g, hnode, tf_group_hashfn(name))
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

unsigned int tf_group_count(void)
{
	return tf_nr_groups;
}

struct tf_group *tf_group_at(unsigned long pos)
{
	struct tf_group *g = tf_cursor;
	unsigned long i = tf_cursor_pos;

	if (pos >= tf_nr_groups)
		return NULL;
	if (!g || i > pos) {
		g = list_first_entry(&tf_groups, struct tf_group, node);
		i = 0;
	}
	for (; i < pos; i++)
		g = list_next_entry(g, node);
	tf_cursor = g;
	tf_cursor_pos = pos;
	return g;
}

static void tf_cursor_reset(void)
{
	tf_cursor = NULL;
	tf_cursor_pos = 0;
}

/* The group's powercap zone: its energy over all domains, its cap. */
static u64 tf_pc_group_energy(void *ctx)
{
	const struct tf_group *g = ctx;
	u64 sum = 0;
	int i;

	for (i = 0; i < TF_MAX_DOMAINS; i++)
		sum += g->energy_uj[i];
	return sum;
}

static u64 tf_pc_group_max_power(void *ctx)
{
	struct tf_domain *host = tf_domain_get(0);

	return host ? host->max_power_uw : 0;
}

static u64 tf_pc_group_limit(void *ctx)
{
	return ((struct tf_group *)ctx)->cap_uw;
}

static int tf_pc_group_set_limit(void *ctx, u64 uw)
{
	tf_group_set(ctx, NULL, &uw);
	return 0;
}

static const struct tf_pc_source tf_pc_group_src = {
	.energy_uj = tf_pc_group_energy,
	.max_power_uw = tf_pc_group_max_power,
	.limit_uw = tf_pc_group_limit,
	.set_limit_uw = tf_pc_group_set_limit,
};

int tf_group_new(const char *name, enum tf_tier tier, u64 cap_uw,
		 struct netlink_ext_ack *extack)
{
	struct tf_group *g;

	if (!name[0]) {
		NL_SET_ERR_MSG(extack, "TF_A_GROUP_NAME: empty");
		return -EINVAL;
	}
	if (tf_group_find(name)) {
		NL_SET_ERR_MSG(extack, "TF_A_GROUP_NAME: group exists");
		return -EEXIST;
	}
	if (tf_nr_groups >= max_groups) {
		NL_SET_ERR_MSG(extack, "group table full (max_groups)");
		return -ENOSPC;
	}
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	strscpy(g->name, name, sizeof(g->name));
	g->tier = tier;
	g->cap_uw = cap_uw;
	INIT_LIST_HEAD(&g->members);
	list_add_tail(&g->node, &tf_groups);
	hash_add(tf_group_hash, &g->hnode, tf_group_hashfn(g->name));
	tf_nr_groups++;
	tf_generation_bump();
	g->zone = tf_powercap_add_zone(g->name, NULL, &tf_pc_group_src, g);
	tf_nl_notify_group(g, false);
	return 0;
}

static void tf_member_free(struct tf_member *m)
{
	list_del(&m->node);
	put_pid(m->pid);
	if (m->cgrp)
		cgroup_put(m->cgrp);
	kfree(m);
}

static void tf_group_free(struct tf_group *g)
{
	struct tf_member *m, *tmp;

	list_for_each_entry_safe(m, tmp, &g->members, node)
		tf_member_free(m);
	hash_del(&g->hnode);
	list_del(&g->node);
	kfree(g);
}

int tf_group_del(struct tf_group *g)
{
	/* no zone callback sees g once this returns */
	tf_powercap_del_zone(g->zone);
	tf_nl_notify_group(g, true);
	tf_cursor_reset();
	tf_group_free(g);
	tf_nr_groups--;
	tf_generation_bump();
	return 0;
}

void tf_group_set(struct tf_group *g, const enum tf_tier *tier,
		  const u64 *cap_uw)
{
	bool changed = false;

	if (tier && g->tier != *tier) {
		g->tier = *tier;
		changed = true;
	}
	if (cap_uw && g->cap_uw != *cap_uw) {
		g->cap_uw = *cap_uw;
		changed = true;
	}
	if (changed)
		tf_nl_notify_group(g, false);
}

static struct tf_member *tf_member_find(pid_t nr, const char *path,
					struct tf_group **owner)
{
	struct tf_member *m;
	struct tf_group *g;

	list_for_each_entry(g, &tf_groups, node) {
		list_for_each_entry(m, &g->members, node) {
			if ((path && m->cgrp && !strcmp(m->path, path)) ||
			    (!path && m->pid && m->nr == nr)) {
				*owner = g;
				return m;
			}
		}
	}
	return NULL;
}

int tf_member_add(struct tf_group *g, pid_t nr, const char *path,
		  struct netlink_ext_ack *extack)
{
	struct tf_group *owner;
	struct tf_member *m;
	struct cgroup *cgrp;

	if (tf_member_find(nr, path, &owner)) {
		if (path)
			NL_SET_ERR_MSG(extack, "TF_A_MEMBER_CGROUP: already in a group");
		else
			NL_SET_ERR_MSG(extack, "TF_A_MEMBER_PID: already in a group");
		return -EBUSY;
	}
	if (g->nr_members >= max_members) {
		NL_SET_ERR_MSG(extack, "group has max_members members");
		return -ENOSPC;
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	if (path) {
		if (path[0] != '/') {
			NL_SET_ERR_MSG(extack, "TF_A_MEMBER_CGROUP: not an absolute path");
			kfree(m);
			return -EINVAL;
		}
		cgrp = cgroup_get_from_path(path);
		if (IS_ERR(cgrp)) {
			NL_SET_ERR_MSG(extack, "TF_A_MEMBER_CGROUP: no such cgroup v2 path");
			kfree(m);
			return -ENOENT;
		}
		m->cgrp = cgrp;
		strscpy(m->path, path, sizeof(m->path));
	} else {
		m->pid = find_get_pid(nr);
		if (!m->pid || !pid_has_task(m->pid, PIDTYPE_TGID)) {
			NL_SET_ERR_MSG(extack, "TF_A_MEMBER_PID: no such process");
			put_pid(m->pid);
			kfree(m);
			return -ESRCH;
		}
		m->nr = nr;
	}
	list_add_tail(&m->node, &g->members);
	g->nr_members++;
	tf_generation_bump();
	tf_nl_notify_group(g, false);
	return 0;
}

int tf_member_del(struct tf_group *g, pid_t nr, const char *path,
		  struct netlink_ext_ack *extack)
{
	struct tf_group *owner;
	struct tf_member *m = tf_member_find(nr, path, &owner);

	if (!m || owner != g) {
		if (path)
			NL_SET_ERR_MSG(extack, "TF_A_MEMBER_CGROUP: not in this group");
		else
			NL_SET_ERR_MSG(extack, "TF_A_MEMBER_PID: not in this group");
		return -ENOENT;
	}
	tf_member_free(m);
	g->nr_members--;
	tf_generation_bump();
	tf_nl_notify_group(g, false);
	return 0;
}

struct tf_group *tf_group_of_pid(struct pid *pid, pid_t nr)
{
	struct tf_group *owner = NULL, *g;
	struct task_struct *task;
	struct tf_member *m;
	struct cgroup *cgrp;

	if (tf_member_find(nr, NULL, &owner))
		return owner;
	owner = NULL;
	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_TGID);
	cgrp = task ? task_dfl_cgroup(task) : NULL;
	if (!cgrp)
		goto out;
	list_for_each_entry(g, &tf_groups, node) {
		list_for_each_entry(m, &g->members, node) {
			if (m->cgrp && cgroup_is_descendant(cgrp, m->cgrp)) {
				owner = g;
				goto out;
			}
		}
	}
out:
	rcu_read_unlock();
	return owner;
}

struct tf_group *tf_group_of(pid_t nr)
{
	struct pid *pid = find_get_pid(nr);
	struct tf_group *g = tf_group_of_pid(pid, nr);

	put_pid(pid);
	return g;
}

/*
 * A pid member whose process is gone, or a cgroup member whose cgroup went
 * offline, leaves: with a final bill for a process, and an event.
 */
void tf_group_reap(void)
{
	struct tf_member *m, *tmp;
	struct tf_group *g;
	bool changed;

	list_for_each_entry(g, &tf_groups, node) {
		changed = false;
		list_for_each_entry_safe(m, tmp, &g->members, node) {
			bool gone = m->pid ? !pid_has_task(m->pid, PIDTYPE_TGID) :
				    !(m->cgrp->self.flags & CSS_ONLINE);

			if (!gone)
				continue;
			/*
			 * A process leaves its bill; a cgroup is removed only
			 * once empty, and its processes left theirs on exit.
			 */
			if (m->pid)
				tf_ledger_exit(m->nr);
			tf_member_free(m);
			g->nr_members--;
			changed = true;
		}
		if (changed) {
			tf_generation_bump();
			tf_nl_notify_group(g, false);
		}
	}
}

int tf_group_init(void)
{
	return 0;
}

/* After tf_powercap_exit(): the zones are gone with the control type. */
void tf_group_exit(void)
{
	struct tf_group *g, *tmp;

	list_for_each_entry_safe(g, tmp, &tf_groups, node)
		tf_group_free(g);
	tf_nr_groups = 0;
	tf_cursor_reset();
}
