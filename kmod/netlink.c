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
#include "energy.h"
#include "group.h"
#include "heartbeat.h"
#include "ledger.h"
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

/*
 * Replies to a do request with one message: the object find looks up (none
 * when find is NULL) and fill describes, both under tf_lock, so the object
 * cannot go away in between.
 */
static int tf_reply(struct sk_buff *skb, struct genl_info *info, u8 cmd,
		    void *(*find)(struct genl_info *info),
		    int (*fill)(struct sk_buff *msg, const void *arg,
				bool priv))
{
	struct sk_buff *msg;
	void *hdr, *obj;
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
	obj = find ? find(info) : NULL;
	ret = IS_ERR(obj) ? PTR_ERR(obj) : fill(msg, obj, tf_privileged(skb));
	mutex_unlock(&tf_lock);
	if (ret) {
		if (!IS_ERR(obj))
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
	return tf_reply(skb, info, TF_CMD_STATUS_GET, NULL, tf_fill_status_cb);
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
	    (d->has_cores &&
	     nla_put_u64_64bit(msg, TF_A_DOMAIN_CORE_ENERGY_UJ,
			       priv ? d->core_uj : tf_coarse_uj(d->core_uj),
			       TF_A_PAD)) ||
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

static void *tf_domain_find_req(struct genl_info *info)
{
	return tf_domain_from(info);
}

static int tf_nl_domain_get(struct sk_buff *skb, struct genl_info *info)
{
	return tf_reply(skb, info, TF_CMD_DOMAIN_GET, tf_domain_find_req,
			tf_fill_domain);
}

static const void *tf_domain_obj(unsigned long pos)
{
	return tf_domain_get(pos);
}

static int tf_nl_domain_dump(struct sk_buff *skb, struct netlink_callback *cb);

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
	return tf_reply(skb, info, TF_CMD_SIGNAL_GET, NULL, tf_fill_signal);
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

/* ---- groups and members --------------------------------------------------- */

static int tf_put_energies(struct sk_buff *msg, int type, const u64 *uj,
			   bool priv)
{
	struct nlattr *all = nla_nest_start(msg, type), *one;
	unsigned int i;

	if (!all)
		return -EMSGSIZE;
	for (i = 0; i < tf_domain_count(); i++) {
		if (!uj[i])
			continue;
		one = nla_nest_start(msg, TF_A_ENERGY);
		if (!one ||
		    nla_put_u32(msg, TF_A_ENERGY_DOMAIN_ID, i) ||
		    nla_put_u64_64bit(msg, TF_A_ENERGY_UJ,
				      priv ? uj[i] : tf_coarse_uj(uj[i]),
				      TF_A_ENERGY_PAD))
			return -EMSGSIZE;
		nla_nest_end(msg, one);
	}
	nla_nest_end(msg, all);
	return 0;
}

static int tf_put_members(struct sk_buff *msg, const struct tf_group *g)
{
	struct nlattr *all = nla_nest_start(msg, TF_A_GROUP_MEMBERS), *one;
	const struct tf_member *m;

	if (!all)
		return -EMSGSIZE;
	list_for_each_entry(m, &g->members, node) {
		one = nla_nest_start(msg, TF_A_MEMBER);
		if (!one ||
		    (m->pid && nla_put_u32(msg, TF_A_MEMBER_PID, m->nr)) ||
		    (m->cgrp && nla_put_string(msg, TF_A_MEMBER_CGROUP, m->path)))
			return -EMSGSIZE;
		nla_nest_end(msg, one);
	}
	nla_nest_end(msg, all);
	return 0;
}

static int tf_fill_group_priv(struct sk_buff *msg, const struct tf_group *g,
			      bool priv, bool deleted)
{
	if (nla_put_string(msg, TF_A_GROUP_NAME, g->name) ||
	    nla_put_u32(msg, TF_A_GROUP_TIER, g->tier) ||
	    (deleted && nla_put_flag(msg, TF_A_GROUP_DELETED)))
		return -EMSGSIZE;
	if (deleted)
		return 0;
	if (nla_put_u64_64bit(msg, TF_A_GROUP_TOKENS, g->tokens, TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_GROUP_CAP_UW, g->cap_uw, TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_GROUP_GREEN_UJ,
			      priv ? g->green_uj : tf_coarse_uj(g->green_uj),
			      TF_A_PAD) ||
	    tf_put_energies(msg, TF_A_GROUP_ENERGY, g->energy_uj, priv) ||
	    tf_put_members(msg, g))
		return -EMSGSIZE;
	return 0;
}

static int tf_fill_group(struct sk_buff *msg, const void *arg, bool priv)
{
	return tf_fill_group_priv(msg, arg, priv, false);
}

static struct tf_group *tf_group_from(struct genl_info *info)
{
	struct tf_group *g;

	if (!TF_NEED(info, TF_A_GROUP_NAME))
		return ERR_PTR(-EINVAL);
	g = tf_group_find(nla_data(info->attrs[TF_A_GROUP_NAME]));
	if (!g) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TF_A_GROUP_NAME],
				    "TF_A_GROUP_NAME: no such group");
		return ERR_PTR(-ENOENT);
	}
	return g;
}

