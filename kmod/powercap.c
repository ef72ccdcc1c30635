// SPDX-License-Identifier: GPL-2.0
/*
 * The "tokenfactory" powercap control type: the domains as zones, for tools
 * that speak the powercap sysfs ABI (powercap-info, powertop, ...).
 *
 *   /sys/class/powercap/tokenfactory        the control type
 *   /sys/class/powercap/tokenfactory:0      host, the parent of
 *   /sys/class/powercap/tokenfactory:0:N    package-N, dram-N, gpu-N
 *
 * The host is the sum of the others, as a powercap parent is of its children
 * (intel-rapl's package and its planes). Each zone has energy_uj,
 * max_energy_range_uj, power_uw where the source has one, and one constraint,
 * "long_term": its power limit is the domain's cap (0: none), its maximum
 * the domain's max power, its time window the sampling period (read-only).
 *
 * Who reads what: the core makes energy_uj 0400 when a zone cannot reset it
 * (ours cannot); every other file is world-readable, and there is no hook for
 * a file's mode, so power_uw shows what an unprivileged netlink reader gets
 * (whole watts over a whole second). Root reads exact power over netlink.
 *
 * Locking. The callbacks run in sysfs context, holding a kernfs active
 * reference, and take tf_lock. Unregistering a zone waits for those
 * references to drain, so it never runs under tf_lock; registering creates
 * the sysfs files under the core's mutex and kernfs locks, so it does not
 * either: tf_powercap_add_zone() and _del_zone() run under tf_lock (a GPU
 * domain appears inside tf_domain_push()) and only queue tf_pc_work, which
 * does the sysfs work under tf_pc_mutex, taking tf_lock only to read and
 * publish. Order: tf_pc_mutex -> tf_lock, and tf_pc_mutex -> the core's
 * locks; nothing waits for tf_pc_mutex or a drain while holding tf_lock.
 *
 * A zone finds its tf_pc_zone through the core's private data, published
 * under tf_lock after registration; a deleted zone's ctx is NULL, and its
 * callbacks answer -ENODATA until the work item unregisters it and frees it.
 * At exit every zone is deleted, the work run to completion and the control
 * type unregistered, before anything a zone reads goes away.
 */
#include <linux/err.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/powercap.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/time.h>
#include <linux/workqueue.h>
#include <linux/tokenfactory.h>

#include "domain.h"
#include "powercap.h"
#include "tokenfactory.h"

/*
 * Our counters are u64 and never wrap, but the core prints every value with
 * "%lld": U64_MAX would read as -1. So the range is S64_MAX and energy_uj
 * wraps there: 292 years of a 1 kW host.
 */
#define TF_PC_ENERGY_RANGE_UJ	((u64)S64_MAX)

struct tf_pc_zone {
	struct list_head node;		/* tf_pc_zones, parents first; tf_lock */
	struct tf_pc_zone *parent;
	const struct tf_pc_source *src;
	void *ctx;			/* NULL once deleted; tf_lock */
	struct powercap_zone *pcz;	/* NULL until registered */
	bool failed;			/* registration failed */
	char name[TF_NAME_LEN];
};

static struct powercap_control_type *tf_pc_ct;
static LIST_HEAD(tf_pc_zones);
static bool tf_pc_live;			/* zones may be added; tf_lock */
static struct tf_pc_zone *tf_pc_domain[TF_MAX_DOMAINS];	/* tf_lock */
static DEFINE_MUTEX(tf_pc_mutex);	/* serialises the sysfs work */

static void tf_pc_work_fn(struct work_struct *work);
static DECLARE_WORK(tf_pc_work, tf_pc_work_fn);

/* ---- callbacks (sysfs context) ------------------------------------------- */

enum tf_pc_what {
	TF_PC_ENERGY,
	TF_PC_POWER,
	TF_PC_MAX_POWER,
	TF_PC_LIMIT,
	TF_PC_WINDOW,
};

static int tf_pc_read(struct powercap_zone *pcz, enum tf_pc_what what,
		      u64 *val)
{
	const struct tf_pc_zone *z;
	int ret = 0;

	mutex_lock(&tf_lock);
	z = powercap_get_zone_data(pcz);
	if (!z || !z->ctx) {
		ret = -ENODATA;
		goto out;
	}
	switch (what) {
	case TF_PC_ENERGY:
		*val = z->src->energy_uj(z->ctx) & TF_PC_ENERGY_RANGE_UJ;
		break;
	case TF_PC_POWER:
		if (z->src->power_uw)
			*val = z->src->power_uw(z->ctx);
		else
			ret = -ENODATA;
		break;
	case TF_PC_MAX_POWER:
		*val = z->src->max_power_uw(z->ctx);
		break;
	case TF_PC_LIMIT:
		*val = z->src->limit_uw(z->ctx);
		break;
	case TF_PC_WINDOW:
		*val = (u64)tf_domain_period_ms() * USEC_PER_MSEC;
		break;
	}
out:
	mutex_unlock(&tf_lock);
	return ret;
}

