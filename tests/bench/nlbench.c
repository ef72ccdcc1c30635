// SPDX-License-Identifier: GPL-2.0
/*
 * tf-nlbench: netlink costs of tokenfactory.ko, against a baseline measured
 * in the same run on the same kernel: the generic netlink controller's own
 * CTRL_CMD_GETFAMILY round trip (what every genetlink client pays to start).
 *
 *   tf-nlbench [ROUNDS] [GROUPS]     defaults 20000 and 10000
 *
 * Prints one "bench: key value unit" line per figure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "tf_nl.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? atoi(argv[1]) : 20000;
	unsigned int ngroups = argc > 2 ? atoi(argv[2]) : 10000;
	struct tf_group_info *groups;
	struct nl_sock *ctrl;
	struct tf_status st;
	unsigned int i, n;
	struct tf_nl *nl;
	double t0, tf_rate, ctrl_rate, dump_s;
	int err;

	err = tf_nl_open(&nl);
	if (err) {
		fprintf(stderr, "tf-nlbench: %s\n", strerror(-err));
		return 1;
	}
	ctrl = nl_socket_alloc();
	if (!ctrl || genl_connect(ctrl))
		return 1;

	t0 = now_s();
	for (i = 0; i < rounds; i++)
		if (genl_ctrl_resolve(ctrl, TF_GENL_NAME) < 0)
			return 1;
	ctrl_rate = rounds / (now_s() - t0);

	t0 = now_s();
	for (i = 0; i < rounds; i++)
		if (tf_nl_status(nl, &st))
			return 1;
	tf_rate = rounds / (now_s() - t0);

	printf("bench: status_round_trips_per_s %.0f 1/s\n", tf_rate);
	printf("bench: baseline_getfamily_round_trips_per_s %.0f 1/s\n", ctrl_rate);
	printf("bench: status_vs_baseline %.2f ratio\n", tf_rate / ctrl_rate);

	for (i = 0; i < ngroups; i++) {
		char name[TF_NAME_LEN];

		snprintf(name, sizeof(name), "bench-%u", i);
		err = tf_nl_group_new(nl, name, TF_TIER_BATCH, NULL);
		if (err) {
			fprintf(stderr, "group %s: %s: %s\n", name, strerror(-err),
				tf_nl_errmsg(nl));
			return 1;
		}
	}
	t0 = now_s();
	err = tf_nl_groups(nl, &groups, &n);
	dump_s = now_s() - t0;
	if (err || n != ngroups) {
		fprintf(stderr, "dump: %s, %u groups\n", strerror(-err), n);
		return 1;
	}
	tf_group_infos_free(groups, n);
	printf("bench: dump_%u_groups_ms %.1f ms\n", ngroups, dump_s * 1e3);
	printf("bench: dump_groups_per_s %.0f 1/s\n", ngroups / dump_s);
	printf("bench: dump_vs_status_round_trip %.2f ratio\n",
	       (ngroups / dump_s) / tf_rate);
	nl_socket_free(ctrl);
	tf_nl_close(nl);
	return 0;
}
