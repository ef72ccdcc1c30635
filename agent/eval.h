/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The evaluation harness's pure part: one host's day under a policy, from
 * an hourly surplus series, with the policy code the agent runs
 * (policy.h). tf-eval wraps it with the trace, the options and the
 * report; docs/eval.md describes the model.
 */
#ifndef TF_EVAL_H
#define TF_EVAL_H

#include <stdbool.h>
#include <stdio.h>

#include "policy.h"

enum tf_eval_policy {
	TF_EV_TOKENFACTORY,	/* tf_batch_power with a forecast from past days */
	TF_EV_UNCAPPED,		/* batch flat out from midnight until the quota is met */
	TF_EV_FIXED,		/* batch at one constant power all day */
	TF_EV_ONOFF,		/* batch flat out while surplus > 0; late catch-up */
	TF_EV_OPTIMUM,		/* tf_plan_grid over the true day */
	TF_EV_NPOLICIES,
};

extern const char *const tf_eval_policy_name[TF_EV_NPOLICIES];

struct tf_eval_cfg {
	struct tf_curve curve;		/* a worker's tokens/s against its watts */
	double idle_w;			/* host power with no work */
	double max_w;			/* host power at most */
	double demand_tps[24];		/* interactive tokens/s by local hour */
	double quota_tok;		/* batch tokens due by the day's end */
	double step_s;			/* simulation step; divides 3600 */
	double fixed_w;			/* the fixed cap's batch power */
	struct tf_quota_cfg quota;	/* tokenfactory's and on/off's margins */
};

struct tf_eval_day {
	double tokens;		/* all tokens */
	double green_tok;	/* tokens × the surplus-covered part of each step's energy */
	double batch_tok;
	double inter_tok;	/* interactive tokens served */
	double inter_due;	/* interactive tokens asked for */
	double energy_j;	/* host energy */
	double grid_j;		/* host energy not covered by surplus */
	double surplus_j;	/* surplus offered to the host */
	bool feasible;		/* the quota fits the day at full power */
	bool quota_met;
};

/*
 * The local hour (0..23) of the h-th hour of a local day of `hours` hours:
 * 23 on the spring switch (no 02:00), 25 on the fall one (01:00 twice).
 */
unsigned int tf_eval_local_hour(unsigned int h, unsigned int hours);

/*
 * One day: surplus_w[hours] (hours 23..25) is the host's surplus, hour by
 * hour of the local day. fc is the forecast built from the days before
 * (tokenfactory only; NULL: no forecast). Returns 0, -1 for a bad
 * configuration or day, or without memory.
 */
int tf_eval_day(const struct tf_eval_cfg *cfg, enum tf_eval_policy pol,
		const double *surplus_w, unsigned int hours,
		const struct tf_forecast *fc, struct tf_eval_day *out);

/*
 * Reads "x,y" number pairs, one a line; '#' comments, blank lines and one
 * header line (a line starting with a letter) are skipped. Returns the
 * number of pairs, or -1 with "name:line: why" in err (a malformed line,
 * more than max pairs, none at all).
 */
int tf_eval_read_pairs(FILE *f, const char *name, double *x, double *y,
		       unsigned int max, char *err, size_t errsz);
/* A worker curve file "power_w,tokens_per_s" (see tf_curve_init). */
int tf_eval_read_curve(FILE *f, const char *name, struct tf_curve *c,
		       char *err, size_t errsz);
/* An interactive demand file "hour,tokens_per_s", hours 0..23 each once. */
int tf_eval_read_demand(FILE *f, const char *name, double demand_tps[24],
			char *err, size_t errsz);

#endif /* TF_EVAL_H */
