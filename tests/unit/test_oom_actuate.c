// SPDX-License-Identifier: GPL-2.0
/*
 * The actuators (agent/actuate.c) with each allocation failing in turn
 * (tests/unit/oom.h, failalloc.c): open, apply and close over a temporary
 * tree standing in for the cgroup hierarchy (cpu.max, cgroup.freeze), the
 * state directory of kept originals, a fake /proc (mountinfo, the duty
 * cycle's processes' cgroups) and a fake amdgpu hwmon; NVML is the test
 * double library (no NVIDIA GPU here) and the module's CPU cap a NETLINK
 * DOUBLE below (no module on the build host). The duty cycle's processes
 * are real children.
 *
 * Every run ends in -ENOMEM or in exactly what a run with memory does; a
 * failed apply leaves each file at its old or its new value, and the next
 * apply with memory reaches the planned state; close restores every
 * original, memory or not; a failed open writes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tf_test.h"
#include "failalloc.h"
#include "oom.h"

#include "actuate.h"
#include "log.h"
#include "nvml.h"
#include "tf_nl.h"

/* Paths here are short /tmp names in PATH_MAX buffers. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define W 1000000ULL

/* ---- NETLINK DOUBLE: the module's package domains -------------------------- */

struct tf_nl {
	int unused;
};

static struct tf_domain_info nl_dom[3];

/* allocated as the real client's dump is: its allocation fails too */
int tf_nl_domains(struct tf_nl *nl, struct tf_domain_info **out, unsigned int *n)
{
	(void)nl;
	*out = malloc(sizeof(nl_dom));
	if (!*out)
		return -ENOMEM;
	memcpy(*out, nl_dom, sizeof(nl_dom));
	*n = 3;
	return 0;
}

int tf_nl_domain_set(struct tf_nl *nl, const char *name, const uint64_t *cap_uw,
		     const uint64_t *failsafe_uw)
{
	unsigned int i;

	(void)nl;
	(void)failsafe_uw;
	for (i = 0; i < 3; i++)
		if (!strcmp(nl_dom[i].name, name)) {
			nl_dom[i].cap_uw = *cap_uw;
			return 0;
		}
	return -ENOENT;
}

const char *tf_nl_errmsg(const struct tf_nl *nl)
{
	(void)nl;
	return "";
}

static void nl_reset(void)
{
	memset(nl_dom, 0, sizeof(nl_dom));
	strcpy(nl_dom[0].name, "host");
	nl_dom[0].type = TF_DOMAIN_HOST;
	strcpy(nl_dom[1].name, "package-0");
	nl_dom[1].type = TF_DOMAIN_PACKAGE;
	nl_dom[1].max_power_uw = 150 * W;
	strcpy(nl_dom[2].name, "package-1");
	nl_dom[2].type = TF_DOMAIN_PACKAGE;
	nl_dom[2].max_power_uw = 150 * W;
	nl_dom[2].cap_uw = 100 * W;		/* the host's own cap */
}

/* ---- the tree ------------------------------------------------------------- */

static char top[64];

/* the duty cycle's processes: one in a managed cgroup, one not */
static pid_t kids[2];

static pid_t kid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		for (;;)
			pause();
	}
	return pid;
}

/* the process's state letter (T: stopped) */
static char pstate(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');
	assert_non_null(p);
	return p[2];
}

/*
 * top/cg: the cgroup2 mount (fake mountinfo says so); cgroup_root is
 * top/cg/sub. Groups: chat (sub/a), batch (sub/b: a killed agent's limit
 * in force, the host's original kept in the state directory), duty (pids
 * by comm in the fake /proc: kids[0] lies in chat's cgroup, kids[1] in
 * none of ours).
 */
