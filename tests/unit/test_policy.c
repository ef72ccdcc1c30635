// SPDX-License-Identifier: GPL-2.0
/* The budget and the tiered split, table-driven. */
#include "tf_test.h"
#include "policy.h"

#define W 1000000ULL
#define S 1000000000ULL

struct budget_case {
	const char *name;
	uint64_t surplus_w;
	bool stale;
	uint64_t dt_s;		/* since the previous step */
	uint64_t want_w;
};

/* floor 100 W, ceiling 400 W, half the surplus, +50 W/s, 5 W hysteresis */
static const struct tf_budget_cfg cfg = {
	.floor_uw = 100 * W, .ceiling_uw = 400 * W, .share_ppm = 500000,
	.ramp_uw_s = 50 * W, .hysteresis_uw = 5 * W,
};

static void test_budget_sequence(void **state)
{
	static const struct budget_case steps[] = {
		{ "start: the floor", 0, false, 0, 100 },
		{ "surplus: ramps up 50 W/s", 200, false, 1, 150 },
		{ "...until the target", 200, false, 1, 200 },
		{ "a small rise is ignored", 208, false, 1, 200 },
		{ "a rise past the hysteresis", 220, false, 1, 210 },
		{ "a drop: at once", 40, false, 1, 120 },
		{ "stale: the floor at once", 1000, true, 1, 100 },
		{ "stale never raises", 1000, true, 10, 100 },
		{ "fresh again: ramps", 1000, false, 2, 200 },
		{ "the ceiling", 1000, false, 10, 400 },
		{ "no time passed: no rise", 1000, false, 0, 400 },
		{ "missing signal = stale", 0, true, 1, 100 },
	};
	struct tf_budget b = { 0 };
	uint64_t t = 5 * S;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint64_t got;

		t += steps[i].dt_s * S;
		got = tf_budget_step(&b, &cfg, steps[i].surplus_w * W,
				     steps[i].stale, t);
		if (got != steps[i].want_w * W)
			fail_msg("%s: got %lu W, want %lu W", steps[i].name,
				 (unsigned long)(got / W),
				 (unsigned long)steps[i].want_w);
	}
}

static void test_budget_no_ramp(void **state)
{
	struct tf_budget_cfg c = cfg;
	struct tf_budget b = { 0 };

	(void)state;
	c.ramp_uw_s = 0;
	c.hysteresis_uw = 0;
	assert_int_equal(tf_budget_step(&b, &c, 0, false, S), 100 * W);
	assert_int_equal(tf_budget_step(&b, &c, 300 * W, false, S), 250 * W);
}

struct split_case {
	const char *name;
	uint64_t budget_w, floor_w;
	struct tf_demand g[4];
	size_t n;
	uint64_t want_w[4];
	bool frozen[4];
};

#define I TF_POLICY_INTERACTIVE
#define B TF_POLICY_BATCH
#define G TF_POLICY_BACKGROUND

static void test_split_table(void **state)
{
	static const struct split_case cases[] = {
		{ "no surplus: batch and background pause, interactive keeps its own",
		  100, 100, { { I, 60 * W, 40 * W }, { B, 200 * W, 0 }, { G, 50 * W, 0 } }, 3,
		  { 60, 0, 40 }, { false, true, false } },
		{ "no surplus, interactive needs the floor: background pauses too",
		  100, 100, { { I, 150 * W, 80 * W }, { B, 200 * W, 0 }, { G, 50 * W, 0 } }, 3,
		  { 100, 0, 0 }, { false, true, true } },
		{ "surplus feeds batch, not interactive's extra first",
		  250, 100, { { I, 120 * W, 80 * W }, { B, 200 * W, 0 }, { G, 50 * W, 0 } }, 3,
		  { 100, 150, 0 }, { false, false, true } },
		{ "more surplus than batch wants: the rest to interactive, then background",
		  400, 100, { { I, 120 * W, 80 * W }, { B, 100 * W, 0 }, { G, 500 * W, 0 } }, 3,
		  { 120, 100, 180 }, { false, false, false } },
		{ "two batch groups share the surplus by demand",
		  160, 100, { { B, 40 * W, 0 }, { B, 80 * W, 0 } }, 2,
		  { 20, 40 }, { false, false } },
		{ "interactive reservations above the budget: scaled",
		  90, 100, { { I, 100 * W, 100 * W }, { I, 50 * W, 50 * W } }, 2,
		  { 60, 30 }, { false, false } },
	};
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct split_case *k = &cases[c];
		struct tf_alloc out[4];
		uint64_t sum = 0, left;

		left = tf_policy_split(k->budget_w * W, k->floor_w * W, k->g, k->n, out);
		for (i = 0; i < k->n; i++) {
			sum += out[i].uw;
			if (out[i].uw != k->want_w[i] * W || out[i].frozen != k->frozen[i])
				fail_msg("%s: group %zu got %lu W%s, want %lu W%s", k->name, i,
					 (unsigned long)(out[i].uw / W),
					 out[i].frozen ? " (frozen)" : "",
					 (unsigned long)k->want_w[i],
					 k->frozen[i] ? " (frozen)" : "");
		}
		/* never more than the budget; nothing lost */
		assert_int_equal(sum + left, k->budget_w * W);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_sequence),
		cmocka_unit_test(test_budget_no_ramp),
		cmocka_unit_test(test_split_table),
	};

	return TF_RUN_TESTS("policy", tests);
}
