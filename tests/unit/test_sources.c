// SPDX-License-Identifier: GPL-2.0
/*
 * The live sources: the store (TTL, a bad message keeps the last good value,
 * the least surplus over fresh sources), CSV replay from a temporary file at
 * high acceleration, MQTT against a real mosquitto broker (started here,
 * stopped and restarted on the same port), and HTTP against a small server
 * on a thread of this test (500, garbage, a hanging and an oversized
 * response, then a good one). No broker installed is a failure, not a skip.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tf_test.h"
#include "log.h"
#include "source.h"

extern char **environ;

/* ---- helpers ------------------------------------------------------------- */

#define NLINES 512
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[NLINES][400];
static int log_levels[NLINES];
static unsigned int log_n;

static void sink(int level, const char *line, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&log_lock);
	snprintf(log_lines[log_n % NLINES], sizeof(log_lines[0]), "%s", line);
	log_levels[log_n % NLINES] = level;
	log_n++;
	pthread_mutex_unlock(&log_lock);
	if (getenv("TF_TEST_VERBOSE"))
		fprintf(stderr, "    log <%d>%s\n", level, line);
}

/* A logged line at level or more urgent holding both strings. */
static bool logged(int level, const char *a, const char *b)
{
	unsigned int i;
	bool hit = false;

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < NLINES && i < log_n && !hit; i++)
		hit = log_levels[i] <= level && strstr(log_lines[i], a) &&
		      (!b || strstr(log_lines[i], b));
	pthread_mutex_unlock(&log_lock);
	return hit;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static unsigned int count_logged(const char *a, const char *b)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < NLINES && i < log_n; i++)
		n += strstr(log_lines[i], a) && strstr(log_lines[i], b);
	pthread_mutex_unlock(&log_lock);
	return n;
}

static void wait_logged(int level, const char *what, unsigned int ms)
{
	unsigned int t;

	for (t = 0; !logged(level, what, NULL); t += 10) {
		if (t >= ms) {
			print_error("not logged: %s\n", what);
			fail();
		}
		sleep_ms(10);
	}
}

