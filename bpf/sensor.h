/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Types shared by the sensor's BPF side (sensor.bpf.c) and its user side
 * (agent/sensor.c). The design, and why it is shaped so, is in
 * docs/architecture.md ("Sensor").
 */
#ifndef TF_SENSOR_H
#define TF_SENSOR_H

#define TF_MAX_CPUS	4096	/* size of the CPU-to-package table */
#define TF_MAX_PKGS	16	/* CPU packages (sockets) */

/* What a process used on one CPU (or summed over a package's CPUs). */
struct tf_counts {
	__u64 on_ns;		/* time on CPU */
	__u64 cycles;		/* 0 without hardware counters */
	__u64 instructions;
};

/*
 * Per process (tgid) and per CPU, in a per-CPU hash: the hot path writes
 * only its own CPU's copy. tgid 0 collects the idle tasks, and time that
 * no process entry could take (see tf_sensor_stat).
 *
 * Epochs make each interval exact. The user side ends an interval by
 * running tf_flush on every CPU (each charges the running task up to now
 * and moves its CPU to the next epoch). The first charge of a slot in a new
 * epoch first copies cum to snap, so a slot still says what it held at the
 * end of the previous epoch while the CPU already charges the next one:
 * as of the end of epoch F, a slot holds cum if epoch <= F, else snap.
 * The field order matters: a reader copies a slot in ascending order, and
 * the writer stores snap, then epoch, then cum; so a reader that sees the
 * old epoch read the old cum, and one that sees the new epoch reads the
 * finished snap (x86's ordered stores; the writer has compiler barriers).
 */
struct tf_proc_stat {
	struct tf_counts cum;	/* since the process was first seen */
	__u32 epoch;		/* epoch of the last charge */
	__u32 exited;		/* its exit report found the ring buffer full */
	struct tf_counts snap;	/* cum at the end of epoch - 1 */
	__u64 cgroup_id;	/* cgroup v2 id at the last charge ... */
	__u64 last_ns;		/* ... and when: the user side takes the newest */
};

/* A process's identity, written on its first charge and at exec. */
struct tf_ident {
	__u64 start_ns;		/* its start time: tells a reused tgid apart */
	char comm[16];		/* its group leader's */
};

/* Per-CPU counters of the sensor itself; nothing is dropped uncounted. */
struct tf_sensor_stat {
	__u64 switches;		/* sched_switch events seen */
	__u64 proc_full;	/* a new tgid found the process map full ... */
	__u64 full_ns;		/* ... and its time went to tgid 0 */
	__u64 ident_full;	/* no identity stored for a new tgid */
	__u64 cgroup_full;	/* a new cgroup found the cgroup map full */
	__u64 exits;		/* final reports sent */
	__u64 ring_full;	/* reports the ring buffer had no room for */
	__u64 tail_ns;		/* time of exited processes after their report,
				 * charged to tgid 0 */
	__u64 mark_fail;	/* a group's exit could not be marked, or its
				 * last switch found no mark */
	__u64 counter_err;	/* bpf_perf_event_read_value() failed */
};

/* An entry of a CPU's write-back cache of the cgroup map. */
struct tf_cg_pend {
	__u64 id;		/* cgroup v2 id; 0: empty */
	struct tf_counts c;	/* charged since it was last written back */
};

/*
 * Per CPU: the running task's slice, the epoch, the cgroup cache, the
 * sensor's counters.
 */
struct tf_cpu {
	__u64 since_ns;		/* when the current slice began; 0: not yet */
	__u64 cycles;		/* counter values at since_ns */
	__u64 instructions;
	__u64 flush_ns;		/* when the last tf_flush ran on this CPU */
	__u32 epoch;
	__u32 cg_next;		/* the cache entry a miss replaces */
	struct tf_cg_pend cg[2];
	struct tf_sensor_stat stat;
};

/* A package's share of an exited process: as of the end of its report's
 * epoch - 1 (lo), as of the end of that epoch (hi), and in all (fin). */
struct tf_exit_pkg {
	struct tf_counts lo, hi, fin;
};

/*
 * The final report of a process, sent by its last thread to exit. Only
 * pkg[0 .. packages - 1] are sent: the record is cut to that size.
 */
struct tf_exit_event {
	__u32 tgid;
	__u32 epoch;		/* the reporting CPU's epoch */
	__u64 start_ns;
	__u64 cgroup_id;
	char comm[16];
	struct tf_exit_pkg pkg[TF_MAX_PKGS];
};

#endif /* TF_SENSOR_H */
