// SPDX-License-Identifier: GPL-2.0
/*
 * A selector and a page: the input's first line goes to
 * tf_prom_selector_parse (a NUL-terminated copy, as the config holds it),
 * the rest is the page tf_prom_sum reads with it.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "promtext.h"

static int match(const struct tf_prom_sample *s, void *arg)
{
	tf_prom_selector_match(arg, s);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tf_prom_selector sel;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n1 = nl ? (size_t)(nl - data) : size;
	size_t n2 = nl ? size - n1 - 1 : 0;
	char err[128], *s, *page;
	unsigned int n;
	double sum;
	int r;

	s = tf_fuzz_str(data, n1);
	page = malloc(n2 ? n2 : 1);
	if (!s || !page)
		goto out;
	memcpy(page, data + n1 + (nl != NULL), n2);
	r = tf_prom_selector_parse(s, &sel, err, sizeof(err));
	if (r && r != -EINVAL)
		__builtin_trap();
	if (r)
		goto out;
	if (sel.nlabels > TF_PROM_MAX_LABELS)
		__builtin_trap();
	tf_prom_parse(page, n2, match, &sel, err, sizeof(err));
	r = tf_prom_sum(page, n2, &sel, &sum, &n, err, sizeof(err));
	if (!r && (!n || !isfinite(sum) || sum < 0))
		__builtin_trap();
out:
	free(s);
	free(page);
	return 0;
}
