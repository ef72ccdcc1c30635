// SPDX-License-Identifier: GPL-2.0
/* tfctl's output helper: one call per field serves text and JSON. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "tf_test.h"

#include "print.h"

static void emit(void)
{
	print_str("version", "v=%s", "0.1.0");
	print_u64("uptime_ns", " up=%" PRIu64, 1500000000ULL);
	print_arr_open("meters");
	print_obj_open(NULL);
	print_str("name", " [%s", "package-0");
	print_bool("estimated", " est", true);
	print_bool("other", " other", false);
	print_text("]");
	print_obj_close();
	print_arr_close();
}

static char *capture(bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print_begin_to(f, json);
	emit();
	assert_int_equal(print_end(), 0);
	fclose(f);
	return buf;
}

static void test_json(void **state)
{
	char *out = capture(true);

	(void)state;
	assert_string_equal(out,
		"{\"version\":\"0.1.0\",\"uptime_ns\":1500000000,"
		"\"meters\":[{\"name\":\"package-0\",\"estimated\":true,\"other\":false}]}\n");
	free(out);
}

static void test_text(void **state)
{
	char *out = capture(false);

	(void)state;
	assert_string_equal(out, "v=0.1.0 up=1500000000 [package-0 est]");
	free(out);
}

/* An unnamed object inside an object merges into it (events in monitor). */
static void test_inline_object(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	print_begin_to(f, true);
	print_str("event", NULL, "group");
	print_obj_open(NULL);
	print_str("name", NULL, "batch");
	print_obj_close();
	assert_int_equal(print_end(), 0);
	fclose(f);
	assert_string_equal(buf, "{\"event\":\"group\",\"name\":\"batch\"}\n");
	free(buf);
}

static void test_abort_frees(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	print_begin_to(f, true);
	emit();
	print_abort();		/* nothing written; ASan/valgrind see no leak */
	fclose(f);
	assert_int_equal(len, 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_inline_object),
		cmocka_unit_test(test_abort_frees),
	};

	return TF_RUN_TESTS("print", tests);
}
