// SPDX-License-Identifier: GPL-2.0
/* tf_series_read (a surplus series, "UTC_SECONDS,SURPLUS_W") via fmemopen. */
#include <math.h>
#include <stdio.h>

#include "fuzz.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_series se;
	char err[512];
	size_t i;
	FILE *f;

	if (!size)
		return 0;	/* fmemopen refuses an empty buffer */
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (!tf_series_read(f, "fuzz", &se, err, sizeof(err))) {
		if (!se.n)
			__builtin_trap();
		for (i = 0; i < se.n; i++)
			if ((i && se.t[i] <= se.t[i - 1]) || !isfinite(se.w[i]))
				__builtin_trap();
		tf_series_free(&se);
	}
	fclose(f);
	return 0;
}
