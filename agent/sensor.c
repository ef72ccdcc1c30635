// SPDX-License-Identifier: GPL-2.0
/*
 * User side of the eBPF sensor (bpf/sensor.bpf.c), through its skeleton.
 *
 * An interval ends when tf_sensor_collect() flushes every CPU into the next
 * epoch (bpf/sensor.h says how slots keep the previous epoch's end). It
 * then reads the process map as of the end of the finished epoch, drains
 * the exit reports, and reports per process what grew since the previous
 * collect. A process is named by (tgid, start time), so a reused tgid
 * starts from zero. Over one collect the deltas of all processes add up to
 * the CPUs' elapsed time between the two flushes, exactly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sensor.h"
#include "sensor.skel.h"

/* Tests only: defined by tests/bpf/test_sensor.c, absent elsewhere. */
int tf_sensor_loader_fault(int where) __attribute__((weak));

#define TF_DEF_PROCS	16384
#define TF_DEF_CGROUPS	4096
#define TF_BATCH	256	/* map entries per batch syscall */
#define TF_RB_EVENTS	4096	/* exit reports the ring buffer holds */
#define TF_REAP_EVERY	32	/* collects between checks of an idle process */

/* Flags of a tf_track. */
#define TF_MARKED	0x1	/* its map entry is marked exited (ring was full) */
#define TF_USED		0x2	/* matched in this collect */
#define TF_SKIP		0x4	/* superseded by an exit report, or removed */
#define TF_FRESH	0x8	/* charged after this collect's flush */
#define TF_FINAL	0x10	/* its exit is fully reported */
#define TF_TOLD		0x20	/* its current comm went out in a report */

/*
 * A process as the user side knows it. Followed by counts: a track has one
 * set per package (what was last reported); a pending exit has three
 * (base: last reported before the exit report, vf: as of the end of the
 * interval, fin: final).
 */
struct tf_track {
	uint32_t tgid;
	uint32_t flags;
	uint32_t idle;		/* collects in a row it did not run */
	uint32_t pad;
	uint64_t start_ns;
	uint64_t cgroup_id;
	char comm[16];
	struct tf_counts c[];
};

/* A growable array of equal-sized records. */
struct tf_vec {
	unsigned char *buf;
	size_t n, cap, sz;
	unsigned char *spare;	/* tf_sort_tgid()'s, swapped with buf */
	size_t spare_cap;	/* bytes */
};

struct tf_id_rec {
	uint32_t tgid;
	struct tf_ident id;
};

struct tf_sensor {
	struct sensor *skel;
	/*
	 * Loaded by the loader child: tf_flush's program and the links that
	 * keep the other programs attached, owned here. Loaded in-process
	 * (TF_SENSOR_INPROC=1): -1 and none, the skeleton has them.
	 */
	int flush_fd;
	int *links;
	unsigned int nlinks;
	struct ring_buffer *rb;
	int ncpus;
	unsigned int npkgs;
	uint8_t pkg_of[TF_MAX_CPUS];
	bool counters;
	int *pfd;		/* cycles, instructions per CPU; -1: none */
	uint32_t epoch;
	uint64_t *flush_ns;	/* per CPU, at the last collect */
	uint64_t interval_ns;
	struct tf_cpu *cpubuf;
	struct tf_proc_stat *vals;	/* TF_BATCH * ncpus */
	uint32_t *keys;
	void *ubuf;		/* ncpus values of any per-CPU map */
	struct tf_vec tracks, cur, pend, done, evs, ids;
	/* tf_sort_tgid()'s (tgid, index) keys, two sets */
	uint64_t *skey;
	size_t skey_cap;
	struct tf_sensor_ustat us;
};

static void *tf_at(const struct tf_vec *v, size_t i)
{
	return v->buf + i * v->sz;
}

static void *tf_push(struct tf_vec *v)
{
	void *p;

	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;

		p = realloc(v->buf, cap * v->sz);
		if (!p)
			return NULL;
		v->buf = p;
		v->cap = cap;
	}
	p = tf_at(v, v->n++);
	memset(p, 0, v->sz);
	return p;
}

static void tf_swap(struct tf_vec *a, struct tf_vec *b)
{
	struct tf_vec t = *a;

	*a = *b;
	*b = t;
}

static void tf_add(struct tf_counts *a, const struct tf_counts *b)
{
	a->on_ns += b->on_ns;
	a->cycles += b->cycles;
	a->instructions += b->instructions;
}

