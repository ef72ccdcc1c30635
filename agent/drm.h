/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GPUs without NVML: DRM clients' engine time from /proc/PID/fdinfo
 * (Documentation/gpu/drm-usage-stats.rst: drm-driver, drm-pdev,
 * drm-client-id, drm-engine-<name>: <ns> ns) weighs processes, and the
 * card's hwmon (energy1_input in µJ where the driver has it, as i915 and xe
 * do; else power1_average in µW, integrated over the tick) meters it.
 * The parser and the scanner take a root directory, so tests run them on
 * a tree shaped like /proc and /sys (this machine has no GPU).
 */
#ifndef TF_DRM_H
#define TF_DRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TF_DRM_PDEV_LEN 32
#define TF_DRM_MAX_CARDS 16

struct tf_drm_fdinfo {
	char driver[32];
	char pdev[TF_DRM_PDEV_LEN];	/* PCI address, e.g. 0000:03:00.0 */
	uint64_t client_id;
	bool has_client;
	uint64_t engine_ns;		/* all engines' busy time, summed */
	unsigned int engines;		/* drm-engine-* keys seen */
};

/*
 * Parses one fdinfo file's text. 0 when it is a DRM client with usage
 * stats (drm-driver, drm-client-id and at least one engine), -ENOENT when
 * it is not, -EINVAL for a malformed drm-* value.
 */
int tf_drm_parse_fdinfo(const char *text, struct tf_drm_fdinfo *out);

/* A process's busy time on one card, summed over its DRM clients. */
struct tf_drm_use {
	uint32_t pid;
	unsigned int card;		/* index into tf_drm_cards' array */
	uint64_t engine_ns;
};

struct tf_drm_card {
	char pdev[TF_DRM_PDEV_LEN];
	char driver[32];
	char hwmon[4096];		/* its hwmon directory, "" if none */
	bool energy;			/* energy1_input, else power1_average */
	uint64_t max_uw;		/* power1_cap_max, power1_rated_max or
					 * power1_max; else TF_DRM_MAX_UW */
};

/* A card that says nothing of its maximum: above any one GPU's. */
#define TF_DRM_MAX_UW 1500000000ULL

/*
 * The DRM cards under sys_root (normally "/sys"): class/drm/cardN with a
 * device that has a PCI address. Skips drivers in skip (comma separated,
 * e.g. "nvidia" when NVML meters those). Returns the count (≤ max).
 */
int tf_drm_cards(const char *sys_root, const char *skip,
		 struct tf_drm_card *out, unsigned int max);

/*
 * Every process's engine time per card under proc_root (normally
 * "/proc"). A client shared by several fds (dup, fork) counts once per
 * process. *out is malloc'ed; returns the count or -errno.
 */
int tf_drm_scan(const char *proc_root, const struct tf_drm_card *cards,
		unsigned int ncards, struct tf_drm_use **out);

/*
 * The card's energy counter in µJ. With only power1_average, the counter is
 * the caller's *acc, advanced by power × dt_ns (an integration, not a
 * measurement: say so wherever it is shown).
 */
int tf_drm_energy_uj(const struct tf_drm_card *c, uint64_t dt_ns,
		     uint64_t *acc, uint64_t *uj);

#endif /* TF_DRM_H */
