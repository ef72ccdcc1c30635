/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Types shared by the sensor's BPF side (sensor.bpf.c) and its user side
 * (agent/sensor.c).
 */
#ifndef TF_SENSOR_H
#define TF_SENSOR_H

/*
 * Per process (tgid) and per CPU: the map is per-CPU, so the user side sums
 * a process's values over the CPUs of each package. tgid 0 collects the
 * idle tasks.
 */
struct tf_proc_stat {
	__u64 on_ns;		/* time on CPU */
};

/* Per-CPU counters of the sensor itself. */
struct tf_sensor_stat {
	__u64 switches;		/* sched_switch events seen */
	__u64 proc_full;	/* a new tgid found the process map full */
};

/* Per CPU: when its current task went on it, and the sensor's counters. */
struct tf_cpu {
	__u64 since_ns;
	struct tf_sensor_stat stat;
};

#endif /* TF_SENSOR_H */
