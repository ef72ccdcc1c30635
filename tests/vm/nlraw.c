// SPDX-License-Identifier: GPL-2.0
/*
 * tf-nlraw: sends one tokenfactory request with exactly the attributes given,
 * so the VM tests can reach the kernel's own validation (tfctl checks its
 * input first). Prints "ok", or "error <errno-name> <extack>", and exits 0
 * or 1.
 *
 * CMD and TYPE are names from the uapi header (TF_CMD_SIGNAL_SET,
 * TF_A_SIGNAL_TTL_MS) or numbers.
 *
 *   tf-nlraw CMD [TYPE:KIND:VALUE]...   KIND: u8 u16 u32 u64 s64 str flag
 *                                       bin (VALUE: N bytes of 'x')
 *                                       nest (VALUE: raw attrs as above,
 *                                       comma separated, one level)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "tf_nl.h"

/* A name from the header, or a number. */
static int resolve(const char *s, const char *(*name_of)(int), int max)
{
	int i;

	for (i = 0; i <= max; i++)
		if (!strcmp(s, name_of(i)))
			return i;
	return atoi(s);
}

static int put_one(struct nl_msg *msg, char *spec)
{
	char *type_s = strtok(spec, ":"), *kind = strtok(NULL, ":");
	char *val = strtok(NULL, "");
	int type;

	if (!type_s || !kind)
		return -EINVAL;
	type = resolve(type_s, tf_attr_name, TF_A_MAX);
	if (!strcmp(kind, "flag"))
		return nla_put_flag(msg, type);
	if (!val)
		val = "";
	if (!strcmp(kind, "u8"))
		return nla_put_u8(msg, type, strtoul(val, NULL, 0));
	if (!strcmp(kind, "u16"))
		return nla_put_u16(msg, type, strtoul(val, NULL, 0));
	if (!strcmp(kind, "u32"))
		return nla_put_u32(msg, type, strtoul(val, NULL, 0));
	if (!strcmp(kind, "u64"))
		return nla_put_u64(msg, type, strtoull(val, NULL, 0));
	if (!strcmp(kind, "s64"))
		return nla_put_s64(msg, type, strtoll(val, NULL, 0));
	if (!strcmp(kind, "str"))
		return nla_put_string(msg, type, val);
	if (!strcmp(kind, "bin")) {
		int n = atoi(val);
		char *buf = malloc(n > 0 ? n : 1);
		int err;

		memset(buf, 'x', n > 0 ? n : 1);
		err = nla_put(msg, type, n > 0 ? n : 0, buf);
		free(buf);
		return err;
	}
	if (!strcmp(kind, "nest")) {
		struct nlattr *nest = nla_nest_start(msg, type);
		char *save = NULL, *inner;

		for (inner = strtok_r(val, ",", &save); inner;
		     inner = strtok_r(NULL, ",", &save)) {
			char *i_type = strsep(&inner, "/"), *i_kind = strsep(&inner, "/");
			int t;

			if (!i_type || !i_kind)
				return -EINVAL;
			t = resolve(i_type, tf_attr_name, TF_A_MAX);
			if (!strcmp(i_kind, "u32"))
				nla_put_u32(msg, t, strtoul(inner ? inner : "0", NULL, 0));
			else if (!strcmp(i_kind, "u64"))
				nla_put_u64(msg, t, strtoull(inner ? inner : "0", NULL, 0));
			else if (!strcmp(i_kind, "str"))
				nla_put_string(msg, t, inner ? inner : "");
			else
				return -EINVAL;
		}
		nla_nest_end(msg, nest);
		return 0;
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct nl_msg *msg;
	struct tf_nl *nl;
	int i, err;

	if (argc < 2) {
		fprintf(stderr, "usage: tf-nlraw CMD [TYPE:KIND:VALUE]...\n");
		return 2;
	}
	err = tf_nl_open(&nl);
	if (err) {
		printf("error %s open\n", strerror(-err));
		return 1;
	}
	msg = tf_nl_new_msg(nl, resolve(argv[1], tf_cmd_name, TF_CMD_MAX), 0);
	for (i = 2; msg && i < argc; i++) {
		if (put_one(msg, argv[i])) {
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
