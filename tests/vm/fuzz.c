// SPDX-License-Identifier: GPL-2.0
/*
 * tf-nlfuzz: a netlink fuzzer for the tokenfactory generic netlink family.
 *
 *   tf-nlfuzz [--seed S] [--count N] [--groups G] [--accounts A]
 *             [--reload-every K --reload-cmd CMD] [--timeout-ms T]
 *             [--unpriv] [--verbose]
 *
 * Sends N requests, deterministic from the seed: every command (do and
 * dump, and ids outside the family), built valid, mutated (wrong types and
 * lengths, missing and duplicated attributes, strings without NUL or too
 * long, extreme values, corrupted lengths), random or as nested garbage,
 * with bad header flags now and then. Every request must be answered (an
 * ACK or error, or a dump's DONE) within the timeout and every reply must
 * be well formed. Before, the module gets G groups and A ledger accounts
 * (of A sleeping children) so that dumps are large.
 *
 * The socket is raw (no libnl) so that any byte can be sent; the module's
 * invariants are checked afterwards through tf_nl, the client tfctl uses:
 * status answers, energies never went backwards, caps within bounds,
 * ledger accounts consistent.
 *
 * --reload-every K runs CMD (the test script's rmmod/insmod) after every
 * K requests; the family is resolved again after it, and whenever a
 * request is refused with ENOENT (the module may have been replaced under
 * us by someone else). --unpriv: run as an unprivileged user; every admin
 * command must then be refused with EPERM, and energies must be coarse.
 *
 * Exits 0 if everything was answered and every invariant held, else 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "tf_nl.h"

#define FZ_BUF		(64 * 1024)
#define FZ_ARENA	(48 * 1024)
#define FZ_MAX_ATTRS	48
#define FZ_MAX_KIDS	4096
#define FZ_ERRNOS	256

enum kind { K_NONE, K_U8, K_U32, K_U64, K_S64, K_STR, K_FLAG, K_NEST, K_PAD };

/* The wire type of each top-level attribute, as the uapi header says. */
static const enum kind attr_kind[TF_A_MAX + 1] = {
	[TF_A_PAD] = K_PAD,
	[TF_A_STATUS_VERSION] = K_STR, [TF_A_STATUS_PROTO] = K_U32,
	[TF_A_STATUS_UPTIME_NS] = K_U64, [TF_A_STATUS_METERS] = K_NEST,
	[TF_A_STATUS_FAILSAFE] = K_U8, [TF_A_STATUS_AGENT_PID] = K_U32,
	[TF_A_STATUS_HEARTBEAT_AGE_MS] = K_U64,
	[TF_A_STATUS_HEARTBEAT_TIMEOUT_MS] = K_U32,
	[TF_A_STATUS_FAILSAFE_COUNT] = K_U32,
	[TF_A_STATUS_PUSH_REJECTS] = K_U64, [TF_A_STATUS_GENERATION] = K_U32,
	[TF_A_DOMAIN_ID] = K_U32, [TF_A_DOMAIN_NAME] = K_STR,
	[TF_A_DOMAIN_TYPE] = K_U32, [TF_A_DOMAIN_METER] = K_U32,
	[TF_A_DOMAIN_ESTIMATED] = K_FLAG, [TF_A_DOMAIN_ENERGY_UJ] = K_U64,
	[TF_A_DOMAIN_POWER_UW] = K_U64, [TF_A_DOMAIN_MAX_POWER_UW] = K_U64,
	[TF_A_DOMAIN_CAP_UW] = K_U64, [TF_A_DOMAIN_FAILSAFE_CAP_UW] = K_U64,
	[TF_A_DOMAIN_EFFECTIVE_CAP_UW] = K_U64,
	[TF_A_DOMAIN_CAP_STATE] = K_U32, [TF_A_DOMAIN_CAP_LEVERS] = K_U32,
	[TF_A_DOMAIN_PERF_PCT] = K_U32,
	[TF_A_SIGNAL_SURPLUS_UW] = K_U64, [TF_A_SIGNAL_TTL_MS] = K_U32,
	[TF_A_SIGNAL_SOURCE] = K_STR, [TF_A_SIGNAL_CARBON_MG_KWH] = K_U32,
	[TF_A_SIGNAL_PRICE_UCUR_MWH] = K_S64,
	[TF_A_SIGNAL_TIMESTAMP_NS] = K_U64, [TF_A_SIGNAL_AGE_MS] = K_U64,
	[TF_A_SIGNAL_STALE] = K_FLAG,
	[TF_A_GROUP_NAME] = K_STR, [TF_A_GROUP_TIER] = K_U32,
	[TF_A_GROUP_TOKENS] = K_U64, [TF_A_GROUP_GREEN_UJ] = K_U64,
	[TF_A_GROUP_ENERGY] = K_NEST, [TF_A_GROUP_MEMBERS] = K_NEST,
	[TF_A_GROUP_DELETED] = K_FLAG,
	[TF_A_MEMBER_PID] = K_U32, [TF_A_MEMBER_CGROUP] = K_STR,
	[TF_A_LEDGER_GREEN_PPM] = K_U32, [TF_A_LEDGER_ENTRIES] = K_NEST,
	[TF_A_LEDGER_PID] = K_U32, [TF_A_LEDGER_COMM] = K_STR,
	[TF_A_LEDGER_ENERGY] = K_NEST, [TF_A_LEDGER_TOKENS] = K_U64,
	[TF_A_LEDGER_GREEN_UJ] = K_U64, [TF_A_LEDGER_OVERFLOWS] = K_U64,
	[TF_A_BILL_EXIT_NS] = K_U64, [TF_A_BILL_OVERFLOWS] = K_U64,
	[TF_A_GROUP_CAP_UW] = K_U64, [TF_A_DOMAIN_CORE_ENERGY_UJ] = K_U64,
};

