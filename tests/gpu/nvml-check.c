// SPDX-License-Identifier: GPL-2.0
/*
 * tf-nvml-check: READ-ONLY checks of agent/nvml.c against a real NVIDIA GPU
 * (tests/gpu/nvml-check.sh runs it, docs/testing.md says how).
 *
 * It opens NVML with TF_NVML_RDONLY, so every call that could change a
 * setting (power limit, locked clocks) fails in agent/nvml.c before it
 * reaches NVML, and it calls none of them anyway. It reads: the GPUs and
 * their names, power, limit and clocks; the energy counter and power every
 * 100 ms over a window; per-process utilisation samples over the same
 * window. At the end it reads the limit and clocks again: unchanged.
 *
 * Output: "PASS: gpu/..." and "FAIL: gpu/... (why)" lines, details
 * indented. Exit 0 when all passed, 1 when something failed, 2 when there
 * is no NVML (no driver: "no NVML: ...").
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvml.h"

#define MAX_PIDS 64

static int failed;

static void result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	fputs(ok ? "PASS: gpu/" : "FAIL: gpu/", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		failed = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct seen {
	uint32_t pid, max_sm;
	unsigned int samples;
};

struct gpu_state {
	uint64_t limit_uw;
	unsigned int sm_mhz, max_mhz;
	int limit_err, clk_err;
};

static void read_state(struct tf_nvml *n, unsigned int i, struct gpu_state *s)
{
	s->limit_err = tf_nvml_limit_uw(n, i, &s->limit_uw);
	s->clk_err = tf_nvml_sm_clock_mhz(n, i, &s->sm_mhz, &s->max_mhz);
}

static void show_gpu(struct tf_nvml *n, unsigned int i)
{
	uint64_t p, min, max, dflt;
	struct gpu_state s;

	printf("    gpu%u: %s  %s\n", i, tf_nvml_name(n, i), tf_nvml_uuid(n, i));
	if (!tf_nvml_power_uw(n, i, &p))
		printf("    gpu%u: power %.1f W\n", i, p / 1e6);
	else
		printf("    gpu%u: power: %s\n", i, tf_nvml_errmsg(n));
	if (!tf_nvml_limit_range_uw(n, i, &min, &max, &dflt))
		printf("    gpu%u: limit range %.0f..%.0f W, default %.0f W\n",
		       i, min / 1e6, max / 1e6, dflt / 1e6);
	else
		printf("    gpu%u: limit range: %s\n", i, tf_nvml_errmsg(n));
	read_state(n, i, &s);
	if (!s.limit_err)
		printf("    gpu%u: limit %.0f W\n", i, s.limit_uw / 1e6);
	if (!s.clk_err)
		printf("    gpu%u: SM clock %u MHz (max %u)\n", i, s.sm_mhz, s.max_mhz);
}

static void note_samples(struct tf_nvml *n, unsigned int i, uint64_t *since,
			 struct seen *seen, unsigned int *nseen, int *err)
{
	struct tf_gpu_proc_util u[256];
	unsigned int cnt = 256, k, j;
	int e;

	e = tf_nvml_process_util(n, i, *since, u, &cnt);
	if (e && e != -ENOSPC) {
		if (!*err)
			printf("    gpu%u: process utilisation: %s\n", i, tf_nvml_errmsg(n));
		*err = e;
		return;
	}
	if (cnt > 256)
		cnt = 256;
	for (k = 0; k < cnt; k++) {
		if (u[k].time_us > *since)
			*since = u[k].time_us;
		for (j = 0; j < *nseen && seen[j].pid != u[k].pid; j++)
			;
		if (j == *nseen) {
			if (*nseen == MAX_PIDS)
				continue;
			seen[(*nseen)++] = (struct seen){ .pid = u[k].pid };
		}
		seen[j].samples++;
		if (u[k].sm_pct > seen[j].max_sm)
			seen[j].max_sm = u[k].sm_pct;
	}
}

/* One GPU's readings over the window. */
struct run {
	struct gpu_state before;
	uint64_t e0, e, p, t;		/* last reading */
	double integral;		/* power integrated, µJ */
	unsigned int back, samples;
	int err;			/* energy or power unreadable */
	uint64_t since;			/* newest utilisation sample */
	struct seen seen[MAX_PIDS];
	unsigned int nseen;
	int uerr;
};

static void step(struct tf_nvml *n, unsigned int i, struct run *r)
{
	uint64_t e, p, t = mono_ns();

	if (r->err)
		return;
	if (tf_nvml_energy_uj(n, i, &e) || tf_nvml_power_uw(n, i, &p)) {
		r->err = -1;
		printf("    gpu%u: %s\n", i, tf_nvml_errmsg(n));
		return;
	}
	if (!r->samples) {
		r->e0 = e;
	} else {
		if (e < r->e)
			r->back++;
		r->integral += (p + r->p) / 2.0 * (t - r->t) / 1e9;
	}
	r->e = e;
	r->p = p;
	r->t = t;
	r->samples++;
	note_samples(n, i, &r->since, r->seen, &r->nseen, &r->uerr);
}

