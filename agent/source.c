// SPDX-License-Identifier: GPL-2.0
/*
 * The live signal sources (source.h). Each source runs on a thread of its
 * own and blocks there: in poll(2) on the MQTT socket, in curl_multi_poll()
 * on the HTTP transfer, in a timed wait between CSV rows or netlink polls.
 * tf_sources_stop() wakes all of them at once (a stop eventfd, the multi
 * handles' wakeup, a condition variable) and joins them.
 *
 * MQTT drives libmosquitto from our own poll loop (mosquitto_socket(),
 * mosquitto_loop_read/write/misc()) rather than mosquitto_loop_start(): the
 * library's loop thread ends for good on a DNS, TLS or auth error (a DNS blip
 * at boot would silence the source until restart), and its reconnect sleep
 * cannot be cut short by a thread that did not start it. So the reconnect
 * backoff (1 s doubling up to reconnect_max_ms) is ours, and stop is
 * immediate.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mosquitto.h>

#include "log.h"
#include "source.h"
#include "tf_nl.h"

#define CSV_MAX_BYTES		(64 << 20)
#define MQTT_BACKOFF_MIN_MS	1000
#define MODULE_POLL_MS		1000
#define REFRESH_MS		1000	/* CSV: most time between re-arms */
#define REJECT_QUIET_MS		10000	/* the same rejection, logged once */

struct tf_src {
	struct tf_sources *owner;
	struct tf_source_cfg cfg;
	pthread_t thread;
	bool started;

	/* the store, under owner->lock */
	bool have;
	struct tf_sigval val;
	uint64_t at_ms, ttl_ms;
	uint64_t accepted, rejected, failures, connects;
	bool connected;
	char last_err[TF_SIG_ERR];
	char said[TF_SIG_ERR];		/* the last rejection logged */
	uint64_t said_ms, quiet;	/* when; how many since, unlogged */

	/* mqtt, the source's thread only */
	struct mosquitto *mosq;
	bool up;			/* CONNACK accepted */
	uint64_t backoff_ms;
	/* http */
	CURL *easy;
	CURLM *multi;
	struct curl_slist *headers;
	char *body;
	size_t body_len, body_cap;
	bool body_over;
	bool body_oom;			/* no memory for the response */
	char curl_err[CURL_ERROR_SIZE];
	/* csv */
	struct tf_csv csv;
};

struct tf_sources {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC; broadcast on stop */
	atomic_bool stopping;
	int wake_fd;
	int stop_fd;			/* eventfd: readable once stopping */
	bool mosq_init, curl_init;
	size_t n;
	struct tf_src src[];
};

uint64_t tf_sources_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool stopping(const struct tf_sources *s)
{
	return atomic_load(&s->stopping);
}

/* Sleeps ms, or less when stopped; true when stopping. */
static bool wait_ms(struct tf_sources *s, uint64_t ms)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	while (!stopping(s) &&
	       pthread_cond_timedwait(&s->cond, &s->lock, &ts) != ETIMEDOUT)
		;
	stop = stopping(s);
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* ---- the store ----------------------------------------------------------- */

static void store_accept(struct tf_src *c, const struct tf_sigval *v,
			 uint64_t ttl_ms)
{
	struct tf_sources *s = c->owner;
	uint64_t one = 1;

	pthread_mutex_lock(&s->lock);
	c->have = true;
	c->val = *v;
	c->at_ms = tf_sources_now_ms();
	c->ttl_ms = ttl_ms;
	c->accepted++;
	pthread_mutex_unlock(&s->lock);
	/* a full eventfd counter still reads as readable: nothing to do */
	if (s->wake_fd >= 0 && write(s->wake_fd, &one, sizeof(one)) < 0)
		tf_log(TF_LOG_DEBUG, "source %s: wake: %s", c->cfg.name,
		       strerror(errno));
}

/* The same value still applies (a CSV row that lasts): its TTL restarts. */
static void store_refresh(struct tf_src *c)
{
	pthread_mutex_lock(&c->owner->lock);
	if (c->have)
		c->at_ms = tf_sources_now_ms();
	pthread_mutex_unlock(&c->owner->lock);
}

