/* SPDX-License-Identifier: GPL-2.0 */
/* Common to the cmocka tests: includes, and T=name filtering from make. */
#ifndef TF_TEST_H
#define TF_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

/* tests/run.sh passes make's T=name as a glob in TF_TEST_FILTER. */
static inline void tf_test_filter(void)
{
	const char *f = getenv("TF_TEST_FILTER");

	if (f && *f)
		cmocka_set_test_filter(f);
}

#define TF_RUN_TESTS(name, tests) \
	(tf_test_filter(), cmocka_run_group_tests_name(name, tests, NULL, NULL))

#endif /* TF_TEST_H */
