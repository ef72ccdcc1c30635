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

#include "nl_ledger.h"
#include "tf_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define TF_NL_DUMP_RETRIES 5

struct tf_nl {
	struct nl_sock *sk;
	int family;
	unsigned int generation;	/* times the family was found again */
	int events_grp;
	unsigned int events_gone;	/* CTRL_CMD_DELFAMILY of ours seen */
	unsigned int events_rejoined;	/* joined again after a reload */
	bool events_lost;		/* gone, not yet joined again */
	uint8_t ctrl_cmd;		/* the controller's notification just read */
	char errmsg[320];
	/* the request in flight, to name the attribute an error points at */
	void *req;
	size_t req_len;
};

typedef int (*tf_nl_parse_fn)(struct nlattr **tb, void *arg);

/* One request/reply exchange: state of the receive loop. */
struct tf_nl_xfer {
	struct tf_nl *nl;
	int err;		/* 1 while running, then 0 or -errno */
	bool intr;		/* a dump message carried NLM_F_DUMP_INTR */
	tf_nl_parse_fn parse;
	void *arg;
};

#define NAME(x) [x] = #x
static const char *const tf_attr_names[TF_A_MAX + 1] = {
	NAME(TF_A_STATUS_VERSION), NAME(TF_A_STATUS_PROTO),
	NAME(TF_A_STATUS_UPTIME_NS), NAME(TF_A_STATUS_METERS),
	NAME(TF_A_STATUS_FAILSAFE), NAME(TF_A_STATUS_AGENT_PID),
	NAME(TF_A_STATUS_HEARTBEAT_AGE_MS),
	NAME(TF_A_STATUS_HEARTBEAT_TIMEOUT_MS),
	NAME(TF_A_STATUS_FAILSAFE_COUNT), NAME(TF_A_STATUS_PUSH_REJECTS),
	NAME(TF_A_STATUS_GENERATION),
	NAME(TF_A_DOMAIN_ID), NAME(TF_A_DOMAIN_NAME), NAME(TF_A_DOMAIN_TYPE),
	NAME(TF_A_DOMAIN_METER), NAME(TF_A_DOMAIN_ESTIMATED),
	NAME(TF_A_DOMAIN_ENERGY_UJ), NAME(TF_A_DOMAIN_POWER_UW),
	NAME(TF_A_DOMAIN_MAX_POWER_UW), NAME(TF_A_DOMAIN_CAP_UW),
	NAME(TF_A_DOMAIN_FAILSAFE_CAP_UW), NAME(TF_A_DOMAIN_EFFECTIVE_CAP_UW),
	NAME(TF_A_DOMAIN_CAP_STATE), NAME(TF_A_DOMAIN_CAP_LEVERS),
	NAME(TF_A_DOMAIN_PERF_PCT),
	NAME(TF_A_SIGNAL_SURPLUS_UW), NAME(TF_A_SIGNAL_TTL_MS),
	NAME(TF_A_SIGNAL_SOURCE), NAME(TF_A_SIGNAL_CARBON_MG_KWH),
	NAME(TF_A_SIGNAL_PRICE_UCUR_MWH), NAME(TF_A_SIGNAL_TIMESTAMP_NS),
	NAME(TF_A_SIGNAL_AGE_MS), NAME(TF_A_SIGNAL_STALE),
	NAME(TF_A_GROUP_NAME), NAME(TF_A_GROUP_TIER), NAME(TF_A_GROUP_TOKENS),
	NAME(TF_A_GROUP_GREEN_UJ), NAME(TF_A_GROUP_ENERGY),
	NAME(TF_A_GROUP_MEMBERS), NAME(TF_A_GROUP_DELETED),
	NAME(TF_A_MEMBER_PID), NAME(TF_A_MEMBER_CGROUP),
	NAME(TF_A_LEDGER_GREEN_PPM), NAME(TF_A_LEDGER_ENTRIES),
	NAME(TF_A_LEDGER_PID), NAME(TF_A_LEDGER_COMM),
	NAME(TF_A_LEDGER_ENERGY), NAME(TF_A_LEDGER_TOKENS),
	NAME(TF_A_LEDGER_GREEN_UJ), NAME(TF_A_LEDGER_OVERFLOWS),
	NAME(TF_A_BILL_EXIT_NS), NAME(TF_A_BILL_OVERFLOWS),
	NAME(TF_A_GROUP_CAP_UW), NAME(TF_A_DOMAIN_CORE_ENERGY_UJ),
};
#undef NAME

#define NAMEOF(table, i) \
	((i) < sizeof(table) / sizeof((table)[0]) && (table)[i] ? (table)[i] : "unknown")

const char *tf_attr_name(int type)
{
	return type >= 0 ? NAMEOF(tf_attr_names, (unsigned int)type) : "unknown";
}

