// SPDX-License-Identifier: GPL-2.0
/*
 * The actuators (agent/actuate.c) against real and stand-in targets:
 *  - cgroup v2: a REAL cgroup made under this host's cgroup2 mount, with
 *    spinning children moved in (freeze observed in cgroup.events and in
 *    their CPU time; cpu.max and its throttling where the host's cgroup2
 *    has the cpu controller), and a temporary directory tree as
 *    cgroup_root for the error paths (missing, removed under the agent);
 *  - NVML: the test double library (tests/nvml-double/, no NVIDIA GPU on
 *    this machine), loaded by agent/nvml.c as the driver's would be;
 *  - amdgpu hwmon: a fake sysfs tree in a temporary directory, a TEST
 *    DOUBLE of hardware this machine lacks;
 *  - the module's CPU cap: a link-time double of tf_nl_domains() and
 *    tf_nl_domain_set() (no module is loaded on the build host);
 *  - SIGSTOP/SIGCONT duty cycles of real child processes, their state
 *    read from /proc;
 *  - dry run: nothing written anywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tf_test.h"
#include "actuate.h"

/* Paths here are short /tmp and /sys names in PATH_MAX buffers. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "log.h"
#include "nvml.h"
#include "tf_nl.h"

#define W 1000000ULL

/* ---- the module's netlink client, doubled --------------------------------- */

struct tf_nl {
	int unused;
};

static struct {
	struct tf_domain_info d[4];
	unsigned int n;
	int fail_list, fail_set;
	unsigned int sets;
} nl_dbl;

int tf_nl_domains(struct tf_nl *nl, struct tf_domain_info **out, unsigned int *n)
{
	(void)nl;
	if (nl_dbl.fail_list)
		return nl_dbl.fail_list;
	*out = malloc(sizeof(nl_dbl.d));
	if (!*out)
		return -ENOMEM;
	memcpy(*out, nl_dbl.d, sizeof(nl_dbl.d));
	*n = nl_dbl.n;
	return 0;
}

int tf_nl_domain_set(struct tf_nl *nl, const char *name, const uint64_t *cap_uw,
		     const uint64_t *failsafe_uw)
{
	unsigned int i;

	(void)nl;
	assert_null(failsafe_uw);
	assert_non_null(cap_uw);
	nl_dbl.sets++;
	if (nl_dbl.fail_set)
		return nl_dbl.fail_set;
	for (i = 0; i < nl_dbl.n; i++)
		if (!strcmp(nl_dbl.d[i].name, name)) {
			nl_dbl.d[i].cap_uw = *cap_uw;
			return 0;
		}
	return -ENOENT;
}

const char *tf_nl_errmsg(const struct tf_nl *nl)
{
	(void)nl;
	return nl_dbl.fail_set ? "Operation not permitted (double)" : "";
}

/* ---- helpers -------------------------------------------------------------- */

static char logbuf[16384];

static void sink(int level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	strncat(logbuf, line, sizeof(logbuf) - strlen(logbuf) - 2);
	strcat(logbuf, "\n");
}

static unsigned int log_count(const char *s)
{
	unsigned int n = 0;
	const char *p = logbuf;

	while ((p = strstr(p, s))) {
		n++;
		p += strlen(s);
	}
	return n;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	assert_int_equal(fclose(f), 0);
}

static void putf(const char *dir, const char *name, const char *s)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	put(p, s);
}

/* The file's content, trailing newline dropped ("<none>" if unreadable). */
static const char *get(const char *dir, const char *name)
{
	static char buf[4][512];
	static int k;
	char p[PATH_MAX];
	char *b = buf[k++ % 4];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "r");
	if (!f)
		return "<none>";
	n = fread(b, 1, 511, f);
	fclose(f);
	b[n] = '\0';
	if (n && b[n - 1] == '\n')
		b[n - 1] = '\0';
	return b;
}

static void mkdirp(const char *dir, const char *sub)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	if (!dir[0] || strncmp(dir, "/tmp/tf-act", 11))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A child spinning on a CPU, named comm. */
static pid_t spinner(const char *comm)
{
	pid_t pid = fork();
	int i;

	assert_true(pid >= 0);
	if (!pid) {
		volatile unsigned long x = 0;

		prctl(PR_SET_NAME, comm);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			x++;
	}
	/* named before it is looked for (slow to start under valgrind) */
	for (i = 0; i < 1000; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/%d", (int)pid);
		if (!strcmp(get(p, "comm"), comm))
			break;
		sleep_ms(5);
	}
	assert_true(i < 1000);
	return pid;
}

static void reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	kill(pid, SIGCONT);
	waitpid(pid, NULL, 0);
}

