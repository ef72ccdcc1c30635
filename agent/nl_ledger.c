// SPDX-License-Identifier: GPL-2.0
/*
 * A ledger row is encoded in one piece: its size is known in advance, so
 * one nla_reserve() takes the room and the nested attributes are written
 * straight into it, with the bytes libnl's nla_nest_start()/nla_put_*()
 * would give (tests/unit/test_nl_ledger.c compares them). Attribute by
 * attribute through libnl was a tenth of a tick with 2,000 rows.
 */
#include <errno.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "nl_ledger.h"

/* One attribute at p: header, len bytes of data, zero padding; the next. */
static unsigned char *tf_put(unsigned char *p, int type, const void *data,
			     size_t len)
{
	struct nlattr *a = (struct nlattr *)p;

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(p + NLA_HDRLEN, data, len);
	memset(p + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return p + NLA_HDRLEN + NLA_ALIGN(len);
}

/* The start of a nest of len payload bytes at p; its first attribute. */
static unsigned char *tf_nest(unsigned char *p, int type, size_t len)
{
	struct nlattr *a = (struct nlattr *)p;

	a->nla_type = NLA_F_NESTED | type;
	a->nla_len = NLA_HDRLEN + len;
	return p + NLA_HDRLEN;
}

/* One row into msg, whole; -EMSGSIZE (msg unchanged) when it does not fit. */
static int tf_nl_ledger_row(struct nl_msg *msg, const struct tf_ledger_row *r)
{
	const size_t one = 2 * NLA_HDRLEN + NLA_ALIGN(sizeof(uint32_t)) +
			   NLA_ALIGN(sizeof(uint64_t));
	size_t comm = r->comm[0] ? strnlen(r->comm, sizeof(r->comm) - 1) + 1 : 0;
	size_t energy = (size_t)r->n_energy * (NLA_HDRLEN + one), len;
	struct nlattr *row;
	unsigned char *p;
	unsigned int k;

	len = nla_total_size(sizeof(uint32_t)) +
	      (r->tokens ? nla_total_size(sizeof(uint64_t)) : 0) +
	      (comm ? nla_total_size(comm) : 0) +
	      (energy ? NLA_HDRLEN + energy : 0);
	if (len > 0xffff - NLA_HDRLEN)
		return -EMSGSIZE;
	row = nla_reserve(msg, NLA_F_NESTED | TF_A_LEDGER_ENTRY, len);
	if (!row)
		return -EMSGSIZE;
	p = nla_data(row);
	p = tf_put(p, TF_A_LEDGER_PID, &r->pid, sizeof(r->pid));
	if (r->tokens)
		p = tf_put(p, TF_A_LEDGER_TOKENS, &r->tokens, sizeof(r->tokens));
	if (comm) {
		char c[sizeof(r->comm)];

		memcpy(c, r->comm, comm - 1);
		c[comm - 1] = '\0';
		p = tf_put(p, TF_A_LEDGER_COMM, c, comm);
	}
	/* libnl's nla_nest_end() drops an empty nest: so do we */
	if (energy)
		p = tf_nest(p, TF_A_LEDGER_ENERGY, energy);
	for (k = 0; k < r->n_energy; k++) {
		p = tf_nest(p, TF_A_ENERGY, one);
		p = tf_put(p, TF_A_ENERGY_DOMAIN_ID, &r->energy[k].domain_id,
			   sizeof(uint32_t));
		p = tf_put(p, TF_A_ENERGY_UJ, &r->energy[k].uj, sizeof(uint64_t));
	}
	return 0;
}

int tf_nl_ledger_fill(struct nl_msg *msg, uint32_t green_ppm,
		      const struct tf_ledger_row *rows, unsigned int n)
{
	struct nlattr *all;
	unsigned int i;

	if (nla_put_u32(msg, TF_A_LEDGER_GREEN_PPM, green_ppm) ||
	    !(all = nla_nest_start(msg, TF_A_LEDGER_ENTRIES)))
		return -EMSGSIZE;
	for (i = 0; i < n && !tf_nl_ledger_row(msg, &rows[i]); i++)
		;
	nla_nest_end(msg, all);
	return (int)i;
}

int tf_nl_ledger_split(int family, uint32_t green_ppm,
		       const struct tf_ledger_row *rows, unsigned int n,
		       int (*send)(struct nl_msg *msg, void *arg), void *arg)
{
	unsigned int i = 0;
	int err = 0;

	do {
		struct nl_msg *msg = nlmsg_alloc_size(TF_NL_LEDGER_MSG_SIZE);
		int in;

		if (!msg)
			return -ENOMEM;
		if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
				 TF_CMD_LEDGER_PUSH, TF_GENL_VERSION)) {
			nlmsg_free(msg);
			return -EMSGSIZE;
		}
		in = tf_nl_ledger_fill(msg, green_ppm, rows + i, n - i);
		if (in <= 0 && n) {
			/* a row bigger than a whole message: cannot be sent */
			nlmsg_free(msg);
			return in ? in : -EMSGSIZE;
		}
		i += in > 0 ? in : 0;
		err = send(msg, arg);
	} while (!err && i < n);
	return err;
}
