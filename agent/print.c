// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <json-c/json.h>

#include "print.h"

#define PRINT_DEPTH 16

static bool pr_json;
static FILE *pr_out;
static json_object *pr_stack[PRINT_DEPTH];
static int pr_top = -1;

bool print_is_json(void)
{
	return pr_json;
}

void print_begin_to(FILE *out, bool json)
{
	pr_out = out;
	pr_json = json;
	pr_top = -1;
	if (json)
		pr_stack[++pr_top] = json_object_new_object();
}

void print_begin(bool json)
{
	print_begin_to(stdout, json);
}

int print_end(void)
{
	int err = 0;

	if (!pr_json)
		return fflush(pr_out) ? -errno : 0;
	if (pr_top >= 0) {
		if (fprintf(pr_out, "%s\n",
			    json_object_to_json_string_ext(pr_stack[0],
							   JSON_C_TO_STRING_PLAIN)) < 0)
			err = -errno;
		json_object_put(pr_stack[0]);
	}
	pr_top = -1;
	if (fflush(pr_out))
		err = -errno;
	return err;
}

void print_abort(void)
{
	if (pr_json && pr_top >= 0)
		json_object_put(pr_stack[0]);
	pr_top = -1;
}

/* Attaches a value to the current object (under key) or array. */
static void pr_add(const char *key, json_object *v)
{
	json_object *top;

	if (pr_top < 0 || !v) {
		json_object_put(v);
		return;
	}
	top = pr_stack[pr_top];
	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, v);
	else
		json_object_object_add(top, key, v);
}

static void pr_push(const char *key, bool array)
{
	json_object *v;

	if (!pr_json || pr_top + 1 >= PRINT_DEPTH)
		return;
	/* an unnamed object inside an object: its fields join the outer one */
	if (!key && !array && pr_top >= 0 &&
	    json_object_is_type(pr_stack[pr_top], json_type_object)) {
		pr_stack[pr_top + 1] = pr_stack[pr_top];
		pr_top++;
		return;
	}
	v = array ? json_object_new_array() : json_object_new_object();
	pr_add(key, json_object_get(v));
	pr_stack[++pr_top] = v;
	json_object_put(v);
}

void print_obj_open(const char *key)
{
	pr_push(key, false);
}

void print_arr_open(const char *key)
{
	pr_push(key, true);
}

void print_obj_close(void)
{
	if (pr_json && pr_top > 0)
		pr_top--;
}

void print_arr_close(void)
{
	print_obj_close();
}

void print_str(const char *key, const char *fmt, const char *val)
{
	if (pr_json)
		pr_add(key, json_object_new_string(val));
	else if (fmt)
		fprintf(pr_out, fmt, val);
}

void print_u64(const char *key, const char *fmt, uint64_t val)
{
	if (pr_json)
		pr_add(key, json_object_new_uint64(val));
	else if (fmt)
		fprintf(pr_out, fmt, val);
}

void print_s64(const char *key, const char *fmt, int64_t val)
{
	if (pr_json)
		pr_add(key, json_object_new_int64(val));
	else if (fmt)
		fprintf(pr_out, fmt, val);
}

void print_bool(const char *key, const char *fmt, bool val)
{
	if (pr_json)
		pr_add(key, json_object_new_boolean(val));
	else if (fmt && val)
		fputs(fmt, pr_out);
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (pr_json)
		return;
	va_start(ap, fmt);
	vfprintf(pr_out, fmt, ap);
	va_end(ap);
}
