// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The sensor: on-CPU time, and cycles and instructions where the CPU has
 * hardware counters, per process (tgid) per CPU and per cgroup per CPU,
 * charged at every context switch to the task that leaves the CPU. Per-CPU
 * maps only: the hot path takes no lock and writes no cache line another
 * CPU writes. A process's last thread, at its last switch, sends the
 * process's final counts on a ring buffer and removes its entry. Why it is
 * built so: docs/architecture.md ("Sensor").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "sensor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PF_EXITING	0x00000004	/* include/linux/sched.h, stable */
#define TASK_DEAD	0x00000080
#define barrier()	asm volatile("" ::: "memory")

/*
 * Set by the user side before load. .rodata is frozen at load, so the
 * verifier knows these values and drops the code they switch off: with
 * tf_use_counters false the counter reads are not in the program at all.
 */
const volatile bool tf_use_counters = false;
const volatile __u32 tf_ncpus = 1;		/* possible CPUs */
const volatile __u32 tf_npkgs = 1;
const volatile __u8 tf_cpu_pkg[TF_MAX_CPUS] = {};	/* CPU -> package */

/* All sized by the user side before load (bpf_map__set_max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct tf_proc_stat);
} tf_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct tf_ident);
} tf_ident SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct tf_counts);
} tf_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tf_cpu);
} tf_cpus SEC(".maps");

/* One counter per CPU, opened by the user side (max_entries: CPUs). */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} tf_cycles SEC(".maps"), tf_instructions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} tf_exits SEC(".maps");

/* An exit report is built here: it is larger than the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tf_exit_event);
} tf_scratch SEC(".maps");

/*
 * On a group leader: its process is exiting (0, set at sched_process_exit,
 * where allocating is safe) and then reported (1, set at its last switch).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} tf_done SEC(".maps");

static __always_inline void tf_add(struct tf_counts *a, const struct tf_counts *b)
{
	a->on_ns += b->on_ns;
	if (tf_use_counters) {	/* else they stay 0: no loads, no stores */
		a->cycles += b->cycles;
		a->instructions += b->instructions;
	}
}

/* tf_sum_cpu() adds whole slots: counters or not, they are right there. */
static __always_inline void tf_add_all(struct tf_counts *a,
				       const struct tf_counts *b)
{
	a->on_ns += b->on_ns;
	a->cycles += b->cycles;
	a->instructions += b->instructions;
}

static __always_inline __u64 tf_counter(struct tf_cpu *c, void *map, __u64 *last)
{
	struct bpf_perf_event_value v;
	__u64 d;

	if (bpf_perf_event_read_value(map, BPF_F_CURRENT_CPU, &v, sizeof(v))) {
		c->stat.counter_err++;
		return 0;
	}
	d = v.counter - *last;
	*last = v.counter;
	return d;
}

/*
 * Ends the running task's slice on this CPU at now: its length, and the
 * counters' growth, in *d. False for the first slice a CPU sees after
 * attach, whose start is unknown.
 */
static __always_inline bool tf_slice(struct tf_cpu *c, __u64 now,
				     struct tf_counts *d)
{
	__u64 since = c->since_ns;

	c->since_ns = now;
	d->on_ns = now - since;
	d->cycles = 0;
	d->instructions = 0;
	if (tf_use_counters) {
		d->cycles = tf_counter(c, &tf_cycles, &c->cycles);
		d->instructions = tf_counter(c, &tf_instructions, &c->instructions);
	}
	return since != 0;
}

/* The cold path of tf_charge: t's tgid has no entry yet. */
static __always_inline struct tf_proc_stat *
tf_proc_new(struct tf_cpu *c, struct task_struct *t, __u32 *tgid, __u64 ns)
{
	static const struct tf_proc_stat zero;
	struct task_struct *leader = t->group_leader;
	struct tf_proc_stat *v;
	struct tf_ident id = {};
	__u32 *done;

	/*
	 * Its final report went out and removed the entry, and another of its
	 * threads still runs the rest of do_exit: that goes to tgid 0, or the
	 * entry would come back and never leave.
	 */
	if (t->flags & PF_EXITING) {
		done = bpf_task_storage_get(&tf_done, leader, 0, 0);
		if (done && *done) {
			c->stat.tail_ns += ns;
			goto idle;
		}
	}
	/* -EEXIST when another CPU inserted it first: fine. */
	bpf_map_update_elem(&tf_procs, tgid, &zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&tf_procs, tgid);
	if (!v) {
		c->stat.proc_full++;
		c->stat.full_ns += ns;
		goto idle;
	}
	id.start_ns = BPF_CORE_READ(leader, start_time);
	BPF_CORE_READ_STR_INTO(&id.comm, leader, comm);
	/* BPF_ANY: a stale identity of a reused tgid must go. */
	if (bpf_map_update_elem(&tf_ident, tgid, &id, BPF_ANY))
		c->stat.ident_full++;
	return v;
idle:
	*tgid = 0;
	return bpf_map_lookup_elem(&tf_procs, tgid);
}

