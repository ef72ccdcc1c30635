// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* Howard Hinnant's days_from_civil: exact for any Gregorian date. */
int64_t tf_days_from_civil(int y, unsigned int m, unsigned int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Day of the month of the n-th Sunday of a month (n >= 1). */
static unsigned int tf_nth_sunday(int y, unsigned int m, unsigned int n)
{
	/* 1970-01-01 was a Thursday: weekday 0 = Sunday */
	int64_t days = tf_days_from_civil(y, m, 1);
	unsigned int wday = (unsigned int)(((days % 7) + 7 + 4) % 7);

	return 1 + (7 - wday) % 7 + 7 * (n - 1);
}

int64_t tf_caiso_hour_utc(int y, unsigned int m, unsigned int d,
			  unsigned int he)
{
	unsigned int start = he - 1, spring = tf_nth_sunday(y, 3, 2),
		     fall = tf_nth_sunday(y, 11, 1);
	bool dst;

	/* local clock hours 02:00 onwards on the switch days */
	dst = (m > 3 && m < 11) ||
	      (m == 3 && (d > spring || (d == spring && start >= 2))) ||
	      (m == 11 && (d < fall || (d == fall && start < 1)));
	if (m == 3 && d == spring && start == 2)
		start = 3;	/* 02:00 does not exist: the hour after it */
	return (tf_days_from_civil(y, m, d) * 24 + start + (dst ? 7 : 8)) * 3600;
}

double tf_host_surplus_w(double mwh, const struct tf_site_scale *s)
{
	double w;

	if (mwh <= 0 || !s->hosts)
		return 0;
	/* MWh over one hour is the hour's mean MW */
	w = mwh * 1e6 * s->site_share / s->hosts;
	return w > s->host_max_w ? s->host_max_w : w;
}

void tf_trace_free(struct tf_trace *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

struct tf_row {
	long day;		/* YYYYMMDD */
	int y;
	unsigned int m, d, he;
	double mwh;
};

static int tf_row_cmp(const void *a, const void *b)
{
	const struct tf_row *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->he > y->he) - (x->he < y->he);
}

/* The n-th comma-separated field of line (0-based), in place. */
static char *tf_field(char *line, unsigned int n)
{
	char *p = line;

	while (n-- && p)
		p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
	return p;
}

/* Days in a month of the proleptic Gregorian calendar. */
static unsigned int tf_month_days(int y, unsigned int m)
{
	static const unsigned char days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

/*
 * The longest span of days a report may cover: the hourly series is
 * allocated for every hour of it, so one mistyped year (9842 beside 2018)
 * asked for a gigabyte (found by tests/fuzz/fuzz_caiso).
 */
#define TF_TRACE_MAX_DAYS	(100 * 366)

static bool tf_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && (*end == ',' || !*end || *end == '\n' || *end == '\r') &&
	       *v <= max;
}

int tf_caiso_read(FILE *f, const char *name, long from, long to,
		  struct tf_trace *out, char *err, size_t errsz)
{
	struct tf_row *rows = NULL, *r;
	size_t nrows = 0, cap = 0, i;
	unsigned long v[4];
	char line[512], *p, *end;
	long lineno = 1, day;
	int64_t t0, t1;

	memset(out, 0, sizeof(*out));
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "month,day,year,hour,", 20) ||
	    !strstr(line, ",curtailed_MWh")) {
		snprintf(err, errsz, "%s:1: not a CAISO curtailment report (header)", name);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		static const char *const what[] = { "month", "day", "year", "hour" };
		static const unsigned long max[] = { 12, 31, 9999, 24 };
		double mwh;
		int k;

		lineno++;
		if (line[0] == '\n' || line[0] == '\r')
			continue;
		for (k = 0; k < 4; k++)
			if (!tf_uint(tf_field(line, k), max[k], &v[k]) || !v[k]) {
				snprintf(err, errsz, "%s:%ld: field %s: not a number in range",
					 name, lineno, what[k]);
				free(rows);
				return -1;
			}
		/* day 31 of February would land in March, out of order */
		if (v[1] > tf_month_days((int)v[2], v[0])) {
			snprintf(err, errsz, "%s:%ld: field day: not a number in range",
				 name, lineno);
			free(rows);
			return -1;
		}
		p = tf_field(line, 8);	/* curtailed_MWh */
		mwh = p ? strtod(p, &end) : 0;
		if (!p || end == p || (*end != ',' && *end != '\n' && *end && *end != '\r') ||
		    mwh < 0) {
			snprintf(err, errsz, "%s:%ld: field curtailed_MWh: not a number >= 0",
				 name, lineno);
			free(rows);
			return -1;
		}
		day = (long)v[2] * 10000 + (long)v[0] * 100 + (long)v[1];
		if ((from && day < from) || (to && day > to))
			continue;
		if (nrows == cap) {
			cap = cap ? 2 * cap : 4096;
			r = realloc(rows, cap * sizeof(*rows));
			if (!r) {
				free(rows);
				snprintf(err, errsz, "%s: out of memory", name);
				return -1;
			}
			rows = r;
		}
		rows[nrows++] = (struct tf_row){ day, (int)v[2], v[0], v[1], v[3], mwh };
	}
	if (!nrows) {
		snprintf(err, errsz, "%s: no rows in the days asked for", name);
		free(rows);
		return -1;
	}
	qsort(rows, nrows, sizeof(*rows), tf_row_cmp);
	/* every hour from the first local midnight to the last day's end */
	t0 = tf_caiso_hour_utc(rows[0].y, rows[0].m, rows[0].d, 1);
	t1 = tf_caiso_hour_utc(rows[nrows - 1].y, rows[nrows - 1].m,
			       rows[nrows - 1].d, 24) + 3600;
	if ((t1 - t0) / 86400 > TF_TRACE_MAX_DAYS) {
		snprintf(err, errsz, "%s: rows from %ld to %ld: over %d days apart (a year mistyped?)",
			 name, rows[0].day, rows[nrows - 1].day, TF_TRACE_MAX_DAYS);
		free(rows);
		return -1;
	}
	out->n = (size_t)((t1 - t0) / 3600);
	out->v = calloc(out->n, sizeof(*out->v));
	if (!out->v) {
		free(rows);
		snprintf(err, errsz, "%s: out of memory", name);
		return -1;
	}
	for (i = 0; i < out->n; i++)
		out->v[i].t = t0 + (int64_t)i * 3600;
	for (i = 0; i < nrows; i++) {
		int64_t t = tf_caiso_hour_utc(rows[i].y, rows[i].m, rows[i].d,
					      rows[i].he);

		if (t >= t0 && t < t1)
			out->v[(t - t0) / 3600].mwh += rows[i].mwh;
	}
	free(rows);
	return 0;
}