static int setup(void **state)
{
	(void)state;
	pthread_mutex_lock(&log_lock);
	log_n = 0;
	memset(log_lines, 0, sizeof(log_lines));
	pthread_mutex_unlock(&log_lock);
	tf_log_set_sink(sink, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tf_log_set_sink(NULL, NULL);
	return 0;
}

/* true when the eventfd fired within ms; resets it */
static bool woken(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(efd, &v, sizeof(v)) == sizeof(v) && v > 0;
}

static struct tf_source_status status_of(struct tf_sources *s, size_t i)
{
	struct tf_source_status v[4];

	assert_true(tf_sources_status(s, v, 4) > i);
	return v[i];
}

/* Polls source i's status until expr (over x) holds, or fails after ms. */
#define WAIT_STATUS(s, i, x, expr, ms)						\
	do {									\
		struct tf_source_status x;					\
		unsigned int _t;						\
		for (_t = 0;; _t += 10) {					\
			x = status_of(s, i);					\
			if (expr)						\
				break;						\
			if (_t >= (ms)) {					\
				print_error("%s:%d: timeout: %s (last error: %s)\n", \
					    __FILE__, __LINE__, #expr, x.last_err); \
				fail();						\
			}							\
			sleep_ms(10);						\
		}								\
	} while (0)

static struct tf_source_cfg base(const char *name, enum tf_source_kind kind)
{
	struct tf_source_cfg c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.kind = kind;
	c.ttl_ms = 60000;
	strcpy(c.host, "127.0.0.1");
	c.port = 1;	/* nothing listens: the store tests need no broker */
	strcpy(c.topic, "site/surplus");
	c.keepalive_s = 5;
	c.reconnect_max_ms = 60000;
	strcpy(c.surplus_field, "surplus_w");
	strcpy(c.carbon_field, "carbon_g_kwh");
	strcpy(c.price_field, "price_mwh");
	c.period_ms = 300000;
	c.timeout_ms = 1000;
	c.value_low = 100;
	c.value_high = 500;
	c.surplus_max_uw = 1000000000ULL;
	c.accel = 1;
	return c;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = !connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return ok;
}

/* Runs argv quietly; returns its pid, or fails the test. */
static pid_t spawn(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		print_error("%s: %s (install it: tests/deps.sh)\n", argv[0],
			    strerror(r));
		fail();
	}
	return pid;
}

static int run(char *const argv[])
{
	pid_t pid = spawn(argv);
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- the store ----------------------------------------------------------- */

static void test_store(void **state)
{
	struct tf_source_cfg c[2] = { base("a", TF_SRC_MQTT),
				      base("b", TF_SRC_MQTT) };
	struct tf_sources *s;
	struct tf_sigval v;
	struct tf_source_status st;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t now;
	const char *p;

	(void)state;
	c[1].ttl_ms = 2000;
	assert_true(efd >= 0);
	assert_int_equal(tf_sources_start(&s, c, 2, efd), 0);
	assert_int_equal(tf_sources_count(s), 2);
	assert_false(tf_sources_current(s, tf_sources_now_ms(), &v));

	p = "{\"surplus_w\": 300, \"carbon_g_kwh\": 50, \"price_mwh\": 20}";
	assert_int_equal(tf_sources_inject(s, 0, p, strlen(p)), 0);
	assert_true(woken(efd, 1000));
	now = tf_sources_now_ms();
	assert_true(tf_sources_current(s, now, &v));
	assert_int_equal(v.surplus_uw, 300000000);
	assert_string_equal(v.source, "a");
	assert_true(v.ttl_left_ms > 59000 && v.ttl_left_ms <= 60000);

	/* the lesser surplus wins; carbon and price from the other */
	p = "{\"surplus_w\": 100}";
	assert_int_equal(tf_sources_inject(s, 1, p, strlen(p)), 0);
	assert_true(woken(efd, 1000));
	now = tf_sources_now_ms();
	assert_true(tf_sources_current(s, now, &v));
	assert_int_equal(v.surplus_uw, 100000000);
	assert_string_equal(v.source, "b");
	assert_true(v.has_carbon);
	assert_int_equal(v.carbon_mg_kwh, 50000);
	assert_true(v.has_price);
	assert_int_equal(v.price_ucur_mwh, 20000000);
	assert_true(v.ttl_left_ms <= 2000);

	/* a bad message: rejected, logged with source and field, no wake-up,
	 * the last good value stays */
	p = "{\"surplus_w\": \"lots\"}";
	assert_int_equal(tf_sources_inject(s, 1, p, strlen(p)), -1);
	assert_false(woken(efd, 50));
	assert_true(logged(TF_LOG_WARNING, "source b:",
			   "surplus_w: not a number"));
	st = status_of(s, 1);
	assert_int_equal(st.accepted, 1);
	assert_int_equal(st.rejected, 1);
	assert_true(st.fresh);
	assert_int_equal(st.last.surplus_uw, 100000000);
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 100000000);
	p = "{\"surplus_w\": 5";
	assert_int_equal(tf_sources_inject(s, 1, p, strlen(p)), -1);
	assert_true(logged(TF_LOG_WARNING, "source b:", "truncated JSON"));
	/* the same mistake again and again: counted, logged once */
	assert_int_equal(tf_sources_inject(s, 1, p, strlen(p)), -1);
	assert_int_equal(tf_sources_inject(s, 1, p, strlen(p)), -1);
	assert_int_equal(count_logged("source b:", "truncated JSON"), 1);
	assert_int_equal(status_of(s, 1).rejected, 4);
	/* another one is news */
	p = "{\"surplus_w\": 5, \"ts\": \"now\"}";
	assert_int_equal(tf_sources_inject(s, 1, p, strlen(p)), -1);
	assert_true(logged(TF_LOG_WARNING, "source b:", "ts: bad timestamp"));

	/* past b's TTL, a alone is fresh; past a's, none is */
	now = tf_sources_now_ms();
	assert_true(tf_sources_current(s, now + 2500, &v));
	assert_int_equal(v.surplus_uw, 300000000);
	assert_string_equal(v.source, "a");
	assert_false(tf_sources_current(s, now + 61000, &v));
	/* and for real, on the clock */
	sleep_ms(2100);
	st = status_of(s, 1);
	assert_false(st.fresh);
	assert_true(st.have);
	assert_true(st.age_ms >= 2000);
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_string_equal(v.source, "a");

	/* a fresh good value after the bad ones */
	p = "{\"surplus_w\": 50}";
	assert_int_equal(tf_sources_inject(s, 1, p, strlen(p)), 0);
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 50000000);

	assert_int_equal(tf_sources_inject(s, 2, p, strlen(p)), -1);

	/* "ts": the TTL runs from the measurement; too old is rejected */
	{
		char msg[128];
		time_t t = time(NULL);

		snprintf(msg, sizeof(msg), "{\"surplus_w\": 40, \"ts\": %lld}",
			 (long long)t - 1);
		assert_int_equal(tf_sources_inject(s, 1, msg, strlen(msg)), 0);
		assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
		assert_int_equal(v.surplus_uw, 40000000);
		assert_true(v.ttl_left_ms <= 1000);
		snprintf(msg, sizeof(msg), "{\"surplus_w\": 30, \"ts\": %lld}",
			 (long long)t - 3600);
		assert_int_equal(tf_sources_inject(s, 0, msg, strlen(msg)), -1);
		assert_true(logged(TF_LOG_WARNING, "source a:",
				   "past the TTL of 60000 ms"));
		/* a clock a little ahead: age 0, the whole TTL */
		snprintf(msg, sizeof(msg), "{\"surplus_w\": 35, \"ts\": %lld}",
			 (long long)t + 5);
		assert_int_equal(tf_sources_inject(s, 0, msg, strlen(msg)), 0);
		assert_true(tf_sources_current(s, tf_sources_now_ms() + 3000,
					       &v));
		assert_int_equal(v.surplus_uw, 35000000);
	}
	tf_sources_stop(s);
	close(efd);
}

