// SPDX-License-Identifier: GPL-2.0
/*
 * tf_sig_parse_http for every shape (watttime, electricitymaps,
 * carbonaware, json), each at a few times around the seeds' points
 * (2024-05-01T12:00:00Z) so that before, inside and after a forecast are
 * all reached.
 */
#include <string.h>

#include "fuzz.h"
#include "sigparse.h"

#define S	1000000000LL
#define NOON	(1714564800LL * S)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum tf_http_shape shapes[] = {
		TF_HTTP_WATTTIME, TF_HTTP_EMAPS, TF_HTTP_CARBONAWARE, TF_HTTP_JSON,
	};
	static const int64_t nows[] = {
		NOON - 3 * 60 * S, NOON + 7 * 60 * S, NOON + 90 * 60 * S, 0,
	};
	struct tf_source_cfg c;
	struct tf_sigval v;
	char err[TF_SIG_ERR];
	size_t i, j;
	char *p = malloc(size ? size : 1);

	if (!p)
		return 0;
	memcpy(p, data, size);
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "fuzz");
	strcpy(c.surplus_field, "surplus_w");
	strcpy(c.carbon_field, "carbon_g_kwh");
	strcpy(c.price_field, "price_mwh");
	c.value_low = 100;
	c.value_high = 500;
	c.surplus_max_uw = 1000000000ULL;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		c.shape = shapes[i];
		for (j = 0; j < sizeof(nows) / sizeof(nows[0]); j++) {
			err[0] = '\0';
			if (tf_sig_parse_http(&c, p, size, nows[j], &v, err,
					      sizeof(err)))
				(void)strlen(err);
			else if (v.surplus_uw > c.surplus_max_uw &&
				 c.shape != TF_HTTP_JSON)
				__builtin_trap();	/* the mapping clamps */
		}
	}
	free(p);
	return 0;
}
