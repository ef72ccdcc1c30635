/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver of the allocation-failure tests (test_oom*.c): a unit's run
 * with every allocation failing in turn (failalloc.h), once and with the
 * heap staying exhausted from there on, each run checked by the case.
 * Static functions: each test binary includes it once.
 */
#ifndef TF_OOM_H
#define TF_OOM_H

#include <stdbool.h>
#include <stdlib.h>

#include "tf_test.h"
#include "failalloc.h"

struct oom_case {
	const char *name;
	void *ctx;
	void (*setup)(void *ctx);			/* optional, every run */
	int (*op)(void *ctx);
	/* failed: how many allocations failed in this run */
	void (*check)(void *ctx, int rc, unsigned long failed);
	void (*teardown)(void *ctx);			/* optional, every run */
};

/* true: op's work runs on other threads, every thread's allocations count
 * (tf_fa_arm_all); set around oom_run() */
static bool oom_threads;

static int oom_one(const struct oom_case *c, unsigned long n, bool sticky,
		   unsigned long *count)
{
	unsigned long failed, k;
	int rc;

	if (getenv("TF_OOM_VERBOSE"))	/* which run an assertion is about */
		print_message("%s: allocation %lu fails%s\n", c->name, n,
			      sticky ? " and every later one" : "");
	if (c->setup)
		c->setup(c->ctx);
	if (oom_threads)
		tf_fa_arm_all(n, sticky);
	else
		tf_fa_arm(n, sticky);
	rc = c->op(c->ctx);
	k = tf_fa_disarm();
	failed = tf_fa_failed();
	if (count)
		*count = k;
	c->check(c->ctx, rc, failed);
	if (c->teardown)
		c->teardown(c->ctx);
	return rc;
}

/*
 * Runs c with each allocation failing in turn; returns K. A first run warms
 * up what libc does once (time zones, stdio), so that K is the steady count.
 */
static unsigned long oom_run(const struct oom_case *c)
{
	unsigned long k = 0, n, errors = 0;

	oom_one(c, 0, false, NULL);
	oom_one(c, 0, false, &k);
	if (!k)
		fail_msg("%s: no allocation seen: the interposer is not linked in",
			 c->name);
	for (n = 1; n <= k; n++) {
		errors += oom_one(c, n, false, NULL) < 0;
		oom_one(c, n, true, NULL);
	}
	/* and the unit still works with memory again */
	assert_int_equal(oom_one(c, 0, false, NULL) < 0, 0);
	print_message("%s: %lu allocations, each failed in turn (%lu errors)\n",
		      c->name, k, errors);
	return k;
}

/*
 * A unit that must allocate nothing (a restore on the way out, say): one
 * run on a heap exhausted from the first allocation, which must count none
 * and still pass c's check.
 */
static __attribute__((unused)) void oom_run_none(const struct oom_case *c)
{
	unsigned long k = 1;

	oom_one(c, 1, true, &k);
	if (k)
		fail_msg("%s: %lu allocation(s), where none may be", c->name, k);
	print_message("%s: no allocation; works on an exhausted heap\n", c->name);
}

#endif /* TF_OOM_H */
