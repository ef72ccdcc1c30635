// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers of the live signals (sigparse.h). Everything a remote party sends
 * is checked before it becomes a surplus: type, finiteness, sign, range,
 * and a size bound on the payload as a whole.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sigparse.h"
#include "tf_nl.h"
#include "trace.h"

#define NS_PER_S	1000000000LL
/* 9999-12-31T23:59:59Z: later timestamps are garbage */
#define TS_MAX_S	253402300799LL
/*
 * A time stamp in ns must fit an int64_t: up to 2262-04-11T23:47:15Z (a
 * later one overflowed t * NS_PER_S; found by tests/fuzz/fuzz_sigjson).
 */
#define TS_MAX_NS_S	(INT64_MAX / NS_PER_S - 1)
#define LBS_PER_MWH_TO_G_PER_KWH	0.45359237

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- time ---------------------------------------------------------------- */

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits exactly; advances *s */
static bool digits(const char **s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		*v = *v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return true;
}

int tf_sig_parse_iso8601(const char *s, int64_t *ns)
{
	static const unsigned char mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = NS_PER_S, t;

	if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) ||
	    *s++ != '-' || !digits(&s, 2, &d) || (*s != 'T' && *s != 't'))
		return -1;
	s++;
	if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
		return -1;
	if (*s == ':') {
		s++;
		if (!digits(&s, 2, &sec))
			return -1;
		if (*s == '.' || *s == ',') {
			s++;
			if (!isdigit((unsigned char)*s))
				return -1;
			for (; isdigit((unsigned char)*s); s++) {
				if (scale > 1) {
					scale /= 10;
					frac += (*s - '0') * scale;
				}
			}
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (!digits(&s, 2, &oh))
			return -1;
		if (*s == ':')
			s++;
		if (isdigit((unsigned char)*s) && !digits(&s, 2, &om))
			return -1;
	} else {
		return -1;	/* a time without its zone is ambiguous */
	}
	if (*s || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return -1;
	t = tf_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	if (t < 0 || t > TS_MAX_NS_S)
		return -1;
	*ns = t * NS_PER_S + frac;
	return 0;
}

/* ---- JSON helpers -------------------------------------------------------- */

/* buf is the JSON literal null, between blanks */
static bool tf_is_null(const char *buf, size_t len)
{
	while (len && isspace((unsigned char)*buf))
		buf++, len--;
	while (len && isspace((unsigned char)buf[len - 1]))
		len--;
	return len == 4 && !memcmp(buf, "null", 4);
}

static int parse_root(const char *buf, size_t len, json_object **out,
		      char *err, size_t errsz)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *o;
	size_t end;

	*out = NULL;
	if (!buf)
		return fail(err, errsz, "payload: missing");
	if (len > TF_SIG_PAYLOAD_MAX)
		return fail(err, errsz, "payload: over %d bytes",
			    TF_SIG_PAYLOAD_MAX);
	/* publishers that send a C string's NUL too */
	while (len && buf[len - 1] == '\0')
		len--;
	if (!len)
		return fail(err, errsz, "payload: empty");
	if (memchr(buf, '\0', len))
		return fail(err, errsz, "payload: NUL byte inside");
	tok = json_tokener_new();
	if (!tok)
		return fail(err, errsz, "payload: out of memory");
	/*
	 * no trailing commas, leading zeros, bare words or trailing data;
	 * NaN and Infinity still parse: values are checked for them
	 */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* a bare number at the end waits for more digits: end it */
	if (jerr == json_tokener_continue && !o) {
		o = json_tokener_parse_ex(tok, " ", 1);
		if (json_tokener_get_error(tok) == json_tokener_success)
			jerr = json_tokener_success;
	}
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		json_object_put(o);
		return fail(err, errsz, "payload: truncated JSON");
	}
	if (jerr != json_tokener_success) {
		json_object_put(o);
		return fail(err, errsz, "payload: not JSON (%s at byte %zu)",
			    json_tokener_error_desc(jerr), end);
	}
	/*
	 * json-c 0.16 has no error code for memory: a tokener that could not
	 * allocate a value ends "successfully" with none. Only the literal
	 * null (and blanks) may parse to nothing.
	 */
	if (!o && !tf_is_null(buf, len))
		return fail(err, errsz, "payload: out of memory");
	/* strict mode has refused anything but blanks after the value */
	*out = o;
	return 0;
}

