// SPDX-License-Identifier: GPL-2.0
/* sd_notify(3) and sd_watchdog_enabled(3), the protocol only: notify.h */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

/* The most a message may be; the daemon's longest is a STATUS= line. */
#define TF_NOTIFY_MAX 4096

int tf_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct iovec iov = { .iov_base = (void *)state };
	struct msghdr mh = { .msg_name = &sa, .msg_iov = &iov, .msg_iovlen = 1 };
	size_t len;
	ssize_t n;
	int fd, err = 0;

	if (!name || !*name)
		return 0;
	if (!state)
		return -EINVAL;
	len = strlen(name);
	/* a path, or an abstract name spelled with '@' for its leading NUL */
	if ((name[0] != '/' && name[0] != '@') || len < 2 ||
	    len > sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	/* no NUL counted: a path may fill sun_path whole, as the kernel allows */
	mh.msg_namelen = offsetof(struct sockaddr_un, sun_path) + len;
	iov.iov_len = strlen(state);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != iov.iov_len)
		err = -EMSGSIZE;
	close(fd);
	return err ? err : 1;
}

int tf_notifyf(const char *fmt, ...)
{
	char buf[TF_NOTIFY_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	return tf_notify(buf);
}

/* A whole unsigned decimal number, no sign, no blanks; -EINVAL else. */
static int tf_parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int tf_watchdog_usec(uint64_t *usec)
{
	const char *s = getenv("WATCHDOG_USEC"), *p;
	unsigned long long u, pid;

	if (!s)
		return 0;
	if (tf_parse_u64(s, &u) || !u)
		return -EINVAL;
	p = getenv("WATCHDOG_PID");
	if (p) {
		if (tf_parse_u64(p, &pid) || !pid)
			return -EINVAL;
		/* set for another process (a parent that exec'ed us, say) */
		if (pid != (unsigned long long)getpid())
			return 0;
	}
	*usec = u;
	return 1;
}