static void tree(void)
{
	char buf[PATH_MAX + 128];

	assert_int_equal(mkdir(top, 0700), 0);
	oom_mkd(top, "cg");
	oom_mkd(top, "cg/sub");
	oom_put(top, "cg/sub/cgroup.subtree_control", "cpu memory\n");
	oom_mkd(top, "cg/sub/a");
	oom_put(top, "cg/sub/a/cpu.max", "max 100000\n");
	oom_put(top, "cg/sub/a/cgroup.freeze", "0\n");
	oom_mkd(top, "cg/sub/b");
	oom_put(top, "cg/sub/b/cpu.max", "30000 100000\n");
	oom_put(top, "cg/sub/b/cgroup.freeze", "0\n");
	oom_mkd(top, "state");
	snprintf(buf, sizeof(buf), "state/cpu.max-%%tmp%%%s%%cg%%sub%%b",
		 strrchr(top, '/') + 1);
	oom_put(top, buf, "max 100000\n");
	oom_mkd(top, "proc");
	oom_mkd(top, "proc/self");
	snprintf(buf, sizeof(buf),
		 "25 1 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
		 "30 25 0:26 / %s/cg rw,nosuid - cgroup2 cgroup2 rw\n", top);
	oom_put(top, "proc/self/mountinfo", buf);
	snprintf(buf, sizeof(buf), "proc/%d", (int)kids[0]);
	oom_mkd(top, buf);
	snprintf(buf, sizeof(buf), "proc/%d/cgroup", (int)kids[0]);
	oom_put(top, buf, "0::/sub/a\n");
	snprintf(buf, sizeof(buf), "proc/%d", (int)kids[1]);
	oom_mkd(top, buf);
	snprintf(buf, sizeof(buf), "proc/%d/cgroup", (int)kids[1]);
	oom_put(top, buf, "0::/other\n");
	for (int i = 0; i < 2; i++) {
		snprintf(buf, sizeof(buf), "proc/%d/comm", (int)kids[i]);
		oom_put(top, buf, "tf-kid\n");
	}
	oom_mkd(top, "proc/1");
	oom_put(top, "proc/1/comm", "init\n");
	oom_mkd(top, "sys");
	oom_mkd(top, "sys/class");
	oom_mkd(top, "sys/class/drm");
	oom_mkd(top, "sys/class/drm/card0");
	oom_mkd(top, "sys/class/drm/card0/device");
	oom_mkd(top, "sys/class/drm/card0/device/hwmon");
	oom_mkd(top, "sys/class/drm/card0/device/hwmon/hwmon0");
	oom_put(top, "sys/class/drm/card0/device/hwmon/hwmon0/name", "amdgpu\n");
	oom_put(top, "sys/class/drm/card0/device/hwmon/hwmon0/power1_cap", "200000000\n");
	oom_put(top, "sys/class/drm/card0/device/hwmon/hwmon0/power1_cap_min", "50000000\n");
	oom_put(top, "sys/class/drm/card0/device/hwmon/hwmon0/power1_cap_max", "250000000\n");
	nl_reset();
}

/* ---- what the actuators set, on disk and in the handle --------------------- */

struct snap {
	char a_max[32], a_frz[8], b_max[32], b_frz[8], hw[32], kept_b[32];
	uint64_t cap[3], gpu0_uw;
	/* the handle's readout */
	char st_max[3][32];
	bool st_frozen[3];
	unsigned int st_npids[3];
	uint64_t st_on[3], st_limit[3], st_pkg[2];
	unsigned int st_mhz[3];
	size_t ngpus, npkgs;
};

static struct tf_nvml *nv;

static void snap_files(struct snap *s)
{
	char rel[PATH_MAX];
	uint64_t uw = 0;

	oom_get(top, "cg/sub/a/cpu.max", s->a_max, sizeof(s->a_max));
	oom_get(top, "cg/sub/a/cgroup.freeze", s->a_frz, sizeof(s->a_frz));
	oom_get(top, "cg/sub/b/cpu.max", s->b_max, sizeof(s->b_max));
	oom_get(top, "cg/sub/b/cgroup.freeze", s->b_frz, sizeof(s->b_frz));
	oom_get(top, "sys/class/drm/card0/device/hwmon/hwmon0/power1_cap", s->hw,
	    sizeof(s->hw));
	snprintf(rel, sizeof(rel), "state/cpu.max-%%tmp%%%s%%cg%%sub%%b",
		 strrchr(top, '/') + 1);
	oom_get(top, rel, s->kept_b, sizeof(s->kept_b));
	for (int i = 0; i < 3; i++)
		s->cap[i] = nl_dom[i].cap_uw;
	assert_int_equal(tf_nvml_limit_uw(nv, 0, &uw), 0);
	s->gpu0_uw = uw;
}

static void snap_take(struct snap *s, const struct tf_act *a)
{
	struct tf_act_state st;
	size_t i;

	memset(s, 0, sizeof(*s));
	snap_files(s);
	if (!a)
		return;
	tf_act_state(a, &st);
	assert_int_equal(st.ngroups, 3);
	for (i = 0; i < 3; i++) {
		snprintf(s->st_max[i], sizeof(s->st_max[i]), "%s", st.groups[i].cpu_max);
		s->st_frozen[i] = st.groups[i].frozen;
		s->st_npids[i] = st.groups[i].npids;
		s->st_on[i] = st.groups[i].duty_on_us;
	}
	s->ngpus = st.ngpus;
	for (i = 0; i < st.ngpus && i < 3; i++) {
		s->st_limit[i] = st.gpus[i].limit_uw;
		s->st_mhz[i] = st.gpus[i].clock_max_mhz;
	}
	s->npkgs = st.npkgs;
	for (i = 0; i < st.npkgs && i < 2; i++)
		s->st_pkg[i] = st.pkgs[i].cap_uw;
}

