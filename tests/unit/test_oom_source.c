// SPDX-License-Identifier: GPL-2.0
/*
 * The live sources (agent/source.c) with each allocation failing in turn
 * (tests/unit/oom.h, failalloc.c):
 *  - tf_sources_start() and tf_sources_stop() of an MQTT (nothing listens:
 *    no broker is needed to set one up), an HTTP, a CSV replay (a temporary
 *    file) and a module source (a NETLINK DOUBLE below: no module here);
 *  - a new value taken through the sources' own parse path
 *    (tf_sources_inject(): what mqtt_on_message() and the HTTP poll call,
 *    ingest()) for MQTT's JSON, HTTP's Electricity Maps shape and a CSV
 *    line;
 *  - an HTTP poll's response on the source's own thread (libcurl's
 *    transfer, the body buffer, the parse), from a server on a thread of
 *    this test that allocates nothing, with every thread's allocations
 *    counted (tf_fa_arm_all()).
 * A value that cannot be taken for want of memory must leave the last good
 * value and its TTL exactly as they were, count as a failure (not as a
 * malformed message) and say so, naming the source.
 *
 * Not failed here (docs/reliability.md): libmosquitto's own packet
 * handling on the MQTT thread (it needs a broker that answers), and the
 * HTTP request's half of a transfer (connect, request), made before the
 * test's server holds the response back and the count starts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tf_test.h"
#include "failalloc.h"
#include "oom.h"

#include "log.h"
#include "source.h"
#include "tf_nl.h"

/* ---- NETLINK DOUBLE: no module on the build host ---------------------------- */

int tf_nl_open(struct tf_nl **out)
{
	*out = NULL;
	return -ENOENT;
}

void tf_nl_close(struct tf_nl *nl)
{
	(void)nl;
}

const char *tf_nl_errmsg(const struct tf_nl *nl)
{
	(void)nl;
	return "";
}

int tf_nl_signal_get(struct tf_nl *nl, struct tf_signal_info *s)
{
	(void)nl;
	(void)s;
	return -ENOENT;
}

/* ---- the log ---------------------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_last[512];	/* the last line about the source under test */
static const char *log_want;	/* "source NAME:" */

static void sink(int level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	pthread_mutex_lock(&log_lock);
	if (log_want && strstr(line, log_want) && strcasestr(line, "out of memory"))
		snprintf(log_last, sizeof(log_last), "%s", line);
	pthread_mutex_unlock(&log_lock);
}

/* the line may follow the store's update a moment later (HTTP's thread) */
static bool logged_oom(void)
{
	bool hit = false;

	for (int i = 0; i < 1000 && !hit; i++) {
		pthread_mutex_lock(&log_lock);
		hit = log_last[0];
		log_last[0] = '\0';
		pthread_mutex_unlock(&log_lock);
		if (!hit)
			usleep(1000);
	}
	return hit;
}

static void log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	log_last[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

static struct tf_source_cfg base(const char *name, enum tf_source_kind kind)
{
	struct tf_source_cfg c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.kind = kind;
	c.ttl_ms = 600000;
	strcpy(c.host, "127.0.0.1");
	c.port = 1;			/* nothing listens */
	strcpy(c.topic, "site/surplus");
	c.keepalive_s = 5;
	c.reconnect_max_ms = 600000;
	strcpy(c.surplus_field, "surplus_w");
	strcpy(c.carbon_field, "carbon_g_kwh");
	strcpy(c.price_field, "price_mwh");
	strcpy(c.url, "http://127.0.0.1:1/");
	c.period_ms = 600000;		/* one fetch, at start */
	c.timeout_ms = 1000;
	c.value_low = 100;
	c.value_high = 500;
	c.surplus_max_uw = 1000000000ULL;
	c.accel = 1;
	c.start = 1;			/* the trace's rows far ahead: none */
	return c;
}

static char trace[] = "/tmp/tf-oom-src-XXXXXX";

static void trace_file(void)
{
	static const char rows[] = "# utc_s,surplus_w\n4000000000,1\n4000003600,2\n";
	int fd = mkstemp(trace);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, rows, strlen(rows)), (ssize_t)strlen(rows));
	close(fd);
}

/* ---- start and stop ---------------------------------------------------------- */

struct start_ctx {
	struct tf_source_cfg c[4];
	struct tf_sources *s;
};

static int start_op(void *arg)
{
	struct start_ctx *x = arg;

	return tf_sources_start(&x->s, x->c, 4, -1);
}

