// SPDX-License-Identifier: GPL-2.0
/*
 * tf_caiso_read (CAISO's curtailment report) via fmemopen, all days and a
 * window of days.
 */
#include <stdio.h>

#include "fuzz.h"
#include "trace.h"

static void run(const uint8_t *data, size_t size, long from, long to)
{
	struct tf_trace t;
	char err[512];
	size_t i;
	FILE *f = fmemopen((void *)data, size, "r");

	if (!f)
		return;
	if (!tf_caiso_read(f, "fuzz", from, to, &t, err, sizeof(err))) {
		for (i = 1; i < t.n; i++)
			if (t.v[i].t != t.v[i - 1].t + 3600)
				__builtin_trap();	/* every hour */
		tf_trace_free(&t);
	}
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;	/* fmemopen refuses an empty buffer */
	run(data, size, 0, 0);
	run(data, size, 20170311, 20170313);
	return 0;
}
