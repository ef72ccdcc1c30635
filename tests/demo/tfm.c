// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's transformer (see tfm.h): random weights from a fixed seed, so
 * meaningless tokens, but every token is a real forward pass.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tfm.h"

const struct tfm_config tfm_default_config = {
	.n_layer = 4, .d_model = 256, .n_head = 4, .n_vocab = 4096,
	.n_ctx = 256, .d_ff = 1024,
};

const struct tfm_config tfm_tiny_config = {
	.n_layer = 2, .d_model = 64, .n_head = 2, .n_vocab = 1024,
	.n_ctx = 128, .d_ff = 256,
};

uint64_t tfm_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [-scale, scale): 24 random bits, exact in a float. */
static float tfm_uniform(uint64_t *rng, float scale)
{
	float u = (float)(tfm_rand(rng) >> 40) * (1.0f / 16777216.0f);

	return (2.0f * u - 1.0f) * scale;
}

int tfm_config_check(const struct tfm_config *c)
{
	if (c->n_layer < 1 || c->n_layer > 64 || c->d_model < 1 ||
	    c->d_model > 8192 || c->n_head < 1 || c->d_model % c->n_head ||
	    c->n_vocab < 2 || c->n_vocab > 1 << 20 || c->n_ctx < 1 ||
	    c->n_ctx > 1 << 16 || c->d_ff < 1 || c->d_ff > 1 << 16)
		return -EINVAL;
	return 0;
}

int tfm_init(struct tfm_model *m, const struct tfm_config *c, uint64_t seed)
{
	size_t d, ff, per_layer, n;
	float *p;
	uint64_t rng = seed;
	int l;

	memset(m, 0, sizeof(*m));
	if (tfm_config_check(c))
		return -EINVAL;
	d = c->d_model;
	ff = c->d_ff;
	per_layer = 2 * d + 4 * d * d + 2 * d * ff;
	n = (size_t)c->n_vocab * d + (size_t)c->n_ctx * d + d +
	    per_layer * c->n_layer;
	m->mem = malloc(n * sizeof(float));
	m->layers = calloc(c->n_layer, sizeof(*m->layers));
	if (!m->mem || !m->layers) {
		tfm_free(m);
		return -ENOMEM;
	}
	m->c = *c;
	m->n_params = n;

	/* Uniform with the 1/sqrt(fan_in) scale keeps activations O(1). */
	p = m->mem;
	m->tok_emb = p;
	for (size_t i = 0; i < (size_t)c->n_vocab * d; i++)
		*p++ = tfm_uniform(&rng, 1.0f);
	m->pos_emb = p;
	for (size_t i = 0; i < (size_t)c->n_ctx * d; i++)
		*p++ = tfm_uniform(&rng, 0.5f);
	m->rms_final = p;
	for (size_t i = 0; i < d; i++)
		*p++ = 1.0f;
	for (l = 0; l < c->n_layer; l++) {
		struct tfm_layer *L = &m->layers[l];
		float sd = 1.0f / sqrtf((float)d), sf = 1.0f / sqrtf((float)ff);
		float **mats[] = { &L->wq, &L->wk, &L->wv, &L->wo };

		L->rms_att = p;
		for (size_t i = 0; i < d; i++)
			*p++ = 1.0f;
		for (size_t k = 0; k < 4; k++) {
			*mats[k] = p;
			for (size_t i = 0; i < d * d; i++)
				*p++ = tfm_uniform(&rng, sd);
		}
		L->rms_ffn = p;
		for (size_t i = 0; i < d; i++)
			*p++ = 1.0f;
		L->w1 = p;
		for (size_t i = 0; i < ff * d; i++)
			*p++ = tfm_uniform(&rng, sd);
		L->w2 = p;
		for (size_t i = 0; i < d * ff; i++)
			*p++ = tfm_uniform(&rng, sf);
	}
	return 0;
}