const char *tf_cmd_name(int cmd)
{
#define NAME(x) [x] = #x
	static const char *const names[TF_CMD_MAX + 1] = {
		NAME(TF_CMD_STATUS_GET), NAME(TF_CMD_DOMAIN_GET),
		NAME(TF_CMD_DOMAIN_SET), NAME(TF_CMD_ENERGY_PUSH),
		NAME(TF_CMD_SIGNAL_GET), NAME(TF_CMD_SIGNAL_SET),
		NAME(TF_CMD_HEARTBEAT), NAME(TF_CMD_GROUP_GET),
		NAME(TF_CMD_GROUP_NEW), NAME(TF_CMD_GROUP_SET),
		NAME(TF_CMD_GROUP_DEL), NAME(TF_CMD_MEMBER_ADD),
		NAME(TF_CMD_MEMBER_DEL), NAME(TF_CMD_LEDGER_PUSH),
		NAME(TF_CMD_LEDGER_GET), NAME(TF_CMD_BILL_GET),
		NAME(TF_CMD_DOMAIN_NTF), NAME(TF_CMD_SIGNAL_NTF),
		NAME(TF_CMD_FAILSAFE_NTF), NAME(TF_CMD_GROUP_NTF),
		NAME(TF_CMD_BILL_NTF),
	};
#undef NAME

	return cmd >= 0 ? NAMEOF(names, (unsigned int)cmd) : "unknown";
}

const char *tf_meter_kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[TF_METER_RAPL] = "rapl",
		[TF_METER_ESTIMATE] = "estimate",
		[TF_METER_PUSHED] = "pushed",
	};

	return NAMEOF(names, kind);
}

const char *tf_domain_type_name(uint32_t type)
{
	static const char *const names[] = {
		[TF_DOMAIN_HOST] = "host",
		[TF_DOMAIN_PACKAGE] = "package",
		[TF_DOMAIN_DRAM] = "dram",
		[TF_DOMAIN_GPU] = "gpu",
	};

	return NAMEOF(names, type);
}

const char *tf_cap_state_name(uint32_t state)
{
	static const char *const names[] = {
		[TF_CAP_NONE] = "none",
		[TF_CAP_ENFORCED] = "enforced",
		[TF_CAP_AGENT] = "agent",
		[TF_CAP_UNENFORCEABLE] = "unenforceable",
	};

	return NAMEOF(names, state);
}

const char *tf_tier_name(uint32_t tier)
{
	static const char *const names[] = {
		[TF_TIER_INTERACTIVE] = "interactive",
		[TF_TIER_BATCH] = "batch",
		[TF_TIER_BACKGROUND] = "background",
	};

	return NAMEOF(names, tier);
}

int tf_tier_parse(const char *s)
{
	uint32_t t;

	for (t = TF_TIER_INTERACTIVE; t <= TF_TIER_MAX; t++)
		if (!strcmp(s, tf_tier_name(t)))
			return t;
	return -EINVAL;
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
	/* Extended acks carry the kernel's message; capped acks keep them short. */
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
	free(nl->req);
	free(nl);
}

const char *tf_nl_errmsg(const struct tf_nl *nl)
{
	return nl->errmsg;
}

int tf_nl_fd(const struct tf_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

/* The top-level attribute of the request that starts at offset off. */
static int tf_nl_attr_at(const struct tf_nl *nl, uint32_t off)
{
	size_t pos = NLMSG_HDRLEN + GENL_HDRLEN;

	while (nl->req && pos + NLA_HDRLEN <= nl->req_len) {
		const struct nlattr *a = (const void *)((char *)nl->req + pos);

		if (a->nla_len < NLA_HDRLEN)
			break;
		if (off >= pos && off < pos + a->nla_len)
			return a->nla_type & NLA_TYPE_MASK;
		pos += NLA_ALIGN(a->nla_len);
	}
	return -1;
}

/* Picks the extack message, and the attribute it names, out of an NLMSG_ERROR. */
static int tf_nl_on_error(struct sockaddr_nl *nla, struct nlmsgerr *e,
			  void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)e - 1;
	struct tf_nl_xfer *x = arg;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
	int len = nlh->nlmsg_len, off, n = 0, at = -1;
	char *buf = x->nl->errmsg;
	size_t sz = sizeof(x->nl->errmsg);

	(void)nla;
	x->err = e->error ? e->error : -EPROTO;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= off ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + off), len - off, NULL))
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		n = snprintf(buf, sz, "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS])
		at = tf_nl_attr_at(x->nl, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]));
	if (at >= 0 && n >= 0 && (size_t)n < sz &&
	    !strstr(buf, tf_attr_name(at)))
		n += snprintf(buf + n, sz - n, "%s(attribute %s)", n ? " " : "",
			      tf_attr_name(at));
	if (tb[NLMSGERR_ATTR_MISS_TYPE] && n >= 0 && (size_t)n < sz &&
	    !strstr(buf, tf_attr_name(nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]))))
		snprintf(buf + n, sz - n, "%smissing %s", n ? " " : "",
			 tf_attr_name(nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE])));
	return NL_STOP;
}