/*
 * Logged, but a publisher stuck on one mistake (ten a second, say) is told
 * of once per REJECT_QUIET_MS; the count says how many went unlogged.
 */
static void store_reject(struct tf_src *c, const char *err)
{
	uint64_t now = tf_sources_now_ms(), quiet = 0;
	bool say = false;

	pthread_mutex_lock(&c->owner->lock);
	c->rejected++;
	snprintf(c->last_err, sizeof(c->last_err), "%s", err);
	if (strcmp(err, c->said) || now - c->said_ms >= REJECT_QUIET_MS) {
		say = true;
		quiet = c->quiet;
		c->quiet = 0;
		c->said_ms = now;
		snprintf(c->said, sizeof(c->said), "%s", err);
	} else {
		c->quiet++;
	}
	pthread_mutex_unlock(&c->owner->lock);
	if (say && quiet)
		tf_log(TF_LOG_WARNING,
		       "source %s: rejected: %s (%llu more rejected unlogged)",
		       c->cfg.name, err, (unsigned long long)quiet);
	else if (say)
		tf_log(TF_LOG_WARNING, "source %s: rejected: %s", c->cfg.name,
		       err);
}

/* A fetch or a connection that failed; log: whether to say so. */
static void store_failure(struct tf_src *c, bool log, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void store_failure(struct tf_src *c, bool log, const char *fmt, ...)
{
	char msg[TF_SIG_ERR];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&c->owner->lock);
	c->failures++;
	snprintf(c->last_err, sizeof(c->last_err), "%s", msg);
	pthread_mutex_unlock(&c->owner->lock);
	if (log)
		tf_log(TF_LOG_WARNING, "source %s: %s", c->cfg.name, msg);
}

static void set_connected(struct tf_src *c, bool on)
{
	pthread_mutex_lock(&c->owner->lock);
	c->connected = on;
	if (on)
		c->connects++;
	pthread_mutex_unlock(&c->owner->lock);
}

/*
 * The parsers say "...: out of memory" (sigparse.h's errors name the field
 * or the payload): a message that could not be parsed for want of memory
 * is no malformed one.
 */
static bool sig_oom(const char *err)
{
	return strstr(err, "out of memory");
}

/*
 * One message through the source's parser into the store. Out of memory
 * counts as a failure (fetches, connections), not as a rejected message:
 * the message may have been good; the last good value stays.
 */
static int ingest(struct tf_src *c, const char *buf, size_t len)
{
	struct tf_sigval v = { 0 };
	struct tf_csv_row row;
	char err[TF_SIG_ERR];
	uint64_t ttl = c->cfg.ttl_ms;
	int64_t now = realtime_ns(), age;
	bool json = c->cfg.kind == TF_SRC_MQTT ||
		    (c->cfg.kind == TF_SRC_HTTP && c->cfg.shape == TF_HTTP_JSON);
	int r = -1;

	switch (c->cfg.kind) {
	case TF_SRC_MQTT:
		r = tf_sig_parse_json(&c->cfg, buf, len, &v, err, sizeof(err));
		break;
	case TF_SRC_HTTP:
		r = tf_sig_parse_http(&c->cfg, buf, len, now, &v, err,
				      sizeof(err));
		break;
	case TF_SRC_CSV:
		r = tf_sig_parse_csv_line(buf, len, 1, &row, err, sizeof(err));
		if (r > 0) {
			snprintf(err, sizeof(err), "line 1: no row");
			r = -1;
		}
		if (!r)
			v.surplus_uw = row.surplus_uw;
		break;
	case TF_SRC_MODULE:
		snprintf(err, sizeof(err), "payload: a module source takes none");
		break;
	}
	/*
	 * A JSON payload's "ts" says when it was measured: its TTL runs from
	 * then, so an old retained MQTT message does not count as fresh. (The
	 * carbon APIs' points are periods, often hours behind by design: their
	 * TTL runs from arrival; so does a replayed trace's.)
	 */
	if (!r && json && v.timestamp_ns && !c->cfg.replay) {
		age = (now - (int64_t)v.timestamp_ns) / 1000000;
		if (age > 0 && (uint64_t)age >= ttl) {
			snprintf(err, sizeof(err),
				 "ts: %lld ms old, past the TTL of %llu ms",
				 (long long)age, (unsigned long long)ttl);
			r = -1;
		} else if (age > 0) {
			ttl -= age;
		}
	}
	if (r && sig_oom(err)) {
		store_failure(c, true, "%s", err);
		return -1;
	}
	if (r) {
		store_reject(c, err);
		return -1;
	}
	store_accept(c, &v, ttl);
	return 0;
}