/* What each command takes, per the uapi header; 0 ends a list. */
static const struct {
	bool admin, doit, dumpit;
	int attrs[8];
} cmds[TF_CMD_MAX + 1] = {
	[TF_CMD_STATUS_GET] = { .doit = true },
	[TF_CMD_DOMAIN_GET] = { .doit = true, .dumpit = true,
		.attrs = { TF_A_DOMAIN_NAME } },
	[TF_CMD_DOMAIN_SET] = { .admin = true, .doit = true,
		.attrs = { TF_A_DOMAIN_NAME, TF_A_DOMAIN_CAP_UW,
			   TF_A_DOMAIN_FAILSAFE_CAP_UW } },
	[TF_CMD_ENERGY_PUSH] = { .admin = true, .doit = true,
		.attrs = { TF_A_DOMAIN_NAME, TF_A_DOMAIN_ENERGY_UJ,
			   TF_A_DOMAIN_POWER_UW, TF_A_DOMAIN_MAX_POWER_UW } },
	[TF_CMD_SIGNAL_GET] = { .doit = true },
	[TF_CMD_SIGNAL_SET] = { .admin = true, .doit = true,
		.attrs = { TF_A_SIGNAL_SURPLUS_UW, TF_A_SIGNAL_TTL_MS,
			   TF_A_SIGNAL_SOURCE, TF_A_SIGNAL_CARBON_MG_KWH,
			   TF_A_SIGNAL_PRICE_UCUR_MWH,
			   TF_A_SIGNAL_TIMESTAMP_NS } },
	[TF_CMD_HEARTBEAT] = { .admin = true, .doit = true },
	[TF_CMD_GROUP_GET] = { .doit = true, .dumpit = true,
		.attrs = { TF_A_GROUP_NAME } },
	[TF_CMD_GROUP_NEW] = { .admin = true, .doit = true,
		.attrs = { TF_A_GROUP_NAME, TF_A_GROUP_TIER,
			   TF_A_GROUP_CAP_UW } },
	[TF_CMD_GROUP_SET] = { .admin = true, .doit = true,
		.attrs = { TF_A_GROUP_NAME, TF_A_GROUP_TIER,
			   TF_A_GROUP_CAP_UW } },
	[TF_CMD_GROUP_DEL] = { .admin = true, .doit = true,
		.attrs = { TF_A_GROUP_NAME } },
	[TF_CMD_MEMBER_ADD] = { .admin = true, .doit = true,
		.attrs = { TF_A_GROUP_NAME, TF_A_MEMBER_PID,
			   TF_A_MEMBER_CGROUP } },
	[TF_CMD_MEMBER_DEL] = { .admin = true, .doit = true,
		.attrs = { TF_A_GROUP_NAME, TF_A_MEMBER_PID,
			   TF_A_MEMBER_CGROUP } },
	[TF_CMD_LEDGER_PUSH] = { .admin = true, .doit = true,
		.attrs = { TF_A_LEDGER_GREEN_PPM, TF_A_LEDGER_ENTRIES } },
	[TF_CMD_LEDGER_GET] = { .dumpit = true },
	[TF_CMD_BILL_GET] = { .dumpit = true },
};

struct attr {
	uint16_t type;		/* with NLA_F_* bits when mutated */
	uint16_t len;		/* payload */
	uint8_t *data;		/* in the arena */
};

struct snap {
	bool ok;
	struct tf_status st;
	struct tf_domain_info *doms;
	unsigned int ndoms;
	struct tf_account_info *accts;
	unsigned int naccts;
	struct tf_group_info *groups;
	unsigned int ngroups;
};

struct fz {
	int fd;
	uint16_t family;
	uint32_t seq;
	uint64_t rng;
	int timeout_ms;
	bool unpriv, verbose;
	bool hdr_clean;		/* the request's headers are well formed */
	/* the request being built */
	uint8_t msg[FZ_BUF] __attribute__((aligned(8)));
	size_t msg_len;
	uint8_t arena[FZ_ARENA] __attribute__((aligned(8)));
	size_t arena_used;
	uint8_t rx[FZ_BUF] __attribute__((aligned(8)));
	/* the module's view: children whose accounts make dumps large */
	pid_t kids[FZ_MAX_KIDS];
	unsigned int nkids;
	unsigned long sent, answered, failures, reopens, fixups, replies;
	/* the "events" group: notifications are only built for listeners */
	int ev_fd;
	uint32_t mcgrp, joined;
	unsigned long events, overruns;
	unsigned long errs[FZ_ERRNOS];
	unsigned long per_cmd[256][2];	/* [cmd][0: ok, 1: error] */
};