/* an HTTP shape and a CSV line through inject; a module source takes none */
static void test_inject_kinds(void **state)
{
	struct tf_source_cfg c[3] = { base("wt", TF_SRC_HTTP),
				      base("trace", TF_SRC_CSV),
				      base("kmod", TF_SRC_MODULE) };
	struct tf_sources *s;
	struct tf_sigval v;
	char path[] = "/tmp/tf-test-sources-XXXXXX";
	int fd = mkstemp(path);
	const char *p;

	(void)state;
	assert_true(fd >= 0);
	/* a trace far in the future: the replay injects nothing itself */
	assert_int_equal(write(fd, "4000000000,1\n", 13), 13);
	close(fd);
	c[0].shape = TF_HTTP_EMAPS;
	strcpy(c[0].url, "http://127.0.0.1:1/");
	snprintf(c[1].path, sizeof(c[1].path), "%s", path);
	c[1].start = 1;
	assert_int_equal(tf_sources_start(&s, c, 3, -1), 0);
	p = "{\"zone\":\"DE\",\"carbonIntensity\":300,\"datetime\":\"2024-05-01T12:00:00.000Z\"}";
	assert_int_equal(tf_sources_inject(s, 0, p, strlen(p)), 0);
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 500000000);
	assert_int_equal(v.carbon_mg_kwh, 300000);
	p = "{\"zone\":\"DE\",\"carbonIntensity\":300}";
	assert_int_equal(tf_sources_inject(s, 0, p, strlen(p)), -1);
	assert_true(logged(TF_LOG_WARNING, "source wt:", "datetime: missing"));

	p = "1714564800,20\n";
	assert_int_equal(tf_sources_inject(s, 1, p, strlen(p)), 0);
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 20000000);
	assert_string_equal(v.source, "trace");
	p = "1714564800,x\n";
	assert_int_equal(tf_sources_inject(s, 1, p, strlen(p)), -1);
	assert_true(logged(TF_LOG_WARNING, "source trace:",
			   "line 1: bad surplus_w"));

	assert_int_equal(tf_sources_inject(s, 2, "{}", 2), -1);
	tf_sources_stop(s);
	unlink(path);
}

