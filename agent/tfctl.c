// SPDX-License-Identifier: GPL-2.0
/*
 * tfctl: the operator's tool for tokenfactory.ko.
 *
 * Exit status: 0 success, 1 error (the kernel's or the system's), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "tf_nl.h"

#define TF_EXIT_ERR	1
#define TF_EXIT_USAGE	2

struct tfctl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct tfctl_cmd tfctl_cmds[];

/* "Error: <extack>" first, as ip(8) does, then what the errno says. */
static int tfctl_fail(struct tf_nl *nl, const char *what, int err)
{
	const char *ext = nl ? tf_nl_errmsg(nl) : "";

	if (ext[0])
		fprintf(stderr, "Error: %s.\n", ext);
	if (err == -ENOENT && !nl)
		fprintf(stderr, "Error: %s: tokenfactory module not loaded (insmod tokenfactory.ko).\n",
			what);
	else
		fprintf(stderr, "Error: %s: %s.\n", what, strerror(-err));
	return TF_EXIT_ERR;
}

static int tfctl_connect(struct tf_nl **nl)
{
	int err = tf_nl_open(nl);

	if (err)
		return tfctl_fail(NULL, "netlink", err);
	return 0;
}

static void tfctl_print_uptime(uint64_t ns)
{
	print_u64("uptime_ns", NULL, ns);
	print_text(", up %" PRIu64 ".%03" PRIu64 " s\n", ns / 1000000000,
		   ns / 1000000 % 1000);
}

static int cmd_status(int argc, char **argv)
{
	struct tf_status st;
	struct tf_nl *nl;
	unsigned int i;
	int err;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "Usage: tfctl status\n");
		return TF_EXIT_USAGE;
	}
	err = tfctl_connect(&nl);
	if (err)
		return err;
	err = tf_nl_status(nl, &st);
	if (err) {
		err = tfctl_fail(nl, "status", err);
		tf_nl_close(nl);
		return err;
	}
	tf_nl_close(nl);

	print_str("version", "tokenfactory %s", st.version);
	print_u64("protocol", " (protocol %" PRIu64 ")", st.proto);
	tfctl_print_uptime(st.uptime_ns);
	print_text("meters:\n");
	print_arr_open("meters");
	for (i = 0; i < st.nmeters; i++) {
		const struct tf_meter_info *m = &st.meters[i];

		print_obj_open(NULL);
		print_str("name", "  %-12s", m->name);
		print_str("kind", " %-9s", tf_meter_kind_name(m->kind));
		print_bool("estimated", " (estimated)", m->estimated);
		print_text("\n");
		print_obj_close();
	}
	print_arr_close();
	return 0;
}

static void usage(FILE *f)
{
	const struct tfctl_cmd *c;

	fprintf(f, "Usage: tfctl [-j] COMMAND [ARGS]\n\n"
		   "  -j, --json     print JSON (raw base units: ns, uJ, uW)\n"
		   "  -h, --help     this help\n\nCommands:\n");
	for (c = tfctl_cmds; c->name; c++)
		fprintf(f, "  %-8s %-14s %s\n", c->name, c->args, c->help);
	fprintf(f, "\nWithout a command, tfctl runs status.\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

static const struct tfctl_cmd tfctl_cmds[] = {
	{ "status", cmd_status, "", "module version, uptime and meters" },
	{ "help", cmd_help, "", "this help" },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct tfctl_cmd *c;
	const char *name = "status";
	bool json = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return TF_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0) {
		name = argv[0];
		argc--;
		argv++;
	}
	for (c = tfctl_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			break;
	if (!c->name) {
		fprintf(stderr, "tfctl: unknown command '%s'\n", name);
		usage(stderr);
		return TF_EXIT_USAGE;
	}
	print_begin(json);
	ret = c->run(argc, argv);
	if (ret) {
		print_abort();
		return ret;
	}
	if (print_end()) {
		perror("tfctl: stdout");
		return TF_EXIT_ERR;
	}
	return 0;
}
