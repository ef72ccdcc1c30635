/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The demo's report: a per-interval log of the day turned into per-hour
 * figures and totals (tokens, energy, grid energy, J/token, green-token
 * share, batch quota, interactive SLO). Pure; tf-report prints it, as a
 * table or JSON, and plots it with gnuplot.
 *
 * The log (CSV, header naming the columns, any order, others ignored):
 *   t                   trace seconds at the END of the interval
 *   surplus_w           the surplus signal during the interval, W
 *   host_power_w        the host's mean power during it, W
 *   meter               "measured" (RAPL) or "estimated" (the module's model)
 *   tokens_interactive  tokens generated in the interval, interactive tier
 *   tokens_batch        tokens generated in the interval, batch tier
 *   budget_w            the agent's budget, W
 * Each row covers (previous t, t]; the first row as long as the second's.
 *
 * Clocks: the day runs accelerated (accel trace seconds per wall second),
 * the workers do not: a token took real time and real energy. So energy is
 * power x wall time (trace seconds / accel), and J/token is honest; the
 * surplus is compared with the host's power in the same interval.
 *
 * Green: an interval's energy is surplus up to the surplus, grid above it;
 * its tokens are green in the proportion its energy was surplus.
 */
#ifndef TF_DEMO_REPORT_H
#define TF_DEMO_REPORT_H

#include <stdbool.h>
#include <stddef.h>

enum { RP_ESTIMATED = 1, RP_MEASURED = 2 };

struct rp_row {
	double t, surplus_w, power_w, budget_w;
	double tok_i, tok_b;
	int meter;		/* RP_ESTIMATED or RP_MEASURED */
};

struct rp_hour {
	int hour;		/* of the day, 0..23 */
	double span_s;		/* trace seconds of the log in this hour */
	double surplus_w, power_w, budget_w;	/* time-weighted means */
	int meters;		/* RP_ESTIMATED | RP_MEASURED seen */
	double tok_i, tok_b, green_tokens;
	double energy_j, green_j, grid_j;	/* wall-clock joules */
	double slo;		/* attainment 0..1 from the load generator; NAN */
};

struct rp_report {
	struct rp_hour *hours;	/* consecutive hours from the first row's */
	size_t nhours;
	double tok_i, tok_b, green_tokens;
	double energy_j, green_j, grid_j;
	double j_per_token;	/* NAN without tokens */
	double green_share;	/* green tokens / tokens; NAN without tokens */
	double quota;		/* batch tokens due; 0: none */
	bool quota_met;
	double slo;		/* total attainment; NAN: no load generator data */
	double slo_target;	/* e.g. 0.99 */
	bool slo_met;
	int meters;
};

/*
 * Parses the log. *rows is allocated (free it); t must rise strictly.
 * 0, or -EINVAL with "line N: why" in err (-ENOMEM too).
 */
int rp_parse_log(const char *text, struct rp_row **rows, size_t *n, char *err,
		 size_t errsz);

/*
 * Aggregates n >= 2 rows; day_start is the trace time of a 00:00 (hours
 * are counted from it modulo 24), accel > 0. Intervals across an hour's
 * end are split in proportion. 0, or -EINVAL/-ENOMEM with err.
 */
int rp_aggregate(const struct rp_row *rows, size_t n, double accel,
		 double day_start, double quota, struct rp_report *r,
		 char *err, size_t errsz);

/*
 * Adds the load generator's JSON (tf-loadgen --json): each hour's
 * slo_attainment to the hour of the same label, the total to r->slo, and
 * decides slo_met against target. 0, or -EINVAL with err.
 */
int rp_add_slo(struct rp_report *r, const char *json, double target, char *err,
	       size_t errsz);

void rp_free(struct rp_report *r);

#endif /* TF_DEMO_REPORT_H */