static uint64_t rnd(struct fz *z)
{
	/* splitmix64: the whole run follows from --seed */
	uint64_t x = (z->rng += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint32_t below(struct fz *z, uint32_t n)
{
	return n ? rnd(z) % n : 0;
}

static bool chance(struct fz *z, unsigned int pct)
{
	return below(z, 100) < pct;
}

static void fail(struct fz *z, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct fz *z, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "tf-nlfuzz: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	z->failures++;
}

static void hexdump(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 512; i++)
		fprintf(stderr, "%02x%s", p[i], (i % 32 == 31) ? "\n" : " ");
	fputc('\n', stderr);
}

/* ---- the socket ------------------------------------------------------------ */

static int fz_socket(struct fz *z)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = {
		.tv_sec = z->timeout_ms / 1000,
		.tv_usec = (z->timeout_ms % 1000) * 1000,
	};
	int one = 1, rcvbuf = 1 << 20;

	z->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (z->fd < 0)
		return -errno;
	if (bind(z->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(z->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(z->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		return -errno;
	/* extack on: the kernel builds its error messages too */
	setsockopt(z->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	z->ev_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (z->ev_fd < 0 || bind(z->ev_fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	setsockopt(z->ev_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return 0;
}

static const struct nlattr *nla_next_in(const struct nlattr *a, int *rem)
{
	*rem -= NLA_ALIGN(a->nla_len);
	return (const struct nlattr *)((const uint8_t *)a + NLA_ALIGN(a->nla_len));
}

static bool nla_in(const struct nlattr *a, int rem)
{
	return rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
}

/* The id of TF_GENL_MCGRP_EVENTS in CTRL_ATTR_MCAST_GROUPS; 0 if absent. */
static uint32_t mcast_id(const struct nlattr *groups)
{
	const struct nlattr *g = (const void *)((const uint8_t *)groups + NLA_HDRLEN);
	int rem = groups->nla_len - NLA_HDRLEN;

	for (; nla_in(g, rem); g = nla_next_in(g, &rem)) {
		const struct nlattr *a = (const void *)((const uint8_t *)g + NLA_HDRLEN);
		int r = g->nla_len - NLA_HDRLEN;
		uint32_t id = 0;
		bool ours = false;

		for (; nla_in(a, r); a = nla_next_in(a, &r)) {
			const char *v = (const char *)a + NLA_HDRLEN;

			if (a->nla_type == CTRL_ATTR_MCAST_GRP_ID && a->nla_len == NLA_HDRLEN + 4)
				memcpy(&id, v, 4);
			if (a->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
			    a->nla_len == NLA_HDRLEN + sizeof(TF_GENL_MCGRP_EVENTS) &&
			    !memcmp(v, TF_GENL_MCGRP_EVENTS, sizeof(TF_GENL_MCGRP_EVENTS)))
				ours = true;
		}
		if (ours)
			return id;
	}
	return 0;
}

/* The family's id, from the generic netlink controller; 0 if absent. */
static int fz_resolve(struct fz *z)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		uint8_t attrs[64];
	} req = { 0 };
	struct nlattr *a = (struct nlattr *)req.attrs;
	uint32_t seq = ++z->seq;
	ssize_t len;

	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof(TF_GENL_NAME);
	memcpy(req.attrs + NLA_HDRLEN, TF_GENL_NAME, sizeof(TF_GENL_NAME));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_ALIGN(a->nla_len));
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.n.nlmsg_seq = seq;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	if (send(z->fd, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	z->family = 0;
	for (;;) {
		struct nlmsghdr *h;

		len = recv(z->fd, z->rx, sizeof(z->rx), 0);
		if (len < 0)
			return -errno;
		for (h = (struct nlmsghdr *)z->rx; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			struct nlattr *at;
			int rem;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return z->family ? 0 : e->error ? e->error : -ENOENT;
			}
			if (h->nlmsg_type != GENL_ID_CTRL)
				continue;
			at = (struct nlattr *)((uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN);
			rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			while (rem >= NLA_HDRLEN && at->nla_len >= NLA_HDRLEN &&
			       at->nla_len <= rem) {
				if ((at->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
					memcpy(&z->family, (uint8_t *)at + NLA_HDRLEN, 2);
				if ((at->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GROUPS)
					z->mcgrp = mcast_id(at);
				rem -= NLA_ALIGN(at->nla_len);
				at = (struct nlattr *)((uint8_t *)at + NLA_ALIGN(at->nla_len));
			}
		}
	}
}

/*
 * Listens to the family's events. Again after every resolution: a family
 * that went away took its listeners with it, whatever id it comes back with.
 */
static void fz_join(struct fz *z)
{
	if (z->ev_fd < 0 || !z->mcgrp)
		return;
	if (z->joined)
		setsockopt(z->ev_fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP,
			   &z->joined, sizeof(z->joined));
	if (setsockopt(z->ev_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &z->mcgrp, sizeof(z->mcgrp)))
		fail(z, "joining group %u: %s", z->mcgrp, strerror(errno));
	z->joined = z->mcgrp;
}

/* Resolves the family again, waiting up to 10 s for a module on its way back. */
static int fz_reopen(struct fz *z)
{
	int i, err = -ENOENT;

	for (i = 0; i < 1000; i++) {
		err = fz_resolve(z);
		if (!err) {
			fz_join(z);
			return 0;
		}
		usleep(10000);
	}
	return err;
}

/* Checks that a reply is a well-formed message of our family. */
static void fz_check_reply(struct fz *z, const struct nlmsghdr *h, uint8_t cmd)
{
	const struct genlmsghdr *g = NLMSG_DATA(h);
	const struct nlattr *a;
	int rem;

	z->replies++;
	if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
		fail(z, "seq %u: reply of %u bytes", h->nlmsg_seq, h->nlmsg_len);
		return;
	}
	if (h->nlmsg_type != z->family || g->cmd != cmd)
		fail(z, "seq %u: reply type %u cmd %u to cmd %u", h->nlmsg_seq,
		     h->nlmsg_type, g->cmd, cmd);
	a = (const struct nlattr *)((const uint8_t *)g + GENL_HDRLEN);
	rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	while (rem >= NLA_HDRLEN) {
		if (a->nla_len < NLA_HDRLEN || a->nla_len > rem) {
			fail(z, "seq %u: malformed attribute in reply", h->nlmsg_seq);
			return;
		}
		rem -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const uint8_t *)a + NLA_ALIGN(a->nla_len));
	}
	if (rem > 0)
		fail(z, "seq %u: %d trailing bytes in reply", h->nlmsg_seq, rem);
}

/* A notification: one of the _NTF commands, attributes well formed. */
static void fz_check_event(struct fz *z, const struct nlmsghdr *h)
{
	const struct genlmsghdr *g = NLMSG_DATA(h);
	const struct nlattr *a;
	int rem;

	z->events++;
	if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) ||
	    g->cmd < TF_CMD_DOMAIN_NTF || g->cmd > TF_CMD_BILL_NTF) {
		fail(z, "event: cmd %u, %u bytes", g->cmd, h->nlmsg_len);
		return;
	}
	a = (const struct nlattr *)((const uint8_t *)g + GENL_HDRLEN);
	rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	while (nla_in(a, rem))
		a = nla_next_in(a, &rem);
	if (rem)
		fail(z, "event %s: malformed attributes", tf_cmd_name(g->cmd));
}

/* Reads what the events group sent so far. */
static void fz_drain_events(struct fz *z)
{
	struct nlmsghdr *h;
	ssize_t len;

	while (z->ev_fd >= 0) {
		len = recv(z->ev_fd, z->rx, sizeof(z->rx), MSG_DONTWAIT);
		if (len < 0 && errno == ENOBUFS) {
			z->overruns++;	/* a slow listener loses events: fine */
			continue;
		}
		if (len <= 0)
			return;
		for (h = (struct nlmsghdr *)z->rx; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len))
			fz_check_event(z, h);
	}
}

/*
 * Sends the built request and waits for its answer: the ACK or error of a
 * do, the DONE (or error) of a dump. Returns 0 or a negative errno from the
 * kernel, or 1 if no answer came.
 */
static int fz_xfer(struct fz *z, uint8_t cmd, bool dump)
{
	struct nlmsghdr *req = (struct nlmsghdr *)z->msg;
	uint32_t seq = req->nlmsg_seq;
	ssize_t len;

	if (send(z->fd, z->msg, z->msg_len, 0) < 0) {
		fail(z, "seq %u: send: %s", seq, strerror(errno));
		return 1;
	}
	z->sent++;
	for (;;) {
		struct msghdr mh = { 0 };
		struct iovec iov = { z->rx, sizeof(z->rx) };
		struct nlmsghdr *h;

		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		len = recvmsg(z->fd, &mh, 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			fail(z, "seq %u cmd %u%s: no answer (%s)", seq, cmd,
			     dump ? " dump" : "", strerror(errno));
			hexdump(z->msg, z->msg_len);
			return 1;
		}
		if (mh.msg_flags & MSG_TRUNC)
			fail(z, "seq %u: reply truncated", seq);
		for (h = (struct nlmsghdr *)z->rx; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;	/* an earlier request's late part */
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				z->answered++;
				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(h), sizeof(err));
				z->answered++;
				if (!dump)
					fail(z, "seq %u: DONE to a do request", seq);
				return err;
			}
			fz_check_reply(z, h, cmd);
		}
	}
}

/* ---- building requests ------------------------------------------------------ */

static void *arena_alloc(struct fz *z, size_t n)
{
	void *p;

	if (z->arena_used + n > sizeof(z->arena))
		return NULL;
	p = z->arena + z->arena_used;
	z->arena_used += n;
	return p;
}

static int add_raw(struct fz *z, struct attr *v, int *n, uint16_t type,
		   const void *data, size_t len)
{
	uint8_t *p;

	if (*n >= FZ_MAX_ATTRS || len > 4000)
		return -1;
	p = arena_alloc(z, len ? len : 1);
	if (!p)
		return -1;
	memcpy(p, data, len);
	v[*n] = (struct attr){ .type = type, .len = len, .data = p };
	(*n)++;
	return 0;
}

/* Serialises attributes into out (at most max bytes); returns the length. */
static size_t serialise(const struct attr *v, int n, uint8_t *out, size_t max)
{
	size_t off = 0;
	int i;

	for (i = 0; i < n; i++) {
		struct nlattr a = { .nla_len = NLA_HDRLEN + v[i].len,
				    .nla_type = v[i].type };
		size_t sz = NLA_ALIGN(a.nla_len);

		if (off + sz > max)
			break;
		memcpy(out + off, &a, sizeof(a));
		memcpy(out + off + NLA_HDRLEN, v[i].data, v[i].len);
		memset(out + off + NLA_HDRLEN + v[i].len, 0, sz - a.nla_len);
		off += sz;
	}
	return off;
}

static const uint64_t edge64[] = {
	0, 1, 2, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
	~0ULL, ~0ULL - 1, TF_POWER_MAX_UW, TF_POWER_MAX_UW + 1,
	TF_POWER_MAX_UW - 1, 1000000, 1000000000, (uint64_t)-1000000LL,
	0xffffffffULL, 0x100000000ULL,
};

static const uint32_t edge32[] = {
	0, 1, 2, 3, 4, 0x7fffffff, 0x80000000, ~0U, ~0U - 1, 63, 64, 65,
	TF_SIGNAL_TTL_MAX_MS, TF_SIGNAL_TTL_MAX_MS + 1, 1000000, 1000001,
	0xffff, 0x10000,
};

static uint64_t val64(struct fz *z)
{
	switch (below(z, 4)) {
	case 0:
		return edge64[below(z, sizeof(edge64) / sizeof(edge64[0]))];
	case 1:
		return rnd(z);
	case 2:
		return below(z, 1000000);
	default:
		return rnd(z) >> below(z, 64);
	}
}

static uint32_t val32(struct fz *z)
{
	switch (below(z, 3)) {
	case 0:
		return edge32[below(z, sizeof(edge32) / sizeof(edge32[0]))];
	case 1:
		return rnd(z);
	default:
		return below(z, 100);
	}
}

static const char *const domain_names[] = {
	"host", "package-0", "dram-0", "gpu-0", "gpu-1", "gpu-3", "gpu-15",
	"gpu-16", "gpu-99999999999", "gpu-", "gpu--1", "gpu-0x1", "package-9",
	"", "GPU-0", "gpu-00",
};

static const char *const cgroup_paths[] = {
	"fz", "fz/a", "", "/", "//", "..", "../..", "fz/../fz", "nope",
	"fz/", "/fz", ".", "fz/a/../../..",
};

/* A string payload: normally NUL-terminated, else one of the bad shapes. */
static int add_str(struct fz *z, struct attr *v, int *n, uint16_t type,
		   const char *s, bool sane)
{
	char buf[400];
	size_t len;

	if (sane || chance(z, 70))
		return add_raw(z, v, n, type, s, strlen(s) + 1);
	switch (below(z, 5)) {
	case 0:		/* no NUL */
		return add_raw(z, v, n, type, s, strlen(s));
	case 1:		/* exactly TF_NAME_LEN with NUL, or one beyond */
		len = TF_NAME_LEN - 1 + below(z, 3);
		memset(buf, 'n', len);
		buf[len] = '\0';
		return add_raw(z, v, n, type, buf, len + 1);
	case 2:		/* long, up to past TF_CGROUP_PATH_MAX */
		len = below(z, sizeof(buf) - 1);
		memset(buf, 'l', len);
		buf[len] = '\0';
		return add_raw(z, v, n, type, buf, len + 1);
	case 3:		/* embedded NUL */
		return add_raw(z, v, n, type, "fz1\0xyz", 8);
	default:	/* bytes */
		len = below(z, 40);
		for (size_t i = 0; i < len; i++)
			buf[i] = rnd(z);
		return add_raw(z, v, n, type, buf, len);
	}
}

static pid_t some_pid(struct fz *z)
{
	switch (below(z, 6)) {
	case 0:
		return 1;
	case 1:
		return getpid();
	case 2:
		return (pid_t)val32(z);
	default:
		return z->nkids ? z->kids[below(z, z->nkids)] : getpid();
	}
}

static void group_name(struct fz *z, char *buf, size_t len)
{
	if (chance(z, 20))
		snprintf(buf, len, "big-%u", below(z, 10000));
	else
		snprintf(buf, len, "fz%u", below(z, 8));
}

/* Strict validation wants NLA_F_NESTED on nests: sometimes left out. */
static uint16_t nested(struct fz *z, bool sane)
{
	return sane || chance(z, 90) ? NLA_F_NESTED : 0;
}

/* TF_A_ENERGY nests (domain id, µJ) into a TF_A_*_ENERGY payload. */
static int energies(struct fz *z, uint8_t *out, size_t max, bool sane)
{
	struct attr v[8], in[4];
	int n = 0, i, k = below(z, 4) + (sane ? 1 : 0);
	size_t off = 0;

	for (i = 0; i < k; i++) {
		uint8_t tmp[64];
		uint32_t id = sane ? below(z, 3) : chance(z, 50) ? below(z, 70) : val32(z);
		uint64_t uj = sane ? below(z, 2000000) : val64(z);
		int m = 0;
		size_t len;

		if (chance(z, sane ? 3 : 15))
			uj = ~0ULL - below(z, 3);	/* sums that overflow */
		if (sane || chance(z, 85))
			add_raw(z, in, &m, TF_A_ENERGY_DOMAIN_ID, &id, 4);
		if (sane || chance(z, 85))
			add_raw(z, in, &m, TF_A_ENERGY_UJ, &uj, 8);
		if (!sane && chance(z, 10))
			add_raw(z, in, &m, below(z, 6), &uj, below(z, 9));
		len = serialise(in, m, tmp, sizeof(tmp));
		add_raw(z, v, &n, (!sane && chance(z, 10)) ? below(z, 4) :
			TF_A_ENERGY | nested(z, sane), tmp, len);
	}
	off = serialise(v, n, out, max);
	return off;
}

/* TF_A_LEDGER_ENTRIES: entries for the children (or garbage). */
static size_t ledger_entries(struct fz *z, uint8_t *out, size_t max, bool sane,
			     unsigned int k)
{
	struct attr v[FZ_MAX_ATTRS];
	int n = 0;
	unsigned int i;

	if (k > FZ_MAX_ATTRS)
		k = FZ_MAX_ATTRS;
	for (i = 0; i < k; i++) {
		struct attr e[8];
		uint8_t tmp[512], en[256];
		uint32_t pid = some_pid(z);
		uint64_t tok = sane ? below(z, 100) : val64(z);
		int m = 0;
		size_t len;

		if (sane || chance(z, 90))
			add_raw(z, e, &m, TF_A_LEDGER_PID, &pid, 4);
		len = energies(z, en, sizeof(en), sane);
		if (sane || chance(z, 80))
			add_raw(z, e, &m, TF_A_LEDGER_ENERGY | nested(z, sane),
				en, len);
		if (sane || chance(z, 50))
			add_raw(z, e, &m, TF_A_LEDGER_TOKENS, &tok, 8);
		if (chance(z, 30))
			add_str(z, e, &m, TF_A_LEDGER_COMM, "fz-worker", sane);
		if (!sane && chance(z, 15)) {	/* anything else, nested deeper */
			uint16_t t = below(z, TF_A_MAX + 4);

			add_raw(z, e, &m, t | (chance(z, 50) ? NLA_F_NESTED : 0),
				en, len);
		}
		len = serialise(e, m, tmp, sizeof(tmp));
		add_raw(z, v, &n, (!sane && chance(z, 10)) ? below(z, 3) :
			TF_A_LEDGER_ENTRY | nested(z, sane), tmp, len);
	}
	return serialise(v, n, out, max);
}

/* One attribute of the command, valid or plausibly so. */
static void add_valid(struct fz *z, struct attr *v, int *n, int type,
		      uint8_t cmd, bool sane)
{
	uint8_t buf[4096];
	char name[64];
	uint64_t u64;
	uint32_t u32;
	size_t len;

	switch (type) {
	case TF_A_DOMAIN_NAME:
		if (cmd == TF_CMD_ENERGY_PUSH && chance(z, 70))
			snprintf(name, sizeof(name), "gpu-%u", below(z, 4));
		else
			snprintf(name, sizeof(name), "%s",
				 domain_names[below(z, sizeof(domain_names) / sizeof(domain_names[0]))]);
		add_str(z, v, n, type, name, sane);
		return;
	case TF_A_GROUP_NAME:
		group_name(z, name, sizeof(name));
		add_str(z, v, n, type, name, sane);
		return;
	case TF_A_SIGNAL_SOURCE:
		add_str(z, v, n, type, "fuzz:src", sane);
		return;
	case TF_A_MEMBER_CGROUP:
		add_str(z, v, n, type,
			cgroup_paths[below(z, sizeof(cgroup_paths) / sizeof(cgroup_paths[0]))],
			sane);
		return;
	case TF_A_MEMBER_PID:
		u32 = some_pid(z);
		break;
	case TF_A_GROUP_TIER:
		u32 = sane || chance(z, 70) ? 1 + below(z, 3) : val32(z);
		break;
	case TF_A_SIGNAL_TTL_MS:
		u32 = sane || chance(z, 60) ? 1 + below(z, 100000) : val32(z);
		break;
	case TF_A_LEDGER_GREEN_PPM:
		u32 = sane || chance(z, 60) ? below(z, 1000001) : val32(z);
		break;
	case TF_A_DOMAIN_ENERGY_UJ:
		/* mostly increasing, slower than any max power allows */
		u64 = sane || chance(z, 70) ? z->sent * 1000 + below(z, 1000) : val64(z);
		add_raw(z, v, n, type, &u64, 8);
		return;
	case TF_A_DOMAIN_MAX_POWER_UW:
	case TF_A_DOMAIN_POWER_UW:
	case TF_A_DOMAIN_CAP_UW:
	case TF_A_DOMAIN_FAILSAFE_CAP_UW:
	case TF_A_GROUP_CAP_UW:
	case TF_A_SIGNAL_SURPLUS_UW:
		u64 = sane || chance(z, 50) ? below(z, 1000) * 1000000ULL : val64(z);
		add_raw(z, v, n, type, &u64, 8);
		return;
	case TF_A_LEDGER_ENTRIES:
		len = ledger_entries(z, buf, sizeof(buf), sane,
				     below(z, sane ? 8 : 20));
		add_raw(z, v, n, type | nested(z, sane), buf, len);
		return;
	default:
		switch (attr_kind[type]) {
		case K_U8:
			u32 = val32(z);
			add_raw(z, v, n, type, &u32, 1);
			return;
		case K_U64:
		case K_S64:
			u64 = val64(z);
			add_raw(z, v, n, type, &u64, 8);
			return;
		case K_STR:
			add_str(z, v, n, type, "x", sane);
			return;
		case K_FLAG:
		case K_PAD:
			add_raw(z, v, n, type, "", 0);
			return;
		case K_NEST:
			len = energies(z, buf, sizeof(buf), false);
			add_raw(z, v, n, type, buf, len);
			return;
		default:
			u32 = val32(z);
			break;
		}
	}
	add_raw(z, v, n, type, &u32, 4);
}

/* Wrong types and lengths, missing and duplicated attributes. */
static void mutate(struct fz *z, struct attr *v, int *n)
{
	int k = 1 + below(z, 3), i;

	while (k--) {
		i = *n ? below(z, *n) : 0;
		switch (below(z, 7)) {
		case 0:		/* missing */
			if (*n) {
				memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
				(*n)--;
			}
			break;
		case 1:		/* duplicated */
			if (*n && *n < FZ_MAX_ATTRS)
				v[(*n)++] = v[i];
			break;
		case 2:		/* shorter or longer than its type */
			if (*n) {
				size_t len = below(z, 17);
				uint8_t *p = arena_alloc(z, len + 1);

				if (p) {
					for (size_t j = 0; j < len; j++)
						p[j] = j < v[i].len ? v[i].data[j] : rnd(z);
					v[i].data = p;
					v[i].len = len;
				}
			}
			break;
		case 3:		/* another type's id */
			if (*n)
				v[i].type = below(z, TF_A_MAX + 4);
			break;
		case 4:		/* nested and byte-order flags */
			if (*n)
				v[i].type |= (below(z, 4) << 14);
			break;
		case 5:		/* an attribute no command takes */
			add_valid(z, v, n, 1 + below(z, TF_A_MAX), 0, false);
			break;
		default:	/* flipped bytes in the payload */
			if (*n && v[i].len) {
				uint8_t *p = arena_alloc(z, v[i].len);

				if (p) {
					memcpy(p, v[i].data, v[i].len);
					p[below(z, v[i].len)] ^= 1 << below(z, 8);
					v[i].data = p;
				}
			}
			break;
		}
	}
}

/*
 * Builds request number i into z->msg. Returns the command; *dump says
 * whether it went out as a dump.
 */
static uint8_t build(struct fz *z, bool *dump)
{
	struct nlmsghdr *h = (struct nlmsghdr *)z->msg;
	struct genlmsghdr *g = NLMSG_DATA(h);
	uint8_t *attrs = (uint8_t *)g + GENL_HDRLEN;
	size_t room = sizeof(z->msg) - NLMSG_LENGTH(GENL_HDRLEN), len = 0;
	struct attr v[FZ_MAX_ATTRS];
	int n = 0, i, mode = below(z, 100);
	uint8_t cmd;

	z->arena_used = 0;
	if (chance(z, 3))	/* unknown, notification-only or unspecified */
		cmd = chance(z, 50) ? TF_CMD_DOMAIN_NTF + below(z, 6) : rnd(z);
	else
		cmd = 1 + below(z, TF_CMD_MAX);
	if (cmd <= TF_CMD_MAX && cmds[cmd].dumpit)
		*dump = !cmds[cmd].doit || chance(z, 60);
	else
		*dump = chance(z, 5);

	if (mode < 40) {		/* valid, optional ones maybe left out */
		for (i = 0; cmd <= TF_CMD_MAX && cmds[cmd].attrs[i]; i++)
			if (chance(z, 85))
				add_valid(z, v, &n, cmds[cmd].attrs[i], cmd,
					  chance(z, 60));
	} else if (mode < 75) {		/* mutated */
		for (i = 0; cmd <= TF_CMD_MAX && cmds[cmd].attrs[i]; i++)
			add_valid(z, v, &n, cmds[cmd].attrs[i], cmd, false);
		mutate(z, v, &n);
	} else if (mode < 88) {		/* random attributes */
		int k = below(z, 8);

		while (k--)
			add_valid(z, v, &n, below(z, TF_A_MAX + 1), cmd, false);
		if (chance(z, 30))
			mutate(z, v, &n);
	} else if (mode < 95) {		/* nested garbage */
		uint8_t buf[4096];

		len = ledger_entries(z, buf, sizeof(buf), false, 1 + below(z, 30));
		add_raw(z, v, &n, (chance(z, 70) ? TF_A_LEDGER_ENTRIES :
				   below(z, TF_A_MAX + 1)) | nested(z, false),
			buf, len);
		len = 0;
	}
	if (mode < 95) {
		len = serialise(v, n, attrs, room);
		if (mode >= 40 && chance(z, 5) && len >= 4) {
			/* a lying attribute header */
			uint16_t lie = rnd(z);

			memcpy(attrs + below(z, len / 4) * 4, &lie, 2);
		}
	} else {			/* bytes */
		len = below(z, 200);
		for (i = 0; i < (int)len; i++)
			attrs[i] = rnd(z);
	}
	h->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + len;
	if (chance(z, 1))	/* shorter than a generic netlink header */
		h->nlmsg_len = NLMSG_LENGTH(below(z, GENL_HDRLEN));
	h->nlmsg_type = z->family;
	/* an answer is always asked for: it is what this fuzzer checks */
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (*dump ? NLM_F_DUMP : 0);
	if (chance(z, 3))
		h->nlmsg_flags |= (NLM_F_ECHO | NLM_F_ATOMIC | NLM_F_EXCL |
				   NLM_F_REPLACE | NLM_F_APPEND) & rnd(z);
	/* NLM_F_REPLACE|NLM_F_EXCL is NLM_F_ROOT|NLM_F_MATCH: a dump */
	*dump = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	h->nlmsg_seq = ++z->seq;
	h->nlmsg_pid = 0;
	g->cmd = cmd;
	g->version = chance(z, 3) ? rnd(z) : TF_GENL_VERSION;
	g->reserved = chance(z, 3) ? rnd(z) : 0;
	z->msg_len = h->nlmsg_len;
	/* what the core checks before the permission: header length, reserved */
	z->hdr_clean = !g->reserved && h->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN) &&
		       (h->nlmsg_flags & ~NLM_F_DUMP) == (NLM_F_REQUEST | NLM_F_ACK) &&
		       (!(h->nlmsg_flags & NLM_F_DUMP) || *dump);
	return cmd;
}

/* A plain request from attributes, for setup and fix-ups (not counted). */
static int plain(struct fz *z, uint8_t cmd, struct attr *v, int n)
{
	struct nlmsghdr *h = (struct nlmsghdr *)z->msg;
	struct genlmsghdr *g = NLMSG_DATA(h);
	size_t len = serialise(v, n, (uint8_t *)g + GENL_HDRLEN,
			       sizeof(z->msg) - NLMSG_LENGTH(GENL_HDRLEN));
	unsigned long sent = z->sent, answered = z->answered;
	int err;

	h->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + len;
	h->nlmsg_type = z->family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++z->seq;
	h->nlmsg_pid = 0;
	g->cmd = cmd;
	g->version = TF_GENL_VERSION;
	g->reserved = 0;
	z->msg_len = h->nlmsg_len;
	err = fz_xfer(z, cmd, false);
	z->sent = sent;
	z->answered = answered;
	return err;
}

/* A cap on a CPU domain throttles the guest itself: take it off at once. */
static void uncap(struct fz *z)
{
	static const char *const cpu[] = { "host", "package-0", "dram-0" };
	uint64_t zero = 0;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct attr v[3];
		int n = 0;

		z->arena_used = 0;
		add_raw(z, v, &n, TF_A_DOMAIN_NAME, cpu[i], strlen(cpu[i]) + 1);
		add_raw(z, v, &n, TF_A_DOMAIN_CAP_UW, &zero, 8);
		add_raw(z, v, &n, TF_A_DOMAIN_FAILSAFE_CAP_UW, &zero, 8);
		plain(z, TF_CMD_DOMAIN_SET, v, n);
		z->fixups++;
	}
}

