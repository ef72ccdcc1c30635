// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "tokenfactory". The protocol is defined and
 * documented in include/uapi/linux/tokenfactory.h.
 *
 * resv_start_op is 0, so every operation is strict: attributes outside an
 * operation's policy are rejected by the core, and an operation without a
 * policy accepts none. Writes carry GENL_ADMIN_PERM (CAP_NET_ADMIN).
 * Handlers take tf_lock; the family is not parallel_ops, so the core's
 * genl_mutex also serialises them.
 */
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <net/genetlink.h>
#include <linux/tokenfactory.h>

#include "domain.h"
#include "heartbeat.h"
#include "netlink.h"
#include "signal.h"
#include "tokenfactory.h"

static struct genl_family tf_genl_family;
static bool tf_nl_live;		/* notifications may go out; tf_lock */

/*
 * Names the attribute in the message, and marks it missing for the caller.
 * The local must not be called __info: GENL_REQ_ATTR_CHECK declares its own
 * __info, which would then be initialised from itself.
 */
#define TF_NEED(info, attr) ({						\
	struct genl_info *__tf_info = (info);				\
	bool __missing = GENL_REQ_ATTR_CHECK(__tf_info, attr);		\
	if (__missing)							\
		NL_SET_ERR_MSG(__tf_info->extack, "missing " #attr);	\
	!__missing;							\
})

static bool tf_privileged(const struct sk_buff *skb)
{
	return netlink_capable(skb, CAP_NET_ADMIN);
}

/* ---- status ------------------------------------------------------------ */

static int tf_put_meter(struct sk_buff *msg, const struct tf_domain *d)
{
	struct nlattr *nest = nla_nest_start(msg, TF_A_METER);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(msg, TF_A_METER_NAME, d->name) ||
	    nla_put_u32(msg, TF_A_METER_KIND, d->meter_kind) ||
	    (d->estimated && nla_put_flag(msg, TF_A_METER_ESTIMATED))) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int tf_fill_status(struct sk_buff *msg)
{
	s64 age = tf_heartbeat_age_ms();
	struct nlattr *meters;
	unsigned int i;

	if (nla_put_string(msg, TF_A_STATUS_VERSION, TF_VERSION) ||
	    nla_put_u32(msg, TF_A_STATUS_PROTO, TF_GENL_VERSION) ||
	    nla_put_u64_64bit(msg, TF_A_STATUS_UPTIME_NS, tf_uptime_ns(),
			      TF_A_PAD) ||
	    nla_put_u8(msg, TF_A_STATUS_FAILSAFE, tf_failsafe_active()) ||
	    nla_put_u32(msg, TF_A_STATUS_AGENT_PID, tf_agent_pid()) ||
	    (age >= 0 &&
	     nla_put_u64_64bit(msg, TF_A_STATUS_HEARTBEAT_AGE_MS, age,
			       TF_A_PAD)) ||
	    nla_put_u32(msg, TF_A_STATUS_HEARTBEAT_TIMEOUT_MS,
			tf_heartbeat_timeout_ms()) ||
	    nla_put_u32(msg, TF_A_STATUS_FAILSAFE_COUNT, tf_failsafe_count()) ||
	    nla_put_u64_64bit(msg, TF_A_STATUS_PUSH_REJECTS,
			      tf_domain_push_rejects(), TF_A_PAD) ||
	    nla_put_u32(msg, TF_A_STATUS_GENERATION, tf_generation()))
		return -EMSGSIZE;
	meters = nla_nest_start(msg, TF_A_STATUS_METERS);
	if (!meters)
		return -EMSGSIZE;
	for (i = 0; i < tf_domain_count(); i++) {
		const struct tf_domain *d = tf_domain_get(i);

		if (d->type != TF_DOMAIN_HOST && tf_put_meter(msg, d))
			return -EMSGSIZE;
	}
	nla_nest_end(msg, meters);
	return 0;
}

