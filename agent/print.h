/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output of tfctl, in the manner of iproute2's json_print: each field is
 * printed once, through one call that serves both the human text (fmt) and
 * the JSON document (key, raw base units).
 */
#ifndef TF_PRINT_H
#define TF_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void print_begin(bool json);			/* to stdout */
void print_begin_to(FILE *out, bool json);
int print_end(void);		/* writes the JSON document; 0 or -errno */
void print_abort(void);		/* drops a half-built document */
bool print_is_json(void);

void print_obj_open(const char *key);
void print_obj_close(void);
void print_arr_open(const char *key);
void print_arr_close(void);

/* fmt is used for text output only; NULL prints nothing there. */
void print_str(const char *key, const char *fmt, const char *val);
void print_u64(const char *key, const char *fmt, uint64_t val);
void print_s64(const char *key, const char *fmt, int64_t val);
void print_bool(const char *key, const char *fmt, bool val);
/* Text only. */
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* TF_PRINT_H */
