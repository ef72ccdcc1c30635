// SPDX-License-Identifier: GPL-2.0
/*
 * tf-nlbench: netlink costs of tokenfactory.ko, against a baseline measured
 * in the same run on the same kernel: the generic netlink controller's own
 * CTRL_CMD_GETFAMILY round trip (what every genetlink client pays to start).
 * Then what the agent pays every tick: a ledger push of one entry for each
 * of PROCS live processes (children that sleep), per entry and against a
 * status round trip.
 *
 *   tf-nlbench [ROUNDS] [GROUPS] [PROCS]     defaults 20000, 10000, 2000
 *
 * Prints one "bench: key value unit" line per figure.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "tf_nl.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ns per ledger entry of pushes like the agent's, nprocs a push; <0 on error */
static double bench_ledger(struct tf_nl *nl, unsigned int nprocs,
			   unsigned int rounds)
{
	struct tf_ledger_row *rows = calloc(nprocs ? nprocs : 1, sizeof(*rows));
	struct tf_energy_row *e = calloc(nprocs ? nprocs : 1, sizeof(*e));
	pid_t *kids = calloc(nprocs ? nprocs : 1, sizeof(*kids));
	struct tf_domain_info *d = NULL;
	unsigned int i, n = 0, made = 0;
	uint32_t dom = UINT32_MAX;
	double t0, ns = -1;

	if (!rows || !e || !kids || tf_nl_domains(nl, &d, &n))
		goto out;
	for (i = 0; i < n && dom == UINT32_MAX; i++)
		if (d[i].type != TF_DOMAIN_HOST)
			dom = d[i].id;
	if (dom == UINT32_MAX) {
		fprintf(stderr, "tf-nlbench: no domain to push energy to\n");
		goto out;
	}
	/* live processes: an account of a dead one becomes a bill at once */
	for (made = 0; made < nprocs; made++) {
		kids[made] = fork();
		if (kids[made] < 0)
			goto out;
		if (!kids[made]) {
			pause();
			_exit(0);
		}
		rows[made].pid = kids[made];
		snprintf(rows[made].comm, sizeof(rows[made].comm), "bench-%u", made % 100000);
		rows[made].n_energy = 1;
		rows[made].energy = &e[made];
		e[made].domain_id = dom;
		e[made].uj = 1000 + made;
	}
	/* the first push creates the accounts; the agent's steady state adds */
	if (tf_nl_ledger_push(nl, 500000, rows, nprocs))
		goto out;
	t0 = now_s();
	for (i = 0; i < rounds; i++)
		if (tf_nl_ledger_push(nl, 500000, rows, nprocs)) {
			fprintf(stderr, "ledger push: %s\n", tf_nl_errmsg(nl));
			goto out;
		}
	ns = (now_s() - t0) * 1e9 / ((double)rounds * nprocs);
out:
	for (i = 0; i < made; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < made; i++)
		waitpid(kids[i], NULL, 0);
	free(d);
	free(kids);
	free(e);
	free(rows);
	return ns;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? atoi(argv[1]) : 20000;
	unsigned int ngroups = argc > 2 ? atoi(argv[2]) : 10000;
	unsigned int nprocs = argc > 3 ? atoi(argv[3]) : 2000;
	double ledger_ns;
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

	/* before the groups below: an entry's group lookup walks them all */
	if (nprocs) {
		ledger_ns = bench_ledger(nl, nprocs, 20);
		if (ledger_ns < 0)
			return 1;
		printf("bench: ledger_push_ns_per_entry %.0f ns\n", ledger_ns);
		printf("bench: ledger_push_%u_entries_vs_status_round_trip %.2f ratio\n",
		       nprocs, ledger_ns * nprocs * tf_rate / 1e9);
	}

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