enum { FOUND, MISSING };

/*
 * Walks a dotted path. FOUND with *v (NULL for a JSON null), MISSING, or -1
 * when a step on the way is not an object.
 */
static int get_path(json_object *o, const char *path, json_object **v,
		    char *err, size_t errsz)
{
	char key[TF_CFG_STR];
	const char *p = path, *dot;
	size_t n;

	for (;;) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return fail(err, errsz, "%s: path too long", path);
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return MISSING;
		if (!dot)
			break;
		if (!json_object_is_type(o, json_type_object))
			return fail(err, errsz, "%.*s: not an object",
				    (int)(dot - path), path);
		p = dot + 1;
	}
	*v = o;
	return FOUND;
}

static bool is_number(json_object *v)
{
	return json_object_is_type(v, json_type_double) ||
	       json_object_is_type(v, json_type_int);
}

/* A finite number ≥ 0; name is how the error calls it. */
static int get_amount(json_object *v, const char *name, double *d,
		      bool negative_ok, char *err, size_t errsz)
{
	if (!v)
		return fail(err, errsz, "%s: null", name);
	if (!is_number(v))
		return fail(err, errsz, "%s: not a number", name);
	*d = json_object_get_double(v);
	if (!isfinite(*d))
		return fail(err, errsz, "%s: not finite", name);
	if (!negative_ok && *d < 0)
		return fail(err, errsz, "%s: negative", name);
	return 0;
}

static int watts_to_uw(double w, const char *name, uint64_t *uw, char *err,
		       size_t errsz)
{
	double u = w * 1e6;

	if (u > (double)TF_POWER_MAX_UW)
		return fail(err, errsz, "%s: above %llu W", name,
			    (unsigned long long)(TF_POWER_MAX_UW / 1000000));
	*uw = (uint64_t)llround(u);
	return 0;
}

static int set_carbon(struct tf_sigval *out, double g_kwh, const char *name,
		      char *err, size_t errsz)
{
	double mg = g_kwh * 1000;

	if (mg > UINT32_MAX)
		return fail(err, errsz, "%s: out of range", name);
	out->has_carbon = true;
	out->carbon_mg_kwh = (uint32_t)lround(mg);
	return 0;
}

/* ISO 8601 string, or epoch seconds */
static int get_time(json_object *v, const char *name, int64_t *ns, char *err,
		    size_t errsz)
{
	double d;

	if (v && json_object_is_type(v, json_type_string)) {
		if (tf_sig_parse_iso8601(json_object_get_string(v), ns))
			return fail(err, errsz, "%s: bad timestamp", name);
		return 0;
	}
	if (v && is_number(v)) {
		d = json_object_get_double(v);
		if (!isfinite(d) || d < 0 || d >= TS_MAX_NS_S + 1)
			return fail(err, errsz, "%s: bad timestamp", name);
		*ns = (int64_t)d * NS_PER_S + llround((d - floor(d)) * 1e9);
		return 0;
	}
	return fail(err, errsz, "%s: not a timestamp", name);
}

/* ---- the JSON payload ---------------------------------------------------- */