/* Adds a cache entry's counts to the cgroup map, and empties it. */
static __always_inline void tf_cg_evict(struct tf_cpu *c, struct tf_cg_pend *e)
{
	static const struct tf_counts zero;
	struct tf_counts *g;

	if (!e->c.on_ns)
		return;
	g = bpf_map_lookup_elem(&tf_cgroups, &e->id);
	if (!g) {
		bpf_map_update_elem(&tf_cgroups, &e->id, &zero, BPF_NOEXIST);
		g = bpf_map_lookup_elem(&tf_cgroups, &e->id);
	}
	if (g)
		tf_add(g, &e->c);
	else
		c->stat.cgroup_full++;
	e->c = zero;
}

/*
 * Charges a cgroup through this CPU's two-entry write-back cache: a CPU
 * mostly alternates between a few cgroups (a workload's and the idle
 * task's root), so most switches add to an entry here instead of looking
 * up the hash. A miss evicts the older entry; tf_flush evicts both, so the
 * map is complete as of each collect.
 */
static __always_inline void tf_cg_charge(struct tf_cpu *c, __u64 cg,
					 const struct tf_counts *d)
{
	struct tf_cg_pend *e;

	if (c->cg[0].id == cg) {
		e = &c->cg[0];
	} else if (c->cg[1].id == cg) {
		e = &c->cg[1];
	} else {
		e = &c->cg[c->cg_next++ & 1];
		tf_cg_evict(c, e);
		e->id = cg;
	}
	tf_add(&e->c, d);
}

/* Charges d to t (which is current) and to its cgroup. */
static __always_inline void tf_charge(struct tf_cpu *c, struct task_struct *t,
				      const struct tf_counts *d, __u64 now)
{
	__u64 cg = bpf_get_current_cgroup_id();
	__u32 tgid = t->tgid;
	struct tf_proc_stat *v;

	v = bpf_map_lookup_elem(&tf_procs, &tgid);
	if (!v)
		v = tf_proc_new(c, t, &tgid, d->on_ns);
	if (v) {
		if (v->epoch != c->epoch) {
			/* first charge in this epoch: keep the last one's end */
			v->snap = v->cum;
			barrier();
			v->epoch = c->epoch;
			barrier();
		}
		tf_add(&v->cum, d);
		v->cgroup_id = cg;
		v->last_ns = now;
	}
	tf_cg_charge(c, cg, d);
}

static void tf_final(struct tf_cpu *c, struct task_struct *p);

SEC("tp_btf/sched_switch")
int BPF_PROG(tf_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_ns();
	struct tf_counts d;
	__u32 zero = 0;
	struct tf_cpu *c;

	c = bpf_map_lookup_elem(&tf_cpus, &zero);
	if (!c)
		return 0;
	c->stat.switches++;
	/* tp_btf/sched_switch runs before the switch: current is prev */
	if (tf_slice(c, now, &d))
		tf_charge(c, prev, &d, now);
	/* prev's last switch (do_task_dead): it never runs again */
	if (prev_state == TASK_DEAD)
		tf_final(c, prev);
	return 0;
}

/*
 * Ends an interval on one CPU: run by the user side on each CPU in turn
 * (BPF_PROG_TEST_RUN with BPF_F_TEST_RUN_ON_CPU, an IPI, so it never runs
 * inside a sched_switch on that CPU). It charges the task running there up
 * to now and moves the CPU to epoch args[0].
 */
SEC("raw_tp")
int tf_flush(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 now = bpf_ktime_get_ns();
	struct tf_counts d;
	__u32 zero = 0;
	struct tf_cpu *c;

	c = bpf_map_lookup_elem(&tf_cpus, &zero);
	if (!c)
		return 0;
	if (tf_slice(c, now, &d))
		tf_charge(c, t, &d, now);
	tf_cg_evict(c, &c->cg[0]);
	tf_cg_evict(c, &c->cg[1]);
	c->epoch = ctx->args[0];
	c->flush_ns = now;
	return 0;
}

