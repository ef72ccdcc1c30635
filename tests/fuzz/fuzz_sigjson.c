// SPDX-License-Identifier: GPL-2.0
/*
 * tf_sig_parse_json (the MQTT payload, and the HTTP shape json) with the
 * default field names, and with dotted paths into nested objects.
 */
#include <string.h>

#include "fuzz.h"
#include "sigparse.h"

static void run(const char *surplus, const char *carbon, const char *price,
		const uint8_t *data, size_t size)
{
	struct tf_source_cfg c;
	struct tf_sigval v;
	char err[TF_SIG_ERR];
	/* an input copied to its exact size: no NUL after it */
	char *p = malloc(size ? size : 1);

	if (!p)
		return;
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "fuzz");
	strcpy(c.surplus_field, surplus);
	strcpy(c.carbon_field, carbon);
	strcpy(c.price_field, price);
	memcpy(p, data, size);
	err[0] = '\0';
	if (tf_sig_parse_json(&c, p, size, &v, err, sizeof(err)))
		(void)strlen(err);	/* the error is a C string */
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run("surplus_w", "carbon_g_kwh", "price_mwh", data, size);
	run("site.surplus.w", "grid.co2", "", data, size);
	return 0;
}
