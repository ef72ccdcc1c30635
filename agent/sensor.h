/* SPDX-License-Identifier: GPL-2.0 */
/* User side of the eBPF sensor: load, attach, read, destroy. */
#ifndef TF_AGENT_SENSOR_H
#define TF_AGENT_SENSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/sensor.h"

struct tf_sensor;

#define TF_SENSOR_MAX_PKGS 16

struct tf_sensor_opts {
	unsigned int max_procs;
	unsigned int max_cgroups;
	bool counters;		/* try hardware counters */
};

/* One process's use of the CPUs since the previous tf_sensor_collect(). */
struct tf_proc_delta {
	uint32_t tgid;		/* 0: the idle tasks */
	uint64_t cgroup_id;
	char comm[16];
	bool exited;		/* final report */
	uint64_t on_ns[TF_SENSOR_MAX_PKGS];
	uint64_t cycles[TF_SENSOR_MAX_PKGS];
	uint64_t instructions[TF_SENSOR_MAX_PKGS];
};

int tf_sensor_open(struct tf_sensor **out, unsigned int max_procs);
void tf_sensor_close(struct tf_sensor *s);
/* Sum of a process's counters over all CPUs; -ENOENT if never seen. */
int tf_sensor_proc(struct tf_sensor *s, uint32_t tgid, struct tf_proc_stat *sum);
/* The sensor's own counters, summed over CPUs. */
int tf_sensor_stats(struct tf_sensor *s, struct tf_sensor_stat *sum);

int tf_sensor_open2(struct tf_sensor **out, const struct tf_sensor_opts *o);
bool tf_sensor_has_counters(const struct tf_sensor *s);
unsigned int tf_sensor_packages(const struct tf_sensor *s);
int tf_sensor_collect(struct tf_sensor *s,
		      void (*fn)(const struct tf_proc_delta *d, void *arg),
		      void *arg);

#endif /* TF_AGENT_SENSOR_H */