/* ---- MQTT ---------------------------------------------------------------- */

static void mqtt_on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct tf_src *c = obj;
	int r;

	if (rc) {
		store_failure(c, true, "broker %s:%u refused: %s", c->cfg.host,
			      c->cfg.port, mosquitto_connack_string(rc));
		return;
	}
	c->up = true;
	c->backoff_ms = 0;
	tf_log(TF_LOG_INFO, "source %s: connected to %s:%u", c->cfg.name,
	       c->cfg.host, c->cfg.port);
	/* clean session: the subscription goes with every connection */
	r = mosquitto_subscribe(m, NULL, c->cfg.topic, 1);
	if (r)
		store_failure(c, true, "subscribe %s: %s", c->cfg.topic,
			      mosquitto_strerror(r));
}

static void mqtt_on_subscribe(struct mosquitto *m, void *obj, int mid,
			      int n, const int *granted)
{
	struct tf_src *c = obj;

	(void)m;
	(void)mid;
	if (n < 1 || granted[0] > 2) {
		store_failure(c, true, "subscribe %s: refused by the broker",
			      c->cfg.topic);
		return;
	}
	set_connected(c, true);
}

static void mqtt_on_message(struct mosquitto *m, void *obj,
			    const struct mosquitto_message *msg)
{
	(void)m;
	ingest(obj, msg->payload, msg->payloadlen > 0 ? msg->payloadlen : 0);
}

static void mqtt_on_disconnect(struct mosquitto *m, void *obj, int rc)
{
	struct tf_src *c = obj;

	(void)m;
	(void)rc;
	pthread_mutex_lock(&c->owner->lock);
	c->connected = false;
	pthread_mutex_unlock(&c->owner->lock);
}

/* the library's own errors say why (OpenSSL's verify failure, say) */
static void mqtt_on_log(struct mosquitto *m, void *obj, int level,
			const char *msg)
{
	struct tf_src *c = obj;

	(void)m;
	if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
		tf_log(TF_LOG_WARNING, "source %s: %s", c->cfg.name, msg);
}

static const char *mqtt_err(int rc, int err)
{
	return rc == MOSQ_ERR_ERRNO ? strerror(err) : mosquitto_strerror(rc);
}

/* After a failure: say so, wait the backoff, double it. true: stopping. */
static bool mqtt_backoff(struct tf_src *c, int rc, int err)
{
	uint64_t max = c->cfg.reconnect_max_ms ? c->cfg.reconnect_max_ms
					       : 30000;

	if (!c->backoff_ms)
		c->backoff_ms = MQTT_BACKOFF_MIN_MS < max ? MQTT_BACKOFF_MIN_MS
							  : max;
	store_failure(c, true, "%s %s:%u: %s (next try in %llu ms)",
		      c->up ? "disconnected from" : "cannot connect to",
		      c->cfg.host, c->cfg.port, mqtt_err(rc, err),
		      (unsigned long long)c->backoff_ms);
	c->up = false;
	if (wait_ms(c->owner, c->backoff_ms))
		return true;
	c->backoff_ms = c->backoff_ms * 2 < max ? c->backoff_ms * 2 : max;
	return false;
}