/* The state letter of /proc/PID/stat. */
static char pstate(pid_t pid)
{
	char p[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	f = fopen(p, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp && rp[1] ? rp[2] : '?';
}

/* ns on a CPU (/proc/PID/schedstat). */
static uint64_t cpu_ns(pid_t pid)
{
	char p[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/schedstat", (int)pid);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu", &ns), 1);
	fclose(f);
	return ns;
}

/* CPU time over wall time, over ms. */
static double cpu_rate(pid_t pid, unsigned int ms)
{
	uint64_t c0 = cpu_ns(pid), t0 = mono_ns();

	sleep_ms(ms);
	return (double)(cpu_ns(pid) - c0) / (double)(mono_ns() - t0);
}

static void cfg_init(struct tf_config *c, struct tf_group_cfg *g, size_t ng,
		     const char *root)
{
	memset(c, 0, sizeof(*c));
	c->gpus = true;
	snprintf(c->cgroup_root, sizeof(c->cgroup_root), "%s", root);
	c->groups = g;
	c->ngroups = ng;
}

static struct tf_act_group_plan gplan(uint64_t quota, bool frozen, uint64_t on)
{
	struct tf_act_group_plan p = {
		.set = true, .frozen = frozen, .duty_on_us = on,
		.cpu = { .unlimited = !quota, .quota_us = quota, .period_us = 100000 },
	};

	return p;
}

static int setup(void **state)
{
	(void)state;
	logbuf[0] = '\0';
	memset(&nl_dbl, 0, sizeof(nl_dbl));
	tf_log_set_level(TF_LOG_DEBUG);
	tf_log_set_sink(sink, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tf_log_set_sink(NULL, NULL);
	return 0;
}

/* ---- cgroup v2, a temporary tree -------------------------------------------- */

static char tmp[64];

static void tmp_tree(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/tf-act-XXXXXX");
	assert_non_null(mkdtemp(tmp));
}

/* root/{cgroup.subtree_control}, root/a/{...}, root/a/g/{cpu.max, cgroup.freeze} */
static void cg_tree(const char *orig_max)
{
	char a[PATH_MAX], g[PATH_MAX];

	tmp_tree();
	putf(tmp, "cgroup.subtree_control", "memory\n");
	mkdirp(tmp, "a");
	snprintf(a, sizeof(a), "%s/a", tmp);
	putf(a, "cgroup.subtree_control", "cpuset\n");
	mkdirp(a, "g");
	snprintf(g, sizeof(g), "%s/g", a);
	putf(g, "cpu.max", orig_max);
	putf(g, "cgroup.freeze", "0\n");
}

static void test_cgroup_tree(void **state)
{
	struct tf_group_cfg grp[2] = { { .name = "batch", .cgroup = "a/g" },
				       { .name = "nocg" } };
	struct tf_act_group_plan p[2] = { gplan(30000, false, 0), { .set = false } };
	struct tf_act_plan plan = { .groups = p };
	struct tf_act_state st;
	struct tf_config c;
	struct tf_act *a;
	char g[PATH_MAX], ga[PATH_MAX];

	(void)state;
	cg_tree("max 100000\n");
	snprintf(ga, sizeof(ga), "%s/a", tmp);
	snprintf(g, sizeof(g), "%s/a/g", tmp);
	cfg_init(&c, grp, 2, tmp);
	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, NULL), 0);
	/* open writes nothing */
	assert_string_equal(get(g, "cpu.max"), "max 100000");
	assert_string_equal(get(tmp, "cgroup.subtree_control"), "memory");

	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_string_equal(get(g, "cpu.max"), "30000 100000");
	assert_string_equal(get(g, "cgroup.freeze"), "0");
	/* the cpu controller, in both ancestors (a file, not cgroupfs: the
	 * write replaces what was there) */
	assert_string_equal(get(tmp, "cgroup.subtree_control"), "+cpu");
	assert_string_equal(get(ga, "cgroup.subtree_control"), "+cpu");
	tf_act_state(a, &st);
	assert_int_equal(st.ngroups, 2);
	assert_string_equal(st.groups[0].name, "batch");
	assert_true(st.groups[0].has_cgroup);
	assert_true(st.groups[0].present);
	assert_string_equal(st.groups[0].cpu_max, "30000 100000");
	assert_false(st.groups[1].has_cgroup);

	/* written only on a change: a marker survives the same plan */
	putf(g, "cpu.max", "marker");
	putf(g, "cgroup.freeze", "marker");
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_string_equal(get(g, "cpu.max"), "marker");
	assert_string_equal(get(g, "cgroup.freeze"), "marker");
	p[0] = gplan(0, true, 0);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_string_equal(get(g, "cpu.max"), "max 100000");
	assert_string_equal(get(g, "cgroup.freeze"), "1");
	tf_act_state(a, &st);
	assert_true(st.groups[0].frozen);
	/* a plan entry not set leaves the group alone */
	p[0].set = false;
	putf(g, "cpu.max", "marker");
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_string_equal(get(g, "cpu.max"), "marker");
	p[0] = gplan(50000, true, 0);

	/* removed under the agent: logged once, no error, tried again */
	rm_rf(g);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(log_count("is gone"), 1);
	tf_act_state(a, &st);
	assert_false(st.groups[0].present);
	assert_string_equal(st.groups[0].cpu_max, "");
	/* made again: a new original, written again */
	mkdirp(ga, "g");
	putf(g, "cpu.max", "max 50000\n");
	putf(g, "cgroup.freeze", "0\n");
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(log_count("is back"), 1);
	assert_string_equal(get(g, "cpu.max"), "50000 100000");
	assert_string_equal(get(g, "cgroup.freeze"), "1");

	/* close puts back the new cgroup's original and thaws it */
	tf_act_close(a);
	assert_string_equal(get(g, "cpu.max"), "max 50000");
	assert_string_equal(get(g, "cgroup.freeze"), "0");
	rm_rf(tmp);
}

/*
 * An agent killed with its limits in place: the next one restores the
 * host's original, kept in the state directory, not the dead one's limit.
 */
