/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The worker's parts that need no server: the /generate request's JSON,
 * and /metrics in llama.cpp server's Prometheus text format (the names,
 * types and HELP lines of llama.cpp's tools/server, so that anything that
 * scrapes llama.cpp, tokenfactoryd's "llamacpp" preset first, reads us).
 */
#ifndef TF_DEMO_SERVE_H
#define TF_DEMO_SERVE_H

#include <stddef.h>
#include <stdint.h>

struct tfw_req {
	int prompt_tokens;	/* 1..n_ctx */
	int max_tokens;		/* 0..n_ctx */
	double temperature;	/* 0: greedy (default) */
	uint64_t seed;		/* of the prompt's tokens and sampling */
	int has_seed;
};

/*
 * Parses {"prompt_tokens":N,"max_tokens":M[,"temperature":T][,"seed":S]}.
 * Unknown keys are errors (a typo must not pass silently); n_ctx bounds
 * both counts. 0, or -EINVAL with the reason in err.
 */
int tfw_parse_req(const char *body, size_t len, int n_ctx, struct tfw_req *r,
		  char *err, size_t errsz);

/* Counters since start, as llama.cpp keeps them. */
struct tfw_stats {
	uint64_t prompt_tokens;		/* prompt tokens processed */
	double prompt_seconds;		/* time spent on them */
	uint64_t tokens_predicted;	/* generated tokens */
	double predicted_seconds;	/* time spent generating */
	uint64_t n_decode;		/* forward passes */
	uint64_t n_tokens_max;		/* largest sequence seen */
	unsigned int processing;	/* requests being decoded now */
	unsigned int deferred;		/* requests waiting in the queue */
};

/*
 * Writes the Prometheus text exposition of s into buf. Returns the length
 * (without the NUL), or -ENOSPC when buf is too small.
 */
int tfw_metrics_text(const struct tfw_stats *s, char *buf, size_t len);

#endif /* TF_DEMO_SERVE_H */
