/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TF_NETLINK_H
#define _TF_NETLINK_H

int tf_netlink_init(void);
void tf_netlink_exit(void);

#endif /* _TF_NETLINK_H */