int tf_sig_parse_json(const struct tf_source_cfg *cfg, const char *buf,
		      size_t len, struct tf_sigval *out, char *err,
		      size_t errsz)
{
	const char *sf = cfg->surplus_field[0] ? cfg->surplus_field : "surplus_w";
	json_object *root, *v;
	struct tf_sigval r = { 0 };
	double d;
	int64_t ns;
	int ret;

	if (parse_root(buf, len, &root, err, errsz))
		return -1;
	ret = -1;
	if (!json_object_is_type(root, json_type_object)) {
		fail(err, errsz, "payload: not an object");
		goto out;
	}

	switch (get_path(root, sf, &v, err, errsz)) {
	case MISSING:
		fail(err, errsz, "%s: missing", sf);
		goto out;
	case FOUND:
		if (get_amount(v, sf, &d, false, err, errsz) ||
		    watts_to_uw(d, sf, &r.surplus_uw, err, errsz))
			goto out;
		break;
	default:
		goto out;
	}

	/* optional fields: absent or null is no value */
	if (cfg->carbon_field[0]) {
		switch (get_path(root, cfg->carbon_field, &v, err, errsz)) {
		case MISSING:
			break;
		case FOUND:
			if (!v)
				break;
			if (get_amount(v, cfg->carbon_field, &d, false, err,
				       errsz) ||
			    set_carbon(&r, d, cfg->carbon_field, err, errsz))
				goto out;
			break;
		default:
			goto out;
		}
	}
	if (cfg->price_field[0]) {
		switch (get_path(root, cfg->price_field, &v, err, errsz)) {
		case MISSING:
			break;
		case FOUND:
			if (!v)
				break;
			if (get_amount(v, cfg->price_field, &d, true, err,
				       errsz))
				goto out;
			if (fabs(d) > 9e12) {
				fail(err, errsz, "%s: out of range",
				     cfg->price_field);
				goto out;
			}
			r.has_price = true;
			r.price_ucur_mwh = llround(d * 1e6);
			break;
		default:
			goto out;
		}
	}
	if (json_object_object_get_ex(root, "ts", &v) && v) {
		if (get_time(v, "ts", &ns, err, errsz))
			goto out;
		r.timestamp_ns = (uint64_t)ns;
	}
	*out = r;
	ret = 0;
out:
	json_object_put(root);
	return ret;
}

/* ---- carbon signals ------------------------------------------------------ */

int tf_sig_carbon_to_surplus(const struct tf_source_cfg *cfg, double value,
			     uint64_t *surplus_uw, char *err, size_t errsz)
{
	double lo = cfg->value_low, hi = cfg->value_high, f;

	if (!isfinite(lo) || !isfinite(hi) || hi <= lo)
		return fail(err, errsz, "value_high: not above value_low");
	f = (hi - value) / (hi - lo);
	if (f <= 0)
		*surplus_uw = 0;
	else if (f >= 1)
		*surplus_uw = cfg->surplus_max_uw;
	else
		*surplus_uw = (uint64_t)llround(f * (double)cfg->surplus_max_uw);
	return 0;
}

/* One point of a time series. */
struct pt {
	int64_t t;		/* ns */
	int64_t period;		/* ns it covers; 0: unknown */
	double v;
	bool gap;		/* value null: no data for it */
};

struct series {
	const char *name;	/* of the array, for errors */
	bool forecast;
	int64_t period;		/* for every point; 0: per point or spacing */
	struct pt *p;
	size_t n;
};

/*
 * Reads arr[i].{tfield,vfield[,dfield]} into s (an array of n objects).
 * A null value is a gap; a missing one is an error.
 */
static int read_points(json_object *arr, struct series *s, const char *tfield,
		       const char *vfield, const char *dfield, char *err,
		       size_t errsz)
{
	char name[128];
	json_object *it, *v;
	size_t i, n = json_object_array_length(arr);
	double d;

	if (!n)
		return fail(err, errsz, "%s: empty", s->name);
	s->p = calloc(n, sizeof(*s->p));
	if (!s->p)
		return fail(err, errsz, "%s: out of memory", s->name);
	s->n = n;
	for (i = 0; i < n; i++) {
		struct pt *p = &s->p[i];

		it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_object))
			return fail(err, errsz, "%s[%zu]: not an object",
				    s->name, i);
		snprintf(name, sizeof(name), "%s[%zu].%s", s->name, i, tfield);
		if (!json_object_object_get_ex(it, tfield, &v))
			return fail(err, errsz, "%s: missing", name);
		if (get_time(v, name, &p->t, err, errsz))
			return -1;
		snprintf(name, sizeof(name), "%s[%zu].%s", s->name, i, vfield);
		if (!json_object_object_get_ex(it, vfield, &v))
			return fail(err, errsz, "%s: missing", name);
		if (!v)
			p->gap = true;
		else if (get_amount(v, name, &p->v, false, err, errsz))
			return -1;
		if (dfield && json_object_object_get_ex(it, dfield, &v) && v) {
			snprintf(name, sizeof(name), "%s[%zu].%s", s->name, i,
				 dfield);
			if (get_amount(v, name, &d, false, err, errsz))
				return -1;
			/* minutes */
			if (d > 366.0 * 24 * 60)
				return fail(err, errsz, "%s: out of range",
					    name);
			p->period = (int64_t)(d * 60) * NS_PER_S;
		}
	}
	return 0;
}

