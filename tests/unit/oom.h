/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver of the allocation-failure tests (test_oom*.c): a unit's run
 * with every allocation failing in turn (failalloc.h), once and with the
 * heap staying exhausted from there on, each run checked by the case.
 * Static functions: each test binary includes it once.
 */
#ifndef TF_OOM_H
#define TF_OOM_H

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tf_test.h"
#include "failalloc.h"

struct oom_case {
	const char *name;
	void *ctx;
	void (*setup)(void *ctx);			/* optional, every run */
	int (*op)(void *ctx);
	/* failed: how many allocations failed in this run */
	void (*check)(void *ctx, int rc, unsigned long failed);
	void (*teardown)(void *ctx);			/* optional, every run */
};

/* true: op's work runs on other threads, every thread's allocations count
 * (tf_fa_arm_all); set around oom_run() */
static bool oom_threads;

static int oom_one(const struct oom_case *c, unsigned long n, bool sticky,
		   unsigned long *count)
{
	unsigned long failed, k;
	int rc;

	if (getenv("TF_OOM_VERBOSE"))	/* which run an assertion is about */
		print_message("%s: allocation %lu fails%s\n", c->name, n,
			      sticky ? " and every later one" : "");
	if (c->setup)
		c->setup(c->ctx);
	if (oom_threads)
		tf_fa_arm_all(n, sticky);
	else
		tf_fa_arm(n, sticky);
	rc = c->op(c->ctx);
	k = tf_fa_disarm();
	failed = tf_fa_failed();
	if (count)
		*count = k;
	c->check(c->ctx, rc, failed);
	if (c->teardown)
		c->teardown(c->ctx);
	return rc;
}

/*
 * Runs c with each allocation failing in turn; returns K. A first run warms
 * up what libc does once (time zones, stdio), so that K is the steady count.
 */
static unsigned long oom_run(const struct oom_case *c)
{
	unsigned long k = 0, n, errors = 0;

	oom_one(c, 0, false, NULL);
	oom_one(c, 0, false, &k);
	if (!k)
		fail_msg("%s: no allocation seen: the interposer is not linked in",
			 c->name);
	for (n = 1; n <= k; n++) {
		errors += oom_one(c, n, false, NULL) < 0;
		oom_one(c, n, true, NULL);
	}
	/* and the unit still works with memory again */
	assert_int_equal(oom_one(c, 0, false, NULL) < 0, 0);
	print_message("%s: %lu allocations, each failed in turn (%lu errors)\n",
		      c->name, k, errors);
	return k;
}

/*
 * A unit that must allocate nothing (a restore on the way out, say): one
 * run on a heap exhausted from the first allocation, which must count none
 * and still pass c's check.
 */
static __attribute__((unused)) void oom_run_none(const struct oom_case *c)
{
	unsigned long k = 1;

	oom_one(c, 1, true, &k);
	if (k)
		fail_msg("%s: %lu allocation(s), where none may be", c->name, k);
	print_message("%s: no allocation; works on an exhausted heap\n", c->name);
}

/*
 * A test's file tree under top (a sysfs, a cgroup tree), with plain
 * open/read/write: stdio would allocate, and so fail under injection.
 */
static inline void oom_put(const char *top, const char *rel, const char *s)
{
	char path[PATH_MAX];
	int fd;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", top, rel) <
		    sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

/* the file's text in buf, "" when missing, trailing newline dropped */
static inline const char *oom_get(const char *top, const char *rel, char *buf,
				  size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", top, rel) <
		    sizeof(path));
	buf[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

static inline void oom_mkd(const char *top, const char *rel)
{
	char path[PATH_MAX];

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", top, rel) <
		    sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
}

static inline int oom_rm_one(const char *p, const struct stat *sb, int flag,
			     struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static inline void oom_rm_tree(const char *top)
{
	assert_int_equal(nftw(top, oom_rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

#endif /* TF_OOM_H */
