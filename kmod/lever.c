// SPDX-License-Identifier: GPL-2.0
/*
 * CPU levers: how the kernel holds a package at a share of its full
 * performance, after the kernel's own thermal code. The maps from the share
 * to settings are in energy.c (tf_perf_to_freq_khz, tf_perf_to_idle_pct).
 *
 * Frequency, as drivers/thermal/cpufreq_cooling.c: where a cpufreq driver
 * covers every online CPU of the package, one FREQ_QOS_MAX request per
 * policy caps the maximum frequency. A request holds no reference on its
 * policy (that would keep a cpufreq driver from unloading); a
 * CPUFREQ_REMOVE_POLICY notifier drops it before the policy is freed and
 * moves the package to the levers that remain. Policies that appear later
 * (a driver loaded, a CPU whose policy did not exist came online) are taken
 * on the next tf_lever_set().
 *
 * Idle injection, as intel_powerclamp and drivers/powercap/idle_inject.c,
 * where there is no cpufreq driver (VMs) or the lowest frequency still
 * delivers more than the target. Debian's 6.1 has no CONFIG_IDLE_INJECT, so
 * this file carries its own threads, built the way idle_inject builds them:
 * smpboot per-CPU threads (one "tf_idle/N" per CPU, created on the first
 * limit, kept until unload), SCHED_FIFO, each looping: sleep until its idle
 * part is due, then play_idle_precise() for it, less what earlier parts
 * overshot (tf_idle_request_ns). Parts are due on multiples of the period
 * of CLOCK_MONOTONIC, so all CPUs of the package idle at once (the package
 * can reach its deep idle states), as idle_inject's single timer does.
 *
 * Period: 20 ms. Long enough that the wakeup, two context switches and the
 * timer of each period cost little (microseconds on hardware; 1 to 2 % under
 * QEMU's TCG, which is why the VM test's shares come out a point low) and
 * that the shortest idle part (2 ms at 10 %) exceeds the target residency
 * of package C-states; short enough that a task never waits more than
 * 18 ms and that RAPL (PL1 windows near 1 s) and thermal masses see a
 * steady mean.
 *
 * At most 90 % idle (TF_IDLE_MAX_PCT): play_idle_precise() keeps its CPU
 * from running any task, interrupts aside, for the whole idle part, so a
 * CPU must keep a run part for the system to stay responsive; 90 % also
 * stays below the RT throttling limit (sched_rt_runtime_us, 95 %), which
 * would otherwise cut the injection short at random. A target that needs
 * more is held at 90 % and tf_lever_set() returns -ERANGE.
 *
 * CPU hotplug: the smpboot threads are parked when their CPU goes down and
 * unparked when it comes up; on unpark a thread takes its package's current
 * idle share. Threads created by hand with kthread_create_on_cpu() and a
 * dynamic cpuhp state would not do: the dynamic states are torn down after
 * the CPU is deactivated, and a kthread that is not marked per-CPU
 * (kthread_set_per_cpu() is not exported) and wakes on a deactivated CPU
 * loses its affinity to the fallback CPU, where play_idle_precise() WARNs.
 * smpboot threads are marked per-CPU and stay bound until parked.
 *
 * Locking: tf_lever_lock protects the package list and the requests; it
 * nests inside the CPU hotplug lock, which tf_lever_set() takes first and
 * which the cpufreq core holds around the policy notifier.
 */
#include <linux/cpu.h>
#include <linux/cpufreq.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/percpu.h>
#include <linux/pm_qos.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smpboot.h>
#include <linux/topology.h>
#include <linux/tokenfactory.h>

#include "energy.h"
#include "lever.h"

struct tf_freq_req {
	struct list_head node;
	struct cpufreq_policy *policy;	/* no reference: tf_policy_event() */
	struct freq_qos_request req;
};

/* A package with a limit (perf_pct < 100). */
struct tf_lever_pkg {
	struct list_head node;
	unsigned int pkg;
	unsigned int perf_pct;
	u64 idle_ns;			/* injected per period on each CPU */
	struct list_head freq;		/* struct tf_freq_req */
};

static DEFINE_MUTEX(tf_lever_lock);
static LIST_HEAD(tf_lever_pkgs);
static bool tf_freq_usable;		/* the policy notifier is registered */