/*
 * Energy over the window against power integrated over it (trapezoids of
 * 100 ms). NVML's power is itself an average (over about 1 s on recent
 * GPUs), so a changing load makes the two differ by a part of the swing;
 * the bounds are loose on purpose (0.7..1.3), the ratio is printed.
 */
static void judge(struct tf_nvml *n, unsigned int i, struct run *r,
		  uint64_t t0, long load_pid)
{
	double de = (double)(r->e - r->e0), ratio;
	bool busy = false, pid_seen = false;
	struct gpu_state after;
	unsigned int k;

	if (r->err) {
		result(false, "%u/energy (unreadable)", i);
		return;
	}
	ratio = r->integral > 0 ? de / r->integral : 0;
	printf("    gpu%u: %u readings over %.1f s: energy %.3f J, power integrated "
	       "%.3f J, ratio %.3f, mean %.1f W\n", i, r->samples, (r->t - t0) / 1e9,
	       de / 1e6, r->integral / 1e6, ratio, de / ((r->t - t0) / 1e3));
	result(!r->back, "%u/energy-monotonic%s", i, r->back ? " (went backwards)" : "");
	result(de > 0, "%u/energy-increasing%s", i, de > 0 ? "" : " (no change)");
	result(ratio > 0.7 && ratio < 1.3, "%u/energy-vs-power (ratio %.3f)", i, ratio);

	for (k = 0; k < r->nseen; k++) {
		printf("    gpu%u: pid %" PRIu32 ": %u samples, SM up to %" PRIu32 " %%\n",
		       i, r->seen[k].pid, r->seen[k].samples, r->seen[k].max_sm);
		busy |= r->seen[k].max_sm > 0;
		pid_seen |= load_pid > 0 && r->seen[k].pid == (uint32_t)load_pid;
	}
	if (r->uerr) {
		result(r->uerr == -EOPNOTSUPP, "%u/process-util (%s)", i,
		       r->uerr == -EOPNOTSUPP ? "not supported on this GPU" : "error");
	} else if (load_pid > 0) {
		/* NVML reports host PIDs: in a container the load's may differ */
		result(busy, "%u/process-util (load pid %ld %s%s)", i, load_pid,
		       pid_seen ? "seen" : "not seen: a PID namespace?",
		       busy ? "" : "; no process with SM use");
	} else {
		result(true, "%u/process-util (%u process(es) sampled, no load given)",
		       i, r->nseen);
	}

	read_state(n, i, &after);
	result(r->before.limit_err == after.limit_err &&
	       (after.limit_err || r->before.limit_uw == after.limit_uw),
	       "%u/limit-unchanged", i);
	result(r->before.clk_err == after.clk_err &&
	       (after.clk_err || r->before.max_mhz == after.max_mhz),
	       "%u/max-clock-unchanged", i);
}

/* All GPUs sampled together, every 100 ms for secs seconds. */
static int check_all(struct tf_nvml *n, unsigned int secs, long load_pid)
{
	unsigned int i, k, ngpus = tf_nvml_count(n);
	struct run *r = calloc(ngpus ? ngpus : 1, sizeof(*r));
	uint64_t t0;

	if (!r)
		return -ENOMEM;
	for (i = 0; i < ngpus; i++)
		read_state(n, i, &r[i].before);
	t0 = mono_ns();
	for (k = 0; k <= secs * 10; k++) {
		if (k)
			sleep_ms(100);
		for (i = 0; i < ngpus; i++)
			step(n, i, &r[i]);
	}
	for (i = 0; i < ngpus; i++)
		judge(n, i, &r[i], t0, load_pid);
	free(r);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int secs = 5, i;
	struct tf_nvml *n;
	long load_pid = 0;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "s:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			secs = (unsigned int)strtoul(optarg, NULL, 10);
			if (!secs || secs > 600)
				secs = 5;
			break;
		case 'p':
			load_pid = strtol(optarg, NULL, 10);
			break;
		case 'h':
			printf("Usage: tf-nvml-check [--seconds N] [--pid LOAD_PID]\n"
			       "Read-only NVML checks (no setting is ever changed).\n");
			return 0;
		default:
			return 2;
		}
	}
	err = tf_nvml_open(&n, TF_NVML_RDONLY);
	if (err) {
		printf("FAIL: gpu/nvml (%s)\n", tf_nvml_errmsg(NULL));
		return 2;
	}
	result(tf_nvml_count(n) > 0, "count (%u GPU(s))", tf_nvml_count(n));
	for (i = 0; i < tf_nvml_count(n); i++) {
		show_gpu(n, i);
		result(tf_nvml_name(n, i)[0] != '\0', "%u/name", i);
	}
	if (check_all(n, secs, load_pid))
		result(false, "check (out of memory)");
	tf_nvml_close(n);
	return failed;
}
