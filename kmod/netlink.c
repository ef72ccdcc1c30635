// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "tokenfactory". The protocol is defined and
 * documented in include/uapi/linux/tokenfactory.h.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/tokenfactory.h>

#include "meter.h"
#include "netlink.h"
#include "tokenfactory.h"

static struct genl_family tf_genl_family;

static int tf_put_meter(struct sk_buff *msg, const struct tf_meter *m)
{
	struct nlattr *nest = nla_nest_start(msg, TF_A_METER);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(msg, TF_A_METER_NAME, m->name) ||
	    nla_put_u32(msg, TF_A_METER_KIND, m->kind) ||
	    (tf_meter_estimated(m) && nla_put_flag(msg, TF_A_METER_ESTIMATED))) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int tf_fill_status(struct sk_buff *msg)
{
	struct nlattr *meters;
	unsigned int i;

	if (nla_put_string(msg, TF_A_STATUS_VERSION, TF_VERSION) ||
	    nla_put_u32(msg, TF_A_STATUS_PROTO, TF_GENL_VERSION) ||
	    nla_put_u64_64bit(msg, TF_A_STATUS_UPTIME_NS, tf_uptime_ns(),
			      TF_A_PAD))
		return -EMSGSIZE;
	meters = nla_nest_start(msg, TF_A_STATUS_METERS);
	if (!meters)
		return -EMSGSIZE;
	for (i = 0; i < tf_meter_count(); i++)
		if (tf_put_meter(msg, tf_meter_get(i)))
			return -EMSGSIZE;
	nla_nest_end(msg, meters);
	return 0;
}

static int tf_nl_status_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &tf_genl_family, 0,
				TF_CMD_STATUS_GET);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	ret = tf_fill_status(msg);
	if (ret) {
		NL_SET_ERR_MSG(info->extack, "status does not fit a message");
		goto err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

/*
 * Requests that take no attributes have no policy: the core then rejects
 * any attribute they carry (resv_start_op is 0, every op is strict).
 */
static const struct genl_small_ops tf_genl_ops[] = {
	{
		.cmd = TF_CMD_STATUS_GET,
		.doit = tf_nl_status_get,
	},
};

static struct genl_family tf_genl_family __ro_after_init = {
	.name = TF_GENL_NAME,
	.version = TF_GENL_VERSION,
	.maxattr = TF_A_MAX,
	.module = THIS_MODULE,
	.small_ops = tf_genl_ops,
	.n_small_ops = ARRAY_SIZE(tf_genl_ops),
	.netnsok = true,
};

int __init tf_netlink_init(void)
{
	return genl_register_family(&tf_genl_family);
}

void tf_netlink_exit(void)
{
	genl_unregister_family(&tf_genl_family);
}