static int tf_cmp_tgid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int tf_cmp_track(const void *a, const void *b)
{
	const struct tf_track *x = a, *y = b;
	int c = tf_cmp_tgid(a, b);

	return c ? c : (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

static int tf_cmp_event(const void *a, const void *b)
{
	const struct tf_exit_event *x = a, *y = b;

	if (x->tgid != y->tgid)
		return (x->tgid > y->tgid) - (x->tgid < y->tgid);
	return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/*
 * The record of a vector sorted by tgid that names tgid (the first of
 * them, if two do). A plain binary search: bsearch()'s callback per step
 * showed in profiles of a tick with thousands of processes.
 */
static void *tf_find(const struct tf_vec *v, uint32_t tgid)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (*(const uint32_t *)tf_at(v, mid) < tgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && *(const uint32_t *)tf_at(v, lo) == tgid ?
	       tf_at(v, lo) : NULL;
}

/*
 * Sorts a vector of records that start with their tgid, by tgid, stably.
 * qsort() of the records themselves (a track is 80 bytes and more) took a
 * fifth of a tick: here a radix sort of (tgid, index) keys, 11 bits a pass
 * and only as many passes as the largest tgid needs (two for pid_max's
 * 2^22), then one move of each record to its place.
 */
static int tf_sort_tgid(struct tf_sensor *s, struct tf_vec *v)
{
	size_t n = v->n, i, cnt[1 << 11];
	uint64_t *a, *b, *t;
	uint32_t max = 0;
	unsigned int shift;
	unsigned char *rec;

	if (n < 2)
		return 0;
	if (s->skey_cap < 2 * n) {
		a = realloc(s->skey, 2 * n * sizeof(*a));
		if (!a)
			return -ENOMEM;
		s->skey = a;
		s->skey_cap = 2 * n;
	}
	if (v->spare_cap < v->cap * v->sz) {
		rec = realloc(v->spare, v->cap * v->sz);
		if (!rec)
			return -ENOMEM;
		v->spare = rec;
		v->spare_cap = v->cap * v->sz;
	}
	a = s->skey;
	b = s->skey + n;
	for (i = 0; i < n; i++) {
		uint32_t tgid = *(const uint32_t *)tf_at(v, i);

		a[i] = (uint64_t)tgid << 32 | i;
		if (tgid > max)
			max = tgid;
	}
	for (shift = 32; shift < 64 && max >> (shift - 32); shift += 11) {
		size_t sum = 0, c;

		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++)
			cnt[(a[i] >> shift) & 0x7ff]++;
		for (i = 0; i < 1 << 11; i++) {
			c = cnt[i];
			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[cnt[(a[i] >> shift) & 0x7ff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (i = 0; i < n; i++)
		memcpy(v->spare + i * v->sz, tf_at(v, (uint32_t)a[i]), v->sz);
	/* the sorted copy becomes the vector; its old buffer the spare */
	rec = v->buf;
	v->buf = v->spare;
	v->spare = rec;
	i = v->cap;
	v->cap = v->spare_cap / v->sz;
	v->spare_cap = i * v->sz;
	return 0;
}

static struct tf_track *tf_find_proc(const struct tf_vec *v, uint32_t tgid,
				     uint64_t start_ns)
{
	struct tf_track *t = tf_find(v, tgid);

	return t && t->start_ns == start_ns ? t : NULL;
}

/* Each CPU's package, numbered densely in order of first appearance. */
static int tf_topology(struct tf_sensor *s)
{
	int ids[TF_MAX_PKGS], cpu;
	unsigned int k;

	s->npkgs = 0;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		char path[96];
		int id = 0;
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/physical_package_id",
			 cpu);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%d", &id) != 1)
				id = 0;
			fclose(f);
		} else if (s->npkgs) {
			/* a possible CPU not present: its package does not matter */
			s->pkg_of[cpu] = 0;
			continue;
		}
		for (k = 0; k < s->npkgs && ids[k] != id; k++)
			;
		if (k == s->npkgs) {
			if (k == TF_MAX_PKGS)
				return -E2BIG;
			ids[s->npkgs++] = id;
		}
		s->pkg_of[cpu] = k;
	}
	if (!s->npkgs)
		s->npkgs = 1;
	return 0;
}

static int tf_perf_open(int cpu, __u32 type, __u64 config)
{
	struct perf_event_attr a = {
		.size = sizeof(a),
		.type = type,
		.config = config,
		/* never multiplexed: a count that stops is an error, not a guess */
		.pinned = 1,
	};

	return syscall(__NR_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void tf_counters_close(struct tf_sensor *s)
{
	int i;

	if (!s->pfd)
		return;
	for (i = 0; i < 2 * s->ncpus; i++)
		if (s->pfd[i] >= 0)
			close(s->pfd[i]);
	free(s->pfd);
	s->pfd = NULL;
}

/* One cycles and one instructions counter per online CPU, or none at all. */
static void tf_counters_open(struct tf_sensor *s, bool sw)
{
	__u32 type = sw ? PERF_TYPE_SOFTWARE : PERF_TYPE_HARDWARE;
	__u64 cfg[2] = {
		sw ? PERF_COUNT_SW_CPU_CLOCK : PERF_COUNT_HW_CPU_CYCLES,
		sw ? PERF_COUNT_SW_CPU_CLOCK : PERF_COUNT_HW_INSTRUCTIONS,
	};
	int cpu, k, n = 0;

	s->pfd = malloc(2 * s->ncpus * sizeof(*s->pfd));
	if (!s->pfd) {
		fprintf(stderr, "<4>tf-sensor: no counters: out of memory\n");
		return;
	}
	for (cpu = 0; cpu < 2 * s->ncpus; cpu++)
		s->pfd[cpu] = -1;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		for (k = 0; k < 2; k++) {
			int fd = tf_perf_open(cpu, type, cfg[k]);

			if (fd >= 0) {
				s->pfd[2 * cpu + k] = fd;
				n++;
			} else if (errno != ENODEV) {	/* ENODEV: CPU offline */
				fprintf(stderr,
					"<5>tf-sensor: no hardware counters (%s on cpu%d: %s): "
					"cycles and instructions read 0\n",
					k ? "instructions" : "cycles", cpu, strerror(errno));
				tf_counters_close(s);
				return;
			}
		}
	}
	if (!n) {
		tf_counters_close(s);
		return;
	}
	s->counters = true;
}

static int tf_on_exit(void *ctx, void *data, size_t size)
{
	struct tf_sensor *s = ctx;
	struct tf_exit_event *e;

	if (size < offsetof(struct tf_exit_event, pkg) || size > sizeof(*e))
		return 0;
	e = tf_push(&s->evs);
	if (!e)
		return -ENOMEM;
	memcpy(e, data, size);
	return 0;
}

static __thread char tf_sensor_why[512];

const char *tf_sensor_error(void)
{
	return tf_sensor_why;
}

void tf_sensor_explain(char *buf, size_t n, const char *step, int err,
		       const char *btf)
{
	char why[160], hint[256] = "";

	/* libbpf's own codes (-LIBBPF_ERRNO__*) have texts of their own */
	if (libbpf_strerror(err, why, sizeof(why)))
		snprintf(why, sizeof(why), "error %d", err);
	switch (-err) {
	case EPERM:
	case EACCES:
		snprintf(hint, sizeof(hint),
			 "; needs CAP_BPF and CAP_PERFMON (or root)");
		break;
	case ENOENT:
	case ESRCH:
	case EOPNOTSUPP:
		/* libbpf's answers when the kernel's BTF is missing or unreadable */
		if (access(btf, R_OK))
			snprintf(hint, sizeof(hint),
				 "; needs the kernel's BTF at %s (CONFIG_DEBUG_INFO_BTF): not there",
				 btf);
		else
			snprintf(hint, sizeof(hint),
				 "; the kernel's BTF at %s is there but could not be loaded: out of memory (RLIMIT_AS?)",
				 btf);
		break;
	case ENOMEM:
		snprintf(hint, sizeof(hint),
			 "; out of memory (RLIMIT_AS, or RLIMIT_MEMLOCK before 5.11)");
		break;
	default:
		break;
	}
	snprintf(buf, n, "%s failed: %s%s", step, why, hint);
}

#define TF_BTF "/sys/kernel/btf/vmlinux"

/* The steps of tf_load_attach() and the loader child, by number. */
static const char *const tf_load_steps[] = {
	"",
	"loading the BPF object into the kernel",
	"connecting the CPU counters",
	"seeding the process map",
	"attaching the BPF programs",
	"passing the BPF object back from its loader process",
};

/*
 * Load, then the counters and tgid 0 before attach, as the programs read
 * both from their first switch on (a missing counter counts in
 * counter_err; a tgid 0 the programs created first fails the seed).
 * Returns 0 or -errno, and the step it got to in *step.
 */
static int tf_load_attach(struct tf_sensor *s, unsigned int *step, bool fault)
{
	uint32_t zero = 0;
	int err, cpu, k;

	*step = 1;
	err = fault ? tf_sensor_loader_fault(TF_LF_LOAD) : 0;
	if (err > 0)
		err = 0;
	if (!err)
		err = sensor__load(s->skel);
	if (err)
		return err;
	*step = 2;
	for (cpu = 0; s->counters && cpu < s->ncpus; cpu++) {
		for (k = 0; k < 2; k++) {
			struct bpf_map *m = k ? s->skel->maps.tf_instructions :
						s->skel->maps.tf_cycles;
			int fd = s->pfd[2 * cpu + k];

			if (fd >= 0 && bpf_map__update_elem(m, &cpu, sizeof(cpu), &fd,
							    sizeof(fd), BPF_ANY))
				return -errno;
		}
	}
	/* tgid 0 takes what no entry can: it must always be there */
	*step = 3;
	memset(s->ubuf, 0, s->ncpus * sizeof(struct tf_proc_stat));
	if (bpf_map__update_elem(s->skel->maps.tf_procs, &zero, sizeof(zero), s->ubuf,
				 s->ncpus * sizeof(struct tf_proc_stat), BPF_NOEXIST))
		return -errno;
	*step = 4;
	return sensor__attach(s->skel);
}

#define TF_LOAD_MAGIC	0x74666c64	/* "tfld" */
#define TF_LOAD_MAPS	32
#define TF_LOAD_LINKS	16
#define TF_LOAD_FDS	(TF_LOAD_MAPS + 1 + TF_LOAD_LINKS)

/*
 * The loader child's answer: on success followed by (SCM_RIGHTS) the fds
 * of the object's maps in bpf_object__for_each_map order, tf_flush's, and
 * the links'; on failure by none.
 */
struct tf_load_msg {
	uint32_t magic;
	uint32_t step;		/* 0: loaded; else the failed tf_load_steps[] */
	int32_t err;		/* -errno */
	uint32_t nmaps, nlinks;
	uint32_t pad;
	uint64_t hwm_kb;	/* the child's VmHWM */
	char names[TF_LOAD_MAPS][32];	/* the maps', to cross-check */
};

static uint64_t tf_vmhwm_kb(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %llu", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The loader child: load, attach, hand everything to fd sk, _exit. */
static __attribute__((noreturn)) void tf_loader_child(struct tf_sensor *s, int sk)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(TF_LOAD_FDS * sizeof(int))];
	} c;
	struct tf_load_msg m = { .magic = TF_LOAD_MAGIC };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	bool fault = tf_sensor_loader_fault;
	int fds[TF_LOAD_FDS], n = 0, err, act = 0;
	struct bpf_map *map;
	unsigned int step;
	int i;

	/* the daemon gone, nobody wants the object */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	err = tf_load_attach(s, &step, fault);
	if (!err) {
		step = 5;
		bpf_object__for_each_map(map, s->skel->obj) {
			if (m.nmaps == TF_LOAD_MAPS) {
				err = -E2BIG;
				break;
			}
			snprintf(m.names[m.nmaps++], sizeof(m.names[0]), "%s",
				 bpf_map__name(map));
			fds[n++] = bpf_map__fd(map);
		}
		fds[n++] = bpf_program__fd(s->skel->progs.tf_flush);
		for (i = 0; !err && i < s->skel->skeleton->prog_cnt; i++) {
			struct bpf_link *l = *s->skel->skeleton->progs[i].link;

			if (!l)
				continue;
			if (m.nlinks == TF_LOAD_LINKS) {
				err = -E2BIG;
				break;
			}
			fds[n++] = bpf_link__fd(l);
			m.nlinks++;
		}
	}
	if (err) {
		m.step = step;
		m.err = err;
		m.nmaps = m.nlinks = 0;
		n = 0;
	}
	m.hwm_kb = tf_vmhwm_kb();
	if (fault)
		act = tf_sensor_loader_fault(TF_LF_SEND);
	if (act == TF_LF_SHORT)
		iov.iov_len = sizeof(m) / 2;
	else if (act == TF_LF_FEWER_FDS && n)
		n--;
	else if (act == TF_LF_BADNAME)
		m.names[0][0] ^= 1;
	if (n) {
		memset(&c, 0, sizeof(c));
		mh.msg_control = c.buf;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(&c.h), fds, n * sizeof(int));
	}
	/* no atexit handlers, no flush of the daemon's stdio buffers */
	_exit(sendmsg(sk, &mh, MSG_NOSIGNAL) < 0 ? 2 : 0);
}

static __attribute__((format(printf, 3, 4)))
int tf_loader_fail(const char *step, int err, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(tf_sensor_why, sizeof(tf_sensor_why), "%s failed: %s", step, why);
	return err;
}

/* waitpid, through EINTR; the status, or -1 if there was no child to reap */
static int tf_reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

#define TF_STEP_LOADER	"loading the BPF object in its loader process"
#define TF_STEP_RECV	"receiving the BPF object from its loader process"

/*
 * Loads and attaches the opened object in a child process, which takes
 * libbpf's transient parse of the kernel's BTF (two copies of its 5 MiB,
 * for a second) out of the daemon's peak RSS, and takes over its maps,
 * tf_flush's program and the links. Fills tf_sensor_why on failure.
 */
static int tf_load_in_child(struct tf_sensor *s)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(TF_LOAD_FDS * sizeof(int))];
	} c;
	struct tf_load_msg m;
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.buf, .msg_controllen = sizeof(c.buf),
	};
	int fds[TF_LOAD_FDS], nfd = 0, sv[2], st, err = 0, i, used = 0;
	unsigned int nmaps = 0;
	struct bpf_map *map;
	struct cmsghdr *h;
	ssize_t got;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		err = -errno;
		goto err_start;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		goto err_start;
	}
	if (!pid) {
		close(sv[0]);
		tf_loader_child(s, sv[1]);
	}
	close(sv[1]);
	memset(&m, 0, sizeof(m));
	while ((got = recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (got < 0)
		err = -errno;
	close(sv[0]);
	for (h = got > 0 ? CMSG_FIRSTHDR(&mh) : NULL; h; h = CMSG_NXTHDR(&mh, h)) {
		int k, n;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < n; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + k * sizeof(int), sizeof(fd));
			if (nfd < TF_LOAD_FDS)
				fds[nfd++] = fd;
			else
				close(fd);
		}
	}
	/* it answered or failed to; either way it is done (or must be) */
	if (got < 0)
		kill(pid, SIGKILL);
	st = tf_reap(pid);

	if (got < 0) {
		tf_sensor_explain(tf_sensor_why, sizeof(tf_sensor_why),
				  TF_STEP_RECV, err, TF_BTF);
		goto err_close;
	}
	if (!got) {
		if (st != -1 && WIFSIGNALED(st))
			err = tf_loader_fail(TF_STEP_LOADER, -ECHILD,
					     "killed by signal %d (%s)", WTERMSIG(st),
					     strsignal(WTERMSIG(st)));
		else
			err = tf_loader_fail(TF_STEP_LOADER, -ECHILD,
					     "it exited (status %d) without an answer",
					     st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		goto err_close;
	}
	if ((size_t)got != sizeof(m) || (mh.msg_flags & MSG_TRUNC) ||
	    m.magic != TF_LOAD_MAGIC) {
		err = tf_loader_fail(TF_STEP_RECV, -EPROTO,
				     "a short or garbled message (%zd bytes of %zu)",
				     got, sizeof(m));
		goto err_close;
	}
	s->us.loader_hwm_kb = m.hwm_kb;
	if (m.step) {
		/* the step and reason, as in-process loading says them */
		err = m.err < 0 ? m.err : -EPROTO;
		if (m.step >= sizeof(tf_load_steps) / sizeof(tf_load_steps[0]))
			err = tf_loader_fail(TF_STEP_RECV, -EPROTO,
					     "an unknown failed step %u", m.step);
		else
			tf_sensor_explain(tf_sensor_why, sizeof(tf_sensor_why),
					  tf_load_steps[m.step], err, TF_BTF);
		goto err_close;
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		err = tf_loader_fail(TF_STEP_RECV, -EMFILE,
				     "%d of its %u file descriptors arrived (RLIMIT_NOFILE?)",
				     nfd, m.nmaps + 1 + m.nlinks);
		goto err_close;
	}
	bpf_object__for_each_map(map, s->skel->obj)
		nmaps++;
	if (m.nmaps != nmaps || m.nmaps > TF_LOAD_MAPS || m.nlinks > TF_LOAD_LINKS ||
	    nfd != (int)(m.nmaps + 1 + m.nlinks)) {
		err = tf_loader_fail(TF_STEP_RECV, -EPROTO,
				     "%d file descriptors for %u maps and %u links "
				     "(the object has %u maps)", nfd, m.nmaps,
				     m.nlinks, nmaps);
		goto err_close;
	}
	i = 0;
	bpf_object__for_each_map(map, s->skel->obj) {
		if (strncmp(m.names[i], bpf_map__name(map), sizeof(m.names[i]) - 1)) {
			err = tf_loader_fail(TF_STEP_RECV, -EPROTO,
					     "map %d is \"%.31s\", not \"%s\"", i,
					     m.names[i], bpf_map__name(map));
			goto err_close;
		}
		i++;
	}
	s->links = calloc(m.nlinks ? m.nlinks : 1, sizeof(*s->links));
	if (!s->links) {
		err = -ENOMEM;
		tf_sensor_explain(tf_sensor_why, sizeof(tf_sensor_why),
				  TF_STEP_RECV, err, TF_BTF);
		goto err_close;
	}
	/* the object, never loaded here, takes its maps (a dup of each) */
	bpf_object__for_each_map(map, s->skel->obj) {
		err = bpf_map__reuse_fd(map, fds[used]);
		close(fds[used++]);
		if (err) {
			tf_sensor_explain(tf_sensor_why, sizeof(tf_sensor_why),
					  "taking over the BPF maps", err, TF_BTF);
			goto err_close;
		}
	}
	s->flush_fd = fds[used++];
	while (used < nfd)
		s->links[s->nlinks++] = fds[used++];
	return 0;

err_start:
	tf_sensor_explain(tf_sensor_why, sizeof(tf_sensor_why),
			  "starting the BPF loader process", err, TF_BTF);
	return err;
err_close:
	while (used < nfd)
		close(fds[used++]);
	return err;
}