/* Replies to a do request with one message built by fill under tf_lock. */
static int tf_reply(struct sk_buff *skb, struct genl_info *info, u8 cmd,
		    int (*fill)(struct sk_buff *msg, const void *arg,
				bool priv),
		    const void *arg)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &tf_genl_family, 0, cmd);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	mutex_lock(&tf_lock);
	ret = fill(msg, arg, tf_privileged(skb));
	mutex_unlock(&tf_lock);
	if (ret) {
		NL_SET_ERR_MSG(info->extack, "reply does not fit a message");
		nlmsg_free(msg);
		return ret;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int tf_fill_status_cb(struct sk_buff *msg, const void *arg, bool priv)
{
	return tf_fill_status(msg);
}

static int tf_nl_status_get(struct sk_buff *skb, struct genl_info *info)
{
	return tf_reply(skb, info, TF_CMD_STATUS_GET, tf_fill_status_cb, NULL);
}

/* ---- domains ------------------------------------------------------------ */

static int tf_fill_domain(struct sk_buff *msg, const void *arg, bool priv)
{
	const struct tf_domain *d = arg;

	if (nla_put_u32(msg, TF_A_DOMAIN_ID, d->id) ||
	    nla_put_string(msg, TF_A_DOMAIN_NAME, d->name) ||
	    nla_put_u32(msg, TF_A_DOMAIN_TYPE, d->type) ||
	    nla_put_u32(msg, TF_A_DOMAIN_METER, d->meter_kind) ||
	    (d->estimated && nla_put_flag(msg, TF_A_DOMAIN_ESTIMATED)) ||
	    nla_put_u64_64bit(msg, TF_A_DOMAIN_ENERGY_UJ,
			      tf_domain_energy_for(d, priv), TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_DOMAIN_POWER_UW,
			      tf_domain_power_for(d, priv), TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_DOMAIN_MAX_POWER_UW, d->max_power_uw,
			      TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_DOMAIN_CAP_UW, d->cap_uw, TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_DOMAIN_FAILSAFE_CAP_UW,
			      d->failsafe_cap_uw, TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_DOMAIN_EFFECTIVE_CAP_UW, d->eff_cap_uw,
			      TF_A_PAD) ||
	    nla_put_u32(msg, TF_A_DOMAIN_CAP_STATE, d->cap_state) ||
	    nla_put_u32(msg, TF_A_DOMAIN_CAP_LEVERS, d->levers) ||
	    nla_put_u32(msg, TF_A_DOMAIN_PERF_PCT, d->perf_pct))
		return -EMSGSIZE;
	return 0;
}

/* Looks the named domain up; tf_lock held. */
static struct tf_domain *tf_domain_from(struct genl_info *info)
{
	struct tf_domain *d;

	if (!TF_NEED(info, TF_A_DOMAIN_NAME))
		return ERR_PTR(-EINVAL);
	d = tf_domain_find(nla_data(info->attrs[TF_A_DOMAIN_NAME]));
	if (!d) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TF_A_DOMAIN_NAME],
				    "TF_A_DOMAIN_NAME: no such domain");
		return ERR_PTR(-ENOENT);
	}
	return d;
}

static int tf_nl_domain_get(struct sk_buff *skb, struct genl_info *info)
{
	struct tf_domain *d;

	mutex_lock(&tf_lock);
	d = tf_domain_from(info);
	mutex_unlock(&tf_lock);
	if (IS_ERR(d))
		return PTR_ERR(d);
	/* domains are never removed while the module is loaded */
	return tf_reply(skb, info, TF_CMD_DOMAIN_GET, tf_fill_domain, d);
}

/*
 * Dumps resume at cb->args[0]. cb->seq carries the generation, so that a
 * dump that spans a change of the set of objects is flagged NLM_F_DUMP_INTR.
 */
static int tf_nl_domain_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	bool priv = tf_privileged(cb->skb);
	unsigned int i;
	void *hdr;

	mutex_lock(&tf_lock);
	cb->seq = tf_generation();
	for (i = cb->args[0]; i < tf_domain_count(); i++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &tf_genl_family,
				  NLM_F_MULTI, TF_CMD_DOMAIN_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (tf_fill_domain(skb, tf_domain_get(i), priv)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&tf_lock);
	cb->args[0] = i;
	return skb->len;
}