static void *tf_group_find_req(struct genl_info *info)
{
	return tf_group_from(info);
}

static int tf_nl_group_get(struct sk_buff *skb, struct genl_info *info)
{
	return tf_reply(skb, info, TF_CMD_GROUP_GET, tf_group_find_req,
			tf_fill_group);
}

/*
 * One message per object from position cb->args[0], under tf_lock; the
 * generation flags a dump that spans a change (NLM_F_DUMP_INTR).
 */
static int tf_dump(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd,
		   const void *(*at)(unsigned long pos),
		   int (*fill)(struct sk_buff *msg, const void *arg, bool priv))
{
	bool priv = tf_privileged(cb->skb);
	unsigned long pos = cb->args[0];
	const void *obj;
	void *hdr;

	mutex_lock(&tf_lock);
	cb->seq = tf_generation();
	for (; (obj = at(pos)); pos++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &tf_genl_family,
				  NLM_F_MULTI, cmd);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (fill(skb, obj, priv)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&tf_lock);
	cb->args[0] = pos;
	return skb->len;
}

static int tf_nl_domain_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return tf_dump(skb, cb, TF_CMD_DOMAIN_GET, tf_domain_obj, tf_fill_domain);
}

static const void *tf_group_obj(unsigned long pos)
{
	return tf_group_at(pos);
}

static int tf_nl_group_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return tf_dump(skb, cb, TF_CMD_GROUP_GET, tf_group_obj, tf_fill_group);
}

static int tf_nl_group_new(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	if (!TF_NEED(info, TF_A_GROUP_NAME) || !TF_NEED(info, TF_A_GROUP_TIER))
		return -EINVAL;
	mutex_lock(&tf_lock);
	ret = tf_group_new(nla_data(info->attrs[TF_A_GROUP_NAME]),
			   nla_get_u32(info->attrs[TF_A_GROUP_TIER]),
			   info->attrs[TF_A_GROUP_CAP_UW] ?
			   nla_get_u64(info->attrs[TF_A_GROUP_CAP_UW]) : 0,
			   info->extack);
	mutex_unlock(&tf_lock);
	return ret;
}

static int tf_nl_group_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tier = info->attrs[TF_A_GROUP_TIER];
	struct nlattr *cap = info->attrs[TF_A_GROUP_CAP_UW];
	enum tf_tier t;
	struct tf_group *g;
	u64 c;

	if (!tier && !cap) {
		NL_SET_ERR_MSG(info->extack,
			       "missing TF_A_GROUP_TIER or TF_A_GROUP_CAP_UW");
		return -EINVAL;
	}
	if (tier)
		t = nla_get_u32(tier);
	if (cap)
		c = nla_get_u64(cap);
	mutex_lock(&tf_lock);
	g = tf_group_from(info);
	if (!IS_ERR(g))
		tf_group_set(g, tier ? &t : NULL, cap ? &c : NULL);
	mutex_unlock(&tf_lock);
	return PTR_ERR_OR_ZERO(g);
}

