// SPDX-License-Identifier: GPL-2.0
/* The demo's per-hour report from its interval log (see report.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "report.h"

#define RP_MAX_HOURS	(24 * 400)

static int rerr(char *err, size_t errsz, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return rc;
}

enum { C_T, C_SURPLUS, C_POWER, C_METER, C_TOK_I, C_TOK_B, C_BUDGET, C_N };

static const char *const col_names[C_N] = {
	"t", "surplus_w", "host_power_w", "meter", "tokens_interactive",
	"tokens_batch", "budget_w",
};

/* Splits line at commas in place; trims blanks. Returns the field count. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *c = strchr(p, ','), *e;

		if (c)
			*c = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && strchr(" \t\r", e[-1]))
			*--e = 0;
		if (n < max)
			f[n] = p;
		n++;
		if (!c)
			return n;
		p = c + 1;
	}
}

static int field_num(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return !*s || *end || errno || !isfinite(*v) ? -1 : 0;
}

int rp_parse_log(const char *text, struct rp_row **rows, size_t *n, char *err,
		 size_t errsz)
{
	int col[C_N], line = 0, ncol = 0;
	size_t cap = 0, used = 0;
	struct rp_row *v = NULL;
	const char *p = text;
	bool header = false;

	*rows = NULL;
	*n = 0;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char buf[1024], *f[64];
		struct rp_row r = { 0 };
		int nf;

		line++;
		if (len >= sizeof(buf)) {
			free(v);
			return rerr(err, errsz, -EINVAL, "line %d: too long", line);
		}
		memcpy(buf, p, len);
		buf[len] = 0;
		p = nl ? nl + 1 : NULL;
		if (!buf[strspn(buf, " \t\r")] || buf[0] == '#')
			continue;
		nf = split(buf, f, 64);
		if (nf > 64) {
			free(v);
			return rerr(err, errsz, -EINVAL, "line %d: too many fields", line);
		}
		if (!header) {
			for (int c = 0; c < C_N; c++) {
				col[c] = -1;
				for (int i = 0; i < nf; i++)
					if (!strcmp(f[i], col_names[c]))
						col[c] = i;
				if (col[c] < 0)
					return rerr(err, errsz, -EINVAL,
						    "line %d: header lacks column '%s'",
						    line, col_names[c]);
			}
			header = true;
			ncol = nf;
			continue;
		}
		if (nf != ncol) {
			free(v);
			return rerr(err, errsz, -EINVAL, "line %d: %d fields, the header has %d",
				    line, nf, ncol);
		}
		{
			double *dst[C_N] = { &r.t, &r.surplus_w, &r.power_w, NULL,
					     &r.tok_i, &r.tok_b, &r.budget_w };

			for (int c = 0; c < C_N; c++) {
				const char *s = f[col[c]];

				if (c == C_METER) {
					if (!strcmp(s, "estimated"))
						r.meter = RP_ESTIMATED;
					else if (!strcmp(s, "measured"))
						r.meter = RP_MEASURED;
					else
						goto bad_meter;
					continue;
				}
				if (field_num(s, dst[c]) || (c != C_T && *dst[c] < 0)) {
					free(v);
					return rerr(err, errsz, -EINVAL,
						    "line %d: %s: '%s' is not a number%s",
						    line, col_names[c], s,
						    c != C_T ? " >= 0" : "");
				}
			}
		}
		if (used && !(r.t > v[used - 1].t)) {
			free(v);
			return rerr(err, errsz, -EINVAL, "line %d: t does not rise", line);
		}
		if (used == cap) {
			struct rp_row *nv;

			cap = cap ? 2 * cap : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return rerr(err, errsz, -ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[used++] = r;
		continue;
bad_meter:
		free(v);
		return rerr(err, errsz, -EINVAL,
			    "line %d: meter: '%s' is neither 'measured' nor 'estimated'",
			    line, f[col[C_METER]]);
	}
	if (!header)
		return rerr(err, errsz, -EINVAL, "no header");
	*rows = v;
	*n = used;
	return 0;
}

static double safe_div(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

int rp_aggregate(const struct rp_row *rows, size_t n, double accel,
		 double day_start, double quota, struct rp_report *r,
		 char *err, size_t errsz)
{
	double first, h0, h1;

	memset(r, 0, sizeof(*r));
	r->slo = NAN;
	r->j_per_token = NAN;
	r->green_share = NAN;
	if (n < 2)
		return rerr(err, errsz, -EINVAL, "need at least two rows");
	if (!(accel > 0) || !isfinite(day_start) || !(quota >= 0))
		return rerr(err, errsz, -EINVAL, "bad accel, day start or quota");
	first = rows[0].t - (rows[1].t - rows[0].t);
	h0 = floor((first - day_start) / 3600.0);
	h1 = ceil((rows[n - 1].t - day_start) / 3600.0);
	if (h1 - h0 > RP_MAX_HOURS)
		return rerr(err, errsz, -EINVAL, "the log spans more than %d hours",
			    RP_MAX_HOURS);
	r->nhours = (size_t)(h1 - h0);
	r->hours = calloc(r->nhours, sizeof(*r->hours));
	if (!r->hours)
		return rerr(err, errsz, -ENOMEM, "out of memory");
	for (size_t i = 0; i < r->nhours; i++) {
		r->hours[i].hour = (int)fmod(fmod(h0 + i, 24) + 24, 24);
		r->hours[i].slo = NAN;
	}

	for (size_t i = 0; i < n; i++) {
		const struct rp_row *w = &rows[i];
		double a = i ? rows[i - 1].t : first, b = w->t, len = b - a;
		double green_w = fmin(w->power_w, w->surplus_w);
		double gf = w->power_w > 0 ? green_w / w->power_w : 1;

		while (a < b) {
			size_t k = (size_t)(floor((a - day_start) / 3600.0) - h0);
			double end = day_start + (h0 + k + 1) * 3600.0;
			double seg, frac;
			struct rp_hour *h;

			if (end > b)
				end = b;
			if (k >= r->nhours)	/* rounding at the very end */
				k = r->nhours - 1;
			if (!(end > a))	/* a on a boundary, rounded */
				end = fmin(b, a + 1e-6);
			seg = end - a;
			frac = seg / len;
			h = &r->hours[k];
			h->span_s += seg;
			h->surplus_w += w->surplus_w * seg;
			h->power_w += w->power_w * seg;
			h->budget_w += w->budget_w * seg;
			h->meters |= w->meter;
			h->tok_i += w->tok_i * frac;
			h->tok_b += w->tok_b * frac;
			h->green_tokens += (w->tok_i + w->tok_b) * frac * gf;
			h->energy_j += w->power_w * seg / accel;
			h->green_j += green_w * seg / accel;
			h->grid_j += (w->power_w - green_w) * seg / accel;
			a = end;
		}
	}
	for (size_t i = 0; i < r->nhours; i++) {
		struct rp_hour *h = &r->hours[i];

		h->surplus_w = safe_div(h->surplus_w, h->span_s);
		h->power_w = safe_div(h->power_w, h->span_s);
		h->budget_w = safe_div(h->budget_w, h->span_s);
		r->tok_i += h->tok_i;
		r->tok_b += h->tok_b;
		r->green_tokens += h->green_tokens;
		r->energy_j += h->energy_j;
		r->green_j += h->green_j;
		r->grid_j += h->grid_j;
		r->meters |= h->meters;
	}
	r->j_per_token = safe_div(r->energy_j, r->tok_i + r->tok_b);
	r->green_share = safe_div(r->green_tokens, r->tok_i + r->tok_b);
	r->quota = quota;
	/* a little slack for the proportional split's rounding */
	r->quota_met = r->tok_b + 1e-6 >= quota;
	return 0;
}

