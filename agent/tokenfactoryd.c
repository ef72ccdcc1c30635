// SPDX-License-Identifier: GPL-2.0
/*
 * tokenfactoryd: the host agent. One thread runs the loop below; the signal
 * sources, the token scrapers and /metrics run on threads of their own and
 * meet it through locked snapshots and an eventfd.
 *
 * The loop waits on four descriptors:
 *   timerfd   the tick: the accounting thread is started on it (heartbeat,
 *             energy attributed, ledger);
 *   eventfd   the accounting thread is done: control on a tick (signal ->
 *             budget -> tiers -> actuators, tokens, /metrics);
 *   eventfd   a source accepted a new value: control at once, so a surplus
 *             step reaches the actuators in milliseconds, not a tick, even
 *             while accounting runs;
 *   signalfd  SIGTERM/SIGINT stop (actuators restored), SIGHUP reloads.
 * Everything is CLOCK_MONOTONIC: a wall-clock jump moves nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "notify.h"
#include "privs.h"
#include "units.h"

struct tfd_opts {
	const char *config;
	bool config_given;
	uint64_t interval_ms;		/* 0: the config's */
	unsigned int max_procs;		/* 0: the config's */
	bool no_counters, no_gpus, dry_run, once, verbose;
};

/*
 * Accounting on a thread of its own: a tick walks every process the sensor
 * saw and talks to the module, and the loop must stay free for signal
 * values meanwhile. It has its own netlink socket (tf_agent); the loop
 * reads its figures only after it said it is done.
 */
struct tfd_acct {
	struct tf_agent *agent;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go, busy, quit, started;
	int done_fd;			/* written when a tick is done */
	int err;			/* the last tick's */
};

