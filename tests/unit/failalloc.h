/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation-failure injection for the unit tests. failalloc.c interposes
 * malloc, calloc and realloc for the whole test binary (the agent's code,
 * libc's own allocations inside fopen, getline, opendir, open_memstream,
 * strdup, and libraries such as json-c, inih and libcurl), counting the
 * calls made on the arming thread and failing the chosen one with ENOMEM.
 * Under valgrind the real allocator is valgrind's, so leaks on the error
 * paths are reported as usual.
 */
#ifndef TF_FAILALLOC_H
#define TF_FAILALLOC_H

#include <stdbool.h>

/*
 * Starts counting this thread's allocations. fail_at = n > 0 fails the
 * n-th (1-based); sticky fails every one from the n-th on (the heap stays
 * exhausted). fail_at = 0 only counts.
 */
void tf_fa_arm(unsigned long fail_at, bool sticky);
/*
 * The same over every thread of the process, counted together: for a unit
 * whose work runs on a thread of its own (a source's). Deterministic only
 * while no other thread allocates; the test sees to it.
 */
void tf_fa_arm_all(unsigned long fail_at, bool sticky);
/* Stops; returns how many allocations were attempted since tf_fa_arm(). */
unsigned long tf_fa_disarm(void);
/* How many allocations were failed since the last tf_fa_arm(). */
unsigned long tf_fa_failed(void);
/*
 * Allocations made by callee (a name it contains: "strdup" is __strdup too)
 * called directly from the exported function caller are counted but never
 * failed: for a library's own bug that no caller can work around
 * (docs/reliability.md says which). At most 4.
 */
void tf_fa_exempt(const char *caller, const char *callee);

#endif /* TF_FAILALLOC_H */
