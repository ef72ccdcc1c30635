// SPDX-License-Identifier: GPL-2.0
/*
 * tf-sensor-bench: what the sensor costs a context switch, beside the
 * equivalent bpftrace one-liner (make bench-sensor, docs/benchmarks.md).
 *
 * Each repetition runs the same context-switch load (perf bench sched pipe,
 * both tasks on one CPU: every op is two switches there) four times: with
 * nothing attached, with an empty tp_btf/sched_switch program (the floor:
 * what any program costs, the statistics' own clock reads included), with
 * the sensor, with bpftrace; the order rotates from one repetition to the
 * next. With a program attached the load runs twice: once for throughput
 * (ops/s) with the kernel's BPF statistics off, since they add two clock
 * reads to every run, then once with them on (BPF_ENABLE_STATS, what
 * sysctl kernel.bpf_stats_enabled=1 turns on) for the cost per switch:
 * run_time_ns / run_cnt of the program over that run. Figures are medians
 * over repetitions; ratios are taken within a repetition.
 *
 *   tf-sensor-bench [-r repetitions] [-l loops] [-c cpu]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/filter.h>

#include "sensor.h"

#define BPFTRACE_PROG \
	"tracepoint:sched:sched_switch { $t = nsecs; " \
	"if (@s[cpu]) { @ns[pid] = sum($t - @s[cpu]); } @s[cpu] = $t; }"

enum { NONE, FLOOR, SENSOR, BPFTRACE, NMODES };
static const char *const mode_name[NMODES] = {
	"none", "empty", "sensor", "bpftrace"
};

struct run {
	double ops;		/* ops/s of the load */
	double ns;		/* ns per program run */
	unsigned long long cnt;	/* program runs */
};

static unsigned int loops = 50000, cpu;

/* The newest program of that name and type with an id above min_id. */
static int find_prog(const char *name, __u32 type, __u32 min_id)
{
	__u32 id = min_id;
	int found = -1;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == type &&
		    !strcmp(info.name, name)) {
			if (found >= 0)
				close(found);
			found = fd;
			continue;
		}
		close(fd);
	}
	return found;
}

static __u32 last_prog_id(void)
{
	__u32 id = 0;

	while (!bpf_prog_get_next_id(id, &id))
		;
	return id;
}

static void prog_stats(int fd, unsigned long long *cnt, unsigned long long *ns)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	*cnt = *ns = 0;
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*cnt = info.run_cnt;
		*ns = info.run_time_ns;
	}
}

/* One run of the load: its ops/s, or 0. */
static double load(void)
{
	char cmd[128], line[256];
	double ops = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "taskset -c %u perf bench sched pipe -l %u 2>&1", cpu, loops);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "ops/sec"))
			ops = strtod(line, NULL);
	pclose(p);
	return ops;
}

/* "return 0" on tp_btf/sched_switch: the cost of any program there. */
static int floor_attach(int *prog)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int id = libbpf_find_vmlinux_btf_id("sched_switch", BPF_TRACE_RAW_TP);
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = BPF_TRACE_RAW_TP);
	int link;

	if (id < 0)
		return id;
	o.attach_btf_id = id;
	*prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "tf_empty", "GPL", insns,
			      2, &o);
	if (*prog < 0)
		return *prog;
	link = bpf_raw_tracepoint_open(NULL, *prog);
	if (link < 0)
		close(*prog);
	return link;
}

