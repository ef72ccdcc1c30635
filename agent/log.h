/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's log: one line per event on stderr, with the sd-daemon(3)
 * level prefix ("<3>") so journald keeps the level. Shared by every part
 * of tokenfactoryd; tests may capture lines with tf_log_set_sink().
 */
#ifndef TF_LOG_H
#define TF_LOG_H

#include <stdarg.h>

enum {
	TF_LOG_ERR = 3,
	TF_LOG_WARNING = 4,
	TF_LOG_NOTICE = 5,
	TF_LOG_INFO = 6,
	TF_LOG_DEBUG = 7,
};

/* Lines above this level are dropped (default TF_LOG_INFO). */
void tf_log_set_level(int level);
int tf_log_level(void);
/* Lines go to sink instead of stderr (NULL: back to stderr). */
void tf_log_set_sink(void (*sink)(int level, const char *line, void *arg),
		     void *arg);

void tf_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tf_vlog(int level, const char *fmt, va_list ap);

#endif /* TF_LOG_H */
