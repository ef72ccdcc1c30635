/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ledger push's messages (TF_CMD_LEDGER_PUSH), shared by the netlink
 * client (agent/tf_nl.c) and the benchmarks' netlink doubles, so that they
 * time the encoding and the split the daemon does.
 */
#ifndef TF_NL_LEDGER_H
#define TF_NL_LEDGER_H

#include "tf_nl.h"

struct nl_msg;

/*
 * Ledger messages are filled row by row until the next row does not fit.
 * A message of libnl's default size (a page) held some 45 rows, so a fixed
 * count of 128 rows per message failed with -EMSGSIZE on any host with more
 * than a few dozen busy processes. 16 KiB stays well inside the socket's
 * send buffer (libnl's default: 32 KiB).
 */
#define TF_NL_LEDGER_MSG_SIZE 16384

/*
 * After msg's genetlink header: TF_A_LEDGER_GREEN_PPM, then
 * TF_A_LEDGER_ENTRIES with as many of rows[0..n) as fit whole. Returns the
 * number of rows put (0: not even the first fits), or -EMSGSIZE when the
 * message has no room for the two attributes.
 */
int tf_nl_ledger_fill(struct nl_msg *msg, uint32_t green_ppm,
		      const struct tf_ledger_row *rows, unsigned int n);

/*
 * rows[0..n) in as many TF_CMD_LEDGER_PUSH messages of
 * TF_NL_LEDGER_MSG_SIZE for family as they need, each handed to send(),
 * which owns it from then on (the client sends it, the benchmarks' doubles
 * drop it). Stops at send()'s first error; -ENOMEM, or -EMSGSIZE for a row
 * bigger than a whole message. No rows still make one message, with the
 * header attributes alone.
 */
int tf_nl_ledger_split(int family, uint32_t green_ppm,
		       const struct tf_ledger_row *rows, unsigned int n,
		       int (*send)(struct nl_msg *msg, void *arg), void *arg);

#endif /* TF_NL_LEDGER_H */