int tf_sensor_open2(struct tf_sensor **out, const struct tf_sensor_opts *o)
{
	unsigned int max_procs = o->max_procs ? o->max_procs : TF_DEF_PROCS;
	size_t rbsz = 64 * 1024, ev;
	const char *step = "allocating its state", *inproc;
	struct tf_sensor *s;
	unsigned int ls;
	int err, cpu;

	tf_sensor_why[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s) {
		tf_sensor_explain(tf_sensor_why, sizeof(tf_sensor_why), step,
				  -ENOMEM, TF_BTF);
		return -ENOMEM;
	}
	s->flush_fd = -1;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0 || s->ncpus > TF_MAX_CPUS) {
		err = s->ncpus <= 0 ? (s->ncpus ? s->ncpus : -EINVAL) : -E2BIG;
		tf_sensor_explain(tf_sensor_why, sizeof(tf_sensor_why),
				  "counting the possible CPUs", err, TF_BTF);
		free(s);
		return err;
	}
	step = "reading the CPU topology";
	err = tf_topology(s);
	if (err)
		goto err_free;
	s->tracks.sz = s->cur.sz = sizeof(struct tf_track) +
		s->npkgs * sizeof(struct tf_counts);
	s->pend.sz = s->done.sz = sizeof(struct tf_track) +
		3 * s->npkgs * sizeof(struct tf_counts);
	s->evs.sz = sizeof(struct tf_exit_event);
	s->ids.sz = sizeof(struct tf_id_rec);
	s->flush_ns = calloc(s->ncpus, sizeof(*s->flush_ns));
	s->cpubuf = calloc(s->ncpus, sizeof(*s->cpubuf));
	s->vals = calloc((size_t)TF_BATCH * s->ncpus, sizeof(*s->vals));
	s->keys = calloc(TF_BATCH, sizeof(*s->keys));
	s->ubuf = calloc(s->ncpus, sizeof(struct tf_proc_stat));
	step = "allocating its buffers";
	if (!s->flush_ns || !s->cpubuf || !s->vals || !s->keys || !s->ubuf) {
		err = -ENOMEM;
		goto err_free;
	}
	if (o->counters || o->sw_counters)
		tf_counters_open(s, o->sw_counters);

	step = "opening the BPF object";
	s->skel = sensor__open();
	if (!s->skel) {
		err = -errno;
		goto err_free;
	}
	s->skel->rodata->tf_use_counters = s->counters;
	s->skel->rodata->tf_ncpus = s->ncpus;
	s->skel->rodata->tf_npkgs = s->npkgs;
	for (cpu = 0; cpu < s->ncpus; cpu++)
		s->skel->rodata->tf_cpu_pkg[cpu] = s->pkg_of[cpu];
	/* room for TF_RB_EVENTS reports; a power of two, as the kernel wants */
	ev = 8 + offsetof(struct tf_exit_event, pkg) +
		s->npkgs * sizeof(struct tf_exit_pkg);
	while (rbsz < TF_RB_EVENTS * ev)
		rbsz *= 2;
	step = "sizing the BPF maps";
	if (bpf_map__set_max_entries(s->skel->maps.tf_procs, max_procs) ||
	    bpf_map__set_max_entries(s->skel->maps.tf_ident, max_procs) ||
	    bpf_map__set_max_entries(s->skel->maps.tf_cgroups, o->max_cgroups ?
				     o->max_cgroups : TF_DEF_CGROUPS) ||
	    bpf_map__set_max_entries(s->skel->maps.tf_exits, rbsz)) {
		err = -EINVAL;
		goto err_destroy;
	}
	/* run on demand by tf_flush_all(), never attached */
	bpf_program__set_autoattach(s->skel->progs.tf_flush, false);
	/* TF_SENSOR_INPROC=1: in this process, as before the loader child */
	inproc = getenv("TF_SENSOR_INPROC");
	if (inproc && !strcmp(inproc, "1")) {
		err = tf_load_attach(s, &ls, false);
		if (err) {
			step = tf_load_steps[ls];
			goto err_destroy;
		}
	} else {
		err = tf_load_in_child(s);
		if (err)
			goto err_close;
	}
	step = "opening the exit ring buffer";
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.tf_exits), tf_on_exit,
				 s, NULL);
	if (!s->rb) {
		err = -errno;
		goto err_destroy;
	}
	/* the baseline: the first collect reports from here */
	step = "the first collect";
	err = tf_sensor_collect(s, NULL, NULL);
	if (err)
		goto err_destroy;
	*out = s;
	return 0;

