/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "tokenfactory" powercap control type (/sys/class/powercap): one zone
 * per domain, the host the parent of the others. Any other kind of object
 * gets a zone with one call, tf_powercap_add_zone(), and loses it with
 * tf_powercap_del_zone(); both run under tf_lock and only queue the sysfs
 * work, which a work item does without tf_lock (see powercap.c).
 */
#ifndef _TF_POWERCAP_H
#define _TF_POWERCAP_H

#include <linux/kconfig.h>
#include <linux/types.h>

struct tf_domain;
struct tf_pc_zone;

/*
 * What a zone shows. Each callback is called with tf_lock held and with the
 * ctx given to tf_powercap_add_zone(), never after tf_powercap_del_zone()
 * of that zone returned. power_uw may be NULL (no power_uw file); what it
 * returns is world-readable, so it must be fit for unprivileged readers.
 * set_limit_uw gets 0..TF_POWER_MAX_UW, 0 removing the limit.
 */
struct tf_pc_source {
	u64 (*energy_uj)(void *ctx);
	u64 (*power_uw)(void *ctx);
	u64 (*max_power_uw)(void *ctx);
	u64 (*limit_uw)(void *ctx);
	int (*set_limit_uw)(void *ctx, u64 uw);
};

#if IS_ENABLED(CONFIG_POWERCAP)
int tf_powercap_init(void);
void tf_powercap_exit(void);
/* tf_lock held. Children must be deleted before their parent. */
struct tf_pc_zone *tf_powercap_add_zone(const char *name,
					struct tf_pc_zone *parent,
					const struct tf_pc_source *src,
					void *ctx);
void tf_powercap_del_zone(struct tf_pc_zone *z);
/* tf_lock held: the domain's zone, once (a no-op before init) */
void tf_powercap_add_domain(struct tf_domain *d);
#else
static inline int tf_powercap_init(void)
{
	return 0;
}

static inline void tf_powercap_exit(void)
{
}

static inline struct tf_pc_zone *
tf_powercap_add_zone(const char *name, struct tf_pc_zone *parent,
		     const struct tf_pc_source *src, void *ctx)
{
	return NULL;
}

static inline void tf_powercap_del_zone(struct tf_pc_zone *z)
{
}

static inline void tf_powercap_add_domain(struct tf_domain *d)
{
}
#endif

#endif /* _TF_POWERCAP_H */
