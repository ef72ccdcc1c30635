// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text format 0.0.4, read line by line, as strictly as
 * Prometheus's own parser (expfmt): a line it would reject is an error here
 * too, so a token count is never taken from a page Prometheus would refuse.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"

struct cursor {
	const char *p, *end;	/* the current line, without its "\n" */
	unsigned int line;
	char *err;
	size_t errsz;
};

/* A label set being filled: a sample's or a selector's. */
struct lset {
	unsigned int *n;
	struct tf_prom_label *labels;
	char *buf;
	size_t used;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct cursor *c, const char *fmt, ...)
{
	va_list ap;
	int off = 0;

	if (!c->err || !c->errsz)
		return -EINVAL;
	if (c->line)
		off = snprintf(c->err, c->errsz, "line %u: ", c->line);
	if (off < 0 || (size_t)off >= c->errsz)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + off, c->errsz - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

static bool name_start(char ch, bool colon)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_' || (colon && ch == ':');
}

static bool name_char(char ch, bool colon)
{
	return name_start(ch, colon) || (ch >= '0' && ch <= '9');
}

/* A metric name (colon: true) or label name into out[TF_PROM_NAME]. */
static int read_name(struct cursor *c, bool colon, char *out, const char *what)
{
	const char *s = c->p;
	size_t n;

	if (c->p >= c->end || !name_start(*c->p, colon))
		return fail(c, "%s expected, found %s", what,
			    c->p < c->end ? "an invalid character" :
			    "end of line");
	while (c->p < c->end && name_char(*c->p, colon))
		c->p++;
	n = c->p - s;
	if (n >= TF_PROM_NAME)
		return fail(c, "%s longer than %d characters", what,
			    TF_PROM_NAME - 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int lset_put(struct cursor *c, struct lset *ls, char ch)
{
	if (ls->used >= TF_PROM_LABEL_BUF)
		return fail(c, "label set longer than %d bytes",
			    TF_PROM_LABEL_BUF);
	ls->buf[ls->used++] = ch;
	return 0;
}

/* `{name="value",...}` at c->p (which is at the '{'). */
static int read_labels(struct cursor *c, struct lset *ls)
{
	char name[TF_PROM_NAME];
	unsigned int i;
	int err;

	c->p++;
	for (;;) {
		struct tf_prom_label *l;
		size_t k;

		skip_blanks(c);
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			return 0;
		}
		err = read_name(c, false, name, "label name");
		if (err)
			return err;
		for (i = 0; i < *ls->n; i++)
			if (!strcmp(ls->labels[i].name, name))
				return fail(c, "label \"%s\" given twice", name);
		if (*ls->n >= TF_PROM_MAX_LABELS)
			return fail(c, "more than %d labels",
				    TF_PROM_MAX_LABELS);
		l = &ls->labels[(*ls->n)++];
		l->name = ls->buf + ls->used;
		for (k = 0; k <= strlen(name); k++)
			if ((err = lset_put(c, ls, name[k])))
				return err;
		skip_blanks(c);
		if (c->p >= c->end || *c->p != '=')
			return fail(c, "'=' expected after label \"%s\"", name);
		c->p++;
		skip_blanks(c);
		if (c->p >= c->end || *c->p != '"')
			return fail(c, "'\"' expected to open the value of label \"%s\"",
				    name);
		c->p++;
		l->value = ls->buf + ls->used;
		for (;;) {
			char ch;

			if (c->p >= c->end)
				return fail(c, "value of label \"%s\" not closed",
					    name);
			ch = *c->p++;
			if (ch == '"')
				break;
			if (ch == '\\') {
				if (c->p >= c->end)
					return fail(c, "value of label \"%s\" not closed",
						    name);
				ch = *c->p++;
				if (ch == 'n')
					ch = '\n';
				else if (ch != '\\' && ch != '"')
					return fail(c, "invalid escape \"\\%c\" in label \"%s\"",
						    ch, name);
			}
			if ((err = lset_put(c, ls, ch)))
				return err;
		}
		if ((err = lset_put(c, ls, '\0')))
			return err;
		skip_blanks(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			return 0;
		}
		return fail(c, "',' or '}' expected after label \"%s\"", name);
	}
}

/* The next run of non-blanks, NUL-terminated in tok[sz]. */
static int read_token(struct cursor *c, char *tok, size_t sz, const char *what)
{
	const char *s = c->p;
	size_t n;

	while (c->p < c->end && !is_blank(*c->p))
		c->p++;
	n = c->p - s;
	if (!n)
		return fail(c, "%s expected", what);
	if (n >= sz)
		return fail(c, "%s too long", what);
	memcpy(tok, s, n);
	tok[n] = '\0';
	return 0;
}

/* Go's strconv.ParseFloat: decimal floats, [+-]Inf(inity), NaN. */
static int parse_value(const char *tok, double *v)
{
	const char *t = tok;
	char *e;

	if (*t == '+' || *t == '-')
		t++;
	if (!strcasecmp(t, "inf") || !strcasecmp(t, "infinity")) {
		*v = tok[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (!strcasecmp(tok, "nan")) {
		*v = NAN;
		return 0;
	}
	/* strtod's hex floats and nan(...) are not Go's */
	if (strpbrk(t, "xX(") || !strchr("0123456789.", *t) || !*t)
		return -EINVAL;
	errno = 0;
	*v = strtod(tok, &e);
	if (*e || (errno == ERANGE && *v != 0))
		return -EINVAL;
	return 0;
}

static int parse_ts(const char *tok, int64_t *ts)
{
	char *e;
	long long v;

	if (!strchr("+-0123456789", *tok))
		return -EINVAL;
	errno = 0;
	v = strtoll(tok, &e, 10);
	if (*e || errno || e == tok)
		return -EINVAL;
	*ts = v;
	return 0;
}

static const char *const type_names[] = {
	[TF_PROM_UNTYPED] = "untyped",
	[TF_PROM_COUNTER] = "counter",
	[TF_PROM_GAUGE] = "gauge",
	[TF_PROM_HISTOGRAM] = "histogram",
	[TF_PROM_SUMMARY] = "summary",
};

/* The family being read: the latest TYPE line's name and type. */
struct family {
	char name[TF_PROM_NAME];
	enum tf_prom_type type;
};

static bool has_suffix(const char *name, const char *fam, const char *suffix)
{
	size_t n = strlen(fam);

	return !strncmp(name, fam, n) && !strcmp(name + n, suffix);
}

static enum tf_prom_type type_of(const struct family *f, const char *name)
{
	if (!f->name[0])
		return TF_PROM_UNTYPED;
	if (!strcmp(name, f->name))
		return f->type;
	switch (f->type) {
	case TF_PROM_HISTOGRAM:
		if (has_suffix(name, f->name, "_bucket"))
			return f->type;
		/* fall through */
	case TF_PROM_SUMMARY:
		if (has_suffix(name, f->name, "_sum") ||
		    has_suffix(name, f->name, "_count"))
			return f->type;
		break;
	case TF_PROM_COUNTER:
		if (has_suffix(name, f->name, "_total") ||
		    has_suffix(name, f->name, "_created"))
			return f->type;
		break;
	default:
		break;
	}
	return TF_PROM_UNTYPED;
}

/* "# HELP name doc", "# TYPE name type", or any other comment. */
static int read_comment(struct cursor *c, struct family *fam)
{
	char word[8], name[TF_PROM_NAME];
	const char *s;
	size_t n;
	unsigned int i;
	int err;

	c->p++;
	skip_blanks(c);
	s = c->p;
	while (c->p < c->end && !is_blank(*c->p))
		c->p++;
	n = c->p - s;
	if (n != 4)
		return 0;
	memcpy(word, s, 4);
	word[4] = '\0';
	if (strcmp(word, "HELP") && strcmp(word, "TYPE"))
		return 0;
	skip_blanks(c);
	err = read_name(c, true, name, "metric name");
	if (err)
		return err;
	if (c->p < c->end && !is_blank(*c->p))
		return fail(c, "invalid character in metric name of %s", word);
	skip_blanks(c);
	if (word[0] == 'H') {
		/* the docstring: only \\ and \n are escapes */
		for (; c->p < c->end; c->p++)
			if (*c->p == '\\' &&
			    (++c->p >= c->end || (*c->p != '\\' && *c->p != 'n')))
				return fail(c, "invalid escape in HELP of %s",
					    name);
		return 0;
	}
	s = c->p;
	while (c->p < c->end && !is_blank(*c->p))
		c->p++;
	n = c->p - s;
	skip_blanks(c);
	if (c->p != c->end)
		return fail(c, "text after the type in TYPE of %s", name);
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strlen(type_names[i]) == n && !memcmp(type_names[i], s, n)) {
			strcpy(fam->name, name);
			fam->type = i;
			return 0;
		}
	return fail(c, "unknown type \"%.*s\" in TYPE of %s", (int)n, s, name);
}

static int read_sample(struct cursor *c, const struct family *fam,
		       struct tf_prom_sample *s)
{
	struct lset ls = { &s->nlabels, s->labels, s->buf, 0 };
	char tok[64];
	int err;

	s->nlabels = 0;
	s->has_ts = false;
	s->ts_ms = 0;
	s->line = c->line;
	err = read_name(c, true, s->name, "metric name");
	if (err)
		return err;
	skip_blanks(c);
	if (c->p < c->end && *c->p == '{') {
		err = read_labels(c, &ls);
		if (err)
			return err;
	} else if (c->p < c->end && c->p[-1] != ' ' && c->p[-1] != '\t') {
		return fail(c, "invalid character in metric name %s", s->name);
	}
	skip_blanks(c);
	err = read_token(c, tok, sizeof(tok), "value");
	if (err)
		return err;
	if (parse_value(tok, &s->value))
		return fail(c, "invalid value \"%s\" of %s", tok, s->name);
	skip_blanks(c);
	if (c->p < c->end) {
		err = read_token(c, tok, sizeof(tok), "timestamp");
		if (err)
			return err;
		if (parse_ts(tok, &s->ts_ms))
			return fail(c, "invalid timestamp \"%s\" of %s", tok,
				    s->name);
		s->has_ts = true;
		skip_blanks(c);
		if (c->p < c->end)
			return fail(c, "text after the timestamp of %s",
				    s->name);
	}
	s->type = type_of(fam, s->name);
	return 0;
}

int tf_prom_parse(const char *text, size_t len, tf_prom_cb cb, void *arg,
		  char *err, size_t errsz)
{
	struct family fam = { "", TF_PROM_UNTYPED };
	struct cursor c = { .err = err, .errsz = errsz };
	const char *p = text, *end = text + len;
	struct tf_prom_sample *s;
	int ret = 0;

	if (err && errsz)
		err[0] = '\0';
	/* ~10 KiB: off the stack of a scraper thread */
	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	while (p < end && !ret) {
		size_t rest = (size_t)(end - p), n;
		const char *nl = memchr(p, '\n', rest);

		n = nl ? (size_t)(nl - p) : rest;
		c.line++;
		c.p = p;
		c.end = p + n;
		p = nl ? nl + 1 : end;
		if (memchr(c.p, '\0', n)) {
			ret = fail(&c, "NUL byte");
			break;
		}
		if (n && c.end[-1] == '\r')
			c.end--;
		skip_blanks(&c);
		if (c.p == c.end)
			continue;
		if (*c.p == '#') {
			ret = read_comment(&c, &fam);
			continue;
		}
		ret = read_sample(&c, &fam, s);
		if (!ret)
			ret = cb(s, arg);
	}
	free(s);
	return ret;
}

void tf_prom_sample_copy(struct tf_prom_sample *dst,
			 const struct tf_prom_sample *src)
{
	unsigned int i;

	*dst = *src;
	for (i = 0; i < src->nlabels; i++) {
		dst->labels[i].name = dst->buf + (src->labels[i].name - src->buf);
		dst->labels[i].value = dst->buf + (src->labels[i].value - src->buf);
	}
}

int tf_prom_selector_parse(const char *str, struct tf_prom_selector *sel,
			   char *err, size_t errsz)
{
	struct cursor c = { str, str + strlen(str), 0, err, errsz };
	struct lset ls = { &sel->nlabels, sel->labels, sel->buf, 0 };
	int ret;

	memset(sel, 0, sizeof(*sel));
	if (err && errsz)
		err[0] = '\0';
	skip_blanks(&c);
	ret = read_name(&c, true, sel->name, "metric name");
	if (ret)
		return ret;
	skip_blanks(&c);
	if (c.p < c.end && *c.p == '{') {
		ret = read_labels(&c, &ls);
		if (ret)
			return ret;
		skip_blanks(&c);
	}
	if (c.p != c.end)
		return fail(&c, "text after the selector \"%s\"", str);
	return 0;
}

bool tf_prom_selector_match(const struct tf_prom_selector *sel,
			    const struct tf_prom_sample *s)
{
	unsigned int i, j;

	if (strcmp(sel->name, s->name))
		return false;
	for (i = 0; i < sel->nlabels; i++) {
		for (j = 0; j < s->nlabels; j++)
			if (!strcmp(sel->labels[i].name, s->labels[j].name))
				break;
		if (j == s->nlabels ||
		    strcmp(sel->labels[i].value, s->labels[j].value))
			return false;
	}
	return true;
}

struct sum_arg {
	const struct tf_prom_selector *sel;
	double sum;
	unsigned int n;
	char *err;
	size_t errsz;
};

static int sum_cb(const struct tf_prom_sample *s, void *arg)
{
	struct sum_arg *a = arg;

	if (!tf_prom_selector_match(a->sel, s))
		return 0;
	if (!isfinite(s->value) || s->value < 0) {
		if (a->err && a->errsz)
			snprintf(a->err, a->errsz,
				 "line %u: %s is %g: not a counter's value",
				 s->line, s->name, s->value);
		return -ERANGE;
	}
	a->sum += s->value;
	a->n++;
	return 0;
}

int tf_prom_sum(const char *text, size_t len,
		const struct tf_prom_selector *sel, double *sum,
		unsigned int *nseries, char *err, size_t errsz)
{
	struct sum_arg a = { sel, 0, 0, err, errsz };
	int ret;

	ret = tf_prom_parse(text, len, sum_cb, &a, err, errsz);
	if (ret)
		return ret;
	*sum = a.sum;
	if (nseries)
		*nseries = a.n;
	if (!a.n) {
		if (err && errsz)
			snprintf(err, errsz, "no sample of %s%s", sel->name,
				 sel->nlabels ? " with those labels" : "");
		return -ENOENT;
	}
	return 0;
}

const char *tf_prom_preset_metric(const char *preset)
{
	static const struct {
		const char *preset, *metric;
	} presets[] = {
		{ "vllm", "vllm:generation_tokens_total" },
		{ "llamacpp", "llamacpp:tokens_predicted_total" },
		{ "sglang", "sglang:generation_tokens_total" },
		/* TGI has no token counter: its histogram's sum is one */
		{ "tgi", "tgi_request_generated_tokens_sum" },
	};
	size_t i;

	for (i = 0; preset && i < sizeof(presets) / sizeof(presets[0]); i++)
		if (!strcmp(preset, presets[i].preset))
			return presets[i].metric;
	return NULL;
}

uint64_t tf_counter_step(struct tf_counter *c, double value)
{
	uint64_t v, d;

	if (!(value >= 0))	/* NaN too: no reading */
		return 0;
	v = value >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)value;
	if (!c->primed) {
		c->primed = true;
		c->last = v;
		return 0;
	}
	if (v < c->last) {
		c->resets++;
		d = v;
	} else {
		d = v - c->last;
	}
	c->last = v;
	return d;
}