/* field by field, so that a failure says which */
static void snap_eq(const struct snap *x, const struct snap *y, int line)
{
	size_t i;

#define STR(f) do { if (strcmp(x->f, y->f))					\
	fail_msg("line %d: " #f ": \"%s\", want \"%s\"", line, x->f, y->f); } while (0)
#define NUM(f) do { if (x->f != y->f)						\
	fail_msg("line %d: " #f ": %llu, want %llu", line,			\
		 (unsigned long long)x->f, (unsigned long long)y->f); } while (0)
	STR(a_max); STR(a_frz); STR(b_max); STR(b_frz); STR(hw); STR(kept_b);
	NUM(cap[0]); NUM(cap[1]); NUM(cap[2]); NUM(gpu0_uw);
	for (i = 0; i < 3; i++) {
		STR(st_max[i]); NUM(st_frozen[i]); NUM(st_npids[i]); NUM(st_on[i]);
		NUM(st_limit[i]); NUM(st_mhz[i]);
	}
	NUM(st_pkg[0]); NUM(st_pkg[1]); NUM(ngpus); NUM(npkgs);
#undef STR
#undef NUM
}

#define SNAP_EQ(x, y) snap_eq((x), (y), __LINE__)

/* a file after a failed apply: its value before or the planned one */
static void old_or_new(const char *what, const char *got, const char *o,
		       const char *n)
{
	if (strcmp(got, o) && strcmp(got, n))
		fail_msg("%s holds \"%s\": neither \"%s\" nor \"%s\"", what, got, o, n);
}

/* ---- the cases ------------------------------------------------------------- */

static const struct tf_act_group_plan p1g[3] = {
	{ .set = true, .cpu = { .quota_us = 50000, .period_us = 100000 } },
	{ .set = false },
	{ .set = true, .cpu = { .unlimited = true, .period_us = 100000 },
	  .duty_on_us = 100000 },
};
static const struct tf_act_group_plan p2g[3] = {
	{ .set = true, .cpu = { .quota_us = 20000, .period_us = 100000 },
	  .frozen = true },
	{ .set = true, .cpu = { .quota_us = 40000, .period_us = 100000 } },
	{ .set = true, .cpu = { .unlimited = true, .period_us = 100000 },
	  .duty_on_us = 100000 },
};
static const uint64_t p1gpu[3] = { 300 * W, 450 * W, 120 * W };
static const uint64_t p2gpu[3] = { 250 * W, 300 * W, 100 * W };
static const struct tf_act_plan plan1 = {
	.groups = p1g, .gpu_uw = p1gpu, .ngpu = 3, .cpu_cap_uw = 200 * W,
};
static const struct tf_act_plan plan2 = {
	.groups = p2g, .gpu_uw = p2gpu, .ngpu = 3, .cpu_cap_uw = 160 * W,
};

struct act_ctx {
	struct tf_config c;
	struct tf_group_cfg g[3];
	struct tf_gpu_cfg gpu[2];
	struct tf_act_opts o;
	char root[PATH_MAX], proc[PATH_MAX], sys[PATH_MAX], state[PATH_MAX];
	struct tf_act *a;
	/* with memory: the files as found; opened, after plan1, after plan2,
	 * after close */
	struct snap sf, s0, s1, s2, s3;
	int rc;
};

static void act_cfg(struct act_ctx *x, bool dry)
{
	memset(&x->c, 0, sizeof(x->c));
	memset(x->g, 0, sizeof(x->g));
	strcpy(x->g[0].name, "chat");
	strcpy(x->g[0].cgroup, "a");
	strcpy(x->g[1].name, "batch");
	strcpy(x->g[1].cgroup, "/b");
	strcpy(x->g[2].name, "duty");
	strcpy(x->g[2].pids, "tf-kid");
	x->gpu[0] = (struct tf_gpu_cfg){ .index = 0, .lever = TF_GPU_LEVER_POWER };
	x->gpu[1] = (struct tf_gpu_cfg){ .index = 1, .lever = TF_GPU_LEVER_CLOCKS,
					 .min_clock_mhz = 600, .max_clock_mhz = 1800 };
	x->c.gpus = true;
	x->c.gpu = x->gpu;
	x->c.ngpu = 2;
	x->c.groups = x->g;
	x->c.ngroups = 3;
	x->c.dry_run = dry;
	snprintf(x->root, sizeof(x->root), "%s/cg/sub", top);
	snprintf(x->c.cgroup_root, sizeof(x->c.cgroup_root), "%s", x->root);
	snprintf(x->proc, sizeof(x->proc), "%s/proc", top);
	snprintf(x->sys, sizeof(x->sys), "%s/sys", top);
	snprintf(x->state, sizeof(x->state), "%s/state", top);
	x->o = (struct tf_act_opts){ .sysfs_root = x->sys, .proc_root = x->proc,
				     .state_dir = x->state };
}

