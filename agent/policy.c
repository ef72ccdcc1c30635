// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

typedef unsigned __int128 u128;

uint64_t tf_budget_step(struct tf_budget *b, const struct tf_budget_cfg *c,
			uint64_t surplus_uw, bool stale, uint64_t now_ns)
{
	uint64_t target = c->floor_uw, dt_ns, rise;

	if (!stale) {
		u128 t = c->floor_uw + (u128)surplus_uw * c->share_ppm / 1000000;

		target = t > c->ceiling_uw ? c->ceiling_uw : (uint64_t)t;
	}
	if (target < c->floor_uw)	/* a ceiling below the floor */
		target = c->floor_uw;
	if (!b->started) {
		/* start from the floor: power is earned by the signal */
		b->started = true;
		b->budget_uw = c->floor_uw;
		b->t_ns = now_ns;
	}
	dt_ns = now_ns > b->t_ns ? now_ns - b->t_ns : 0;
	b->t_ns = now_ns;
	if (target <= b->budget_uw) {
		b->budget_uw = target;		/* falling: at once */
		return b->budget_uw;
	}
	if (target - b->budget_uw < c->hysteresis_uw)
		return b->budget_uw;
	rise = target - b->budget_uw;
	if (c->ramp_uw_s) {
		u128 max = (u128)c->ramp_uw_s * dt_ns / 1000000000U;

		if (rise > max)
			rise = (uint64_t)max;
	}
	b->budget_uw += rise;
	return b->budget_uw;
}

/*
 * Gives each selected group its want (capped at what it wants) out of
 * avail, in proportion to want when avail is short. Returns what it gave.
 */
static uint64_t tf_share_out(uint64_t avail, const struct tf_demand *g,
			     size_t n, struct tf_alloc *out, uint32_t tier,
			     bool reserved)
{
	uint64_t want_sum = 0, given = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (g[i].tier != tier)
			continue;
		want_sum += reserved ?
			(g[i].reserved_uw < g[i].demand_uw ? g[i].reserved_uw : g[i].demand_uw) :
			g[i].demand_uw - out[i].uw;
	}
	if (!want_sum)
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t want;

		if (g[i].tier != tier)
			continue;
		want = reserved ?
			(g[i].reserved_uw < g[i].demand_uw ? g[i].reserved_uw : g[i].demand_uw) :
			g[i].demand_uw - out[i].uw;
		if (want_sum > avail)
			want = (uint64_t)((u128)avail * want / want_sum);
		out[i].uw += want;
		given += want;
	}
	return given;
}

uint64_t tf_policy_split(uint64_t budget_uw, uint64_t floor_uw,
			 const struct tf_demand *g, size_t n,
			 struct tf_alloc *out)
{
	uint64_t left = budget_uw, green, batch_avail;
	size_t i;

	for (i = 0; i < n; i++) {
		out[i].uw = 0;
		out[i].frozen = false;
	}
	green = budget_uw > floor_uw ? budget_uw - floor_uw : 0;
	left -= tf_share_out(left, g, n, out, TF_POLICY_INTERACTIVE, true);
	batch_avail = green < left ? green : left;
	left -= tf_share_out(batch_avail, g, n, out, TF_POLICY_BATCH, false);
	left -= tf_share_out(left, g, n, out, TF_POLICY_INTERACTIVE, false);
	left -= tf_share_out(left, g, n, out, TF_POLICY_BACKGROUND, false);
	for (i = 0; i < n; i++)
		out[i].frozen = g[i].tier != TF_POLICY_INTERACTIVE && !out[i].uw;
	return left;
}

/* ---- batch power against a daily quota ---------------------------------- */