struct tf_idle_cpu {
	u64 share_ns;		/* idle per period; 0: the thread sleeps */
	u64 debt_for_ns;	/* thread only: the share debt_ns is for */
	u64 debt_ns;		/* thread only: see tf_idle_request_ns() */
	u64 due_ns;		/* thread only: start of the next idle part */
};

static DEFINE_PER_CPU(struct task_struct *, tf_idle_task);
static DEFINE_PER_CPU(struct tf_idle_cpu, tf_idle_cpus);
static DEFINE_MUTEX(tf_idle_reg_lock);
static bool tf_idle_registered;

static bool tf_cpu_in(unsigned int cpu, unsigned int pkg)
{
	return (unsigned int)topology_physical_package_id(cpu) == pkg;
}

static struct tf_lever_pkg *tf_lever_find(unsigned int pkg)
{
	struct tf_lever_pkg *p;

	list_for_each_entry(p, &tf_lever_pkgs, node)
		if (p->pkg == pkg)
			return p;
	return NULL;
}

/* ---- idle injection --------------------------------------------------- */

static int tf_idle_should_run(unsigned int cpu)
{
	return READ_ONCE(per_cpu(tf_idle_cpus, cpu).share_ns) != 0;
}

/*
 * One period: the run part is spent asleep until the part is due, then the
 * idle part is injected, shortened by what earlier parts overshot. Parts
 * are due one period apart, so a part that starts late (a late wakeup, or
 * the previous part overran its period) is not lost and the mean stays the
 * share; more than a period behind, the thread skips to the grid again.
 * Returns early, without injecting, when woken before the part is due (to
 * park, to stop, or to take a new share); the smpboot loop calls it again
 * while the share is not 0.
 */
static void tf_idle_fn(unsigned int cpu)
{
	struct tf_idle_cpu *c = per_cpu_ptr(&tf_idle_cpus, cpu);
	u64 now = ktime_get_ns(), share;
	ktime_t expires;

	c->due_ns = tf_idle_due_ns(c->due_ns, now, TF_IDLE_PERIOD_NS);
	if (now < c->due_ns) {
		expires = ns_to_ktime(c->due_ns);
		set_current_state(TASK_IDLE);
		if (kthread_should_park() || kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			return;
		}
		schedule_hrtimeout(&expires, HRTIMER_MODE_ABS);
		now = ktime_get_ns();
		if (now < c->due_ns)
			return;
	}
	share = READ_ONCE(c->share_ns);
	if (!share)
		return;
	if (share != c->debt_for_ns) {
		c->debt_for_ns = share;
		c->debt_ns = 0;
	}
	play_idle_precise(tf_idle_request_ns(share, c->debt_ns), U64_MAX);
	c->debt_ns = tf_idle_debt_ns(c->debt_ns, share, ktime_get_ns() - now,
				     TF_IDLE_PERIOD_NS);
	c->due_ns += TF_IDLE_PERIOD_NS;
}

/* The thread starts, or its CPU is back online: take the package's share. */
static void tf_idle_refresh(unsigned int cpu)
{
	struct tf_lever_pkg *p;

	mutex_lock(&tf_lever_lock);
	p = tf_lever_find(topology_physical_package_id(cpu));
	WRITE_ONCE(per_cpu(tf_idle_cpus, cpu).share_ns, p ? p->idle_ns : 0);
	mutex_unlock(&tf_lever_lock);
}

/*
 * The CPU goes down. (Having .park also makes the smpboot loop call .unpark
 * when it comes back.)
 */
static void tf_idle_park(unsigned int cpu)
{
	struct tf_idle_cpu *c = per_cpu_ptr(&tf_idle_cpus, cpu);

	c->debt_ns = 0;
	c->due_ns = 0;
}

static void tf_idle_setup(unsigned int cpu)
{
	/* play_idle_precise() requires SCHED_FIFO */
	sched_set_fifo(current);
	tf_idle_refresh(cpu);
}

static struct smp_hotplug_thread tf_idle_threads = {
	.store			= &tf_idle_task,
	.thread_should_run	= tf_idle_should_run,
	.thread_fn		= tf_idle_fn,
	.thread_comm		= "tf_idle/%u",
	.setup			= tf_idle_setup,
	.park			= tf_idle_park,
	.unpark			= tf_idle_refresh,
};

