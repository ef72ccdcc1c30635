// SPDX-License-Identifier: GPL-2.0
/*
 * The sensor on this machine's own kernel: load, attach, observe real
 * context switches of real processes, detach. Every collect of every test
 * also checks conservation: the on_ns of all processes add up to the CPUs'
 * elapsed time the collect covered, to the nanosecond.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <mntent.h>
#include "tf_test.h"

#include "sensor.h"
#include "procs.h"

/* A child that burns ms of its own CPU time, then exits. */
static pid_t spin_child(unsigned int ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		tp_spin(ms * 1000000ULL);
		_exit(0);
	}
	return pid;
}

/* Reaps pid; its CPU time (utime + stime, the scheduler's runtime) in ns. */
static uint64_t reap(pid_t pid)
{
	struct rusage ru;
	int status;

	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

static void check_conservation(const struct tp_acc *a)
{
	print_message("conservation: %llu collects, %llu ms of CPU time, %llu "
		      "off by any ns (worst %llu ns)\n",
		      (unsigned long long)a->collects,
		      (unsigned long long)(a->interval_ns / 1000000),
		      (unsigned long long)a->mismatches,
		      (unsigned long long)a->worst_ns);
	assert_int_equal(a->mismatches, 0);
	assert_true(a->on_ns == a->interval_ns);
}

static void test_on_cpu_time_of_a_busy_process(void **state)
{
	struct tf_sensor_stat stat;
	struct tf_sensor *s;
	struct tp_acc a;
	struct tp_ent *e;
	uint64_t cpu;
	pid_t pid;

	(void)state;
	assert_int_equal(tp_acc_init(&a), 0);
	assert_int_equal(tf_sensor_open(&s, 0), 0);
	print_message("packages: %u, hardware counters: %s\n",
		      tf_sensor_packages(s), tf_sensor_has_counters(s) ? "yes" : "no");
	pid = spin_child(300);
	assert_true(pid > 0);
	cpu = reap(pid);
	assert_int_equal(tp_collect(s, &a), 0);
	e = tp_get(&a, pid);
	print_message("child on-CPU: sensor %.3f ms, kernel %.3f ms\n",
		      e->on_ns / 1e6, cpu / 1e6);
	/*
	 * Forked after attach: the sensor saw all of it, up to its exit
	 * report. Its slices include interrupts and a hypervisor's steal time,
	 * which the kernel's own task times leave out (IRQ_TIME_ACCOUNTING,
	 * steal accounting): hence the asymmetric bounds.
	 */
	assert_int_equal(e->exits, 1);
	assert_true(e->on_ns >= cpu - 1000000 && e->on_ns <= cpu * 1.03 + 1000000);
	assert_int_equal(tf_sensor_stats(s, &stat), 0);
	assert_true(stat.switches > 0);
	assert_int_equal(stat.proc_full, 0);
	check_conservation(&a);
	tf_sensor_close(s);
	tp_acc_free(&a);
}

/*
 * A process's name is in its first report, not in the next ones, again
 * after an exec renames it, and again after tf_sensor_forget_names(): the
 * agent sends TF_A_LEDGER_COMM only with the reports that are named.
 */
static void test_names_first_report_and_after_exec(void **state)
{
	struct tf_sensor *s;
	struct tp_acc a;
	struct tp_ent *e;
	int go[2], round;
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(tp_acc_init(&a), 0);
	assert_int_equal(tf_sensor_open(&s, 0), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		/* busy until told to become "sh", which stays busy */
		close(go[1]);
		fcntl(go[0], F_SETFL, O_NONBLOCK);
		while (read(go[0], &c, 1) != 1)
			tp_spin(1000000);
		execl("/bin/sh", "sh", "-c", "while :; do :; done", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	close(go[0]);
	e = tp_get(&a, pid);
	for (round = 0; round < 2; round++) {
		usleep(50000);
		e->reports = 0;
		assert_int_equal(tp_collect(s, &a), 0);
		assert_true(e->reports > 0);
		print_message("round %d: '%s', named %d\n", round, e->comm,
			      e->last_named);
		assert_int_equal(e->last_named, round == 0);
	}
	assert_string_not_equal(e->comm, "sh");
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	/* until the exec shows: the sensor names it at sched_process_exec */
	for (round = 0; round < 100 && strcmp(e->comm, "sh"); round++) {
		usleep(20000);
		assert_int_equal(tp_collect(s, &a), 0);
	}
	assert_string_equal(e->comm, "sh");
	assert_true(e->last_named);
	usleep(50000);
	assert_int_equal(tp_collect(s, &a), 0);
	assert_false(e->last_named);
	tf_sensor_forget_names(s);
	usleep(50000);
	assert_int_equal(tp_collect(s, &a), 0);
	assert_true(e->last_named);
	usleep(50000);
	assert_int_equal(tp_collect(s, &a), 0);
	assert_false(e->last_named);
	kill(pid, SIGKILL);
	reap(pid);
	for (round = 0; round < 100 && !e->exits; round++) {
		usleep(20000);
		assert_int_equal(tp_collect(s, &a), 0);
	}
	assert_int_equal(e->exits, 1);
	assert_string_equal(e->comm, "sh");
	/* first, exec, forgotten; the exit report may be named or not */
	assert_in_range(e->named, 3, 4);
	check_conservation(&a);
	tf_sensor_close(s);
	tp_acc_free(&a);
}

/*
 * (a) Two known duty cycles, 25 % and 75 % in 10 ms periods for 10 s: the
 * ratio of their on-CPU times must be 3 within 2 %.
 */
static void test_duty_cycles_25_75(void **state)
{
	uint64_t cpu25, cpu75, end;
	struct tf_sensor *s;
	struct tp_acc a;
	struct tp_ent *e25, *e75;
	double ratio, kratio;
	pid_t p25, p75;

	(void)state;
	assert_int_equal(tp_acc_init(&a), 0);
	assert_int_equal(tf_sensor_open(&s, 0), 0);
	p25 = tp_duty_child(25, 10, 10);
	p75 = tp_duty_child(75, 10, 10);
	assert_true(p25 > 0 && p75 > 0);
	/* collect every second, as the agent does, while they run */
	end = tp_now(CLOCK_MONOTONIC) + 10200000000ULL;
	while (tp_now(CLOCK_MONOTONIC) < end) {
		usleep(1000000);
		assert_int_equal(tp_collect(s, &a), 0);
	}
	cpu25 = reap(p25);
	cpu75 = reap(p75);
	assert_int_equal(tp_collect(s, &a), 0);
	assert_int_equal(tp_collect(s, &a), 0);
	e25 = tp_get(&a, p25);
	e75 = tp_get(&a, p75);
	ratio = (double)e75->on_ns / e25->on_ns;
	kratio = (double)cpu75 / cpu25;
	print_message("25 %%: %.1f ms, 75 %%: %.1f ms, ratio %.4f (kernel's "
		      "own times: %.1f ms, %.1f ms, ratio %.4f)\n",
		      e25->on_ns / 1e6, e75->on_ns / 1e6, ratio,
		      cpu25 / 1e6, cpu75 / 1e6, kratio);
	assert_int_equal(e25->exits, 1);
	assert_int_equal(e75->exits, 1);
	assert_true(ratio > 3.0 * 0.98 && ratio < 3.0 * 1.02);
	check_conservation(&a);
	tf_sensor_close(s);
	tp_acc_free(&a);
}

/*
 * (b) A fork storm: 600 short-lived processes beside two that live through
 * it. Each is reported exactly once as exited, and every nanosecond the
 * CPUs ran is in some process's report (tgid 0 included).
 */
#define STORM 600
static void test_fork_storm_loses_nothing(void **state)
{
	uint64_t kernel = 0, storm = 0, surv = 0, idle;
	const struct tf_sensor_ustat *us;
	struct tf_sensor_stat stat;
	struct tf_sensor *s;
	struct tp_acc a;
	pid_t *pids, keep[2];
	int i, j, once = 0, late = 0;

	(void)state;
	pids = calloc(STORM, sizeof(*pids));
	assert_non_null(pids);
	assert_int_equal(tp_acc_init(&a), 0);
	assert_int_equal(tf_sensor_open(&s, 0), 0);
	keep[0] = tp_duty_child(50, 10, 3);
	keep[1] = tp_duty_child(20, 10, 3);
	for (i = 0; i < STORM; i += 50) {
		for (j = i; j < i + 50; j++) {
			pids[j] = spin_child(1 + j % 3);
			assert_true(pids[j] > 0);
		}
		for (j = i; j < i + 50; j++)
			kernel += reap(pids[j]);
		assert_int_equal(tp_collect(s, &a), 0);
	}
	reap(keep[0]);
	reap(keep[1]);
	assert_int_equal(tp_collect(s, &a), 0);
	assert_int_equal(tp_collect(s, &a), 0);
	for (i = 0; i < STORM; i++) {
		struct tp_ent *e = tp_get(&a, pids[i]);

		once += e->exits == 1;
		late += e->after_exit;
		storm += e->on_ns;
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(tp_get(&a, keep[i])->exits, 1);
		surv += tp_get(&a, keep[i])->on_ns;
	}
	idle = tp_get(&a, 0)->on_ns;
	assert_int_equal(tf_sensor_stats(s, &stat), 0);
	us = tf_sensor_ustats(s);
	print_message("%d processes: %d reported exited exactly once; their on-CPU "
		      "%.1f ms (kernel: %.1f ms); survivors %.1f ms; tgid 0 %.1f ms; "
		      "all %.1f ms = CPUs' elapsed %.1f ms\n",
		      STORM, once, storm / 1e6, kernel / 1e6, surv / 1e6, idle / 1e6,
		      a.on_ns / 1e6, a.interval_ns / 1e6);
	print_message("exits %llu (ring full %llu, dup %llu, vanished %llu), "
		      "time after final reports %.3f ms\n",
		      (unsigned long long)us->exits, (unsigned long long)stat.ring_full,
		      (unsigned long long)us->dup_exits, (unsigned long long)us->vanished,
		      stat.tail_ns / 1e6);
	assert_int_equal(once, STORM);
	assert_int_equal(late, 0);
	assert_int_equal(stat.ring_full, 0);
	assert_int_equal(stat.proc_full, 0);
	/* the sensor's time of each process ends at its report, the kernel's
	 * at its last switch: the sums agree within the exits' tails */
	assert_true(storm + stat.tail_ns + STORM * 100000ULL >= kernel);
	assert_true(storm <= kernel + STORM * 100000ULL);
	check_conservation(&a);
	tf_sensor_close(s);
	tp_acc_free(&a);
	free(pids);
}

/*
 * A ring buffer too small for a storm: the reports it has no room for are
 * counted, their entries stay, and the user side reports them from the map.
 */
#define FLOOD 6000
static void test_ring_full_reports_from_the_map(void **state)
{
	const struct tf_sensor_ustat *us;
	struct tf_sensor_stat stat;
	struct tf_sensor *s;
	struct tp_acc a;
	pid_t *pids;
	int i, once = 0;

	(void)state;
	pids = calloc(FLOOD, sizeof(*pids));
	assert_non_null(pids);
	assert_int_equal(tp_acc_init(&a), 0);
	assert_int_equal(tf_sensor_open(&s, 0), 0);
	for (i = 0; i < FLOOD; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(0);
		assert_true(pids[i] > 0);
		if (i % 64 == 63)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
	}
	while (wait(NULL) > 0)
		;
	for (i = 0; i < 3; i++)
		assert_int_equal(tp_collect(s, &a), 0);
	for (i = 0; i < FLOOD; i++)
		once += tp_get(&a, pids[i])->exits == 1 &&
			!tp_get(&a, pids[i])->after_exit;
	assert_int_equal(tf_sensor_stats(s, &stat), 0);
	us = tf_sensor_ustats(s);
	print_message("%d processes, no collect: %llu reports sent, %llu found the "
		      "ring full and were reported from the map (%llu); %d reported "
		      "exited exactly once\n", FLOOD, (unsigned long long)stat.exits,
		      (unsigned long long)stat.ring_full,
		      (unsigned long long)us->ring_exits, once);
	assert_true(stat.ring_full > 0);
	assert_int_equal(us->ring_exits, stat.ring_full);
	assert_int_equal(once, FLOOD);
	check_conservation(&a);
	tf_sensor_close(s);
	tp_acc_free(&a);
	free(pids);
}

/* (c) A process map too small: counted, its time goes to tgid 0, no crash. */
static void test_full_map_is_counted(void **state)
{
	struct tf_sensor_stat stat;
	struct tf_sensor_opts o = { .max_procs = 8 };
	struct tf_sensor *s;
	struct tp_acc a;
	pid_t pids[24];
	int i, reported = 0;

	(void)state;
	assert_int_equal(tp_acc_init(&a), 0);
	assert_int_equal(tf_sensor_open2(&s, &o), 0);
	for (i = 0; i < 24; i++) {
		pids[i] = spin_child(10);
		assert_true(pids[i] > 0);
		if (i % 8 == 7)
			assert_int_equal(tp_collect(s, &a), 0);
	}
	for (i = 0; i < 24; i++) {
		reap(pids[i]);
	}
	assert_int_equal(tp_collect(s, &a), 0);
	assert_int_equal(tp_collect(s, &a), 0);
	for (i = 0; i < 24; i++) {
		assert_true(tp_get(&a, pids[i])->exits <= 1);
		reported += tp_get(&a, pids[i])->exits;
	}
	assert_int_equal(tf_sensor_stats(s, &stat), 0);
	print_message("map of 8: full %llu times, %.1f ms went to tgid 0; %d of 24 "
		      "children had an entry\n", (unsigned long long)stat.proc_full,
		      stat.full_ns / 1e6, reported);
	assert_true(stat.proc_full > 0);
	assert_true(stat.full_ns > 0);
	check_conservation(&a);
	tf_sensor_close(s);
	tp_acc_free(&a);
}

static void *sleeper(void *arg)
{
	int *fd = arg;
	pid_t tid = syscall(SYS_gettid);

	if (write(fd[1], &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

/*
 * A group that never qualifies for a report: a ptraced thread is not
 * released until its tracer reaps it, so at every last switch another
 * thread is left. The reaper finds the process gone and reports it.
 */
static void test_reaper_reports_a_group_never_reported(void **state)
{
	const struct tf_sensor_ustat *us;
	struct tf_sensor *s;
	struct tp_acc a;
	int fd[2], i;
	pid_t pid, tid;

	(void)state;
	assert_int_equal(tp_acc_init(&a), 0);
	assert_int_equal(tf_sensor_open(&s, 0), 0);
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	if (pid == 0) {
		pthread_t t;
		char c;

		if (pthread_create(&t, NULL, sleeper, fd))
			_exit(1);
		tp_spin(20000000ULL);
		/* the parent traces the thread, then lets us exit */
		if (read(fd[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(read(fd[0], &tid, sizeof(tid)), sizeof(tid));
	assert_int_equal(ptrace(PTRACE_SEIZE, tid, NULL, NULL), 0);
	assert_int_equal(write(fd[1], "x", 1), 1);
	/* the traced thread's exit stops for its tracer: reap it, then pid */
	assert_int_equal(waitpid(tid, NULL, __WALL), tid);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	close(fd[0]);
	close(fd[1]);
	for (i = 0; i < 4; i++)
		assert_int_equal(tp_collect(s, &a), 0);
	us = tf_sensor_ustats(s);
	print_message("traced group: %.1f ms, %u report(s), exited %u time(s); "
		      "reaped %llu\n", tp_get(&a, pid)->on_ns / 1e6,
		      tp_get(&a, pid)->reports, tp_get(&a, pid)->exits,
		      (unsigned long long)us->reaped);
	assert_int_equal(tp_get(&a, pid)->exits, 1);
	assert_true(us->reaped >= 1);
	assert_true(tf_sensor_proc(s, pid, &(struct tf_counts){ 0 }) == -ENOENT);
	check_conservation(&a);
	tf_sensor_close(s);
	tp_acc_free(&a);
}

/* The mount point of the cgroup v2 hierarchy, or NULL. */
static char *cgroup2_root(void)
{
	struct mntent *m;
	char *root = NULL;
	FILE *f = setmntent("/proc/self/mounts", "r");

	if (!f)
		return NULL;
	while (!root && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2"))
			root = strdup(m->mnt_dir);
	endmntent(f);
	return root;
}

/* (d) A busy child in a cgroup of its own: the cgroup gets its time. */
static void test_cgroup_accumulates(void **state)
{
	char dir[256], procs[300];
	struct tf_counts cg;
	struct tf_sensor *s;
	struct tp_acc a;
	struct stat st;
	uint64_t cpu;
	char *root;
	int go[2];
	pid_t pid;

	(void)state;
	root = cgroup2_root();
	if (!root) {
		print_message("no cgroup v2 hierarchy mounted\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/tf-sensor-test-%d", root, getpid());
	free(root);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(tp_acc_init(&a), 0);
	assert_int_equal(tf_sensor_open(&s, 0), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		char c;

		/* the parent moves it, then lets it run */
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		tp_spin(200000000ULL);
		_exit(0);
	}
	assert_true(pid > 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	{
		FILE *f = fopen(procs, "w");

		assert_non_null(f);
		fprintf(f, "%d\n", pid);
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(write(go[1], "x", 1), 1);
	cpu = reap(pid);
	close(go[0]);
	close(go[1]);
	assert_int_equal(tp_collect(s, &a), 0);
	/* a cgroup v2 id is the inode number of its directory */
	assert_int_equal(tf_sensor_cgroup(s, st.st_ino, &cg), 0);
	print_message("cgroup %llu: %.3f ms on CPU (child: sensor %.3f ms, "
		      "kernel %.3f ms), child's cgroup id %llu\n",
		      (unsigned long long)st.st_ino, cg.on_ns / 1e6,
		      tp_get(&a, pid)->on_ns / 1e6, cpu / 1e6,
		      (unsigned long long)tp_get(&a, pid)->cgroup_id);
	assert_int_equal(tp_get(&a, pid)->cgroup_id, st.st_ino);
	/* all of its spin, and nothing but the child (and its exit's tail) */
	assert_true(cg.on_ns >= 190000000ULL);
	assert_true(cg.on_ns <= tp_get(&a, pid)->on_ns + 2000000);
	assert_int_equal(rmdir(dir), 0);
	check_conservation(&a);
	tf_sensor_close(s);
	tp_acc_free(&a);
}

/*
 * The counter path, on a CPU without hardware counters: software cpu-clock
 * events stand in for both, so cycles read nanoseconds and must match
 * on-CPU time.
 */
static void test_counter_path_with_cpu_clock(void **state)
{
	struct tf_sensor_opts o = { .sw_counters = true };
	struct tf_sensor_stat stat;
	struct tf_sensor *s;
	struct tp_acc a;
	struct tp_ent *e;
	pid_t pid;

	(void)state;
	assert_int_equal(tp_acc_init(&a), 0);
	assert_int_equal(tf_sensor_open2(&s, &o), 0);
	assert_true(tf_sensor_has_counters(s));
	pid = spin_child(200);
	reap(pid);
	assert_int_equal(tp_collect(s, &a), 0);
	e = tp_get(&a, pid);
	assert_int_equal(tf_sensor_stats(s, &stat), 0);
	print_message("child: on %.3f ms, cpu-clock %.3f ms; all: on %.3f ms, "
		      "cpu-clock %.3f ms; read errors %llu\n", e->on_ns / 1e6,
		      e->cycles / 1e6, a.on_ns / 1e6, a.cycles / 1e6,
		      (unsigned long long)stat.counter_err);
	assert_int_equal(stat.counter_err, 0);
	assert_true(e->cycles > e->on_ns * 0.98 && e->cycles < e->on_ns * 1.02);
	check_conservation(&a);
	tf_sensor_close(s);
	tp_acc_free(&a);
}

/* ---- the loader child (agent/sensor.c's tf_load_in_child) ---------------- */

/* What the loader child does, set by a test before tf_sensor_open2(). */
static struct {
	int load;		/* -errno: the load fails with it */
	int send;		/* TF_LF_SHORT, ...: its answer damaged */
	bool kill;		/* killed by SIGKILL before the load */
	bool exit;		/* exits before the load, saying nothing */
	bool nofile;		/* raises its RLIMIT_NOFILE back to the hard one */
} fault;

/* The hook agent/sensor.c calls in the loader child (a weak symbol there). */
int tf_sensor_loader_fault(int where)
{
	if (where == TF_LF_SEND)
		return fault.send;
	if (fault.nofile) {
		struct rlimit r;

		if (!getrlimit(RLIMIT_NOFILE, &r)) {
			r.rlim_cur = r.rlim_max;
			setrlimit(RLIMIT_NOFILE, &r);
		}
	}
	if (fault.kill)
		raise(SIGKILL);
	if (fault.exit)
		_exit(3);
	return fault.load;
}

/* Open file descriptors, and the highest one in *max. */
static int count_fds(int *max)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0, hi = -1;

	assert_non_null(dir);
	while ((d = readdir(dir))) {
		int fd;

		if (d->d_name[0] == '.')
			continue;
		fd = atoi(d->d_name);
		if (fd != dirfd(dir)) {
			n++;
			if (fd > hi)
				hi = fd;
		}
	}
	closedir(dir);
	if (max)
		*max = hi;
	return n;
}

/* No child is left unreaped (this test process has no others now). */
static void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* A busy process forked after open, seen by a collect: the programs run. */
static void assert_sees_a_busy_child(struct tf_sensor *s)
{
	struct tf_sensor_stat stat;
	struct tf_counts self;
	struct tp_acc a;
	struct tp_ent *e;
	uint64_t cpu;
	pid_t pid;

	assert_int_equal(tp_acc_init(&a), 0);
	pid = spin_child(200);
	assert_true(pid > 0);
	cpu = reap(pid);
	assert_int_equal(tp_collect(s, &a), 0);
	e = tp_get(&a, pid);
	assert_int_equal(e->exits, 1);
	assert_true(e->on_ns >= cpu - 1000000 && e->on_ns <= cpu * 1.03 + 1000000);
	/* lookups of single entries in the maps the object took over */
	assert_int_equal(tf_sensor_proc(s, getpid(), &self), 0);
	assert_true(self.on_ns > 0);
	assert_int_equal(tf_sensor_proc(s, 0x7ffffffe, &self), -ENOENT);
	assert_int_equal(tf_sensor_stats(s, &stat), 0);
	assert_true(stat.switches > 0);
	assert_int_equal(stat.proc_full, 0);
	check_conservation(&a);
	tp_acc_free(&a);
}

/*
 * Loaded by the child, which has exited: the links it passed keep the
 * programs attached, the maps it passed are the ones they fill, and
 * closing the sensor detaches them.
 */
static void test_loader_child_keeps_programs_attached(void **state)
{
	struct tf_sensor_opts o = { .counters = true };
	int before = count_fds(NULL);
	struct tf_sensor *s;
	uint64_t t0;

	(void)state;
	unsetenv("TF_SENSOR_INPROC");
	t0 = tp_now(CLOCK_MONOTONIC);
	if (tf_sensor_open2(&s, &o))
		fail_msg("open: %s", tf_sensor_error());
	assert_string_equal(tf_sensor_error(), "");
	assert_no_children();
	print_message("open: %.0f ms; the loader child's peak RSS (VmHWM): %llu KiB\n",
		      (tp_now(CLOCK_MONOTONIC) - t0) / 1e6,
		      (unsigned long long)tf_sensor_ustats(s)->loader_hwm_kb);
	assert_true(tf_sensor_ustats(s)->loader_hwm_kb > 0);
	assert_sees_a_busy_child(s);
	assert_sees_a_busy_child(s);
	tf_sensor_close(s);
	assert_int_equal(count_fds(NULL), before);
}

/* TF_SENSOR_INPROC=1: loaded in this process, as before; the same results. */
static void test_inproc_escape_hatch(void **state)
{
	int before = count_fds(NULL);
	struct tf_sensor *s;

	(void)state;
	setenv("TF_SENSOR_INPROC", "1", 1);
	fault.exit = true;	/* no loader child may run */
	if (tf_sensor_open(&s, 0))
		fail_msg("open: %s", tf_sensor_error());
	fault.exit = false;
	unsetenv("TF_SENSOR_INPROC");
	assert_int_equal(tf_sensor_ustats(s)->loader_hwm_kb, 0);
	assert_sees_a_busy_child(s);
	tf_sensor_close(s);
	assert_int_equal(count_fds(NULL), before);
}

/* One failing open: its error names want, nothing leaks, no child is left. */
static void expect_open_fails(const char *want, rlim_t nofile)
{
	struct tf_sensor_opts o = { .counters = false };
	struct tf_sensor *s = NULL;
	struct rlimit old, r;
	int before = count_fds(NULL), err;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (nofile) {
		r = old;
		r.rlim_cur = nofile;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &r), 0);
	}
	err = tf_sensor_open2(&s, &o);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	memset(&fault, 0, sizeof(fault));
	print_message("%d: %s\n", err, tf_sensor_error());
	assert_true(err < 0);
	assert_null(s);
	if (!strstr(tf_sensor_error(), want))
		fail_msg("\"%s\" does not say \"%s\"", tf_sensor_error(), want);
	assert_int_equal(count_fds(NULL), before);
	assert_no_children();
}

static void test_loader_child_failures(void **state)
{
	char btf[512];

	(void)state;
	unsetenv("TF_SENSOR_INPROC");
	/* no BTF: libbpf's ESRCH, explained exactly as in-process loading does */
	tf_sensor_explain(btf, sizeof(btf), "loading the BPF object into the kernel",
			  -ESRCH, "/sys/kernel/btf/vmlinux");
	fault.load = -ESRCH;
	expect_open_fails(btf, 0);
	assert_string_equal(tf_sensor_error(), btf);
	fault.load = -EPERM;
	expect_open_fails("loading the BPF object into the kernel failed: "
			  "Operation not permitted; needs CAP_BPF", 0);
	fault.kill = true;
	expect_open_fails("loading the BPF object in its loader process failed: "
			  "killed by signal 9", 0);
	fault.exit = true;
	expect_open_fails("loading the BPF object in its loader process failed: "
			  "it exited (status 3) without an answer", 0);
	fault.send = TF_LF_SHORT;
	expect_open_fails("receiving the BPF object from its loader process failed: "
			  "a short or garbled message", 0);
	fault.send = TF_LF_FEWER_FDS;
	expect_open_fails("receiving the BPF object from its loader process failed: ", 0);
	fault.send = TF_LF_BADNAME;
	expect_open_fails("receiving the BPF object from its loader process failed: map 0 is", 0);
}

/*
 * Out of file descriptors: with room for the socket pair and two more, the
 * child (its limit raised back) loads, and its answer arrives without most
 * of its descriptors; with less room, the child or the socket pair fails.
 */
static void test_loader_child_out_of_fds(void **state)
{
	int max, fill[1024], nfill = 0, fd;

	(void)state;
	unsetenv("TF_SENSOR_INPROC");
	/* the free numbers below the highest open one taken: fd numbers count */
	count_fds(&max);
	while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0 && fd < max &&
	       nfill < 1024)
		fill[nfill++] = fd;
	if (fd > max)
		close(fd);
	else if (fd >= 0)
		fill[nfill++] = fd;
	count_fds(&max);
	fault.nofile = true;
	expect_open_fails("receiving the BPF object from its loader process failed: ",
			  max + 5);
	assert_non_null(strstr(tf_sensor_error(),
			       "file descriptors arrived (RLIMIT_NOFILE?)"));
	expect_open_fails(" failed: ", max + 5);
	expect_open_fails("starting the BPF loader process failed: Too many open files",
			  max + 2);
	while (nfill)
		close(fill[--nfill]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_cpu_time_of_a_busy_process),
		cmocka_unit_test(test_names_first_report_and_after_exec),
		cmocka_unit_test(test_duty_cycles_25_75),
		cmocka_unit_test(test_fork_storm_loses_nothing),
		cmocka_unit_test(test_ring_full_reports_from_the_map),
		cmocka_unit_test(test_full_map_is_counted),
		cmocka_unit_test(test_reaper_reports_a_group_never_reported),
		cmocka_unit_test(test_cgroup_accumulates),
		cmocka_unit_test(test_counter_path_with_cpu_clock),
		cmocka_unit_test(test_loader_child_keeps_programs_attached),
		cmocka_unit_test(test_inproc_escape_hatch),
		cmocka_unit_test(test_loader_child_failures),
		cmocka_unit_test(test_loader_child_out_of_fds),
	};

	return TF_RUN_TESTS("bpf-sensor", tests);
}