static void *mqtt_thread(void *arg)
{
	struct tf_src *c = arg;
	struct tf_sources *s = c->owner;
	struct mosquitto *m = c->mosq;
	int keepalive = c->cfg.keepalive_s ? (int)c->cfg.keepalive_s : 30;
	struct pollfd pfd[2];
	int rc, err;

	if (keepalive < 5)
		keepalive = 5;
	rc = mosquitto_connect_async(m, c->cfg.host, c->cfg.port, keepalive);
	err = errno;
	while (!stopping(s)) {
		if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(m) < 0)
			rc = MOSQ_ERR_NO_CONN;
		if (rc != MOSQ_ERR_SUCCESS) {
			if (mqtt_backoff(c, rc, err))
				break;
			rc = mosquitto_reconnect_async(m);
			err = errno;
			continue;
		}
		pfd[0].fd = mosquitto_socket(m);
		pfd[0].events = POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0);
		pfd[1].fd = s->stop_fd;
		pfd[1].events = POLLIN;
		/* 1 s: loop_misc() keeps the keepalive */
		if (poll(pfd, 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			rc = MOSQ_ERR_ERRNO;
			err = errno;
			continue;
		}
		if (pfd[1].revents)
			break;
		errno = 0;
		if (pfd[0].revents & (POLLIN | POLLERR | POLLHUP))
			rc = mosquitto_loop_read(m, 1);
		if (rc == MOSQ_ERR_SUCCESS && (pfd[0].revents & POLLOUT))
			rc = mosquitto_loop_write(m, 1);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_loop_misc(m);
		err = errno;
	}
	if (c->up) {
		/* say goodbye, so the broker drops the session at once */
		mosquitto_disconnect(m);
		mosquitto_loop_write(m, 1);
	}
	return NULL;
}

static int mqtt_setup(struct tf_src *c)
{
	const struct tf_source_cfg *cfg = &c->cfg;
	char id[TF_CFG_STR], host[64] = "localhost";
	int r;

	if (!cfg->topic[0]) {
		tf_log(TF_LOG_ERR, "source %s: no topic", cfg->name);
		return -EINVAL;
	}
	if (!c->cfg.host[0])
		snprintf(c->cfg.host, sizeof(c->cfg.host), "localhost");
	if (!c->cfg.port)
		c->cfg.port = 1883;
	if (cfg->client_id[0]) {
		snprintf(id, sizeof(id), "%s", cfg->client_id);
	} else {
		gethostname(host, sizeof(host) - 1);
		snprintf(id, sizeof(id), "tokenfactoryd-%s-%s", host,
			 cfg->name);
	}
	c->mosq = mosquitto_new(id, true, c);
	if (!c->mosq) {
		tf_log(TF_LOG_ERR, "source %s: mosquitto_new: %s", cfg->name,
		       strerror(errno));
		return -ENOMEM;
	}
	mosquitto_connect_callback_set(c->mosq, mqtt_on_connect);
	mosquitto_disconnect_callback_set(c->mosq, mqtt_on_disconnect);
	mosquitto_subscribe_callback_set(c->mosq, mqtt_on_subscribe);
	mosquitto_message_callback_set(c->mosq, mqtt_on_message);
	mosquitto_log_callback_set(c->mosq, mqtt_on_log);
	if (cfg->username[0]) {
		r = mosquitto_username_pw_set(c->mosq, cfg->username,
					      cfg->password[0] ? cfg->password
							       : NULL);
		if (r) {
			tf_log(TF_LOG_ERR, "source %s: username: %s",
			       cfg->name, mosquitto_strerror(r));
			return r == MOSQ_ERR_NOMEM ? -ENOMEM : -EINVAL;
		}
	}
	if (cfg->cafile[0]) {
		r = mosquitto_tls_set(c->mosq, cfg->cafile, NULL, NULL, NULL,
				      NULL);
		if (r) {
			tf_log(TF_LOG_ERR, "source %s: cafile %s: %s",
			       cfg->name, cfg->cafile, mosquitto_strerror(r));
			return r == MOSQ_ERR_NOMEM ? -ENOMEM : -EINVAL;
		}
	}
	return 0;
}

/* ---- HTTP ---------------------------------------------------------------- */

static size_t http_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct tf_src *c = arg;
	size_t len = size * nmemb, cap;
	char *b;

	if (c->body_len + len > TF_SIG_PAYLOAD_MAX) {
		c->body_over = true;
		return 0;	/* aborts the transfer */
	}
	if (c->body_len + len > c->body_cap) {
		cap = c->body_cap ? c->body_cap : 16384;
		while (cap < c->body_len + len)
			cap *= 2;
		b = realloc(c->body, cap);
		if (!b) {
			c->body_oom = true;
			return 0;	/* aborts the transfer */
		}
		c->body = b;
		c->body_cap = cap;
	}
	memcpy(c->body + c->body_len, p, len);
	c->body_len += len;
	return len;
}