static void start_check(void *arg, int rc, unsigned long failed)
{
	struct start_ctx *x = arg;
	struct tf_source_status st[4];
	size_t i;

	if (rc) {
		/* not mistaken for a bad configuration or an unreadable trace */
		if (rc != -ENOMEM)
			fail_msg("start: %s with %lu allocation(s) failed",
				 strerror(-rc), failed);
		assert_null(x->s);
		return;
	}
	assert_int_equal(tf_sources_count(x->s), 4);
	assert_int_equal(tf_sources_status(x->s, st, 4), 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(st[i].name, x->c[i].name);
		assert_false(st[i].have);
	}
}

static void start_teardown(void *arg)
{
	struct start_ctx *x = arg;

	tf_sources_stop(x->s);
	x->s = NULL;
}

static void stop_setup(void *arg)
{
	struct start_ctx *x = arg;

	assert_int_equal(tf_sources_start(&x->s, x->c, 4, -1), 0);
}

static int stop_op(void *arg)
{
	struct start_ctx *x = arg;

	tf_sources_stop(x->s);
	x->s = NULL;
	return 0;
}

static void stop_check(void *arg, int rc, unsigned long failed)
{
	(void)arg;
	(void)failed;
	assert_int_equal(rc, 0);	/* joined and freed: valgrind says */
}

static void test_start_stop(void **state)
{
	struct start_ctx x = { 0 };
	struct oom_case start = {
		"sources start", &x, NULL, start_op, start_check, start_teardown,
	};
	struct oom_case stop = {
		"sources stop", &x, stop_setup, stop_op, stop_check, NULL,
	};

	(void)state;
	x.c[0] = base("site", TF_SRC_MQTT);
	strcpy(x.c[0].username, "agent");
	strcpy(x.c[0].password, "secret");
	x.c[1] = base("wt", TF_SRC_HTTP);
	x.c[1].shape = TF_HTTP_WATTTIME;
	strcpy(x.c[1].header, "Authorization: Bearer t0k3n");
	x.c[2] = base("trace", TF_SRC_CSV);
	snprintf(x.c[2].path, sizeof(x.c[2].path), "%s", trace);
	x.c[3] = base("kmod", TF_SRC_MODULE);
	oom_run(&start);
	/* stop allocates nothing: it never fails to join and free */
	oom_run_none(&stop);
}

/* ---- a new value -------------------------------------------------------------- */

struct val_ctx {
	struct tf_source_cfg c;
	struct tf_sources *s;
	const char *last;		/* the last good value's payload */
	const char *next;		/* the new one's */
	struct tf_sigval v0, ref;	/* last's and next's, as stored */
	struct tf_source_status st0;	/* before the run */
	struct tf_sigval cur0;		/* tf_sources_current at t */
	uint64_t t;
	char want[64];
};

static struct tf_source_status status(const struct val_ctx *x)
{
	struct tf_source_status st;

	assert_int_equal(tf_sources_status(x->s, &st, 1), 1);
	return st;
}

static void val_setup(void *arg)
{
	struct val_ctx *x = arg;

	/* the last good value, taken with memory */
	assert_int_equal(tf_sources_inject(x->s, 0, x->last, strlen(x->last)), 0);
	x->st0 = status(x);
	assert_memory_equal(&x->st0.last, &x->v0, sizeof(x->v0));
	/* one moment, after the run too: the time it stays fresh then */
	x->t = tf_sources_now_ms() + 50;
	assert_true(tf_sources_current(x->s, x->t, &x->cur0));
	log_clear();
}

static int val_op(void *arg)
{
	struct val_ctx *x = arg;

	return tf_sources_inject(x->s, 0, x->next, strlen(x->next));
}

static void val_check(void *arg, int rc, unsigned long failed)
{
	struct val_ctx *x = arg;
	struct tf_source_status st = status(x);
	struct tf_sigval cur;

	if (rc) {
		assert_int_equal(rc, -1);
		assert_true(failed > 0);
		/* the last good value, and the time it stays fresh, exactly */
		assert_memory_equal(&st.last, &x->v0, sizeof(x->v0));
		assert_true(tf_sources_current(x->s, x->t, &cur));
		assert_memory_equal(&cur, &x->cur0, sizeof(cur));
		assert_int_equal(st.accepted, x->st0.accepted);
		/* a failure, not a malformed message */
		assert_int_equal(st.rejected, x->st0.rejected);
		assert_int_equal(st.failures, x->st0.failures + 1);
		if (!strcasestr(st.last_err, "out of memory"))
			fail_msg("%s: last error \"%s\"", x->c.name, st.last_err);
		/* and said, naming the source */
		assert_true(logged_oom());
		return;
	}
	assert_memory_equal(&st.last, &x->ref, sizeof(x->ref));
	assert_int_equal(st.accepted, x->st0.accepted + 1);
	assert_int_equal(st.rejected, x->st0.rejected);
	assert_int_equal(st.failures, x->st0.failures);
	assert_true(tf_sources_current(x->s, tf_sources_now_ms(), &cur));
	assert_int_equal(cur.surplus_uw, x->ref.surplus_uw);
}

