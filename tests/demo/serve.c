// SPDX-License-Identifier: GPL-2.0
/* The worker's request parsing and /metrics text (see serve.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "serve.h"

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An integer member in [lo, hi]; json-c's doubles and strings are refused. */
static int get_int(struct json_object *v, const char *key, int64_t lo,
		   int64_t hi, int64_t *out, char *err, size_t errsz)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return fail(err, errsz, "%s: not an integer", key);
	errno = 0;
	x = json_object_get_int64(v);
	if (errno || x < lo || x > hi)
		return fail(err, errsz, "%s: %lld outside %lld..%lld", key,
			    (long long)x, (long long)lo, (long long)hi);
	*out = x;
	return 0;
}

int tfw_parse_req(const char *body, size_t len, int n_ctx, struct tfw_req *r,
		  char *err, size_t errsz)
{
	struct json_tokener *tok;
	struct json_object *o;
	int have_p = 0, have_m = 0, rc = 0, trailing = 0;
	int64_t x;

	memset(r, 0, sizeof(*r));
	if (!body || !len)
		return fail(err, errsz, "empty body");
	tok = json_tokener_new();
	if (!tok)
		return fail(err, errsz, "out of memory");
	if (len > INT32_MAX) {
		json_tokener_free(tok);
		return fail(err, errsz, "body too large");
	}
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		/* whitespace may follow the document, nothing else */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (!isspace((unsigned char)body[i]))
				trailing = 1;
	}
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    trailing) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		json_object_put(o);
		json_tokener_free(tok);
		/* trailing bytes after a complete document are an error too */
		return fail(err, errsz, "not one JSON document: %s",
			    e == json_tokener_success ? "trailing data" :
			    e == json_tokener_continue ? "unexpected end" :
			    json_tokener_error_desc(e));
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return fail(err, errsz, "not a JSON object");
	}
	json_object_object_foreach(o, key, v) {
		if (!strcmp(key, "prompt_tokens")) {
			rc = get_int(v, key, 1, n_ctx, &x, err, errsz);
			r->prompt_tokens = (int)x;
			have_p = 1;
		} else if (!strcmp(key, "max_tokens")) {
			rc = get_int(v, key, 0, n_ctx, &x, err, errsz);
			r->max_tokens = (int)x;
			have_m = 1;
		} else if (!strcmp(key, "seed")) {
			rc = get_int(v, key, 0, INT64_MAX, &x, err, errsz);
			r->seed = (uint64_t)x;
			r->has_seed = 1;
		} else if (!strcmp(key, "temperature")) {
			double t;

			if (!json_object_is_type(v, json_type_double) &&
			    !json_object_is_type(v, json_type_int)) {
				rc = fail(err, errsz, "temperature: not a number");
				break;
			}
			t = json_object_get_double(v);
			if (!isfinite(t) || t < 0 || t > 100)
				rc = fail(err, errsz, "temperature: outside 0..100");
			r->temperature = t;
		} else {
			rc = fail(err, errsz, "unknown key '%s'", key);
		}
		if (rc)
			break;
	}
	json_object_put(o);
	if (rc)
		return rc;
	if (!have_p)
		return fail(err, errsz, "prompt_tokens missing");
	if (!have_m)
		return fail(err, errsz, "max_tokens missing");
	if (r->prompt_tokens + r->max_tokens > n_ctx + 1)
		return fail(err, errsz,
			    "prompt_tokens + max_tokens exceed the context (%d)",
			    n_ctx);
	return 0;
}

struct buf {
	char *p;
	size_t len, used;
	int full;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->used)
		b->full = 1;
	else
		b->used += n;
}

static void metric_u(struct buf *b, const char *name, const char *type,
		     const char *help, uint64_t v)
{
	put(b, "# HELP llamacpp:%s %s\n# TYPE llamacpp:%s %s\nllamacpp:%s %llu\n",
	    name, help, name, type, name, (unsigned long long)v);
}

static void metric_d(struct buf *b, const char *name, const char *type,
		     const char *help, double v)
{
	put(b, "# HELP llamacpp:%s %s\n# TYPE llamacpp:%s %s\nllamacpp:%s %.6f\n",
	    name, help, name, type, name, isfinite(v) ? v : 0.0);
}

int tfw_metrics_text(const struct tfw_stats *s, char *buf, size_t len)
{
	struct buf b = { buf, len, 0, 0 };

	if (!len)
		return -ENOSPC;
	/* the order, names, types and HELP texts of llama.cpp's server */
	metric_u(&b, "prompt_tokens_total", "counter",
		 "Number of prompt tokens processed.", s->prompt_tokens);
	metric_d(&b, "prompt_seconds_total", "counter",
		 "Prompt process time", s->prompt_seconds);
	metric_u(&b, "tokens_predicted_total", "counter",
		 "Number of generation tokens processed.", s->tokens_predicted);
	metric_d(&b, "tokens_predicted_seconds_total", "counter",
		 "Predict process time", s->predicted_seconds);
	metric_u(&b, "n_decode_total", "counter",
		 "Total number of llama_decode() calls", s->n_decode);
	metric_u(&b, "n_tokens_max", "counter",
		 "Largest observed n_tokens.", s->n_tokens_max);
	/* llama.cpp averages over the last scrape's window; we since start */
	metric_d(&b, "prompt_tokens_seconds", "gauge",
		 "Average prompt throughput in tokens/s.",
		 s->prompt_seconds > 0 ? s->prompt_tokens / s->prompt_seconds : 0);
	metric_d(&b, "predicted_tokens_seconds", "gauge",
		 "Average generation throughput in tokens/s.",
		 s->predicted_seconds > 0 ?
		 s->tokens_predicted / s->predicted_seconds : 0);
	metric_u(&b, "requests_processing", "gauge",
		 "Number of requests processing.", s->processing);
	metric_u(&b, "requests_deferred", "gauge",
		 "Number of requests deferred.", s->deferred);
	if (b.full)
		return -ENOSPC;
	return (int)b.used;
}