err_destroy:
	tf_sensor_explain(tf_sensor_why, sizeof(tf_sensor_why), step, err, TF_BTF);
err_close:	/* tf_sensor_why says why */
	tf_sensor_close(s);
	return err;
err_free:
	tf_sensor_explain(tf_sensor_why, sizeof(tf_sensor_why), step, err, TF_BTF);
	free(s->flush_ns);
	free(s->cpubuf);
	free(s->vals);
	free(s->keys);
	free(s->ubuf);
	free(s);
	return err;
}

int tf_sensor_open(struct tf_sensor **out, unsigned int max_procs)
{
	struct tf_sensor_opts o = { .max_procs = max_procs, .counters = true };

	return tf_sensor_open2(out, &o);
}

void tf_sensor_close(struct tf_sensor *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	/* the last reference to each link: detaches its program */
	while (s->nlinks)
		close(s->links[--s->nlinks]);
	free(s->links);
	if (s->flush_fd >= 0)
		close(s->flush_fd);
	sensor__destroy(s->skel);
	tf_counters_close(s);
	free(s->flush_ns);
	free(s->cpubuf);
	free(s->vals);
	free(s->keys);
	free(s->ubuf);
	free(s->tracks.buf);
	free(s->cur.buf);
	free(s->pend.buf);
	free(s->done.buf);
	free(s->evs.buf);
	free(s->ids.buf);
	free(s->tracks.spare);
	free(s->cur.spare);
	free(s->pend.spare);
	free(s->done.spare);
	free(s->evs.spare);
	free(s->ids.spare);
	free(s->skey);
	free(s);
}

