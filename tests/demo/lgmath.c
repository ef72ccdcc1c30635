// SPDX-License-Identifier: GPL-2.0
/* The load generator's arithmetic (see lgmath.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lgmath.h"

void lg_curve_builtin(struct lg_curve *c)
{
	static const double shape[24] = {
		0.35, 0.25, 0.20, 0.16, 0.15, 0.18, 0.28, 0.45,	/* 00-07 */
		0.62, 0.75, 0.82, 0.85, 0.85, 0.83, 0.80, 0.78,	/* 08-15 */
		0.78, 0.80, 0.87, 0.95, 1.00, 0.93, 0.72, 0.50,	/* 16-23 */
	};

	memcpy(c->v, shape, sizeof(shape));
}

static int perr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int lg_curve_parse(const char *text, struct lg_curve *c, char *err,
		   size_t errsz)
{
	unsigned int seen = 0;
	int line = 0;
	const char *p = text;

	memset(c, 0, sizeof(*c));
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char buf[256], *s, *end;
		long h;
		double v;

		line++;
		if (len >= sizeof(buf))
			return perr(err, errsz, "line %d: too long", line);
		memcpy(buf, p, len);
		buf[len] = 0;
		p = nl ? nl + 1 : NULL;
		if ((s = strchr(buf, '#')))
			*s = 0;
		for (s = buf; *s == ' ' || *s == '\t'; s++)
			;
		len = strlen(s);
		while (len && strchr(" \t\r", s[len - 1]))
			s[--len] = 0;
		if (!*s)
			continue;
		if (!seen && !strncasecmp(s, "hour", 4))
			continue;	/* a header */
		errno = 0;
		h = strtol(s, &end, 10);
		if (end == s || errno || h < 0 || h > 23)
			return perr(err, errsz, "line %d: hour not in 0..23", line);
		s = end;
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end == ',')
			end++;
		else if (end == s)
			return perr(err, errsz, "line %d: want HOUR,VALUE", line);
		s = end;
		errno = 0;
		v = strtod(s, &end);
		while (*end == ' ' || *end == '\t')
			end++;
		if (end == s || errno || *end || !isfinite(v) || v < 0)
			return perr(err, errsz, "line %d: value not a number >= 0", line);
		if (seen & 1u << h)
			return perr(err, errsz, "line %d: hour %ld twice", line, h);
		seen |= 1u << h;
		c->v[h] = v;
	}
	if (seen != (1u << 24) - 1) {
		for (int h = 0; h < 24; h++)
			if (!(seen & 1u << h))
				return perr(err, errsz, "hour %d missing", h);
	}
	if (!(lg_curve_max(c) > 0))
		return perr(err, errsz, "every hour is zero");
	return 0;
}

double lg_curve_at(const struct lg_curve *c, double hour)
{
	double h = fmod(hour, 24.0), f;
	int i;

	if (h < 0)
		h += 24.0;
	i = (int)h;
	if (i > 23)	/* fmod rounding just below 24 */
		i = 23;
	f = h - i;
	return c->v[i] + (c->v[(i + 1) % 24] - c->v[i]) * f;
}

double lg_curve_max(const struct lg_curve *c)
{
	double m = c->v[0];

	for (int i = 1; i < 24; i++)
		if (c->v[i] > m)
			m = c->v[i];
	return m;
}

uint64_t lg_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double lg_uniform(uint64_t *state)
{
	return (double)(lg_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

long lg_schedule(const struct lg_curve *c, double peak_rps, double accel,
		 double start_hour, double wall_s, uint64_t seed,
		 double *times, size_t max)
{
	double max_v = lg_curve_max(c), t = 0;
	uint64_t rng = seed;
	size_t n = 0;

	if (!(peak_rps > 0) || !(accel > 0) || !(wall_s >= 0) ||
	    !(max_v > 0) || !isfinite(start_hour))
		return -EINVAL;
	while (n < max) {
		double h;

		/* next candidate of the peak-rate process; 1 - u is in (0, 1] */
		t += -log(1.0 - lg_uniform(&rng)) / peak_rps;
		if (t >= wall_s)
			break;
		h = start_hour + t * accel / 3600.0;
		if (lg_uniform(&rng) * max_v < lg_curve_at(c, h))
			times[n++] = t;
	}
	return (long)n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double lg_percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (!n || !(p >= 0 && p <= 100))
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	/* ceil(p / 100 x n), at least 1; p x n in integers avoids 0.29 x 100 */
	rank = (size_t)ceil(p * (double)n / 100.0 - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void lg_summarise(double *lat, size_t n_ok, size_t n_err, double slo_ms,
		  struct lg_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->requests = n_ok + n_err;
	out->errors = n_err;
	for (size_t i = 0; i < n_ok; i++)
		if (lat[i] <= slo_ms)
			out->within_slo++;
	out->p50_ms = lg_percentile(lat, n_ok, 50);
	out->p99_ms = lg_percentile(lat, n_ok, 99);
	out->attainment = out->requests ?
		(double)out->within_slo / out->requests : NAN;
}