static void test_cgroup_kept_original(void **state)
{
	struct tf_group_cfg grp[1] = { { .name = "batch", .cgroup = "a/g" } };
	struct tf_act_group_plan p[1] = { gplan(30000, false, 0) };
	struct tf_act_plan plan = { .groups = p };
	char g[PATH_MAX], dir[PATH_MAX], kept[PATH_MAX], saved[128];
	struct tf_act_opts o = { .state_dir = dir };
	struct tf_config c;
	struct tf_act *a;

	(void)state;
	cg_tree("max 100000\n");
	snprintf(g, sizeof(g), "%s/a/g", tmp);
	snprintf(dir, sizeof(dir), "%s/state", tmp);
	cfg_init(&c, grp, 1, tmp);
	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, &o), 0);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_string_equal(get(g, "cpu.max"), "30000 100000");
	/* the original is kept, under a name made of the cgroup's path */
	snprintf(kept, sizeof(kept), "cpu.max-%s", g);
	for (char *q = kept; *q; q++)
		if (*q == '/')
			*q = '%';
	snprintf(saved, sizeof(saved), "%s", get(dir, kept));
	assert_string_equal(saved, "max 100000");
	tf_act_close(a);
	/* restored and no longer kept */
	assert_string_equal(get(g, "cpu.max"), "max 100000");
	{
		char path[PATH_MAX * 2];

		snprintf(path, sizeof(path), "%s/%s", dir, kept);
		assert_int_equal(access(path, F_OK), -1);
	}

	/* the state a killed agent leaves: its limit, and the kept original */
	putf(g, "cpu.max", "30000 100000\n");
	putf(dir, kept, "max 100000\n");
	p[0] = gplan(20000, false, 0);
	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, &o), 0);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_string_equal(get(g, "cpu.max"), "20000 100000");
	tf_act_close(a);
	assert_string_equal(get(g, "cpu.max"), "max 100000");
	rm_rf(tmp);
}

static void test_cgroup_errors(void **state)
{
	struct tf_group_cfg grp[3] = {
		{ .name = "missing", .cgroup = "nope/deeper" },
		{ .name = "nocpu", .cgroup = "/a/g/" },	/* slashes: same dir */
		{ .name = "bad", .cgroup = "a/h" },
	};
	struct tf_act_group_plan p[3] = { gplan(20000, false, 0), gplan(20000, false, 0),
					  gplan(40000, false, 0) };
	struct tf_act_plan plan = { .groups = p };
	char g[PATH_MAX], h[PATH_MAX];
	struct tf_act_state st;
	struct tf_config c;
	struct tf_act *a;

	(void)state;
	cg_tree("max 100000\n");
	snprintf(g, sizeof(g), "%s/a/g", tmp);
	snprintf(h, sizeof(h), "%s/a/h", tmp);
	/* g: no cpu.max (no cpu controller); h: an unreadable original */
	snprintf(logbuf, sizeof(logbuf), "%s", "");
	{
		char p2[PATH_MAX];

		snprintf(p2, sizeof(p2), "%s/cpu.max", g);
		assert_int_equal(unlink(p2), 0);
	}
	mkdirp(tmp, "a/h");
	putf(h, "cpu.max", "garbage");
	putf(h, "cgroup.freeze", "0");
	cfg_init(&c, grp, 3, tmp);
	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, NULL), 0);
	assert_int_equal(tf_act_apply(a, &plan), -ENOENT);
	assert_int_equal(tf_act_apply(a, &plan), -ENOENT);
	/* each logged once */
	assert_int_equal(log_count("nope/deeper is gone"), 1);
	assert_int_equal(log_count("cpu controller available"), 1);
	assert_int_equal(log_count("holds \"garbage\""), 1);
	/* the others were still applied */
	assert_string_equal(get(h, "cpu.max"), "40000 100000");
	assert_string_equal(get(g, "cgroup.freeze"), "0");
	tf_act_state(a, &st);
	assert_false(st.groups[0].present);
	assert_true(st.groups[1].present);
	assert_string_equal(st.groups[1].cpu_max, "");
	tf_act_close(a);
	/* the unreadable original is restored as no limit */
	assert_string_equal(get(h, "cpu.max"), "max 100000");
	rm_rf(tmp);
}

/* ---- cgroup v2, a real cgroup ---------------------------------------------- */

/* The cgroup2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified (hybrid). */
static bool cgroup2_mount(char *out, size_t size)
{
	char line[4096], mnt[PATH_MAX];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (strstr(line, " - cgroup2 ") &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			snprintf(out, size, "%s", mnt);
			found = true;
		}
	fclose(f);
	return found;
}

static char real_cg[PATH_MAX];
static pid_t kids[2];

static int real_teardown(void **state)
{
	int i;

	for (i = 0; i < 2; i++) {
		reap(kids[i]);
		kids[i] = 0;
	}
	if (real_cg[0])
		rmdir(real_cg);
	real_cg[0] = '\0';
	return teardown(state);
}

static bool frozen_event(const char *dir, char want)
{
	char key[16];
	int i;

	snprintf(key, sizeof(key), "frozen %c", want);
	for (i = 0; i < 200; i++) {	/* up to 2 s */
		if (strstr(get(dir, "cgroup.events"), key))
			return true;
		sleep_ms(10);
	}
	return false;
}

