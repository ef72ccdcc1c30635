/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVIDIA GPUs through NVML, loaded with dlopen: meters (energy, power),
 * the power limit and locked SM clocks (the two levers), and per-process
 * utilisation for attribution. Nothing NVIDIA is needed to build; where the
 * library is absent tf_nvml_open() says so and the agent runs without GPUs.
 *
 * Units are the project's: energy µJ, power µW, times µs, clocks MHz.
 * Every call returns 0 or a negative errno; tf_nvml_errmsg() then tells
 * what failed, with NVML's own words (nvmlErrorString). A handle is used by
 * one thread at a time.
 */
#ifndef TF_AGENT_NVML_H
#define TF_AGENT_NVML_H

#include <stdint.h>

/* The library tf_nvml_open() loads, unless TF_NVML_LIB names another. */
#define TF_NVML_LIB_DEFAULT "libnvidia-ml.so.1"

/* tf_nvml_open() flags. RDONLY: every call that would change a setting
 * fails with -EPERM before reaching NVML (the GPU check tool uses it). */
#define TF_NVML_RDONLY	0x1u

struct tf_nvml;

/* One process's utilisation sample on one GPU. */
struct tf_gpu_proc_util {
	uint32_t pid;
	uint32_t sm_pct;
	uint32_t mem_pct;
	uint64_t time_us;	/* NVML's timestamp: µs since the epoch */
};

/*
 * Loads the library (TF_NVML_LIB, else TF_NVML_LIB_DEFAULT), initialises
 * NVML and takes a handle on every GPU. -ENOENT: no library (no NVIDIA
 * driver on this host); -ENODEV: the library is there, the driver is not
 * loaded; -ENOSYS: the library lacks an entry point we use. The reason is
 * in tf_nvml_errmsg(NULL).
 */
int tf_nvml_open(struct tf_nvml **out, unsigned int flags);
/* Puts back what this handle changed (tf_nvml_restore), shuts NVML down,
 * unloads the library. NULL is fine. */
void tf_nvml_close(struct tf_nvml *n);

/* The last failure on n, or with n NULL the last failed open in this thread. */
const char *tf_nvml_errmsg(const struct tf_nvml *n);

/* GPUs as NVML counts them, indices as NVML's. A GPU NVML gives no handle
 * for (lost, not visible) keeps its index: its calls fail with -ENODEV. */
unsigned int tf_nvml_count(const struct tf_nvml *n);
/* NULL when i is out of range. */
const char *tf_nvml_name(const struct tf_nvml *n, unsigned int i);
const char *tf_nvml_uuid(const struct tf_nvml *n, unsigned int i);

/* The GPU's energy counter (NVML: mJ since the driver was loaded). */
int tf_nvml_energy_uj(struct tf_nvml *n, unsigned int i, uint64_t *uj);
/* Power now (NVML: mW). */
int tf_nvml_power_uw(struct tf_nvml *n, unsigned int i, uint64_t *uw);
/* The power limit in force. */
int tf_nvml_limit_uw(struct tf_nvml *n, unsigned int i, uint64_t *uw);
/* The range a limit may take, and the default limit. */
int tf_nvml_limit_range_uw(struct tf_nvml *n, unsigned int i,
			   uint64_t *min, uint64_t *max, uint64_t *dflt);
/*
 * Sets the power limit to uw, rounded down to NVML's mW. Outside the
 * GPU's range it is clamped to the nearer end, set, and -ERANGE returned:
 * the GPU then holds *applied_uw (may be NULL), not what was asked. Other
 * errors change nothing. The limit found before the first change is kept
 * for tf_nvml_restore().
 */
int tf_nvml_set_power_limit_uw(struct tf_nvml *n, unsigned int i,
			       uint64_t uw, uint64_t *applied_uw);

/* SM clock now, and its maximum. */
int tf_nvml_sm_clock_mhz(struct tf_nvml *n, unsigned int i,
			 unsigned int *cur, unsigned int *max);
/* Locks the GPU clocks to [min, max] MHz (nvmlDeviceSetGpuLockedClocks). */
int tf_nvml_lock_sm_clocks_mhz(struct tf_nvml *n, unsigned int i,
			       unsigned int min, unsigned int max);
/* Removes a lock: the driver chooses clocks again. */
int tf_nvml_reset_sm_clocks(struct tf_nvml *n, unsigned int i);

/*
 * Per-process utilisation samples newer than since_us (NVML's timestamps;
 * 0: all the driver holds). On entry *count is out's capacity, on return
 * the number of samples; -ENOSPC when they do not fit, with *count the
 * number needed. No sample is not an error (*count 0).
 */
int tf_nvml_process_util(struct tf_nvml *n, unsigned int i, uint64_t since_us,
			 struct tf_gpu_proc_util *out, unsigned int *count);

/*
 * Puts back every power limit changed through n to what it was before the
 * first change, and unlocks every clock n locked (NVML cannot read a locked
 * range, so a lock someone else had set before is not put back). Returns
 * the first error; what failed is still remembered for a later try.
 */
int tf_nvml_restore(struct tf_nvml *n);

#endif /* TF_AGENT_NVML_H */