/* Creates the threads on the first limit. Takes the CPU hotplug lock. */
static int tf_idle_threads_start(void)
{
	int ret = 0;

	mutex_lock(&tf_idle_reg_lock);
	if (!tf_idle_registered) {
		ret = smpboot_register_percpu_thread(&tf_idle_threads);
		tf_idle_registered = !ret;
	}
	mutex_unlock(&tf_idle_reg_lock);
	return ret;
}

static void tf_idle_threads_stop(void)
{
	unsigned int cpu;

	mutex_lock(&tf_idle_reg_lock);
	if (tf_idle_registered) {
		smpboot_unregister_percpu_thread(&tf_idle_threads);
		tf_idle_registered = false;
	}
	for_each_possible_cpu(cpu)
		WRITE_ONCE(per_cpu(tf_idle_cpus, cpu).share_ns, 0);
	mutex_unlock(&tf_idle_reg_lock);
}

/*
 * Gives the package's share to its online CPUs. A new share takes effect
 * at the next period; 0 stops the injection within one period.
 */
static void tf_idle_push(const struct tf_lever_pkg *p, u64 idle_ns)
{
	struct task_struct *t;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		if (!tf_cpu_in(cpu, p->pkg))
			continue;
		WRITE_ONCE(per_cpu(tf_idle_cpus, cpu).share_ns, idle_ns);
		t = per_cpu(tf_idle_task, cpu);
		if (idle_ns && t)
			wake_up_process(t);
	}
}

/* ---- frequency QoS ---------------------------------------------------- */

static s32 tf_freq_target(const struct tf_freq_req *r, unsigned int perf_pct)
{
	return tf_perf_to_freq_khz(perf_pct, r->policy->cpuinfo.min_freq,
				   r->policy->cpuinfo.max_freq);
}

static void tf_freq_del(struct tf_freq_req *r)
{
	freq_qos_remove_request(&r->req);
	list_del(&r->node);
	kfree(r);
}

static void tf_freq_release(struct tf_lever_pkg *p)
{
	struct tf_freq_req *r, *tmp;

	list_for_each_entry_safe(r, tmp, &p->freq, node)
		tf_freq_del(r);
}

static int tf_freq_add(struct tf_lever_pkg *p, struct cpufreq_policy *policy)
{
	struct tf_freq_req *r;
	int ret;

	list_for_each_entry(r, &p->freq, node)
		if (r->policy == policy)
			return 0;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->policy = policy;
	ret = freq_qos_add_request(&policy->constraints, &r->req, FREQ_QOS_MAX,
				   tf_freq_target(r, p->perf_pct));
	if (ret < 0) {
		kfree(r);
		return ret;
	}
	list_add_tail(&r->node, &p->freq);
	return 0;
}

/*
 * Adds a request to each policy of the package's online CPUs that has none.
 * Returns false when the frequency lever cannot cover the package: a CPU
 * without a policy, or a request that could not be added.
 */
static bool tf_freq_attach(struct tf_lever_pkg *p)
{
	struct cpufreq_policy *policy;
	unsigned int cpu;
	int ret;

	if (!tf_freq_usable)
		return false;
	for_each_online_cpu(cpu) {
		if (!tf_cpu_in(cpu, p->pkg))
			continue;
		policy = cpufreq_cpu_get(cpu);
		if (!policy)
			return false;
		ret = tf_freq_add(p, policy);
		cpufreq_cpu_put(policy);
		if (ret) {
			pr_warn_once("package %u: frequency QoS request failed (%d), idle injection only\n",
				     p->pkg, ret);
			return false;
		}
	}
	return true;
}

/* ---- both ------------------------------------------------------------- */

static u32 tf_lever_bits(const struct tf_lever_pkg *p)
{
	return (list_empty(&p->freq) ? 0 : TF_LEVER_FREQ) |
	       (p->idle_ns ? TF_LEVER_IDLE : 0);
}

/*
 * Sets the package's levers for p->perf_pct. Frequency where cpufreq covers
 * the whole package, else idle injection alone; idle injection also where
 * the lowest frequency is still too fast (the largest share any policy of
 * the package needs).
 */
