/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watts to actuator settings: the one place that turns a power share into
 * a cgroup v2 cpu.max, a GPU power limit or locked SM clock, the module's
 * CPU package caps and a SIGSTOP/SIGCONT duty cycle. Pure: no I/O, no
 * clock, so the daemon, the evaluation harness and the tests agree.
 *
 * Every function returns 0 or -EINVAL for inputs it cannot turn into a
 * setting (a zero period, a zero cpu_watts, an empty range, ...); then the
 * output is left untouched.
 */
#ifndef TF_LEVER_H
#define TF_LEVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* cpu.max: the kernel takes periods of 1 ms to 1 s and quotas >= 1 ms. */
#define TF_LEVER_PERIOD_MIN_US	1000u
#define TF_LEVER_PERIOD_MAX_US	1000000u
#define TF_LEVER_QUOTA_MIN_US	1000u
/* Long enough for "QUOTA PERIOD" or "max PERIOD" with two u64s. */
#define TF_LEVER_CPU_MAX_STR	48

struct tf_lever_cpu {
	uint64_t cpu_watts_uw;	/* one fully busy CPU ([budget] cpu_watts) */
	unsigned int ncpus;	/* CPUs of the host: a quota past them is "max" */
	uint64_t period_us;	/* cpu.max period */
};

struct tf_cpu_max {
	bool unlimited;		/* "max PERIOD" */
	uint64_t quota_us;	/* when limited */
	uint64_t period_us;
};

/*
 * The idle share of a group: the part of the host's idle power (cpu_idle)
 * charged to a group given group_uw of a budget of total_uw, in proportion,
 * so that the groups' shares add up to the idle power (rounded down).
 * total_uw 0 gives 0.
 */
uint64_t tf_lever_idle_share(uint64_t idle_uw, uint64_t group_uw,
			     uint64_t total_uw);

/*
 * cpu.max for a group given power_uw: (power - idle_share) / cpu_watts
 * CPUs, i.e. a quota of that many periods, rounded down (a cap is never
 * exceeded) and never below TF_LEVER_QUOTA_MIN_US. Unlimited ("max") when
 * demand_uw is known (non-zero) and power_uw covers it, or when the quota
 * reaches every CPU of the host. A frozen group is held by cgroup.freeze,
 * not by its quota: it gets the minimum quota so that it thaws gently,
 * until the next plan.
 */
int tf_lever_cpu_max(const struct tf_lever_cpu *m, uint64_t power_uw,
		     uint64_t idle_share_uw, uint64_t demand_uw, bool frozen,
		     struct tf_cpu_max *out);
/* "QUOTA PERIOD" or "max PERIOD", as cpu.max reads and takes it. */
int tf_lever_cpu_max_str(const struct tf_cpu_max *v, char *buf, size_t size);
/* Parses what cpu.max holds ("max 100000\n", "50000 100000"). */
int tf_lever_cpu_max_parse(const char *s, struct tf_cpu_max *out);

/*
 * A GPU's power limit for its share: the share clamped to the GPU's limit
 * range [min_uw, max_uw] (NVML's constraints, hwmon's power1_cap_min/max).
 * *clamped (may be NULL) says the share lay outside.
 */
int tf_lever_gpu_limit(uint64_t share_uw, uint64_t min_uw, uint64_t max_uw,
		       uint64_t *limit_uw, bool *clamped);

/*
 * A GPU's locked SM clock for its share. The model: at full load a GPU
 * draws about its default power limit at its highest clock and about its
 * minimum limit at the lowest clock one would lock it to, and in between
 * power rises roughly linearly with the SM clock (board and memory power
 * are a large fixed part; the voltage curve is flat over the upper half of
 * the range, where locking is used). So
 *
 *   clock = min_clock + (max_clock - min_clock)
 *                       * (share - min_limit) / (default_limit - min_limit)
 *
 * clamped to [min_clock, max_clock], rounded down. It is an estimate
 * whose error the daemon's feedback on measured power takes out; its
 * virtue is that it is monotonic and reaches both ends of the range. The
 * lock is then [min_clock, clock]: the GPU may still drop lower when idle.
 */
int tf_lever_gpu_clock(uint64_t share_uw, uint64_t min_limit_uw,
		       uint64_t default_limit_uw, unsigned int min_clock_mhz,
		       unsigned int max_clock_mhz, unsigned int *clock_mhz);

/*
 * The module's CPU cap: what the budget leaves after the GPUs' shares, at
 * least floor_uw (the daemon passes the CPUs' idle power: a cap below it
 * cannot be held) and never 0, which the protocol reads as "no cap".
 */
uint64_t tf_lever_cpu_cap(uint64_t budget_uw, const uint64_t *gpu_uw,
			  size_t ngpu, uint64_t floor_uw);
/*
 * Splits cap_uw over n packages in proportion to their max_power_uw (all
 * equal when any is 0), the remainder to the first so that the caps add
 * up to cap_uw exactly; none below 1 µW.
 */
int tf_lever_package_caps(uint64_t cap_uw, const uint64_t *max_power_uw,
			  size_t n, uint64_t *out);

/*
 * Duty cycle of a group's processes in no cgroup, as SIGCONT..SIGSTOP in
 * each period: on for (power - idle_share) / (demand - idle_share) of it,
 * rounded down, at least TF_LEVER_QUOTA_MIN_US (the same floor as
 * cpu.max) unless frozen (0: stopped the whole period). Always on when
 * demand is unknown (0) or covered.
 */
int tf_lever_duty(uint64_t power_uw, uint64_t idle_share_uw,
		  uint64_t demand_uw, bool frozen, uint64_t period_us,
		  uint64_t *on_us);

#endif /* TF_LEVER_H */