/* G groups and A accounts of live children: dumps that span many messages. */
static int setup(struct fz *z, unsigned int groups, unsigned int accounts)
{
	unsigned int i, j;

	for (i = 0; i < groups; i++) {
		struct attr v[2];
		char name[TF_NAME_LEN];
		uint32_t tier = 1 + i % 3;
		int n = 0, err;

		z->arena_used = 0;
		snprintf(name, sizeof(name), "big-%u", i);
		add_raw(z, v, &n, TF_A_GROUP_NAME, name, strlen(name) + 1);
		add_raw(z, v, &n, TF_A_GROUP_TIER, &tier, 4);
		err = plain(z, TF_CMD_GROUP_NEW, v, n);
		if (err && err != -EEXIST) {
			fprintf(stderr, "tf-nlfuzz: setup: group %s: %s\n", name,
				strerror(err > 0 ? ETIMEDOUT : -err));
			return -1;
		}
	}
	for (i = 0; i < accounts && i < FZ_MAX_KIDS; i++) {
		pid_t pid = fork();

		if (pid < 0)
			break;
		if (!pid) {
			pause();
			_exit(0);
		}
		z->kids[z->nkids++] = pid;
	}
	/* their first accounts, in pushes of 32 */
	for (i = 0; i < z->nkids; i += 32) {
		struct attr e[32], top[1];
		uint8_t buf[8192];
		int n = 0, m = 0, err;

		z->arena_used = 0;
		for (j = i; j < z->nkids && j < i + 32; j++) {
			struct attr in[2], en[1], one[2];
			uint8_t t1[32], t2[48], t3[96];
			uint32_t pid = z->kids[j], id = 0;
			uint64_t uj = 1000 + j;
			int a = 0, b = 0, c = 0;
			size_t l;

			add_raw(z, in, &a, TF_A_ENERGY_DOMAIN_ID, &id, 4);
			add_raw(z, in, &a, TF_A_ENERGY_UJ, &uj, 8);
			l = serialise(in, a, t1, sizeof(t1));
			add_raw(z, en, &b, TF_A_ENERGY | NLA_F_NESTED, t1, l);
			l = serialise(en, b, t2, sizeof(t2));
			add_raw(z, one, &c, TF_A_LEDGER_PID, &pid, 4);
			add_raw(z, one, &c, TF_A_LEDGER_ENERGY | NLA_F_NESTED, t2, l);
			l = serialise(one, c, t3, sizeof(t3));
			add_raw(z, e, &n, TF_A_LEDGER_ENTRY | NLA_F_NESTED, t3, l);
		}
		add_raw(z, top, &m, TF_A_LEDGER_ENTRIES | NLA_F_NESTED,
			buf, serialise(e, n, buf, sizeof(buf)));
		err = plain(z, TF_CMD_LEDGER_PUSH, top, m);
		if (err) {
			fprintf(stderr, "tf-nlfuzz: setup: ledger push: %s\n",
				strerror(err > 0 ? ETIMEDOUT : -err));
			return -1;
		}
	}
	return 0;
}