bool tf_sensor_has_counters(const struct tf_sensor *s)
{
	return s->counters;
}

unsigned int tf_sensor_packages(const struct tf_sensor *s)
{
	return s->npkgs;
}

unsigned int tf_sensor_package_of(const struct tf_sensor *s, unsigned int cpu)
{
	return cpu < (unsigned int)s->ncpus ? s->pkg_of[cpu] : 0;
}

uint64_t tf_sensor_interval_ns(const struct tf_sensor *s)
{
	return s->interval_ns;
}

const struct tf_sensor_ustat *tf_sensor_ustats(const struct tf_sensor *s)
{
	return &s->us;
}

/* Moves every CPU to the next epoch; the interval is what they covered. */
static int tf_flush_all(struct tf_sensor *s)
{
	int fd = s->flush_fd >= 0 ? s->flush_fd :
		 bpf_program__fd(s->skel->progs.tf_flush);
	__u64 args[1] = { ++s->epoch };
	uint32_t zero = 0;
	int cpu;

	for (cpu = 0; cpu < s->ncpus; cpu++) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = args,
			    .ctx_size_in = sizeof(args),
			    .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);

		if (bpf_prog_test_run_opts(fd, &t))
			s->us.flush_fail++;	/* offline: ENXIO */
	}
	if (bpf_map__lookup_elem(s->skel->maps.tf_cpus, &zero, sizeof(zero),
				 s->cpubuf, s->ncpus * sizeof(*s->cpubuf), 0))
		return -errno;
	s->interval_ns = 0;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		uint64_t now = s->cpubuf[cpu].flush_ns;

		if (s->flush_ns[cpu])
			s->interval_ns += now - s->flush_ns[cpu];
		s->flush_ns[cpu] = now;
	}
	return 0;
}