/* ---- CSV replay ---------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_csv_replay(void **state)
{
	static const char trace[] =
		"# utc_s,surplus_w  (a test trace)\n"
		"1000,10\n1010,20\n1020,30\n";
	struct tf_source_cfg c = base("trace", TF_SRC_CSV);
	char path[] = "/tmp/tf-test-csv-XXXXXX";
	struct tf_sources *s;
	struct tf_sigval v;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, trace);
	snprintf(c.path, sizeof(c.path), "%s", path);

	/*
	 * 1000× : a 10 s row lasts 10 ms; the whole trace plays in 30 ms. A
	 * thread that wakes late skips a row (the value at t is the last row
	 * at or before t), so up to 3 values, the last one last.
	 */
	c.accel = 1000;
	assert_int_equal(tf_sources_start(&s, &c, 1, efd), 0);
	assert_true(woken(efd, 2000));
	wait_logged(TF_LOG_NOTICE, "source trace: end of the trace", 3000);
	WAIT_STATUS(s, 0, x, x.accepted >= 1 && x.accepted <= 3 &&
		    x.last.surplus_uw == 30000000, 100);
	/* over: the last row holds until its TTL */
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 30000000);
	sleep_ms(100);
	assert_true(status_of(s, 0).accepted <= 3);
	tf_sources_stop(s);

	/* starting mid-row: the last row at or before the start applies */
	c.accel = 1;
	c.start = 1015;
	c.ttl_ms = 300;
	assert_int_equal(tf_sources_start(&s, &c, 1, efd), 0);
	WAIT_STATUS(s, 0, x, x.accepted == 1, 3000);
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 20000000);
	/* the row lasts 5 s: re-armed, it outlives its 300 ms TTL */
	sleep_ms(700);
	assert_int_equal(status_of(s, 0).accepted, 1);
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 20000000);
	tf_sources_stop(s);
	c.ttl_ms = 60000;

	/* loop: the trace starts over */
	c.accel = 1000;
	c.start = 0;
	c.loop = true;
	assert_int_equal(tf_sources_start(&s, &c, 1, efd), 0);
	WAIT_STATUS(s, 0, x, x.accepted >= 9, 5000);
	tf_sources_stop(s);

	/* a trace that does not parse, or is not there, fails the start */
	write_file(path, "1000,10\nnoon,20\n");
	assert_int_equal(tf_sources_start(&s, &c, 1, efd), -EINVAL);
	assert_null(s);
	assert_true(logged(TF_LOG_ERR, "source trace:",
			   "line 2: bad timestamp"));
	unlink(path);
	assert_int_equal(tf_sources_start(&s, &c, 1, efd), -ENOENT);
	close(efd);
}

/* ---- MQTT against mosquitto ---------------------------------------------- */

/* mosquitto on port, with a configuration file when conf is set */
static pid_t broker_start_conf(int port, const char *conf)
{
	char p[16];
	char *argv[] = { "mosquitto", "-p", p, NULL };
	char *argv_conf[] = { "mosquitto", "-c", (char *)conf, NULL };
	pid_t pid;
	int i;

	snprintf(p, sizeof(p), "%d", port);
	pid = spawn(conf ? argv_conf : argv);
	for (i = 0; i < 500 && !port_open(port); i++)
		sleep_ms(10);
	if (!port_open(port)) {
		print_error("mosquitto -p %d: not listening\n", port);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail();
	}
	return pid;
}

static pid_t broker_start(int port)
{
	return broker_start_conf(port, NULL);
}

static void broker_stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

static void publish(int port, const char *msg)
{
	char p[16];
	char *argv[] = { "mosquitto_pub", "-h", "127.0.0.1", "-p", p,
			 "-t", "site/surplus", "-q", "1", "-m", (char *)msg,
			 NULL };

	snprintf(p, sizeof(p), "%d", port);
	assert_int_equal(run(argv), 0);
}

