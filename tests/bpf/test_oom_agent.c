// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's whole accounting tick (agent/agent.c: the BPF sensor's
 * collect on this machine's kernel, the deltas, tf_account_tick, the ledger
 * rows) with each of its allocations failing in turn
 * (tests/unit/failalloc.c). Nothing may be lost: over all the ticks, failed
 * or not, the energy the ticks accounted (attributed + remainder) is every
 * µJ the meters advanced, and what went to the ledger is what was
 * attributed. Needs root (the sensor), so it runs in the bpf layer.
 *
 * The agent is opened before anything is armed, so start-up is not under
 * injection: in particular the sensor's load, which runs in a loader child
 * process (agent/sensor.c), whose allocations failalloc would count in the
 * child's copy of its state, never here. The tick does not fork.
 *
 * Where tokenfactoryd talks to tokenfactory.ko this test has a NETLINK
 * DOUBLE (agent_nl.h): no module on the build host. Its domains' counters
 * advance by fixed amounts per read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tf_test.h"
#include "unit/failalloc.h"

#include "agent.h"
#include "agent_nl.h"

/* ---- the test ----------------------------------------------------------------- */

struct sums {
	uint64_t metered, attributed, remainder;
};

/* one tick, its figures added to s when it went through */
static int tick(struct tf_agent *a, struct sums *s)
{
	const struct tf_agent_stats *st = tf_agent_stats(a);
	uint64_t before = st->ticks;
	int err = tf_agent_tick(a);

	if (!err) {
		assert_int_equal(st->ticks, before + 1);
		s->metered += st->metered_uj;
		s->attributed += st->attributed_uj;
		s->remainder += st->remainder_uj;
	} else {
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(st->ticks, before);
	}
	return err;
}

static void test_tick(void **state)
{
	struct tf_agent_opts o = { .max_procs = 16384, .counters = false };
	const struct tf_agent_stats *st;
	struct tf_agent *a;
	struct sums s = { 0 };
	unsigned long k, n, failed_ticks = 0;
	uint64_t base;
	int sticky;

	(void)state;
	if (geteuid()) {
		print_message("skipped: needs root (the BPF sensor)\n");
		skip();
	}
	if (tf_agent_open(&a, &o))
		fail_msg("agent: %s", tf_agent_error());
	st = tf_agent_stats(a);
	/* the first tick sees every domain for the first time: the baseline */
	assert_int_equal(tick(a, &s), 0);
	assert_int_equal(s.metered, 0);
	base = nd.reads;
	assert_int_equal(tick(a, &s), 0);

	tf_fa_arm(0, false);
	assert_int_equal(tick(a, &s), 0);
	k = tf_fa_disarm();
	assert_true(k > 0);
	/* the sensor sees every process of the host: a few more for churn */
	for (n = 1; n <= k + 8; n++) {
		for (sticky = 0; sticky < 2; sticky++) {
			tf_fa_arm(n, sticky);
			failed_ticks += tick(a, &s) != 0;
			tf_fa_disarm();
		}
	}
	assert_int_equal(tick(a, &s), 0);
	print_message("tick: %lu allocations, each failed in turn (%lu ticks failed)\n",
		      k, failed_ticks);
	assert_true(failed_ticks > 0);

	/* every µJ the meters advanced since the baseline, accounted once */
	assert_int_equal(s.metered, (nd.reads - base) * (ND_PKG_STEP + ND_DRAM_STEP));
	assert_int_equal(s.attributed + s.remainder, s.metered);
	assert_int_equal(st->conservation_errors, 0);
	assert_int_equal(nd.pushed[1] + nd.pushed[2], s.attributed);
	tf_agent_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tick),
	};

	return TF_RUN_TESTS("oom_agent", tests);
}
