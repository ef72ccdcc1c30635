// SPDX-License-Identifier: GPL-2.0
/* Netlink client of the tokenfactory family (libnl-genl-3). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "tf_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct tf_nl {
	struct nl_sock *sk;
	int family;
	char errmsg[256];
};

typedef int (*tf_nl_parse_fn)(struct nlattr **tb, void *arg);

/* One request/reply exchange: state of the receive loop. */
struct tf_nl_xfer {
	struct tf_nl *nl;
	int err;		/* 1 while running, then 0 or -errno */
	tf_nl_parse_fn parse;
	void *arg;
};

static const char *const tf_meter_kinds[] = {
	[TF_METER_RAPL] = "rapl",
	[TF_METER_ESTIMATE] = "estimate",
	[TF_METER_PUSHED] = "pushed",
};

const char *tf_meter_kind_name(uint32_t kind)
{
	if (kind < sizeof(tf_meter_kinds) / sizeof(tf_meter_kinds[0]) &&
	    tf_meter_kinds[kind])
		return tf_meter_kinds[kind];
	return "unknown";
}

int tf_nl_open(struct tf_nl **out)
{
	struct tf_nl *nl;
	int one = 1, err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		err = -ENOMEM;
		goto err_free;
	}
	err = genl_connect(nl->sk);
	if (err) {
		err = -ECONNREFUSED;
		goto err_sock;
	}
	/* Extended acks carry the kernel's error message; capped acks keep them short. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, TF_GENL_NAME);
	if (nl->family < 0) {
		err = -ENOENT;
		goto err_sock;
	}
	*out = nl;
	return 0;

err_sock:
	nl_socket_free(nl->sk);
err_free:
	free(nl);
	return err;
}

void tf_nl_close(struct tf_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

const char *tf_nl_errmsg(const struct tf_nl *nl)
{
	return nl->errmsg;
}

/* Picks the extack message out of an NLMSG_ERROR. */
static int tf_nl_on_error(struct sockaddr_nl *nla, struct nlmsgerr *e,
			  void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)e - 1;
	struct tf_nl_xfer *x = arg;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = nlh->nlmsg_len, off;

	(void)nla;
	x->err = e->error ? e->error : -EPROTO;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && len > off &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX,
		       (struct nlattr *)((char *)nlh + off), len - off, NULL) &&
	    tb[NLMSGERR_ATTR_MSG]) {
		snprintf(x->nl->errmsg, sizeof(x->nl->errmsg), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	}
	return NL_STOP;
}

static int tf_nl_on_ack(struct nl_msg *msg, void *arg)
{
	struct tf_nl_xfer *x = arg;

	(void)msg;
	x->err = 0;
	return NL_STOP;
}

static int tf_nl_on_valid(struct nl_msg *msg, void *arg)
{
	struct tf_nl_xfer *x = arg;
	struct nlattr *tb[TF_A_MAX + 1];
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, TF_A_MAX, NULL);
	if (err < 0) {
		x->err = -EPROTO;
		return NL_STOP;
	}
	if (x->parse) {
		err = x->parse(tb, x->arg);
		if (err) {
			x->err = err;
			return NL_STOP;
		}
	}
	return NL_OK;
}

/* Sends msg (consumed) and runs the receive loop until the ack or an error. */
static int tf_nl_xfer(struct tf_nl *nl, struct nl_msg *msg,
		      tf_nl_parse_fn parse, void *arg)
{
	struct tf_nl_xfer x = { .nl = nl, .err = 1, .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int err;

	nl->errmsg[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, tf_nl_on_error, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, tf_nl_on_ack, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, tf_nl_on_ack, &x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, tf_nl_on_valid, &x);
	while (x.err > 0) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && x.err > 0)
			x.err = -EIO;
	}
	nl_cb_put(cb);
	return x.err;
}

static struct nl_msg *tf_nl_msg(struct tf_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, TF_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static struct nla_policy tf_meter_policy[TF_A_METER_MAX + 1] = {
	[TF_A_METER_NAME] = { .type = NLA_STRING, .maxlen = TF_NAME_LEN },
	[TF_A_METER_KIND] = { .type = NLA_U32 },
	[TF_A_METER_ESTIMATED] = { .type = NLA_FLAG },
};

static int tf_parse_status(struct nlattr **tb, void *arg)
{
	struct tf_status *st = arg;
	struct nlattr *mt[TF_A_METER_MAX + 1], *pos;
	int rem;

	if (!tb[TF_A_STATUS_VERSION] || !tb[TF_A_STATUS_PROTO] ||
	    !tb[TF_A_STATUS_UPTIME_NS])
		return -EPROTO;
	snprintf(st->version, sizeof(st->version), "%s",
		 nla_get_string(tb[TF_A_STATUS_VERSION]));
	st->proto = nla_get_u32(tb[TF_A_STATUS_PROTO]);
	st->uptime_ns = nla_get_u64(tb[TF_A_STATUS_UPTIME_NS]);
	st->nmeters = 0;
	if (!tb[TF_A_STATUS_METERS])
		return 0;
	nla_for_each_nested(pos, tb[TF_A_STATUS_METERS], rem) {
		struct tf_meter_info *m;

		if (nla_type(pos) != TF_A_METER ||
		    st->nmeters >= TF_NL_MAX_METERS)
			continue;
		if (nla_parse_nested(mt, TF_A_METER_MAX, pos, tf_meter_policy) ||
		    !mt[TF_A_METER_NAME] || !mt[TF_A_METER_KIND])
			return -EPROTO;
		m = &st->meters[st->nmeters++];
		snprintf(m->name, sizeof(m->name), "%s",
			 nla_get_string(mt[TF_A_METER_NAME]));
		m->kind = nla_get_u32(mt[TF_A_METER_KIND]);
		m->estimated = !!mt[TF_A_METER_ESTIMATED];
	}
	return 0;
}

int tf_nl_status(struct tf_nl *nl, struct tf_status *st)
{
	struct nl_msg *msg = tf_nl_msg(nl, TF_CMD_STATUS_GET, 0);

	if (!msg)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	return tf_nl_xfer(nl, msg, tf_parse_status, st);
}