static void test_cgroup_real(void **state)
{
	char mnt[PATH_MAX], name[64], comm[16], pidbuf[32];
	struct tf_group_cfg grp[1] = { { .name = "real" } };
	struct tf_act_group_plan p[1] = { gplan(20000, false, 100000) };
	struct tf_act_plan plan = { .groups = p };
	struct tf_act_state st;
	struct tf_config c;
	struct tf_act *a;
	bool has_cpu;
	uint64_t c0;
	double before, after;
	int err;

	(void)state;
	if (getuid() || !cgroup2_mount(mnt, sizeof(mnt))) {
		printf("# no cgroup2 mount or not root: skipped\n");
		skip();
	}
	snprintf(name, sizeof(name), "tf-test-%d", (int)getpid());
	snprintf(real_cg, sizeof(real_cg), "%s/%s", mnt, name);
	assert_int_equal(mkdir(real_cg, 0755), 0);
	{
		/* "cpu" as a word of cgroup.controllers */
		const char *ctl = get(mnt, "cgroup.controllers");
		char words[512], *w, *save;

		snprintf(words, sizeof(words), "%s", ctl);
		has_cpu = false;
		for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
			has_cpu |= !strcmp(w, "cpu");
	}

	/* two spinners of one comm: one moved in, one outside every cgroup
	 * we manage (the duty cycle must take that one only) */
	snprintf(comm, sizeof(comm), "tfa%d", (int)getpid() % 1000000);
	kids[0] = spinner(comm);
	kids[1] = spinner(comm);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)kids[0]);
	putf(real_cg, "cgroup.procs", pidbuf);
	snprintf(grp[0].cgroup, sizeof(grp[0].cgroup), "%s", name);
	snprintf(grp[0].pids, sizeof(grp[0].pids), "%s", comm);
	cfg_init(&c, grp, 1, mnt);
	before = cpu_rate(kids[0], 300);

	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, NULL), 0);
	err = tf_act_apply(a, &plan);
	tf_act_state(a, &st);
	assert_int_equal(st.groups[0].npids, 1);	/* kids[1] only */
	assert_true(st.groups[0].present);
	if (has_cpu) {
		assert_int_equal(err, 0);
		assert_string_equal(get(real_cg, "cpu.max"), "20000 100000");
		after = cpu_rate(kids[0], 500);
		printf("# cpu.max 20000 100000: %.3f CPUs before, %.3f after\n",
		       before, after);
		assert_true(after < 0.25);
		assert_true(after < before);
	} else {
		/* a hybrid host (cpu bound to cgroup v1): no cpu.max here */
		printf("# the cgroup2 mount %s has no cpu controller: cpu.max not checked\n",
		       mnt);
		assert_int_equal(err, -ENOENT);
		assert_string_equal(get(real_cg, "cpu.max"), "<none>");
	}

	/* freeze: the kernel reports it, and the child's CPU time stops */
	p[0] = gplan(20000, true, 100000);
	tf_act_apply(a, &plan);
	assert_string_equal(get(real_cg, "cgroup.freeze"), "1");
	assert_true(frozen_event(real_cg, '1'));
	c0 = cpu_ns(kids[0]);
	sleep_ms(200);
	assert_true(cpu_ns(kids[0]) - c0 < 1000000);	/* < 1 ms in 200 ms */
	/* thawed: it runs again */
	p[0] = gplan(20000, false, 100000);
	tf_act_apply(a, &plan);
	assert_true(frozen_event(real_cg, '0'));
	assert_true(cpu_rate(kids[0], 200) > 0.0);

	p[0] = gplan(20000, true, 100000);
	tf_act_apply(a, &plan);
	assert_true(frozen_event(real_cg, '1'));
	/* close: thawed, cpu.max put back */
	tf_act_close(a);
	assert_string_equal(get(real_cg, "cgroup.freeze"), "0");
	assert_true(frozen_event(real_cg, '0'));
	if (has_cpu)
		assert_string_equal(get(real_cg, "cpu.max"), "max 100000");
	reap(kids[0]);
	reap(kids[1]);
	kids[0] = kids[1] = 0;
	assert_int_equal(rmdir(real_cg), 0);
	real_cg[0] = '\0';
}

/* ---- SIGSTOP/SIGCONT duty cycles ------------------------------------------- */