void tfm_free(struct tfm_model *m)
{
	free(m->mem);
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

int tfm_state_init(struct tfm_state *s, const struct tfm_model *m)
{
	size_t d = m->c.d_model, ff = m->c.d_ff;
	size_t kv = (size_t)m->c.n_layer * m->c.n_ctx * d;
	size_t n = 2 * kv + 3 * d + m->c.n_ctx + 2 * ff + m->c.n_vocab;
	float *p;

	memset(s, 0, sizeof(*s));
	s->mem = calloc(n, sizeof(float));
	if (!s->mem)
		return -ENOMEM;
	p = s->mem;
	s->k = p;
	p += kv;
	s->v = p;
	p += kv;
	s->x = p;
	p += d;
	s->xb = p;
	p += d;
	s->q = p;
	p += d;
	s->att = p;
	p += m->c.n_ctx;
	s->hb = p;
	p += ff;
	s->hb2 = p;
	p += ff;
	s->logits = p;
	return 0;
}

void tfm_state_reset(struct tfm_state *s)
{
	s->pos = 0;
}

void tfm_state_free(struct tfm_state *s)
{
	free(s->mem);
	memset(s, 0, sizeof(*s));
}

/* out[r] = W[r][:] . in; four sums for the pipeline, always the same order. */
static void matvec(float *out, const float *w, const float *in, int rows,
		   int cols)
{
	for (int r = 0; r < rows; r++) {
		const float *row = w + (size_t)r * cols;
		float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
		int c = 0;

		for (; c + 4 <= cols; c += 4) {
			a0 += row[c] * in[c];
			a1 += row[c + 1] * in[c + 1];
			a2 += row[c + 2] * in[c + 2];
			a3 += row[c + 3] * in[c + 3];
		}
		for (; c < cols; c++)
			a0 += row[c] * in[c];
		out[r] = (a0 + a1) + (a2 + a3);
	}
}

static void rmsnorm(float *out, const float *x, const float *g, int n)
{
	float ss = 0;

	for (int i = 0; i < n; i++)
		ss += x[i] * x[i];
	ss = 1.0f / sqrtf(ss / n + 1e-5f);
	for (int i = 0; i < n; i++)
		out[i] = g[i] * x[i] * ss;
}

static void softmax(float *x, int n)
{
	float max = x[0], sum = 0;

	for (int i = 1; i < n; i++)
		if (x[i] > max)
			max = x[i];
	for (int i = 0; i < n; i++) {
		x[i] = expf(x[i] - max);
		sum += x[i];
	}
	for (int i = 0; i < n; i++)
		x[i] /= sum;
}

/*
 * Causal attention of one query over keys/values 0..last (row stride d),
 * head by head, into out (d). att: scratch for last + 1 scores.
 */
static void attend(float *out, const float *q, const float *k, const float *v,
		   int last, int d, int n_head, float *att)
{
	int hs = d / n_head;
	float scale = 1.0f / sqrtf((float)hs);

	for (int h = 0; h < n_head; h++) {
		const float *qh = q + h * hs;
		float *oh = out + h * hs;

		for (int t = 0; t <= last; t++) {
			const float *kh = k + (size_t)t * d + h * hs;
			float s = 0;

			for (int i = 0; i < hs; i++)
				s += qh[i] * kh[i];
			att[t] = s * scale;
		}
		softmax(att, last + 1);
		memset(oh, 0, hs * sizeof(float));
		for (int t = 0; t <= last; t++) {
			const float *vh = v + (size_t)t * d + h * hs;

			for (int i = 0; i < hs; i++)
				oh[i] += att[t] * vh[i];
		}
	}
}

static void silu(float *x, int n)
{
	for (int i = 0; i < n; i++)
		x[i] = x[i] / (1.0f + expf(-x[i]));
}

/* x += MLP(rmsnorm(x)); xb and hb (d_ff), hb2 (>= d) are scratch. */
static void ffn(const struct tfm_model *m, const struct tfm_layer *L,
		float *x, float *xb, float *hb, float *hb2)
{
	int d = m->c.d_model, ff = m->c.d_ff;

	rmsnorm(xb, x, L->rms_ffn, d);
	matvec(hb, L->w1, xb, ff, d);
	silu(hb, ff);
	matvec(hb2, L->w2, hb, d, ff);
	for (int i = 0; i < d; i++)
		x[i] += hb2[i];
}

static void embed(const struct tfm_model *m, float *x, int token, int pos)
{
	int d = m->c.d_model;
	const float *te = m->tok_emb + (size_t)token * d;
	const float *pe = m->pos_emb + (size_t)pos * d;

	for (int i = 0; i < d; i++)
		x[i] = te[i] + pe[i];
}

const float *tfm_forward(const struct tfm_model *m, struct tfm_state *s,
			 int token)
{
	int d = m->c.d_model, pos = s->pos;

	if (token < 0 || token >= m->c.n_vocab || pos >= m->c.n_ctx)
		return NULL;
	embed(m, s->x, token, pos);
	for (int l = 0; l < m->c.n_layer; l++) {
		const struct tfm_layer *L = &m->layers[l];
		size_t base = (size_t)l * m->c.n_ctx * d;
		float *kc = s->k + base, *vc = s->v + base;

		rmsnorm(s->xb, s->x, L->rms_att, d);
		matvec(s->q, L->wq, s->xb, d, d);
		matvec(kc + (size_t)pos * d, L->wk, s->xb, d, d);
		matvec(vc + (size_t)pos * d, L->wv, s->xb, d, d);
		attend(s->xb, s->q, kc, vc, pos, d, m->c.n_head, s->att);
		matvec(s->hb2, L->wo, s->xb, d, d);
		for (int i = 0; i < d; i++)
			s->x[i] += s->hb2[i];
		ffn(m, L, s->x, s->xb, s->hb, s->hb2);
	}
	rmsnorm(s->x, s->x, m->rms_final, d);
	matvec(s->logits, m->tok_emb, s->x, m->c.n_vocab, d);
	s->pos++;
	return s->logits;
}

int tfm_forward_full(const struct tfm_model *m, const int *tokens, int n,
		     float *out)
{
	int d = m->c.d_model, ff = m->c.d_ff;
	size_t nd;
	float *X, *XB, *Q, *K, *V, *att, *hb, *hb2, *mem;

	if (n < 1 || n > m->c.n_ctx)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (tokens[i] < 0 || tokens[i] >= m->c.n_vocab)
			return -EINVAL;
	nd = (size_t)n * d;
	mem = malloc((5 * nd + n + 2 * (size_t)ff) * sizeof(float));
	if (!mem)
		return -ENOMEM;
	X = mem;
	XB = X + nd;
	Q = XB + nd;
	K = Q + nd;
	V = K + nd;
	att = V + nd;
	hb = att + n;
	hb2 = hb + ff;

	for (int i = 0; i < n; i++)
		embed(m, X + (size_t)i * d, tokens[i], i);
	for (int l = 0; l < m->c.n_layer; l++) {
		const struct tfm_layer *L = &m->layers[l];

		/* every position's Q, K, V first, then attention over them */
		for (int i = 0; i < n; i++) {
			size_t o = (size_t)i * d;

			rmsnorm(XB + o, X + o, L->rms_att, d);
			matvec(Q + o, L->wq, XB + o, d, d);
			matvec(K + o, L->wk, XB + o, d, d);
			matvec(V + o, L->wv, XB + o, d, d);
		}
		for (int i = 0; i < n; i++) {
			size_t o = (size_t)i * d;

			attend(XB + o, Q + o, K, V, i, d, m->c.n_head, att);
			matvec(hb2, L->wo, XB + o, d, d);
			for (int j = 0; j < d; j++)
				X[o + j] += hb2[j];
		}
		for (int i = 0; i < n; i++) {
			size_t o = (size_t)i * d;

			ffn(m, L, X + o, XB + o, hb, hb2);
		}
	}
	rmsnorm(XB, X + (size_t)(n - 1) * d, m->rms_final, d);
	matvec(out, m->tok_emb, XB, m->c.n_vocab, d);
	free(mem);
	return 0;
}

int tfm_argmax(const float *logits, int n)
{
	int best = 0;

	for (int i = 1; i < n; i++)
		if (logits[i] > logits[best])
			best = i;
	return best;
}

int tfm_sample(const float *logits, int n, float temp, uint64_t *rng)
{
	double sum = 0, u, acc = 0;
	float max;

	if (temp <= 0)
		return tfm_argmax(logits, n);
	max = logits[tfm_argmax(logits, n)];
	for (int i = 0; i < n; i++)
		sum += exp((logits[i] - max) / temp);
	u = (double)(tfm_rand(rng) >> 11) * (1.0 / 9007199254740992.0) * sum;
	for (int i = 0; i < n; i++) {
		acc += exp((logits[i] - max) / temp);
		if (u < acc)
			return i;
	}
	return n - 1;
}

int tfm_generate(const struct tfm_model *m, struct tfm_state *s,
		 const int *prompt, int n_prompt, int max_new, float temp,
		 uint64_t *rng, int *out)
{
	const float *logits = NULL;
	int n = 0;

	if (n_prompt < 1 || max_new < 0 || n_prompt > m->c.n_ctx)
		return -EINVAL;
	tfm_state_reset(s);
	for (int i = 0; i < n_prompt; i++) {
		logits = tfm_forward(m, s, prompt[i]);
		if (!logits)
			return -EINVAL;
	}
	while (n < max_new) {
		int tok = tfm_sample(logits, m->c.n_vocab, temp, rng);

		out[n++] = tok;
		/* the last token needs no forward pass of its own */
		if (n == max_new || s->pos >= m->c.n_ctx)
			break;
		logits = tfm_forward(m, s, tok);
	}
	return n;
}