static void reap_kids(struct fz *z)
{
	unsigned int i;

	for (i = 0; i < z->nkids; i++)
		kill(z->kids[i], SIGKILL);
	for (i = 0; i < z->nkids; i++)
		waitpid(z->kids[i], NULL, 0);
	z->nkids = 0;
}

/* ---- invariants ---------------------------------------------------------------- */

static void snap_free(struct snap *s)
{
	free(s->doms);
	free(s->accts);
	tf_group_infos_free(s->groups, s->ngroups);
	memset(s, 0, sizeof(*s));
}

static int snap_once(struct snap *s, char *msg, size_t len)
{
	struct tf_nl *nl;
	int err;

	memset(s, 0, sizeof(*s));
	err = tf_nl_open(&nl);
	if (err)
		return err;
	err = tf_nl_status(nl, &s->st);
	if (!err)
		err = tf_nl_domains(nl, &s->doms, &s->ndoms);
	if (!err)
		err = tf_nl_accounts(nl, false, &s->accts, &s->naccts);
	if (!err)
		err = tf_nl_groups(nl, &s->groups, &s->ngroups);
	snprintf(msg, len, "%s", tf_nl_errmsg(nl));
	tf_nl_close(nl);
	return err;
}

/*
 * The module's state through tf_nl. A module replaced under us (a
 * concurrent rmmod/insmod) is waited for and asked again.
 */