static void test_duty(void **state)
{
	struct tf_group_cfg grp[2] = { { .name = "bycomm" }, { .name = "byfile" } };
	struct tf_act_group_plan p[2] = { gplan(0, false, 20000), gplan(0, false, 100000) };
	struct tf_act_plan plan = { .groups = p };
	struct tf_act_opts o = { .duty_period_us = 100000 };
	char comm[16], pidfile[PATH_MAX], buf[32];
	unsigned int i, t = 0, r = 0;
	struct tf_act_state st;
	struct tf_config c;
	struct tf_act *a;

	(void)state;
	tmp_tree();
	snprintf(comm, sizeof(comm), "tfd%d", (int)getpid() % 1000000);
	kids[0] = spinner(comm);
	kids[1] = spinner("tf-other");
	snprintf(pidfile, sizeof(pidfile), "%s/worker.pid", tmp);
	snprintf(buf, sizeof(buf), "%d\n", (int)kids[1]);
	put(pidfile, buf);
	snprintf(grp[0].pids, sizeof(grp[0].pids), "%s", comm);
	snprintf(grp[1].pids, sizeof(grp[1].pids), "%s", pidfile);
	cfg_init(&c, grp, 2, "/nonexistent");
	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, &o), 0);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	tf_act_state(a, &st);
	assert_int_equal(st.groups[0].npids, 1);
	assert_int_equal(st.groups[1].npids, 1);
	assert_int_equal(st.groups[0].duty_on_us, 20000);
	assert_int_equal(st.groups[0].duty_period_us, 100000);
	/* 20 ms on in 100: mostly stopped (T), sometimes running */
	for (i = 0; i < 200; i++) {
		char s = pstate(kids[0]);

		t += s == 't' || s == 'T';
		r += s == 'R';
		assert_true(pstate(kids[1]) != 'T');	/* always on */
		sleep_ms(3);
	}
	printf("# duty 20 %%: %u of 200 samples stopped, %u running\n", t, r);
	assert_true(t > 0);
	assert_true(r > 0);
	assert_true(t > r);

	/* frozen: stopped all along */
	p[0] = gplan(0, true, 20000);
	p[1] = gplan(0, true, 100000);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	sleep_ms(50);
	for (i = 0; i < 50; i++) {
		assert_true(pstate(kids[0]) == 'T');
		assert_true(pstate(kids[1]) == 'T');
		sleep_ms(4);
	}
	/* a malformed pidfile: logged once, and its process let go */
	put(pidfile, "12abc\n");
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(log_count("worker.pid: Invalid argument"), 1);
	tf_act_state(a, &st);
	assert_int_equal(st.groups[1].npids, 0);
	sleep_ms(20);
	assert_true(pstate(kids[1]) != 'T');
	/* close while stopped: SIGCONT */
	tf_act_close(a);
	for (i = 0; i < 20; i++) {
		assert_true(pstate(kids[0]) != 'T');
		sleep_ms(5);
	}

	/* the fatal-signal path: SIGCONT without the thread's lock */
	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, &o), 0);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	for (i = 0; i < 100 && pstate(kids[0]) != 'T'; i++)
		sleep_ms(5);
	assert_true(pstate(kids[0]) == 'T');
	tf_act_cont_all(a);
	sleep_ms(20);
	for (i = 0; i < 20; i++) {
		assert_true(pstate(kids[0]) != 'T');
		sleep_ms(5);
	}
	tf_act_close(a);
	tf_act_cont_all(NULL);
	reap(kids[0]);
	reap(kids[1]);
	kids[0] = kids[1] = 0;
	rm_rf(tmp);
}

/* ---- NVML, through the test double ----------------------------------------- */

static char nv_state[64];

static const char *nv_double(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX], *slash;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	snprintf(path, sizeof(path), "%.*s/../nvml-double/libnvidia-ml.so.1",
		 (int)(sizeof(path) - 40), exe);
	return path;
}

static int nv_setup(void **state)
{
	const char *lib = nv_double();
	int fd;

	if (!lib || access(lib, R_OK)) {
		fprintf(stderr, "no NVML test double at %s (make tests)\n", lib ? lib : "?");
		return -1;
	}
	snprintf(nv_state, sizeof(nv_state), "/tmp/tf-act-nvml.XXXXXX");
	fd = mkstemp(nv_state);
	if (fd < 0)
		return -1;
	close(fd);
	setenv("TF_NVML_LIB", lib, 1);
	setenv("TF_NVML_DOUBLE_STATE", nv_state, 1);
	setenv("TF_NVML_DOUBLE_GPUS", "3", 1);
	unsetenv("TF_NVML_DOUBLE_FAIL");
	return setup(state);
}

static int nv_teardown(void **state)
{
	char tmpf[80];

	unlink(nv_state);
	snprintf(tmpf, sizeof(tmpf), "%s.tmp", nv_state);
	unlink(tmpf);
	unsetenv("TF_NVML_DOUBLE_FAIL");
	return teardown(state);
}

