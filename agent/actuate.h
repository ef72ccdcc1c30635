/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tokenfactoryd's actuators: what turns a plan (tf_policy_split's shares,
 * made into settings by lever.h) into writes, and puts everything back.
 *
 *  - cgroup v2, per [group] with a cgroup: cpu.max and cgroup.freeze in
 *    cgroup_root/<cgroup>; the cpu controller is enabled in the ancestors'
 *    cgroup.subtree_control where it is not. A cgroup removed under the
 *    agent is logged once and tried again at every apply, never fatal.
 *  - the module's CPU cap, split over the CPU package domains
 *    (tf_nl_domain_set);
 *  - NVIDIA GPUs through NVML: power limit or locked SM clocks, per
 *    [gpu N] lever;
 *  - AMD GPUs through amdgpu's hwmon power1_cap (µW);
 *  - SIGSTOP/SIGCONT duty cycles, by a thread of this module, for the
 *    processes a group names with pids (a pidfile, or a comm scanned in
 *    /proc) that are in no cgroup the agent manages.
 *
 * A value is written only when it changes. With [agent] dry_run every
 * actuator logs what it would do and writes nothing. tf_act_close() puts
 * back what was changed: the cgroups' cpu.max as found and unfrozen, the
 * packages' caps as found (0: none), NVML's limits and clock locks
 * (tf_nvml_restore), power1_cap as found, and SIGCONT to every process the
 * duty cycle stopped. Functions return 0 or a negative errno; one handle
 * is used by one thread (the duty thread is internal).
 */
#ifndef TF_ACTUATE_H
#define TF_ACTUATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "lever.h"

struct tf_act;
struct tf_nl;
struct tf_nvml;

#define TF_ACT_DUTY_PERIOD_US	100000u		/* default duty period */
#define TF_ACT_LEAVE		UINT64_MAX	/* a GPU share: leave it as is */

struct tf_act_opts {
	const char *sysfs_root;		/* amdgpu hwmon; NULL: "/sys" */
	const char *proc_root;		/* pids by comm; NULL: "/proc" */
	uint64_t duty_period_us;	/* 0: TF_ACT_DUTY_PERIOD_US */
	/*
	 * Where the values found before the first write are kept until they
	 * are restored, so that an agent started after a crash restores the
	 * host's own values, not its predecessor's. NULL: kept in memory only.
	 */
	const char *state_dir;
};

#define TF_ACT_STATE_DIR	"/run/tokenfactory"

/* One group's settings, from tf_policy_split() through lever.h. */
struct tf_act_group_plan {
	bool set;			/* false: leave the group as it is */
	struct tf_cpu_max cpu;		/* tf_lever_cpu_max() */
	bool frozen;			/* cgroup.freeze 1; its pids stopped */
	uint64_t duty_on_us;		/* tf_lever_duty() for its pids */
};

struct tf_act_plan {
	const struct tf_act_group_plan *groups;	/* c->ngroups, or NULL */
	/* Each GPU's power share, in tf_act's GPU order (tf_act_state());
	 * TF_ACT_LEAVE leaves one alone. NULL: leave them all. */
	const uint64_t *gpu_uw;
	size_t ngpu;
	/* The module's CPU cap over all packages (tf_lever_cpu_cap());
	 * 0 leaves the caps as they are. */
	uint64_t cpu_cap_uw;
};

/*
 * A group's plan from its share of the budget (tf_policy_split()'s out)
 * and its demand (0: unknown), through lever.h: its idle share is
 * c->cpu_idle_uw in proportion to alloc->uw of budget_uw; cpu.max with
 * c->cpu_watts_uw per CPU over ncpus CPUs in cpu_period_us periods; the
 * duty cycle's on time in duty_period_us. -EINVAL where lever.h refuses
 * (no cpu_watts, periods out of range); out is then untouched.
 */
int tf_act_plan_group(const struct tf_config *c, const struct tf_alloc *alloc,
		      uint64_t demand_uw, uint64_t budget_uw, unsigned int ncpus,
		      uint64_t cpu_period_us, uint64_t duty_period_us,
		      struct tf_act_group_plan *out);

/* ---- what is set now, for /metrics -------------------------------------- */

struct tf_act_group_state {
	const char *name;		/* the config's */
	bool has_cgroup;
	bool present;			/* its cgroup was there at the last apply */
	char cpu_max[TF_LEVER_CPU_MAX_STR];	/* in force by us; "": untouched */
	bool frozen;			/* cgroup.freeze 1 by us / pids stopped */
	unsigned int npids;		/* processes in its duty cycle */
	uint64_t duty_on_us;		/* of duty_period_us */
	uint64_t duty_period_us;
};

enum tf_act_gpu_kind {
	TF_ACT_GPU_NONE = 1,		/* metered, not actuated */
	TF_ACT_GPU_NVML_POWER,
	TF_ACT_GPU_NVML_CLOCKS,
	TF_ACT_GPU_HWMON,		/* amdgpu power1_cap */
};

struct tf_act_gpu_state {
	char name[64];			/* "nvml0", "card1" */
	enum tf_act_gpu_kind kind;
	uint64_t min_uw, max_uw;	/* the limit's range */
	uint64_t default_uw;		/* NVML's default limit; hwmon: as found */
	uint64_t limit_uw;		/* set by us now; 0: untouched */
	unsigned int clock_min_mhz;	/* clocks: the lock's range */
	unsigned int clock_max_mhz;	/* set by us now; 0: untouched */
};

struct tf_act_pkg_state {
	char name[32];			/* the module's domain ("package-0") */
	uint64_t max_power_uw;
	uint64_t orig_cap_uw;		/* as found; 0: none */
	uint64_t cap_uw;		/* set by us now; 0: untouched */
};

struct tf_act_state {
	bool dry_run;
	size_t ngroups;
	const struct tf_act_group_state *groups;	/* the config's order */
	size_t ngpus;
	const struct tf_act_gpu_state *gpus;		/* NVML's, then hwmon's */
	size_t npkgs;
	const struct tf_act_pkg_state *pkgs;
};

/*
 * Takes stock: the package domains (nl, may be NULL: no module cap), the
 * GPUs (nvml, may be NULL; amdgpu hwmon under opts->sysfs_root, when
 * c->gpus), the cgroup paths. Writes nothing. c, nl and nvml must outlive
 * the handle. opts may be NULL.
 */
int tf_act_open(struct tf_act **out, const struct tf_config *c,
		struct tf_nl *nl, struct tf_nvml *nvml,
		const struct tf_act_opts *opts);
/*
 * Applies a plan: every actuator is tried; returns 0 or the first error
 * (a vanished cgroup is not one: it is logged once and tried again).
 */
int tf_act_apply(struct tf_act *a, const struct tf_act_plan *plan);
/*
 * Puts back what was changed, as tf_act_close() does, but keeps the
 * handle. Returns the first error; what failed is tried again by close.
 */
int tf_act_restore(struct tf_act *a);
/* Restores (SIGCONT always), stops the duty thread, frees. NULL is fine. */
void tf_act_close(struct tf_act *a);

/*
 * SIGCONT to every process the duty cycle holds stopped, without locks or
 * allocation: for the daemon's fatal-signal handler (SIGSEGV, SIGABRT),
 * where tf_act_close() cannot run, so that no worker stays stopped after
 * the agent is gone. Best effort; tf_act_close() is the clean path.
 */
void tf_act_cont_all(struct tf_act *a);

/* Pointers into the handle, valid until the next apply or close. */
void tf_act_state(const struct tf_act *a, struct tf_act_state *st);

#endif /* TF_ACTUATE_H */