static int tf_nl_group_del(struct sk_buff *skb, struct genl_info *info)
{
	struct tf_group *g;
	int ret;

	mutex_lock(&tf_lock);
	g = tf_group_from(info);
	ret = IS_ERR(g) ? PTR_ERR(g) : tf_group_del(g);
	mutex_unlock(&tf_lock);
	return ret;
}

static int tf_nl_member(struct genl_info *info, bool add)
{
	struct nlattr *pid = info->attrs[TF_A_MEMBER_PID];
	struct nlattr *cg = info->attrs[TF_A_MEMBER_CGROUP];
	struct tf_group *g;
	int ret;

	if (!pid == !cg) {
		NL_SET_ERR_MSG(info->extack,
			       "exactly one of TF_A_MEMBER_PID or TF_A_MEMBER_CGROUP");
		return -EINVAL;
	}
	mutex_lock(&tf_lock);
	g = tf_group_from(info);
	if (IS_ERR(g))
		ret = PTR_ERR(g);
	else if (add)
		ret = tf_member_add(g, pid ? nla_get_u32(pid) : 0,
				    cg ? nla_data(cg) : NULL, info->extack);
	else
		ret = tf_member_del(g, pid ? nla_get_u32(pid) : 0,
				    cg ? nla_data(cg) : NULL, info->extack);
	mutex_unlock(&tf_lock);
	return ret;
}

static int tf_nl_member_add(struct sk_buff *skb, struct genl_info *info)
{
	return tf_nl_member(info, true);
}

static int tf_nl_member_del(struct sk_buff *skb, struct genl_info *info)
{
	return tf_nl_member(info, false);
}

/* ---- ledger and bills ---------------------------------------------------------- */

static int tf_nl_ledger_push(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *ppm = info->attrs[TF_A_LEDGER_GREEN_PPM];
	int ret;

	if (!TF_NEED(info, TF_A_LEDGER_ENTRIES))
		return -EINVAL;
	mutex_lock(&tf_lock);
	ret = tf_ledger_push(info->attrs[TF_A_LEDGER_ENTRIES],
			     ppm ? nla_get_u32(ppm) : 0, info->extack);
	mutex_unlock(&tf_lock);
	return ret;
}

