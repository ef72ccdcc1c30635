// SPDX-License-Identifier: GPL-2.0
/*
 * tokenfactoryd: the host agent. Every tick it sends the module its
 * heartbeat, and attributes the energy every domain metered to the
 * processes that used it (the eBPF sensor for CPUs), pushing the result to
 * the module's ledger. Signals, the budget policy and the actuators are
 * built on this loop (docs/architecture.md).
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

#include "agent.h"
#include "config.h"
#include "units.h"

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

static void usage(FILE *f)
{
	fprintf(f, "Usage: tokenfactoryd [--config FILE] [--interval DURATION] [--max-procs N] [--no-counters] [--once] [--verbose]\n"
		   "       tokenfactoryd --check-config [FILE]\n"
		   "  --config       configuration file (default " TF_CONFIG_PATH ")\n"
		   "  --check-config check the configuration file, print a summary and exit\n"
		   "  --interval     accounting tick (default 1s)\n"
		   "  --max-procs    processes the sensor tracks at once (default 16384)\n"
		   "  --no-counters  weigh CPU use by time even where cycles are counted\n"
		   "  --no-gpus      do not look for NVIDIA GPUs (NVML)\n"
		   "  --once         run two ticks (the first only sets the baseline) and exit\n"
		   "  --verbose      log every tick\n");
}

static void tfd_sleep_until(struct timespec *next, uint64_t interval_ms)
{
	next->tv_nsec += (interval_ms % 1000) * 1000000;
	next->tv_sec += interval_ms / 1000 + next->tv_nsec / 1000000000;
	next->tv_nsec %= 1000000000;
	while (!tfd_stop &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'K' },
		{ "interval", required_argument, NULL, 'i' },
		{ "max-procs", required_argument, NULL, 'm' },
		{ "no-counters", no_argument, NULL, 'C' },
		{ "no-gpus", no_argument, NULL, 'G' },
		{ "once", no_argument, NULL, '1' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tf_agent_opts ao = { .max_procs = 16384, .counters = true, .gpus = true };
	struct sigaction sa = { .sa_handler = tfd_on_signal };
	const struct tf_agent_stats *st;
	uint64_t interval_ms = 1000;
	bool once = false, verbose = false, up = true, check_config = false;
	const char *config_path = TF_CONFIG_PATH;
	struct tf_agent *agent;
	struct timespec next;
	int opt, err;
	char *end;

	while ((opt = getopt_long(argc, argv, "c:i:m:CG1vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'K':
			check_config = true;
			break;
		case 'i':
			if (tf_parse_duration_ms(optarg, &interval_ms) ||
			    interval_ms < 10) {
				fprintf(stderr, "tokenfactoryd: --interval: bad duration '%s' (10ms at least)\n",
					optarg);
				return 2;
			}
			break;
		case 'm':
			ao.max_procs = strtoul(optarg, &end, 10);
			if (*end || !ao.max_procs) {
				fprintf(stderr, "tokenfactoryd: --max-procs: bad number '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'C':
			ao.counters = false;
			break;
		case 'G':
			ao.gpus = false;
			break;
		case '1':
			once = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (check_config) {
		if (optind < argc)
			config_path = argv[optind++];
		if (optind < argc) {
			usage(stderr);
			return 2;
		}
		return tf_config_check(config_path, stdout);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	err = tf_agent_open(&agent, &ao);
	if (err) {
		tfd_log(3, "start: %s%s", strerror(-err),
			err == -ENOENT ? " (is tokenfactory.ko loaded?)" : "");
		return 1;
	}
	st = tf_agent_stats(agent);
	tfd_log(6, "accounting every %" PRIu64 " ms, CPU weight: %s, %u NVIDIA GPU(s)%s",
		interval_ms,
		st->counters ? "cycles" : "on-CPU time (no hardware counters)",
		st->gpus, ao.gpus && !st->gpus ? " (no NVML: GPUs not metered)" : "");

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!tfd_stop) {
		err = tf_agent_tick(agent);
		if (err && up)
			tfd_log(3, "tick: %s", strerror(-err));
		else if (!err && !up)
			tfd_log(5, "tick: module reachable again");
		up = !err;
		if (!err && (verbose || st->conservation_errors))
			tfd_log(st->conservation_errors ? 3 : 7,
				"tick %" PRIu64 ": %" PRIu64 " processes, metered %" PRIu64
				" uJ = attributed %" PRIu64 " + remainder %" PRIu64
				", green %" PRIu32 " ppm, conservation errors %" PRIu64,
				st->ticks, st->procs, st->metered_uj,
				st->attributed_uj, st->remainder_uj, st->green_ppm,
				st->conservation_errors);
		if (once && st->ticks >= 2)
			break;
		tfd_sleep_until(&next, interval_ms);
	}
	tfd_log(6, "stopping after %" PRIu64 " ticks", st->ticks);
	err = st->conservation_errors ? 1 : 0;
	tf_agent_close(agent);
	return err;
}
