/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tokenfactoryd's configuration: /etc/tokenfactory/tokenfactoryd.conf, INI
 * read with libinih. One struct for the whole daemon; the signal sources,
 * actuators, token scrapers and /metrics take their part of it. Units are
 * the protocol's (µW, ms) so nothing converts twice. The commented example
 * is packaging/tokenfactoryd.conf; tokenfactoryd(8) documents every key.
 *
 * Sections:
 *   [agent]            interval, max_procs, counters, gpus, dry_run,
 *                      cgroup_root, log_level, timezone, clock
 *   [budget]           floor, ceiling, share, ramp, hysteresis, cpu_watts,
 *                      cpu_idle_watts, history, forecast_days, margin,
 *                      fc_trust, host_max
 *   [metrics]          listen
 *   [source NAME]      type = mqtt | http | csv | module, ttl, ...
 *   [group NAME]       tier, cgroup, reserved, demand, pids, metrics_url,
 *                      preset, metric, quota, curve
 *   [gpu N]            lever = power | clocks | none, min_clock, max_clock
 */
#ifndef TF_CONFIG_H
#define TF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"

#define TF_CFG_NAME	32	/* = TF_NAME_MAX of the uapi, with the NUL */
#define TF_CFG_STR	256
#define TF_CFG_PATH	4096

#define TF_CONFIG_PATH	"/etc/tokenfactory/tokenfactoryd.conf"

enum tf_source_kind {
	TF_SRC_MQTT = 1,
	TF_SRC_HTTP,
	TF_SRC_CSV,
	TF_SRC_MODULE,	/* the module's signal (tfctl signal set) */
};

/* The response shapes an HTTP source understands. */
enum tf_http_shape {
	TF_HTTP_WATTTIME = 1,	/* WattTime v3: data[].point_time/value, meta.signal_type */
	TF_HTTP_EMAPS,		/* Electricity Maps: history[]/forecast[] carbonIntensity, datetime */
	TF_HTTP_CARBONAWARE,	/* GSF Carbon Aware SDK /emissions/forecasts/current */
	TF_HTTP_JSON,		/* the MQTT payload shape, over HTTP */
};

struct tf_source_cfg {
	char name[TF_CFG_NAME];
	enum tf_source_kind kind;
	uint64_t ttl_ms;		/* a value older than this is stale */

	/* mqtt */
	char host[TF_CFG_STR];		/* default localhost */
	uint16_t port;			/* default 1883 */
	char topic[TF_CFG_STR];
	char client_id[TF_CFG_STR];	/* default tokenfactoryd-<hostname> */
	char username[TF_CFG_STR];
	char password[TF_CFG_STR];
	char cafile[TF_CFG_PATH];	/* set: TLS */
	uint32_t keepalive_s;		/* default 30 */
	uint64_t reconnect_max_ms;	/* backoff ceiling, default 30 s */

	/*
	 * JSON payload (mqtt and shape json): the field holding the surplus
	 * in watts, and optional carbon intensity (gCO2/kWh) and price
	 * (currency/MWh) fields. Dotted paths reach into objects.
	 */
	char surplus_field[TF_CFG_STR];	/* default surplus_w */
	char carbon_field[TF_CFG_STR];	/* default carbon_g_kwh */
	char price_field[TF_CFG_STR];	/* default price_mwh */

	/* http */
	char url[TF_CFG_STR * 4];
	enum tf_http_shape shape;
	uint64_t period_ms;		/* poll period, default 5 min */
	uint64_t timeout_ms;		/* request timeout, default 10 s */
	char header[TF_CFG_STR];	/* one extra header, e.g. Authorization */
	/*
	 * Carbon and MOER signals carry no watts: the host's surplus is
	 * surplus_max × (value_high − value) / (value_high − value_low),
	 * clamped to [0, surplus_max]. Low carbon reads as surplus.
	 */
	double value_low;
	double value_high;
	uint64_t surplus_max_uw;

	/* csv: lines "UTC_SECONDS,SURPLUS_W" (tf-caiso's output) */
	char path[TF_CFG_PATH];
	double accel;			/* trace seconds per wall second, default 1 */
	int64_t start;			/* trace time to start at; 0: first row */
	bool loop;

	/*
	 * mqtt and json: the payload's "ts" is a replayed trace's clock (make
	 * demo): it stamps the value, for [agent] clock = signal, but does
	 * not age it against the wall clock.
	 */
	bool replay;
};