static int tf_pc_get_energy_range(struct powercap_zone *pcz, u64 *uj)
{
	*uj = TF_PC_ENERGY_RANGE_UJ;
	return 0;
}

static int tf_pc_get_energy(struct powercap_zone *pcz, u64 *uj)
{
	return tf_pc_read(pcz, TF_PC_ENERGY, uj);
}

static int tf_pc_get_power(struct powercap_zone *pcz, u64 *uw)
{
	return tf_pc_read(pcz, TF_PC_POWER, uw);
}

static int tf_pc_get_limit(struct powercap_zone *pcz, int cid, u64 *uw)
{
	return tf_pc_read(pcz, TF_PC_LIMIT, uw);
}

static int tf_pc_get_max_power(struct powercap_zone *pcz, int cid, u64 *uw)
{
	return tf_pc_read(pcz, TF_PC_MAX_POWER, uw);
}

static int tf_pc_get_window(struct powercap_zone *pcz, int cid, u64 *us)
{
	return tf_pc_read(pcz, TF_PC_WINDOW, us);
}

static int tf_pc_set_limit(struct powercap_zone *pcz, int cid, u64 uw)
{
	const struct tf_pc_zone *z;
	int ret = -ENODATA;

	if (uw > TF_POWER_MAX_UW)
		return -EINVAL;
	mutex_lock(&tf_lock);
	z = powercap_get_zone_data(pcz);
	if (z && z->ctx)
		ret = z->src->set_limit_uw(z->ctx, uw);
	mutex_unlock(&tf_lock);
	return ret;
}

/* The window is the module's sampling period, a load-time parameter. */
static int tf_pc_set_window(struct powercap_zone *pcz, int cid, u64 us)
{
	return -EOPNOTSUPP;
}

static const char *tf_pc_constraint_name(struct powercap_zone *pcz, int cid)
{
	return "long_term";
}

static const struct powercap_zone_ops tf_pc_ops = {
	.get_max_energy_range_uj = tf_pc_get_energy_range,
	.get_energy_uj = tf_pc_get_energy,
	.get_power_uw = tf_pc_get_power,
};

static const struct powercap_zone_ops tf_pc_ops_no_power = {
	.get_max_energy_range_uj = tf_pc_get_energy_range,
	.get_energy_uj = tf_pc_get_energy,
};

static const struct powercap_zone_constraint_ops tf_pc_constraint_ops = {
	.set_power_limit_uw = tf_pc_set_limit,
	.get_power_limit_uw = tf_pc_get_limit,
	.set_time_window_us = tf_pc_set_window,
	.get_time_window_us = tf_pc_get_window,
	.get_max_power_uw = tf_pc_get_max_power,
	.get_name = tf_pc_constraint_name,
};

/* ---- the sysfs work (process context, no tf_lock) ------------------------ */

/* The last deleted zone, taken off the list: children go before parents. */
static struct tf_pc_zone *tf_pc_next_dead(void)
{
	struct tf_pc_zone *z, *found = NULL;

	mutex_lock(&tf_lock);
	list_for_each_entry_reverse(z, &tf_pc_zones, node) {
		if (!z->ctx) {
			list_del(&z->node);
			found = z;
			break;
		}
	}
	mutex_unlock(&tf_lock);
	return found;
}

/* The first zone waiting for registration: parents go before children. */
static struct tf_pc_zone *tf_pc_next_new(void)
{
	struct tf_pc_zone *z, *found = NULL;

	mutex_lock(&tf_lock);
	list_for_each_entry(z, &tf_pc_zones, node) {
		if (z->ctx && !z->pcz && !z->failed) {
			found = z;
			break;
		}
	}
	mutex_unlock(&tf_lock);
	return found;
}

static void tf_pc_register(struct tf_pc_zone *z)
{
	struct powercap_zone *parent = NULL, *pcz;

	if (z->parent) {
		parent = z->parent->pcz;
		if (!parent) {
			pcz = ERR_PTR(-ENOENT);
			goto out;
		}
	}
	pcz = powercap_register_zone(NULL, tf_pc_ct, z->name, parent,
				     z->src->power_uw ? &tf_pc_ops :
							&tf_pc_ops_no_power,
				     1, &tf_pc_constraint_ops);
out:
	mutex_lock(&tf_lock);
	if (IS_ERR(pcz)) {
		z->failed = true;
	} else {
		z->pcz = pcz;
		powercap_set_zone_data(pcz, z);
	}
	mutex_unlock(&tf_lock);
	if (IS_ERR(pcz))
		pr_warn("no powercap zone for %s: %ld\n", z->name, PTR_ERR(pcz));
}

/* Waits for the zone's callbacks in flight; none runs afterwards. */
static void tf_pc_unregister(struct tf_pc_zone *z)
{
	if (z->pcz)
		powercap_unregister_zone(tf_pc_ct, z->pcz);
	kfree(z);
}

