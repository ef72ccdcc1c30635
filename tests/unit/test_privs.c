// SPDX-License-Identifier: GPL-2.0
/*
 * tf_privs_drop(): each case runs in a child process (the drop is for
 * good), which reports what /proc/self/status says afterwards. Needs root
 * for everything but the argument checks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privs.h"
#include "tf_test.h"

#define BIT(c) (1ULL << (c))

struct caps {
	uint64_t inh, prm, eff, bnd, amb;
};

static int read_caps(struct caps *c)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		found += sscanf(line, "CapInh: %" SCNx64, &c->inh) == 1;
		found += sscanf(line, "CapPrm: %" SCNx64, &c->prm) == 1;
		found += sscanf(line, "CapEff: %" SCNx64, &c->eff) == 1;
		found += sscanf(line, "CapBnd: %" SCNx64, &c->bnd) == 1;
		found += sscanf(line, "CapAmb: %" SCNx64, &c->amb) == 1;
	}
	fclose(f);
	return found == 5 ? 0 : -1;
}

/*
 * Runs fn in a child; the child writes its return value and its caps into
 * the pipe. Returns 0 if the child reported.
 */
static int in_child(int (*fn)(void), int *ret, struct caps *c)
{
	struct {
		int ret;
		struct caps caps;
	} r;
	int fd[2], status;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(fd[0]);
		memset(&r, 0, sizeof(r));
		r.ret = fn();
		if (read_caps(&r.caps) || write(fd[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	status = read(fd[0], &r, sizeof(r)) == sizeof(r) ? 0 : -1;
	close(fd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	*ret = r.ret;
	*c = r.caps;
	return 0;
}

static void need_root(void)
{
	struct caps c;

	if (geteuid() != 0 || read_caps(&c) || !(c.eff & BIT(CAP_SETPCAP)) ||
	    !(c.bnd & BIT(CAP_NET_ADMIN)))
		skip();
}

static const cap_value_t agent_caps[] = { CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON };

static int drop_to_agent(void)
{
	return tf_privs_drop(agent_caps, 3);
}

static void test_keeps_only_listed(void **state)
{
	uint64_t want = BIT(CAP_NET_ADMIN) | BIT(CAP_BPF) | BIT(CAP_PERFMON);
	struct caps c;
	int ret;

	(void)state;
	need_root();
	assert_int_equal(in_child(drop_to_agent, &ret, &c), 0);
	assert_int_equal(ret, 0);
	assert_int_equal(c.eff, want);
	assert_int_equal(c.prm, want);
	assert_int_equal(c.bnd, want);
	assert_int_equal(c.inh, 0);
	assert_int_equal(c.amb, 0);
}

static int drop_all_then_chroot(void)
{
	int ret = tf_privs_drop(NULL, 0);

	/* CAP_SYS_CHROOT is gone: even chroot("/") is refused now */
	if (!ret && (chroot("/") == 0 || errno != EPERM))
		return 1000;
	return ret;
}

static void test_drops_everything(void **state)
{
	struct caps c;
	int ret;

	(void)state;
	need_root();
	assert_int_equal(in_child(drop_all_then_chroot, &ret, &c), 0);
	assert_int_equal(ret, 0);
	assert_int_equal(c.eff, 0);
	assert_int_equal(c.prm, 0);
	assert_int_equal(c.bnd, 0);
	assert_int_equal(c.inh, 0);
	assert_int_equal(c.amb, 0);
}

/* A capability dropped once is not regained by listing it later. */
static int drop_twice(void)
{
	static const cap_value_t more[] = { CAP_NET_ADMIN, CAP_SYS_ADMIN };
	cap_value_t one = CAP_NET_ADMIN;
	int ret = tf_privs_drop(&one, 1);

	return ret ? ret : tf_privs_drop(more, 2);
}

static void test_no_regain(void **state)
{
	struct caps c;
	int ret;

	(void)state;
	need_root();
	assert_int_equal(in_child(drop_twice, &ret, &c), 0);
	assert_int_equal(ret, 0);
	assert_int_equal(c.eff, BIT(CAP_NET_ADMIN));
	assert_int_equal(c.prm, BIT(CAP_NET_ADMIN));
	assert_int_equal(c.bnd, BIT(CAP_NET_ADMIN));
}

/* Without CAP_SETPCAP the bounding set cannot shrink: an error, not a lie. */
static int drop_then_shrink(void)
{
	cap_value_t one = CAP_NET_ADMIN, other = CAP_BPF;
	int ret = tf_privs_drop(&one, 1);

	return ret ? 1000 : tf_privs_drop(&other, 1);
}

static void test_bounding_needs_setpcap(void **state)
{
	struct caps c;
	int ret;

	(void)state;
	need_root();
	assert_int_equal(in_child(drop_then_shrink, &ret, &c), 0);
	assert_int_equal(ret, -EPERM);
	assert_int_equal(c.bnd, BIT(CAP_NET_ADMIN));
}

/* Bad lists are refused before anything changes (so: in this process). */
static void test_bad_lists(void **state)
{
	cap_value_t bad[] = { CAP_NET_ADMIN, 4096 }, neg = -1;
	struct caps before, after;

	(void)state;
	assert_int_equal(read_caps(&before), 0);
	assert_int_equal(tf_privs_drop(NULL, 1), -EINVAL);
	assert_int_equal(tf_privs_drop(bad, -1), -EINVAL);
	assert_int_equal(tf_privs_drop(bad, 2), -EINVAL);
	assert_int_equal(tf_privs_drop(&neg, 1), -EINVAL);
	assert_int_equal(read_caps(&after), 0);
	assert_memory_equal(&before, &after, sizeof(before));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_only_listed),
		cmocka_unit_test(test_drops_everything),
		cmocka_unit_test(test_no_regain),
		cmocka_unit_test(test_bounding_needs_setpcap),
		cmocka_unit_test(test_bad_lists),
	};

	return TF_RUN_TESTS("privs", tests);
}
