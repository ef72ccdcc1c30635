// SPDX-License-Identifier: GPL-2.0
/*
 * tokenfactoryd: the host agent. This first cut connects to the module,
 * reports its status, and follows it on a 1 s tick, reconnecting when the
 * module is removed and inserted again. Signals, policy, attribution and
 * actuators grow from here (docs/architecture.md).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tf_nl.h"

static volatile sig_atomic_t tfd_stop;

static void tfd_on_signal(int sig)
{
	(void)sig;
	tfd_stop = 1;
}

/* Levels as sd-daemon(3) prefixes, so journald keeps them. */
static void tfd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tfd_log(int level, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "<%d>", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int tfd_tick(struct tf_nl **nl, bool verbose)
{
	struct tf_status st;
	int err;

	if (!*nl) {
		err = tf_nl_open(nl);
		if (err)
			return err;
		verbose = true;
	}
	err = tf_nl_status(*nl, &st);
	if (err) {
		tf_nl_close(*nl);
		*nl = NULL;
		return err;
	}
	if (verbose)
		tfd_log(6, "module %s (protocol %" PRIu32 "), %u meter(s), up %" PRIu64 " s",
			st.version, st.proto, st.nmeters,
			st.uptime_ns / 1000000000);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = tfd_on_signal };
	struct tf_nl *nl = NULL;
	bool once = false, up = true;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "1h", opts, NULL)) != -1) {
		switch (opt) {
		case '1':
			once = true;
			break;
		case 'h':
			printf("Usage: tokenfactoryd [--once]\n");
			return 0;
		default:
			return 2;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	while (!tfd_stop) {
		err = tfd_tick(&nl, false);
		if (err && up)
			tfd_log(3, "module: %s", strerror(-err));
		up = !err;
		if (once)
			break;
		sleep(1);
	}
	tf_nl_close(nl);
	return up ? 0 : 1;
}