int tf_curve_init(struct tf_curve *c, const double *p_w, const double *tps,
		  unsigned int n)
{
	double p[TF_CURVE_MAX + 1], t[TF_CURVE_MAX + 1];
	unsigned int i, j, m = 0, h = 0;

	if (!n || n > TF_CURVE_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isfinite(p_w[i]) || !isfinite(tps[i]) || p_w[i] < 0 || tps[i] < 0)
			return -1;
		if (p_w[i] == 0 && tps[i] > 0)
			return -1;	/* tokens from no power */
		/* insertion by power */
		for (j = m; j > 0 && p[j - 1] > p_w[i]; j--) {
			p[j] = p[j - 1];
			t[j] = t[j - 1];
		}
		if (j > 0 && p[j - 1] == p_w[i])
			return -1;
		p[j] = p_w[i];
		t[j] = tps[i];
		m++;
	}
	if (p[0] > 0) {
		if (m == TF_CURVE_MAX)
			return -1;
		memmove(p + 1, p, m * sizeof(p[0]));
		memmove(t + 1, t, m * sizeof(t[0]));
		p[0] = 0;
		t[0] = 0;
		m++;
	}
	/* upper hull, left to right: drop a point on or below its neighbours' chord */
	for (i = 0; i < m; i++) {
		while (h >= 2 &&
		       (c->p_w[h - 1] - c->p_w[h - 2]) * (t[i] - c->tps[h - 2]) -
		       (c->tps[h - 1] - c->tps[h - 2]) * (p[i] - c->p_w[h - 2]) >= 0)
			h--;
		c->p_w[h] = p[i];
		c->tps[h] = t[i];
		h++;
	}
	/* slopes fall along the hull: stop where they stop rising the rate */
	for (i = 1; i < h && c->tps[i] > c->tps[i - 1]; i++)
		;
	c->n = i;
	return c->n >= 2 ? 0 : -1;
}

double tf_curve_rate(const struct tf_curve *c, double p_w)
{
	unsigned int i;

	if (!(p_w > 0))
		return 0;
	for (i = 1; i < c->n; i++)
		if (p_w <= c->p_w[i])
			return c->tps[i - 1] + (c->tps[i] - c->tps[i - 1]) *
			       (p_w - c->p_w[i - 1]) / (c->p_w[i] - c->p_w[i - 1]);
	return c->tps[c->n - 1];
}

double tf_curve_power(const struct tf_curve *c, double tps)
{
	unsigned int i;

	if (!(tps > 0))
		return 0;
	for (i = 1; i < c->n; i++)
		if (tps <= c->tps[i])
			return c->p_w[i - 1] + (c->p_w[i] - c->p_w[i - 1]) *
			       (tps - c->tps[i - 1]) / (c->tps[i] - c->tps[i - 1]);
	return c->p_w[c->n - 1];
}

void tf_fc_init(struct tf_forecast *f, unsigned int days, enum tf_fc_kind kind)
{
	memset(f, 0, sizeof(*f));
	f->days = days < 1 ? 1 : days > TF_FC_DAYS_MAX ? TF_FC_DAYS_MAX : days;
	f->kind = kind;
}

void tf_fc_observe(struct tf_forecast *f, unsigned int slot, double v)
{
	if (slot >= TF_FC_SLOTS)
		slot = TF_FC_SLOTS - 1;	/* the 25th hour of a fall-back day */
	f->sum[slot] += v;
	f->cnt[slot]++;
}

void tf_fc_end_day(struct tf_forecast *f)
{
	unsigned int s;

	for (s = 0; s < TF_FC_SLOTS; s++) {
		f->hist[f->head][s] = f->cnt[s] ? f->sum[s] / f->cnt[s] : 0;
		f->sum[s] = 0;
		f->cnt[s] = 0;
	}
	f->head = (f->head + 1) % f->days;
	if (f->have < f->days)
		f->have++;
}