static void *tfd_acct_main(void *arg)
{
	struct tfd_acct *t = arg;
	uint64_t one = 1;
	int err;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->go && !t->quit)
			pthread_cond_wait(&t->cond, &t->lock);
		if (t->quit)
			break;
		t->go = false;
		pthread_mutex_unlock(&t->lock);
		err = tf_agent_tick(t->agent);
		pthread_mutex_lock(&t->lock);
		t->err = err;
		if (write(t->done_fd, &one, sizeof(one)) != sizeof(one))
			t->busy = false;	/* cannot happen with an eventfd */
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* A tick, unless the last is still running (then this one is skipped). */
static bool tfd_acct_kick(struct tfd_acct *t)
{
	bool kicked = false;

	pthread_mutex_lock(&t->lock);
	if (!t->busy) {
		t->busy = t->go = kicked = true;
		pthread_cond_signal(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return kicked;
}

/* The tick's result; taking the lock makes its figures visible here. */
static int tfd_acct_done(struct tfd_acct *t)
{
	int err;

	pthread_mutex_lock(&t->lock);
	t->busy = false;
	err = t->err;
	pthread_mutex_unlock(&t->lock);
	return err;
}

static void tfd_acct_stop(struct tfd_acct *t)
{
	if (!t->started)
		return;
	pthread_mutex_lock(&t->lock);
	t->quit = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	t->started = false;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: tokenfactoryd [OPTION]...\n"
		   "  -c, --config FILE   configuration (default " TF_CONFIG_PATH ")\n"
		   "      --check-config  check the configuration, print a summary, exit\n"
		   "  -i, --interval DUR  tick (default: the config's, 1s)\n"
		   "      --max-procs N   processes the sensor tracks at once\n"
		   "      --no-counters   weigh CPU use by time even where cycles are counted\n"
		   "      --no-gpus       do not look for NVIDIA GPUs (NVML)\n"
		   "  -n, --dry-run       actuators log what they would do, write nothing\n"
		   "      --once          run two ticks (the first sets the baseline) and exit\n"
		   "  -v, --verbose       log every tick\n"
		   "See tokenfactoryd(8).\n");
}

/* Command line over the file: what an operator types last wins. */
static void tfd_apply_opts(struct tf_config *c, const struct tfd_opts *o)
{
	if (o->interval_ms)
		c->interval_ms = o->interval_ms;
	if (o->max_procs)
		c->max_procs = o->max_procs;
	if (o->no_counters)
		c->counters = false;
	if (o->no_gpus)
		c->gpus = false;
	if (o->dry_run)
		c->dry_run = true;
	if (o->verbose)
		c->log_level = TF_LOG_DEBUG;
}

/*
 * The file is optional only when not named: a host with no configuration
 * runs accounting alone, at the module's signal, with the defaults.
 */
static int tfd_load(const struct tfd_opts *o, struct tf_config *c)
{
	char err[512];

	tf_config_defaults(c);
	if (!o->config_given && access(o->config, F_OK) && errno == ENOENT) {
		tfd_apply_opts(c, o);
		return 0;
	}
	if (tf_config_load(o->config, c, err, sizeof(err))) {
		tf_log(TF_LOG_ERR, "%s", err);
		return -1;
	}
	tfd_apply_opts(c, o);
	return 0;
}

static int tfd_timer_set(int fd, uint64_t interval_ms)
{
	struct itimerspec it = {
		.it_interval = {
			.tv_sec = interval_ms / 1000,
			.tv_nsec = (interval_ms % 1000) * 1000000,
		},
	};

	it.it_value = it.it_interval;
	return timerfd_settime(fd, 0, &it, NULL);
}

static uint64_t tfd_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/*
 * Everything that needed privileges is open (the sensor loaded, its perf
 * events, NVML, the sockets): keep only what the loop uses.
 *   CAP_NET_ADMIN   the module's admin commands (heartbeat, caps, ledger)
 *   CAP_KILL        SIGSTOP/SIGCONT duty cycles of other users' workers
 *   CAP_SYS_PTRACE  /proc/PID/fdinfo of other users' DRM clients, only
 *                   when a DRM GPU is weighed that way
 * The files it writes (cgroups, hwmon, /run/tokenfactory) belong to root,
 * its uid: no DAC capability is needed. docs/reliability.md.
 */
static void tfd_drop_privs(const struct tf_agent_stats *st)
{
	cap_value_t keep[3] = { CAP_NET_ADMIN, CAP_KILL, CAP_SYS_PTRACE };
	int err = tf_privs_drop(keep, st->drm_gpus ? 3 : 2);

	if (err)
		tf_log(TF_LOG_WARNING, "capabilities: not dropped: %s", strerror(-err));
	else
		tf_log(TF_LOG_INFO, "capabilities: kept CAP_NET_ADMIN, CAP_KILL%s",
		       st->drm_gpus ? ", CAP_SYS_PTRACE" : "");
}

/* Changing these needs a restart: they size the sensor and NVML. */
static bool tfd_needs_restart(const struct tf_config *a, const struct tf_config *b)
{
	return a->max_procs != b->max_procs || a->counters != b->counters ||
	       a->gpus != b->gpus;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_MAXP, OPT_NOCNT, OPT_NOGPU, OPT_ONCE };
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "interval", required_argument, NULL, 'i' },
		{ "max-procs", required_argument, NULL, OPT_MAXP },
		{ "no-counters", no_argument, NULL, OPT_NOCNT },
		{ "no-gpus", no_argument, NULL, OPT_NOGPU },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tfd_opts o = { .config = TF_CONFIG_PATH };
	struct tf_config cfg, ncfg;
	struct tf_agent_opts ao;
	uint64_t wd_usec;
	const struct tf_agent_stats *st;
	struct tf_agent *agent = NULL;
	struct tf_ctl *ctl = NULL;
	bool check = false, up = true, stop = false;
	int down_err = 0;	/* the error that stopped the ticks */
	int tfd = -1, efd = -1, sfd = -1, opt, err, rc = 1;
	struct tfd_acct acct = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
		.done_fd = -1,
	};
	struct pollfd pfd[4];
	sigset_t mask;
	char *end;

	while ((opt = getopt_long(argc, argv, "c:i:nvh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o.config = optarg;
			o.config_given = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case 'i':
			if (tf_parse_duration_ms(optarg, &o.interval_ms) ||
			    o.interval_ms < 10) {
				fprintf(stderr, "tokenfactoryd: --interval: bad duration '%s' (10ms at least)\n",
					optarg);
				return 2;
			}
			break;
		case OPT_MAXP:
			o.max_procs = strtoul(optarg, &end, 10);
			if (*end || !o.max_procs) {
				fprintf(stderr, "tokenfactoryd: --max-procs: bad number '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_NOCNT:
			o.no_counters = true;
			break;
		case OPT_NOGPU:
			o.no_gpus = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case OPT_ONCE:
			o.once = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (check)
		return tf_config_check(o.config, stdout);
	/*
	 * One malloc arena: a handful of threads that allocate little, once a
	 * tick, gain nothing from an arena each, and each arena keeps pages
	 * of its own (measured: 0.36 MiB of RssAnon, docs/benchmarks.md).
	 */
	mallopt(M_ARENA_MAX, 1);

	if (tfd_load(&o, &cfg))
		return 1;
	tf_log_set_level(cfg.log_level);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* blocked before any thread starts, so only the signalfd sees them */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || efd < 0 || tfd < 0) {
		tf_log(TF_LOG_ERR, "start: %s", strerror(errno));
		goto out;
	}

	ao = (struct tf_agent_opts){
		.max_procs = cfg.max_procs,
		.counters = cfg.counters,
		.gpus = cfg.gpus,
	};
	err = tf_agent_open(&agent, &ao);
	if (err) {
		tf_log(TF_LOG_ERR, "start: %s", tf_agent_error());
		goto out;
	}
	st = tf_agent_stats(agent);
	err = tf_ctl_open(&ctl, &cfg, efd);
	if (err) {
		tf_log(TF_LOG_ERR, "start: control: %s", strerror(-err));
		goto out;
	}
	tf_log(TF_LOG_INFO, "tick %" PRIu64 " ms, CPU weight: %s, %u NVIDIA GPU(s)%s, %zu source(s), %zu group(s)%s",
	       cfg.interval_ms,
	       st->counters ? "cycles" : "on-CPU time (no hardware counters)",
	       st->gpus, cfg.gpus && !st->gpus ? " (no NVML: GPUs not metered)" : "",
	       cfg.nsources, cfg.ngroups, cfg.dry_run ? ", dry run" : "");

	/*
	 * Resynchronise before the first heartbeat: that heartbeat ends the
	 * module's fail-safe, so our own caps must be in place first.
	 */
	tf_ctl_step(ctl, true);
	if (tfd_timer_set(tfd, cfg.interval_ms)) {
		tf_log(TF_LOG_ERR, "start: timer: %s", strerror(errno));
		goto out;
	}
	tfd_drop_privs(st);
	acct.agent = agent;
	acct.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (acct.done_fd < 0 ||
	    (errno = pthread_create(&acct.thread, NULL, tfd_acct_main, &acct))) {
		tf_log(TF_LOG_ERR, "start: accounting thread: %s", strerror(errno));
		goto out;
	}
	acct.started = true;
	/*
	 * No malloc_trim() here: the sensor's BTF parse, the one big transient
	 * of start-up, runs in its loader child (agent/sensor.c), and a trim
	 * returned nothing measurable either way (docs/benchmarks.md).
	 */
	/* fed once a tick: a tick longer than half the watchdog risks a kill */
	if (tf_watchdog_usec(&wd_usec) > 0 && cfg.interval_ms * 2000 > wd_usec)
		tf_log(TF_LOG_WARNING, "start: a %" PRIu64 " ms tick feeds a %" PRIu64
		       " ms watchdog less than twice per period", cfg.interval_ms,
		       wd_usec / 1000);
	tf_notify("READY=1");

	pfd[0] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = efd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[3] = (struct pollfd){ .fd = acct.done_fd, .events = POLLIN };
	while (!stop) {
		struct signalfd_siginfo si;
		uint64_t n;

		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			tf_log(TF_LOG_ERR, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN) {
			if (read(efd, &n, sizeof(n)) == sizeof(n))
				tf_ctl_step(ctl, false);
		}
		if (pfd[0].revents & POLLIN &&
		    read(tfd, &n, sizeof(n)) == sizeof(n) && !tfd_acct_kick(&acct))
			tf_log(TF_LOG_DEBUG, "tick: the last one still runs: skipped");
		if (pfd[3].revents & POLLIN &&
		    read(acct.done_fd, &n, sizeof(n)) == sizeof(n)) {
			err = tfd_acct_done(&acct);
			if (err && up)
				tf_log(TF_LOG_ERR, "tick: %s", strerror(-err));
			else if (!err && !up)
				/* a tick out of memory did not lose the module */
				tf_log(TF_LOG_NOTICE, "tick: %s",
				       down_err == -ENOMEM ? "ticking again after running out of memory" :
				       "module reachable again");
			if (err && up)
				down_err = err;
			up = !err;
			if (!err)
				tf_log(st->conservation_errors ? TF_LOG_ERR : TF_LOG_DEBUG,
				       "tick %" PRIu64 ": %" PRIu64 " processes, metered %" PRIu64
				       " uJ = attributed %" PRIu64 " + remainder %" PRIu64
				       ", green %" PRIu32 " ppm, conservation errors %" PRIu64,
				       st->ticks, st->procs, st->metered_uj,
				       st->attributed_uj, st->remainder_uj, st->green_ppm,
				       st->conservation_errors);
			tf_ctl_agent(ctl, st);
			tf_ctl_step(ctl, true);
			/*
			 * The watchdog is fed when a tick went all the way
			 * round: a hang in accounting or in control starves it.
			 */
			tf_notify("WATCHDOG=1");
			if (o.once && st->ticks >= 2)
				break;
		}
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGHUP) {
				stop = true;
				continue;
			}
			tf_notifyf("RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
				   tfd_mono_us());
			if (tfd_load(&o, &ncfg)) {
				tf_log(TF_LOG_ERR, "reload: keeping the running configuration");
				tf_config_free(&ncfg);
			} else if (tfd_needs_restart(&cfg, &ncfg)) {
				tf_log(TF_LOG_WARNING, "reload: max_procs, counters and gpus take effect at restart; keeping the running configuration");
				tf_config_free(&ncfg);
			} else if ((err = tf_ctl_reload(ctl, &ncfg))) {
				tf_log(TF_LOG_ERR, "reload: %s; keeping the running configuration",
				       strerror(-err));
				tf_config_free(&ncfg);
			} else {
				tf_config_free(&cfg);
				cfg = ncfg;
				tf_log_set_level(cfg.log_level);
				tfd_timer_set(tfd, cfg.interval_ms);
				tf_log(TF_LOG_INFO, "reloaded %s", o.config);
			}
			tf_notify("READY=1");
		}
	}
	tf_notify("STOPPING=1");
	tfd_acct_stop(&acct);
	tf_log(TF_LOG_INFO, "stopping after %" PRIu64 " ticks", st->ticks);
	rc = st->conservation_errors ? 1 : 0;
out:
	tfd_acct_stop(&acct);
	if (acct.done_fd >= 0)
		close(acct.done_fd);
	tf_ctl_close(ctl);	/* restores every actuator */
	tf_agent_close(agent);
	tf_config_free(&cfg);
	if (tfd >= 0)
		close(tfd);
	if (efd >= 0)
		close(efd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}