static int tf_nl_domain_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *cap = info->attrs[TF_A_DOMAIN_CAP_UW];
	struct nlattr *fs = info->attrs[TF_A_DOMAIN_FAILSAFE_CAP_UW];
	u64 cap_uw, fs_uw;
	struct tf_domain *d;

	if (!cap && !fs) {
		NL_SET_ERR_MSG(info->extack,
			       "missing TF_A_DOMAIN_CAP_UW or TF_A_DOMAIN_FAILSAFE_CAP_UW");
		return -EINVAL;
	}
	if (cap)
		cap_uw = nla_get_u64(cap);
	if (fs)
		fs_uw = nla_get_u64(fs);
	mutex_lock(&tf_lock);
	d = tf_domain_from(info);
	if (!IS_ERR(d))
		tf_domain_set_caps(d, cap ? &cap_uw : NULL, fs ? &fs_uw : NULL);
	mutex_unlock(&tf_lock);
	return PTR_ERR_OR_ZERO(d);
}

static int tf_nl_energy_push(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *pw = info->attrs[TF_A_DOMAIN_POWER_UW];
	struct nlattr *max = info->attrs[TF_A_DOMAIN_MAX_POWER_UW];
	u64 pw_uw, max_uw;
	int ret;

	if (!TF_NEED(info, TF_A_DOMAIN_NAME) ||
	    !TF_NEED(info, TF_A_DOMAIN_ENERGY_UJ))
		return -EINVAL;
	if (pw)
		pw_uw = nla_get_u64(pw);
	if (max)
		max_uw = nla_get_u64(max);
	mutex_lock(&tf_lock);
	ret = tf_domain_push(nla_data(info->attrs[TF_A_DOMAIN_NAME]),
			     nla_get_u64(info->attrs[TF_A_DOMAIN_ENERGY_UJ]),
			     pw ? &pw_uw : NULL, max ? &max_uw : NULL,
			     info->extack);
	mutex_unlock(&tf_lock);
	return ret;
}

/* ---- signal ------------------------------------------------------------- */

static int tf_fill_signal(struct sk_buff *msg, const void *arg, bool priv)
{
	const struct tf_signal *s = tf_signal_get();

	if (!s->set)
		return 0;
	if (nla_put_u64_64bit(msg, TF_A_SIGNAL_SURPLUS_UW, s->surplus_uw,
			      TF_A_PAD) ||
	    nla_put_u32(msg, TF_A_SIGNAL_TTL_MS, s->ttl_ms) ||
	    nla_put_string(msg, TF_A_SIGNAL_SOURCE, s->source) ||
	    (s->has_carbon &&
	     nla_put_u32(msg, TF_A_SIGNAL_CARBON_MG_KWH, s->carbon_mg_kwh)) ||
	    (s->has_price &&
	     nla_put_s64(msg, TF_A_SIGNAL_PRICE_UCUR_MWH, s->price_ucur_mwh,
			 TF_A_PAD)) ||
	    nla_put_u64_64bit(msg, TF_A_SIGNAL_TIMESTAMP_NS, s->timestamp_ns,
			      TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_SIGNAL_AGE_MS, tf_signal_age_ms(),
			      TF_A_PAD) ||
	    (tf_signal_stale() && nla_put_flag(msg, TF_A_SIGNAL_STALE)))
		return -EMSGSIZE;
	return 0;
}

static int tf_nl_signal_get(struct sk_buff *skb, struct genl_info *info)
{
	return tf_reply(skb, info, TF_CMD_SIGNAL_GET, tf_fill_signal, NULL);
}