/* gpuN.key from the double's state file (written at every change). */
static unsigned int nv_get(unsigned int gpu, const char *key)
{
	char line[256], want[64];
	unsigned int v = 0;
	FILE *f = fopen(nv_state, "r");

	assert_non_null(f);
	snprintf(want, sizeof(want), "gpu%u.%s=", gpu, key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			v = (unsigned int)strtoul(line + strlen(want), NULL, 10);
	fclose(f);
	return v;
}

static void test_nvml(void **state)
{
	struct tf_gpu_cfg gc[3] = {
		{ .index = 0, .lever = TF_GPU_LEVER_POWER },
		{ .index = 1, .lever = TF_GPU_LEVER_CLOCKS, .min_clock_mhz = 600,
		  .max_clock_mhz = 1800 },
		{ .index = 2, .lever = TF_GPU_LEVER_NONE },
	};
	uint64_t share[3] = { 300 * W, 450 * W, 300 * W };
	struct tf_act_plan plan = { .gpu_uw = share, .ngpu = 3 };
	struct tf_act_state st;
	struct tf_nvml *n = NULL;
	struct tf_config c;
	struct tf_act *a;
	uint64_t uw;

	(void)state;
	cfg_init(&c, NULL, 0, "/nonexistent");
	c.gpu = gc;
	c.ngpu = 3;
	assert_int_equal(tf_nvml_open(&n, 0), 0);
	assert_int_equal(tf_act_open(&a, &c, NULL, n, &(struct tf_act_opts){
		.sysfs_root = "/nonexistent" }), 0);
	tf_act_state(a, &st);
	assert_int_equal(st.ngpus, 3);
	assert_string_equal(st.gpus[0].name, "nvml0");
	assert_int_equal(st.gpus[0].kind, TF_ACT_GPU_NVML_POWER);
	assert_int_equal(st.gpus[1].kind, TF_ACT_GPU_NVML_CLOCKS);
	assert_int_equal(st.gpus[2].kind, TF_ACT_GPU_NONE);
	assert_int_equal(st.gpus[0].min_uw, 200 * W);	/* the double's */
	assert_int_equal(st.gpus[0].max_uw, 700 * W);

	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(tf_nvml_limit_uw(n, 0, &uw), 0);
	assert_int_equal(uw, 300 * W);
	/* 450 W of 200..700 W: halfway up 600..1800 MHz */
	assert_int_equal(nv_get(1, "locked_min_mhz"), 600);
	assert_int_equal(nv_get(1, "locked_max_mhz"), 1200);
	assert_int_equal(nv_get(1, "limit_mw"), 700000);	/* untouched */
	assert_int_equal(nv_get(2, "limit_mw"), 700000);
	assert_int_equal(nv_get(2, "locked_max_mhz"), 0);
	tf_act_state(a, &st);
	assert_int_equal(st.gpus[0].limit_uw, 300 * W);
	assert_int_equal(st.gpus[1].clock_max_mhz, 1200);

	/* below the range: clamped to it; a share of µW rounds down to mW */
	share[0] = 100 * W;
	share[1] = 100 * W;
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(tf_nvml_limit_uw(n, 0, &uw), 0);
	assert_int_equal(uw, 200 * W);
	assert_int_equal(nv_get(1, "locked_max_mhz"), 600);
	share[0] = 250 * W + 999;
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(tf_nvml_limit_uw(n, 0, &uw), 0);
	assert_int_equal(uw, 250 * W);
	/* TF_ACT_LEAVE leaves it */
	share[0] = TF_ACT_LEAVE;
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(tf_nvml_limit_uw(n, 0, &uw), 0);
	assert_int_equal(uw, 250 * W);

	tf_act_close(a);
	assert_int_equal(nv_get(0, "limit_mw"), 700000);	/* restored */
	assert_int_equal(nv_get(1, "locked_max_mhz"), 0);	/* unlocked */
	tf_nvml_close(n);

	/* NVML refusing: the error, logged once */
	setenv("TF_NVML_DOUBLE_FAIL", "nvmlDeviceSetPowerManagementLimit=4", 1);
	n = NULL;
	assert_int_equal(tf_nvml_open(&n, 0), 0);
	assert_int_equal(tf_act_open(&a, &c, NULL, n, &(struct tf_act_opts){
		.sysfs_root = "/nonexistent" }), 0);
	share[0] = 300 * W;
	assert_int_equal(tf_act_apply(a, &plan), -EPERM);
	assert_int_equal(tf_act_apply(a, &plan), -EPERM);
	assert_int_equal(log_count("nvml0: set power limit"), 1);
	assert_int_equal(nv_get(0, "limit_mw"), 700000);
	tf_act_close(a);
	tf_nvml_close(n);
	assert_int_equal(nv_get(1, "locked_max_mhz"), 0);
}

/* ---- amdgpu hwmon, a fake sysfs (this machine has no AMD GPU) --------------- */

static void hwmon(const char *card, const char *name, const char *cap,
		  const char *min, const char *max)
{
	char d[PATH_MAX];

	snprintf(d, sizeof(d), "%s/class/drm/%s/device/hwmon/hwmon%zu", tmp,
		 card, strlen(card));
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", d);
		assert_int_equal(system(cmd), 0);
	}
	putf(d, "name", name);
	putf(d, "power1_cap", cap);
	if (min)
		putf(d, "power1_cap_min", min);
	if (max)
		putf(d, "power1_cap_max", max);
}

static const char *hw_cap(const char *card)
{
	char d[PATH_MAX];

	snprintf(d, sizeof(d), "%s/class/drm/%s/device/hwmon/hwmon%zu", tmp, card,
		 strlen(card));
	return get(d, "power1_cap");
}

static void test_hwmon(void **state)
{
	uint64_t share[3] = { 120 * W, 120 * W, 120 * W };
	struct tf_act_plan plan = { .gpu_uw = share, .ngpu = 3 };
	struct tf_act_opts o = { 0 };
	struct tf_act_state st;
	struct tf_config c;
	struct tf_act *a;

	(void)state;
	tmp_tree();
	hwmon("card0", "amdgpu", "200000000\n", "50000000\n", "250000000\n");
	hwmon("card0-DP-1", "amdgpu", "1\n", "1\n", "2\n");	/* a connector */
	hwmon("card1", "nouveau", "1\n", "1\n", "2\n");		/* not amdgpu */
	hwmon("card2", "amdgpu", "150000000\n", NULL, NULL);	/* no range */
	o.sysfs_root = tmp;
	cfg_init(&c, NULL, 0, "/nonexistent");
	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, &o), 0);
	tf_act_state(a, &st);
	assert_int_equal(st.ngpus, 2);
	assert_string_equal(st.gpus[0].name, "card0");
	assert_int_equal(st.gpus[0].kind, TF_ACT_GPU_HWMON);
	assert_int_equal(st.gpus[0].min_uw, 50 * W);
	assert_int_equal(st.gpus[0].max_uw, 250 * W);
	assert_int_equal(st.gpus[0].default_uw, 200 * W);
	assert_string_equal(st.gpus[1].name, "card2");
	assert_int_equal(st.gpus[1].kind, TF_ACT_GPU_NONE);
	assert_int_equal(log_count("no readable cap range"), 1);

	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_string_equal(hw_cap("card0"), "120000000");
	assert_string_equal(hw_cap("card2"), "150000000");
	assert_string_equal(hw_cap("card0-DP-1"), "1");
	share[0] = 300 * W;
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_string_equal(hw_cap("card0"), "250000000");
	share[0] = 10 * W;
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_string_equal(hw_cap("card0"), "50000000");
	tf_act_state(a, &st);
	assert_int_equal(st.gpus[0].limit_uw, 50 * W);
	/* only on change */
	{
		char d[PATH_MAX];

		snprintf(d, sizeof(d), "%s/class/drm/card0/device/hwmon/hwmon5", tmp);
		putf(d, "power1_cap", "marker");
		assert_int_equal(tf_act_apply(a, &plan), 0);
		assert_string_equal(hw_cap("card0"), "marker");
	}
	tf_act_close(a);
	assert_string_equal(hw_cap("card0"), "200000000");
	/* gpus = false: no GPU taken */
	c.gpus = false;
	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, &o), 0);
	tf_act_state(a, &st);
	assert_int_equal(st.ngpus, 0);
	tf_act_close(a);
	rm_rf(tmp);
}