static void test_mqtt(void **state)
{
	struct tf_source_cfg c = base("site", TF_SRC_MQTT);
	struct tf_sources *s;
	struct tf_sigval v;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int port = free_port();
	pid_t broker;

	(void)state;
	c.port = port;
	c.reconnect_max_ms = 500;
	/* the source first: it retries until the broker is up */
	assert_int_equal(tf_sources_start(&s, &c, 1, efd), 0);
	WAIT_STATUS(s, 0, x, x.failures >= 1, 5000);
	assert_true(logged(TF_LOG_WARNING, "source site:", "cannot connect"));
	broker = broker_start(port);
	WAIT_STATUS(s, 0, x, x.connected, 10000);
	assert_true(logged(TF_LOG_INFO, "source site:", "connected to"));

	publish(port, "{\"surplus_w\": 123, \"carbon_g_kwh\": 80}");
	assert_true(woken(efd, 5000));
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 123000000);
	assert_int_equal(v.carbon_mg_kwh, 80000);
	assert_string_equal(v.source, "site");

	/* malformed: rejected and named; the value stays */
	publish(port, "{\"surplus_w\": -4}");
	WAIT_STATUS(s, 0, x, x.rejected == 1, 5000);
	assert_true(logged(TF_LOG_WARNING, "source site:",
			   "surplus_w: negative"));
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 123000000);

	/* the broker goes away and comes back on the same port */
	broker_stop(broker);
	WAIT_STATUS(s, 0, x, !x.connected, 5000);
	wait_logged(TF_LOG_WARNING, "source site: disconnected from", 5000);
	/* the last good value outlives the connection, until its TTL */
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	broker = broker_start(port);
	WAIT_STATUS(s, 0, x, x.connected && x.connects == 2, 10000);
	while (woken(efd, 0))
		;
	publish(port, "{\"surplus_w\": 456}");
	assert_true(woken(efd, 5000));
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 456000000);
	assert_int_equal(status_of(s, 0).accepted, 2);

	tf_sources_stop(s);
	broker_stop(broker);
	close(efd);
}

/*
 * TLS: a CA and a server certificate for 127.0.0.1 made here with openssl;
 * the source verifies the broker against cafile, and refuses a broker that
 * another CA signed.
 */
static void test_mqtt_tls(void **state)
{
	static const char script[] =
		"set -e; cd \"$0\"\n"
		"k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
		"openssl req -x509 $k -keyout ca.key -out ca.crt -days 2 -subj /CN=tf-test-ca\n"
		"openssl req -x509 $k -keyout other.key -out other.crt -days 2 -subj /CN=tf-other-ca\n"
		"openssl req $k -keyout srv.key -out srv.csr -subj /CN=127.0.0.1\n"
		"echo subjectAltName=IP:127.0.0.1 > ext\n"
		"openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		"-out srv.crt -days 2 -extfile ext\n"
		"chmod a+rx . && chmod a+r *\n";
	char dir[] = "/tmp/tf-test-tls-XXXXXX", conf[64], text[512], p[16];
	char *gen[] = { "sh", "-c", (char *)script, dir, NULL };
	struct tf_source_cfg c[2] = { base("tls", TF_SRC_MQTT),
				      base("wrongca", TF_SRC_MQTT) };
	char *pub[] = { "mosquitto_pub", "-h", "127.0.0.1", "-p", p,
			"--cafile", text, "-t", "site/surplus", "-q", "1",
			"-m", "{\"surplus_w\": 9}", NULL };
	struct tf_sources *s;
	struct tf_sigval v;
	int port = free_port();
	pid_t broker;
	char *rm[] = { "rm", "-rf", dir, NULL };

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(run(gen), 0);
	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", dir);
	snprintf(text, sizeof(text),
		 "listener %d 127.0.0.1\nallow_anonymous true\n"
		 "cafile %s/ca.crt\ncertfile %s/srv.crt\nkeyfile %s/srv.key\n",
		 port, dir, dir, dir);
	write_file(conf, text);
	broker = broker_start_conf(port, conf);

	c[0].port = c[1].port = port;
	c[0].reconnect_max_ms = c[1].reconnect_max_ms = 500;
	snprintf(c[0].cafile, sizeof(c[0].cafile), "%s/ca.crt", dir);
	snprintf(c[1].cafile, sizeof(c[1].cafile), "%s/other.crt", dir);
	assert_int_equal(tf_sources_start(&s, c, 2, -1), 0);
	WAIT_STATUS(s, 0, x, x.connected, 10000);
	snprintf(p, sizeof(p), "%d", port);
	snprintf(text, sizeof(text), "%s/ca.crt", dir);
	assert_int_equal(run(pub), 0);
	WAIT_STATUS(s, 0, x, x.accepted == 1, 5000);
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 9000000);
	/* the other CA's source never gets through */
	WAIT_STATUS(s, 1, x, x.failures >= 2, 5000);
	assert_false(status_of(s, 1).connected);
	assert_int_equal(status_of(s, 1).connects, 0);
	assert_true(logged(TF_LOG_WARNING, "source wrongca: cannot connect",
			   NULL));
	assert_true(logged(TF_LOG_WARNING, "source wrongca:",
			   "certificate verify failed"));

	tf_sources_stop(s);
	broker_stop(broker);
	assert_int_equal(run(rm), 0);
}