static int tf_nl_on_ack(struct nl_msg *msg, void *arg)
{
	struct tf_nl_xfer *x = arg;

	(void)msg;
	x->err = 0;
	return NL_STOP;
}

static int tf_nl_on_intr(struct nl_msg *msg, void *arg)
{
	struct tf_nl_xfer *x = arg;

	(void)msg;
	x->intr = true;
	return NL_OK;
}

static int tf_nl_on_valid(struct nl_msg *msg, void *arg)
{
	struct tf_nl_xfer *x = arg;
	struct nlattr *tb[TF_A_MAX + 1];
	int err;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, TF_A_MAX, NULL) < 0) {
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

/*
 * Sends msg (consumed) and runs the receive loop until the ack, the end of
 * the dump or an error. Returns -EINTR if a dump was interrupted by a change.
 */
static int tf_nl_xfer_once(struct tf_nl *nl, struct nl_msg *msg,
			   tf_nl_parse_fn parse, void *arg)
{
	struct tf_nl_xfer x = { .nl = nl, .err = 1, .parse = parse, .arg = arg };
	struct nlmsghdr *hdr;
	struct nl_cb *cb;
	int err;

	nl->errmsg[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl_send_auto(nl->sk, msg);
	hdr = nlmsg_hdr(msg);
	free(nl->req);
	nl->req = malloc(hdr->nlmsg_len);
	nl->req_len = nl->req ? hdr->nlmsg_len : 0;
	if (nl->req)
		memcpy(nl->req, hdr, hdr->nlmsg_len);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, tf_nl_on_error, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, tf_nl_on_ack, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, tf_nl_on_ack, &x);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, tf_nl_on_intr, &x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, tf_nl_on_valid, &x);
	while (x.err > 0) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && x.err > 0)
			x.err = -EIO;
	}
	nl_cb_put(cb);
	if (!x.err && x.intr)
		return -EINTR;
	return x.err;
}

/*
 * A reloaded module registers its family under a new id: requests to the
 * old one meet ENOENT before any handler runs. On ENOENT, look the family
 * up again; if its id changed, send the request once more to the new one.
 */
static int tf_nl_xfer(struct tf_nl *nl, struct nl_msg *msg,
		      tf_nl_parse_fn parse, void *arg)
{
	struct nlmsghdr *hdr;
	int err, fam;

	err = tf_nl_xfer_once(nl, msg, parse, arg);
	if (err != -ENOENT || !nl->req)
		return err;
	fam = genl_ctrl_resolve(nl->sk, TF_GENL_NAME);
	if (fam < 0 || fam == nl->family)
		return err;
	nl->family = fam;
	nl->generation++;
	msg = nlmsg_convert(nl->req);
	if (!msg)
		return -ENOMEM;
	hdr = nlmsg_hdr(msg);
	hdr->nlmsg_type = fam;
	hdr->nlmsg_seq = NL_AUTO_SEQ;
	hdr->nlmsg_pid = NL_AUTO_PORT;
	return tf_nl_xfer_once(nl, msg, parse, arg);
}

unsigned int tf_nl_generation(const struct tf_nl *nl)
{
	return nl->generation;
}

/* ---- parsing ------------------------------------------------------------- */

static uint64_t get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static uint32_t get_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static void get_str(struct nlattr **tb, int type, char *dst, size_t sz)
{
	snprintf(dst, sz, "%s", tb[type] ? nla_get_string(tb[type]) : "");
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
	get_str(tb, TF_A_STATUS_VERSION, st->version, sizeof(st->version));
	st->proto = get_u32(tb, TF_A_STATUS_PROTO);
	st->uptime_ns = get_u64(tb, TF_A_STATUS_UPTIME_NS);
	st->failsafe = tb[TF_A_STATUS_FAILSAFE] &&
		       nla_get_u8(tb[TF_A_STATUS_FAILSAFE]);
	st->agent_pid = get_u32(tb, TF_A_STATUS_AGENT_PID);
	st->heartbeat_age_ms = tb[TF_A_STATUS_HEARTBEAT_AGE_MS] ?
		(int64_t)nla_get_u64(tb[TF_A_STATUS_HEARTBEAT_AGE_MS]) : -1;
	st->heartbeat_timeout_ms = get_u32(tb, TF_A_STATUS_HEARTBEAT_TIMEOUT_MS);
	st->failsafe_count = get_u32(tb, TF_A_STATUS_FAILSAFE_COUNT);
	st->push_rejects = get_u64(tb, TF_A_STATUS_PUSH_REJECTS);
	st->generation = get_u32(tb, TF_A_STATUS_GENERATION);
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
		get_str(mt, TF_A_METER_NAME, m->name, sizeof(m->name));
		m->kind = nla_get_u32(mt[TF_A_METER_KIND]);
		m->estimated = !!mt[TF_A_METER_ESTIMATED];
	}
	return 0;
}

