/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's accounting tick: heartbeat to the module, GPU meters pushed,
 * every domain's energy delta attributed to the processes the sensor saw,
 * and the result pushed to the module's ledger.
 */
#ifndef TF_AGENT_H
#define TF_AGENT_H

#include <stdbool.h>
#include <stdint.h>

struct tf_agent;

struct tf_agent_opts {
	unsigned int max_procs;		/* sensor map size */
	bool counters;			/* weigh by cycles where the CPU counts them */
	bool gpus;			/* look for NVML */
};

/* Per-tick figures, for logs, tests and the agent's own metrics. */
struct tf_agent_stats {
	uint64_t ticks;
	uint64_t procs;			/* rows pushed in the last tick */
	uint64_t attributed_uj;		/* last tick, all domains */
	uint64_t remainder_uj;		/* last tick: idle/system */
	uint64_t metered_uj;		/* last tick: sum of the domains' deltas */
	uint64_t conservation_errors;	/* ticks where the three did not add up */
	uint64_t push_errors;
	uint32_t green_ppm;		/* last tick: share covered by surplus */
	unsigned int gpus;
	unsigned int drm_gpus;		/* of them, weighed by DRM fdinfo */
	bool counters;			/* weights are cycles (else on-CPU time) */
};

int tf_agent_open(struct tf_agent **out, const struct tf_agent_opts *o);
/*
 * What the last failed tf_agent_open() on this thread could not do, for
 * the log: "netlink: ... (is tokenfactory.ko loaded?)" or "sensor: loading
 * the BPF object into the kernel failed: ...; needs ...".
 */
const char *tf_agent_error(void);
void tf_agent_close(struct tf_agent *a);
/* One tick; 0, or -errno when the module could not be reached. */
int tf_agent_tick(struct tf_agent *a);
const struct tf_agent_stats *tf_agent_stats(const struct tf_agent *a);

#endif /* TF_AGENT_H */
