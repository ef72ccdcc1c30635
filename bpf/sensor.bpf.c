// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The sensor: on-CPU time per process (tgid) per CPU, accounted at every
 * context switch to the task that leaves the CPU. Per-CPU maps only: the hot
 * path takes no lock and touches no cache line another CPU writes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sensor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Sized by the user side before load (bpf_map__set_max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct tf_proc_stat);
} tf_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tf_cpu);
} tf_cpus SEC(".maps");

static __always_inline void tf_account(struct tf_cpu *c, __u32 tgid,
				       __u64 delta)
{
	static const struct tf_proc_stat zero;
	struct tf_proc_stat *p;

	p = bpf_map_lookup_elem(&tf_procs, &tgid);
	if (!p) {
		/* Fails with -EEXIST when another CPU won the race: fine. */
		bpf_map_update_elem(&tf_procs, &tgid, &zero, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&tf_procs, &tgid);
		if (!p) {
			c->stat.proc_full++;
			return;
		}
	}
	p->on_ns += delta;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tf_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 zero = 0;
	struct tf_cpu *c;

	c = bpf_map_lookup_elem(&tf_cpus, &zero);
	if (!c)
		return 0;
	c->stat.switches++;
	/* The first switch a CPU sees after attach only starts its clock. */
	if (c->since_ns)
		tf_account(c, prev->tgid, now - c->since_ns);
	c->since_ns = now;
	return 0;
}
