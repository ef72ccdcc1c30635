// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

const char *const tf_eval_policy_name[TF_EV_NPOLICIES] = {
	[TF_EV_TOKENFACTORY] = "tokenfactory",
	[TF_EV_UNCAPPED] = "uncapped",
	[TF_EV_FIXED] = "fixed-cap",
	[TF_EV_ONOFF] = "on-off",
	[TF_EV_OPTIMUM] = "optimum",
};

unsigned int tf_eval_local_hour(unsigned int h, unsigned int hours)
{
	if (hours == 23 && h >= 2)
		return h + 1 > 23 ? 23 : h + 1;
	if (hours == 25 && h >= 2)
		return h - 1;
	return h > 23 ? 23 : h;
}

/* What one step of the day looks like before batch takes its part. */
struct tf_step {
	double surplus_w;
	double inter_w;		/* interactive power */
	double inter_tps;	/* interactive tokens/s served */
	double due_tps;		/* interactive tokens/s asked for */
	double head_w;		/* the most batch can draw */
	double green_w;		/* surplus left for batch */
};

static void tf_eval_base(const struct tf_eval_cfg *cfg, double surplus_w,
			 unsigned int lhour, struct tf_step *st)
{
	const struct tf_curve *c = &cfg->curve;
	double room = fmax(0, cfg->max_w - cfg->idle_w);

	st->surplus_w = surplus_w;
	st->due_tps = cfg->demand_tps[lhour];
	/* interactive first: its power, up to what the host has */
	st->inter_w = fmin(tf_curve_power(c, st->due_tps), room);
	st->inter_tps = fmin(tf_curve_rate(c, st->inter_w), st->due_tps);
	st->head_w = fmin(room - st->inter_w, tf_curve_max_w(c));
	st->green_w = fmax(0, surplus_w - cfg->idle_w - st->inter_w);
}

/* tf_slot_fn for tf_policy_batch_now: a forecast hour as tf_eval_base sees it. */
static void tf_eval_slot(const void *arg, double surplus_w, unsigned int lhour,
			 struct tf_slot *out)
{
	struct tf_step f;

	tf_eval_base(arg, surplus_w, lhour, &f);
	out->green_w = f.green_w;
	out->head_w = f.head_w;
	out->surplus_w = f.surplus_w;
}

/* Batch tokens the steps from..n-1 can make at full power. */
static double tf_eval_cap(const struct tf_eval_cfg *cfg, const struct tf_step *st,
			  size_t from, size_t n)
{
	double t = 0;

	for (; from < n; from++)
		t += tf_curve_rate(&cfg->curve, st[from].head_w) * cfg->step_s;
	return t;
}