/* A new program keeps its process: its identity gets the new name. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(tf_exec, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	struct tf_ident *id;

	id = bpf_map_lookup_elem(&tf_ident, &tgid);
	if (id)
		bpf_probe_read_kernel_str(id->comm, sizeof(id->comm), p->comm);
	return 0;
}

struct tf_sum {
	__u32 tgid;
	__u32 epoch;
	bool found;
};

/* bpf_loop callback: adds one CPU's slot of the exiting process. */
static long tf_sum_cpu(__u32 cpu, void *arg)
{
	struct tf_sum *x = arg;
	struct tf_exit_event *ev;
	struct tf_proc_stat *v;
	struct tf_exit_pkg *p;
	__u32 zero = 0;
	__s32 age;

	v = bpf_map_lookup_percpu_elem(&tf_procs, &x->tgid, cpu);
	if (!v)
		return 0;
	ev = bpf_map_lookup_elem(&tf_scratch, &zero);
	if (!ev)
		return 1;
	x->found = true;
	p = &ev->pkg[tf_cpu_pkg[cpu & (TF_MAX_CPUS - 1)] & (TF_MAX_PKGS - 1)];
	/* < 0: last charged before the reporting CPU's epoch, 0: in it,
	 * > 0: in the next (that CPU is already flushed) */
	age = (__s32)(v->epoch - x->epoch);
	tf_add_all(&p->fin, &v->cum);
	tf_add_all(&p->hi, age <= 0 ? &v->cum : &v->snap);
	tf_add_all(&p->lo, age < 0 ? &v->cum : &v->snap);
	return 0;
}

/*
 * Who reports, and when: the last thread of the group, at its last switch,
 * so that the report holds all of the process's time, the whole of do_exit
 * included (since 6.16 sched_process_exit fires before exit_mm, whose page
 * table teardown can be most of a short process's life). "Last" is: every
 * thread has passed do_exit's decrement of signal->live, and no other
 * thread is left unreleased (non-leaders release themselves before their
 * last switch; a zombie leader still counts in nr_threads). Not the group
 * leader's exit: its threads may run on after it. Two threads finishing
 * at once can both qualify: the leader's storage, set to 1 by compare and
 * swap, lets only one report. A ptraced thread is not released until its
 * tracer reaps it, so such a group may not qualify at all: the user side's
 * reaper removes its entry once the process is gone.
 */
static __noinline void tf_final(struct tf_cpu *c, struct task_struct *p)
{
	struct task_struct *leader = p->group_leader;
	struct tf_exit_event *ev;
	struct tf_proc_stat *v;
	struct tf_sum x = {};
	volatile __u64 *w;
	__u32 zero = 0, n;
	struct tf_ident *id;
	__u32 *done;

	if (p->signal->live.counter || p->signal->nr_threads > 1)
		return;
	done = bpf_task_storage_get(&tf_done, leader, 0, 0);
	if (done) {
		if (__sync_val_compare_and_swap(done, 0, 1) != 0)
			return;
	} else {
		/* exiting before attach, or no memory at sched_process_exit */
		c->stat.mark_fail++;
	}

	ev = bpf_map_lookup_elem(&tf_scratch, &zero);
	if (!ev)
		return;
	__builtin_memset(ev->comm, 0, sizeof(ev->comm));
	/* too large for clang's inline memset, which a plain loop becomes */
	w = (volatile __u64 *)ev->pkg;
#pragma unroll
	for (n = 0; n < TF_MAX_PKGS * sizeof(struct tf_exit_pkg) / 8; n++)
		w[n] = 0;
	x.tgid = p->tgid;
	x.epoch = c->epoch;
	bpf_loop(tf_ncpus, tf_sum_cpu, &x, 0);
	if (!x.found)		/* its time went to tgid 0 (map full) */
		return;
	ev->tgid = x.tgid;
	ev->epoch = x.epoch;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	id = bpf_map_lookup_elem(&tf_ident, &x.tgid);
	ev->start_ns = id ? id->start_ns : BPF_CORE_READ(leader, start_time);
	BPF_CORE_READ_STR_INTO(&ev->comm, leader, comm);

	n = tf_npkgs <= TF_MAX_PKGS ? tf_npkgs : TF_MAX_PKGS;
	if (bpf_ringbuf_output(&tf_exits, ev, offsetof(struct tf_exit_event, pkg) +
			       n * sizeof(struct tf_exit_pkg), BPF_RB_NO_WAKEUP)) {
		/* keep it: the user side reports and removes it */
		c->stat.ring_full++;
		v = bpf_map_lookup_elem(&tf_procs, &x.tgid);
		if (v)
			v->exited = 1;
		return;
	}
	c->stat.exits++;
	bpf_map_delete_elem(&tf_procs, &x.tgid);
	bpf_map_delete_elem(&tf_ident, &x.tgid);
}

/*
 * Marks a group whose last thread is exiting (signal->live reached 0), so
 * that its last switch can report it once and what runs after the report
 * is not charged to a new entry. Allocating here, not at the last switch,
 * where the run queue lock is held (an allocation may wake kswapd).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(tf_exit, struct task_struct *p)
{
	__u32 zero = 0;
	struct tf_cpu *c;

	if (p->signal->live.counter)
		return 0;
	if (bpf_task_storage_get(&tf_done, p->group_leader, 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE))
		return 0;
	c = bpf_map_lookup_elem(&tf_cpus, &zero);
	if (c)
		c->stat.mark_fail++;
	return 0;
}
