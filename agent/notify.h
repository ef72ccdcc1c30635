/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The systemd notification protocol, without libsystemd (whose pages were a
 * good part of the daemon's resident memory for four calls): a datagram of
 * "KEY=value" lines to the AF_UNIX socket named by $NOTIFY_SOCKET, a path
 * ("/run/systemd/notify") or an abstract name ("@..."), as sd_notify(3)
 * sends it. READY=1, WATCHDOG=1, RELOADING=1 with MONOTONIC_USEC=,
 * STOPPING=1, STATUS=... are the messages the daemon sends.
 */
#ifndef TF_NOTIFY_H
#define TF_NOTIFY_H

#include <stdint.h>

/*
 * Sends state to $NOTIFY_SOCKET. > 0 sent; 0 when not run under a service
 * manager (no $NOTIFY_SOCKET); -EINVAL for a name that is neither a path nor
 * abstract or too long, else the -errno of socket() or sendmsg().
 */
int tf_notify(const char *state);
int tf_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * What sd_watchdog_enabled(0, usec) says: > 0 with *usec the watchdog
 * interval when $WATCHDOG_USEC is set (and $WATCHDOG_PID, if set, is this
 * process); 0 when there is no watchdog for us; -EINVAL for a malformed or
 * zero value.
 */
int tf_watchdog_usec(uint64_t *usec);

#endif /* TF_NOTIFY_H */
