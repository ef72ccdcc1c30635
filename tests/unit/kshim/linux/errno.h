/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/errno.h>: the uapi one has what we use. */
#ifndef TF_KSHIM_ERRNO_H
#define TF_KSHIM_ERRNO_H
#include_next <linux/errno.h>
#endif
