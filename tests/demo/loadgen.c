// SPDX-License-Identifier: GPL-2.0
/*
 * tf-loadgen: interactive requests to a tf-worker following a daily demand
 * curve on an accelerated clock (accel 480: a day in 3 minutes). Arrivals
 * are an open-loop Poisson process (lgmath.c), so a slow worker queues
 * requests instead of slowing the load; latency runs from each request's
 * scheduled time to its answer. Per hour of the (simulated) day and in
 * total: requests, errors, p50/p99 latency and SLO attainment, as a table
 * and as JSON (--json FILE, "-" for stdout).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lgmath.h"

static struct {
	char host[256], port[16], path[256];
	double accel, peak_rps, slo_ms, hours, start_hour;
	int prompt_tokens, max_tokens, conns;
	uint64_t seed;
	const char *curve_file, *json;
	bool quiet;
} opt = {
	.host = "127.0.0.1", .port = "8080", .path = "/generate",
	.accel = 480, .peak_rps = 4, .slo_ms = 1000, .hours = 24,
	.prompt_tokens = 32, .max_tokens = 32, .conns = 16, .seed = 1,
};

struct result {
	double lat_ms;
	bool ok, done;
};

static double *sched;		/* wall seconds of each request */
static struct result *res;
static long n_req;
static long next_req;		/* the next one a connection thread takes */
static double t0;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct addrinfo *addr;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now_s();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* One POST; true for an HTTP 200 answer read to its end. */
static bool post(const char *body)
{
	char req[1024], buf[4096];
	struct timeval tv;
	size_t got = 0;
	ssize_t n;
	int fd, len, code = 0;
	bool ok = false;

	fd = socket(addr->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	/* an answer later than ten SLOs (at least 30 s) is a failure */
	tv.tv_sec = (time_t)fmax(30, opt.slo_ms * 10 / 1000);
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, addr->ai_addr, addr->ai_addrlen))
		goto out;
	len = snprintf(req, sizeof(req),
		       "POST %s HTTP/1.1\r\nHost: %s:%s\r\n"
		       "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		       "Connection: close\r\n\r\n%s",
		       opt.path, opt.host, opt.port, strlen(body), body);
	if (send(fd, req, len, MSG_NOSIGNAL) != len)
		goto out;
	/* the status line, then everything until the server closes */
	while ((n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
		got += n;
		if (got == sizeof(buf) - 1) {
			buf[got] = 0;
			if (!code)
				sscanf(buf, "HTTP/%*d.%*d %d", &code);
			got = 0;
		}
	}
	if (n < 0)
		goto out;
	buf[got] = 0;
	if (!code)
		sscanf(buf, "HTTP/%*d.%*d %d", &code);
	ok = code == 200;
out:
	close(fd);
	return ok;
}

static void *conn_thread(void *arg)
{
	char body[128];

	(void)arg;
	snprintf(body, sizeof(body), "{\"prompt_tokens\":%d,\"max_tokens\":%d}",
		 opt.prompt_tokens, opt.max_tokens);
	for (;;) {
		long i;
		bool ok;
		double done;

		pthread_mutex_lock(&lock);
		i = next_req < n_req ? next_req++ : -1;
		pthread_mutex_unlock(&lock);
		if (i < 0)
			return NULL;
		sleep_until(t0 + sched[i]);
		ok = post(body);
		done = now_s();
		pthread_mutex_lock(&lock);
		res[i].lat_ms = (done - t0 - sched[i]) * 1e3;
		res[i].ok = ok;
		res[i].done = true;
		pthread_mutex_unlock(&lock);
	}
}

/* Hour index (from the start) of a wall time. */
static int hour_of(double wall)
{
	return (int)floor(wall * opt.accel / 3600.0 + 1e-9);
}

static void stats_for(int hour, struct lg_stats *st, double *lat)
{
	size_t n_ok = 0, n_err = 0;

	for (long i = 0; i < n_req; i++) {
		if (hour >= 0 && hour_of(sched[i]) != hour)
			continue;
		if (res[i].ok)
			lat[n_ok++] = res[i].lat_ms;
		else
			n_err++;
	}
	lg_summarise(lat, n_ok, n_err, opt.slo_ms, st);
}

static void json_num(FILE *f, const char *key, double v, const char *sep)
{
	if (isfinite(v))
		fprintf(f, "\"%s\":%.3f%s", key, v, sep);
	else
		fprintf(f, "\"%s\":null%s", key, sep);
}

static void json_stats(FILE *f, const struct lg_stats *st)
{
	fprintf(f, "\"requests\":%zu,\"errors\":%zu,\"within_slo\":%zu,",
		st->requests, st->errors, st->within_slo);
	json_num(f, "p50_ms", st->p50_ms, ",");
	json_num(f, "p99_ms", st->p99_ms, ",");
	json_num(f, "slo_attainment", st->attainment, "");
}

