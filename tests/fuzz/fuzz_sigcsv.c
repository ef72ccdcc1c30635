// SPDX-License-Identifier: GPL-2.0
/*
 * The CSV replay format: tf_sig_parse_csv on the whole input, and
 * tf_sig_parse_csv_line on each of its lines; a parsed trace must be
 * strictly increasing and tf_csv_at must agree with it.
 */
#include <string.h>

#include "fuzz.h"
#include "sigparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[TF_SIG_ERR];
	struct tf_csv_row row;
	struct tf_csv t;
	const char *b, *e, *nl;
	unsigned int lineno = 0;
	char *p = malloc(size ? size : 1);
	size_t i;

	if (!p)
		return 0;
	memcpy(p, data, size);
	for (b = p, e = p + size; b < e; b = nl + 1) {
		nl = memchr(b, '\n', e - b);
		if (!nl)
			nl = e;
		tf_sig_parse_csv_line(b, nl - b + (nl < e), ++lineno, &row,
				      err, sizeof(err));
	}
	if (!tf_sig_parse_csv(p, size, &t, err, sizeof(err))) {
		if (!t.n)
			__builtin_trap();
		for (i = 0; i < t.n; i++) {
			if (i && t.v[i].t <= t.v[i - 1].t)
				__builtin_trap();
			if (tf_csv_at(&t, t.v[i].t) != (long)i)
				__builtin_trap();
		}
		if (t.v[0].t > INT64_MIN && tf_csv_at(&t, t.v[0].t - 1) != -1)
			__builtin_trap();
		tf_csv_free(&t);
	}
	free(p);
	return 0;
}
