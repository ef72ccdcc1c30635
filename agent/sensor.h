/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User side of the eBPF sensor: load, attach, collect each interval's use
 * of the CPUs per process and package, destroy. Needs root (CAP_BPF and
 * CAP_PERFMON). Not thread-safe: one caller at a time per sensor.
 */
#ifndef TF_AGENT_SENSOR_H
#define TF_AGENT_SENSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/sensor.h"

#define TF_SENSOR_MAX_PKGS TF_MAX_PKGS

struct tf_sensor;

struct tf_sensor_opts {
	unsigned int max_procs;		/* processes tracked at once (0: 16384) */
	unsigned int max_cgroups;	/* cgroups (0: 4096) */
	bool counters;			/* try hardware counters */
	/*
	 * Tests only: software cpu-clock events in place of both hardware
	 * counters, to run the counter path on a CPU without a PMU (cycles
	 * and instructions then read nanoseconds).
	 */
	bool sw_counters;
};

/* One process's use of the CPUs in one interval, per CPU package. */
struct tf_proc_delta {
	uint32_t tgid;		/* 0: the idle tasks */
	uint64_t cgroup_id;	/* last seen */
	char comm[16];
	bool exited;		/* final report: it will not appear again */
	bool named;		/* comm not in an earlier report: the first
				 * one, or the first since an exec renamed it
				 * or tf_sensor_forget_names() */
	uint64_t on_ns[TF_SENSOR_MAX_PKGS];	/* this interval, per CPU package */
	uint64_t cycles[TF_SENSOR_MAX_PKGS];	/* 0 without counters */
	uint64_t instructions[TF_SENSOR_MAX_PKGS];
};

/* What the user side noticed, since open. */
struct tf_sensor_ustat {
	uint64_t collects;
	uint64_t exits;		/* exit reports read from the ring buffer */
	uint64_t dup_exits;	/* the same process reported twice (merged) */
	uint64_t ring_exits;	/* exits found marked in the map (ring was full) */
	uint64_t vanished;	/* a process left with no exit report: its
				 * time since the previous interval is lost */
	uint64_t reaped;	/* gone without a report: found by the reaper */
	uint64_t flush_fail;	/* a CPU that could not be flushed (offline) */
	uint64_t loader_hwm_kb;	/* the loader child's peak RSS (VmHWM); 0:
				 * loaded in-process (TF_SENSOR_INPROC=1) */
};

/*
 * Loads and attaches the sensor. libbpf's load (its parse of the kernel's
 * BTF) runs in a short-lived child process that passes the maps, programs
 * and links back, so that its transient memory never counts in the
 * caller's peak RSS; TF_SENSOR_INPROC=1 in the environment loads in the
 * calling process instead (debugging).
 */
int tf_sensor_open2(struct tf_sensor **out, const struct tf_sensor_opts *o);
/* tf_sensor_open2 with counters tried and default sizes but max_procs. */
int tf_sensor_open(struct tf_sensor **out, unsigned int max_procs);
void tf_sensor_close(struct tf_sensor *s);
/*
 * Why the last tf_sensor_open2() on this thread failed: the step, libbpf's
 * or the kernel's reason and what the sensor needs, e.g. "loading the BPF
 * programs failed: Operation not permitted; needs CAP_BPF and CAP_PERFMON
 * (or root)". "" after a successful open.
 */
const char *tf_sensor_error(void);
/* The same text for step and err (negative errno), into buf. Pure but for
 * a look at btf (the kernel's BTF file, normally /sys/kernel/btf/vmlinux). */
void tf_sensor_explain(char *buf, size_t n, const char *step, int err,
		       const char *btf);

/* Whether cycles and instructions are counted (false: they read 0). */
bool tf_sensor_has_counters(const struct tf_sensor *s);
/* CPU packages, from /sys/devices/system/cpu/cpuN/topology/physical_package_id. */
unsigned int tf_sensor_packages(const struct tf_sensor *s);
/* The package (index into tf_proc_delta's arrays) of a CPU. */
unsigned int tf_sensor_package_of(const struct tf_sensor *s, unsigned int cpu);

/*
 * Calls fn once per process that ran since the previous call, with that
 * interval's deltas per package; processes that exited are reported once
 * with exited set, from the ring buffer's final counts, so no energy of a
 * short-lived process is lost. A process that exits while a collect runs
 * may get its last delta (exited) one call later. A tgid can appear twice
 * in one call: an exited process, then the new one that reuses its tgid.
 * Over one call, the on_ns of all processes (tgid 0 included) add up to
 * tf_sensor_interval_ns() exactly. Returns 0 or -errno.
 */
int tf_sensor_collect(struct tf_sensor *s,
		      void (*fn)(const struct tf_proc_delta *d, void *arg),
		      void *arg);
/* CPU time the last collect covered: the sum over CPUs of their interval. */
uint64_t tf_sensor_interval_ns(const struct tf_sensor *s);

/* Cumulative counts of a live process, over all CPUs; -ENOENT if unseen. */
int tf_sensor_proc(struct tf_sensor *s, uint32_t tgid, struct tf_counts *sum);
/* Cumulative counts of a cgroup (v2 id), over all CPUs; -ENOENT if unseen. */
int tf_sensor_cgroup(struct tf_sensor *s, uint64_t cgroup_id,
		     struct tf_counts *sum);
/* The BPF side's counters, summed over CPUs. */
int tf_sensor_stats(struct tf_sensor *s, struct tf_sensor_stat *sum);
const struct tf_sensor_ustat *tf_sensor_ustats(const struct tf_sensor *s);
/*
 * The next report of tgid, or of every live process, is named again
 * (d->named): for a consumer that could not pass the name on.
 */
void tf_sensor_forget_name(struct tf_sensor *s, uint32_t tgid);
void tf_sensor_forget_names(struct tf_sensor *s);

/*
 * Tests only: a test that defines this (it is a weak symbol, absent from
 * the daemon) is called in the loader child before the load (where
 * TF_LF_LOAD: a negative errno fails the load with it) and before the
 * answer goes out (TF_LF_SEND: returns one of the TF_LF_ damages below).
 */
#define TF_LF_LOAD	0
#define TF_LF_SEND	1
#define TF_LF_SHORT	1	/* send half the message */
#define TF_LF_FEWER_FDS	2	/* one file descriptor short */
#define TF_LF_BADNAME	3	/* the first map's name altered */
int tf_sensor_loader_fault(int where);

#endif /* TF_AGENT_SENSOR_H */
