/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small decoder-only transformer for the demo's inference workers.
 *
 * THE WEIGHTS ARE RANDOM: drawn from a fixed-seed PRNG, never trained, so
 * the tokens it produces are meaningless. The compute is real: every token
 * costs one forward pass (embeddings, RMSNorm, causal multi-head attention
 * over a KV cache, a SiLU MLP, the tied output projection), the same kind
 * of work as an LLM's decode step on a CPU, only smaller.
 *
 * Pure computation, no I/O: the worker and the unit tests share it.
 */
#ifndef TFM_H
#define TFM_H

#include <stddef.h>
#include <stdint.h>

struct tfm_config {
	int n_layer;
	int d_model;
	int n_head;	/* divides d_model */
	int n_vocab;
	int n_ctx;	/* positions the KV cache holds */
	int d_ff;	/* MLP width */
};

/* The demo's default: 4 layers, d_model 256, 4 heads, vocab 4096, ctx 256. */
extern const struct tfm_config tfm_default_config;
/*
 * --model tiny: 2 layers, d_model 64, 2 heads, vocab 1024, ctx 128 (about
 * 26 times less work a token): for the demo's VM, where QEMU's TCG emulates
 * every float instruction.
 */
extern const struct tfm_config tfm_tiny_config;

struct tfm_layer {
	float *rms_att;			/* [d] */
	float *wq, *wk, *wv, *wo;	/* [d][d], row-major, out x in */
	float *rms_ffn;			/* [d] */
	float *w1;			/* [d_ff][d] */
	float *w2;			/* [d][d_ff] */
};

struct tfm_model {
	struct tfm_config c;
	float *tok_emb;			/* [vocab][d], also the output projection */
	float *pos_emb;			/* [ctx][d] */
	float *rms_final;		/* [d] */
	struct tfm_layer *layers;
	float *mem;			/* one allocation holds every weight */
	size_t n_params;
};

/* Per sequence: the KV cache and scratch. A model serves many states. */
struct tfm_state {
	int pos;			/* tokens in the cache */
	float *k, *v;			/* [layer][ctx][d] */
	float *x, *xb, *q, *att, *hb, *hb2, *logits;
	float *mem;
};

/* Checks the shape; 0 or -EINVAL. */
int tfm_config_check(const struct tfm_config *c);
/* Allocates and fills the weights from seed. 0, -EINVAL or -ENOMEM. */
int tfm_init(struct tfm_model *m, const struct tfm_config *c, uint64_t seed);
void tfm_free(struct tfm_model *m);

int tfm_state_init(struct tfm_state *s, const struct tfm_model *m);
void tfm_state_reset(struct tfm_state *s);
void tfm_state_free(struct tfm_state *s);

/*
 * One decode step: appends token at s->pos to the KV cache and returns the
 * next token's logits (s->logits, n_vocab of them), or NULL when the token
 * is out of range or the context is full.
 */
const float *tfm_forward(const struct tfm_model *m, struct tfm_state *s,
			 int token);

/*
 * The same function computed without a cache, layer by layer over the
 * whole sequence (the way a prefill would): the last position's logits go
 * to out (n_vocab). A second, independent path that the KV-cache decode
 * must agree with. 0 or -EINVAL/-ENOMEM.
 */
int tfm_forward_full(const struct tfm_model *m, const int *tokens, int n,
		     float *out);

/* Greedy: the lowest index among the largest logits. */
int tfm_argmax(const float *logits, int n);
/* Softmax at temperature temp (> 0) sampled with rng; temp <= 0 is greedy. */
int tfm_sample(const float *logits, int n, float temp, uint64_t *rng);

/* splitmix64: the PRNG behind the weights, prompts and sampling. */
uint64_t tfm_rand(uint64_t *state);

/*
 * Feeds the prompt, then generates up to max_new tokens into out, greedily
 * (temp <= 0) or sampled; stops early when the context is full. Starts from
 * a reset state. Returns the number generated, or -EINVAL.
 */
int tfm_generate(const struct tfm_model *m, struct tfm_state *s,
		 const int *prompt, int n_prompt, int max_new, float temp,
		 uint64_t *rng, int *out);

#endif /* TFM_H */
