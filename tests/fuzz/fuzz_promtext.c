// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text parser: tf_prom_parse with a callback that copies
 * every sample (tf_prom_sample_copy) and checks its labels, then tf_prom_sum
 * with each preset's selector, as the token scraper calls it.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "promtext.h"

static int check(const struct tf_prom_sample *s, void *arg)
{
	struct tf_prom_sample *copy = arg;
	unsigned int i;

	tf_prom_sample_copy(copy, s);
	if (s->nlabels > TF_PROM_MAX_LABELS || !memchr(s->name, 0, sizeof(s->name)))
		__builtin_trap();
	for (i = 0; i < copy->nlabels; i++) {
		/* the copy's labels point into its own buffer */
		if (copy->labels[i].name < copy->buf ||
		    copy->labels[i].name >= copy->buf + sizeof(copy->buf) ||
		    strcmp(copy->labels[i].name, s->labels[i].name) ||
		    strcmp(copy->labels[i].value, s->labels[i].value))
			__builtin_trap();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const presets[] = { "vllm", "llamacpp", "sglang", "tgi" };
	static struct tf_prom_sample copy;
	static struct tf_prom_selector sel;
	char err[128];
	unsigned int n;
	double sum;
	size_t i;
	int r;
	char *p = malloc(size ? size : 1);

	if (!p)
		return 0;
	memcpy(p, data, size);	/* no NUL after it */
	r = tf_prom_parse(p, size, check, &copy, err, sizeof(err));
	if (r && r != -EINVAL)
		__builtin_trap();
	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		if (tf_prom_selector_parse(tf_prom_preset_metric(presets[i]),
					   &sel, err, sizeof(err)))
			__builtin_trap();
		r = tf_prom_sum(p, size, &sel, &sum, &n, err, sizeof(err));
		if (!r && (!n || !isfinite(sum) || sum < 0))
			__builtin_trap();
		if (r && r != -ENOENT && r != -EINVAL && r != -ERANGE)
			__builtin_trap();
	}
	free(p);
	return 0;
}