/* How long point i lasts: its own, the series', or the spacing to the next. */
static int64_t point_period(const struct series *s, size_t i)
{
	int64_t best = 0;
	size_t j;

	if (s->p[i].period)
		return s->p[i].period;
	if (s->period)
		return s->period;
	/* spacing to the next point, else the one before it */
	for (j = 0; j < s->n; j++) {
		int64_t dt = s->p[j].t - s->p[i].t;

		if (dt > 0 && (!best || dt < best))
			best = dt;
	}
	if (best)
		return best;
	for (j = 0; j < s->n; j++) {
		int64_t dt = s->p[i].t - s->p[j].t;

		if (dt > 0 && (!best || dt < best))
			best = dt;
	}
	return best;
}

/* The point that applies at now; *which is its index. */
static int pick_point(const struct series *s, int64_t now, size_t *which,
		      char *err, size_t errsz)
{
	size_t i, best = s->n, first = s->n;
	bool later = false;
	int64_t per;

	for (i = 0; i < s->n; i++) {
		if (s->p[i].gap)
			continue;
		if (s->p[i].t <= now) {
			if (best == s->n || s->p[i].t >= s->p[best].t)
				best = i;
		} else if (first == s->n || s->p[i].t < s->p[first].t) {
			first = i;
		}
	}
	if (best == s->n && first == s->n)
		return fail(err, errsz, "%s: no value (every point null)",
			    s->name);
	if (best != s->n) {
		for (i = 0; i < s->n; i++)
			later |= !s->p[i].gap && s->p[i].t > s->p[best].t;
		per = point_period(s, best);
		/* a forecast that ran out says nothing about now */
		if (s->forecast && !later && per &&
		    now >= s->p[best].t + per)
			return fail(err, errsz, "%s: forecast ended before now",
				    s->name);
		*which = best;
		return 0;
	}
	/* a forecast may begin at the next period's start */
	per = point_period(s, first);
	if (s->forecast && per && s->p[first].t - now <= per) {
		*which = first;
		return 0;
	}
	return fail(err, errsz, "%s: no point at or before now", s->name);
}

static int finish(const struct tf_source_cfg *cfg, const struct series *s,
		  int64_t now, double to_g_kwh, struct tf_sigval *out,
		  char *err, size_t errsz)
{
	struct tf_sigval r = { 0 };
	size_t i = 0;

	if (pick_point(s, now, &i, err, errsz) ||
	    tf_sig_carbon_to_surplus(cfg, s->p[i].v, &r.surplus_uw, err,
				     errsz))
		return -1;
	if (to_g_kwh > 0 &&
	    set_carbon(&r, s->p[i].v * to_g_kwh, s->name, err, errsz))
		return -1;
	r.timestamp_ns = (uint64_t)s->p[i].t;
	*out = r;
	return 0;
}

static int get_array(json_object *o, const char *key, const char *name,
		     json_object **arr, char *err, size_t errsz)
{
	if (!json_object_object_get_ex(o, key, arr))
		return fail(err, errsz, "%s: missing", name);
	if (!json_object_is_type(*arr, json_type_array))
		return fail(err, errsz, "%s: not an array", name);
	return 0;
}

/* An optional string member; NULL when absent. */
static int opt_string(json_object *o, const char *key, const char *name,
		      const char **s, char *err, size_t errsz)
{
	json_object *v;

	*s = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return fail(err, errsz, "%s: not a string", name);
	*s = json_object_get_string(v);
	return 0;
}

/*
 * WattTime v3 (/v3/signal-index, /v3/forecast, /v3/historical):
 * {"data":[{"point_time":"2024-05-01T12:00:00+00:00","value":812.3}],
 *  "meta":{"signal_type":"co2_moer","units":"lbs_co2_per_mwh",
 *          "data_point_period_seconds":300,"generated_at":"..."}}
 * A forecast carries generated_at; its points last data_point_period_seconds.
 */