/* Reads a whole hash map, TF_BATCH entries per syscall. */
static int tf_read_map(struct tf_sensor *s, struct bpf_map *m, void *vals,
		       size_t vsz, int (*each)(struct tf_sensor *, uint32_t,
					       const void *, void *),
		       void *arg)
{
	__u64 token = 0;
	bool first = true, last = false;
	int fd = bpf_map__fd(m);

	while (!last) {
		__u32 n = TF_BATCH, i;
		int err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					       s->keys, vals, &n, NULL);

		if (err == -ENOENT)
			last = true;
		else if (err)
			return err;
		for (i = 0; i < n; i++) {
			err = each(s, s->keys[i], (const char *)vals + i * vsz, arg);
			if (err)
				return err;
		}
		first = false;
	}
	return 0;
}

static int tf_each_ident(struct tf_sensor *s, uint32_t tgid, const void *v,
			 void *arg)
{
	struct tf_id_rec *r = tf_push(&s->ids);

	(void)arg;
	if (!r)
		return -ENOMEM;
	r->tgid = tgid;
	memcpy(&r->id, v, sizeof(r->id));
	return 0;
}

/* One process entry, as of the end of epoch *arg (see bpf/sensor.h). */
static int tf_each_proc(struct tf_sensor *s, uint32_t tgid, const void *v,
			void *arg)
{
	const struct tf_proc_stat *slot = v;
	uint32_t end = *(uint32_t *)arg;
	struct tf_track *t;
	uint64_t last = 0;
	int cpu;

	t = tf_push(&s->cur);
	if (!t)
		return -ENOMEM;
	t->tgid = tgid;
	for (cpu = 0; cpu < s->ncpus; cpu++, slot++) {
		int32_t age = (int32_t)(slot->epoch - end);

		tf_add(&t->c[s->pkg_of[cpu]], age <= 0 ? &slot->cum : &slot->snap);
		if (age > 0)
			t->flags |= TF_FRESH;
		if (slot->exited)
			t->flags |= TF_MARKED;
		if (slot->last_ns > last) {
			last = slot->last_ns;
			t->cgroup_id = slot->cgroup_id;
		}
	}
	return 0;
}

/*
 * Names the processes (start time, comm) from the ident map's records:
 * both vectors sorted by tgid, one walk.
 */
static void tf_name_procs(struct tf_sensor *s)
{
	size_t i, j = 0;

	for (i = 0; i < s->cur.n; i++) {
		struct tf_track *t = tf_at(&s->cur, i);
		const struct tf_id_rec *id = NULL;

		while (j < s->ids.n &&
		       ((const struct tf_id_rec *)tf_at(&s->ids, j))->tgid < t->tgid)
			j++;
		if (j < s->ids.n)
			id = tf_at(&s->ids, j);
		if (id && id->tgid == t->tgid) {
			t->start_ns = id->id.start_ns;
			memcpy(t->comm, id->id.comm, sizeof(t->comm));
			t->comm[sizeof(t->comm) - 1] = 0;
		} else if (!t->tgid) {
			strcpy(t->comm, "idle");
		}
	}
}

/* d = a - b per package; false if nothing grew. */
static bool tf_delta(const struct tf_sensor *s, struct tf_proc_delta *d,
		     const struct tf_counts *a, const struct tf_counts *b)
{
	bool grew = false;
	unsigned int k;

	for (k = 0; k < s->npkgs; k++) {
		static const struct tf_counts zero;
		const struct tf_counts *z = b ? &b[k] : &zero;

		/* cumulative counts never shrink; guard against a torn read */
		d->on_ns[k] = a[k].on_ns > z->on_ns ? a[k].on_ns - z->on_ns : 0;
		d->cycles[k] = a[k].cycles > z->cycles ? a[k].cycles - z->cycles : 0;
		d->instructions[k] = a[k].instructions > z->instructions ?
				     a[k].instructions - z->instructions : 0;
		grew |= d->on_ns[k] || d->cycles[k] || d->instructions[k];
	}
	return grew;
}

