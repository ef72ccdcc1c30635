// SPDX-License-Identifier: GPL-2.0
/*
 * tf-sensor-check: loads the sensor (the same CO-RE object as everywhere),
 * runs two children with known duty cycles, collects every second and
 * checks what the sensor saw: each collect adds up to the CPUs' elapsed
 * time exactly, each child is reported exited exactly once, and the ratio
 * of their on-CPU times is the ratio of their duty cycles within a
 * tolerance. Prints the figures either way. Used by the VM suite
 * (tests/vm/tests/47-sensor.sh), where it shows the object loads and
 * measures on Debian's 6.1 kernel.
 *
 *   tf-sensor-check [-s seconds] [-t tolerance_pct] [-a pct] [-b pct]
 *                   [-p period_ms] [-w] [-n]
 *
 * -w paces the children by the wall clock instead of their own CPU time
 * (procs.h says when that matters); -n reports the ratio without checking
 * it (conservation and exit reports are still checked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <getopt.h>

#include "sensor.h"
#include "../bpf/procs.h"

static uint64_t reap(pid_t pid)
{
	struct rusage ru;
	int status;

	if (wait4(pid, &status, 0, &ru) != pid)
		return 0;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

int main(int argc, char **argv)
{
	unsigned int seconds = 5, lo = 25, hi = 75, period = 10;
	bool wall = false, check = true;
	double tol = 2.0, want, ratio, kratio;
	uint64_t klo, khi, end;
	struct tf_sensor_stat st;
	struct tp_ent *elo, *ehi;
	struct tf_sensor *s;
	struct tp_acc a;
	pid_t plo, phi;
	int opt, err, bad = 0;

	while ((opt = getopt(argc, argv, "s:t:a:b:p:wn")) != -1) {
		switch (opt) {
		case 's': seconds = atoi(optarg); break;
		case 't': tol = atof(optarg); break;
		case 'a': lo = atoi(optarg); break;
		case 'b': hi = atoi(optarg); break;
		case 'p': period = atoi(optarg); break;
		case 'w': wall = true; break;
		case 'n': check = false; break;
		default:
			fprintf(stderr, "usage: %s [-s seconds] [-t tolerance_pct] "
				"[-a pct] [-b pct] [-p period_ms] [-w] [-n]\n", argv[0]);
			return 2;
		}
	}
	if (!lo || lo > 100 || !hi || hi > 100 || !seconds || !period) {
		fprintf(stderr, "duty cycles in 1..100 %%, seconds and period > 0\n");
		return 2;
	}
	if (tp_acc_init(&a))
		return 1;
	err = tf_sensor_open(&s, 0);
	if (err) {
		fprintf(stderr, "tf_sensor_open: %s\n", strerror(-err));
		return 1;
	}
	printf("sensor loaded: %u package(s), hardware counters %s\n",
	       tf_sensor_packages(s), tf_sensor_has_counters(s) ? "yes" : "no");
	fflush(stdout);
	printf("duty cycles %u %% and %u %%, %u ms periods, paced by %s, %u s\n",
	       lo, hi, period, wall ? "the wall clock" : "their CPU time", seconds);
	fflush(stdout);
	plo = tp_duty_child2(lo, period, seconds, wall);
	phi = tp_duty_child2(hi, period, seconds, wall);
	if (plo < 0 || phi < 0)
		return 1;
	end = tp_now(CLOCK_MONOTONIC) + seconds * 1000000000ULL + 200000000ULL;
	while (tp_now(CLOCK_MONOTONIC) < end) {
		usleep(1000000);
		if ((err = tp_collect(s, &a))) {
			fprintf(stderr, "tf_sensor_collect: %s\n", strerror(-err));
			return 1;
		}
	}
	klo = reap(plo);
	khi = reap(phi);
	for (opt = 0; opt < 2; opt++) {
		if ((err = tp_collect(s, &a))) {
			fprintf(stderr, "tf_sensor_collect: %s\n", strerror(-err));
			return 1;
		}
	}
	tf_sensor_stats(s, &st);
	elo = tp_get(&a, plo);
	ehi = tp_get(&a, phi);
	want = (double)hi / lo;
	ratio = elo->on_ns ? (double)ehi->on_ns / elo->on_ns : 0;
	kratio = klo ? (double)khi / klo : 0;
	printf("%u %%: %.1f ms, %u %%: %.1f ms: ratio %.4f, off by %+.2f %% from %.4f "
	       "(%s)\n", lo, elo->on_ns / 1e6, hi, ehi->on_ns / 1e6, ratio,
	       (ratio / want - 1) * 100, want, check ? "checked" : "not checked");
	printf("kernel's own task times: %.1f ms, %.1f ms: ratio %.4f\n",
	       klo / 1e6, khi / 1e6, kratio);
	printf("conservation: %llu collects over %.1f ms of CPU time, %llu off "
	       "(worst by %llu ns); %llu switches, exits %llu, ring full %llu, "
	       "map full %llu\n", (unsigned long long)a.collects,
	       a.interval_ns / 1e6, (unsigned long long)a.mismatches,
	       (unsigned long long)a.worst_ns, (unsigned long long)st.switches,
	       (unsigned long long)st.exits, (unsigned long long)st.ring_full,
	       (unsigned long long)st.proc_full);
	if (elo->exits != 1 || ehi->exits != 1) {
		printf("FAIL: exit reports %u and %u, want 1 each\n", elo->exits,
		       ehi->exits);
		bad = 1;
	}
	if (a.mismatches || a.on_ns != a.interval_ns) {
		printf("FAIL: the collects do not add up to the CPUs' time\n");
		bad = 1;
	}
	if (check &&
	    (ratio < want * (1 - tol / 100) || ratio > want * (1 + tol / 100))) {
		printf("FAIL: ratio off by more than %.1f %%\n", tol);
		bad = 1;
	}
	tf_sensor_close(s);
	tp_acc_free(&a);
	return bad;
}
