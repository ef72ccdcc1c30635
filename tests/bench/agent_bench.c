// SPDX-License-Identifier: GPL-2.0
/*
 * tf-agent-bench: tokenfactoryd's per-tick userspace work, timed natively.
 *
 * Runs the daemon's real accounting tick (agent/agent.c: the BPF sensor's
 * collect, NVML read through agent/nvml.c, tf_account_tick's exact split
 * over every domain, the ledger rows) and the /metrics exposition
 * (agent/metrics.c) once per tick, and prints the CPU time each tick
 * took. Where the real agent talks to tokenfactory.ko, this program has a
 * NETLINK DOUBLE (below): the domains' energy is synthetic and the ledger
 * push encodes the same genetlink messages the real client sends (with its
 * encoder, agent/nl_ledger.c), then drops them instead of sending them. NVML is the TEST DOUBLE library
 * (TF_NVML_LIB, tests/nvml-double: this host has no NVIDIA GPU).
 *
 *   tf-agent-bench [-p PROCS] [-b BUSY] [-g GPUS] [-t TICKS] [-i MS] [-w N]
 *   tf-agent-bench --spawn [-p PROCS] [-b BUSY] [-i MS]
 *
 * -p: sleeping processes started (each wakes once per interval, so every
 * tick sees all of them); -b: busy ones (5 % duty in 10 ms periods, they
 * carry the GPUs' processes); the sensor sees every process on the host,
 * so -p 0 -b 0 measures against whatever runs already. --spawn only starts
 * the processes, prints the busy ones' pids on one line and waits for
 * SIGTERM (the VM benchmark's load). Needs root (the sensor).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "agent.h"
#include "metrics.h"
#include "nl_domains.h"
#include "nl_ledger.h"
#include "tf_nl.h"

#define BENCH_MAX_GPUS ND_MAX_GPUS

static struct {
	unsigned int gpus;
	uint64_t start_ns;
	/* the GPUs' counters as the agent pushed them */
	struct nd_gpus gpu;
	/* what the double saw, for the report */
	uint64_t pushes, push_rows, push_bytes;
	struct tf_domain_info last[3 + BENCH_MAX_GPUS];
	unsigned int nlast;
} nd;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- NETLINK DOUBLE: the module's side of agent.c's calls --------------- */

struct tf_nl {
	int unused;
};

int tf_nl_open(struct tf_nl **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void tf_nl_close(struct tf_nl *nl)
{
	free(nl);
}

int tf_nl_heartbeat(struct tf_nl *nl)
{
	(void)nl;
	return 0;
}

int tf_nl_energy_push(struct tf_nl *nl, const char *name, uint64_t energy_uj,
		      const uint64_t *power_uw, const uint64_t *max_uw)
{
	(void)nl;
	(void)power_uw;
	(void)max_uw;
	nd_gpu_push(&nd.gpu, name, energy_uj);	/* what is no GPU: ignored */
	return 0;
}

/* package-0 at 120 W, dram-0 at 15 W, the GPUs the bench was asked for */
int tf_nl_domains(struct tf_nl *nl, struct tf_domain_info **out,
		  unsigned int *n)
{
	uint64_t t_us = (mono_ns() - nd.start_ns) / 1000;
	int err;

	(void)nl;
	err = nd_domains(&nd.gpu, nd.gpus, t_us * 120, t_us * 15, out, n);
	if (!err) {
		memcpy(nd.last, *out, *n * sizeof(**out));
		nd.nlast = *n;
	}
	return err;
}

int tf_nl_signal_get(struct tf_nl *nl, struct tf_signal_info *s)
{
	(void)nl;
	memset(s, 0, sizeof(*s));
	s->set = true;
	s->surplus_uw = 600000000;
	return 0;
}

/*
 * The real client's messages (agent/tf_nl.c, agent/nl_ledger.c): 16 KiB,
 * filled with rows by its own encoder, then dropped instead of sent.
 */
static int tf_drop(struct nl_msg *msg, void *arg)
{
	(void)arg;
	nd.push_bytes += nlmsg_hdr(msg)->nlmsg_len;
	nd.pushes++;
	nlmsg_free(msg);
	return 0;
}

int tf_nl_ledger_push(struct tf_nl *nl, uint32_t green_ppm,
		      const struct tf_ledger_row *rows, unsigned int n)
{
	int err;

	(void)nl;
	err = tf_nl_ledger_split(0x20, green_ppm, rows, n, tf_drop, NULL);
	if (!err)
		nd.push_rows += n;
	return err;
}

/* ---- the load: sleepers and busy processes ------------------------------ */

static pid_t *kids;
static unsigned int nkids;

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ULL,
			       .tv_nsec = t % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Wakes once per period at its own phase: every tick sees it run. */
static void __attribute__((noreturn)) sleeper(uint64_t period, uint64_t phase)
{
	uint64_t t = mono_ns() + phase;

	for (;; t += period)
		sleep_until(t);
}

/* 5 % of a CPU in 10 ms periods: context switches for the sensor to see */
static void __attribute__((noreturn)) busy(void)
{
	uint64_t t = mono_ns(), period = 10000000, on = period / 20;

	for (;; t += period) {
		while (mono_ns() < t + on)
			;
		sleep_until(t + period);
	}
}

/* Busy ones first in kids[]; each dies with us. */
static int spawn(unsigned int procs, unsigned int nbusy, uint64_t period)
{
	pid_t parent = getpid();
	unsigned int i;

	kids = calloc(procs + nbusy + 1, sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	for (i = 0; i < procs + nbusy; i++) {
		pid_t p = fork();

		if (p < 0)
			return -errno;
		if (!p) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			if (i < nbusy)
				busy();
			sleeper(period, period * (i - nbusy) / (procs ? procs : 1));
		}
		kids[nkids++] = p;
	}
	return 0;
}

static void reap(void)
{
	unsigned int i;

	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < nkids; i++)
		waitpid(kids[i], NULL, 0);
	nkids = 0;
}

