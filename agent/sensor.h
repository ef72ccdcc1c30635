/* SPDX-License-Identifier: GPL-2.0 */
/* User side of the eBPF sensor: load, attach, read, destroy. */
#ifndef TF_AGENT_SENSOR_H
#define TF_AGENT_SENSOR_H

#include <stdint.h>
#include <linux/types.h>

#include "../bpf/sensor.h"

struct tf_sensor;

int tf_sensor_open(struct tf_sensor **out, unsigned int max_procs);
void tf_sensor_close(struct tf_sensor *s);
/* Sum of a process's counters over all CPUs; -ENOENT if never seen. */
int tf_sensor_proc(struct tf_sensor *s, uint32_t tgid, struct tf_proc_stat *sum);
/* The sensor's own counters, summed over CPUs. */
int tf_sensor_stats(struct tf_sensor *s, struct tf_sensor_stat *sum);

#endif /* TF_AGENT_SENSOR_H */
