// SPDX-License-Identifier: GPL-2.0
/*
 * The sensor's start-up failures name the step, the reason and what the
 * sensor needs (tokenfactoryd said only "start: No such process" when
 * libbpf found no usable kernel BTF).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "tf_test.h"
#include "sensor.h"

static void expect(const char *step, int err, const char *btf,
		   const char *want1, const char *want2)
{
	char buf[512];

	tf_sensor_explain(buf, sizeof(buf), step, err, btf);
	if (!strstr(buf, want1) || (want2 && !strstr(buf, want2)))
		fail_msg("%s: wanted \"%s\"%s%s%s", buf, want1,
			 want2 ? " and \"" : "", want2 ? want2 : "",
			 want2 ? "\"" : "");
}

static void test_explain(void **state)
{
	char btf[] = "/tmp/tf-btf-XXXXXX";
	int fd;

	(void)state;
	fd = mkstemp(btf);
	assert_true(fd >= 0);
	close(fd);
	expect("loading the BPF object into the kernel", -EPERM, btf,
	       "loading the BPF object into the kernel failed: Operation not permitted",
	       "needs CAP_BPF and CAP_PERFMON");
	/* libbpf's ESRCH: no kernel BTF it could use */
	expect("opening the BPF object", -ESRCH, "/nonexistent/vmlinux",
	       "opening the BPF object failed: No such process",
	       "needs the kernel's BTF at /nonexistent/vmlinux (CONFIG_DEBUG_INFO_BTF): not there");
	expect("opening the BPF object", -ESRCH, btf,
	       "is there but could not be loaded: out of memory", btf);
	expect("attaching the BPF programs", -ENOMEM, btf,
	       "attaching the BPF programs failed: Cannot allocate memory",
	       "RLIMIT_AS");
	/* libbpf's own error codes keep their text */
	expect("loading the BPF object into the kernel", -LIBBPF_ERRNO__VERIFY,
	       btf, "failed: Kernel verifier blocks program loading", NULL);
	unlink(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explain),
	};

	return TF_RUN_TESTS("sensor_msg", tests);
}