static int tf_parse_domain_into(struct nlattr **tb, struct tf_domain_info *d)
{
	if (!tb[TF_A_DOMAIN_ID] || !tb[TF_A_DOMAIN_NAME])
		return -EPROTO;
	memset(d, 0, sizeof(*d));
	d->id = get_u32(tb, TF_A_DOMAIN_ID);
	get_str(tb, TF_A_DOMAIN_NAME, d->name, sizeof(d->name));
	d->type = get_u32(tb, TF_A_DOMAIN_TYPE);
	d->meter = get_u32(tb, TF_A_DOMAIN_METER);
	d->estimated = !!tb[TF_A_DOMAIN_ESTIMATED];
	d->energy_uj = get_u64(tb, TF_A_DOMAIN_ENERGY_UJ);
	d->has_cores = !!tb[TF_A_DOMAIN_CORE_ENERGY_UJ];
	d->core_energy_uj = get_u64(tb, TF_A_DOMAIN_CORE_ENERGY_UJ);
	d->power_uw = get_u64(tb, TF_A_DOMAIN_POWER_UW);
	d->max_power_uw = get_u64(tb, TF_A_DOMAIN_MAX_POWER_UW);
	d->cap_uw = get_u64(tb, TF_A_DOMAIN_CAP_UW);
	d->failsafe_cap_uw = get_u64(tb, TF_A_DOMAIN_FAILSAFE_CAP_UW);
	d->eff_cap_uw = get_u64(tb, TF_A_DOMAIN_EFFECTIVE_CAP_UW);
	d->cap_state = get_u32(tb, TF_A_DOMAIN_CAP_STATE);
	d->levers = get_u32(tb, TF_A_DOMAIN_CAP_LEVERS);
	d->perf_pct = get_u32(tb, TF_A_DOMAIN_PERF_PCT);
	return 0;
}

static int tf_parse_domain(struct nlattr **tb, void *arg)
{
	return tf_parse_domain_into(tb, arg);
}

/* A growing array of parsed objects, for dumps. */
struct tf_list {
	void *v;
	size_t size;
	unsigned int n, cap;
	int (*parse)(struct nlattr **tb, void *obj);
};

static int tf_nl_dump(struct tf_nl *nl, uint8_t cmd, struct tf_list *l,
		      void (*reset)(struct tf_list *l));

static void tf_parse_signal_into(struct nlattr **tb, struct tf_signal_info *s)
{
	memset(s, 0, sizeof(*s));
	s->set = !!tb[TF_A_SIGNAL_SURPLUS_UW];
	s->surplus_uw = get_u64(tb, TF_A_SIGNAL_SURPLUS_UW);
	s->ttl_ms = get_u32(tb, TF_A_SIGNAL_TTL_MS);
	get_str(tb, TF_A_SIGNAL_SOURCE, s->source, sizeof(s->source));
	s->has_carbon = !!tb[TF_A_SIGNAL_CARBON_MG_KWH];
	s->carbon_mg_kwh = get_u32(tb, TF_A_SIGNAL_CARBON_MG_KWH);
	s->has_price = !!tb[TF_A_SIGNAL_PRICE_UCUR_MWH];
	s->price_ucur_mwh = (int64_t)get_u64(tb, TF_A_SIGNAL_PRICE_UCUR_MWH);
	s->timestamp_ns = get_u64(tb, TF_A_SIGNAL_TIMESTAMP_NS);
	s->age_ms = get_u64(tb, TF_A_SIGNAL_AGE_MS);
	s->stale = !!tb[TF_A_SIGNAL_STALE];
}

static int tf_parse_signal(struct nlattr **tb, void *arg)
{
	tf_parse_signal_into(tb, arg);
	return 0;
}

/* ---- requests -------------------------------------------------------------- */

int tf_nl_status(struct tf_nl *nl, struct tf_status *st)
{
	struct nl_msg *msg = tf_nl_msg(nl, TF_CMD_STATUS_GET, 0);

	if (!msg)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	return tf_nl_xfer(nl, msg, tf_parse_status, st);
}

