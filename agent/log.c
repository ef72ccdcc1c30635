// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's log (log.h). Threads (the MQTT loop, the HTTP pollers) log
 * too: a line is formatted whole, then written with one call.
 */
#include <pthread.h>
#include <stdio.h>

#include "log.h"

static int tf_log_max = TF_LOG_INFO;
static void (*tf_log_sink)(int, const char *, void *);
static void *tf_log_sink_arg;
static pthread_mutex_t tf_log_lock = PTHREAD_MUTEX_INITIALIZER;

void tf_log_set_level(int level)
{
	tf_log_max = level;
}

int tf_log_level(void)
{
	return tf_log_max;
}

void tf_log_set_sink(void (*sink)(int, const char *, void *), void *arg)
{
	pthread_mutex_lock(&tf_log_lock);
	tf_log_sink = sink;
	tf_log_sink_arg = arg;
	pthread_mutex_unlock(&tf_log_lock);
}

void tf_vlog(int level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level > tf_log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	pthread_mutex_lock(&tf_log_lock);
	if (tf_log_sink)
		tf_log_sink(level, line, tf_log_sink_arg);
	else
		fprintf(stderr, "<%d>%s\n", level, line);
	pthread_mutex_unlock(&tf_log_lock);
}

void tf_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tf_vlog(level, fmt, ap);
	va_end(ap);
}