static int tf_nl_signal_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct tf_signal s = {};

	if (!TF_NEED(info, TF_A_SIGNAL_SURPLUS_UW) ||
	    !TF_NEED(info, TF_A_SIGNAL_TTL_MS))
		return -EINVAL;
	s.surplus_uw = nla_get_u64(a[TF_A_SIGNAL_SURPLUS_UW]);
	s.ttl_ms = nla_get_u32(a[TF_A_SIGNAL_TTL_MS]);
	strscpy(s.source, a[TF_A_SIGNAL_SOURCE] ?
		nla_data(a[TF_A_SIGNAL_SOURCE]) : "netlink", sizeof(s.source));
	s.has_carbon = a[TF_A_SIGNAL_CARBON_MG_KWH];
	if (s.has_carbon)
		s.carbon_mg_kwh = nla_get_u32(a[TF_A_SIGNAL_CARBON_MG_KWH]);
	s.has_price = a[TF_A_SIGNAL_PRICE_UCUR_MWH];
	if (s.has_price)
		s.price_ucur_mwh = nla_get_s64(a[TF_A_SIGNAL_PRICE_UCUR_MWH]);
	s.timestamp_ns = a[TF_A_SIGNAL_TIMESTAMP_NS] ?
			 nla_get_u64(a[TF_A_SIGNAL_TIMESTAMP_NS]) :
			 ktime_get_real_ns();
	mutex_lock(&tf_lock);
	tf_signal_set(&s);
	mutex_unlock(&tf_lock);
	return 0;
}

/* ---- heartbeat ----------------------------------------------------------- */

static int tf_nl_heartbeat(struct sk_buff *skb, struct genl_info *info)
{
	mutex_lock(&tf_lock);
	tf_heartbeat(task_tgid_vnr(current));
	mutex_unlock(&tf_lock);
	return 0;
}

/* ---- notifications ------------------------------------------------------- */