struct tf_group_cfg {
	char name[TF_CFG_NAME];
	uint32_t tier;			/* enum tf_tier */
	char cgroup[TF_CFG_PATH];	/* relative to [agent] cgroup_root */
	uint64_t reserved_uw;		/* interactive: guaranteed power */
	uint64_t demand_uw;		/* most it draws unthrottled; 0: measured */
	/* Processes in no managed cgroup: pidfile or process name (comm). */
	char pids[TF_CFG_PATH];
	/* Tokens: the worker's Prometheus endpoint and its counter. */
	char metrics_url[TF_CFG_STR * 4];
	char preset[TF_CFG_NAME];	/* vllm | llamacpp | sglang | tgi */
	char metric[TF_CFG_STR];	/* a counter name; overrides the preset */
	/*
	 * Added for the quota planner (tf_policy_batch_now): batch tokens due
	 * per local day, and the worker's curve, read and checked at load.
	 */
	double quota_tok;		/* batch groups only; 0: no quota */
	char curve_path[TF_CFG_PATH];	/* key "curve": "power_w,tokens_per_s" */
	struct tf_curve curve;		/* parsed curve_path; n = 0: none given */
};

/* Where the quota's day takes its time from. */
enum tf_clock {
	TF_CLOCK_WALL = 0,	/* CLOCK_REALTIME */
	TF_CLOCK_SIGNAL,	/* the latest signal's time stamp (a replayed trace) */
};

enum tf_gpu_lever {
	TF_GPU_LEVER_POWER = 1,	/* nvmlDeviceSetPowerManagementLimit / power1_cap */
	TF_GPU_LEVER_CLOCKS,	/* nvmlDeviceSetGpuLockedClocks */
	TF_GPU_LEVER_NONE,	/* metered, never actuated */
};

struct tf_gpu_cfg {
	unsigned int index;
	enum tf_gpu_lever lever;	/* default power */
	uint32_t min_clock_mhz;		/* clocks lever: range of locked SM clocks */
	uint32_t max_clock_mhz;
};

struct tf_config {
	/* [agent] */
	uint64_t interval_ms;		/* default 1 s */
	unsigned int max_procs;		/* default 16384 */
	bool counters;			/* default true */
	bool gpus;			/* default true */
	bool dry_run;			/* actuators log, never write */
	char cgroup_root[TF_CFG_PATH];	/* default /sys/fs/cgroup */
	int log_level;			/* syslog level, default 6 (info) */

	/* [budget] */
	struct tf_budget_cfg budget;
	uint64_t cpu_watts_uw;		/* one fully busy CPU's power, for cpu.max */
	uint64_t cpu_idle_uw;		/* the host's idle power */

	/* [metrics] */
	char listen[TF_CFG_STR];	/* host:port; empty: no /metrics */

	struct tf_source_cfg *sources;
	size_t nsources;
	struct tf_group_cfg *groups;
	size_t ngroups;
	struct tf_gpu_cfg *gpu;
	size_t ngpu;

	/* Added for the quota planner. [budget]: */
	char history[TF_CFG_PATH];	/* surplus series seeding the forecast; "": none */
	unsigned int forecast_days;	/* past days forecast from, default 7 */
	struct tf_quota_cfg quota;	/* margin (0.01), fc_trust (1), tf-eval's defaults */
	uint64_t host_max_uw;		/* the most the host draws; default the ceiling */
	/* [agent]: */
	char timezone[TF_CFG_STR];	/* the quota's local day; default UTC */
	enum tf_clock clock;		/* default wall */
};

/* Fills every default; the arrays empty. */
void tf_config_defaults(struct tf_config *c);
/*
 * Reads path over the defaults. Returns 0, or -1 with "FILE:LINE: [SECTION]
 * KEY: what is wrong" in err; unknown sections and keys are errors, and so
 * is a source without its required keys. c is left valid (free it).
 * c need not be initialised: it starts from tf_config_defaults().
 */
int tf_config_load(const char *path, struct tf_config *c, char *err,
		   size_t errsz);
void tf_config_free(struct tf_config *c);
/*
 * tokenfactoryd --check-config: loads path and prints a summary (sources,
 * groups, GPUs, budget) to out and returns 0, or prints the error to out
 * and returns 1.
 */
int tf_config_check(const char *path, FILE *out);

#endif /* TF_CONFIG_H */