int tf_sig_parse_watttime(const struct tf_source_cfg *cfg, const char *buf,
			  size_t len, int64_t now_ns, struct tf_sigval *out,
			  char *err, size_t errsz)
{
	struct series s = { .name = "data" };
	json_object *root, *meta = NULL, *arr, *v;
	const char *units = NULL, *stype;
	double to_g = 0, d;
	int ret = -1;

	if (parse_root(buf, len, &root, err, errsz))
		return -1;
	if (!json_object_is_type(root, json_type_object)) {
		fail(err, errsz, "payload: not an object");
		goto out;
	}
	if (json_object_object_get_ex(root, "meta", &meta) && meta) {
		if (!json_object_is_type(meta, json_type_object)) {
			fail(err, errsz, "meta: not an object");
			goto out;
		}
		if (opt_string(meta, "signal_type", "meta.signal_type", &stype,
			       err, errsz) ||
		    opt_string(meta, "units", "meta.units", &units, err,
			       errsz))
			goto out;
		s.forecast = json_object_object_get_ex(meta, "generated_at",
						       NULL);
		if (json_object_object_get_ex(meta, "data_point_period_seconds",
					      &v) && v) {
			if (get_amount(v, "meta.data_point_period_seconds", &d,
				       false, err, errsz))
				goto out;
			if (d > 366.0 * 86400) {
				fail(err, errsz,
				     "meta.data_point_period_seconds: out of range");
				goto out;
			}
			s.period = (int64_t)d * NS_PER_S;
		}
	}
	if (units && !strcmp(units, "lbs_co2_per_mwh"))
		to_g = LBS_PER_MWH_TO_G_PER_KWH;
	else if (units && (!strcmp(units, "kg_co2_per_mwh") ||
			   !strcmp(units, "g_co2_per_kwh")))
		to_g = 1;
	if (get_array(root, "data", "data", &arr, err, errsz) ||
	    read_points(arr, &s, "point_time", "value", NULL, err, errsz) ||
	    finish(cfg, &s, now_ns, to_g, out, err, errsz))
		goto out;
	ret = 0;
out:
	free(s.p);
	json_object_put(root);
	return ret;
}

/*
 * Electricity Maps v3: /carbon-intensity/latest is one point
 * {"zone":"DE","carbonIntensity":302,"datetime":"2024-05-01T12:00:00.000Z",
 *  "updatedAt":...,"isEstimated":...}; /history has "history":[points],
 * /forecast "forecast":[points]. gCO2eq/kWh.
 */
int tf_sig_parse_emaps(const struct tf_source_cfg *cfg, const char *buf,
		       size_t len, int64_t now_ns, struct tf_sigval *out,
		       char *err, size_t errsz)
{
	struct series s = { 0 };
	json_object *root, *arr;
	int ret = -1;

	if (parse_root(buf, len, &root, err, errsz))
		return -1;
	if (!json_object_is_type(root, json_type_object)) {
		fail(err, errsz, "payload: not an object");
		goto out;
	}
	if (json_object_object_get_ex(root, "history", NULL)) {
		s.name = "history";
	} else if (json_object_object_get_ex(root, "forecast", NULL)) {
		s.name = "forecast";
		s.forecast = true;
	}
	if (s.name) {
		if (get_array(root, s.name, s.name, &arr, err, errsz) ||
		    read_points(arr, &s, "datetime", "carbonIntensity", NULL,
				err, errsz))
			goto out;
	} else {
		/* latest: the object is the point; errors name its fields */
		struct pt p = { 0 };
		json_object *v;

		s.name = "carbonIntensity";
		if (!json_object_object_get_ex(root, "datetime", &v)) {
			fail(err, errsz, "datetime: missing");
			goto out;
		}
		if (get_time(v, "datetime", &p.t, err, errsz))
			goto out;
		if (!json_object_object_get_ex(root, "carbonIntensity", &v)) {
			fail(err, errsz, "carbonIntensity: missing");
			goto out;
		}
		if (get_amount(v, "carbonIntensity", &p.v, false, err, errsz))
			goto out;
		s.p = malloc(sizeof(p));
		if (!s.p) {
			fail(err, errsz, "payload: out of memory");
			goto out;
		}
		s.p[0] = p;
		s.n = 1;
	}
	if (finish(cfg, &s, now_ns, 1, out, err, errsz))
		goto out;
	ret = 0;
out:
	free(s.p);
	json_object_put(root);
	return ret;
}