static int get_att(struct json_object *o, double *v)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, "slo_attainment", &a))
		return -1;
	if (json_object_is_type(a, json_type_null)) {
		*v = NAN;
		return 0;
	}
	if (!json_object_is_type(a, json_type_double) &&
	    !json_object_is_type(a, json_type_int))
		return -1;
	*v = json_object_get_double(a);
	return *v >= 0 && *v <= 1 ? 0 : -1;
}

int rp_add_slo(struct rp_report *r, const char *json, double target, char *err,
	       size_t errsz)
{
	struct json_object *o = json_tokener_parse(json), *hours, *total;
	int rc = 0;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return rerr(err, errsz, -EINVAL, "load generator: not a JSON object");
	}
	if (!json_object_object_get_ex(o, "hours", &hours) ||
	    !json_object_is_type(hours, json_type_array) ||
	    !json_object_object_get_ex(o, "total", &total) ||
	    get_att(total, &r->slo)) {
		rc = rerr(err, errsz, -EINVAL, "load generator: no hours[] or total.slo_attainment");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(hours); i++) {
		struct json_object *e = json_object_array_get_idx(hours, i), *hv;
		double att;
		int h;

		if (!json_object_object_get_ex(e, "hour", &hv) ||
		    !json_object_is_type(hv, json_type_int) || get_att(e, &att)) {
			rc = rerr(err, errsz, -EINVAL, "load generator: hours[%zu] malformed", i);
			goto out;
		}
		h = json_object_get_int(hv);
		if (h < 0 || h > 23) {
			rc = rerr(err, errsz, -EINVAL, "load generator: hours[%zu]: hour %d", i, h);
			goto out;
		}
		/* the first hour of that label still without a figure */
		for (size_t k = 0; k < r->nhours; k++) {
			if (r->hours[k].hour == h && isnan(r->hours[k].slo)) {
				r->hours[k].slo = att;
				break;
			}
		}
	}
	r->slo_target = target;
	r->slo_met = !isnan(r->slo) && r->slo >= target;
out:
	json_object_put(o);
	return rc;
}

void rp_free(struct rp_report *r)
{
	free(r->hours);
	r->hours = NULL;
	r->nhours = 0;
}
