// SPDX-License-Identifier: GPL-2.0
/*
 * tf_notify() against real AF_UNIX datagram sockets (a path and an
 * abstract name), as systemd receives them; tf_watchdog_usec() against the
 * environment systemd sets.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tf_test.h"
#include "notify.h"

struct rx {
	int fd;
	char dir[64];
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
};

/* A receiving socket like systemd's: SO_PASSCRED, so the sender is known. */
static int rx_open(struct rx *r, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return -1;
	setsockopt(r->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	if (abstract) {
		snprintf(r->name, sizeof(r->name), "@tf-notify-test-%d", getpid());
		memcpy(sa.sun_path, r->name, strlen(r->name));
		sa.sun_path[0] = '\0';
		len = offsetof(struct sockaddr_un, sun_path) + strlen(r->name);
	} else {
		snprintf(r->dir, sizeof(r->dir), "/tmp/tf-notify.XXXXXX");
		if (!mkdtemp(r->dir))
			return -1;
		snprintf(r->name, sizeof(r->name), "%s/notify", r->dir);
		strcpy(sa.sun_path, r->name);
		len = sizeof(sa);
	}
	if (bind(r->fd, (struct sockaddr *)&sa, len))
		return -1;
	setenv("NOTIFY_SOCKET", r->name, 1);
	return 0;
}

static void rx_close(struct rx *r)
{
	close(r->fd);
	if (r->dir[0]) {
		unlink(r->name);
		rmdir(r->dir);
	}
	unsetenv("NOTIFY_SOCKET");
}

/* The next datagram, NUL-terminated; its sender's pid in *pid. */
static ssize_t rx_recv(struct rx *r, char *buf, size_t sz, pid_t *pid)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} c;
	struct iovec iov = { .iov_base = buf, .iov_len = sz - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = &c, .msg_controllen = sizeof(c) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(r->fd, &mh, MSG_DONTWAIT);

	if (n < 0)
		return n;
	buf[n] = '\0';
	*pid = 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
			*pid = ((struct ucred *)CMSG_DATA(cm))->pid;
	return n;
}

static void roundtrip(bool abstract)
{
	char buf[512];
	struct rx r;
	pid_t pid;

	assert_int_equal(rx_open(&r, abstract), 0);
	assert_int_equal(tf_notify("READY=1"), 1);
	assert_int_equal(rx_recv(&r, buf, sizeof(buf), &pid), 7);
	assert_string_equal(buf, "READY=1");
	assert_int_equal(pid, getpid());	/* NotifyAccess=main */
	assert_true(tf_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu", 1234567ULL) > 0);
	assert_true(rx_recv(&r, buf, sizeof(buf), &pid) > 0);
	assert_string_equal(buf, "RELOADING=1\nMONOTONIC_USEC=1234567");
	assert_int_equal(tf_notify("WATCHDOG=1"), 1);
	assert_int_equal(tf_notify("STATUS=ticking, 2000 processes"), 1);
	assert_int_equal(tf_notify("STOPPING=1"), 1);
	assert_true(rx_recv(&r, buf, sizeof(buf), &pid) > 0);
	assert_string_equal(buf, "WATCHDOG=1");
	assert_true(rx_recv(&r, buf, sizeof(buf), &pid) > 0);
	assert_string_equal(buf, "STATUS=ticking, 2000 processes");
	assert_true(rx_recv(&r, buf, sizeof(buf), &pid) > 0);
	assert_string_equal(buf, "STOPPING=1");
	/* nothing more was sent */
	assert_true(rx_recv(&r, buf, sizeof(buf), &pid) < 0);
	rx_close(&r);
}

static void test_path(void **state)
{
	(void)state;
	roundtrip(false);
}

static void test_abstract(void **state)
{
	(void)state;
	roundtrip(true);
}

static void test_no_manager(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(tf_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(tf_notify("READY=1"), 0);
	unsetenv("NOTIFY_SOCKET");
}

static void test_bad_socket(void **state)
{
	char longname[200];

	(void)state;
	setenv("NOTIFY_SOCKET", "run/systemd/notify", 1);	/* relative */
	assert_int_equal(tf_notify("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "@", 1);			/* no name */
	assert_int_equal(tf_notify("READY=1"), -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);			/* too long */
	assert_int_equal(tf_notify("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "/nonexistent/tf-notify", 1);	/* nobody there */
	assert_int_equal(tf_notify("READY=1"), -ENOENT);
	setenv("NOTIFY_SOCKET", "@tf-notify-nobody-listens", 1);
	assert_int_equal(tf_notify("READY=1"), -ECONNREFUSED);
	unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog(void **state)
{
	char pid[32];
	uint64_t usec = 7;

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(tf_watchdog_usec(&usec), 0);
	assert_int_equal(usec, 7);
	setenv("WATCHDOG_USEC", "10000000", 1);
	assert_int_equal(tf_watchdog_usec(&usec), 1);
	assert_int_equal(usec, 10000000);
	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("WATCHDOG_PID", pid, 1);
	usec = 0;
	assert_int_equal(tf_watchdog_usec(&usec), 1);
	assert_int_equal(usec, 10000000);
	/* meant for another process */
	snprintf(pid, sizeof(pid), "%d", getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(tf_watchdog_usec(&usec), 0);
	setenv("WATCHDOG_PID", "12ab", 1);
	assert_int_equal(tf_watchdog_usec(&usec), -EINVAL);
	setenv("WATCHDOG_PID", "0", 1);
	assert_int_equal(tf_watchdog_usec(&usec), -EINVAL);
	unsetenv("WATCHDOG_PID");
	/* malformed intervals */
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(tf_watchdog_usec(&usec), -EINVAL);
	setenv("WATCHDOG_USEC", "", 1);
	assert_int_equal(tf_watchdog_usec(&usec), -EINVAL);
	setenv("WATCHDOG_USEC", "-5", 1);
	assert_int_equal(tf_watchdog_usec(&usec), -EINVAL);
	setenv("WATCHDOG_USEC", " 5", 1);
	assert_int_equal(tf_watchdog_usec(&usec), -EINVAL);
	setenv("WATCHDOG_USEC", "5s", 1);
	assert_int_equal(tf_watchdog_usec(&usec), -EINVAL);
	setenv("WATCHDOG_USEC", "99999999999999999999999", 1);
	assert_int_equal(tf_watchdog_usec(&usec), -EINVAL);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_abstract),
		cmocka_unit_test(test_no_manager),
		cmocka_unit_test(test_bad_socket),
		cmocka_unit_test(test_watchdog),
	};

	return TF_RUN_TESTS("notify", tests);
}
