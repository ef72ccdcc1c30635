/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Quantities as operators type them ("250W", "1.5kW", "30s", "5m") and as
 * the protocol carries them (µW, ms). Shared by tfctl, the agent and tests.
 */
#ifndef TF_UNITS_H
#define TF_UNITS_H

#include <stdint.h>

/* Power: a decimal number with an optional unit uW, mW, W (default), kW, MW. */
int tf_parse_power_uw(const char *s, uint64_t *uw);
/* Duration: a decimal number with an optional unit ms, s (default), m, h. */
int tf_parse_duration_ms(const char *s, uint64_t *ms);
/* Energy: a decimal number with an optional unit uJ, mJ, J (default), kJ, Wh, kWh. */
int tf_parse_energy_uj(const char *s, uint64_t *uj);

/* A plain signed decimal, times scale (e.g. 1000 for milli units). */
int tf_parse_fixed(const char *s, uint64_t scale, int64_t *out);

#endif /* TF_UNITS_H */