/* ---- the benchmark ------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* An NVML double state: GPUS GPUs, two busy processes on each. */
static int nvml_state(char *path, size_t sz, unsigned int gpus, unsigned int nbusy)
{
	unsigned int i;
	FILE *f;
	int fd;

	snprintf(path, sz, "/tmp/tf-agent-bench.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	fprintf(f, "gpus=%u\n", gpus);
	for (i = 0; i < gpus && nbusy; i++)
		fprintf(f, "gpu%u.procs=%d:40,%d:30\n", i, kids[(2 * i) % nbusy],
			kids[(2 * i + 1) % nbusy]);
	fclose(f);
	setenv("TF_NVML_DOUBLE_STATE", path, 0);
	return 0;
}

/* The /metrics a host of this shape serves: every domain, four groups. */
static size_t render(const struct tf_agent_stats *st, struct tf_mx_snapshot *s)
{
	static const char *const groups[] = { "chat", "batch", "batch2", "background" };
	static const char *const tiers[] = { "interactive", "batch", "batch", "background" };
	char *out = NULL, name[TF_MX_NAME];
	size_t len = 0;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->ticks = st->ticks;
	s->green_ppm = st->green_ppm;
	s->signal_set = s->signal_fresh = true;
	s->surplus_uw = 600000000;
	s->budget_uw = 2000000000;
	for (i = 0; i < nd.nlast; i++) {
		struct tf_mx_domain *d = tf_mx_add_domain(s, nd.last[i].name);

		if (d)
			d->energy_uj = nd.last[i].energy_uj;
	}
	for (i = 0; i < 4; i++) {
		struct tf_mx_group *g = tf_mx_add_group(s, groups[i]);

		if (!g)
			continue;
		snprintf(g->tier, sizeof(g->tier), "%s", tiers[i]);
		g->energy_uj = st->attributed_uj * (i + 1);
		g->has_tokens = true;
		g->tokens_up = true;
		g->tokens = 1000 * st->ticks;
		g->j_per_token = 0.5;
		g->has_cpu_max = true;
		g->cpu_max = 1.5;
	}
	snprintf(tf_mx_add_source(s, "site")->kind, TF_MX_NAME, "mqtt");
	for (i = 0; i < nd.gpus; i++) {
		snprintf(name, sizeof(name), "gpu-%u", i);
		snprintf(tf_mx_add_actuator(s, name)->state, TF_MX_NAME, "applied");
	}
	if (tf_metrics_render(s, &out, &len))
		return 0;
	free(out);
	return len;
}

static long status_kib(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(f);
	return v;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tf-agent-bench [-p PROCS] [-b BUSY] [-g GPUS] [-t TICKS] [-i MS] [-w WARMUP]\n"
		   "       tf-agent-bench --spawn [-p PROCS] [-b BUSY] [-i MS]\n");
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "spawn", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int procs = 2000, nbusy = 4, ticks = 30, warm = 3, i;
	uint64_t interval_ms = 1000, *cpu, *wall, *rcpu, t, sum = 0, rsum = 0, cerr;
	struct tf_agent_opts ao = { .max_procs = 16384, .counters = true, .gpus = true };
	const struct tf_agent_stats *st;
	struct tf_mx_snapshot *snap;
	struct tf_agent *a;
	char state[64] = "";
	size_t mx_bytes = 0;
	bool only_spawn = false;
	int opt, err;

	nd.gpus = 8;
	while ((opt = getopt_long(argc, argv, "p:b:g:t:i:w:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			procs = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			nbusy = strtoul(optarg, NULL, 10);
			break;
		case 'g':
			nd.gpus = strtoul(optarg, NULL, 10);
			break;
		case 't':
			ticks = strtoul(optarg, NULL, 10);
			break;
		case 'i':
			interval_ms = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			warm = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			only_spawn = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nd.gpus > BENCH_MAX_GPUS || !ticks || !interval_ms) {
		usage(stderr);
		return 2;
	}
	err = spawn(procs, nbusy, interval_ms * 1000000);
	/* after the fork: the children keep the default, SIGTERM ends them */
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (err) {
		fprintf(stderr, "tf-agent-bench: fork: %s\n", strerror(-err));
		reap();
		return 1;
	}
	if (only_spawn) {
		for (i = 0; i < nbusy; i++)
			printf("%s%d", i ? " " : "", kids[i]);
		printf("\n");
		fflush(stdout);
		while (!stop)
			pause();
		reap();
		return 0;
	}

	if (nd.gpus && !getenv("TF_NVML_DOUBLE_STATE") &&
	    nvml_state(state, sizeof(state), nd.gpus, nbusy)) {
		fprintf(stderr, "tf-agent-bench: NVML double state: %s\n", strerror(errno));
		reap();
		return 1;
	}
	ao.gpus = nd.gpus > 0;
	cpu = calloc(ticks, sizeof(*cpu));
	wall = calloc(ticks, sizeof(*wall));
	rcpu = calloc(ticks, sizeof(*rcpu));
	snap = calloc(1, sizeof(*snap));
	nd.start_ns = mono_ns();
	err = (!cpu || !wall || !rcpu || !snap) ? -ENOMEM : tf_agent_open(&a, &ao);
	if (err) {
		fprintf(stderr, "tf-agent-bench: agent: %s (root and BPF needed)\n",
			strerror(-err));
		reap();
		return 1;
	}
	st = tf_agent_stats(a);
	if (nd.gpus && st->gpus != nd.gpus)
		fprintf(stderr, "tf-agent-bench: %u GPU(s) found, %u asked (TF_NVML_LIB?)\n",
			st->gpus, nd.gpus);

	t = mono_ns();
	for (i = 0; i < warm + ticks && !stop; i++) {
		uint64_t c0, w0, c1;

		t += interval_ms * 1000000;
		sleep_until(t);
		c0 = cpu_ns();
		w0 = mono_ns();
		err = tf_agent_tick(a);
		c1 = cpu_ns();
		mx_bytes = render(st, snap);
		if (err) {
			fprintf(stderr, "tf-agent-bench: tick: %s\n", strerror(-err));
			break;
		}
		if (i < warm)
			continue;
		cpu[i - warm] = cpu_ns() - c0;
		rcpu[i - warm] = cpu_ns() - c1;
		wall[i - warm] = mono_ns() - w0;
		sum += cpu[i - warm];
		rsum += rcpu[i - warm];
	}
	if (i < warm + ticks) {
		tf_agent_close(a);
		reap();
		if (state[0])
			unlink(state);
		return 1;
	}
	printf("agent-bench ticks: %u at %" PRIu64 " ms, %u GPU(s), %s weights\n",
	       ticks, interval_ms, st->gpus, st->counters ? "cycles" : "on-CPU time");
	printf("agent-bench processes attributed per tick: %" PRIu64 " (ledger rows pushed: %" PRIu64 " in %" PRIu64 " messages, %" PRIu64 " bytes encoded)\n",
	       st->procs, nd.push_rows, nd.pushes, nd.push_bytes);
	printf("agent-bench conservation errors: %" PRIu64 ", ledger push errors: %" PRIu64 "\n",
	       st->conservation_errors, st->push_errors);
	printf("agent-bench /metrics exposition: %zu bytes\n", mx_bytes);
	printf("agent-bench mean CPU per tick: %.1f us (accounting tick %.1f us + metrics render %.1f us)\n",
	       sum / 1e3 / ticks, (sum - rsum) / 1e3 / ticks, rsum / 1e3 / ticks);
	qsort(cpu, ticks, sizeof(*cpu), cmp_u64);
	qsort(rcpu, ticks, sizeof(*rcpu), cmp_u64);
	qsort(wall, ticks, sizeof(*wall), cmp_u64);
	printf("agent-bench CPU per tick us: median %.1f p90 %.1f max %.1f; render median %.1f; wall median %.1f\n",
	       cpu[ticks / 2] / 1e3, cpu[ticks * 9 / 10] / 1e3, cpu[ticks - 1] / 1e3,
	       rcpu[ticks / 2] / 1e3, wall[ticks / 2] / 1e3);
	printf("agent-bench VmHWM %ld KiB, VmRSS %ld KiB (this process: no HTTP, MQTT or curl threads)\n",
	       status_kib("VmHWM:"), status_kib("VmRSS:"));
	printf("agent-bench-cpu-pct %.4f\n", sum / 1e7 / ticks / (interval_ms / 1000.0));
	cerr = st->conservation_errors;
	tf_agent_close(a);
	reap();
	if (state[0])
		unlink(state);
	return cerr ? 1 : 0;
}
