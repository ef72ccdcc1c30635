// SPDX-License-Identifier: GPL-2.0
/*
 * The actuators (actuate.h): cgroup v2, the module's CPU cap, NVML, amdgpu
 * hwmon and SIGSTOP/SIGCONT duty cycles. Each keeps what it set, so that
 * a value is written only when it changes and /metrics can say what is in
 * force, and what it found, so that close puts it back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "actuate.h"
#include "log.h"
#include "nvml.h"
#include "tf_nl.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define TF_ACT_PATH	(TF_CFG_PATH * 2)

/* A process in a duty cycle, held by a pidfd so that a reused pid is never
 * signalled. */
struct tf_dpid {
	pid_t pid;
	int fd;
	bool stopped;		/* by us */
	bool dead;
};

struct tf_grp {
	struct tf_act_group_state st;
	const struct tf_group_cfg *cfg;
	/* cgroup */
	char dir[TF_ACT_PATH];
	bool gone;		/* logged; tried again at each apply */
	int err_logged;		/* the last error logged, each logged once */
	bool subtree_ok;	/* the cpu controller reaches it */
	bool have_orig;
	bool kept_stale;			/* its kept original is the old cgroup's */
	char orig[TF_LEVER_CPU_MAX_STR];	/* cpu.max as found */
	int freeze;		/* as written by us: -1 never */
	/* duty cycle, under a->lock while the thread runs */
	struct tf_dpid *pids;
	size_t npids, cap;
	bool off;		/* stopped now, in this period */
	bool pids_logged;
};

struct tf_gpu_act {
	struct tf_act_gpu_state st;
	unsigned int index;		/* NVML's */
	unsigned int max_clock;		/* clocks: the lever's top */
	char cap_path[PATH_MAX];	/* hwmon power1_cap */
	int err_logged;
};

struct tf_pkg {
	struct tf_act_pkg_state st;
	int err_logged;
};

struct tf_act {
	const struct tf_config *c;
	struct tf_nl *nl;
	struct tf_nvml *nvml;
	bool dry;
	char proc_root[256];
	char state_dir[256];		/* "": originals in memory only */
	char cg_prefix[TF_CFG_PATH];	/* cgroup_root inside the cgroup2 mount */
	uint64_t period_us;

	struct tf_grp *grps;
	size_t ngrps;
	struct tf_act_group_state *gst;	/* the readout's copy */
	struct tf_gpu_act *gpus;
	size_t ngpus;
	struct tf_act_gpu_state *gpst;
	struct tf_pkg *pkgs;
	size_t npkgs;
	struct tf_act_pkg_state *pkst;

	bool no_pidfd;			/* pidfd_open said ENOSYS */

	/* the duty thread */
	bool duty;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool quit;
};

/* ---- files -------------------------------------------------------------- */

/* Writes s whole, never creating the file: -errno. */
/*
 * Originals across restarts (tf_act_opts.state_dir): one file per thing
 * changed, named by its kind and path, holding the value found before our
 * first write; removed once that value is back.
 */
static int tf_orig_path(const struct tf_act *a, const char *kind,
			const char *key, char *path, size_t sz)
{
	size_t n;
	char *p;
	int len;

	if (!a->state_dir[0] || a->dry)
		return -ENOENT;
	len = snprintf(path, sz, "%s/%s-", a->state_dir, kind);
	if (len < 0 || (size_t)len >= sz)
		return -ENAMETOOLONG;
	n = strlen(key);
	if ((size_t)len + n + 1 > sz)
		return -ENAMETOOLONG;
	memcpy(path + len, key, n + 1);
	for (p = path + len; *p; p++)
		if (*p == '/')
			*p = '%';
	return 0;
}

static int tf_act_read(const char *path, char *buf, size_t size);

/*
 * The kept original, if an earlier agent left one: 0 and it in buf. Plain
 * read(2), no stdio: out of memory must not pass for "none kept", which
 * would take the killed agent's limit in force for the host's own and
 * write it over the kept original.
 */
static int tf_orig_load(const struct tf_act *a, const char *kind,
			const char *key, char *buf, size_t sz)
{
	char path[PATH_MAX];

	if (tf_orig_path(a, kind, key, path, sizeof(path)) ||
	    tf_act_read(path, buf, sz))
		return -ENOENT;
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? 0 : -ENOENT;
}

/* Plain write(2) too: nothing to allocate, so nothing half-kept. */
static void tf_orig_save(const struct tf_act *a, const char *kind,
			 const char *key, const char *val)
{
	char path[PATH_MAX], line[TF_LEVER_CPU_MAX_STR + 32];
	size_t len;
	ssize_t n;
	int fd, err = 0;

	if (tf_orig_path(a, kind, key, path, sizeof(path)))
		return;
	len = (size_t)snprintf(line, sizeof(line), "%s\n", val);
	if (len >= sizeof(line))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
	} else {
		n = write(fd, line, len);
		if (n < 0)
			err = errno;
		else if ((size_t)n != len)
			err = EIO;
		if (close(fd) && !err)
			err = errno;
	}
	if (err)
		tf_log(TF_LOG_WARNING, "actuate: %s: %s", path, strerror(err));
}

static void tf_orig_drop(const struct tf_act *a, const char *kind,
			 const char *key)
{
	char path[PATH_MAX];

	if (!tf_orig_path(a, kind, key, path, sizeof(path)))
		unlink(path);
}