static void tf_report(struct tf_track *t, struct tf_proc_delta *d,
		      bool exited,
		      void (*fn)(const struct tf_proc_delta *d, void *arg),
		      void *arg)
{
	d->tgid = t->tgid;
	d->cgroup_id = t->cgroup_id;
	memcpy(d->comm, t->comm, sizeof(d->comm));
	d->exited = exited;
	d->named = !(t->flags & TF_TOLD);
	if (fn) {
		/* the baseline's collect (no fn) tells no one */
		t->flags |= TF_TOLD;
		fn(d, arg);
	}
}

/* The exit reports drained in this collect, F the finished epoch. */
static int tf_exits(struct tf_sensor *s, uint32_t F,
		    void (*fn)(const struct tf_proc_delta *d, void *arg),
		    void *arg)
{
	unsigned int np = s->npkgs, k;
	struct tf_proc_delta d;
	struct tf_track *p;
	size_t i;

	/* the previous collect's exits, now complete */
	for (i = 0; i < s->pend.n; i++) {
		p = tf_at(&s->pend, i);
		if (p->flags & TF_FINAL)
			continue;
		memset(&d, 0, sizeof(d));
		tf_delta(s, &d, p->c + 2 * np, p->c + np);
		tf_report(p, &d, true, fn, arg);
		p->flags |= TF_FINAL;
	}
	tf_swap(&s->pend, &s->done);
	s->pend.n = 0;

	/* sorted, so that two reports of one process are neighbours */
	if (s->evs.n > 1)
		qsort(s->evs.buf, s->evs.n, s->evs.sz, tf_cmp_event);
	for (i = 0; i < s->evs.n; i++) {
		const struct tf_exit_event *e = tf_at(&s->evs, i);
		struct tf_track *o, *c, key = { .tgid = e->tgid, .start_ns = e->start_ns };

		if (s->done.n && bsearch(&key, s->done.buf, s->done.n, s->done.sz,
					 tf_cmp_track)) {
			s->us.dup_exits++;	/* its twin came a collect earlier */
			continue;
		}
		p = s->pend.n ? tf_at(&s->pend, s->pend.n - 1) : NULL;
		if (p && p->tgid == e->tgid && p->start_ns == e->start_ns) {
			/* both threads summed the same slots: the later is larger */
			s->us.dup_exits++;
			for (k = 0; k < np; k++)
				if (e->pkg[k].fin.on_ns > p->c[2 * np + k].on_ns)
					p->c[2 * np + k] = e->pkg[k].fin;
			continue;
		}
		s->us.exits++;
		p = tf_push(&s->pend);
		if (!p)
			return -ENOMEM;
		p->tgid = e->tgid;
		p->start_ns = e->start_ns;
		p->cgroup_id = e->cgroup_id;
		memcpy(p->comm, e->comm, sizeof(p->comm));
		p->comm[sizeof(p->comm) - 1] = 0;
		o = tf_find_proc(&s->tracks, e->tgid, e->start_ns);
		if (o)
			o->flags |= TF_USED;
		/* its entry, if the map read still saw it, says the same */
		c = tf_find_proc(&s->cur, e->tgid, e->start_ns);
		if (c)
			c->flags |= TF_SKIP;
		for (k = 0; k < np; k++) {
			const struct tf_exit_pkg *ep = &e->pkg[k];

			p->c[k] = o ? o->c[k] : (struct tf_counts){ 0 };
			/* as of the end of F: see tf_sum_cpu() */
			p->c[np + k] = e->epoch == F ? ep->hi :
				       e->epoch == F + 1 ? ep->lo : ep->fin;
			p->c[2 * np + k] = ep->fin;
		}
	}
	for (i = 0; i < s->pend.n; i++) {
		bool grew, final = true;

		p = tf_at(&s->pend, i);
		memset(&d, 0, sizeof(d));
		grew = tf_delta(s, &d, p->c + np, p->c);
		for (k = 0; k < np; k++)
			final &= !memcmp(&p->c[np + k], &p->c[2 * np + k],
					 sizeof(p->c[k]));
		if (grew || final)
			tf_report(p, &d, final, fn, arg);
		if (final)
			p->flags |= TF_FINAL;
	}
	if (s->pend.n > 1)
		qsort(s->pend.buf, s->pend.n, s->pend.sz, tf_cmp_track);
	return 0;
}