static void tf_notify(u8 cmd,
		      int (*fill)(struct sk_buff *msg, const void *arg,
				  bool priv),
		      const void *arg)
{
	struct sk_buff *msg;
	void *hdr;

	if (!tf_nl_live || !genl_has_listeners(&tf_genl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &tf_genl_family, 0, cmd);
	/* listeners may be unprivileged: energies go out coarse */
	if (!hdr || fill(msg, arg, false)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&tf_genl_family, msg, 0, 0, GFP_KERNEL);
}

void tf_nl_notify_domain(const struct tf_domain *d)
{
	tf_notify(TF_CMD_DOMAIN_NTF, tf_fill_domain, d);
}

void tf_nl_notify_signal(void)
{
	tf_notify(TF_CMD_SIGNAL_NTF, tf_fill_signal, NULL);
}

/* With the silence that led to it: the fail-safe's own latency, measured. */
static int tf_fill_failsafe(struct sk_buff *msg, const void *arg, bool priv)
{
	s64 age = tf_heartbeat_age_ms();

	if (nla_put_u8(msg, TF_A_STATUS_FAILSAFE, tf_failsafe_active()) ||
	    (age >= 0 &&
	     nla_put_u64_64bit(msg, TF_A_STATUS_HEARTBEAT_AGE_MS, age,
			       TF_A_PAD)) ||
	    nla_put_u32(msg, TF_A_STATUS_HEARTBEAT_TIMEOUT_MS,
			tf_heartbeat_timeout_ms()) ||
	    nla_put_u32(msg, TF_A_STATUS_AGENT_PID, tf_agent_pid()) ||
	    nla_put_u32(msg, TF_A_STATUS_FAILSAFE_COUNT, tf_failsafe_count()))
		return -EMSGSIZE;
	return 0;
}

void tf_nl_notify_failsafe(bool on)
{
	tf_notify(TF_CMD_FAILSAFE_NTF, tf_fill_failsafe, NULL);
}

/* ---- the family ------------------------------------------------------------ */

static struct netlink_range_validation tf_power_range = {
	.max = TF_POWER_MAX_UW,
};

static struct netlink_range_validation tf_ttl_range = {
	.min = 1,
	.max = TF_SIGNAL_TTL_MAX_MS,
};

static const struct nla_policy tf_domain_name_policy[TF_A_MAX + 1] = {
	[TF_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING, .len = TF_NAME_LEN - 1 },
};

static const struct nla_policy tf_domain_set_policy[TF_A_MAX + 1] = {
	[TF_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING, .len = TF_NAME_LEN - 1 },
	[TF_A_DOMAIN_CAP_UW] = NLA_POLICY_FULL_RANGE(NLA_U64, &tf_power_range),
	[TF_A_DOMAIN_FAILSAFE_CAP_UW] =
		NLA_POLICY_FULL_RANGE(NLA_U64, &tf_power_range),
};

static const struct nla_policy tf_energy_push_policy[TF_A_MAX + 1] = {
	[TF_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING, .len = TF_NAME_LEN - 1 },
	[TF_A_DOMAIN_ENERGY_UJ] = { .type = NLA_U64 },
	[TF_A_DOMAIN_POWER_UW] = NLA_POLICY_FULL_RANGE(NLA_U64, &tf_power_range),
	[TF_A_DOMAIN_MAX_POWER_UW] =
		NLA_POLICY_FULL_RANGE(NLA_U64, &tf_power_range),
};

static const struct nla_policy tf_signal_set_policy[TF_A_MAX + 1] = {
	[TF_A_SIGNAL_SURPLUS_UW] = NLA_POLICY_FULL_RANGE(NLA_U64, &tf_power_range),
	[TF_A_SIGNAL_TTL_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &tf_ttl_range),
	[TF_A_SIGNAL_SOURCE] = { .type = NLA_NUL_STRING, .len = TF_NAME_LEN - 1 },
	[TF_A_SIGNAL_CARBON_MG_KWH] = { .type = NLA_U32 },
	[TF_A_SIGNAL_PRICE_UCUR_MWH] = { .type = NLA_S64 },
	[TF_A_SIGNAL_TIMESTAMP_NS] = { .type = NLA_U64 },
};

static const struct genl_ops tf_genl_ops[] = {
	{
		.cmd = TF_CMD_STATUS_GET,
		.doit = tf_nl_status_get,
	},
	{
		.cmd = TF_CMD_DOMAIN_GET,
		.doit = tf_nl_domain_get,
		.dumpit = tf_nl_domain_dump,
		.policy = tf_domain_name_policy,
		.maxattr = TF_A_MAX,
	},
	{
		.cmd = TF_CMD_DOMAIN_SET,
		.doit = tf_nl_domain_set,
		.policy = tf_domain_set_policy,
		.maxattr = TF_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TF_CMD_ENERGY_PUSH,
		.doit = tf_nl_energy_push,
		.policy = tf_energy_push_policy,
		.maxattr = TF_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TF_CMD_SIGNAL_GET,
		.doit = tf_nl_signal_get,
	},
	{
		.cmd = TF_CMD_SIGNAL_SET,
		.doit = tf_nl_signal_set,
		.policy = tf_signal_set_policy,
		.maxattr = TF_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TF_CMD_HEARTBEAT,
		.doit = tf_nl_heartbeat,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group tf_genl_mcgrps[] = {
	{ .name = TF_GENL_MCGRP_EVENTS },
};

static struct genl_family tf_genl_family __ro_after_init = {
	.name = TF_GENL_NAME,
	.version = TF_GENL_VERSION,
	.maxattr = TF_A_MAX,
	.module = THIS_MODULE,
	.ops = tf_genl_ops,
	.n_ops = ARRAY_SIZE(tf_genl_ops),
	.mcgrps = tf_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(tf_genl_mcgrps),
};

int __init tf_netlink_init(void)
{
	int ret = genl_register_family(&tf_genl_family);

	mutex_lock(&tf_lock);
	tf_nl_live = !ret;
	mutex_unlock(&tf_lock);
	return ret;
}

/* Waits for requests in flight; no notification goes out afterwards. */
void tf_netlink_exit(void)
{
	mutex_lock(&tf_lock);
	tf_nl_live = false;
	mutex_unlock(&tf_lock);
	genl_unregister_family(&tf_genl_family);
}