static void val_case(const char *name, struct tf_source_cfg c,
		     const char *last, const char *next)
{
	struct val_ctx *x = calloc(1, sizeof(*x));
	struct oom_case oc = { name, x, val_setup, val_op, val_check, NULL };

	assert_non_null(x);
	x->c = c;
	x->last = last;
	x->next = next;
	assert_int_equal(tf_sources_start(&x->s, &x->c, 1, -1), 0);
	/* the HTTP source's one fetch (nothing listens) is behind us */
	for (int i = 0; c.kind == TF_SRC_HTTP && i < 500 && !status(x).failures; i++)
		usleep(10000);
	assert_int_equal(tf_sources_inject(x->s, 0, next, strlen(next)), 0);
	x->ref = status(x).last;
	assert_int_equal(tf_sources_inject(x->s, 0, last, strlen(last)), 0);
	x->v0 = status(x).last;
	assert_true(x->ref.surplus_uw != x->v0.surplus_uw);
	snprintf(x->want, sizeof(x->want), "source %s:", c.name);
	log_want = x->want;
	if (c.kind == TF_SRC_CSV)
		oom_run_none(&oc);	/* a CSV line is parsed in place */
	else
		oom_run(&oc);
	log_want = NULL;
	tf_sources_stop(x->s);
	free(x);
}

/* ---- an HTTP poll's response, on the source's thread ---------------------------- */

/*
 * The server: answers one request per connection, when told to. Sockets,
 * a mutex and a condition variable: nothing here allocates.
 */
static struct {
	int lfd, port;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool got, go, quit;
	const char *body;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *srv_main(void *arg)
{
	char req[4096], head[256];
	struct pollfd p;
	size_t n;
	ssize_t r;
	int fd;

	(void)arg;
	for (;;) {
		p = (struct pollfd){ .fd = srv.lfd, .events = POLLIN };
		pthread_mutex_lock(&srv.lock);
		if (srv.quit) {
			pthread_mutex_unlock(&srv.lock);
			return NULL;
		}
		pthread_mutex_unlock(&srv.lock);
		if (poll(&p, 1, 50) != 1)
			continue;
		fd = accept(srv.lfd, NULL, NULL);
		if (fd < 0)
			continue;
		for (n = 0; n < sizeof(req) - 1; n += (size_t)r) {
			r = read(fd, req + n, sizeof(req) - 1 - n);
			if (r <= 0)
				break;
			req[n + (size_t)r] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		pthread_mutex_lock(&srv.lock);
		srv.got = true;
		pthread_cond_broadcast(&srv.cond);
		while (!srv.go && !srv.quit)
			pthread_cond_wait(&srv.cond, &srv.lock);
		srv.go = false;
		srv.got = false;
		pthread_mutex_unlock(&srv.lock);
		snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 strlen(srv.body));
		/* a client that gave up: so be it */
		if (write(fd, head, strlen(head)) > 0 &&
		    write(fd, srv.body, strlen(srv.body)) < 0)
			p.revents = 0;
		close(fd);
	}
}

static void srv_start(const char *body)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	srv.body = body;
	srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(srv.lfd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(srv.lfd, 8), 0);
	assert_int_equal(getsockname(srv.lfd, (struct sockaddr *)&a, &len), 0);
	srv.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&srv.th, NULL, srv_main, NULL), 0);
}

static void srv_stop(void)
{
	pthread_mutex_lock(&srv.lock);
	srv.quit = true;
	pthread_cond_broadcast(&srv.cond);
	pthread_mutex_unlock(&srv.lock);
	pthread_join(srv.th, NULL);
	close(srv.lfd);
}

static void fetch_setup(void *arg)
{
	struct val_ctx *x = arg;

	assert_int_equal(tf_sources_start(&x->s, &x->c, 1, -1), 0);
	/* the request is in: the server holds the response back */
	pthread_mutex_lock(&srv.lock);
	while (!srv.got)
		pthread_cond_wait(&srv.cond, &srv.lock);
	pthread_mutex_unlock(&srv.lock);
	val_setup(x);
}

/* the response, now, and the source's thread takes it (or fails to) */
static int fetch_op(void *arg)
{
	struct val_ctx *x = arg;
	struct tf_source_status st;
	int i;

	pthread_mutex_lock(&srv.lock);
	srv.go = true;
	pthread_cond_broadcast(&srv.cond);
	pthread_mutex_unlock(&srv.lock);
	for (i = 0; i < 20000; i++) {
		st = status(x);
		if (st.accepted != x->st0.accepted)
			return 0;
		if (st.failures != x->st0.failures || st.rejected != x->st0.rejected)
			return -1;
		usleep(500);
	}
	fail_msg("the HTTP source took no response in 10 s");
	return -1;
}

