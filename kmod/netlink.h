/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TF_NETLINK_H
#define _TF_NETLINK_H

#include <linux/types.h>

struct tf_domain;
struct tf_group;
struct tf_account;

int tf_netlink_init(void);
void tf_netlink_exit(void);

/* Events to the "events" group; tf_lock held. */
void tf_nl_notify_domain(const struct tf_domain *d);
void tf_nl_notify_signal(void);
void tf_nl_notify_failsafe(bool on);
void tf_nl_notify_group(const struct tf_group *g, bool deleted);
void tf_nl_notify_bill(const struct tf_account *bill);

#endif /* _TF_NETLINK_H */