/*
 * GSF Carbon Aware SDK, GET /emissions/forecasts/current: an array of
 * forecasts, one per location asked for; the first is used.
 * [{"location":"eastus","dataStartAt":...,"dataEndAt":...,"windowSize":5,
 *   "optimalDataPoints":[...],"forecastData":[{"location":"eastus",
 *   "timestamp":"2024-05-01T12:00:00+00:00","duration":5,"value":350.1}]}]
 * Values are gCO2/kWh, durations minutes.
 */
int tf_sig_parse_carbonaware(const struct tf_source_cfg *cfg, const char *buf,
			     size_t len, int64_t now_ns, struct tf_sigval *out,
			     char *err, size_t errsz)
{
	struct series s = { .name = "[0].forecastData", .forecast = true };
	json_object *root, *f, *arr;
	int ret = -1;

	if (parse_root(buf, len, &root, err, errsz))
		return -1;
	if (!json_object_is_type(root, json_type_array)) {
		fail(err, errsz, "payload: not an array");
		goto out;
	}
	if (!json_object_array_length(root)) {
		fail(err, errsz, "payload: empty array");
		goto out;
	}
	f = json_object_array_get_idx(root, 0);
	if (!json_object_is_type(f, json_type_object)) {
		fail(err, errsz, "[0]: not an object");
		goto out;
	}
	if (get_array(f, "forecastData", s.name, &arr, err, errsz) ||
	    read_points(arr, &s, "timestamp", "value", "duration", err,
			errsz) ||
	    finish(cfg, &s, now_ns, 1, out, err, errsz))
		goto out;
	ret = 0;
out:
	free(s.p);
	json_object_put(root);
	return ret;
}

int tf_sig_parse_http(const struct tf_source_cfg *cfg, const char *buf,
		      size_t len, int64_t now_ns, struct tf_sigval *out,
		      char *err, size_t errsz)
{
	switch (cfg->shape) {
	case TF_HTTP_WATTTIME:
		return tf_sig_parse_watttime(cfg, buf, len, now_ns, out, err,
					     errsz);
	case TF_HTTP_EMAPS:
		return tf_sig_parse_emaps(cfg, buf, len, now_ns, out, err,
					  errsz);
	case TF_HTTP_CARBONAWARE:
		return tf_sig_parse_carbonaware(cfg, buf, len, now_ns, out,
						err, errsz);
	case TF_HTTP_JSON:
		return tf_sig_parse_json(cfg, buf, len, out, err, errsz);
	}
	return fail(err, errsz, "shape: unknown (%d)", (int)cfg->shape);
}

/* ---- CSV ----------------------------------------------------------------- */