static pid_t bpftrace_start(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execlp("bpftrace", "bpftrace", "-e", BPFTRACE_PROG, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int run_mode(int mode, struct run *r)
{
	unsigned long long c0, t0, c1, t1;
	struct tf_sensor *s = NULL;
	int fd = -1, link = -1, i, err;
	pid_t bt = -1;

	memset(r, 0, sizeof(*r));
	if (mode == FLOOR) {
		link = floor_attach(&fd);
		if (link < 0) {
			fprintf(stderr, "empty program: %s\n", strerror(-link));
			return link;
		}
	} else if (mode == SENSOR) {
		err = tf_sensor_open(&s, 0);
		if (err) {
			fprintf(stderr, "tf_sensor_open: %s\n", strerror(-err));
			return err;
		}
		fd = find_prog("tf_sched_switch", BPF_PROG_TYPE_TRACING, 0);
	} else if (mode == BPFTRACE) {
		__u32 before = last_prog_id();

		bt = bpftrace_start();
		/* it compiles first: wait until its program is there */
		for (i = 0; i < 300 && fd < 0; i++) {
			usleep(50000);
			fd = find_prog("sched_switch", BPF_PROG_TYPE_TRACEPOINT, before);
		}
		if (fd < 0) {
			fprintf(stderr, "bpftrace did not attach\n");
			kill(bt, SIGKILL);
			waitpid(bt, NULL, 0);
			return -ENOENT;
		}
		usleep(200000);	/* attached after load */
	}
	r->ops = load();
	if (fd >= 0) {
		/* the kernel's BPF run-time statistics, while this fd lives */
		int stats = bpf_enable_stats(BPF_STATS_RUN_TIME);

		if (stats < 0) {
			fprintf(stderr, "bpf_enable_stats: %s\n", strerror(-stats));
			r->ops = 0;
		} else {
			prog_stats(fd, &c0, &t0);
			load();
			prog_stats(fd, &c1, &t1);
			close(stats);
			r->cnt = c1 - c0;
			r->ns = r->cnt ? (double)(t1 - t0) / r->cnt : 0;
		}
	}
	if (link >= 0)
		close(link);
	if (fd >= 0)
		close(fd);
	tf_sensor_close(s);
	if (bt > 0) {
		/* bpftrace 0.17 can miss a SIGINT: ask again, then insist */
		for (i = 0; waitpid(bt, NULL, WNOHANG) != bt; i++) {
			if (i == 100) {
				kill(bt, SIGKILL);
				waitpid(bt, NULL, 0);
				break;
			}
			if (i % 20 == 0)
				kill(bt, SIGINT);
			usleep(100000);
		}
	}
	return r->ops > 0 ? 0 : -EIO;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int reps = 7, opt, rep, k;
	struct run *runs;
	double *v;

	while ((opt = getopt(argc, argv, "r:l:c:")) != -1) {
		switch (opt) {
		case 'r': reps = atoi(optarg); break;
		case 'l': loops = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-r repetitions] [-l loops] [-c cpu]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1)
		return 2;
	runs = calloc(reps * NMODES, sizeof(*runs));
	v = calloc(reps, sizeof(*v));
	if (!runs || !v)
		return 1;
	printf("load: taskset -c %u perf bench sched pipe -l %u (2 switches per op)\n",
	       cpu, loops);
	printf("bpftrace: %s\n", BPFTRACE_PROG);
	for (rep = 0; rep < reps; rep++) {
		for (k = 0; k < NMODES; k++) {
			int mode = (rep + k) % NMODES;
			struct run *r = &runs[rep * NMODES + mode];

			if (run_mode(mode, r))
				return 1;
			printf("rep %d %-8s %8.0f ops/s", rep + 1, mode_name[mode], r->ops);
			if (mode != NONE)
				printf("  %6.1f ns per run over %llu runs", r->ns, r->cnt);
			printf("\n");
			fflush(stdout);
		}
	}
	printf("median over %d repetitions:\n", reps);
	for (rep = 0; rep < reps; rep++)
		v[rep] = runs[rep * NMODES + NONE].ops;
	printf("  %-8s %8.0f ops/s\n", "none", median(v, reps));
	for (k = FLOOR; k < NMODES; k++) {
		double ops, ratio, ns;

		for (rep = 0; rep < reps; rep++)
			v[rep] = runs[rep * NMODES + k].ops;
		ops = median(v, reps);
		for (rep = 0; rep < reps; rep++)
			v[rep] = runs[rep * NMODES + k].ops / runs[rep * NMODES + NONE].ops;
		ratio = median(v, reps);
		for (rep = 0; rep < reps; rep++)
			v[rep] = runs[rep * NMODES + k].ns;
		ns = median(v, reps);
		printf("  %-8s %8.0f ops/s  throughput %.4f of none (%+.2f %%)  "
		       "%.1f ns per sched_switch", mode_name[k], ops, ratio,
		       (ratio - 1) * 100, ns);
		if (k != FLOOR) {
			/* what the program adds to any program's dispatch */
			for (rep = 0; rep < reps; rep++)
				v[rep] = runs[rep * NMODES + k].ops /
					 runs[rep * NMODES + FLOOR].ops;
			printf("  (%+.2f %% against empty)", (median(v, reps) - 1) * 100);
		}
		printf("\n");
	}
	free(runs);
	free(v);
	return 0;
}