/* ---- the module's CPU cap --------------------------------------------------- */

static void domain(const char *name, uint32_t type, uint64_t max, uint64_t cap)
{
	struct tf_domain_info *d = &nl_dbl.d[nl_dbl.n++];

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->type = type;
	d->max_power_uw = max;
	d->cap_uw = cap;
}

static void test_module_cap(void **state)
{
	struct tf_act_plan plan = { .cpu_cap_uw = 150 * W };
	struct tf_nl nl = { 0 };
	struct tf_act_state st;
	struct tf_config c;
	struct tf_act *a;

	(void)state;
	domain("host", TF_DOMAIN_HOST, 1000 * W, 0);
	domain("package-0", TF_DOMAIN_PACKAGE, 200 * W, 0);
	domain("package-1", TF_DOMAIN_PACKAGE, 100 * W, 80 * W);
	domain("gpu-0", TF_DOMAIN_GPU, 700 * W, 0);
	cfg_init(&c, NULL, 0, "/nonexistent");
	assert_int_equal(tf_act_open(&a, &c, &nl, NULL, NULL), 0);
	tf_act_state(a, &st);
	assert_int_equal(st.npkgs, 2);
	assert_string_equal(st.pkgs[1].name, "package-1");
	assert_int_equal(st.pkgs[1].orig_cap_uw, 80 * W);
	assert_int_equal(nl_dbl.sets, 0);

	/* in proportion to the packages' maximum */
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(nl_dbl.d[1].cap_uw, 100 * W);
	assert_int_equal(nl_dbl.d[2].cap_uw, 50 * W);
	assert_int_equal(nl_dbl.d[0].cap_uw, 0);	/* host untouched */
	assert_int_equal(nl_dbl.sets, 2);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(nl_dbl.sets, 2);		/* no change, no write */
	plan.cpu_cap_uw = 0;				/* 0: leave */
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(nl_dbl.sets, 2);
	tf_act_state(a, &st);
	assert_int_equal(st.pkgs[0].cap_uw, 100 * W);

	/* refused: the error and the module's words, once */
	plan.cpu_cap_uw = 30 * W;
	nl_dbl.fail_set = -EPERM;
	assert_int_equal(tf_act_apply(a, &plan), -EPERM);
	assert_int_equal(tf_act_apply(a, &plan), -EPERM);
	assert_int_equal(log_count("package-0: cap 20000000 uW: Operation not permitted (double)"), 1);
	nl_dbl.fail_set = 0;
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(nl_dbl.d[1].cap_uw, 20 * W);

	/* close: package-0 had none (0 removes ours), package-1 its 80 W */
	tf_act_close(a);
	assert_int_equal(nl_dbl.d[1].cap_uw, 0);
	assert_int_equal(nl_dbl.d[2].cap_uw, 80 * W);

	/* the module unreachable: no caps, no failure */
	nl_dbl.fail_list = -ECONNREFUSED;
	assert_int_equal(tf_act_open(&a, &c, &nl, NULL, NULL), 0);
	tf_act_state(a, &st);
	assert_int_equal(st.npkgs, 0);
	plan.cpu_cap_uw = 30 * W;
	assert_int_equal(tf_act_apply(a, &plan), 0);
	tf_act_close(a);
}

/* ---- dry run ------------------------------------------------------------------ */

