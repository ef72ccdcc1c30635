// SPDX-License-Identifier: GPL-2.0
/*
 * The interposer behind failalloc.h. A malloc defined in the executable
 * takes precedence over libc's for every caller, libc's own internal calls
 * included (glibc supports replacing malloc this way); each call goes on to
 * libc's malloc found with dlsym(RTLD_NEXT), which valgrind redirects to its
 * own. dlsym may allocate while we are resolving: those few calls are served
 * from a static arena that free() recognises and ignores.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "failalloc.h"

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

static _Alignas(16) char arena[4096];
static size_t arena_used;
static int resolving;

/* per thread: a library's own threads (MHD, the resolver) are not counted */
static __thread bool armed, sticky_fail;
static __thread unsigned long calls, fail_at, failed;
/* tf_fa_arm_all(): every thread's, counted together */
static atomic_bool all_armed;
static atomic_ulong all_calls, all_failed;
static unsigned long all_fail_at;
static bool all_sticky, last_all;

static void *arena_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (n > sizeof(arena) - arena_used)
		return NULL;
	p = arena + arena_used;
	arena_used += n;
	return p;
}

static bool in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof(arena);
}

static void resolve(void)
{
	if (real_free || resolving)
		return;
	resolving = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	resolving = 0;
}

static struct {
	const char *caller, *callee;
} exempt[4];
static unsigned int nexempt;
static __thread bool walking;

static const char *fa_sym(void *pc)
{
	Dl_info di;

	return dladdr(pc, &di) && di.dli_sname ? di.dli_sname : "";
}

/* an exempt call on the stack (backtrace() needs no allocation now) */
static bool fa_exempt(void)
{
	void *pc[64];
	bool hit = false;
	int n, i;
	unsigned int k;

	if (!nexempt || walking)
		return false;
	walking = true;
	n = backtrace(pc, 64);
	for (i = 1; i + 1 < n && !hit; i++)
		for (k = 0; k < nexempt; k++)
			if (strstr(fa_sym(pc[i]), exempt[k].callee) &&
			    !strcmp(fa_sym(pc[i + 1]), exempt[k].caller))
				hit = true;
	walking = false;
	return hit;
}

/* true: this call fails */
static bool fa_fail(void)
{
	if (atomic_load(&all_armed) && !walking) {
		unsigned long n = atomic_fetch_add(&all_calls, 1) + 1;

		if (n < all_fail_at || (n > all_fail_at && !all_sticky))
			return false;
		if (fa_exempt())
			return false;
		atomic_fetch_add(&all_failed, 1);
		errno = ENOMEM;
		return true;
	}
	if (!armed)
		return false;
	calls++;
	if (!fail_at || calls < fail_at || (calls > fail_at && !sticky_fail))
		return false;
	if (fa_exempt())
		return false;
	failed++;
	errno = ENOMEM;
	return true;
}

void tf_fa_exempt(const char *caller, const char *callee)
{
	if (nexempt < sizeof(exempt) / sizeof(exempt[0])) {
		exempt[nexempt].caller = caller;
		exempt[nexempt++].callee = callee;
	}
}

void tf_fa_arm(unsigned long n, bool sticky)
{
	void *pc[4];

	resolve();
	/* its first call loads libgcc_s: not while armed */
	backtrace(pc, 4);
	calls = 0;
	failed = 0;
	fail_at = n;
	sticky_fail = sticky;
	last_all = false;
	armed = true;
}

void tf_fa_arm_all(unsigned long n, bool sticky)
{
	void *pc[4];

	resolve();
	backtrace(pc, 4);
	atomic_store(&all_calls, 0);
	atomic_store(&all_failed, 0);
	all_fail_at = n ? n : (unsigned long)-1;
	all_sticky = sticky;
	last_all = true;
	atomic_store(&all_armed, true);
}

unsigned long tf_fa_disarm(void)
{
	if (last_all) {
		atomic_store(&all_armed, false);
		return atomic_load(&all_calls);
	}
	armed = false;
	return calls;
}

unsigned long tf_fa_failed(void)
{
	return last_all ? atomic_load(&all_failed) : failed;
}

void *malloc(size_t n)
{
	resolve();
	if (!real_malloc)
		return arena_alloc(n);
	if (fa_fail())
		return NULL;
	return real_malloc(n);
}

void *calloc(size_t n, size_t sz)
{
	void *p;

	resolve();
	if (!real_calloc) {
		if (sz && n > SIZE_MAX / sz)
			return NULL;
		p = arena_alloc(n * sz);	/* static: already zero */
		return p;
	}
	if (fa_fail())
		return NULL;
	return real_calloc(n, sz);
}

void *realloc(void *old, size_t n)
{
	resolve();
	if (in_arena(old) || !real_realloc)
		return NULL;	/* not reached: the arena serves dlsym only */
	if (fa_fail())
		return NULL;
	return real_realloc(old, n);
}

void free(void *p)
{
	if (!p || in_arena(p))
		return;
	resolve();
	if (real_free)
		real_free(p);
}
