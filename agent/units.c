// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

struct tf_unit {
	const char *name;
	uint64_t scale;		/* base units per unit */
};

/*
 * Parses "<decimal>[unit]" exactly into base units (no floating point, so
 * "0.1W" is 100000 µW, not 99999): at most 9 decimals, no sign, no
 * overflow. The default unit is units[0].
 */
static int tf_parse_scaled(const char *s, const struct tf_unit *units,
			   uint64_t *out)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, scale;
	const char *p = s;
	int digits = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (frac_div >= 1000000000ULL)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_div *= 10;
		}
	}
	if (!digits)
		return -EINVAL;
	if (!*p) {
		scale = units[0].scale;
	} else {
		for (; units->name; units++)
			if (!strcmp(p, units->name))
				break;
		if (!units->name)
			return -EINVAL;
		scale = units->scale;
	}
	if (whole && scale > UINT64_MAX / whole)
		return -ERANGE;
	if (frac * scale % frac_div)
		return -EINVAL;		/* finer than the base unit */
	*out = whole * scale + frac * scale / frac_div;
	return 0;
}

int tf_parse_power_uw(const char *s, uint64_t *uw)
{
	/* case matters: mW is not MW */
	static const struct tf_unit units[] = {
		{ "W", 1000000ULL }, { "w", 1000000ULL }, { "uW", 1 },
		{ "mW", 1000ULL }, { "kW", 1000000000ULL },
		{ "kw", 1000000000ULL }, { "MW", 1000000000000ULL },
		{ NULL, 0 },
	};

	return tf_parse_scaled(s, units, uw);
}

int tf_parse_duration_ms(const char *s, uint64_t *ms)
{
	static const struct tf_unit units[] = {
		{ "s", 1000ULL }, { "ms", 1 }, { "m", 60000ULL },
		{ "min", 60000ULL }, { "h", 3600000ULL },
		{ NULL, 0 },
	};

	return tf_parse_scaled(s, units, ms);
}

int tf_parse_energy_uj(const char *s, uint64_t *uj)
{
	static const struct tf_unit units[] = {
		{ "J", 1000000ULL }, { "uJ", 1 }, { "mJ", 1000ULL },
		{ "kJ", 1000000000ULL }, { "Wh", 3600000000ULL },
		{ "kWh", 3600000000000ULL },
		{ NULL, 0 },
	};

	return tf_parse_scaled(s, units, uj);
}

int tf_parse_fixed(const char *s, uint64_t scale, int64_t *out)
{
	const struct tf_unit units[] = { { "", scale }, { NULL, 0 } };
	bool neg = s && *s == '-';
	uint64_t v;
	int err;

	err = tf_parse_scaled(neg ? s + 1 : s, units, &v);
	if (err)
		return err;
	if (v > INT64_MAX)
		return -ERANGE;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}