static int snap_take(struct fz *z, struct snap *s)
{
	char msg[320] = "";
	int err = 0, i;

	for (i = 0; i < 5; i++) {
		err = snap_once(s, msg, sizeof(msg));
		if (!err)
			break;
		snap_free(s);
		fz_reopen(z);
	}
	if (err)
		fail(z, "invariants: the module did not answer: %s (%s)",
		     strerror(-err), msg);
	s->ok = !err;
	return err;
}

static bool coarse(uint64_t uj)
{
	return uj % 1000000 == 0;
}

/* after vs before; before may be from another instance of the module */
static void snap_check(struct fz *z, const struct snap *b, const struct snap *a)
{
	bool same = b->ok && a->st.uptime_ns >= b->st.uptime_ns;
	unsigned int i, j, k;

	if (!a->ok)
		return;
	if (a->st.proto != TF_GENL_VERSION)
		fail(z, "status: proto %u", a->st.proto);
	if (same && a->st.push_rejects < b->st.push_rejects)
		fail(z, "status: push rejects went back %" PRIu64 " -> %" PRIu64,
		     b->st.push_rejects, a->st.push_rejects);
	for (i = 0; i < a->ndoms; i++) {
		const struct tf_domain_info *d = &a->doms[i];

		if (d->cap_uw > TF_POWER_MAX_UW || d->failsafe_cap_uw > TF_POWER_MAX_UW)
			fail(z, "domain %s: cap %" PRIu64 " failsafe %" PRIu64
			     " beyond %llu", d->name, d->cap_uw,
			     d->failsafe_cap_uw, TF_POWER_MAX_UW);
		if (d->eff_cap_uw && d->eff_cap_uw != d->cap_uw &&
		    d->eff_cap_uw != d->failsafe_cap_uw)
			fail(z, "domain %s: effective cap %" PRIu64
			     " is neither cap nor fail-safe cap", d->name,
			     d->eff_cap_uw);
		if (d->perf_pct > 100 || !d->cap_state ||
		    d->cap_state > TF_CAP_STATE_MAX || !d->type ||
		    d->type > TF_DOMAIN_TYPE_MAX)
			fail(z, "domain %s: perf %u%% state %u type %u",
			     d->name, d->perf_pct, d->cap_state, d->type);
		if (z->unpriv && !coarse(d->energy_uj))
			fail(z, "domain %s: fine energy %" PRIu64
			     " for an unprivileged reader", d->name, d->energy_uj);
		for (j = 0; same && j < b->ndoms; j++)
			if (b->doms[j].id == d->id &&
			    !strcmp(b->doms[j].name, d->name) &&
			    d->energy_uj < b->doms[j].energy_uj)
				fail(z, "domain %s: energy went back %" PRIu64
				     " -> %" PRIu64, d->name,
				     b->doms[j].energy_uj, d->energy_uj);
	}
	for (i = 0; i < a->ngroups; i++) {
		const struct tf_group_info *g = &a->groups[i];

		if (!g->name[0] || !g->tier || g->tier > TF_TIER_MAX ||
		    g->cap_uw > TF_POWER_MAX_UW)
			fail(z, "group '%s': tier %u cap %" PRIu64, g->name,
			     g->tier, g->cap_uw);
		for (j = i + 1; j < a->ngroups; j++)
			if (!strcmp(g->name, a->groups[j].name))
				fail(z, "group '%s' twice in a dump", g->name);
		for (k = 0; z->unpriv && k < g->n_energy; k++)
			if (!coarse(g->energy[k].uj))
				fail(z, "group %s: fine energy", g->name);
	}
	for (i = 0; i < a->naccts; i++) {
		const struct tf_account_info *x = &a->accts[i];
		uint64_t sum = 0;
		bool wrapped = false;

		if (x->overflows != a->accts[0].overflows)
			fail(z, "ledger: overflows differ between messages");
		for (k = 0; k < x->n_energy; k++) {
			wrapped |= sum + x->energy[k].uj < sum;
			sum += x->energy[k].uj;
			if (z->unpriv && !coarse(x->energy[k].uj))
				fail(z, "account %u: fine energy", x->pid);
		}
		/* green is a share of the energy pushed: never more */
		if (!wrapped && !z->unpriv && x->green_uj > sum)
			fail(z, "account %u: green %" PRIu64 " > energy %" PRIu64,
			     x->pid, x->green_uj, sum);
		for (j = i + 1; j < a->naccts; j++)
			if (a->accts[j].pid == x->pid)
				fail(z, "account %u twice in a dump", x->pid);
		for (j = 0; same && j < b->naccts; j++) {
			const struct tf_account_info *y = &b->accts[j];

			if (y->pid != x->pid)
				continue;
			if (x->tokens < y->tokens || x->green_uj < y->green_uj)
				fail(z, "account %u: tokens or green went back",
				     x->pid);
			for (k = 0; k < y->n_energy; k++) {
				unsigned int l;

				for (l = 0; l < x->n_energy; l++)
					if (x->energy[l].domain_id == y->energy[k].domain_id &&
					    x->energy[l].uj < y->energy[k].uj)
						fail(z, "account %u: domain %u energy went back %"
						     PRIu64 " -> %" PRIu64, x->pid,
						     x->energy[l].domain_id,
						     y->energy[k].uj, x->energy[l].uj);
			}
		}
	}
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: tf-nlfuzz [--seed S] [--count N] [--groups G] [--accounts A]\n"
		"                 [--reload-every K --reload-cmd CMD] [--timeout-ms T]\n"
		"                 [--unpriv] [--verbose]\n");
	exit(2);
}

