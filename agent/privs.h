/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's privileges after start-up: only the capabilities it still
 * needs (docs/reliability.md, "Privilege model").
 */
#ifndef TF_PRIVS_H
#define TF_PRIVS_H

#include <sys/capability.h>

/*
 * Drops every capability except keep[0..n-1] from the effective, permitted,
 * inheritable and ambient sets and from the bounding set, so that neither
 * this process nor anything it executes can get the others back. A listed
 * capability the process does not hold stays absent (it cannot be
 * regained). Call it once, while CAP_SETPCAP is still effective: the
 * bounding set cannot shrink without it (-EPERM). Returns 0 or a negative
 * errno: -EINVAL for a bad list, before anything changed.
 */
int tf_privs_drop(const cap_value_t *keep, int n);

#endif /* TF_PRIVS_H */