static struct tf_nl the_nl;

static int open_act(struct act_ctx *x)
{
	return tf_act_open(&x->a, &x->c, &the_nl, nv, &x->o);
}

/* the kids run, whatever happened (the duty cycle gives them all the period) */
static void kids_running(void)
{
	assert_true(pstate(kids[0]) != 'T');
	assert_true(pstate(kids[1]) != 'T');
}

/* close with memory: every original back (s3, what a run with memory gets) */
static void act_closed(struct act_ctx *x)
{
	struct snap s;

	tf_act_close(x->a);
	x->a = NULL;
	snap_take(&s, NULL);
	SNAP_EQ(&s, &x->s3);
	kids_running();
	oom_rm_tree(top);
}

/* open */

static void open_setup(void *arg)
{
	(void)arg;
	tree();
}

static int open_op(void *arg)
{
	struct act_ctx *x = arg;

	return open_act(x);
}

static void open_check(void *arg, int rc, unsigned long failed)
{
	struct act_ctx *x = arg;
	struct snap s;

	if (rc) {
		/* never taken for a host without packages, GPUs or mounts */
		assert_int_equal(rc, -ENOMEM);
		assert_true(failed > 0);
		assert_null(x->a);
		snap_take(&s, NULL);
		SNAP_EQ(&s, &x->sf);	/* nothing written */
		oom_rm_tree(top);
		return;
	}
	/* what it took stock of works as one opened with memory */
	snap_take(&s, x->a);
	SNAP_EQ(&s, &x->s0);
	assert_int_equal(tf_act_apply(x->a, &plan1), 0);
	snap_take(&s, x->a);
	SNAP_EQ(&s, &x->s1);
	assert_int_equal(tf_act_apply(x->a, &plan2), 0);
	snap_take(&s, x->a);
	SNAP_EQ(&s, &x->s2);
	act_closed(x);
}

/* apply: plan1 in force, plan2 under test */

static void apply_setup(void *arg)
{
	struct act_ctx *x = arg;

	tree();
	assert_int_equal(open_act(x), 0);
	assert_int_equal(tf_act_apply(x->a, &plan1), 0);
}

static int apply_op(void *arg)
{
	struct act_ctx *x = arg;

	return tf_act_apply(x->a, &plan2);
}

static void apply_check(void *arg, int rc, unsigned long failed)
{
	struct act_ctx *x = arg;
	struct snap s;

	snap_take(&s, x->a);
	if (rc) {
		assert_int_equal(rc, -ENOMEM);
		assert_true(failed > 0);
		old_or_new("chat cpu.max", s.a_max, x->s1.a_max, x->s2.a_max);
		old_or_new("chat cgroup.freeze", s.a_frz, x->s1.a_frz, x->s2.a_frz);
		old_or_new("batch cpu.max", s.b_max, x->s1.b_max, x->s2.b_max);
		old_or_new("batch cgroup.freeze", s.b_frz, x->s1.b_frz, x->s2.b_frz);
		old_or_new("power1_cap", s.hw, x->s1.hw, x->s2.hw);
		/* the host's original stays kept, whatever happened */
		assert_string_equal(s.kept_b, x->s2.kept_b);
		/* the next step, with memory, gets there */
		assert_int_equal(tf_act_apply(x->a, &plan2), 0);
		snap_take(&s, x->a);
	}
	SNAP_EQ(&s, &x->s2);
	act_closed(x);
}

/* close: plan2 in force */

static void close_setup(void *arg)
{
	struct act_ctx *x = arg;

	apply_setup(x);
	assert_int_equal(tf_act_apply(x->a, &plan2), 0);
}

static int close_op(void *arg)
{
	struct act_ctx *x = arg;

	tf_act_close(x->a);
	x->a = NULL;
	return 0;
}