int tf_eval_day(const struct tf_eval_cfg *cfg, enum tf_eval_policy pol,
		const double *surplus_w, unsigned int hours,
		const struct tf_forecast *fc, struct tf_eval_day *out)
{
	const struct tf_curve *c = &cfg->curve;
	size_t sph, n, j;
	struct tf_step *st;
	struct tf_slot now;
	double *batch_w, done = 0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (hours < 23 || hours > 25 || !(cfg->step_s > 0) || cfg->step_s > 3600 ||
	    fmod(3600, cfg->step_s) != 0 || (unsigned int)pol >= TF_EV_NPOLICIES ||
	    c->n < 2)
		return -1;
	sph = (size_t)(3600 / cfg->step_s);
	n = sph * hours;
	st = calloc(n, sizeof(*st));
	batch_w = calloc(n, sizeof(*batch_w));
	if (!st || !batch_w)
		goto out;
	for (j = 0; j < n; j++)
		tf_eval_base(cfg, fmax(0, surplus_w[j / sph]),
			     tf_eval_local_hour((unsigned int)(j / sph), hours), &st[j]);
	out->feasible = tf_eval_cap(cfg, st, 0, n) >= cfg->quota_tok;

	if (pol == TF_EV_OPTIMUM) {
		struct tf_slot *all = calloc(n, sizeof(*all));
		struct tf_plan plan;

		if (!all)
			goto out;
		for (j = 0; j < n; j++)
			all[j] = (struct tf_slot){ cfg->step_s, st[j].green_w, st[j].head_w,
						  st[j].surplus_w };
		if (tf_plan_grid(c, all, n, cfg->quota_tok, batch_w, &plan)) {
			free(all);
			goto out;
		}
		for (j = 0; j < n; j++)
			batch_w[j] += fmax(0, fmin(st[j].green_w, st[j].head_w));
		free(all);
	}
	for (j = 0; j < n; j++) {
		const struct tf_step *s = &st[j];
		double due = cfg->quota_tok - done, p = 0, host, tok, rest;
		size_t h = j / sph;

		switch (pol) {
		case TF_EV_TOKENFACTORY:
			now = (struct tf_slot){ cfg->step_s, s->green_w, s->head_w,
						s->surplus_w };
			/* the hour left from this step's start, the hours after it */
			p = tf_policy_batch_now(c, &cfg->quota, due, &now,
						(double)(sph - j % sph) * cfg->step_s,
						tf_eval_local_hour((unsigned int)h + 1, hours),
						hours - 1 - (unsigned int)h, fc, tf_eval_slot, cfg);
			break;
		case TF_EV_UNCAPPED:
			p = due > 0 ? fmin(s->head_w, tf_curve_power(c, due / cfg->step_s)) : 0;
			break;
		case TF_EV_FIXED:
			p = fmin(cfg->fixed_w, s->head_w);
			break;
		case TF_EV_ONOFF:
			if (s->surplus_w > 0) {
				p = s->head_w;
				break;
			}
			/* behind: the latest start that still meets the quota */
			rest = due * (1 + cfg->quota.margin) - tf_eval_cap(cfg, st, j + 1, n);
			p = rest > 0 ? fmin(s->head_w, tf_curve_power(c, rest / cfg->step_s)) : 0;
			break;
		case TF_EV_OPTIMUM:
			p = batch_w[j];
			break;
		default:
			goto out;
		}
		p = fmax(0, fmin(p, s->head_w));
		host = cfg->idle_w + s->inter_w + p;
		tok = (s->inter_tps + tf_curve_rate(c, p)) * cfg->step_s;
		done += tf_curve_rate(c, p) * cfg->step_s;
		out->batch_tok += tf_curve_rate(c, p) * cfg->step_s;
		out->inter_tok += s->inter_tps * cfg->step_s;
		out->inter_due += s->due_tps * cfg->step_s;
		out->tokens += tok;
		/* a step's tokens are green in the share of its energy surplus covered */
		out->green_tok += host > 0 ? tok * fmin(1, s->surplus_w / host) : 0;
		out->energy_j += host * cfg->step_s;
		out->grid_j += fmax(0, host - s->surplus_w) * cfg->step_s;
		out->surplus_j += s->surplus_w * cfg->step_s;
	}
	/* met to within rounding of the last fractional step */
	out->quota_met = out->batch_tok >= cfg->quota_tok * (1 - 1e-9);
	ret = 0;
out:
	free(st);
	free(batch_w);
	return ret;
}

/* The readers moved to policy.c, which the daemon links too. */
int tf_eval_read_pairs(FILE *f, const char *name, double *x, double *y,
		       unsigned int max, char *err, size_t errsz)
{
	return tf_read_pairs(f, name, x, y, max, err, errsz);
}

int tf_eval_read_curve(FILE *f, const char *name, struct tf_curve *c,
		       char *err, size_t errsz)
{
	return tf_curve_read(f, name, c, err, errsz);
}

int tf_eval_read_demand(FILE *f, const char *name, double demand_tps[24],
			char *err, size_t errsz)
{
	double h[24], t[24];
	bool seen[24] = { false };
	int n = tf_eval_read_pairs(f, name, h, t, 24, err, errsz), i;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		int hr = (int)h[i];

		if (h[i] != hr || hr < 0 || hr > 23 || seen[hr] || t[i] < 0) {
			snprintf(err, errsz, "%s: point %d: hour 0..23 once each, tokens/s >= 0",
				 name, i + 1);
			return -1;
		}
		seen[hr] = true;
		demand_tps[hr] = t[i];
	}
	if (n != 24) {
		snprintf(err, errsz, "%s: %d hours, want all 24", name, n);
		return -1;
	}
	return 0;
}
