// SPDX-License-Identifier: GPL-2.0
/*
 * The sensor on this machine's own kernel: load, attach, observe real
 * context switches of real processes, detach.
 */
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tf_test.h"

#include "sensor.h"

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A child that burns CPU for ms milliseconds of its own CPU time. */
static pid_t spin_child(unsigned int ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		uint64_t end = now_ns(CLOCK_PROCESS_CPUTIME_ID) + ms * 1000000ULL;

		while (now_ns(CLOCK_PROCESS_CPUTIME_ID) < end)
			;
		_exit(0);
	}
	return pid;
}

static void test_on_cpu_time_of_a_busy_process(void **state)
{
	struct tf_sensor_stat stat;
	struct tf_proc_stat ps;
	struct tf_sensor *s;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(tf_sensor_open(&s, 0), 0);
	pid = spin_child(300);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(tf_sensor_proc(s, pid, &ps), 0);
	/*
	 * The child ran 300 ms of CPU time; the sensor saw all of it except
	 * what elapsed before its CPU's first switch after attach (none: the
	 * child was forked after attach). Allow scheduler tick granularity.
	 */
	print_message("child on-CPU: %.1f ms\n", ps.on_ns / 1e6);
	assert_true(ps.on_ns >= 290000000ULL);
	assert_true(ps.on_ns <= 400000000ULL);
	assert_int_equal(tf_sensor_stats(s, &stat), 0);
	assert_true(stat.switches > 0);
	assert_int_equal(stat.proc_full, 0);
	tf_sensor_close(s);
}

static void test_full_map_is_counted(void **state)
{
	struct tf_sensor_stat stat;
	struct tf_sensor *s;
	int i, status;

	(void)state;
	/* Room for 2 processes: the idle task and one more, then it is full. */
	assert_int_equal(tf_sensor_open(&s, 2), 0);
	for (i = 0; i < 4; i++) {
		pid_t pid = spin_child(20);

		assert_true(pid > 0);
		waitpid(pid, &status, 0);
	}
	assert_int_equal(tf_sensor_stats(s, &stat), 0);
	print_message("proc map full: %llu times\n",
		      (unsigned long long)stat.proc_full);
	assert_true(stat.proc_full > 0);
	tf_sensor_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_cpu_time_of_a_busy_process),
		cmocka_unit_test(test_full_map_is_counted),
	};

	return TF_RUN_TESTS("bpf-sensor", tests);
}
