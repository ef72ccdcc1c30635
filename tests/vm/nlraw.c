// SPDX-License-Identifier: GPL-2.0
/*
 * tf-nlraw: sends one tokenfactory request with exactly the attributes given,
 * so the VM tests can reach the kernel's own validation (tfctl checks its
 * input first). Prints "ok", or "error <errno> <extack>", and exits 0 or 1.
 *
 *   tf-nlraw CMD [ATTR]...
 *   ATTR := NAME:KIND[:VALUE]
 *   KIND := u8 | u16 | u32 | u64 | s64 | str | flag
 *         | bin (VALUE: a byte count; that many 'x')
 *         | nest (VALUE: [ATTR,ATTR,...], nesting allowed)
 *
 * CMD and NAME are names from the uapi header (TF_CMD_SIGNAL_SET,
 * TF_A_SIGNAL_TTL_MS, TF_A_ENERGY_UJ, ...) or numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "tf_nl.h"

/* The nested attribute sets' names: the top-level ones come from tf_nl. */
static const struct {
	const char *name;
	int type;
} nested_names[] = {
	{ "TF_A_METER", TF_A_METER },
	{ "TF_A_METER_NAME", TF_A_METER_NAME },
	{ "TF_A_METER_KIND", TF_A_METER_KIND },
	{ "TF_A_METER_ESTIMATED", TF_A_METER_ESTIMATED },
	{ "TF_A_MEMBER", TF_A_MEMBER },
	{ "TF_A_ENERGY", TF_A_ENERGY },
	{ "TF_A_ENERGY_DOMAIN_ID", TF_A_ENERGY_DOMAIN_ID },
	{ "TF_A_ENERGY_UJ", TF_A_ENERGY_UJ },
	{ "TF_A_LEDGER_ENTRY", TF_A_LEDGER_ENTRY },
};

static int resolve_attr(const char *s, size_t len)
{
	char name[64];
	size_t i;

	if (len >= sizeof(name))
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	for (i = 0; i < sizeof(nested_names) / sizeof(nested_names[0]); i++)
		if (!strcmp(name, nested_names[i].name))
			return nested_names[i].type;
	for (i = 0; i <= TF_A_MAX; i++)
		if (!strcmp(name, tf_attr_name(i)))
			return i;
	return atoi(name);
}

/* Parses one ATTR at *p into msg; advances *p. */
static int put_attr(struct nl_msg *msg, const char **p);

static int put_list(struct nl_msg *msg, const char **p, char end)
{
	int err;

	while (**p && **p != end) {
		err = put_attr(msg, p);
		if (err)
			return err;
		if (**p == ',')
			(*p)++;
	}
	return 0;
}

static int put_attr(struct nl_msg *msg, const char **p)
{
	const char *name = *p, *kind, *val;
	size_t nlen, klen, vlen;
	char buf[512];
	int type;

	nlen = strcspn(name, ":");
	if (name[nlen] != ':')
		return -EINVAL;
	type = resolve_attr(name, nlen);
	kind = name + nlen + 1;
	klen = strcspn(kind, ":,]");
	val = kind + klen;
	if (klen == 4 && !strncmp(kind, "nest", 4)) {
		struct nlattr *nest = nla_nest_start(msg, type);

		if (*val != ':' || val[1] != '[')
			return -EINVAL;
		*p = val + 2;
		if (put_list(msg, p, ']') || **p != ']')
			return -EINVAL;
		(*p)++;
		nla_nest_end(msg, nest);
		return 0;
	}
	if (*val == ':')
		val++;
	vlen = strcspn(val, ",]");
	*p = val + vlen;
	if (vlen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, val, vlen);
	buf[vlen] = '\0';
#define KIND(k) (klen == strlen(k) && !strncmp(kind, k, klen))
	if (KIND("flag"))
		return nla_put_flag(msg, type);
	if (KIND("u8"))
		return nla_put_u8(msg, type, strtoul(buf, NULL, 0));
	if (KIND("u16"))
		return nla_put_u16(msg, type, strtoul(buf, NULL, 0));
	if (KIND("u32"))
		return nla_put_u32(msg, type, strtoul(buf, NULL, 0));
	if (KIND("u64"))
		return nla_put_u64(msg, type, strtoull(buf, NULL, 0));
	if (KIND("s64"))
		return nla_put_s64(msg, type, strtoll(buf, NULL, 0));
	if (KIND("str"))
		return nla_put_string(msg, type, buf);
	if (KIND("bin")) {
		int n = atoi(buf), err;
		char *bytes = malloc(n > 0 ? n : 1);

		if (!bytes)
			return -ENOMEM;
		memset(bytes, 'x', n > 0 ? n : 1);
		err = nla_put(msg, type, n > 0 ? n : 0, bytes);
		free(bytes);
		return err;
	}
#undef KIND
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct nl_msg *msg;
	struct tf_nl *nl;
	int i, cmd, err;

	if (argc < 2) {
		fprintf(stderr, "usage: tf-nlraw CMD [NAME:KIND[:VALUE]]...\n");
		return 2;
	}
	err = tf_nl_open(&nl);
	if (err) {
		printf("error %d open\n", -err);
		return 1;
	}
	cmd = atoi(argv[1]);
	for (i = 0; i <= TF_CMD_MAX; i++)
		if (!strcmp(argv[1], tf_cmd_name(i)))
			cmd = i;
	msg = tf_nl_new_msg(nl, cmd, 0);
	for (i = 2; msg && i < argc; i++) {
		const char *p = argv[i];

		if (put_attr(msg, &p) || *p) {
			fprintf(stderr, "tf-nlraw: bad attribute '%s'\n", argv[i]);
			return 2;
		}
	}
	err = msg ? tf_nl_send_raw(nl, msg) : -ENOMEM;
	if (err)
		printf("error %d %s\n", -err, tf_nl_errmsg(nl));
	else
		printf("ok\n");
	tf_nl_close(nl);
	return err ? 1 : 0;
}