static void fetch_teardown(void *arg)
{
	struct val_ctx *x = arg;

	tf_sources_stop(x->s);
	x->s = NULL;
}

static void fetch_case(void)
{
	static const char next[] =
		"{\"zone\":\"DE\",\"history\":["
		"{\"carbonIntensity\":310,\"datetime\":\"2024-05-01T10:00:00.000Z\"},"
		"{\"carbonIntensity\":150,\"datetime\":\"2024-05-01T11:00:00.000Z\"}]}";
	static const char last[] =
		"{\"zone\":\"DE\",\"carbonIntensity\":300,"
		"\"datetime\":\"2024-05-01T12:00:00.000Z\"}";
	struct val_ctx *x = calloc(1, sizeof(*x));
	struct oom_case oc = {
		"http fetch", x, fetch_setup, fetch_op, val_check, fetch_teardown,
	};

	assert_non_null(x);
	srv_start(next);
	x->c = base("wt", TF_SRC_HTTP);
	x->c.shape = TF_HTTP_EMAPS;
	snprintf(x->c.url, sizeof(x->c.url), "http://127.0.0.1:%d/", srv.port);
	x->c.timeout_ms = 10000;
	x->last = last;
	x->next = next;
	/* the values as stored, from a source that fetches nothing */
	{
		struct tf_source_cfg c = base("wt", TF_SRC_HTTP);
		struct tf_sources *s;
		struct tf_source_status st;

		c.shape = TF_HTTP_EMAPS;
		assert_int_equal(tf_sources_start(&s, &c, 1, -1), 0);
		assert_int_equal(tf_sources_inject(s, 0, next, strlen(next)), 0);
		tf_sources_status(s, &st, 1);
		x->ref = st.last;
		assert_int_equal(tf_sources_inject(s, 0, last, strlen(last)), 0);
		tf_sources_status(s, &st, 1);
		x->v0 = st.last;
		tf_sources_stop(s);
	}
	snprintf(x->want, sizeof(x->want), "source %s:", x->c.name);
	log_want = x->want;
	oom_threads = true;
	oom_run(&oc);
	oom_threads = false;
	log_want = NULL;
	srv_stop();
	free(x);
}

static void test_values(void **state)
{
	struct tf_source_cfg c;
	int mute;

	(void)state;
	/* json-c 0.16's own two bugs, as in test_oom.c's test_sigparse */
	tf_fa_exempt("json_tokener_parse_ex", "strdup");
	tf_fa_exempt("json_object_object_add_ex", "strdup");

	/*
	 * MQTT's messages. Its thread connects to a socket that listens and
	 * never answers: it waits for the CONNACK, and adds no failures of
	 * its own meanwhile.
	 */
	{
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t len = sizeof(a);

		mute = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(mute >= 0);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(mute, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(mute, 4), 0);
		assert_int_equal(getsockname(mute, (struct sockaddr *)&a, &len), 0);
		c = base("site", TF_SRC_MQTT);
		c.port = ntohs(a.sin_port);
		c.keepalive_s = 3600;
	}
	val_case("mqtt message", c,
		 "{\"surplus_w\": 300, \"carbon_g_kwh\": 50}",
		 "{\"surplus_w\": 1250.5, \"carbon_g_kwh\": 210, \"price_mwh\": -12.5,"
		 " \"region\": \"CAISO\", \"extra\": [1, 2, 3]}");
	close(mute);

	c = base("wt", TF_SRC_HTTP);
	c.shape = TF_HTTP_EMAPS;
	val_case("http emaps", c,
		 "{\"zone\":\"DE\",\"carbonIntensity\":300,"
		 "\"datetime\":\"2024-05-01T12:00:00.000Z\"}",
		 "{\"zone\":\"DE\",\"history\":["
		 "{\"carbonIntensity\":310,\"datetime\":\"2024-05-01T10:00:00.000Z\"},"
		 "{\"carbonIntensity\":150,\"datetime\":\"2024-05-01T11:00:00.000Z\"}]}");

	c = base("trace", TF_SRC_CSV);
	snprintf(c.path, sizeof(c.path), "%s", trace);
	val_case("csv line", c, "1714564800,20\n", "1714568400,250.5\n");

	fetch_case();
}

static int group_setup(void **state)
{
	(void)state;
	tf_log_set_sink(sink, NULL);
	/* libcurl's global state (OpenSSL's) is the process's, made once */
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -1;
	trace_file();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(trace);
	curl_global_cleanup();
	tf_log_set_sink(NULL, NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_values),
	};

	return tf_test_filter(), cmocka_run_group_tests_name("oom_source", tests,
							     group_setup, group_teardown);
}