static void summary(struct fz *z, uint64_t seed, double secs)
{
	int i;

	printf("tf-nlfuzz: seed %" PRIu64 ": %lu requests, %lu answered, %lu replies, "
	       "%lu events (%lu overruns), %lu reopens, %lu fix-ups, %.1f s, "
	       "%lu failures\n", seed, z->sent, z->answered, z->replies,
	       z->events, z->overruns, z->reopens, z->fixups, secs, z->failures);
	printf("tf-nlfuzz: answers by errno:");
	for (i = 0; i < FZ_ERRNOS; i++)
		if (z->errs[i])
			printf(" %s=%lu", i ? strerrorname_np(i) ?: "?" : "OK",
			       z->errs[i]);
	printf("\ntf-nlfuzz: per command (ok/error):");
	for (i = 0; i < 256; i++)
		if (z->per_cmd[i][0] || z->per_cmd[i][1])
			printf(" %s=%lu/%lu", i <= TF_CMD_MAX ? tf_cmd_name(i) : "unknown",
			       z->per_cmd[i][0], z->per_cmd[i][1]);
	printf("\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "groups", required_argument, NULL, 'g' },
		{ "accounts", required_argument, NULL, 'a' },
		{ "reload-every", required_argument, NULL, 'r' },
		{ "reload-cmd", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "unpriv", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 }
	};
	unsigned long count = 1000, reload_every = 0, i;
	unsigned int groups = 0, accounts = 0;
	const char *reload_cmd = NULL;
	struct timespec t0, t1;
	struct snap before, after;
	uint64_t seed = 1;
	struct fz *z;
	int c, err;

	z = calloc(1, sizeof(*z));
	if (!z)
		return 1;
	z->timeout_ms = 5000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 'g': groups = strtoul(optarg, NULL, 0); break;
		case 'a': accounts = strtoul(optarg, NULL, 0); break;
		case 'r': reload_every = strtoul(optarg, NULL, 0); break;
		case 'c': reload_cmd = optarg; break;
		case 't': z->timeout_ms = atoi(optarg); break;
		case 'u': z->unpriv = true; break;
		case 'v': z->verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc || (reload_every && !reload_cmd) || z->timeout_ms <= 0)
		usage();
	z->rng = seed;
	signal(SIGPIPE, SIG_IGN);
	err = fz_socket(z);
	if (!err)
		err = fz_reopen(z);
	if (err) {
		fprintf(stderr, "tf-nlfuzz: family %s: %s\n", TF_GENL_NAME,
			strerror(-err));
		return 1;
	}
	if (!z->unpriv && setup(z, groups, accounts)) {
		reap_kids(z);
		return 1;
	}
	snap_take(z, &before);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		bool dump = false;
		uint8_t cmd = build(z, &dump);

		if (z->verbose) {
			fprintf(stderr, "#%lu seq %u cmd %u%s len %zu\n", i,
				z->seq, cmd, dump ? " dump" : "", z->msg_len);
			hexdump(z->msg, z->msg_len);
		}
		err = fz_xfer(z, cmd, dump);
		fz_drain_events(z);
		if (err > 0) {
			if (z->failures > 20)
				break;
			continue;
		}
		z->errs[-err < FZ_ERRNOS ? -err : 0]++;
		z->per_cmd[cmd <= TF_CMD_MAX ? cmd : 255][err != 0]++;
		/*
		 * The core checks the headers, looks the operation up, then
		 * checks the permission: a well-formed admin request from an
		 * unprivileged sender must meet EPERM, and none may succeed.
		 */
		if (z->unpriv && cmd <= TF_CMD_MAX && cmds[cmd].admin && !dump &&
		    (!err || (z->hdr_clean && err != -EPERM)))
		{
			fail(z, "seq %u: admin command %s answered %d, not EPERM, "
			     "to an unprivileged sender", z->seq,
			     tf_cmd_name(cmd), err);
			hexdump(z->msg, z->msg_len);
		}
		if (!z->unpriv && cmd == TF_CMD_DOMAIN_SET && !err)
			uncap(z);
		/* the family may have been replaced under us */
		if (err == -ENOENT) {
			uint16_t old = z->family;

			if (fz_reopen(z)) {
				fail(z, "the family did not come back");
				break;
			}
			if (z->family != old) {
				z->reopens++;
				snap_free(&before);
				snap_take(z, &before);
			}
		}
		if (reload_every && (i + 1) % reload_every == 0 && i + 1 < count) {
			snap_take(z, &after);
			snap_check(z, &before, &after);
			snap_free(&after);
			reap_kids(z);
			if (system(reload_cmd))
				fail(z, "reload command '%s' failed", reload_cmd);
			if (fz_reopen(z)) {
				fail(z, "the family did not come back after '%s'",
				     reload_cmd);
				break;
			}
			z->reopens++;
			snap_free(&before);
			snap_take(z, &before);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* the module still answers and nothing went backwards */
	snap_take(z, &after);
	snap_check(z, &before, &after);
	snap_free(&before);
	snap_free(&after);
	reap_kids(z);
	summary(z, seed, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	close(z->fd);
	close(z->ev_fd);
	err = z->failures ? 1 : 0;
	free(z);
	return err;
}
