/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Surplus traces: CAISO's hourly curtailment reports turned into a host's
 * surplus series (UTC seconds, watts), the format the agent's CSV replay
 * reads. Pure parsing and arithmetic; the tf-caiso tool wraps it.
 */
#ifndef TF_TRACE_H
#define TF_TRACE_H

#include <stdint.h>
#include <stdio.h>

/* How a site's share of the curtailed power reaches one host. */
struct tf_site_scale {
	double site_share;	/* of CAISO's curtailed power the site may absorb */
	unsigned int hosts;	/* hosts at the site */
	double host_max_w;	/* one host's most */
};

struct tf_trace_point {
	int64_t t;		/* UTC seconds at the start of the hour */
	double mwh;		/* curtailed in that hour, all rows summed */
};

struct tf_trace {
	struct tf_trace_point *v;	/* every hour from the first day's 00:00
					 * to the last day's 24:00, zeros too */
	size_t n;
};

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t tf_days_from_civil(int y, unsigned int m, unsigned int d);
/*
 * UTC seconds at the start of hour-ending he (1..24) of a local date in
 * California (America/Los_Angeles: UTC-8, UTC-7 from the second Sunday in
 * March 02:00 to the first Sunday in November 02:00). The hour that does
 * not exist in spring maps onto the one after it.
 */
int64_t tf_caiso_hour_utc(int y, unsigned int m, unsigned int d,
			  unsigned int he);

/*
 * Reads a report in the format of shared/data/caiso-curtailment (header
 * month,day,year,hour,...,curtailed_MWh,...), days from..to inclusive
 * (YYYYMMDD, 0 for open). Returns 0, or -1 with a message naming the file,
 * line and field in err.
 */
int tf_caiso_read(FILE *f, const char *name, long from, long to,
		  struct tf_trace *out, char *err, size_t errsz);
void tf_trace_free(struct tf_trace *t);
/* One host's surplus in watts for a curtailed hour. */
double tf_host_surplus_w(double mwh, const struct tf_site_scale *s);

/* A host's surplus series as tf-caiso writes it: "UTC_SECONDS,SURPLUS_W". */
struct tf_series {
	int64_t *t;		/* UTC seconds, strictly rising */
	double *w;		/* watts */
	size_t n;
};

/*
 * Reads a series: one "UTC_SECONDS,SURPLUS_W" a line (an integer, a finite
 * number); '#' comments, blank lines and one header line starting with a
 * letter are skipped. Returns 0, or -1 with "name:line: why" in err (a
 * malformed line, time not rising, no rows), or -ENOMEM with "name: out of
 * memory".
 */
int tf_series_read(FILE *f, const char *name, struct tf_series *out,
		   char *err, size_t errsz);
void tf_series_free(struct tf_series *s);

#endif /* TF_TRACE_H */