/* a broker that is never there: stop is prompt even mid-backoff */
static void test_mqtt_stop_in_backoff(void **state)
{
	struct tf_source_cfg c = base("nobody", TF_SRC_MQTT);
	struct tf_sources *s;
	uint64_t t0;

	(void)state;
	c.port = free_port();
	c.reconnect_max_ms = 30000;
	assert_int_equal(tf_sources_start(&s, &c, 1, -1), 0);
	WAIT_STATUS(s, 0, x, x.failures >= 1, 5000);
	t0 = tf_sources_now_ms();
	tf_sources_stop(s);
	assert_true(tf_sources_now_ms() - t0 < 2000);
}

/* ---- HTTP against a local server ----------------------------------------- */

enum { H_OK, H_500, H_GARBAGE, H_HANG, H_HUGE };

struct server {
	int lfd, port;
	int stop[2];
	pthread_t thread;
	atomic_int mode;
	atomic_int requests;
	char last_req[2048];
	pthread_mutex_t lock;
};

static void send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n && (w = send(fd, p, n, MSG_NOSIGNAL)) > 0) {
		p += w;
		n -= w;
	}
}

static void serve(struct server *sv, int fd)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		"Content-Length: 18\r\nConnection: close\r\n\r\n{\"surplus_w\": 77}\n";
	static const char e500[] = "HTTP/1.1 500 Internal Server Error\r\n"
		"Content-Length: 5\r\nConnection: close\r\n\r\noops\n";
	static const char garbage[] = "HTTP/1.1 200 OK\r\nContent-Length: 21\r\n"
		"Connection: close\r\n\r\n<html>garbage</html>\n";
	char req[2048], chunk[65536];
	struct pollfd p[2];
	size_t n = 0;
	ssize_t r;
	int i;

	/* the request head */
	while (n < sizeof(req) - 1) {
		p[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(p, 1, 5000) != 1)
			return;
		r = recv(fd, req + n, sizeof(req) - 1 - n, 0);
		if (r <= 0)
			return;
		n += r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	pthread_mutex_lock(&sv->lock);
	snprintf(sv->last_req, sizeof(sv->last_req), "%s", req);
	pthread_mutex_unlock(&sv->lock);
	atomic_fetch_add(&sv->requests, 1);
	switch (atomic_load(&sv->mode)) {
	case H_OK:
		send_all(fd, ok, sizeof(ok) - 1);
		break;
	case H_500:
		send_all(fd, e500, sizeof(e500) - 1);
		break;
	case H_GARBAGE:
		send_all(fd, garbage, sizeof(garbage) - 1);
		break;
	case H_HANG:
		/* say nothing until the client gives up or the test ends */
		p[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = sv->stop[0], .events = POLLIN };
		while (poll(p, 2, -1) > 0 && !p[1].revents &&
		       recv(fd, chunk, sizeof(chunk), 0) > 0)
			;
		break;
	case H_HUGE:
		snprintf(chunk, sizeof(chunk), "HTTP/1.1 200 OK\r\n"
			 "Content-Length: %d\r\nConnection: close\r\n\r\n",
			 2 << 20);
		send_all(fd, chunk, strlen(chunk));
		memset(chunk, ' ', sizeof(chunk));
		for (i = 0; i < (2 << 20) / (int)sizeof(chunk); i++)
			send_all(fd, chunk, sizeof(chunk));
		break;
	}
}