/* a field without its surrounding blanks */
static void trim(const char **b, const char **e)
{
	while (*b < *e && (**b == ' ' || **b == '\t'))
		(*b)++;
	while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

int tf_sig_parse_csv_line(const char *line, size_t len, unsigned int lineno,
			  struct tf_csv_row *row, char *err, size_t errsz)
{
	const char *b = line, *e = line + len, *comma, *tb, *te, *wb, *we, *p;
	char num[64], *end;
	long long t;
	double w;

	while (e > b && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	if (b == e || *b == '#')
		return 1;
	comma = memchr(b, ',', e - b);
	if (!comma)
		return fail(err, errsz,
			    "line %u: expected UTC_SECONDS,SURPLUS_W", lineno);
	if (memchr(comma + 1, ',', e - comma - 1))
		return fail(err, errsz, "line %u: extra field", lineno);
	tb = b;
	te = comma;
	wb = comma + 1;
	we = e;
	trim(&tb, &te);
	trim(&wb, &we);

	if (te == tb || te - tb >= (long)sizeof(num))
		return fail(err, errsz, "line %u: bad timestamp", lineno);
	memcpy(num, tb, te - tb);
	num[te - tb] = '\0';
	for (p = num; *p; p++)
		if (!isdigit((unsigned char)*p))
			return fail(err, errsz, "line %u: bad timestamp",
				    lineno);
	errno = 0;
	t = strtoll(num, &end, 10);
	if (errno || *end || t > TS_MAX_S)
		return fail(err, errsz, "line %u: bad timestamp", lineno);

	if (we == wb || we - wb >= (long)sizeof(num))
		return fail(err, errsz, "line %u: bad surplus_w", lineno);
	memcpy(num, wb, we - wb);
	num[we - wb] = '\0';
	/* decimal only: no "nan", "inf" or hex */
	for (p = num; *p; p++)
		if (!isdigit((unsigned char)*p) && !strchr(".eE+-", *p))
			return fail(err, errsz, "line %u: bad surplus_w",
				    lineno);
	w = strtod(num, &end);
	if (*end || end == num)
		return fail(err, errsz, "line %u: bad surplus_w", lineno);
	if (!isfinite(w))
		return fail(err, errsz, "line %u: surplus_w not finite",
			    lineno);
	if (w < 0)
		return fail(err, errsz, "line %u: surplus_w negative", lineno);
	if (w * 1e6 > (double)TF_POWER_MAX_UW)
		return fail(err, errsz, "line %u: surplus_w above %llu W",
			    lineno,
			    (unsigned long long)(TF_POWER_MAX_UW / 1000000));
	row->t = t;
	row->surplus_uw = (uint64_t)llround(w * 1e6);
	return 0;
}

int tf_sig_parse_csv(const char *buf, size_t len, struct tf_csv *out,
		     char *err, size_t errsz)
{
	const char *p = buf, *e = buf + len, *nl;
	struct tf_csv c = { 0 };
	struct tf_csv_row row, *v;
	unsigned int lineno = 0;
	size_t cap = 0;
	int ret;

	while (p < e) {
		nl = memchr(p, '\n', e - p);
		if (!nl)
			nl = e;
		lineno++;
		if (memchr(p, '\0', nl - p)) {
			fail(err, errsz, "line %u: NUL byte", lineno);
			goto bad;
		}
		ret = tf_sig_parse_csv_line(p, nl - p, lineno, &row, err,
					    errsz);
		p = nl + 1;
		if (ret < 0)
			goto bad;
		if (ret > 0)
			continue;
		if (c.n && row.t <= c.v[c.n - 1].t) {
			fail(err, errsz,
			     "line %u: timestamp not after the previous row's",
			     lineno);
			goto bad;
		}
		if (c.n == cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(c.v, cap * sizeof(*v));
			if (!v) {
				fail(err, errsz, "line %u: out of memory",
				     lineno);
				goto bad;
			}
			c.v = v;
		}
		c.v[c.n++] = row;
	}
	if (!c.n) {
		fail(err, errsz, "no rows");
		goto bad;
	}
	*out = c;
	return 0;
bad:
	free(c.v);
	return -1;
}

void tf_csv_free(struct tf_csv *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

long tf_csv_at(const struct tf_csv *c, int64_t t)
{
	size_t lo = 0, hi = c->n;

	/* the first row after t, less one */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->v[mid].t <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* ---- the module ---------------------------------------------------------- */

int tf_sig_from_module(const struct tf_signal_info *si, struct tf_sigval *out,
		       uint64_t *ttl_left_ms, char *err, size_t errsz)
{
	struct tf_sigval r = { 0 };

	if (!si->set)
		return fail(err, errsz, "signal: none set");
	if (si->stale || si->age_ms >= si->ttl_ms)
		return fail(err, errsz, "signal: stale");
	if (si->surplus_uw > TF_POWER_MAX_UW)
		return fail(err, errsz, "signal: surplus_uw out of range");
	r.surplus_uw = si->surplus_uw;
	r.has_carbon = si->has_carbon;
	r.carbon_mg_kwh = si->carbon_mg_kwh;
	r.has_price = si->has_price;
	r.price_ucur_mwh = si->price_ucur_mwh;
	r.timestamp_ns = si->timestamp_ns;
	*out = r;
	*ttl_left_ms = si->ttl_ms - si->age_ms;
	return 0;
}