double tf_fc_get(const struct tf_forecast *f, unsigned int slot)
{
	double v[TF_FC_DAYS_MAX], sum = 0;
	unsigned int i, j;

	if (!f->have)
		return 0;
	if (slot >= TF_FC_SLOTS)
		slot = TF_FC_SLOTS - 1;
	/* rows 0..have-1 are the stored days, whatever their order */
	for (i = 0; i < f->have; i++) {
		double x = f->hist[i][slot];

		sum += x;
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	if (f->kind == TF_FC_MEDIAN)
		return f->have % 2 ? v[f->have / 2] :
		       (v[f->have / 2 - 1] + v[f->have / 2]) / 2;
	return sum / f->have;
}

struct tf_piece {
	double slope;		/* tokens per joule */
	double w;		/* watts of this segment within the slot */
	double surplus_w;
	size_t slot;
};

static int tf_piece_cmp(const void *a, const void *b)
{
	const struct tf_piece *x = a, *y = b;

	if (x->slope != y->slope)
		return x->slope > y->slope ? -1 : 1;
	/* equal value: beside more surplus, then as late as possible */
	if (x->surplus_w != y->surplus_w)
		return x->surplus_w > y->surplus_w ? -1 : 1;
	return (x->slot < y->slot) - (x->slot > y->slot);
}

static double tf_slot_green(const struct tf_curve *c, const struct tf_slot *s)
{
	double head = fmin(s->head_w, tf_curve_max_w(c));

	return fmax(0, fmin(s->green_w, head));
}

int tf_plan_grid(const struct tf_curve *c, const struct tf_slot *s, size_t n,
		 double quota_tok, double *extra_w, struct tf_plan *out)
{
	struct tf_piece *pc;
	size_t k, np = 0;
	double need;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < n; k++) {
		out->green_tok += tf_curve_rate(c, tf_slot_green(c, &s[k])) * s[k].dur_s;
		if (extra_w)
			extra_w[k] = 0;
	}
	need = quota_tok - out->green_tok;
	if (need <= 0)
		return 0;
	pc = malloc((n * (c->n - 1) + 1) * sizeof(*pc));
	if (!pc)
		return -1;
	for (k = 0; k < n; k++) {
		double lo0 = tf_slot_green(c, &s[k]);
		double head = fmax(0, fmin(s[k].head_w, tf_curve_max_w(c)));

		if (!(s[k].dur_s > 0))
			continue;
		for (i = 0; i + 1 < c->n; i++) {
			double lo = fmax(c->p_w[i], lo0), hi = fmin(c->p_w[i + 1], head);

			if (hi > lo)
				pc[np++] = (struct tf_piece){
					(c->tps[i + 1] - c->tps[i]) / (c->p_w[i + 1] - c->p_w[i]),
					hi - lo, s[k].surplus_w, k };
		}
	}
	qsort(pc, np, sizeof(*pc), tf_piece_cmp);
	for (k = 0; k < np && need > 0; k++) {
		double dur = s[pc[k].slot].dur_s, w = pc[k].w,
		       tok = pc[k].slope * w * dur;

		if (tok > need) {
			w = need / (pc[k].slope * dur);
			tok = need;
		}
		if (extra_w)
			extra_w[pc[k].slot] += w;
		out->grid_j += w * dur;
		out->grid_tok += tok;
		need -= tok;
	}
	free(pc);
	out->short_tok = need > 0 ? need : 0;
	return 0;
}

double tf_batch_power(const struct tf_curve *c, const struct tf_quota_cfg *q,
		      double due_tok, const struct tf_slot *s, size_t n)
{
	double head0, p, need, *extra;
	struct tf_slot *fc;
	struct tf_plan plan;
	size_t k;

	if (!n)
		return 0;
	head0 = fmax(0, fmin(s[0].head_w, tf_curve_max_w(c)));
	p = tf_slot_green(c, &s[0]);
	if (due_tok <= 0 || !(s[0].dur_s > 0))
		return p;
	need = due_tok * (1 + q->margin);
	fc = malloc(n * sizeof(*fc));
	extra = malloc(n * sizeof(*extra));
	if (!fc || !extra) {
		free(fc);
		free(extra);
		return head0;	/* no plan: the quota first */
	}
	for (k = 0; k < n; k++) {
		fc[k] = s[k];
		if (k) {
			fc[k].green_w *= q->fc_trust;
			fc[k].surplus_w *= q->fc_trust;
		}
	}
	if (!tf_plan_grid(c, fc, n, need, extra, &plan))
		p += extra[0];
	else
		p = head0;
	free(fc);
	free(extra);
	return fmin(p, head0);
}