static void close_check(void *arg, int rc, unsigned long failed)
{
	struct act_ctx *x = arg;
	struct snap s;

	(void)failed;
	assert_int_equal(rc, 0);
	/* every original back, memory or not */
	snap_take(&s, NULL);
	SNAP_EQ(&s, &x->s3);
	kids_running();
	oom_rm_tree(top);
}

/* The reference run, with memory. */
static void act_reference(struct act_ctx *x)
{
	tree();
	snap_take(&x->sf, NULL);
	assert_int_equal(open_act(x), 0);
	snap_take(&x->s0, x->a);
	assert_int_equal(tf_act_apply(x->a, &plan1), 0);
	snap_take(&x->s1, x->a);
	assert_int_equal(tf_act_apply(x->a, &plan2), 0);
	snap_take(&x->s2, x->a);
	tf_act_close(x->a);
	x->a = NULL;
	snap_take(&x->s3, NULL);
	oom_rm_tree(top);
}

static const char *nv_double(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX], *slash;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(len > 0);
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/../nvml-double/libnvidia-ml.so.1", exe);
	return path;
}

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

static int group_setup(void **state)
{
	(void)state;
	tf_log_set_sink(quiet, NULL);
	setenv("TF_NVML_LIB", nv_double(), 1);
	setenv("TF_NVML_DOUBLE_GPUS", "2", 1);
	unsetenv("TF_NVML_DOUBLE_STATE");
	unsetenv("TF_NVML_DOUBLE_FAIL");
	/* opened with memory: NVML's own start is not the actuators' */
	if (tf_nvml_open(&nv, 0))
		return -1;
	kids[0] = kid();
	kids[1] = kid();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	tf_nvml_close(nv);
	tf_log_set_sink(NULL, NULL);
	return 0;
}

static void act_run(bool dry)
{
	struct act_ctx *x = calloc(1, sizeof(*x));
	struct oom_case open = {
		dry ? "actuate open (dry run)" : "actuate open", x, open_setup,
		open_op, open_check, NULL,
	};
	struct oom_case apply = {
		dry ? "actuate apply (dry run)" : "actuate apply", x, apply_setup,
		apply_op, apply_check, NULL,
	};
	struct oom_case close = {
		dry ? "actuate close (dry run)" : "actuate close", x, close_setup,
		close_op, close_check, NULL,
	};

	assert_non_null(x);
	snprintf(top, sizeof(top), "/tmp/tf-oom-act-XXXXXX");
	assert_non_null(mkdtemp(top));
	assert_int_equal(rmdir(top), 0);	/* tree() makes it each run */
	act_cfg(x, dry);
	act_reference(x);
	if (!dry) {
		/* the reference is what the actuators are for */
		assert_string_equal(x->s1.a_max, "50000 100000");
		assert_string_equal(x->s2.a_max, "20000 100000");
		assert_string_equal(x->s2.a_frz, "1");
		assert_string_equal(x->s2.b_max, "40000 100000");
		assert_string_equal(x->s2.hw, "100000000");
		assert_int_equal(x->s2.cap[1], 80 * W);
		assert_int_equal(x->s2.npkgs, 2);
		assert_int_equal(x->s2.ngpus, 3);
		assert_int_equal(x->s2.st_npids[2], 1);	/* kids[1] alone */
		assert_int_equal(x->s2.gpu0_uw, 250 * W);
		/* close: the host's own values, the killed agent's limit gone */
		assert_string_equal(x->s3.a_max, "max 100000");
		assert_string_equal(x->s3.b_max, "max 100000");
		assert_string_equal(x->s3.a_frz, "0");
		assert_string_equal(x->s3.hw, "200000000");
		assert_int_equal(x->s3.cap[1], 0);
		assert_int_equal(x->s3.cap[2], 100 * W);
		assert_string_equal(x->s3.kept_b, "");
	} else {
		/* dry run: nothing written, ever */
		assert_string_equal(x->s2.a_max, "max 100000");
		assert_string_equal(x->s3.b_max, "30000 100000");
		assert_string_equal(x->s3.hw, "200000000");
		assert_int_equal(x->s2.cap[1], 0);
	}
	oom_run(&open);
	oom_run(&apply);
	/*
	 * close allocates nothing (the originals are read and written with
	 * read(2) and write(2)): on an exhausted heap it restores all the same
	 */
	oom_run_none(&close);
	free(x);
}

static void test_actuate(void **state)
{
	(void)state;
	act_run(false);
}

static void test_actuate_dry(void **state)
{
	(void)state;
	act_run(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_actuate),
		cmocka_unit_test(test_actuate_dry),
	};

	return tf_test_filter(), cmocka_run_group_tests_name("oom_actuate", tests,
							     group_setup, group_teardown);
}