static void tf_pc_sync(void)
{
	struct tf_pc_zone *z;

	mutex_lock(&tf_pc_mutex);
	while ((z = tf_pc_next_dead()))
		tf_pc_unregister(z);
	while ((z = tf_pc_next_new()))
		tf_pc_register(z);
	mutex_unlock(&tf_pc_mutex);
}

static void tf_pc_work_fn(struct work_struct *work)
{
	tf_pc_sync();
}

/* ---- zones ---------------------------------------------------------------- */

struct tf_pc_zone *tf_powercap_add_zone(const char *name,
					struct tf_pc_zone *parent,
					const struct tf_pc_source *src,
					void *ctx)
{
	struct tf_pc_zone *z;

	lockdep_assert_held(&tf_lock);
	if (!tf_pc_live)
		return NULL;
	z = kzalloc(sizeof(*z), GFP_KERNEL);
	if (!z)
		return NULL;
	strscpy(z->name, name, sizeof(z->name));
	z->parent = parent;
	z->src = src;
	z->ctx = ctx;
	list_add_tail(&z->node, &tf_pc_zones);
	schedule_work(&tf_pc_work);
	return z;
}

/* After exit began, the exit path owns every zone: z may be gone. */
void tf_powercap_del_zone(struct tf_pc_zone *z)
{
	lockdep_assert_held(&tf_lock);
	if (!z || !tf_pc_live)
		return;
	z->ctx = NULL;
	schedule_work(&tf_pc_work);
}

/* ---- domains --------------------------------------------------------------- */

static u64 tf_pc_domain_energy(void *ctx)
{
	return ((struct tf_domain *)ctx)->energy_uj;
}

/* world-readable: the unprivileged figure */
static u64 tf_pc_domain_power(void *ctx)
{
	return tf_domain_power_for(ctx, false);
}

static u64 tf_pc_domain_max_power(void *ctx)
{
	return ((struct tf_domain *)ctx)->max_power_uw;
}

static u64 tf_pc_domain_limit(void *ctx)
{
	return ((struct tf_domain *)ctx)->cap_uw;
}

static int tf_pc_domain_set_limit(void *ctx, u64 uw)
{
	tf_domain_set_caps(ctx, &uw, NULL);
	return 0;
}

static const struct tf_pc_source tf_pc_domain_src = {
	.energy_uj = tf_pc_domain_energy,
	.power_uw = tf_pc_domain_power,
	.max_power_uw = tf_pc_domain_max_power,
	.limit_uw = tf_pc_domain_limit,
	.set_limit_uw = tf_pc_domain_set_limit,
};

static struct tf_pc_zone *tf_pc_host_zone(void)
{
	unsigned int i;

	for (i = 0; i < tf_domain_count(); i++)
		if (tf_domain_get(i)->type == TF_DOMAIN_HOST)
			return tf_pc_domain[i];
	return NULL;
}

void tf_powercap_add_domain(struct tf_domain *d)
{
	struct tf_pc_zone *parent = NULL;

	lockdep_assert_held(&tf_lock);
	if (!tf_pc_live || d->id >= TF_MAX_DOMAINS || tf_pc_domain[d->id])
		return;
	if (d->type != TF_DOMAIN_HOST) {
		parent = tf_pc_host_zone();
		if (!parent)
			return;	/* the host's zone first */
	}
	tf_pc_domain[d->id] = tf_powercap_add_zone(d->name, parent,
						   &tf_pc_domain_src, d);
}

/* ---- init and exit --------------------------------------------------------- */

/* Domains and netlink are up: zones for the domains there are, now. */
int tf_powercap_init(void)
{
	struct powercap_control_type *ct;
	unsigned int i;

	ct = powercap_register_control_type(NULL, "tokenfactory", NULL);
	if (IS_ERR(ct))
		return PTR_ERR(ct);
	tf_pc_ct = ct;
	mutex_lock(&tf_lock);
	tf_pc_live = true;
	for (i = 0; i < tf_domain_count(); i++)
		if (tf_domain_get(i)->type == TF_DOMAIN_HOST)
			tf_powercap_add_domain(tf_domain_get(i));
	for (i = 0; i < tf_domain_count(); i++)
		tf_powercap_add_domain(tf_domain_get(i));
	mutex_unlock(&tf_lock);
	flush_work(&tf_pc_work);
	return 0;
}

/*
 * Before the domains go: no zone is added from here on, every zone is
 * deleted, and the work unregisters them all, waiting for the callbacks in
 * flight (a reader blocked on tf_lock gets it: nothing here holds it).
 */
void tf_powercap_exit(void)
{
	struct tf_pc_zone *z;

	mutex_lock(&tf_lock);
	tf_pc_live = false;
	list_for_each_entry(z, &tf_pc_zones, node)
		z->ctx = NULL;
	memset(tf_pc_domain, 0, sizeof(tf_pc_domain));
	mutex_unlock(&tf_lock);
	cancel_work_sync(&tf_pc_work);
	tf_pc_sync();
	powercap_unregister_control_type(tf_pc_ct);
	tf_pc_ct = NULL;
}