static int tf_fill_account(struct sk_buff *msg, const struct tf_account *a,
			   bool priv)
{
	if (nla_put_u32(msg, TF_A_LEDGER_PID, a->nr) ||
	    nla_put_string(msg, TF_A_LEDGER_COMM, a->comm) ||
	    (a->group[0] && nla_put_string(msg, TF_A_GROUP_NAME, a->group)) ||
	    tf_put_energies(msg, TF_A_LEDGER_ENERGY, a->energy_uj, priv) ||
	    nla_put_u64_64bit(msg, TF_A_LEDGER_TOKENS, a->tokens, TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_LEDGER_GREEN_UJ,
			      priv ? a->green_uj : tf_coarse_uj(a->green_uj),
			      TF_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int tf_fill_ledger(struct sk_buff *msg, const void *arg, bool priv)
{
	if (tf_fill_account(msg, arg, priv) ||
	    nla_put_u64_64bit(msg, TF_A_LEDGER_OVERFLOWS, tf_ledger_overflows(),
			      TF_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int tf_fill_bill(struct sk_buff *msg, const void *arg, bool priv)
{
	const struct tf_account *b = arg;

	if (tf_fill_account(msg, b, priv) ||
	    nla_put_u64_64bit(msg, TF_A_BILL_EXIT_NS, b->exit_ns, TF_A_PAD) ||
	    nla_put_u64_64bit(msg, TF_A_BILL_OVERFLOWS, tf_bill_overflows(),
			      TF_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static const void *tf_ledger_obj(unsigned long pos)
{
	return tf_ledger_at(pos);
}

static const void *tf_bill_obj(unsigned long pos)
{
	return tf_bill_at(pos);
}

static int tf_nl_ledger_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return tf_dump(skb, cb, TF_CMD_LEDGER_GET, tf_ledger_obj, tf_fill_ledger);
}

static int tf_nl_bill_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return tf_dump(skb, cb, TF_CMD_BILL_GET, tf_bill_obj, tf_fill_bill);
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

static int tf_fill_group_deleted(struct sk_buff *msg, const void *arg,
				 bool priv)
{
	return tf_fill_group_priv(msg, arg, priv, true);
}

void tf_nl_notify_group(const struct tf_group *g, bool deleted)
{
	tf_notify(TF_CMD_GROUP_NTF,
		  deleted ? tf_fill_group_deleted : tf_fill_group, g);
}

void tf_nl_notify_bill(const struct tf_account *bill)
{
	tf_notify(TF_CMD_BILL_NTF, tf_fill_bill, bill);
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

static const struct nla_policy tf_group_name_policy[TF_A_MAX + 1] = {
	[TF_A_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = TF_NAME_LEN - 1 },
};

static const struct nla_policy tf_group_policy[TF_A_MAX + 1] = {
	[TF_A_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = TF_NAME_LEN - 1 },
	[TF_A_GROUP_TIER] = NLA_POLICY_RANGE(NLA_U32, TF_TIER_INTERACTIVE,
					     TF_TIER_MAX),
	[TF_A_GROUP_CAP_UW] = NLA_POLICY_FULL_RANGE(NLA_U64, &tf_power_range),
};

static const struct nla_policy tf_member_policy[TF_A_MAX + 1] = {
	[TF_A_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = TF_NAME_LEN - 1 },
	[TF_A_MEMBER_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[TF_A_MEMBER_CGROUP] = { .type = NLA_NUL_STRING,
				 .len = TF_CGROUP_PATH_MAX - 1 },
};

static struct netlink_range_validation tf_ppm_range = {
	.max = 1000000,
};

static const struct nla_policy tf_ledger_push_policy[TF_A_MAX + 1] = {
	[TF_A_LEDGER_GREEN_PPM] = NLA_POLICY_FULL_RANGE(NLA_U32, &tf_ppm_range),
	[TF_A_LEDGER_ENTRIES] = { .type = NLA_NESTED },
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
	{
		.cmd = TF_CMD_GROUP_GET,
		.doit = tf_nl_group_get,
		.dumpit = tf_nl_group_dump,
		.policy = tf_group_name_policy,
		.maxattr = TF_A_MAX,
	},
	{
		.cmd = TF_CMD_GROUP_NEW,
		.doit = tf_nl_group_new,
		.policy = tf_group_policy,
		.maxattr = TF_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TF_CMD_GROUP_SET,
		.doit = tf_nl_group_set,
		.policy = tf_group_policy,
		.maxattr = TF_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TF_CMD_GROUP_DEL,
		.doit = tf_nl_group_del,
		.policy = tf_group_name_policy,
		.maxattr = TF_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TF_CMD_MEMBER_ADD,
		.doit = tf_nl_member_add,
		.policy = tf_member_policy,
		.maxattr = TF_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TF_CMD_MEMBER_DEL,
		.doit = tf_nl_member_del,
		.policy = tf_member_policy,
		.maxattr = TF_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TF_CMD_LEDGER_PUSH,
		.doit = tf_nl_ledger_push,
		.policy = tf_ledger_push_policy,
		.maxattr = TF_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TF_CMD_LEDGER_GET,
		.dumpit = tf_nl_ledger_dump,
	},
	{
		.cmd = TF_CMD_BILL_GET,
		.dumpit = tf_nl_bill_dump,
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