int tf_nl_domains(struct tf_nl *nl, struct tf_domain_info **out,
		  unsigned int *n)
{
	struct tf_list l = { .size = sizeof(struct tf_domain_info),
			     .parse = tf_parse_domain };
	int err = tf_nl_dump(nl, TF_CMD_DOMAIN_GET, &l, NULL);

	if (err) {
		free(l.v);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int tf_nl_domain_get(struct tf_nl *nl, const char *name,
		     struct tf_domain_info *d)
{
	struct nl_msg *msg = tf_nl_msg(nl, TF_CMD_DOMAIN_GET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, TF_A_DOMAIN_NAME, name)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return tf_nl_xfer(nl, msg, tf_parse_domain, d);
}

int tf_nl_domain_set(struct tf_nl *nl, const char *name, const uint64_t *cap_uw,
		     const uint64_t *failsafe_uw)
{
	struct nl_msg *msg = tf_nl_msg(nl, TF_CMD_DOMAIN_SET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, TF_A_DOMAIN_NAME, name) ||
	    (cap_uw && nla_put_u64(msg, TF_A_DOMAIN_CAP_UW, *cap_uw)) ||
	    (failsafe_uw &&
	     nla_put_u64(msg, TF_A_DOMAIN_FAILSAFE_CAP_UW, *failsafe_uw))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return tf_nl_xfer(nl, msg, NULL, NULL);
}

int tf_nl_energy_push(struct tf_nl *nl, const char *name, uint64_t energy_uj,
		      const uint64_t *power_uw, const uint64_t *max_power_uw)
{
	struct nl_msg *msg = tf_nl_msg(nl, TF_CMD_ENERGY_PUSH, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, TF_A_DOMAIN_NAME, name) ||
	    nla_put_u64(msg, TF_A_DOMAIN_ENERGY_UJ, energy_uj) ||
	    (power_uw && nla_put_u64(msg, TF_A_DOMAIN_POWER_UW, *power_uw)) ||
	    (max_power_uw &&
	     nla_put_u64(msg, TF_A_DOMAIN_MAX_POWER_UW, *max_power_uw))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return tf_nl_xfer(nl, msg, NULL, NULL);
}

int tf_nl_signal_get(struct tf_nl *nl, struct tf_signal_info *s)
{
	struct nl_msg *msg = tf_nl_msg(nl, TF_CMD_SIGNAL_GET, 0);

	if (!msg)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	return tf_nl_xfer(nl, msg, tf_parse_signal, s);
}

int tf_nl_signal_set(struct tf_nl *nl, const struct tf_signal_info *s)
{
	struct nl_msg *msg = tf_nl_msg(nl, TF_CMD_SIGNAL_SET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, TF_A_SIGNAL_SURPLUS_UW, s->surplus_uw) ||
	    nla_put_u32(msg, TF_A_SIGNAL_TTL_MS, s->ttl_ms) ||
	    (s->source[0] &&
	     nla_put_string(msg, TF_A_SIGNAL_SOURCE, s->source)) ||
	    (s->has_carbon &&
	     nla_put_u32(msg, TF_A_SIGNAL_CARBON_MG_KWH, s->carbon_mg_kwh)) ||
	    (s->has_price &&
	     nla_put_s64(msg, TF_A_SIGNAL_PRICE_UCUR_MWH, s->price_ucur_mwh)) ||
	    (s->timestamp_ns &&
	     nla_put_u64(msg, TF_A_SIGNAL_TIMESTAMP_NS, s->timestamp_ns))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return tf_nl_xfer(nl, msg, NULL, NULL);
}

int tf_nl_heartbeat(struct tf_nl *nl)
{
	struct nl_msg *msg = tf_nl_msg(nl, TF_CMD_HEARTBEAT, 0);

	if (!msg)
		return -ENOMEM;
	return tf_nl_xfer(nl, msg, NULL, NULL);
}

/* ---- groups, members, ledger ----------------------------------------------- */

static struct nla_policy tf_energy_policy[TF_A_ENERGY_MAX + 1] = {
	[TF_A_ENERGY_DOMAIN_ID] = { .type = NLA_U32 },
	[TF_A_ENERGY_UJ] = { .type = NLA_U64 },
};

static int tf_parse_energies(struct nlattr *nest, struct tf_energy_row *rows,
			     unsigned int *n)
{
	struct nlattr *en[TF_A_ENERGY_MAX + 1], *pos;
	int rem;

	*n = 0;
	if (!nest)
		return 0;
	nla_for_each_nested(pos, nest, rem) {
		if (nla_type(pos) != TF_A_ENERGY || *n >= TF_NL_MAX_ENERGIES)
			continue;
		if (nla_parse_nested(en, TF_A_ENERGY_MAX, pos, tf_energy_policy) ||
		    !en[TF_A_ENERGY_DOMAIN_ID] || !en[TF_A_ENERGY_UJ])
			return -EPROTO;
		rows[*n].domain_id = nla_get_u32(en[TF_A_ENERGY_DOMAIN_ID]);
		rows[*n].uj = nla_get_u64(en[TF_A_ENERGY_UJ]);
		(*n)++;
	}
	return 0;
}

static int tf_parse_group_into(struct nlattr **tb, struct tf_group_info *g)
{
	struct nlattr *pos, *mt[TF_A_MAX + 1];
	int rem, err;

	memset(g, 0, sizeof(*g));
	if (!tb[TF_A_GROUP_NAME])
		return -EPROTO;
	get_str(tb, TF_A_GROUP_NAME, g->name, sizeof(g->name));
	g->tier = get_u32(tb, TF_A_GROUP_TIER);
	g->deleted = !!tb[TF_A_GROUP_DELETED];
	g->tokens = get_u64(tb, TF_A_GROUP_TOKENS);
	g->cap_uw = get_u64(tb, TF_A_GROUP_CAP_UW);
	g->green_uj = get_u64(tb, TF_A_GROUP_GREEN_UJ);
	err = tf_parse_energies(tb[TF_A_GROUP_ENERGY], g->energy, &g->n_energy);
	if (err || !tb[TF_A_GROUP_MEMBERS])
		return err;
	nla_for_each_nested(pos, tb[TF_A_GROUP_MEMBERS], rem) {
		struct tf_member_info *m;

		if (nla_type(pos) != TF_A_MEMBER ||
		    nla_parse_nested(mt, TF_A_MAX, pos, NULL))
			continue;
		m = realloc(g->members, (g->n_members + 1) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		g->members = m;
		m += g->n_members++;
		memset(m, 0, sizeof(*m));
		m->pid = get_u32(mt, TF_A_MEMBER_PID);
		get_str(mt, TF_A_MEMBER_CGROUP, m->cgroup, sizeof(m->cgroup));
	}
	return 0;
}

void tf_group_info_free(struct tf_group_info *g)
{
	if (!g)
		return;
	free(g->members);
	g->members = NULL;
	g->n_members = 0;
}

void tf_group_infos_free(struct tf_group_info *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		tf_group_info_free(&v[i]);
	free(v);
}

static int tf_parse_group(struct nlattr **tb, void *arg)
{
	return tf_parse_group_into(tb, arg);
}

static int tf_parse_list(struct nlattr **tb, void *arg)
{
	struct tf_list *l = arg;

	if (l->n == l->cap) {
		unsigned int cap = l->cap ? 2 * l->cap : 16;
		void *v = realloc(l->v, cap * l->size);

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	return l->parse(tb, (char *)l->v + l->size * l->n++);
}

/* A dump, run again (up to TF_NL_DUMP_RETRIES) while it is interrupted. */
static int tf_nl_dump(struct tf_nl *nl, uint8_t cmd, struct tf_list *l,
		      void (*reset)(struct tf_list *l))
{
	int err = -EINTR, tries;

	for (tries = 0; err == -EINTR && tries < TF_NL_DUMP_RETRIES; tries++) {
		struct nl_msg *msg = tf_nl_msg(nl, cmd, NLM_F_DUMP);

		if (!msg)
			return -ENOMEM;
		if (reset)
			reset(l);
		l->n = 0;
		err = tf_nl_xfer(nl, msg, tf_parse_list, l);
	}
	return err;
}

static void tf_group_list_reset(struct tf_list *l)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		tf_group_info_free((struct tf_group_info *)l->v + i);
}

int tf_nl_groups(struct tf_nl *nl, struct tf_group_info **out,
		 unsigned int *n)
{
	struct tf_list l = { .size = sizeof(struct tf_group_info),
			     .parse = tf_parse_group };
	int err = tf_nl_dump(nl, TF_CMD_GROUP_GET, &l, tf_group_list_reset);

	if (err) {
		tf_group_list_reset(&l);
		free(l.v);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

static int tf_nl_group_req(struct tf_nl *nl, uint8_t cmd, const char *name,
			   const uint32_t *tier, const uint64_t *cap_uw,
			   tf_nl_parse_fn parse, void *arg)
{
	struct nl_msg *msg = tf_nl_msg(nl, cmd, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, TF_A_GROUP_NAME, name) ||
	    (tier && nla_put_u32(msg, TF_A_GROUP_TIER, *tier)) ||
	    (cap_uw && nla_put_u64(msg, TF_A_GROUP_CAP_UW, *cap_uw))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return tf_nl_xfer(nl, msg, parse, arg);
}

int tf_nl_group_get(struct tf_nl *nl, const char *name,
		    struct tf_group_info *g)
{
	memset(g, 0, sizeof(*g));
	return tf_nl_group_req(nl, TF_CMD_GROUP_GET, name, NULL, NULL,
			       tf_parse_group, g);
}

int tf_nl_group_new(struct tf_nl *nl, const char *name, uint32_t tier,
		    const uint64_t *cap_uw)
{
	return tf_nl_group_req(nl, TF_CMD_GROUP_NEW, name, &tier, cap_uw,
			       NULL, NULL);
}

int tf_nl_group_set(struct tf_nl *nl, const char *name, const uint32_t *tier,
		    const uint64_t *cap_uw)
{
	return tf_nl_group_req(nl, TF_CMD_GROUP_SET, name, tier, cap_uw,
			       NULL, NULL);
}

int tf_nl_group_del(struct tf_nl *nl, const char *name)
{
	return tf_nl_group_req(nl, TF_CMD_GROUP_DEL, name, NULL, NULL, NULL,
			       NULL);
}

int tf_nl_member(struct tf_nl *nl, bool add, const char *group, uint32_t pid,
		 const char *cgroup)
{
	struct nl_msg *msg = tf_nl_msg(nl, add ? TF_CMD_MEMBER_ADD :
					      TF_CMD_MEMBER_DEL, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, TF_A_GROUP_NAME, group) ||
	    (pid && nla_put_u32(msg, TF_A_MEMBER_PID, pid)) ||
	    (!pid && nla_put_string(msg, TF_A_MEMBER_CGROUP, cgroup))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return tf_nl_xfer(nl, msg, NULL, NULL);
}

static int tf_nl_ledger_send(struct nl_msg *msg, void *nl)
{
	return tf_nl_xfer(nl, msg, NULL, NULL);
}

int tf_nl_ledger_push(struct tf_nl *nl, uint32_t green_ppm,
		      const struct tf_ledger_row *rows, unsigned int n)
{
	return tf_nl_ledger_split(nl->family, green_ppm, rows, n,
				  tf_nl_ledger_send, nl);
}

static int tf_parse_account(struct nlattr **tb, void *arg)
{
	struct tf_account_info *a = arg;

	memset(a, 0, sizeof(*a));
	if (!tb[TF_A_LEDGER_PID])
		return -EPROTO;
	a->pid = get_u32(tb, TF_A_LEDGER_PID);
	get_str(tb, TF_A_LEDGER_COMM, a->comm, sizeof(a->comm));
	get_str(tb, TF_A_GROUP_NAME, a->group, sizeof(a->group));
	a->tokens = get_u64(tb, TF_A_LEDGER_TOKENS);
	a->green_uj = get_u64(tb, TF_A_LEDGER_GREEN_UJ);
	a->exit_ns = get_u64(tb, TF_A_BILL_EXIT_NS);
	a->overflows = tb[TF_A_BILL_OVERFLOWS] ?
		       get_u64(tb, TF_A_BILL_OVERFLOWS) :
		       get_u64(tb, TF_A_LEDGER_OVERFLOWS);
	return tf_parse_energies(tb[TF_A_LEDGER_ENERGY], a->energy, &a->n_energy);
}

int tf_nl_accounts(struct tf_nl *nl, bool bills, struct tf_account_info **out,
		   unsigned int *n)
{
	struct tf_list l = { .size = sizeof(struct tf_account_info),
			     .parse = tf_parse_account };
	int err = tf_nl_dump(nl, bills ? TF_CMD_BILL_GET : TF_CMD_LEDGER_GET,
			     &l, NULL);

	if (err) {
		free(l.v);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

/* ---- raw messages, for tests and fuzzers ---------------------------------- */

struct nl_msg *tf_nl_new_msg(struct tf_nl *nl, uint8_t cmd, int flags)
{
	return tf_nl_msg(nl, cmd, flags);
}

int tf_nl_send_raw(struct tf_nl *nl, struct nl_msg *msg)
{
	return tf_nl_xfer(nl, msg, NULL, NULL);
}

/* ---- events ------------------------------------------------------------------ */

/*
 * The ids of the family and its "events" group, looked up on a socket of
 * their own: on the events socket, the controller's reply could meet
 * multicast messages in the same receive loop.
 */
static int tf_nl_lookup(int *family, int *grp)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err = -ENOENT;

	if (!sk)
		return -ENOMEM;
	if (genl_connect(sk)) {
		nl_socket_free(sk);
		return -ECONNREFUSED;
	}
	*family = genl_ctrl_resolve(sk, TF_GENL_NAME);
	*grp = genl_ctrl_resolve_grp(sk, TF_GENL_NAME, TF_GENL_MCGRP_EVENTS);
	if (*family >= 0 && *grp >= 0)
		err = 0;
	nl_socket_free(sk);
	return err;
}

int tf_nl_events_join(struct tf_nl *nl)
{
	int grp = genl_ctrl_resolve_grp(nl->sk, TF_GENL_NAME,
					TF_GENL_MCGRP_EVENTS);
	int ctrl = genl_ctrl_resolve_grp(nl->sk, "nlctrl", "notify");

	if (grp < 0)
		return -ENOENT;
	nl->events_grp = grp;
	if (nl_socket_add_membership(nl->sk, grp))
		return -EIO;
	/* without the controller's notifications: no rejoin, events still flow */
	if (ctrl >= 0)
		nl_socket_add_membership(nl->sk, ctrl);
	return 0;
}

unsigned int tf_nl_events_gone(const struct tf_nl *nl)
{
	return nl->events_gone;
}

unsigned int tf_nl_events_rejoined(const struct tf_nl *nl)
{
	return nl->events_rejoined;
}

int tf_nl_events_group(const struct tf_nl *nl)
{
	return nl->events_grp;
}

/* A controller notification about our family: note what happened. */
static void tf_nl_ctrl_event(struct tf_nl *nl, struct nl_msg *msg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	nl->ctrl_cmd = 0;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, NULL) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), TF_GENL_NAME))
		return;
	nl->ctrl_cmd = gh->cmd;
}

/*
 * After the controller's notification: an unloaded module took its group
 * (and our membership) with it; a loaded one has a new family id and maybe
 * a new group id. Joined again at the first notification that shows the
 * group exists (NEWFAMILY carries the groups, NEWMCAST_GRP follows).
 */
static void tf_nl_follow(struct tf_nl *nl)
{
	int family, grp;

	switch (nl->ctrl_cmd) {
	case CTRL_CMD_DELFAMILY:
		nl->events_gone++;
		nl->events_lost = true;
		break;
	case CTRL_CMD_NEWFAMILY:
	case CTRL_CMD_NEWMCAST_GRP:
		if (!nl->events_lost || tf_nl_lookup(&family, &grp))
			break;
		if (nl_socket_add_membership(nl->sk, grp))
			break;
		nl->family = family;
		nl->generation++;
		nl->events_grp = grp;
		nl->events_lost = false;
		nl->events_rejoined++;
		break;
	default:
		break;
	}
	nl->ctrl_cmd = 0;
}

struct tf_nl_ev_arg {
	struct tf_nl *nl;
	struct tf_event *ev;
};

static int tf_parse_event(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[TF_A_MAX + 1];
	struct tf_nl_ev_arg *a = arg;
	struct tf_event *ev = a->ev;

	if (nlmsg_hdr(msg)->nlmsg_type == GENL_ID_CTRL) {
		tf_nl_ctrl_event(a->nl, msg);
		return NL_STOP;		/* ev->cmd 0: nothing to show */
	}
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, TF_A_MAX, NULL) < 0)
		return NL_SKIP;
	ev->cmd = gh->cmd;
	switch (gh->cmd) {
	case TF_CMD_DOMAIN_NTF:
		if (tf_parse_domain_into(tb, &ev->domain))
			ev->cmd = 0;
		break;
	case TF_CMD_SIGNAL_NTF:
		tf_parse_signal_into(tb, &ev->signal);
		break;
	case TF_CMD_FAILSAFE_NTF:
		ev->failsafe.on = tb[TF_A_STATUS_FAILSAFE] &&
				  nla_get_u8(tb[TF_A_STATUS_FAILSAFE]);
		ev->failsafe.agent_pid = get_u32(tb, TF_A_STATUS_AGENT_PID);
		ev->failsafe.count = get_u32(tb, TF_A_STATUS_FAILSAFE_COUNT);
		ev->failsafe.silence_ms = tb[TF_A_STATUS_HEARTBEAT_AGE_MS] ?
			(int64_t)nla_get_u64(tb[TF_A_STATUS_HEARTBEAT_AGE_MS]) : -1;
		ev->failsafe.timeout_ms =
			get_u32(tb, TF_A_STATUS_HEARTBEAT_TIMEOUT_MS);
		break;
	case TF_CMD_GROUP_NTF:
		if (tf_parse_group_into(tb, &ev->group)) {
			tf_group_info_free(&ev->group);
			ev->cmd = 0;
		}
		break;
	case TF_CMD_BILL_NTF:
		if (tf_parse_account(tb, &ev->bill))
			ev->cmd = 0;
		break;
	default:
		ev->cmd = 0;	/* an event this client does not know */
		break;
	}
	return NL_STOP;
}

/* Events are not answers to our sequence numbers. */
static int tf_nl_no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

void tf_event_free(struct tf_event *ev)
{
	if (ev->cmd == TF_CMD_GROUP_NTF)
		tf_group_info_free(&ev->group);
	ev->cmd = 0;
}

/* Blocks until one event arrives; ev->cmd 0 for one this client skips. */
int tf_nl_event_recv(struct tf_nl *nl, struct tf_event *ev)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	struct tf_nl_ev_arg a = { nl, ev };
	int err;

	if (!cb)
		return -ENOMEM;
	memset(ev, 0, sizeof(*ev));
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, tf_nl_no_seq_check, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, tf_parse_event, &a);
	err = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (nl->ctrl_cmd)
		tf_nl_follow(nl);
	if (err < 0)
		snprintf(nl->errmsg, sizeof(nl->errmsg), "%s", nl_geterror(err));
	return err < 0 ? -EIO : 0;
}