void tf_series_free(struct tf_series *s)
{
	free(s->t);
	free(s->w);
	s->t = NULL;
	s->w = NULL;
	s->n = 0;
}

int tf_series_read(FILE *f, const char *name, struct tf_series *out,
		   char *err, size_t errsz)
{
	char line[256], *p, *end;
	size_t cap = 0;
	long lineno = 0;
	bool header = false;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	while (fgets(line, sizeof(line), f)) {
		long long t;
		double w;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errsz, "%s:%ld: line too long", name, lineno);
			goto fail;
		}
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '#' || *p == '\n' || *p == '\r' || !*p)
			continue;
		if (isalpha((unsigned char)*p) && !out->n && !header) {
			header = true;
			continue;
		}
		errno = 0;
		t = strtoll(p, &end, 10);
		if (end == p || errno || *end != ',')
			goto bad;
		p = end + 1;
		w = strtod(p, &end);
		if (end == p || errno || !isfinite(w))
			goto bad;
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end)
			goto bad;
		if (out->n && t <= out->t[out->n - 1]) {
			snprintf(err, errsz, "%s:%ld: time %lld not after the row before (%lld)",
				 name, lineno, t, (long long)out->t[out->n - 1]);
			goto fail;
		}
		if (out->n == cap) {
			int64_t *nt;
			double *nw;

			cap = cap ? 2 * cap : 1024;
			nt = realloc(out->t, cap * sizeof(*nt));
			if (nt)
				out->t = nt;
			nw = nt ? realloc(out->w, cap * sizeof(*nw)) : NULL;
			if (!nw) {
				snprintf(err, errsz, "%s: out of memory", name);
				ret = -ENOMEM;
				goto fail;
			}
			out->w = nw;
		}
		out->t[out->n] = t;
		out->w[out->n++] = w;
		continue;
bad:
		snprintf(err, errsz, "%s:%ld: not \"UTC_SECONDS,SURPLUS_W\"", name, lineno);
		goto fail;
	}
	if (ferror(f)) {
		snprintf(err, errsz, "%s: read error", name);
		goto fail;
	}
	if (!out->n) {
		snprintf(err, errsz, "%s: no rows", name);
		goto fail;
	}
	return 0;
fail:
	tf_series_free(out);
	return ret;
}
