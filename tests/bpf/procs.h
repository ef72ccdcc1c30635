/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the sensor tests (test_sensor and tf-sensor-check): processes
 * with known CPU use, and an accumulator of tf_sensor_collect() reports.
 */
#ifndef TF_TEST_PROCS_H
#define TF_TEST_PROCS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sensor.h"

static inline uint64_t tp_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Burns ns of this thread's own CPU time. */
static inline void tp_spin(uint64_t ns)
{
	uint64_t end = tp_now(CLOCK_THREAD_CPUTIME_ID) + ns;

	while (tp_now(CLOCK_THREAD_CPUTIME_ID) < end)
		;
}

/*
 * A child with a duty cycle of pct % in periods of period_ms on
 * CLOCK_MONOTONIC, for seconds. Paced by its own CPU time (wall false): in
 * each period it spins until its CPU time reaches pct % of the periods so
 * far, then sleeps to the next period boundary, so that a child another
 * task preempts still gets exactly its share. Paced by the wall clock
 * (wall true): it spins pct % of a period from the moment it wakes, for a
 * quiet machine where the kernel's task clock is off (see
 * docs/testing.md, "The sensor in the VM").
 */
static inline pid_t tp_duty_child2(unsigned int pct, unsigned int period_ms,
				   unsigned int seconds, bool wall)
{
	pid_t pid = fork();

	if (pid == 0) {
		uint64_t period = period_ms * 1000000ULL;
		uint64_t t0 = tp_now(CLOCK_MONOTONIC);
		uint64_t c0 = tp_now(CLOCK_THREAD_CPUTIME_ID);
		uint64_t n, periods = seconds * 1000ULL / period_ms;

		for (n = 1; n <= periods; n++) {
			uint64_t want = c0 + n * period * pct / 100, wake;
			struct timespec ts;

			if (wall) {
				want = tp_now(CLOCK_MONOTONIC) + period * pct / 100;
				while (tp_now(CLOCK_MONOTONIC) < want)
					;
			} else {
				while (tp_now(CLOCK_THREAD_CPUTIME_ID) < want)
					;
			}
			wake = t0 + n * period;
			ts.tv_sec = wake / 1000000000ULL;
			ts.tv_nsec = wake % 1000000000ULL;
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					       NULL) == EINTR)
				;
		}
		_exit(0);
	}
	return pid;
}

static inline pid_t tp_duty_child(unsigned int pct, unsigned int period_ms,
				  unsigned int seconds)
{
	return tp_duty_child2(pct, period_ms, seconds, false);
}

/* What the reports said about one tgid, summed over collects. */
struct tp_ent {
	uint32_t tgid;
	bool used;
	uint64_t on_ns, cycles;
	unsigned int reports, exits, after_exit;
	uint64_t cgroup_id;
	unsigned int named;	/* reports with d->named */
	bool last_named;	/* the latest report's */
	char comm[16];		/* the latest report's */
};

#define TP_SLOTS 65536	/* above the tgids one test sees */

struct tp_acc {
	struct tp_ent *e;	/* TP_SLOTS, open addressing by tgid */
	uint64_t on_ns, cycles;	/* all reports */
	uint64_t interval_ns;	/* what the sensor said the collects covered */
	uint64_t collects, mismatches;
	uint64_t worst_ns;	/* largest |sum - interval| of one collect */
	uint64_t this_on, this_cycles;	/* the current collect */
};

static inline struct tp_ent *tp_get(struct tp_acc *a, uint32_t tgid)
{
	uint32_t i = (tgid * 2654435761u) % TP_SLOTS;

	while (a->e[i].used && a->e[i].tgid != tgid)
		i = (i + 1) % TP_SLOTS;
	a->e[i].used = true;
	a->e[i].tgid = tgid;
	return &a->e[i];
}

static inline void tp_on_proc(const struct tf_proc_delta *d, void *arg)
{
	struct tp_acc *a = arg;
	struct tp_ent *e = tp_get(a, d->tgid);
	unsigned int k;

	for (k = 0; k < TF_SENSOR_MAX_PKGS; k++) {
		e->on_ns += d->on_ns[k];
		e->cycles += d->cycles[k];
		a->this_on += d->on_ns[k];
		a->this_cycles += d->cycles[k];
	}
	if (e->exits)
		e->after_exit++;
	e->reports++;
	e->exits += d->exited;
	e->cgroup_id = d->cgroup_id;
	e->named += d->named;
	e->last_named = d->named;
	memcpy(e->comm, d->comm, sizeof(e->comm));
}

/*
 * One collect into a; false if its on_ns did not add up to the CPUs'
 * elapsed time the sensor says it covered.
 */
static inline int tp_collect(struct tf_sensor *s, struct tp_acc *a)
{
	uint64_t iv, diff;
	int err;

	a->this_on = a->this_cycles = 0;
	err = tf_sensor_collect(s, tp_on_proc, a);
	if (err)
		return err;
	iv = tf_sensor_interval_ns(s);
	diff = a->this_on > iv ? a->this_on - iv : iv - a->this_on;
	if (diff > a->worst_ns)
		a->worst_ns = diff;
	a->mismatches += diff != 0;
	a->collects++;
	a->on_ns += a->this_on;
	a->cycles += a->this_cycles;
	a->interval_ns += iv;
	return 0;
}

static inline int tp_acc_init(struct tp_acc *a)
{
	memset(a, 0, sizeof(*a));
	a->e = calloc(TP_SLOTS, sizeof(*a->e));
	return a->e ? 0 : -ENOMEM;
}

static inline void tp_acc_free(struct tp_acc *a)
{
	free(a->e);
	a->e = NULL;
}

#endif /* TF_TEST_PROCS_H */
