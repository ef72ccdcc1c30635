/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live signal sources at run time: one thread per source (MQTT with
 * libmosquitto, HTTP polling with libcurl, CSV replay, the module's signal
 * over netlink), and a store of each source's last good value. Thread-safe:
 * the daemon reads the combined signal while the sources write.
 *
 * A value is fresh for its source's ttl after it arrived (CLOCK_MONOTONIC),
 * or after it was measured when a JSON payload says so ("ts"; one already
 * past the TTL is rejected); the module's signal keeps the module's TTL.
 * a malformed message is counted, logged (warning, naming the source and the
 * field) and dropped, and the last good value stays until its own TTL.
 * Every accepted value writes 1 to the caller's eventfd.
 */
#ifndef TF_SOURCE_H
#define TF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sigparse.h"

struct tf_sources;

struct tf_source_status {
	char name[TF_CFG_NAME];
	enum tf_source_kind kind;
	bool have;			/* a value ever arrived */
	bool fresh;			/* and it is within its TTL */
	struct tf_sigval last;		/* the last good value */
	uint64_t age_ms;		/* since it arrived */
	uint64_t accepted;		/* messages turned into values */
	uint64_t rejected;		/* malformed messages */
	uint64_t failures;		/* fetches that failed (HTTP, netlink) */
	bool connected;			/* mqtt: connected and subscribed */
	uint64_t connects;		/* mqtt: connections made */
	char last_err[TF_SIG_ERR];	/* empty: none yet */
};

/*
 * Starts n sources (cfg is copied). wake_fd: an eventfd written on every
 * accepted value, or -1. Returns 0, or a negative errno with the reason
 * logged (a CSV trace that cannot be read or parsed, no memory, no thread).
 */
int tf_sources_start(struct tf_sources **out, const struct tf_source_cfg *cfg,
		     size_t n, int wake_fd);
/* Stops every thread, joins them and frees s (NULL is fine). */
void tf_sources_stop(struct tf_sources *s);

/* CLOCK_MONOTONIC in ms, the clock of now_ms below. */
uint64_t tf_sources_now_ms(void);
/*
 * The combined signal at now_ms: the least surplus over the fresh sources
 * (disagreement never raises the budget), with carbon and price from that
 * source (else from any fresh source that has them), its name and the time
 * it stays fresh. false when no source is fresh: budget at the floor.
 */
bool tf_sources_current(struct tf_sources *s, uint64_t now_ms,
			struct tf_sigval *out);
/* Fills up to max entries; returns the number of sources. */
size_t tf_sources_status(struct tf_sources *s, struct tf_source_status *out,
			 size_t max);
size_t tf_sources_count(const struct tf_sources *s);

/*
 * A message for source idx, through the same parse path as the source's
 * own (JSON for mqtt, cfg.shape for http, one "UTC,W" line for csv; module
 * sources take none). Returns 0 when accepted, -1 when rejected (logged,
 * counted) or idx is wrong.
 */
int tf_sources_inject(struct tf_sources *s, size_t idx, const void *payload,
		      size_t len);

#endif /* TF_SOURCE_H */