static int tf_act_write(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* Reads a small file, the trailing newline dropped: -errno. */
static int tf_act_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static int tf_act_read_u64(const char *path, uint64_t *v)
{
	char buf[32], *end;
	unsigned long long x;
	int err = tf_act_read(path, buf, sizeof(buf));

	if (err)
		return err;
	errno = 0;
	x = strtoull(buf, &end, 10);
	if (errno || end == buf || *end || buf[0] == '-')
		return -EINVAL;
	*v = x;
	return 0;
}

static bool tf_act_isdir(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && S_ISDIR(sb.st_mode);
}

/* ---- cgroup v2 ------------------------------------------------------------ */

static void tf_cg_gone(struct tf_grp *g)
{
	if (!g->gone)
		tf_log(TF_LOG_WARNING, "actuate: group %s: cgroup %s is gone; trying again at each interval",
		       g->cfg->name, g->dir);
	g->gone = true;
	g->st.present = false;
	/* a cgroup made again is a new one: its own original, nothing of ours */
	g->st.cpu_max[0] = '\0';
	g->have_orig = false;
	g->kept_stale = true;
	g->freeze = -1;
	g->st.frozen = false;
	g->subtree_ok = false;
	g->err_logged = 0;
}

/* A failed write: the cgroup gone is no error; others are logged once. */
static int tf_cg_fail(struct tf_grp *g, const char *file, int err)
{
	if ((err == -ENOENT || err == -ENODEV) && !tf_act_isdir(g->dir)) {
		tf_cg_gone(g);
		return 0;
	}
	if (g->err_logged != err)
		tf_log(TF_LOG_WARNING, "actuate: group %s: %s/%s: %s%s", g->cfg->name,
		       g->dir, file, strerror(-err),
		       err == -ENOENT ? " (is the cpu controller available?)" : "");
	g->err_logged = err;
	return err;
}

static bool tf_word_in(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

/*
 * cpu.max exists only where the parent enables the cpu controller, which
 * it may only do where its own parent does: enable it top down, from
 * cgroup_root to the group's parent.
 */
static int tf_cg_enable_cpu(struct tf_act *a, struct tf_grp *g)
{
	size_t root = strlen(a->c->cgroup_root);
	char dir[TF_ACT_PATH], file[TF_ACT_PATH + 32], ctl[512];
	size_t i, end = strlen(g->dir);
	int err;

	while (end > root && g->dir[end - 1] == '/')
		end--;
	for (i = root; i <= end; i++) {
		if (i < end && g->dir[i] != '/')
			continue;
		if (i == end)
			break;		/* the group itself: not its own parent */
		memcpy(dir, g->dir, i);
		dir[i] = '\0';
		if (i == root && !i)
			strcpy(dir, "/");
		if (i > root && g->dir[i - 1] == '/')
			continue;	/* "a//b" */
		snprintf(file, sizeof(file), "%s/cgroup.subtree_control", dir);
		err = tf_act_read(file, ctl, sizeof(ctl));
		if (!err && tf_word_in(ctl, "cpu"))
			continue;
		if (a->dry) {
			tf_log(TF_LOG_INFO, "actuate: dry run: would write +cpu to %s", file);
			continue;
		}
		err = err ? err : tf_act_write(file, "+cpu");
		if (err)
			return tf_cg_fail(g, "../cgroup.subtree_control", err);
		tf_log(TF_LOG_INFO, "actuate: enabled the cpu controller in %s", dir);
	}
	g->subtree_ok = true;
	return 0;
}

static int tf_cg_set_max(struct tf_act *a, struct tf_grp *g, const char *want)
{
	char file[TF_ACT_PATH + 16], cur[TF_LEVER_CPU_MAX_STR];
	struct tf_cpu_max v;
	int err;

	if (!strcmp(want, g->st.cpu_max))
		return 0;
	if (!g->subtree_ok) {
		err = tf_cg_enable_cpu(a, g);
		if (err || g->gone)
			return err;
	}
	snprintf(file, sizeof(file), "%s/cpu.max", g->dir);
	if (!g->have_orig) {
		bool kept;

		if (g->kept_stale) {
			tf_orig_drop(a, "cpu.max", g->dir);
			g->kept_stale = false;
		}
		kept = !tf_orig_load(a, "cpu.max", g->dir, cur, sizeof(cur));

		if (!kept) {
			err = tf_act_read(file, cur, sizeof(cur));
			if (err)
				return tf_cg_fail(g, "cpu.max", err);
		}
		if (tf_lever_cpu_max_parse(cur, &v)) {
			tf_log(TF_LOG_WARNING, "actuate: group %s: %s holds \"%s\": not restored",
			       g->cfg->name, file, cur);
			strcpy(g->orig, "max 100000");
		} else {
			tf_lever_cpu_max_str(&v, g->orig, sizeof(g->orig));
		}
		if (!kept)
			tf_orig_save(a, "cpu.max", g->dir, g->orig);
		g->have_orig = true;
	}
	err = tf_act_write(file, want);
	if (err)
		return tf_cg_fail(g, "cpu.max", err);
	tf_log(TF_LOG_DEBUG, "actuate: group %s: cpu.max %s", g->cfg->name, want);
	snprintf(g->st.cpu_max, sizeof(g->st.cpu_max), "%s", want);
	return 0;
}

static int tf_cg_set_freeze(struct tf_grp *g, bool frozen)
{
	char file[TF_ACT_PATH + 16];
	int err;

	if (g->freeze == frozen)
		return 0;
	snprintf(file, sizeof(file), "%s/cgroup.freeze", g->dir);
	err = tf_act_write(file, frozen ? "1" : "0");
	if (err)
		return tf_cg_fail(g, "cgroup.freeze", err);
	tf_log(TF_LOG_INFO, "actuate: group %s: %s", g->cfg->name,
	       frozen ? "frozen" : "thawed");
	g->freeze = frozen;
	g->st.frozen = frozen;
	return 0;
}

static int tf_cg_apply(struct tf_act *a, struct tf_grp *g,
		       const struct tf_act_group_plan *p)
{
	char want[TF_LEVER_CPU_MAX_STR];
	int err, err2;

	if (!g->st.has_cgroup)
		return 0;
	err = tf_lever_cpu_max_str(&p->cpu, want, sizeof(want));
	if (err)
		return err;
	if (a->dry) {
		if (!g->subtree_ok)
			tf_cg_enable_cpu(a, g);	/* says what it would enable */
		if (strcmp(want, g->st.cpu_max))
			tf_log(TF_LOG_INFO, "actuate: dry run: group %s: would write \"%s\" to %s/cpu.max",
			       g->cfg->name, want, g->dir);
		if (g->freeze != p->frozen)
			tf_log(TF_LOG_INFO, "actuate: dry run: group %s: would write %d to %s/cgroup.freeze",
			       g->cfg->name, p->frozen, g->dir);
		snprintf(g->st.cpu_max, sizeof(g->st.cpu_max), "%s", want);
		g->freeze = p->frozen;
		g->st.frozen = p->frozen;
		g->st.present = tf_act_isdir(g->dir);
		return 0;
	}
	if (!tf_act_isdir(g->dir)) {
		tf_cg_gone(g);
		return 0;
	}
	if (g->gone) {
		tf_log(TF_LOG_NOTICE, "actuate: group %s: cgroup %s is back",
		       g->cfg->name, g->dir);
		g->gone = false;
	}
	g->st.present = true;
	err = tf_cg_set_max(a, g, want);
	if (g->gone)
		return 0;
	err2 = tf_cg_set_freeze(g, p->frozen);
	if (g->gone)
		return 0;
	return err ? err : err2;
}

static int tf_cg_restore(struct tf_act *a, struct tf_grp *g)
{
	char file[TF_ACT_PATH + 16];
	int err = 0, e;

	if (a->dry) {
		if (g->st.cpu_max[0] || g->freeze == 1)
			tf_log(TF_LOG_INFO, "actuate: dry run: group %s: would restore %s",
			       g->cfg->name, g->dir);
		g->st.cpu_max[0] = '\0';
		g->freeze = -1;
		g->st.frozen = false;
		return 0;
	}
	if (g->st.cpu_max[0] && g->have_orig) {
		snprintf(file, sizeof(file), "%s/cpu.max", g->dir);
		e = tf_act_write(file, g->orig);
		if (e) {
			err = tf_cg_fail(g, "cpu.max", e);
		} else {
			tf_log(TF_LOG_INFO, "actuate: group %s: cpu.max %s restored",
			       g->cfg->name, g->orig);
			tf_orig_drop(a, "cpu.max", g->dir);
			g->st.cpu_max[0] = '\0';
		}
	}
	if (g->freeze == 1 && !g->gone) {
		e = tf_cg_set_freeze(g, false);
		err = err ? err : e;
	}
	g->freeze = g->freeze == 0 ? -1 : g->freeze;
	return err;
}

/* ---- duty cycles ---------------------------------------------------------- */

static int tf_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * Where there is no pidfd (valgrind does not know the call) the pid is
 * signalled: a pid reused between two applies could then be hit, for at
 * most one interval.
 */
static int tf_dpid_signal(const struct tf_dpid *p, int sig)
{
	if (p->fd < 0)
		return kill(p->pid, sig);
	return (int)syscall(SYS_pidfd_send_signal, p->fd, sig, NULL, 0);
}

static void tf_dpid_close(struct tf_dpid *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* Under a->lock (or before the thread runs). */
static void tf_duty_signal(struct tf_grp *g, bool stop)
{
	size_t i;

	for (i = 0; i < g->npids; i++) {
		struct tf_dpid *p = &g->pids[i];

		if (p->dead || p->stopped == stop)
			continue;
		if (tf_dpid_signal(p, stop ? SIGSTOP : SIGCONT)) {
			if (errno == ESRCH)
				p->dead = true;
			continue;
		}
		p->stopped = stop;
	}
	g->off = stop;
}

static uint64_t tf_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static void tf_duty_wait(struct tf_act *a, uint64_t until_us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(until_us / 1000000u),
		.tv_nsec = (long)(until_us % 1000000u) * 1000,
	};

	pthread_cond_timedwait(&a->cond, &a->lock, &ts);
}

/*
 * One period at a time: each group runs for its on time from the period's
 * start, then is stopped until the next. Recomputed at every wake-up, so a
 * new plan or new processes take effect within the period.
 */
static void *tf_duty_main(void *arg)
{
	struct tf_act *a = arg;
	uint64_t start, now, next, on;
	bool any;
	size_t i;

	pthread_mutex_lock(&a->lock);
	start = tf_mono_us();
	while (!a->quit) {
		now = tf_mono_us();
		if (now >= start + a->period_us)
			start = now;
		next = start + a->period_us;
		any = false;
		for (i = 0; i < a->ngrps; i++) {
			struct tf_grp *g = &a->grps[i];

			if (!g->npids)
				continue;
			any = true;
			on = g->st.duty_on_us;
			tf_duty_signal(g, now - start >= on);
			if (now - start < on && start + on < next)
				next = start + on;
		}
		if (any)
			tf_duty_wait(a, next);
		else	/* nothing to cycle: sleep until an apply finds some */
			pthread_cond_wait(&a->cond, &a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/*
 * The cgroup v2 path of pid, relative to the hierarchy's root. read(2),
 * not stdio: without memory for a FILE the process would pass for one
 * in no managed cgroup and be put in a duty cycle.
 */
static int tf_pid_cgroup(struct tf_act *a, pid_t pid, char *buf, size_t size)
{
	char path[PATH_MAX], text[4096], *line, *end;
	int err;

	snprintf(path, sizeof(path), "%s/%d/cgroup", a->proc_root, (int)pid);
	err = tf_act_read(path, text, sizeof(text));
	if (err)
		return err;
	for (line = text; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (strncmp(line, "0::", 3))
			continue;
		if (strlen(line + 3) >= size)
			break;
		strcpy(buf, line + 3);
		return 0;
	}
	return -ENOENT;
}

/* In (or under) a cgroup of a group: the cgroup actuator has it. */
static bool tf_pid_managed(struct tf_act *a, pid_t pid)
{
	char cg[TF_CFG_PATH], mine[TF_ACT_PATH];
	size_t i, len;

	if (tf_pid_cgroup(a, pid, cg, sizeof(cg)))
		return false;
	for (i = 0; i < a->ngrps; i++) {
		const char *rel = a->grps[i].cfg->cgroup;

		if (!rel[0])
			continue;
		while (*rel == '/')
			rel++;
		snprintf(mine, sizeof(mine), "%s/%s", a->cg_prefix, rel);
		len = strlen(mine);
		while (len > 1 && mine[len - 1] == '/')
			mine[--len] = '\0';
		if (!strncmp(cg, mine, len) && (cg[len] == '\0' || cg[len] == '/'))
			return true;
	}
	return false;
}

static int tf_pids_add(pid_t **v, size_t *n, size_t *cap, pid_t pid)
{
	pid_t *nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		nv = realloc(*v, *cap * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	(*v)[(*n)++] = pid;
	return 0;
}

/* "123\n" or several, separated by white space. */
static int tf_pids_file(const char *path, pid_t **v, size_t *n, size_t *cap)
{
	char buf[4096], *p, *end;
	long x;
	int err = tf_act_read(path, buf, sizeof(buf));

	if (err)
		return err;
	for (p = buf; *p;) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			p++;
			continue;
		}
		errno = 0;
		x = strtol(p, &end, 10);
		if (errno || end == p || x <= 0 || x > INT_MAX ||
		    (*end && *end != ' ' && *end != '\t' && *end != '\n'))
			return -EINVAL;
		err = tf_pids_add(v, n, cap, (pid_t)x);
		if (err)
			return err;
		p = end;
	}
	return 0;
}

/* Every process whose comm is name (comms are cut to 15 characters). */
static int tf_pids_comm(struct tf_act *a, const char *name, pid_t **v,
			size_t *n, size_t *cap)
{
	char path[PATH_MAX], comm[32];
	struct dirent *de;
	char *end;
	long x;
	DIR *d;
	int err = 0;

	d = opendir(a->proc_root);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		x = strtol(de->d_name, &end, 10);
		if (*end || x <= 0 || x > INT_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", a->proc_root, de->d_name);
		if (tf_act_read(path, comm, sizeof(comm)))
			continue;	/* gone meanwhile */
		if (strncmp(comm, name, 15) || (strlen(name) < 15 && comm[strlen(name)]))
			continue;
		err = tf_pids_add(v, n, cap, (pid_t)x);
		if (err)
			break;
	}
	closedir(d);
	return err;
}

static bool tf_pid_in(const pid_t *v, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

/* Puts the group's duty cycle to the processes its pids names now. */
static int tf_duty_apply(struct tf_act *a, struct tf_grp *g,
			 const struct tf_act_group_plan *p)
{
	pid_t *v = NULL, self = getpid();
	size_t n = 0, cap = 0, i, j;
	uint64_t on = p->frozen ? 0 : p->duty_on_us;
	int err;

	if (!g->cfg->pids[0])
		return 0;
	if (g->cfg->pids[0] == '/')
		err = tf_pids_file(g->cfg->pids, &v, &n, &cap);
	else
		err = tf_pids_comm(a, g->cfg->pids, &v, &n, &cap);
	if (err == -ENOMEM) {
		free(v);
		return err;
	}
	if (err) {
		if (!g->pids_logged)
			tf_log(TF_LOG_WARNING, "actuate: group %s: pids %s: %s", g->cfg->name,
			       g->cfg->pids, strerror(-err));
		g->pids_logged = true;
		n = 0;	/* none: those stopped are let go below */
	} else {
		g->pids_logged = false;
	}
	/* the agent itself, duplicates and processes of managed cgroups out */
	for (i = j = 0; i < n; i++)
		if (v[i] != self && !tf_pid_in(v, j, v[i]) && !tf_pid_managed(a, v[i]))
			v[j++] = v[i];
	n = j;
	if (on > a->period_us)
		on = a->period_us;

	if (a->dry) {
		if (n != g->st.npids || on != g->st.duty_on_us)
			tf_log(TF_LOG_INFO, "actuate: dry run: group %s: would run %zu processes %" PRIu64 " of every %" PRIu64 " us",
			       g->cfg->name, n, on, a->period_us);
		g->st.npids = (unsigned int)n;
		g->st.duty_on_us = on;
		free(v);
		return 0;
	}

	pthread_mutex_lock(&a->lock);
	/* those no longer named (or gone) are let go */
	for (i = j = 0; i < g->npids; i++) {
		struct tf_dpid *d = &g->pids[i];

		if (!d->dead && tf_pid_in(v, n, d->pid)) {
			g->pids[j++] = *d;
			continue;
		}
		if (d->stopped)
			tf_dpid_signal(d, SIGCONT);
		tf_dpid_close(d);
	}
	g->npids = j;
	err = 0;
	for (i = 0; i < n; i++) {
		struct tf_dpid *d;
		bool have = false;
		int fd;

		for (j = 0; j < g->npids && !have; j++)
			have = g->pids[j].pid == v[i];
		if (have)
			continue;
		fd = a->no_pidfd ? -1 : tf_pidfd_open(v[i]);
		if (fd < 0 && !a->no_pidfd && errno == ENOSYS)
			a->no_pidfd = true;
		else if (fd < 0 && !a->no_pidfd)
			continue;	/* exited meanwhile */
		if (g->npids == g->cap) {
			size_t nc = g->cap ? g->cap * 2 : 8;
			struct tf_dpid *nv = realloc(g->pids, nc * sizeof(*nv));

			if (!nv) {
				if (fd >= 0)
					close(fd);
				err = -ENOMEM;
				break;
			}
			g->pids = nv;
			g->cap = nc;
		}
		d = &g->pids[g->npids++];
		*d = (struct tf_dpid){ .pid = v[i], .fd = fd };
	}
	if (on != g->st.duty_on_us || n != g->st.npids)
		tf_log(TF_LOG_DEBUG, "actuate: group %s: %zu processes on %" PRIu64 " of every %" PRIu64 " us",
		       g->cfg->name, g->npids, on, a->period_us);
	g->st.npids = (unsigned int)g->npids;
	g->st.duty_on_us = on;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	free(v);
	return err;
}

/* SIGCONT to everything stopped, and let go of all. */
static void tf_duty_release(struct tf_act *a, struct tf_grp *g)
{
	size_t i;

	for (i = 0; i < g->npids; i++) {
		if (g->pids[i].stopped && !a->dry)
			tf_dpid_signal(&g->pids[i], SIGCONT);
		tf_dpid_close(&g->pids[i]);
	}
	g->npids = 0;
	g->st.npids = 0;
	g->off = false;
}

void tf_act_cont_all(struct tf_act *a)
{
	size_t i, k;

	if (!a || !a->grps)
		return;
	for (i = 0; i < a->ngrps; i++)
		for (k = 0; k < a->grps[i].npids; k++)
			if (a->grps[i].pids[k].stopped)
				tf_dpid_signal(&a->grps[i].pids[k], SIGCONT);
}

/* ---- the module's CPU cap ------------------------------------------------- */

/*
 * The module unreachable: no CPU cap (logged). Out of memory is an error:
 * an agent taken for one without packages would never cap the CPUs.
 */
static int tf_pkgs_open(struct tf_act *a)
{
	struct tf_domain_info *d = NULL;
	unsigned int n = 0, i;
	int err;

	if (!a->nl)
		return 0;
	err = tf_nl_domains(a->nl, &d, &n);
	if (err == -ENOMEM) {
		free(d);
		return err;
	}
	if (err) {
		tf_log(TF_LOG_WARNING, "actuate: the module's domains: %s: no CPU cap",
		       tf_nl_errmsg(a->nl) && *tf_nl_errmsg(a->nl) ?
		       tf_nl_errmsg(a->nl) : strerror(-err));
		free(d);
		return 0;
	}
	a->pkgs = calloc(n ? n : 1, sizeof(*a->pkgs));
	if (!a->pkgs) {
		free(d);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct tf_pkg *p;

		if (d[i].type != TF_DOMAIN_PACKAGE)
			continue;
		p = &a->pkgs[a->npkgs++];
		snprintf(p->st.name, sizeof(p->st.name), "%s", d[i].name);
		p->st.max_power_uw = d[i].max_power_uw;
		p->st.orig_cap_uw = d[i].cap_uw;
		{
			char buf[32], *end;

			if (!tf_orig_load(a, "cap", d[i].name, buf, sizeof(buf))) {
				unsigned long long v = strtoull(buf, &end, 10);

				if (!*end)
					p->st.orig_cap_uw = v;
			} else {
				snprintf(buf, sizeof(buf), "%" PRIu64, p->st.orig_cap_uw);
				tf_orig_save(a, "cap", d[i].name, buf);
			}
		}
	}
	free(d);
	return 0;
}

static int tf_pkg_set(struct tf_act *a, struct tf_pkg *p, uint64_t cap,
		      bool restoring)
{
	const char *msg;
	int err;

	if (a->dry) {
		tf_log(TF_LOG_INFO, "actuate: dry run: would %s the cap of %s to %" PRIu64 " uW",
		       restoring ? "restore" : "set", p->st.name, cap);
		return 0;
	}
	err = tf_nl_domain_set(a->nl, p->st.name, &cap, NULL);
	if (err) {
		msg = tf_nl_errmsg(a->nl);
		if (p->err_logged != err)
			tf_log(TF_LOG_WARNING, "actuate: %s: cap %" PRIu64 " uW: %s",
			       p->st.name, cap, msg && *msg ? msg : strerror(-err));
		p->err_logged = err;
		return err;
	}
	p->err_logged = 0;
	return 0;
}

static int tf_pkgs_apply(struct tf_act *a, uint64_t cap_uw)
{
	uint64_t caps[64], maxp[64];
	size_t i, n = a->npkgs < 64 ? a->npkgs : 64;
	int err, first = 0;

	if (!cap_uw || !n)
		return 0;
	for (i = 0; i < n; i++)
		maxp[i] = a->pkgs[i].st.max_power_uw;
	err = tf_lever_package_caps(cap_uw, maxp, n, caps);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (caps[i] == a->pkgs[i].st.cap_uw)
			continue;
		err = tf_pkg_set(a, &a->pkgs[i], caps[i], false);
		if (!err)
			a->pkgs[i].st.cap_uw = caps[i];
		else if (!first)
			first = err;
	}
	return first;
}

/* ---- GPUs ----------------------------------------------------------------- */

static const struct tf_gpu_cfg *tf_gpu_cfg(const struct tf_config *c,
					   unsigned int i)
{
	size_t k;

	for (k = 0; k < c->ngpu; k++)
		if (c->gpu[k].index == i)
			return &c->gpu[k];
	return NULL;
}

static void tf_gpu_nvml_open(struct tf_act *a, struct tf_gpu_act *g,
			     unsigned int i)
{
	const struct tf_gpu_cfg *gc = tf_gpu_cfg(a->c, i);
	enum tf_gpu_lever lever = gc ? gc->lever : TF_GPU_LEVER_POWER;
	unsigned int cur, max;
	int err;

	g->index = i;
	snprintf(g->st.name, sizeof(g->st.name), "nvml%u", i);
	g->st.kind = TF_ACT_GPU_NONE;
	if (lever == TF_GPU_LEVER_NONE)
		return;
	err = tf_nvml_limit_range_uw(a->nvml, i, &g->st.min_uw, &g->st.max_uw,
				     &g->st.default_uw);
	if (err) {
		tf_log(TF_LOG_WARNING, "actuate: gpu%u: no power limit range (%s): not actuated",
		       i, tf_nvml_errmsg(a->nvml));
		return;
	}
	if (lever == TF_GPU_LEVER_POWER) {
		g->st.kind = TF_ACT_GPU_NVML_POWER;
		return;
	}
	/* clocks: the configured range; an unset top is the GPU's top and an
	 * unset bottom a third of it (about the lowest clock worth locking) */
	max = gc->max_clock_mhz;
	if (!max) {
		err = tf_nvml_sm_clock_mhz(a->nvml, i, &cur, &max);
		if (err || !max) {
			tf_log(TF_LOG_WARNING, "actuate: gpu%u: no SM clock range (%s): not actuated",
			       i, tf_nvml_errmsg(a->nvml));
			return;
		}
	}
	g->st.clock_min_mhz = gc->min_clock_mhz ? gc->min_clock_mhz : max / 3;
	if (g->st.clock_min_mhz > max || g->st.min_uw >= g->st.default_uw) {
		tf_log(TF_LOG_WARNING, "actuate: gpu%u: clocks %u..%u MHz, limits %" PRIu64 "..%" PRIu64 " uW: not actuated",
		       i, g->st.clock_min_mhz, max, g->st.min_uw, g->st.default_uw);
		return;
	}
	g->max_clock = max;
	g->st.kind = TF_ACT_GPU_NVML_CLOCKS;
}

static bool tf_card_name(const char *s, size_t len)
{
	size_t i;

	if (len <= 4 || strncmp(s, "card", 4))
		return false;
	for (i = 4; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* glob() ignores a directory it cannot read: not when memory ran out */
static int tf_glob_err(const char *path, int err)
{
	(void)path;
	return err == ENOMEM;
}

/* amdgpu hwmon: class/drm/cardN/device/hwmon/hwmonM/power1_cap. */
static int tf_gpu_hwmon_open(struct tf_act *a, const char *sysfs)
{
	char pat[PATH_MAX], dir[PATH_MAX], file[PATH_MAX + 32], name[64];
	struct tf_gpu_act *nv, *g;
	const char *card, *slash;
	size_t i, base = a->ngpus;
	glob_t gl;
	int rc;

	snprintf(pat, sizeof(pat), "%s/class/drm/card*/device/hwmon/hwmon*/power1_cap",
		 sysfs);
	rc = glob(pat, 0, tf_glob_err, &gl);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc) {
		if (rc == GLOB_NOSPACE || rc == GLOB_ABORTED)
			globfree(&gl);
		return -ENOMEM;
	}
	nv = realloc(a->gpus, (a->ngpus + gl.gl_pathc) * sizeof(*nv));
	if (!nv) {
		globfree(&gl);
		return -ENOMEM;
	}
	a->gpus = nv;
	for (i = 0; i < gl.gl_pathc; i++) {
		card = gl.gl_pathv[i] + strlen(sysfs) + strlen("/class/drm/");
		slash = strchr(card, '/');
		if (!slash || !tf_card_name(card, (size_t)(slash - card)))
			continue;
		snprintf(dir, sizeof(dir), "%s", gl.gl_pathv[i]);
		*strrchr(dir, '/') = '\0';
		snprintf(file, sizeof(file), "%s/name", dir);
		if (tf_act_read(file, name, sizeof(name)) || strcmp(name, "amdgpu"))
			continue;
		g = &a->gpus[a->ngpus];
		memset(g, 0, sizeof(*g));
		snprintf(g->st.name, sizeof(g->st.name), "%.*s", (int)(slash - card), card);
		snprintf(g->cap_path, sizeof(g->cap_path), "%s", gl.gl_pathv[i]);
		g->st.kind = TF_ACT_GPU_HWMON;
		snprintf(file, sizeof(file), "%s/power1_cap_min", dir);
		if (tf_act_read_u64(file, &g->st.min_uw))
			g->st.min_uw = 0;
		snprintf(file, sizeof(file), "%s/power1_cap_max", dir);
		if (tf_act_read_u64(file, &g->st.max_uw) ||
		    tf_act_read_u64(g->cap_path, &g->st.default_uw) ||
		    g->st.min_uw > g->st.max_uw || !g->st.max_uw) {
			tf_log(TF_LOG_WARNING, "actuate: %s: %s: no readable cap range: not actuated",
			       g->st.name, dir);
			g->st.kind = TF_ACT_GPU_NONE;
		}
		a->ngpus++;
	}
	globfree(&gl);
	if (a->ngpus > base)
		tf_log(TF_LOG_INFO, "actuate: %zu amdgpu power caps under %s",
		       a->ngpus - base, sysfs);
	return 0;
}

static int tf_gpu_fail(struct tf_act *a, struct tf_gpu_act *g, const char *what,
		       int err)
{
	if (g->err_logged != err)
		tf_log(TF_LOG_WARNING, "actuate: %s: %s: %s", g->st.name, what,
		       g->st.kind == TF_ACT_GPU_HWMON ? strerror(-err) :
		       tf_nvml_errmsg(a->nvml));
	g->err_logged = err;
	return err;
}

static int tf_gpu_apply(struct tf_act *a, struct tf_gpu_act *g, uint64_t share)
{
	uint64_t lim, applied;
	unsigned int mhz;
	char buf[32];
	int err;

	if (share == TF_ACT_LEAVE || g->st.kind == TF_ACT_GPU_NONE)
		return 0;
	if (g->st.kind == TF_ACT_GPU_NVML_CLOCKS) {
		err = tf_lever_gpu_clock(share, g->st.min_uw, g->st.default_uw,
					 g->st.clock_min_mhz, g->max_clock, &mhz);
		if (err || mhz == g->st.clock_max_mhz)
			return err;
		if (a->dry) {
			tf_log(TF_LOG_INFO, "actuate: dry run: %s: would lock SM clocks to %u..%u MHz",
			       g->st.name, g->st.clock_min_mhz, mhz);
			g->st.clock_max_mhz = mhz;
			return 0;
		}
		err = tf_nvml_lock_sm_clocks_mhz(a->nvml, g->index, g->st.clock_min_mhz, mhz);
		if (err)
			return tf_gpu_fail(a, g, "lock clocks", err);
		g->st.clock_max_mhz = mhz;
		g->err_logged = 0;
		return 0;
	}
	err = tf_lever_gpu_limit(share, g->st.min_uw, g->st.max_uw, &lim, NULL);
	if (err)
		return err;
	if (g->st.kind == TF_ACT_GPU_NVML_POWER)
		lim -= lim % 1000;	/* NVML's mW, down */
	if (lim == g->st.limit_uw)
		return 0;
	if (a->dry) {
		tf_log(TF_LOG_INFO, "actuate: dry run: %s: would set the power limit to %" PRIu64 " uW",
		       g->st.name, lim);
		g->st.limit_uw = lim;
		return 0;
	}
	if (g->st.kind == TF_ACT_GPU_HWMON) {
		snprintf(buf, sizeof(buf), "%" PRIu64, lim);
		err = tf_act_write(g->cap_path, buf);
		if (err)
			return tf_gpu_fail(a, g, g->cap_path, err);
		applied = lim;
	} else {
		err = tf_nvml_set_power_limit_uw(a->nvml, g->index, lim, &applied);
		if (err && err != -ERANGE)	/* ERANGE: clamped, and set */
			return tf_gpu_fail(a, g, "set power limit", err);
	}
	tf_log(TF_LOG_DEBUG, "actuate: %s: power limit %" PRIu64 " uW", g->st.name, applied);
	g->st.limit_uw = applied;
	g->err_logged = 0;
	return 0;
}

static int tf_gpus_restore(struct tf_act *a)
{
	bool nvml = false;
	char buf[32];
	size_t i;
	int err = 0, e;

	for (i = 0; i < a->ngpus; i++) {
		struct tf_gpu_act *g = &a->gpus[i];

		if (!g->st.limit_uw && !g->st.clock_max_mhz)
			continue;
		if (a->dry) {
			tf_log(TF_LOG_INFO, "actuate: dry run: %s: would restore", g->st.name);
			g->st.limit_uw = 0;
			g->st.clock_max_mhz = 0;
			continue;
		}
		if (g->st.kind != TF_ACT_GPU_HWMON) {
			nvml = true;
			continue;
		}
		snprintf(buf, sizeof(buf), "%" PRIu64, g->st.default_uw);
		e = tf_act_write(g->cap_path, buf);
		if (e) {
			err = err ? err : tf_gpu_fail(a, g, g->cap_path, e);
			continue;
		}
		tf_log(TF_LOG_INFO, "actuate: %s: power cap %s uW restored", g->st.name, buf);
		g->st.limit_uw = 0;
	}
	if (!nvml)
		return err;
	/* NVML puts back every limit and unlocks every clock it changed */
	e = tf_nvml_restore(a->nvml);
	if (e) {
		tf_log(TF_LOG_WARNING, "actuate: NVML restore: %s", tf_nvml_errmsg(a->nvml));
		return err ? err : e;
	}
	tf_log(TF_LOG_INFO, "actuate: NVML power limits and clocks restored");
	for (i = 0; i < a->ngpus; i++) {
		if (a->gpus[i].st.kind == TF_ACT_GPU_HWMON)
			continue;
		a->gpus[i].st.limit_uw = 0;
		a->gpus[i].st.clock_max_mhz = 0;
	}
	return err;
}

/* ---- plans ---------------------------------------------------------------- */

int tf_act_plan_group(const struct tf_config *c, const struct tf_alloc *alloc,
		      uint64_t demand_uw, uint64_t budget_uw, unsigned int ncpus,
		      uint64_t cpu_period_us, uint64_t duty_period_us,
		      struct tf_act_group_plan *out)
{
	struct tf_lever_cpu m = {
		.cpu_watts_uw = c->cpu_watts_uw, .ncpus = ncpus,
		.period_us = cpu_period_us,
	};
	uint64_t idle = tf_lever_idle_share(c->cpu_idle_uw, alloc->uw, budget_uw);
	struct tf_act_group_plan p = { .set = true, .frozen = alloc->frozen };
	int err;

	err = tf_lever_cpu_max(&m, alloc->uw, idle, demand_uw, alloc->frozen, &p.cpu);
	if (!err)
		err = tf_lever_duty(alloc->uw, idle, demand_uw, alloc->frozen,
				    duty_period_us, &p.duty_on_us);
	if (!err)
		*out = p;
	return err;
}

/* ---- the handle ----------------------------------------------------------- */

/*
 * cgroup_root's path inside the cgroup2 mount it lies on ("" when it is
 * the mount, or on none): what /proc/PID/cgroup paths are relative to.
 * -ENOMEM when mountinfo cannot be read for it: a wrong prefix would put
 * the managed cgroups' processes in duty cycles.
 */
static int tf_cg_prefix(struct tf_act *a)
{
	char path[PATH_MAX], line[8192], mnt[PATH_MAX], best[PATH_MAX] = "";
	const char *root = a->c->cgroup_root, *sep;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/self/mountinfo", a->proc_root);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOMEM ? -ENOMEM : 0;
	while (fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - cgroup2 ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		len = strlen(mnt);
		if (!strncmp(root, mnt, len) && (root[len] == '/' || !root[len]) &&
		    len >= strlen(best))
			snprintf(best, sizeof(best), "%s", mnt);
	}
	fclose(f);
	if (best[0] && strcmp(best, "/"))
		snprintf(a->cg_prefix, sizeof(a->cg_prefix), "%s", root + strlen(best));
	else if (best[0])
		snprintf(a->cg_prefix, sizeof(a->cg_prefix), "%s", root);
	len = strlen(a->cg_prefix);
	while (len && a->cg_prefix[len - 1] == '/')
		a->cg_prefix[--len] = '\0';
	return 0;
}

int tf_act_open(struct tf_act **out, const struct tf_config *c,
		struct tf_nl *nl, struct tf_nvml *nvml,
		const struct tf_act_opts *opts)
{
	const char *sysfs = opts && opts->sysfs_root ? opts->sysfs_root : "/sys";
	const char *proc = opts && opts->proc_root ? opts->proc_root : "/proc";
	struct tf_act *a;
	unsigned int i, n;
	size_t k;
	int err = -ENOMEM;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->c = c;
	a->nl = nl;
	a->nvml = nvml;
	a->dry = c->dry_run;
	a->period_us = opts && opts->duty_period_us ? opts->duty_period_us :
		       TF_ACT_DUTY_PERIOD_US;
	if (a->period_us < TF_LEVER_PERIOD_MIN_US || a->period_us > TF_LEVER_PERIOD_MAX_US) {
		free(a);
		return -EINVAL;
	}
	if (strlen(proc) >= sizeof(a->proc_root)) {
		free(a);
		return -ENAMETOOLONG;
	}
	strcpy(a->proc_root, proc);
	if (opts && opts->state_dir) {
		if (strlen(opts->state_dir) >= sizeof(a->state_dir)) {
			free(a);
			return -ENAMETOOLONG;
		}
		strcpy(a->state_dir, opts->state_dir);
		if (mkdir(a->state_dir, 0700) && errno != EEXIST)
			tf_log(TF_LOG_WARNING, "actuate: %s: %s: originals kept in memory only",
			       a->state_dir, strerror(errno));
	}
	pthread_mutex_init(&a->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&a->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	a->ngrps = c->ngroups;
	a->grps = calloc(c->ngroups ? c->ngroups : 1, sizeof(*a->grps));
	a->gst = calloc(c->ngroups ? c->ngroups : 1, sizeof(*a->gst));
	if (!a->grps || !a->gst || tf_cg_prefix(a))
		goto fail;
	for (k = 0; k < c->ngroups; k++) {
		struct tf_grp *g = &a->grps[k];
		const char *rel = c->groups[k].cgroup;

		g->cfg = &c->groups[k];
		g->st.name = g->cfg->name;
		g->st.duty_period_us = a->period_us;
		g->st.duty_on_us = a->period_us;
		g->freeze = -1;
		if (rel[0]) {
			while (*rel == '/')
				rel++;
			g->st.has_cgroup = true;
			snprintf(g->dir, sizeof(g->dir), "%s/%s", c->cgroup_root, rel);
			g->st.present = tf_act_isdir(g->dir);
		}
		if (g->cfg->pids[0])
			a->duty = !a->dry;
	}

	if (c->gpus && nvml) {
		n = tf_nvml_count(nvml);
		a->gpus = calloc(n ? n : 1, sizeof(*a->gpus));
		if (!a->gpus)
			goto fail;
		for (i = 0; i < n; i++)
			tf_gpu_nvml_open(a, &a->gpus[a->ngpus++], i);
	}
	if (c->gpus) {
		err = tf_gpu_hwmon_open(a, sysfs);
		if (err)
			goto fail;
		err = -ENOMEM;
	}
	if (tf_pkgs_open(a))
		goto fail;

	a->gpst = calloc(a->ngpus ? a->ngpus : 1, sizeof(*a->gpst));
	a->pkst = calloc(a->npkgs ? a->npkgs : 1, sizeof(*a->pkst));
	if (!a->gpst || !a->pkst)
		goto fail;
	if (a->duty && pthread_create(&a->thread, NULL, tf_duty_main, a)) {
		a->duty = false;
		goto fail;
	}
	if (a->dry)
		tf_log(TF_LOG_NOTICE, "actuate: dry run: nothing will be written");
	*out = a;
	return 0;
fail:
	tf_act_close(a);
	return err;
}

int tf_act_apply(struct tf_act *a, const struct tf_act_plan *plan)
{
	int err, first = 0;
	size_t i;

	if (plan->groups) {
		for (i = 0; i < a->ngrps; i++) {
			if (!plan->groups[i].set)
				continue;
			err = tf_cg_apply(a, &a->grps[i], &plan->groups[i]);
			first = first ? first : err;
			err = tf_duty_apply(a, &a->grps[i], &plan->groups[i]);
			first = first ? first : err;
		}
	}
	if (plan->gpu_uw) {
		for (i = 0; i < a->ngpus && i < plan->ngpu; i++) {
			err = tf_gpu_apply(a, &a->gpus[i], plan->gpu_uw[i]);
			first = first ? first : err;
		}
	}
	err = tf_pkgs_apply(a, plan->cpu_cap_uw);
	return first ? first : err;
}

int tf_act_restore(struct tf_act *a)
{
	int err, first = 0;
	size_t i;

	if (a->duty) {
		pthread_mutex_lock(&a->lock);
		for (i = 0; i < a->ngrps; i++)
			tf_duty_release(a, &a->grps[i]);
		pthread_mutex_unlock(&a->lock);
	}
	for (i = 0; i < a->ngrps; i++) {
		err = tf_cg_restore(a, &a->grps[i]);
		first = first ? first : err;
	}
	err = tf_gpus_restore(a);
	first = first ? first : err;
	for (i = 0; i < a->npkgs; i++) {
		struct tf_pkg *p = &a->pkgs[i];

		if (!p->st.cap_uw) {
			tf_orig_drop(a, "cap", p->st.name);
			continue;
		}
		err = tf_pkg_set(a, p, p->st.orig_cap_uw, true);
		if (!err) {
			p->st.cap_uw = 0;
			tf_orig_drop(a, "cap", p->st.name);
		}
		first = first ? first : err;
	}
	return first;
}

void tf_act_close(struct tf_act *a)
{
	size_t i;

	if (!a)
		return;
	/* the thread first, so that nothing is stopped again after the SIGCONT */
	if (a->duty) {
		pthread_mutex_lock(&a->lock);
		a->quit = true;
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
		a->duty = false;
	}
	for (i = 0; a->grps && i < a->ngrps; i++)
		tf_duty_release(a, &a->grps[i]);
	if (a->grps)
		tf_act_restore(a);
	for (i = 0; a->grps && i < a->ngrps; i++)
		free(a->grps[i].pids);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a->grps);
	free(a->gst);
	free(a->gpus);
	free(a->gpst);
	free(a->pkgs);
	free(a->pkst);
	free(a);
}

void tf_act_state(const struct tf_act *a, struct tf_act_state *st)
{
	size_t i;

	/* copies: the duty thread never writes the state, apply does */
	for (i = 0; i < a->ngrps; i++)
		a->gst[i] = a->grps[i].st;
	for (i = 0; i < a->ngpus; i++)
		a->gpst[i] = a->gpus[i].st;
	for (i = 0; i < a->npkgs; i++)
		a->pkst[i] = a->pkgs[i].st;
	st->dry_run = a->dry;
	st->ngroups = a->ngrps;
	st->groups = a->gst;
	st->ngpus = a->ngpus;
	st->gpus = a->gpst;
	st->npkgs = a->npkgs;
	st->pkgs = a->pkst;
}
