/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus text exposition format (version 0.0.4), read: what an
 * inference server's /metrics answers (vLLM, llama.cpp, SGLang, TGI), so
 * the agent can read its generated-token counter. Pure: text in, samples
 * out; no I/O, no allocation.
 *
 * Grammar (per line, "\n" separated, a "\r" before it tolerated):
 *   empty
 *   # HELP name docstring            (docstring escapes: \\ \n)
 *   # TYPE name counter|gauge|histogram|summary|untyped
 *   # anything else                  (a comment)
 *   name[{label="value",...}] value [timestamp_ms]
 * Names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*,
 * label values escape \\ \" \n; a trailing comma in a label set is allowed.
 * Values are Go ParseFloat's: decimals, exponents, +Inf, -Inf, NaN.
 */
#ifndef TF_PROMTEXT_H
#define TF_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TF_PROM_NAME		256	/* metric and label names, with the NUL */
#define TF_PROM_MAX_LABELS	32
#define TF_PROM_LABEL_BUF	8192	/* all of one sample's label values */

enum tf_prom_type {
	TF_PROM_UNTYPED = 0,
	TF_PROM_COUNTER,
	TF_PROM_GAUGE,
	TF_PROM_HISTOGRAM,
	TF_PROM_SUMMARY,
};

struct tf_prom_label {
	const char *name;	/* point into the sample's buf */
	const char *value;	/* unescaped */
};

struct tf_prom_sample {
	char name[TF_PROM_NAME];
	unsigned int nlabels;
	struct tf_prom_label labels[TF_PROM_MAX_LABELS];
	double value;
	bool has_ts;
	int64_t ts_ms;
	/*
	 * The TYPE of the family the sample belongs to: the latest TYPE line
	 * for its name, or for its name less _sum/_count/_bucket (histogram,
	 * summary) or _total/_created (counter).
	 */
	enum tf_prom_type type;
	unsigned int line;	/* 1-based */
	char buf[TF_PROM_LABEL_BUF];
};

/*
 * Called for each sample; a non-zero return stops the parse with it. The
 * sample lives for the call: keep one with tf_prom_sample_copy() (its label
 * pointers point into its own buf).
 */
typedef int (*tf_prom_cb)(const struct tf_prom_sample *s, void *arg);

/*
 * Parses text[0..len) (need not be NUL-terminated). Returns 0, the
 * callback's non-zero return, or -EINVAL with "line N: what is wrong" in
 * err (a malformed line anywhere fails the whole text, as Prometheus's own
 * scrape does).
 */
int tf_prom_parse(const char *text, size_t len, tf_prom_cb cb, void *arg,
		  char *err, size_t errsz);

void tf_prom_sample_copy(struct tf_prom_sample *dst,
			 const struct tf_prom_sample *src);

/* A metric name and the labels a sample must carry (equality only). */
struct tf_prom_selector {
	char name[TF_PROM_NAME];
	unsigned int nlabels;
	struct tf_prom_label labels[TF_PROM_MAX_LABELS];
	char buf[TF_PROM_LABEL_BUF];
};

/*
 * Parses `name` or `name{label="value",...}` (the exposition's own label
 * syntax) into sel. 0, or -EINVAL with the reason in err.
 */
int tf_prom_selector_parse(const char *s, struct tf_prom_selector *sel,
			   char *err, size_t errsz);
bool tf_prom_selector_match(const struct tf_prom_selector *sel,
			    const struct tf_prom_sample *s);

/*
 * The sum of the selected series: every sample named sel->name carrying
 * sel's labels (any others too), so a server exporting one series per model
 * or engine counts them all. *nseries: how many matched. Returns 0, -ENOENT
 * (no sample matched; err names the metric), -EINVAL (malformed text) or
 * -ERANGE (a matched value is negative, NaN or infinite: no counter is).
 */
int tf_prom_sum(const char *text, size_t len,
		const struct tf_prom_selector *sel, double *sum,
		unsigned int *nseries, char *err, size_t errsz);

/*
 * The generated-token counter of a known server: vllm, llamacpp, sglang,
 * tgi. NULL for an unknown preset.
 */
const char *tf_prom_preset_metric(const char *preset);

/*
 * A counter read at successive scrapes turned into a monotonic delta. The
 * first reading is the baseline (delta 0: what the worker made before we
 * watched is not this interval's). A reading below the last one is a reset
 * (the worker restarted from 0), so the new reading is all new. Whole units:
 * a server's "1234.0" is 1234 tokens.
 */
struct tf_counter {
	bool primed;
	uint64_t last;
	uint64_t resets;
};

uint64_t tf_counter_step(struct tf_counter *c, double value);

#endif /* TF_PROMTEXT_H */