static void test_dry_run(void **state)
{
	struct tf_group_cfg grp[1] = { { .name = "batch", .cgroup = "a/g" } };
	struct tf_act_group_plan p[1] = { gplan(30000, true, 0) };
	uint64_t share[1] = { 100 * W };
	struct tf_act_plan plan = { .groups = p, .gpu_uw = share, .ngpu = 1,
				    .cpu_cap_uw = 50 * W };
	struct tf_act_opts o = { 0 };
	struct tf_nl nl = { 0 };
	char g[PATH_MAX], comm[16];
	struct tf_act_state st;
	struct tf_config c;
	struct tf_act *a;
	struct stat s0, s1;
	int i;

	(void)state;
	cg_tree("max 100000\n");
	hwmon("card0", "amdgpu", "200000000\n", "50000000\n", "250000000\n");
	domain("package-0", TF_DOMAIN_PACKAGE, 200 * W, 0);
	snprintf(g, sizeof(g), "%s/a/g", tmp);
	snprintf(comm, sizeof(comm), "tfy%d", (int)getpid() % 1000000);
	kids[0] = spinner(comm);
	snprintf(grp[0].pids, sizeof(grp[0].pids), "%s", comm);
	{
		char f[PATH_MAX];

		snprintf(f, sizeof(f), "%s/cpu.max", g);
		assert_int_equal(stat(f, &s0), 0);
	}
	cfg_init(&c, grp, 1, tmp);
	c.dry_run = true;
	o.sysfs_root = tmp;
	assert_int_equal(tf_act_open(&a, &c, &nl, NULL, &o), 0);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	assert_int_equal(tf_act_apply(a, &plan), 0);
	for (i = 0; i < 20; i++) {
		assert_true(pstate(kids[0]) != 'T');	/* frozen, but dry */
		sleep_ms(5);
	}
	tf_act_state(a, &st);
	assert_true(st.dry_run);
	assert_string_equal(st.groups[0].cpu_max, "30000 100000");	/* what it would */
	assert_int_equal(st.groups[0].npids, 1);
	tf_act_close(a);
	/* nothing written, anywhere */
	assert_string_equal(get(g, "cpu.max"), "max 100000");
	assert_string_equal(get(g, "cgroup.freeze"), "0");
	assert_string_equal(get(tmp, "cgroup.subtree_control"), "memory");
	assert_string_equal(hw_cap("card0"), "200000000");
	assert_int_equal(nl_dbl.sets, 0);
	{
		char f[PATH_MAX];

		snprintf(f, sizeof(f), "%s/cpu.max", g);
		assert_int_equal(stat(f, &s1), 0);
		assert_int_equal(s1.st_mtim.tv_sec, s0.st_mtim.tv_sec);
		assert_int_equal(s1.st_mtim.tv_nsec, s0.st_mtim.tv_nsec);
	}
	/* and it said what it would have done, once each */
	assert_int_equal(log_count("would write \"30000 100000\""), 1);
	assert_int_equal(log_count("would write 1 to"), 1);
	assert_int_equal(log_count("would write +cpu"), 2);
	assert_int_equal(log_count("card0: would set the power limit to 100000000 uW"), 1);
	assert_int_equal(log_count("would set the cap of package-0"), 1);
	assert_int_equal(log_count("would run 1 processes 0 of"), 1);
	reap(kids[0]);
	kids[0] = 0;
	rm_rf(tmp);
}

static void test_plan_group(void **state)
{
	/* 10 W per CPU, 40 W idle; a budget of 200 W */
	static const struct {
		const char *name;
		uint64_t uw;
		bool frozen;
		uint64_t demand;
		const char *cpu_max;
		uint64_t on_us;
	} t[] = {
		/* 100 W of 200: 20 W of the idle, 80 W = 8 CPUs (of 16) */
		{ "half the budget", 100 * W, false, 0, "800000 100000", 100000 },
		{ "demand half met", 100 * W, false, 180 * W, "800000 100000", 50000 },
		{ "demand covered", 100 * W, false, 100 * W, "max 100000", 100000 },
		{ "frozen", 0, true, 100 * W, "1000 100000", 0 },
		{ "nothing, not frozen", 0, false, 100 * W, "1000 100000", 1000 },
	};
	struct tf_act_group_plan p;
	char buf[TF_LEVER_CPU_MAX_STR];
	struct tf_config c;
	size_t i;

	(void)state;
	cfg_init(&c, NULL, 0, "/nonexistent");
	c.cpu_watts_uw = 10 * W;
	c.cpu_idle_uw = 40 * W;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tf_alloc al = { .uw = t[i].uw, .frozen = t[i].frozen };

		assert_int_equal(tf_act_plan_group(&c, &al, t[i].demand, 200 * W, 16,
						   100000, 100000, &p), 0);
		tf_lever_cpu_max_str(&p.cpu, buf, sizeof(buf));
		if (strcmp(buf, t[i].cpu_max) || p.duty_on_us != t[i].on_us ||
		    !p.set || p.frozen != t[i].frozen)
			fail_msg("%s: %s, %llu us", t[i].name, buf,
				 (unsigned long long)p.duty_on_us);
	}
	/* unconfigured cpu_watts, a bad duty period: refused, out untouched */
	memset(&p, 0x5a, sizeof(p));
	c.cpu_watts_uw = 0;
	assert_int_equal(tf_act_plan_group(&c, &(struct tf_alloc){ .uw = W }, 0, W, 4,
					   100000, 100000, &p), -EINVAL);
	c.cpu_watts_uw = W;
	assert_int_equal(tf_act_plan_group(&c, &(struct tf_alloc){ .uw = W }, 0, W, 4,
					   100000, 10, &p), -EINVAL);
	assert_int_equal(p.duty_on_us, 0x5a5a5a5a5a5a5a5aULL);
}

static void test_open_invalid(void **state)
{
	struct tf_act_opts o = { .duty_period_us = 10 };
	struct tf_config c;
	struct tf_act *a = (struct tf_act *)&c;

	(void)state;
	cfg_init(&c, NULL, 0, "/nonexistent");
	assert_int_equal(tf_act_open(&a, &c, NULL, NULL, &o), -EINVAL);
	assert_null(a);
	o.duty_period_us = 0;
	{
		char longp[300];

		memset(longp, 'x', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = '\0';
		o.proc_root = longp;
		assert_int_equal(tf_act_open(&a, &c, NULL, NULL, &o), -ENAMETOOLONG);
	}
	tf_act_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cgroup_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_kept_original, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_real, setup, real_teardown),
		cmocka_unit_test_setup_teardown(test_duty, setup, real_teardown),
		cmocka_unit_test_setup_teardown(test_nvml, nv_setup, nv_teardown),
		cmocka_unit_test_setup_teardown(test_hwmon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, real_teardown),
		cmocka_unit_test_setup_teardown(test_plan_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_invalid, setup, teardown),
	};

	return TF_RUN_TESTS("actuate", tests);
}
