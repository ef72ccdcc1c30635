/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tokens: every group's generated-token counter, read from its worker's
 * Prometheus endpoint ([group] metrics_url, preset or metric) once a tick,
 * turned into tokens per tick; and which of them were green.
 *
 * The green-token rule: the tokens of an interval count green in the
 * proportion that the interval's host energy was covered by surplus,
 * green_ppm = min(1, surplus energy / host energy) (tf_green_ppm(), the same
 * share the module's ledger gets). So a group's green tokens are
 * sum over ticks of tokens × green_ppm / 10^6, kept exact in integers.
 *
 * The module's ledger takes tokens per process (TF_A_LEDGER_TOKENS in a
 * ledger entry), and adds them to the group the process belongs to; there
 * is no per-group token attribute. tf_tokens_to_rows() puts a group's tokens
 * on the ledger row of one of its processes.
 */
#ifndef TF_TOKENS_H
#define TF_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "metrics.h"
#include "promtext.h"
#include "tf_nl.h"

/* One group's figures, cumulative since the agent started. Pure. */
struct tf_tok_acct {
	struct tf_counter ctr;	/* the worker's counter, resets handled */
	uint64_t pending;	/* scraped, not yet booked into a tick */
	uint64_t delta;		/* tokens of the last tick */
	uint64_t tokens;
	uint64_t green_tokens;
	uint64_t green_rem;	/* token-ppm short of the next green token */
	uint64_t energy_uj;	/* the group's energy over the same ticks */
};

/*
 * A tick: the tokens scraped since the last (pending) are booked with the
 * tick's green share and the group's energy of the tick.
 */
void tf_tok_account(struct tf_tok_acct *a, uint64_t energy_uj,
		    uint32_t green_ppm);
/* Joules per token over everything booked; NaN before the first token. */
double tf_tok_j_per_token(const struct tf_tok_acct *a);

/*
 * Adds tokens to the row of pid in rows[0..*n), or appends a row for pid
 * with no energy (the module takes an entry with tokens alone) if *n < cap.
 * 0, or -ENOSPC. Nothing to do for 0 tokens.
 */
int tf_tokens_to_rows(struct tf_ledger_row *rows, unsigned int *n,
		      unsigned int cap, uint32_t pid, uint64_t tokens);

/* The scraper: one per daemon, libcurl, every group's endpoint at once. */
struct tf_tokens;

struct tf_tokens_group {
	char name[TF_CFG_NAME];
	char url[TF_CFG_STR * 4];	/* empty: the group has no counter */
	char metric[TF_CFG_STR];	/* the selector read */
	bool up;			/* the last scrape gave a reading */
	uint64_t scrapes;
	uint64_t scrape_errors;
	struct tf_tok_acct acct;
};

/*
 * One entry per configured group, in order, so indexes are the config's.
 * A group with a metrics_url needs a preset or metric (a metric name with
 * optional labels, `name{label="value"}`); timeout_ms bounds each scrape.
 * 0, or -EINVAL/-ENOMEM with "group NAME: what is wrong" in err.
 */
int tf_tokens_open(struct tf_tokens **out, const struct tf_group_cfg *groups,
		   size_t n, uint64_t timeout_ms, char *err, size_t errsz);
void tf_tokens_close(struct tf_tokens *t);

/*
 * Scrapes every group that has a URL, all at once, for at most the
 * timeout; each reading adds to its group's pending tokens. A failure is
 * logged when it starts or changes, and recovery once. Returns how many
 * groups gave a reading.
 */
int tf_tokens_scrape(struct tf_tokens *t);

/*
 * Books the tick: energy_uj[i] is group i's energy of the tick (NULL:
 * none known), green_ppm the tick's share covered by surplus.
 */
void tf_tokens_tick(struct tf_tokens *t, const uint64_t *energy_uj,
		    uint32_t green_ppm);

/* A group's token figures into its /metrics row (the rest is the caller's). */
void tf_tokens_mx(const struct tf_tokens_group *g, struct tf_mx_group *mg);

size_t tf_tokens_count(const struct tf_tokens *t);
const struct tf_tokens_group *tf_tokens_group(const struct tf_tokens *t,
					      size_t i);

#endif /* TF_TOKENS_H */