static void *server_thread(void *arg)
{
	struct server *sv = arg;
	struct pollfd p[2];
	int fd;

	for (;;) {
		p[0] = (struct pollfd){ .fd = sv->lfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = sv->stop[0], .events = POLLIN };
		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		fd = accept(sv->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(sv, fd);
		close(fd);
	}
	return NULL;
}

static void server_start(struct server *sv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1;

	memset(sv, 0, sizeof(*sv));
	pthread_mutex_init(&sv->lock, NULL);
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sv->lfd >= 0);
	setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(sv->lfd, 8), 0);
	assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&a, &len), 0);
	sv->port = ntohs(a.sin_port);
	assert_int_equal(pipe(sv->stop), 0);
	assert_int_equal(pthread_create(&sv->thread, NULL, server_thread, sv),
			 0);
}

static void server_stop(struct server *sv)
{
	assert_int_equal(write(sv->stop[1], "x", 1), 1);
	pthread_join(sv->thread, NULL);
	close(sv->stop[0]);
	close(sv->stop[1]);
	close(sv->lfd);
	pthread_mutex_destroy(&sv->lock);
}

static void test_http(void **state)
{
	struct tf_source_cfg c = base("web", TF_SRC_HTTP);
	struct server sv;
	struct tf_sources *s;
	struct tf_sigval v;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t f, r, t0;

	(void)state;
	server_start(&sv);
	atomic_store(&sv.mode, H_500);
	snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%d/signal", sv.port);
	c.shape = TF_HTTP_JSON;
	c.period_ms = 50;
	c.timeout_ms = 500;
	strcpy(c.header, "Authorization: Bearer t0ken");
	assert_int_equal(tf_sources_start(&s, &c, 1, efd), 0);

	/* 500: a failure, logged with the status; the thread polls on */
	WAIT_STATUS(s, 0, x, x.failures >= 2, 5000);
	assert_string_equal(status_of(s, 0).last_err, "HTTP 500");
	assert_true(logged(TF_LOG_WARNING, "source web:", "HTTP 500"));
	assert_false(tf_sources_current(s, tf_sources_now_ms(), &v));

	/* garbage: a rejected message naming the payload */
	atomic_store(&sv.mode, H_GARBAGE);
	WAIT_STATUS(s, 0, x, x.rejected >= 1, 5000);
	assert_true(logged(TF_LOG_WARNING, "source web:", "payload: not JSON"));

	/* a server that hangs: the request times out, the thread lives */
	atomic_store(&sv.mode, H_HANG);
	f = status_of(s, 0).failures;
	WAIT_STATUS(s, 0, x, x.failures > f && strstr(x.last_err, "timed out"),
		    5000);

	/* more than the bound: refused */
	atomic_store(&sv.mode, H_HUGE);
	WAIT_STATUS(s, 0, x, strstr(x.last_err, "response over"), 5000);

	/* and good again: a value, a wake-up, the header sent */
	r = status_of(s, 0).rejected;
	while (woken(efd, 0))
		;
	atomic_store(&sv.mode, H_OK);
	assert_true(woken(efd, 5000));
	assert_true(tf_sources_current(s, tf_sources_now_ms(), &v));
	assert_int_equal(v.surplus_uw, 77000000);
	assert_int_equal(status_of(s, 0).rejected, r);
	pthread_mutex_lock(&sv.lock);
	assert_non_null(strstr(sv.last_req, "GET /signal HTTP/1.1\r\n"));
	assert_non_null(strstr(sv.last_req, "Authorization: Bearer t0ken\r\n"));
	pthread_mutex_unlock(&sv.lock);

	/* stop is prompt in the middle of a hanging request */
	c.timeout_ms = 60000;
	tf_sources_stop(s);
	assert_int_equal(tf_sources_start(&s, &c, 1, efd), 0);
	atomic_store(&sv.mode, H_HANG);
	r = atomic_load(&sv.requests);
	while ((uint64_t)atomic_load(&sv.requests) == r)
		sleep_ms(10);
	sleep_ms(100);
	t0 = tf_sources_now_ms();
	tf_sources_stop(s);
	assert_true(tf_sources_now_ms() - t0 < 2000);

	server_stop(&sv);
	close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_kinds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_csv_replay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mqtt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mqtt_tls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mqtt_stop_in_backoff,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_http, setup, teardown),
	};

	return TF_RUN_TESTS("sources", tests);
}
