/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers of the live signals' payloads: the MQTT/JSON shape, WattTime v3,
 * Electricity Maps v3, the GSF Carbon Aware SDK's current forecast, the CSV
 * replay format (tf-caiso's "UTC_SECONDS,SURPLUS_W") and the module's own
 * signal. Pure: no I/O, no clock (the caller passes now). Every parser
 * returns 0, or -1 with an error that names the field, e.g.
 * "surplus_w: not a number", "data[0].value: missing",
 * "line 12: bad timestamp".
 */
#ifndef TF_SIGPARSE_H
#define TF_SIGPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define TF_SIG_PAYLOAD_MAX	(1024 * 1024)	/* a bigger payload is refused */
#define TF_SIG_ERR		256		/* room for an error message */

/* One reading of a source, in the protocol's units (TF_A_SIGNAL_*). */
struct tf_sigval {
	uint64_t surplus_uw;
	bool has_carbon, has_price;
	uint32_t carbon_mg_kwh;		/* gCO2/kWh × 1000 */
	int64_t price_ucur_mwh;		/* currency/MWh × 10^6, may be negative */
	uint64_t timestamp_ns;		/* UTC, when measured; 0: unknown */
	/* filled by tf_sources_current(): */
	char source[TF_CFG_NAME];	/* the source whose value this is */
	uint64_t ttl_left_ms;		/* until it goes stale */
};

/*
 * A JSON object: cfg's surplus_field (watts, a number ≥ 0, finite),
 * optional carbon_field (gCO2/kWh) and price_field (currency/MWh), and an
 * optional "ts" (ISO 8601 string or epoch seconds). Field names are dotted
 * paths into nested objects; an empty carbon or price field is not read.
 */
int tf_sig_parse_json(const struct tf_source_cfg *cfg, const char *buf,
		      size_t len, struct tf_sigval *out, char *err,
		      size_t errsz);

/*
 * The HTTP shapes (cfg->shape), at now_ns (UTC). Carbon values map to
 * surplus by cfg's value_low/value_high/surplus_max_uw. The point that
 * applies is the latest one not after now; in a forecast, the one whose
 * period covers now (its first point may lie up to one period ahead).
 */
int tf_sig_parse_watttime(const struct tf_source_cfg *cfg, const char *buf,
			  size_t len, int64_t now_ns, struct tf_sigval *out,
			  char *err, size_t errsz);
int tf_sig_parse_emaps(const struct tf_source_cfg *cfg, const char *buf,
		       size_t len, int64_t now_ns, struct tf_sigval *out,
		       char *err, size_t errsz);
int tf_sig_parse_carbonaware(const struct tf_source_cfg *cfg, const char *buf,
			     size_t len, int64_t now_ns, struct tf_sigval *out,
			     char *err, size_t errsz);
/* Dispatches on cfg->shape (TF_HTTP_JSON: tf_sig_parse_json). */
int tf_sig_parse_http(const struct tf_source_cfg *cfg, const char *buf,
		      size_t len, int64_t now_ns, struct tf_sigval *out,
		      char *err, size_t errsz);

/* surplus_max × (high − value) / (high − low), clamped to [0, max]. */
int tf_sig_carbon_to_surplus(const struct tf_source_cfg *cfg, double value,
			     uint64_t *surplus_uw, char *err, size_t errsz);

/* ISO 8601 (2024-05-01T12:00:00.5Z, +02:00, +0200) to UTC ns. */
int tf_sig_parse_iso8601(const char *s, int64_t *ns);

/* ---- CSV replay ---------------------------------------------------------- */

struct tf_csv_row {
	int64_t t;		/* UTC seconds */
	uint64_t surplus_uw;
};

struct tf_csv {
	struct tf_csv_row *v;	/* strictly increasing t */
	size_t n;
};

/*
 * One line (without or with its "\n"): returns 0 for a row, 1 for a line
 * without one (blank, or a "#" comment), -1 with "line N: ..." in err.
 */
int tf_sig_parse_csv_line(const char *line, size_t len, unsigned int lineno,
			  struct tf_csv_row *row, char *err, size_t errsz);
/* A whole trace: at least one row, times strictly increasing. */
int tf_sig_parse_csv(const char *buf, size_t len, struct tf_csv *out,
		     char *err, size_t errsz);
void tf_csv_free(struct tf_csv *c);
/* The row that applies at t (the last one ≤ t), or -1 before the first. */
long tf_csv_at(const struct tf_csv *c, int64_t t);

/* ---- the module's signal ------------------------------------------------- */

struct tf_signal_info;
/*
 * A signal read with tf_nl_signal_get(): its value, and how long it stays
 * fresh by the module's own TTL (ttl − age). -1 when none is set or it is
 * stale.
 */
int tf_sig_from_module(const struct tf_signal_info *si, struct tf_sigval *out,
		       uint64_t *ttl_left_ms, char *err, size_t errsz);

#endif /* TF_SIGPARSE_H */