static void print_row(FILE *f, const char *label, const struct lg_stats *st)
{
	if (!st->requests) {
		fprintf(f, "%-6s %8d %6d %9s %9s %9s\n", label, 0, 0, "-", "-", "-");
		return;
	}
	fprintf(f, "%-6s %8zu %6zu %9.1f %9.1f %8.2f%%\n", label, st->requests,
		st->errors, st->p50_ms, st->p99_ms, st->attainment * 100);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tf-loadgen [options]\n"
"Interactive requests to tf-worker following a daily demand curve on an\n"
"accelerated clock; latency against an SLO per hour of the day and in total.\n"
"  --url URL          the worker (default http://127.0.0.1:8080/generate)\n"
"  --accel A          day seconds per wall second (default 480: a day in 3 min)\n"
"  --day-curve FILE   24 lines HOUR,VALUE (relative demand at h:00; default:\n"
"                     built in, evening peak at 20:00, trough at 04:00)\n"
"  --peak-rps R       requests per wall second at the curve's peak (default 4)\n"
"  --slo-ms MS        latency objective per request (default 1000)\n"
"  --hours H          simulated hours to run (default 24)\n"
"  --start-hour H     hour of the day to start at (default 0)\n"
"  --prompt-tokens N  per request (default 32)\n"
"  --max-tokens N     per request (default 32)\n"
"  --conns N          concurrent connections at most (default 16)\n"
"  --seed N           of the arrival process (default 1)\n"
"  --json FILE        write the result as JSON (\"-\": stdout, no table)\n"
"  --quiet            no progress lines\n");
}

static int parse_url(const char *url)
{
	const char *p = url, *slash, *colon;

	if (strncmp(p, "http://", 7))
		return -1;
	p += 7;
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	colon = memchr(p, ':', slash - p);
	if ((colon ? colon : slash) == p ||
	    (size_t)((colon ? colon : slash) - p) >= sizeof(opt.host))
		return -1;
	snprintf(opt.host, sizeof(opt.host), "%.*s",
		 (int)((colon ? colon : slash) - p), p);
	if (colon) {
		if (slash - colon - 1 < 1 || slash - colon - 1 > 5)
			return -1;
		snprintf(opt.port, sizeof(opt.port), "%.*s",
			 (int)(slash - colon - 1), colon + 1);
	}
	snprintf(opt.path, sizeof(opt.path), "%s", *slash ? slash : "/generate");
	return 0;
}

static int num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "accel", required_argument, NULL, 'a' },
		{ "day-curve", required_argument, NULL, 'c' },
		{ "peak-rps", required_argument, NULL, 'r' },
		{ "slo-ms", required_argument, NULL, 'S' },
		{ "hours", required_argument, NULL, 'H' },
		{ "start-hour", required_argument, NULL, 's' },
		{ "prompt-tokens", required_argument, NULL, 'P' },
		{ "max-tokens", required_argument, NULL, 'M' },
		{ "conns", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'e' },
		{ "json", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	double v;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'u':
			if (parse_url(optarg))
				goto bad;
			break;
		case 'a':
			if (num(optarg, 1e-3, 1e6, &opt.accel))
				goto bad;
			break;
		case 'c':
			opt.curve_file = optarg;
			break;
		case 'r':
			if (num(optarg, 1e-3, 1e5, &opt.peak_rps))
				goto bad;
			break;
		case 'S':
			if (num(optarg, 1e-3, 1e9, &opt.slo_ms))
				goto bad;
			break;
		case 'H':
			if (num(optarg, 1e-3, 24 * 366, &opt.hours))
				goto bad;
			break;
		case 's':
			if (num(optarg, 0, 23.999, &opt.start_hour))
				goto bad;
			break;
		case 'P':
			if (num(optarg, 1, 256, &v) || v != floor(v))
				goto bad;
			opt.prompt_tokens = (int)v;
			break;
		case 'M':
			if (num(optarg, 0, 256, &v) || v != floor(v))
				goto bad;
			opt.max_tokens = (int)v;
			break;
		case 'n':
			if (num(optarg, 1, 1024, &v) || v != floor(v))
				goto bad;
			opt.conns = (int)v;
			break;
		case 'e':
			if (num(optarg, 0, 1e18, &v) || v != floor(v))
				goto bad;
			opt.seed = (uint64_t)v;
			break;
		case 'j':
			opt.json = optarg;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	usage(stderr);
	return -1;
}