int tf_sensor_collect(struct tf_sensor *s,
		      void (*fn)(const struct tf_proc_delta *d, void *arg),
		      void *arg)
{
	struct tf_proc_delta d;
	uint32_t F;
	size_t i, j;
	int err;

	err = tf_flush_all(s);
	if (err)
		return err;
	F = s->epoch - 1;
	s->us.collects++;
	s->ids.n = 0;
	err = tf_read_map(s, s->skel->maps.tf_ident, s->vals,
			  sizeof(struct tf_ident), tf_each_ident, NULL);
	if (err)
		return err;
	err = tf_sort_tgid(s, &s->ids);
	if (err)
		return err;
	/*
	 * The map before the ring buffer: an exit removes its entry only after
	 * its report is in the ring, so a process missing from the map read
	 * is in the drain that follows.
	 */
	s->cur.n = 0;
	err = tf_read_map(s, s->skel->maps.tf_procs, s->vals,
			  s->ncpus * sizeof(struct tf_proc_stat), tf_each_proc, &F);
	if (err)
		return err;
	err = tf_sort_tgid(s, &s->cur);
	if (err)
		return err;
	tf_name_procs(s);
	s->evs.n = 0;
	err = ring_buffer__consume(s->rb);
	if (err < 0)
		return err;
	err = tf_exits(s, F, fn, arg);
	if (err)
		return err;

	for (i = 0, j = 0; i < s->cur.n; i++) {
		struct tf_track *c = tf_at(&s->cur, i), *o = NULL;
		bool grew;

		if (c->flags & TF_SKIP)
			continue;
		/* both sorted by tgid, each tgid once: one walk */
		while (j < s->tracks.n &&
		       ((struct tf_track *)tf_at(&s->tracks, j))->tgid < c->tgid)
			j++;
		if (j < s->tracks.n) {
			o = tf_at(&s->tracks, j);
			if (o->tgid != c->tgid || o->start_ns != c->start_ns)
				o = NULL;
		}
		if (o)
			o->flags |= TF_USED;
		/* the name told stays told until an exec changes it */
		if (o && (o->flags & TF_TOLD) &&
		    !memcmp(o->comm, c->comm, sizeof(c->comm)))
			c->flags |= TF_TOLD;
		memset(&d, 0, sizeof(d));
		grew = tf_delta(s, &d, c->c, o ? o->c : NULL);
		/*
		 * Marked: its exit found the ring buffer full. Reported final
		 * and removed once nothing ran on it since the flush (its last
		 * thread has switched out for good).
		 */
		if ((c->flags & TF_MARKED) && o && (o->flags & TF_MARKED) &&
		    !(c->flags & TF_FRESH)) {
			tf_report(c, &d, true, fn, arg);
			bpf_map__delete_elem(s->skel->maps.tf_procs, &c->tgid,
					     sizeof(c->tgid), 0);
			bpf_map__delete_elem(s->skel->maps.tf_ident, &c->tgid,
					     sizeof(c->tgid), 0);
			s->us.ring_exits++;
			c->flags |= TF_SKIP;
			continue;
		}
		if (grew) {
			tf_report(c, &d, false, fn, arg);
			continue;
		}
		/*
		 * The reaper: an entry no exit report removed (a ptraced
		 * thread that is never released, say) must not stay forever.
		 * A process idle for two intervals, and then every
		 * TF_REAP_EVERY, is checked; gone, it is reported and removed.
		 * Not sooner: a parent can reap a child that has yet to make
		 * its last switch.
		 */
		c->idle = o ? o->idle + 1 : 1;
		if (c->tgid && c->idle >= 2 && (c->idle - 2) % TF_REAP_EVERY == 0 &&
		    kill(c->tgid, 0) && errno == ESRCH) {
			tf_report(c, &d, true, fn, arg);
			bpf_map__delete_elem(s->skel->maps.tf_procs, &c->tgid,
					     sizeof(c->tgid), 0);
			bpf_map__delete_elem(s->skel->maps.tf_ident, &c->tgid,
					     sizeof(c->tgid), 0);
			s->us.reaped++;
			c->flags |= TF_SKIP;
		}
	}

	/* a process we knew that left no entry and no report */
	for (i = 0; i < s->tracks.n; i++) {
		struct tf_track *o = tf_at(&s->tracks, i);

		if (!(o->flags & TF_USED))
			s->us.vanished++;
	}
	/* what was read becomes what was reported: compacted, swapped in */
	for (i = 0, j = 0; i < s->cur.n; i++) {
		struct tf_track *c = tf_at(&s->cur, i);

		if (c->flags & TF_SKIP)
			continue;
		c->flags &= TF_MARKED | TF_TOLD;
		if (i != j)
			memcpy(tf_at(&s->cur, j), c, s->cur.sz);
		j++;
	}
	s->cur.n = j;
	tf_swap(&s->tracks, &s->cur);
	return 0;
}

void tf_sensor_forget_name(struct tf_sensor *s, uint32_t tgid)
{
	struct tf_track *t = tf_find(&s->tracks, tgid);

	if (t)
		t->flags &= ~TF_TOLD;
}

void tf_sensor_forget_names(struct tf_sensor *s)
{
	size_t i;

	for (i = 0; i < s->tracks.n; i++)
		((struct tf_track *)tf_at(&s->tracks, i))->flags &= ~TF_TOLD;
}

/* Sums a per-CPU map's value over CPUs; -ENOENT if it has no such key. */
static int tf_sum_percpu(struct tf_sensor *s, struct bpf_map *m, const void *key,
			 size_t ksz, size_t vsz, size_t off, struct tf_counts *sum)
{
	int cpu;

	if (bpf_map__lookup_elem(m, key, ksz, s->ubuf, s->ncpus * vsz, 0))
		return -errno;
	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; cpu < s->ncpus; cpu++)
		tf_add(sum, (const struct tf_counts *)((char *)s->ubuf + cpu * vsz + off));
	return 0;
}

int tf_sensor_proc(struct tf_sensor *s, uint32_t tgid, struct tf_counts *sum)
{
	return tf_sum_percpu(s, s->skel->maps.tf_procs, &tgid, sizeof(tgid),
			     sizeof(struct tf_proc_stat),
			     offsetof(struct tf_proc_stat, cum), sum);
}

int tf_sensor_cgroup(struct tf_sensor *s, uint64_t cgroup_id,
		     struct tf_counts *sum)
{
	return tf_sum_percpu(s, s->skel->maps.tf_cgroups, &cgroup_id,
			     sizeof(cgroup_id), sizeof(struct tf_counts), 0, sum);
}

int tf_sensor_stats(struct tf_sensor *s, struct tf_sensor_stat *sum)
{
	uint32_t zero = 0;
	int cpu;

	if (bpf_map__lookup_elem(s->skel->maps.tf_cpus, &zero, sizeof(zero),
				 s->cpubuf, s->ncpus * sizeof(*s->cpubuf), 0))
		return -errno;
	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		const struct tf_sensor_stat *v = &s->cpubuf[cpu].stat;

		sum->switches += v->switches;
		sum->proc_full += v->proc_full;
		sum->full_ns += v->full_ns;
		sum->ident_full += v->ident_full;
		sum->cgroup_full += v->cgroup_full;
		sum->exits += v->exits;
		sum->ring_full += v->ring_full;
		sum->tail_ns += v->tail_ns;
		sum->mark_fail += v->mark_fail;
		sum->counter_err += v->counter_err;
	}
	return 0;
}