double tf_policy_batch_now(const struct tf_curve *c,
			   const struct tf_quota_cfg *q, double due_tok,
			   const struct tf_slot *now, double hour_left_s,
			   unsigned int next_lhour, unsigned int hours_left,
			   const struct tf_forecast *fc, tf_slot_fn slot_fn,
			   const void *arg)
{
	struct tf_slot sl[TF_PLAN_SLOTS_MAX];
	double rest = hour_left_s - now->dur_s;
	unsigned int i, lh;
	int first;
	size_t k = 0;

	sl[k++] = *now;
	/* the hour's signal holds for the rest of it */
	if (rest > 0)
		sl[k++] = (struct tf_slot){ rest, now->green_w, now->head_w,
					    now->surplus_w };
	if (hours_left > TF_FC_SLOTS + 1)
		hours_left = TF_FC_SLOTS + 1;
	if (next_lhour > TF_FC_SLOTS - 1)
		next_lhour = TF_FC_SLOTS - 1;
	/* counted back from 23: off by one hour from next_lhour on a DST day */
	first = TF_FC_SLOTS - (int)hours_left;
	for (i = 0; i < hours_left; i++) {
		struct tf_slot s = { 0 };

		lh = next_lhour;
		if (i && first + (int)i > (int)next_lhour)
			lh = (unsigned int)(first + (int)i);
		slot_fn(arg, fc ? tf_fc_get(fc, lh) : 0, lh, &s);
		s.dur_s = 3600;
		sl[k++] = s;
	}
	return tf_batch_power(c, q, due_tok, sl, k);
}

/* ---- readers ---------------------------------------------------------------- */

int tf_read_pairs(FILE *f, const char *name, double *x, double *y,
		  unsigned int max, char *err, size_t errsz)
{
	char line[256], *p, *end;
	unsigned int n = 0;
	long lineno = 0;
	bool header = false;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errsz, "%s:%ld: line too long", name, lineno);
			return -1;
		}
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '#' || *p == '\n' || *p == '\r' || !*p)
			continue;
		if (isalpha((unsigned char)*p) && !n && !header) {
			header = true;
			continue;
		}
		if (n == max) {
			snprintf(err, errsz, "%s:%ld: more than %u points", name, lineno, max);
			return -1;
		}
		errno = 0;
		x[n] = strtod(p, &end);
		if (end == p || errno || !isfinite(x[n]) || *end != ',')
			goto bad;
		p = end + 1;
		y[n] = strtod(p, &end);
		if (end == p || errno || !isfinite(y[n]))
			goto bad;
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end)
			goto bad;
		n++;
		continue;
bad:
		snprintf(err, errsz, "%s:%ld: not \"number,number\"", name, lineno);
		return -1;
	}
	if (!n) {
		snprintf(err, errsz, "%s: no points", name);
		return -1;
	}
	return (int)n;
}

int tf_curve_read(FILE *f, const char *name, struct tf_curve *c,
		  char *err, size_t errsz)
{
	double p[TF_CURVE_MAX], t[TF_CURVE_MAX];
	int n = tf_read_pairs(f, name, p, t, TF_CURVE_MAX, err, errsz);

	if (n < 0)
		return -1;
	if (tf_curve_init(c, p, t, (unsigned int)n)) {
		snprintf(err, errsz, "%s: not a curve: watts and tokens/s >= 0, one point per power, "
			 "no tokens at 0 W, some tokens somewhere", name);
		return -1;
	}
	return 0;
}