static int load_curve(struct lg_curve *c)
{
	char text[16384], err[128];
	size_t n;
	FILE *f;

	if (!opt.curve_file) {
		lg_curve_builtin(c);
		return 0;
	}
	f = fopen(opt.curve_file, "r");
	if (!f) {
		fprintf(stderr, "tf-loadgen: %s: %s\n", opt.curve_file, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	if (lg_curve_parse(text, c, err, sizeof(err))) {
		fprintf(stderr, "tf-loadgen: %s: %s\n", opt.curve_file, err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct lg_curve curve;
	struct lg_stats st;
	double wall, *lat;
	size_t max;
	pthread_t *th;
	int nh, reported = 0, rc;
	FILE *out = stdout;

	if (parse_opts(argc, argv) || load_curve(&curve))
		return 2;
	rc = getaddrinfo(opt.host, opt.port, &hints, &addr);
	if (rc) {
		fprintf(stderr, "tf-loadgen: %s: %s\n", opt.host, gai_strerror(rc));
		return 2;
	}
	wall = opt.hours * 3600.0 / opt.accel;
	nh = (int)ceil(opt.hours - 1e-9);
	/* room for the peak rate all the time, and some */
	max = (size_t)(opt.peak_rps * wall * 1.2 + 64);
	sched = malloc(max * sizeof(*sched));
	res = calloc(max, sizeof(*res));
	lat = malloc(max * sizeof(*lat));
	th = calloc(opt.conns, sizeof(*th));
	if (!sched || !res || !lat || !th)
		return 1;
	n_req = lg_schedule(&curve, opt.peak_rps, opt.accel, opt.start_hour,
			    wall, opt.seed, sched, max);
	if (n_req < 0)
		return 2;
	if (!opt.quiet)
		fprintf(stderr, "tf-loadgen: %ld requests over %.1f h of day in %.0f s (accel %g), SLO %g ms\n",
			n_req, opt.hours, wall, opt.accel, opt.slo_ms);

	t0 = now_s();
	for (int i = 0; i < opt.conns; i++)
		pthread_create(&th[i], NULL, conn_thread, NULL);
	/* progress: each hour once all of its requests are answered */
	while (reported < nh) {
		bool all = true;
		int h = reported;

		usleep(100000);
		pthread_mutex_lock(&lock);
		for (long i = 0; i < n_req; i++)
			if (hour_of(sched[i]) == h && !res[i].done)
				all = false;
		pthread_mutex_unlock(&lock);
		if (!all || now_s() - t0 < (h + 1) * 3600.0 / opt.accel)
			continue;
		if (!opt.quiet) {
			pthread_mutex_lock(&lock);
			stats_for(h, &st, lat);
			pthread_mutex_unlock(&lock);
			if (st.requests)
				fprintf(stderr, "  hour %02d: %zu requests, p99 %.1f ms, SLO %.1f %%\n",
					((int)opt.start_hour + h) % 24, st.requests,
					st.p99_ms, st.attainment * 100);
			else
				fprintf(stderr, "  hour %02d: no requests\n",
					((int)opt.start_hour + h) % 24);
		}
		reported++;
	}
	for (int i = 0; i < opt.conns; i++)
		pthread_join(th[i], NULL);

	if (opt.json) {
		if (strcmp(opt.json, "-")) {
			out = fopen(opt.json, "w");
			if (!out) {
				fprintf(stderr, "tf-loadgen: %s: %s\n", opt.json, strerror(errno));
				return 1;
			}
		}
		fprintf(out, "{\"slo_ms\":%g,\"accel\":%g,\"peak_rps\":%g,\"start_hour\":%g,\"hours\":[",
			opt.slo_ms, opt.accel, opt.peak_rps, opt.start_hour);
		for (int h = 0; h < nh; h++) {
			stats_for(h, &st, lat);
			fprintf(out, "%s{\"hour\":%d,", h ? "," : "",
				((int)opt.start_hour + h) % 24);
			json_stats(out, &st);
			fputc('}', out);
		}
		stats_for(-1, &st, lat);
		fprintf(out, "],\"total\":{");
		json_stats(out, &st);
		fprintf(out, "}}\n");
		if (out != stdout)
			fclose(out);
	}
	if (!opt.json || strcmp(opt.json, "-")) {
		char label[8];

		printf("%-6s %8s %6s %9s %9s %9s\n", "hour", "requests", "errors",
		       "p50_ms", "p99_ms", "SLO");
		for (int h = 0; h < nh; h++) {
			stats_for(h, &st, lat);
			snprintf(label, sizeof(label), "%02d", ((int)opt.start_hour + h) % 24);
			print_row(stdout, label, &st);
		}
		stats_for(-1, &st, lat);
		print_row(stdout, "total", &st);
	}
	freeaddrinfo(addr);
	free(sched);
	free(res);
	free(lat);
	free(th);
	return 0;
}