static int tf_lever_apply(struct tf_lever_pkg *p)
{
	u32 need = 0, idle_pct, min, max;
	struct tf_freq_req *r;

	if (!tf_freq_attach(p))
		tf_freq_release(p);
	list_for_each_entry(r, &p->freq, node) {
		min = r->policy->cpuinfo.min_freq;
		max = r->policy->cpuinfo.max_freq;
		freq_qos_update_request(&r->req, tf_freq_target(r, p->perf_pct));
		need = max_t(u32, need, tf_perf_to_idle_pct(p->perf_pct, min, max));
	}
	if (list_empty(&p->freq))
		need = tf_perf_to_idle_pct(p->perf_pct, 0, 0);

	idle_pct = min_t(u32, need, TF_IDLE_MAX_PCT);
	p->idle_ns = tf_idle_ns(idle_pct, TF_IDLE_PERIOD_NS);
	tf_idle_push(p, p->idle_ns);
	return need > idle_pct ? -ERANGE : 0;
}

static void tf_lever_release(struct tf_lever_pkg *p)
{
	tf_freq_release(p);
	p->idle_ns = 0;
	tf_idle_push(p, 0);
	list_del(&p->node);
	kfree(p);
}

static bool tf_pkg_online(unsigned int pkg)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		if (tf_cpu_in(cpu, pkg))
			return true;
	return false;
}

int tf_lever_set(unsigned int pkg, unsigned int perf_pct, u32 *levers)
{
	struct tf_lever_pkg *p;
	int ret = 0;

	/* before the hotplug lock, which registering takes itself */
	if (perf_pct < 100) {
		ret = tf_idle_threads_start();
		if (ret)
			perf_pct = 101;	/* report the levers, change nothing */
	}

	cpus_read_lock();
	mutex_lock(&tf_lever_lock);
	p = tf_lever_find(pkg);
	if (perf_pct > 100) {
		ret = ret ?: -EINVAL;
	} else if (perf_pct == 100) {
		if (p)
			tf_lever_release(p);
		p = NULL;
	} else if (!tf_pkg_online(pkg)) {
		ret = -ENODEV;
	} else {
		if (!p) {
			p = kzalloc(sizeof(*p), GFP_KERNEL);
			if (!p) {
				ret = -ENOMEM;
				goto out;
			}
			p->pkg = pkg;
			INIT_LIST_HEAD(&p->freq);
			list_add_tail(&p->node, &tf_lever_pkgs);
		}
		p->perf_pct = perf_pct;
		ret = tf_lever_apply(p);
	}
out:
	*levers = p ? tf_lever_bits(p) : 0;
	mutex_unlock(&tf_lever_lock);
	cpus_read_unlock();
	return ret;
}

/*
 * A policy is about to be freed (its cpufreq driver unloads, or its CPU
 * failed to come online): drop our requests on it, and set the packages
 * that had one again, with the levers that remain.
 */
static int tf_policy_event(struct notifier_block *nb, unsigned long event,
			   void *data)
{
	struct cpufreq_policy *policy = data;
	struct tf_freq_req *r, *tmp;
	struct tf_lever_pkg *p;
	bool hit;

	if (event != CPUFREQ_REMOVE_POLICY)
		return NOTIFY_DONE;
	mutex_lock(&tf_lever_lock);
	list_for_each_entry(p, &tf_lever_pkgs, node) {
		hit = false;
		list_for_each_entry_safe(r, tmp, &p->freq, node) {
			if (r->policy == policy) {
				tf_freq_del(r);
				hit = true;
			}
		}
		if (hit)
			tf_lever_apply(p);
	}
	mutex_unlock(&tf_lever_lock);
	return NOTIFY_OK;
}

static struct notifier_block tf_policy_nb = {
	.notifier_call = tf_policy_event,
};

int tf_lever_init(void)
{
	/* fails only when cpufreq is disabled: then there are no policies */
	tf_freq_usable = !cpufreq_register_notifier(&tf_policy_nb,
						    CPUFREQ_POLICY_NOTIFIER);
	return 0;
}

void tf_lever_exit(void)
{
	struct tf_lever_pkg *p, *tmp;

	cpus_read_lock();
	mutex_lock(&tf_lever_lock);
	list_for_each_entry_safe(p, tmp, &tf_lever_pkgs, node)
		tf_lever_release(p);
	mutex_unlock(&tf_lever_lock);
	cpus_read_unlock();

	/* waits for each thread to leave its idle part */
	tf_idle_threads_stop();
	if (tf_freq_usable) {
		cpufreq_unregister_notifier(&tf_policy_nb,
					    CPUFREQ_POLICY_NOTIFIER);
		tf_freq_usable = false;
	}
}
