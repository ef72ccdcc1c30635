/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tokenfactoryd's own /metrics (Prometheus text format 0.0.4), served by
 * libmicrohttpd on [metrics] listen. The daemon fills a snapshot each tick
 * and hands it over (copied under a mutex); the HTTP thread renders the
 * latest one. The snapshot is plain arrays of plain structs, so filling it
 * needs nothing but the figures: no other part of the agent is referenced.
 *
 * Names: tokenfactory_ prefix, units in the name (_joules_total, _watts,
 * _tokens_total, _seconds, _ratio). Energies and powers are rendered exactly
 * from µJ and µW (decimal, no floating point).
 */
#ifndef TF_METRICS_H
#define TF_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TF_MX_NAME		64
#define TF_MX_MAX_DOMAINS	64
#define TF_MX_MAX_GROUPS	64
#define TF_MX_MAX_SOURCES	16
#define TF_MX_MAX_ACTUATORS	64

struct tf_mx_domain {
	char name[TF_MX_NAME];		/* host, package-0, dram-0, gpu-0 */
	uint64_t energy_uj;		/* cumulative */
	uint64_t power_uw;
	uint64_t cap_uw;		/* 0: no cap (not rendered) */
	bool estimated;			/* the meter is a model, not RAPL/NVML */
};

struct tf_mx_group {
	char name[TF_MX_NAME];
	char tier[TF_MX_NAME];		/* tf_tier_name(): interactive, batch... */
	uint64_t energy_uj;		/* cumulative, attributed */
	uint64_t power_uw;
	bool has_tokens;		/* a token counter is configured */
	bool tokens_up;			/* its last scrape worked */
	uint64_t tokens;		/* cumulative */
	uint64_t green_tokens;
	uint64_t scrape_errors;
	double j_per_token;		/* NaN: no tokens yet (not rendered) */
	bool frozen;			/* cgroup.freeze */
	bool has_cpu_max;		/* a managed cgroup */
	double cpu_max;			/* cpu.max quota/period in CPUs; <0: "max" */
};

struct tf_mx_source {
	char name[TF_MX_NAME];
	char kind[TF_MX_NAME];		/* mqtt, http, csv, module */
	bool fresh;			/* its latest value is within its TTL */
	uint64_t accepted;
	uint64_t rejected;
};

struct tf_mx_actuator {
	char name[TF_MX_NAME];		/* gpu-0, cgroup/chat, package-0 */
	char state[TF_MX_NAME];		/* applied, clamped, failed, dry-run... */
	uint64_t errors;
};

struct tf_mx_snapshot {
	uint64_t ticks;
	uint64_t conservation_errors;
	uint64_t push_errors;
	bool failsafe;			/* the module applies fail-safe caps */

	bool signal_set;		/* a surplus signal exists */
	bool signal_fresh;
	uint64_t surplus_uw;
	uint64_t signal_age_ms;
	uint64_t budget_uw;		/* the host's power budget now */
	uint32_t green_ppm;		/* last tick's share covered by surplus */

	size_t ndomains, ngroups, nsources, nactuators;
	struct tf_mx_domain domains[TF_MX_MAX_DOMAINS];
	struct tf_mx_group groups[TF_MX_MAX_GROUPS];
	struct tf_mx_source sources[TF_MX_MAX_SOURCES];
	struct tf_mx_actuator actuators[TF_MX_MAX_ACTUATORS];
};

/*
 * Append one item, zeroed but for its name (truncated to fit); NULL when
 * the array is full.
 */
struct tf_mx_domain *tf_mx_add_domain(struct tf_mx_snapshot *s,
				      const char *name);
struct tf_mx_group *tf_mx_add_group(struct tf_mx_snapshot *s,
				    const char *name);
struct tf_mx_source *tf_mx_add_source(struct tf_mx_snapshot *s,
				      const char *name);
struct tf_mx_actuator *tf_mx_add_actuator(struct tf_mx_snapshot *s,
					  const char *name);

/*
 * The exposition of s: *out malloc'ed, NUL-terminated, *len bytes. Pure.
 * 0 or -ENOMEM.
 */
int tf_metrics_render(const struct tf_mx_snapshot *s, char **out,
		      size_t *len);

struct tf_metrics;

/*
 * Serves /metrics on listen: "host:port", "[v6addr]:port" or ":port" (every
 * address); port 0 picks a free one (tf_metrics_port()). Until the first
 * tf_metrics_update() an empty snapshot is served. 0, or -errno with the
 * reason in err.
 */
int tf_metrics_open(struct tf_metrics **out, const char *listen, char *err,
		    size_t errsz);
void tf_metrics_close(struct tf_metrics *m);
unsigned int tf_metrics_port(const struct tf_metrics *m);
void tf_metrics_update(struct tf_metrics *m, const struct tf_mx_snapshot *s);

#endif /* TF_METRICS_H */
