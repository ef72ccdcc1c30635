// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's accounting tick (agent/agent.c) end to end on this machine's
 * kernel: the BPF sensor's collect, NVML through agent/nvml.c, the split,
 * the ledger rows. The GPUs are the NVML TEST DOUBLE
 * (tests/nvml-double: no NVIDIA GPU here), the module is the NETLINK
 * DOUBLE of agent_nl.h (no module here). Needs root (the sensor).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tf_test.h"
#include "procs.h"

#include "agent.h"
#include "agent_nl.h"

/* build/tests/bpf/test_agent -> build/tests/nvml-double/libnvidia-ml.so.1 */
static void use_nvml_double(void)
{
	char exe[PATH_MAX], lib[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	snprintf(lib, sizeof(lib), "%s/../nvml-double/libnvidia-ml.so.1",
		 dirname(exe));
	assert_int_equal(access(lib, R_OK), 0);
	setenv("TF_NVML_LIB", lib, 1);
}

/*
 * GPU 0 runs A (40 % SM, also busy on a CPU) and B (30 %, asleep on the
 * CPU: the sensor reports it once, then the GPU samples alone bring it in);
 * GPU 1 runs B alone. Each GPU's energy goes to its processes by their SM
 * share, to the µJ; a process's name is in its first row and its last
 * (exited) only, though the sensor reported it every tick.
 */
static void test_gpu_split_and_names(void **state)
{
	struct tf_agent_opts o = { .max_procs = 16384, .gpus = true };
	char dir[] = "/tmp/tf-test-agent.XXXXXX", path[PATH_MAX];
	const struct tf_agent_stats *st;
	struct nd_proc *pa, *pb;
	int hold[2], ticks = 0, i;
	struct tf_agent *a;
	pid_t A, B;
	FILE *f;

	(void)state;
	if (geteuid()) {
		print_message("skipped: needs root (the BPF sensor)\n");
		skip();
	}
	memset(&nd, 0, sizeof(nd));
	use_nvml_double();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pipe(hold), 0);
	A = tp_duty_child(50, 10, 30);
	assert_true(A > 0);
	B = fork();
	if (B == 0) {
		char c;

		close(hold[1]);
		(void)!read(hold[0], &c, 1);	/* asleep until the end */
		_exit(0);
	}
	assert_true(B > 0);
	close(hold[0]);
	snprintf(path, sizeof(path), "%s/gpu.state", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "gpus=2\nsample_ms=100\ngpu0.procs=%d:40,%d:30\ngpu1.procs=%d:60\n",
		A, B, B);
	fclose(f);
	setenv("TF_NVML_DOUBLE_STATE", path, 1);
	pa = nd_watch(A);
	pb = nd_watch(B);

	if (tf_agent_open(&a, &o))
		fail_msg("agent: %s", tf_agent_error());
	st = tf_agent_stats(a);
	assert_int_equal(st->gpus, 2);
	for (i = 0; i < 12; i++) {
		usleep(150000);
		assert_int_equal(tf_agent_tick(a), 0);
		ticks++;
	}
	print_message("A: %u rows (%u named '%s'), gpu-0 %llu uJ, gpu-1 %llu uJ; "
		      "B: %u rows (%u named), gpu-0 %llu uJ, gpu-1 %llu uJ; "
		      "gpu-0 %llu, gpu-1 %llu uJ pushed\n",
		      pa->rows, pa->named, pa->comm,
		      (unsigned long long)pa->uj[3], (unsigned long long)pa->uj[4],
		      pb->rows, pb->named,
		      (unsigned long long)pb->uj[3], (unsigned long long)pb->uj[4],
		      (unsigned long long)nd.pushed[3], (unsigned long long)nd.pushed[4]);
	/* every tick after the baseline had samples of both */
	assert_true(pa->uj[3] > 0 && pb->uj[3] > 0 && pb->uj[4] > 0);
	assert_int_equal(pa->uj[4], 0);
	/* 40:30 to the µJ, one µJ of rounding each tick at most */
	assert_true(llabs((long long)(3 * pa->uj[3]) - (long long)(4 * pb->uj[3])) <=
		    7LL * ticks);
	/* GPU 1 is B's alone: all of it but the ticks without a new sample */
	assert_true(pb->uj[4] == nd.pushed[4]);
	assert_true(pa->uj[3] + pb->uj[3] == nd.pushed[3]);
	assert_int_equal(st->conservation_errors, 0);
	/*
	 * A: named once, in the first row that went out (the first tick only
	 * takes the meters' baseline: no rows). B never ran on a CPU while
	 * the sensor watched: its rows come from the GPU samples alone, and
	 * carry no name (the module names a live process's account itself).
	 */
	/* one row a tick each: the GPU samples found the sensor's entry */
	assert_in_range(pa->rows, ticks - 1, ticks);
	assert_in_range(pb->rows, ticks - 1, ticks);
	assert_int_equal(pa->named, 1);
	assert_int_equal(pb->named, 0);

	/* a push that fails takes its names with it: they go again */
	nd.push_err = -ENOBUFS;
	usleep(150000);
	assert_int_equal(tf_agent_tick(a), 0);
	assert_int_equal(st->push_errors, 1);
	assert_int_equal(pa->named, 1);
	usleep(150000);
	assert_int_equal(tf_agent_tick(a), 0);
	assert_int_equal(pa->named, 2);
	assert_string_equal(pa->comm, "test_agent");

	/* A's end: its last row carries its name again */
	kill(A, SIGKILL);
	assert_int_equal(waitpid(A, NULL, 0), A);
	for (i = 0; i < 3; i++) {
		usleep(150000);
		assert_int_equal(tf_agent_tick(a), 0);
	}
	assert_int_equal(pa->named, 3);
	assert_string_equal(pa->comm, "test_agent");
	assert_int_equal(st->conservation_errors, 0);

	tf_agent_close(a);
	close(hold[1]);
	assert_int_equal(waitpid(B, NULL, 0), B);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpu_split_and_names),
	};

	return TF_RUN_TESTS("agent", tests);
}