static void http_fetch(struct tf_src *c)
{
	struct tf_sources *s = c->owner;
	CURLcode res = CURLE_ABORTED_BY_CALLBACK;
	CURLMcode mc;
	CURLMsg *msg;
	int running = 1, left;
	long code = 0;

	c->body_len = 0;
	c->body_over = false;
	c->body_oom = false;
	c->curl_err[0] = '\0';
	mc = curl_multi_add_handle(c->multi, c->easy);
	while (!mc && running && !stopping(s)) {
		mc = curl_multi_perform(c->multi, &running);
		if (!mc && running)
			mc = curl_multi_poll(c->multi, NULL, 0, 1000, NULL);
	}
	while ((msg = curl_multi_info_read(c->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			res = msg->data.result;
	curl_multi_remove_handle(c->multi, c->easy);
	if (stopping(s))
		return;
	if (mc) {
		store_failure(c, true, "HTTP: %s", curl_multi_strerror(mc));
		return;
	}
	if (res != CURLE_OK) {
		if (c->body_over)
			store_failure(c, true, "HTTP: response over %d bytes",
				      TF_SIG_PAYLOAD_MAX);
		else if (c->body_oom)	/* not curl's "failed writing" */
			store_failure(c, true, "HTTP: out of memory for the response");
		else
			store_failure(c, true, "HTTP: %s",
				      c->curl_err[0] ? c->curl_err
						     : curl_easy_strerror(res));
		return;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		store_failure(c, true, "HTTP %ld", code);
		return;
	}
	ingest(c, c->body ? c->body : "", c->body_len);
}

static void *http_thread(void *arg)
{
	struct tf_src *c = arg;
	struct tf_sources *s = c->owner;
	uint64_t period = c->cfg.period_ms ? c->cfg.period_ms : 300000;
	uint64_t next, now;

	while (!stopping(s)) {
		next = tf_sources_now_ms() + period;
		http_fetch(c);
		/* curl_multi_wakeup() from tf_sources_stop() ends the wait */
		while (!stopping(s) && (now = tf_sources_now_ms()) < next) {
			now = next - now < 60000 ? next - now : 60000;
			if (curl_multi_poll(c->multi, NULL, 0, (int)now, NULL) &&
			    wait_ms(s, now))
				break;
		}
	}
	return NULL;
}

#define SETOPT(h, o, v) (r = r ? r : curl_easy_setopt(h, o, v))

static int http_setup(struct tf_src *c)
{
	const struct tf_source_cfg *cfg = &c->cfg;
	long timeout = cfg->timeout_ms ? (long)cfg->timeout_ms : 10000;
	CURLcode r = CURLE_OK;

	if (!cfg->url[0]) {
		tf_log(TF_LOG_ERR, "source %s: no url", cfg->name);
		return -EINVAL;
	}
	c->easy = curl_easy_init();
	c->multi = curl_multi_init();
	if (!c->easy || !c->multi)
		return -ENOMEM;
	c->headers = curl_slist_append(NULL, "Accept: application/json");
	if (c->headers && cfg->header[0]) {
		struct curl_slist *h = curl_slist_append(c->headers,
							 cfg->header);

		if (h)
			c->headers = h;
		else
			r = CURLE_OUT_OF_MEMORY;
	}
	if (!c->headers)
		r = CURLE_OUT_OF_MEMORY;
	SETOPT(c->easy, CURLOPT_URL, cfg->url);
	SETOPT(c->easy, CURLOPT_HTTPHEADER, c->headers);
	SETOPT(c->easy, CURLOPT_NOSIGNAL, 1L);
	SETOPT(c->easy, CURLOPT_TIMEOUT_MS, timeout);
	SETOPT(c->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout);
	SETOPT(c->easy, CURLOPT_WRITEFUNCTION, http_write);
	SETOPT(c->easy, CURLOPT_WRITEDATA, c);
	SETOPT(c->easy, CURLOPT_ERRORBUFFER, c->curl_err);
	SETOPT(c->easy, CURLOPT_USERAGENT, "tokenfactoryd");
	SETOPT(c->easy, CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(c->easy, CURLOPT_MAXREDIRS, 3L);
	SETOPT(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(c->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(c->easy, CURLOPT_ACCEPT_ENCODING, "");
	if (r) {
		tf_log(TF_LOG_ERR, "source %s: curl: %s", cfg->name,
		       curl_easy_strerror(r));
		return r == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/* ---- CSV replay ---------------------------------------------------------- */

static int csv_setup(struct tf_src *c)
{
	const struct tf_source_cfg *cfg = &c->cfg;
	char err[TF_SIG_ERR], *buf = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd, ret = 0;

	fd = open(cfg->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		tf_log(TF_LOG_ERR, "source %s: %s: %s", cfg->name, cfg->path,
		       strerror(errno));
		goto out;
	}
	if (st.st_size > CSV_MAX_BYTES) {
		tf_log(TF_LOG_ERR, "source %s: %s: over %d bytes", cfg->name,
		       cfg->path, CSV_MAX_BYTES);
		ret = -EFBIG;
		goto out;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size &&
	       (r = read(fd, buf + got, st.st_size - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			tf_log(TF_LOG_ERR, "source %s: %s: %s", cfg->name,
			       cfg->path, strerror(errno));
			goto out;
		}
		got += r;
	}
	if (tf_sig_parse_csv(buf, got, &c->csv, err, sizeof(err))) {
		tf_log(TF_LOG_ERR, "source %s: %s: %s", cfg->name, cfg->path,
		       err);
		ret = sig_oom(err) ? -ENOMEM : -EINVAL;
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Trace time runs accel times as fast as the wall clock from start (the
 * first row when 0); the row that applies is the last one at or before it.
 * The trace ends one row spacing after its last row: then it starts over
 * (loop), or the last value is left to go stale.
 */
static void *csv_thread(void *arg)
{
	struct tf_src *c = arg;
	struct tf_sources *s = c->owner;
	const struct tf_csv *t = &c->csv;
	double accel = c->cfg.accel > 0 ? c->cfg.accel : 1;
	int64_t start = c->cfg.start ? c->cfg.start : t->v[0].t;
	int64_t last = t->v[t->n - 1].t;
	int64_t end = last + (t->n > 1 ? last - t->v[t->n - 2].t : 1);
	double span = (double)(end - start), tt, el, next_t;
	uint64_t origin = tf_sources_now_ms(), wait;
	/* a row that lasts is re-armed well within its TTL */
	uint64_t refresh = c->cfg.ttl_ms / 2 < REFRESH_MS ? c->cfg.ttl_ms / 2
							  : REFRESH_MS;
	long i, cur = -1;
	int64_t lap = 0, l;

	while (!stopping(s)) {
		el = (double)(tf_sources_now_ms() - origin) / 1000 * accel;
		if (el >= span && !(c->cfg.loop && span > 0))
			break;
		l = span > 0 ? (int64_t)(el / span) : 0;
		tt = start + (span > 0 ? el - (double)l * span : el);
		i = tf_csv_at(t, (int64_t)tt);
		if (i >= 0 && (i != cur || l != lap)) {
			struct tf_sigval v = {
				.surplus_uw = t->v[i].surplus_uw
			};

			store_accept(c, &v, c->cfg.ttl_ms);
		} else if (i >= 0) {
			store_refresh(c);
		}
		cur = i;
		lap = l;
		next_t = (size_t)(i + 1) < t->n ? (double)t->v[i + 1].t
						: (double)end;
		wait = (uint64_t)((next_t - tt) / accel * 1000) + 1;
		if (wait > refresh)
			wait = refresh > 10 ? refresh : 10;
		if (wait_ms(s, wait))
			return NULL;
	}
	/* the last value goes stale on its own */
	if (!stopping(s))
		tf_log(TF_LOG_NOTICE, "source %s: end of the trace", c->cfg.name);
	return NULL;
}

/* ---- the module ---------------------------------------------------------- */

static void *module_thread(void *arg)
{
	struct tf_src *c = arg;
	struct tf_sources *s = c->owner;
	struct tf_nl *nl = NULL;
	struct tf_signal_info si;
	struct tf_sigval v, prev = { 0 };
	char err[TF_SIG_ERR];
	uint64_t left, now, set_at, prev_set = 0;
	bool failing = false, seen = false;
	int r;

	do {
		if (!nl) {
			r = tf_nl_open(&nl);
			if (r) {
				nl = NULL;
				store_failure(c, !failing, "netlink: %s",
					      strerror(-r));
				failing = true;
				continue;
			}
		}
		r = tf_nl_signal_get(nl, &si);
		if (r) {
			store_failure(c, !failing, "signal get: %s%s%s",
				      strerror(-r),
				      tf_nl_errmsg(nl)[0] ? ": " : "",
				      tf_nl_errmsg(nl));
			failing = true;
			tf_nl_close(nl);
			nl = NULL;
			continue;
		}
		if (failing)
			tf_log(TF_LOG_INFO, "source %s: module reachable again",
			       c->cfg.name);
		failing = false;
		if (tf_sig_from_module(&si, &v, &left, err, sizeof(err)))
			continue;	/* none, or stale: nothing new */
		now = tf_sources_now_ms();
		set_at = now - si.age_ms;
		/* a new signal: another value, or set at another time */
		if (seen && v.surplus_uw == prev.surplus_uw &&
		    v.carbon_mg_kwh == prev.carbon_mg_kwh &&
		    v.price_ucur_mwh == prev.price_ucur_mwh &&
		    v.timestamp_ns == prev.timestamp_ns &&
		    (set_at > prev_set ? set_at - prev_set
				       : prev_set - set_at) < 1000)
			continue;
		seen = true;
		prev = v;
		prev_set = set_at;
		/* the module's TTL applies, or ours when shorter */
		if (c->cfg.ttl_ms && c->cfg.ttl_ms < left)
			left = c->cfg.ttl_ms;
		store_accept(c, &v, left);
	} while (!wait_ms(s, MODULE_POLL_MS));
	if (nl)
		tf_nl_close(nl);
	return NULL;
}

/* ---- the set ------------------------------------------------------------- */

size_t tf_sources_count(const struct tf_sources *s)
{
	return s ? s->n : 0;
}

void tf_sources_stop(struct tf_sources *s)
{
	uint64_t one = 1;
	size_t i;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	atomic_store(&s->stopping, true);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->stop_fd >= 0 && write(s->stop_fd, &one, sizeof(one)) < 0)
		tf_log(TF_LOG_ERR, "sources: stop: %s", strerror(errno));
	for (i = 0; i < s->n; i++)
		if (s->src[i].multi)
			curl_multi_wakeup(s->src[i].multi);
	for (i = 0; i < s->n; i++)
		if (s->src[i].started)
			pthread_join(s->src[i].thread, NULL);
	for (i = 0; i < s->n; i++) {
		struct tf_src *c = &s->src[i];

		if (c->mosq)
			mosquitto_destroy(c->mosq);
		if (c->multi)
			curl_multi_cleanup(c->multi);
		if (c->easy)
			curl_easy_cleanup(c->easy);
		curl_slist_free_all(c->headers);
		free(c->body);
		tf_csv_free(&c->csv);
	}
	if (s->mosq_init)
		mosquitto_lib_cleanup();
	if (s->curl_init)
		curl_global_cleanup();
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int tf_sources_start(struct tf_sources **out, const struct tf_source_cfg *cfg,
		     size_t n, int wake_fd)
{
	void *(*fn)(void *) = NULL;
	pthread_condattr_t ca;
	struct tf_sources *s;
	size_t i;
	int r = 0;

	*out = NULL;
	s = calloc(1, sizeof(*s) + n * sizeof(s->src[0]));
	if (!s)
		return -ENOMEM;
	s->n = n;
	s->wake_fd = wake_fd;
	atomic_init(&s->stopping, false);
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0) {
		r = -errno;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		s->src[i].owner = s;
		s->src[i].cfg = cfg[i];
		if (cfg[i].kind == TF_SRC_MQTT && !s->mosq_init) {
			mosquitto_lib_init();
			s->mosq_init = true;
		}
		if (cfg[i].kind == TF_SRC_HTTP && !s->curl_init) {
			if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
				r = -ENOMEM;
				goto fail;
			}
			s->curl_init = true;
		}
	}
	for (i = 0; i < n && !r; i++) {
		switch (cfg[i].kind) {
		case TF_SRC_MQTT:
			r = mqtt_setup(&s->src[i]);
			break;
		case TF_SRC_HTTP:
			r = http_setup(&s->src[i]);
			break;
		case TF_SRC_CSV:
			r = csv_setup(&s->src[i]);
			break;
		case TF_SRC_MODULE:
			break;
		default:
			tf_log(TF_LOG_ERR, "source %s: unknown type %d",
			       cfg[i].name, (int)cfg[i].kind);
			r = -EINVAL;
		}
	}
	if (r)
		goto fail;
	for (i = 0; i < n; i++) {
		switch (cfg[i].kind) {
		case TF_SRC_MQTT:
			fn = mqtt_thread;
			break;
		case TF_SRC_HTTP:
			fn = http_thread;
			break;
		case TF_SRC_CSV:
			fn = csv_thread;
			break;
		case TF_SRC_MODULE:
			fn = module_thread;
			break;
		}
		r = -pthread_create(&s->src[i].thread, NULL, fn, &s->src[i]);
		if (r) {
			tf_log(TF_LOG_ERR, "source %s: thread: %s", cfg[i].name,
			       strerror(-r));
			goto fail;
		}
		s->src[i].started = true;
	}
	*out = s;
	return 0;
fail:
	tf_sources_stop(s);
	return r;
}

static bool fresh(const struct tf_src *c, uint64_t now_ms, uint64_t *left)
{
	/* a value that arrived after the caller read its clock: age 0 */
	uint64_t age = now_ms > c->at_ms ? now_ms - c->at_ms : 0;

	if (!c->have || age >= c->ttl_ms)
		return false;
	if (left)
		*left = c->ttl_ms - age;
	return true;
}

bool tf_sources_current(struct tf_sources *s, uint64_t now_ms,
			struct tf_sigval *out)
{
	const struct tf_src *best = NULL, *c;
	uint64_t left = 0, l;
	size_t i;

	if (!s)
		return false;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n; i++) {
		c = &s->src[i];
		if (!fresh(c, now_ms, &l))
			continue;
		if (!best || c->val.surplus_uw < best->val.surplus_uw) {
			best = c;
			left = l;
		}
	}
	if (best) {
		*out = best->val;
		snprintf(out->source, sizeof(out->source), "%s",
			 best->cfg.name);
		out->ttl_left_ms = left;
		for (i = 0; i < s->n; i++) {
			c = &s->src[i];
			if (!fresh(c, now_ms, NULL))
				continue;
			if (!out->has_carbon && c->val.has_carbon) {
				out->has_carbon = true;
				out->carbon_mg_kwh = c->val.carbon_mg_kwh;
			}
			if (!out->has_price && c->val.has_price) {
				out->has_price = true;
				out->price_ucur_mwh = c->val.price_ucur_mwh;
			}
		}
	}
	pthread_mutex_unlock(&s->lock);
	return best;
}

size_t tf_sources_status(struct tf_sources *s, struct tf_source_status *out,
			 size_t max)
{
	uint64_t now = tf_sources_now_ms();
	size_t i;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n && i < max; i++) {
		const struct tf_src *c = &s->src[i];
		struct tf_source_status *st = &out[i];

		memset(st, 0, sizeof(*st));
		snprintf(st->name, sizeof(st->name), "%s", c->cfg.name);
		st->kind = c->cfg.kind;
		st->have = c->have;
		st->fresh = fresh(c, now, NULL);
		st->last = c->val;
		snprintf(st->last.source, sizeof(st->last.source), "%s",
			 c->cfg.name);
		st->age_ms = c->have && now > c->at_ms ? now - c->at_ms : 0;
		st->accepted = c->accepted;
		st->rejected = c->rejected;
		st->failures = c->failures;
		st->connected = c->connected;
		st->connects = c->connects;
		snprintf(st->last_err, sizeof(st->last_err), "%s", c->last_err);
	}
	pthread_mutex_unlock(&s->lock);
	return s->n;
}

int tf_sources_inject(struct tf_sources *s, size_t idx, const void *payload,
		      size_t len)
{
	if (!s || idx >= s->n)
		return -1;
	return ingest(&s->src[idx], payload, len);
}
