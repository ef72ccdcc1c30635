/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The load generator's arithmetic, pure: the daily demand curve, the
 * request schedule it gives on an accelerated clock, percentiles and SLO
 * attainment. tf-loadgen and tf-report use it; the unit tests check it.
 */
#ifndef TF_DEMO_LGMATH_H
#define TF_DEMO_LGMATH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Relative demand at each hour's start (h:00), local time of the trace's
 * day; linear in between, and from 23:00 back to the next 00:00. Only the
 * shape matters: the maximum maps to the load generator's --peak-rps.
 */
struct lg_curve {
	double v[24];
};

/*
 * The built-in shape, an interactive service's day: a night trough at
 * 04:00 (15 % of peak), a morning rise, a midday plateau and the evening
 * peak at 20:00.
 */
void lg_curve_builtin(struct lg_curve *c);
/*
 * A curve file: 24 lines "HOUR,VALUE" (HOUR 0..23 once each, VALUE >= 0,
 * not all zero); '#' comments and blank lines are skipped, and a first
 * line "hour,..." is taken as a header. 0, or -EINVAL with "line N: why".
 */
int lg_curve_parse(const char *text, struct lg_curve *c, char *err,
		   size_t errsz);
/* Demand at a fractional hour (any real: wraps modulo 24). */
double lg_curve_at(const struct lg_curve *c, double hour);
double lg_curve_max(const struct lg_curve *c);

/* splitmix64, and a uniform double in [0, 1). */
uint64_t lg_rand(uint64_t *state);
double lg_uniform(uint64_t *state);

/*
 * Request times, in wall seconds from the start: a Poisson process whose
 * rate at wall time w is peak_rps x curve(hour) / max(curve), with hour =
 * start_hour + w x accel / 3600 (the clock is accelerated, the load is
 * not: a request is real work at real speed). Thinning of a peak_rps
 * process, so exact for the piecewise-linear rate. Writes at most max
 * times, ascending, until wall_s. Returns how many, or -EINVAL.
 */
long lg_schedule(const struct lg_curve *c, double peak_rps, double accel,
		 double start_hour, double wall_s, uint64_t seed,
		 double *times, size_t max);

/*
 * The p-th percentile (0..100) by nearest rank: the smallest value with at
 * least p % of the values at or below it. Sorts v. NAN when n is 0 or p
 * is outside 0..100.
 */
double lg_percentile(double *v, size_t n, double p);

/* One hour's (or the total's) requests. */
struct lg_stats {
	size_t requests;	/* sent */
	size_t errors;		/* failed: no answer, or not 200 */
	size_t within_slo;	/* answered 200 within the SLO */
	double p50_ms, p99_ms;	/* of the answered ones; NAN: none */
	double attainment;	/* within_slo / requests; NAN: none sent */
};

/*
 * Summarises latencies (ms) of the answered requests (lat, n_ok of them;
 * sorted in place) and the failed ones against slo_ms. A failed request
 * misses the SLO.
 */
void lg_summarise(double *lat, size_t n_ok, size_t n_err, double slo_ms,
		  struct lg_stats *out);

#endif /* TF_DEMO_LGMATH_H */
