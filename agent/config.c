// SPDX-License-Identifier: GPL-2.0
/*
 * tokenfactoryd.conf, read with libinih and checked strictly: a typo must
 * not quietly leave a host uncapped, so unknown sections and keys, a key
 * given twice, a key the section's type does not use and a string too long
 * for its buffer are all errors, each naming file, line, section and key.
 *
 * libinih splits lines into keys and values; our reader feeds it the lines,
 * counts them (the Debian build calls the handler without a line number)
 * and follows the section headers itself, so that a section with no keys
 * still counts and a long name is never cut to inih's 50 bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <ini.h>
#include <linux/tokenfactory.h>

#include "config.h"
#include "localday.h"
#include "trace.h"
#include "units.h"

/* The longest line: a path of TF_CFG_PATH bytes, its key and a comment. */
#define TF_LINE_MAX	(2 * TF_CFG_PATH)
#define TF_KEYS_MAX	32
#define TF_SECT_MAX	128	/* a section header, for messages */
#define TF_GPU_MAX	1024
#define TF_COMM_MAX	15	/* TASK_COMM_LEN - 1 */

enum tf_ktype {
	K_STR,		/* min: the shortest length allowed */
	K_APATH,	/* an absolute path */
	K_CGROUP,	/* a cgroup path below cgroup_root */
	K_PIDS,		/* an absolute pidfile path, or a process name */
	K_URL,		/* http:// or https:// */
	K_HEADER,	/* "Name: value" */
	K_LISTEN,	/* host:port, or empty */
	K_METRIC,	/* a Prometheus metric name */
	K_POWER,	/* µW */
	K_RATE,		/* µW per second: a power with an optional "/s" */
	K_MS,		/* a duration in ms */
	K_SEC,		/* a duration in whole seconds */
	K_UINT,
	K_MHZ,		/* a number with an optional "MHz" */
	K_DOUBLE,
	K_TIME,		/* UTC seconds, or YYYY-MM-DDTHH:MM:SSZ */
	K_BOOL,
	K_SHARE,	/* "0.25" or "25%", to ppm */
	K_KIND,
	K_SHAPE,
	K_TIER,
	K_LEVER,
	K_PRESET,
	K_LOGLEVEL,
	K_TZ,		/* a time zone tf_tz_valid accepts */
	K_CLOCK,	/* wall | signal */
};

/*
 * Who reads a key: a source key belongs to some of the source types (and
 * HTTP shapes), a GPU key to some levers. Setting a key its section's type
 * does not read is an error, so a misplaced key is never silently ignored.
 */
enum {
	U_MQTT = 1 << 0,
	U_CARBON = 1 << 1,	/* http: watttime, electricitymaps, carbonaware */
	U_JSON = 1 << 2,	/* http: json */
	U_CSV = 1 << 3,
	U_MODULE = 1 << 4,
	U_HTTP = U_CARBON | U_JSON,
	U_SRC_ALL = U_MQTT | U_HTTP | U_CSV | U_MODULE,

	U_LPOWER = 1 << 0,
	U_LCLOCKS = 1 << 1,
	U_LNONE = 1 << 2,
	U_LEVER_ALL = U_LPOWER | U_LCLOCKS | U_LNONE,
};

struct tf_key {
	const char *name;
	unsigned char type;	/* enum tf_ktype */
	unsigned char uses;	/* U_*: 0 for sections without types */
	size_t off;
	size_t size;
	double min, max;	/* range in the stored unit (strings: length) */
};

#define KEY(n, t, s, f, u, lo, hi) \
	{ n, t, u, offsetof(s, f), sizeof(((s *)0)->f), lo, hi }

#define PMAX	((double)TF_POWER_MAX_UW)
#define HOUR	3600000.0
#define DAY	(24 * HOUR)

static const struct tf_key tf_agent_keys[] = {
	KEY("interval", K_MS, struct tf_config, interval_ms, 0, 10, HOUR),
	KEY("max_procs", K_UINT, struct tf_config, max_procs, 0, 1, 4194304),
	KEY("counters", K_BOOL, struct tf_config, counters, 0, 0, 0),
	KEY("gpus", K_BOOL, struct tf_config, gpus, 0, 0, 0),
	KEY("dry_run", K_BOOL, struct tf_config, dry_run, 0, 0, 0),
	KEY("cgroup_root", K_APATH, struct tf_config, cgroup_root, 0, 0, 0),
	KEY("log_level", K_LOGLEVEL, struct tf_config, log_level, 0, 0, 7),
	KEY("timezone", K_TZ, struct tf_config, timezone, 0, 1, 0),
	KEY("clock", K_CLOCK, struct tf_config, clock, 0, 0, 0),
};

static const struct tf_key tf_budget_keys[] = {
	KEY("floor", K_POWER, struct tf_config, budget.floor_uw, 0, 0, PMAX),
	KEY("ceiling", K_POWER, struct tf_config, budget.ceiling_uw, 0, 1, PMAX),
	KEY("share", K_SHARE, struct tf_config, budget.share_ppm, 0, 0, 1000000),
	KEY("ramp", K_RATE, struct tf_config, budget.ramp_uw_s, 0, 0, PMAX),
	KEY("hysteresis", K_POWER, struct tf_config, budget.hysteresis_uw, 0, 0, PMAX),
	KEY("cpu_watts", K_POWER, struct tf_config, cpu_watts_uw, 0, 0, PMAX),
	KEY("cpu_idle_watts", K_POWER, struct tf_config, cpu_idle_uw, 0, 0, PMAX),
	KEY("history", K_APATH, struct tf_config, history, 0, 0, 0),
	KEY("forecast_days", K_UINT, struct tf_config, forecast_days, 0, 1, TF_FC_DAYS_MAX),
	KEY("margin", K_DOUBLE, struct tf_config, quota.margin, 0, 0, 1),
	KEY("fc_trust", K_DOUBLE, struct tf_config, quota.fc_trust, 0, 0, 1),
	KEY("host_max", K_POWER, struct tf_config, host_max_uw, 0, 1, PMAX),
};

static const struct tf_key tf_metrics_keys[] = {
	KEY("listen", K_LISTEN, struct tf_config, listen, 0, 0, 0),
};

#define SRC(n, t, f, u, lo, hi) KEY(n, t, struct tf_source_cfg, f, u, lo, hi)
static const struct tf_key tf_source_keys[] = {
	SRC("type", K_KIND, kind, U_SRC_ALL, 0, 0),
	SRC("ttl", K_MS, ttl_ms, U_SRC_ALL, 1, TF_SIGNAL_TTL_MAX_MS),
	SRC("host", K_STR, host, U_MQTT, 1, 0),
	SRC("port", K_UINT, port, U_MQTT, 1, 65535),
	SRC("topic", K_STR, topic, U_MQTT, 1, 0),
	SRC("client_id", K_STR, client_id, U_MQTT, 1, 0),
	SRC("username", K_STR, username, U_MQTT | U_HTTP, 0, 0),
	SRC("password", K_STR, password, U_MQTT | U_HTTP, 0, 0),
	SRC("cafile", K_APATH, cafile, U_MQTT, 0, 0),
	SRC("keepalive", K_SEC, keepalive_s, U_MQTT, 1, 65535),
	SRC("reconnect_max", K_MS, reconnect_max_ms, U_MQTT, 1000, HOUR),
	SRC("surplus_field", K_STR, surplus_field, U_MQTT | U_JSON, 1, 0),
	SRC("carbon_field", K_STR, carbon_field, U_MQTT | U_JSON, 0, 0),
	SRC("price_field", K_STR, price_field, U_MQTT | U_JSON, 0, 0),
	SRC("url", K_URL, url, U_HTTP, 0, 0),
	SRC("shape", K_SHAPE, shape, U_HTTP, 0, 0),
	SRC("period", K_MS, period_ms, U_HTTP, 1000, DAY),
	SRC("timeout", K_MS, timeout_ms, U_HTTP, 100, HOUR),
	SRC("header", K_HEADER, header, U_HTTP, 0, 0),
	SRC("value_low", K_DOUBLE, value_low, U_CARBON, -1e12, 1e12),
	SRC("value_high", K_DOUBLE, value_high, U_CARBON, -1e12, 1e12),
	SRC("surplus_max", K_POWER, surplus_max_uw, U_CARBON, 1, PMAX),
	SRC("path", K_APATH, path, U_CSV, 0, 0),
	SRC("accel", K_DOUBLE, accel, U_CSV, 1e-6, 1e9),
	SRC("start", K_TIME, start, U_CSV, 0, 0),
	SRC("loop", K_BOOL, loop, U_CSV, 0, 0),
	SRC("replay", K_BOOL, replay, U_MQTT | U_JSON, 0, 0),
};

#define GRP(n, t, f, lo, hi) KEY(n, t, struct tf_group_cfg, f, 0, lo, hi)
static const struct tf_key tf_group_keys[] = {
	GRP("tier", K_TIER, tier, 0, 0),
	GRP("cgroup", K_CGROUP, cgroup, 0, 0),
	GRP("reserved", K_POWER, reserved_uw, 0, PMAX),
	GRP("demand", K_POWER, demand_uw, 0, PMAX),
	GRP("pids", K_PIDS, pids, 0, 0),
	GRP("metrics_url", K_URL, metrics_url, 0, 0),
	GRP("preset", K_PRESET, preset, 0, 0),
	GRP("metric", K_METRIC, metric, 0, 0),
	GRP("quota", K_DOUBLE, quota_tok, 0, 1e15),
	GRP("curve", K_APATH, curve_path, 0, 0),
};

#define GPU(n, t, f, u, lo, hi) KEY(n, t, struct tf_gpu_cfg, f, u, lo, hi)
static const struct tf_key tf_gpu_keys[] = {
	GPU("lever", K_LEVER, lever, U_LEVER_ALL, 0, 0),
	GPU("min_clock", K_MHZ, min_clock_mhz, U_LCLOCKS, 1, 100000),
	GPU("max_clock", K_MHZ, max_clock_mhz, U_LCLOCKS, 1, 100000),
};

enum tf_sect { S_NONE, S_AGENT, S_BUDGET, S_METRICS, S_SOURCE, S_GROUP, S_GPU };

struct tf_section {
	const char *name;
	bool named;
	const struct tf_key *keys;
	size_t nkeys;
};

#define SECT(n, named, k) { n, named, k, sizeof(k) / sizeof(k[0]) }
static const struct tf_section tf_sections[] = {
	[S_AGENT] = SECT("agent", false, tf_agent_keys),
	[S_BUDGET] = SECT("budget", false, tf_budget_keys),
	[S_METRICS] = SECT("metrics", false, tf_metrics_keys),
	[S_SOURCE] = SECT("source", true, tf_source_keys),
	[S_GROUP] = SECT("group", true, tf_group_keys),
	[S_GPU] = SECT("gpu", true, tf_gpu_keys),
};

_Static_assert(sizeof(tf_source_keys) / sizeof(tf_source_keys[0]) <= TF_KEYS_MAX,
	       "TF_KEYS_MAX");

/* Where a section and each of its keys were given (0: not given). */
struct tf_meta {
	int line;
	int key[TF_KEYS_MAX];
};

struct tf_parse {
	struct tf_config *c;
	const char *path;
	FILE *f;
	char *buf;
	size_t bufsz;
	int lineno;

	enum tf_sect sect;
	char sname[TF_SECT_MAX];	/* "source caiso": for messages */
	void *obj;			/* the struct the keys go to */
	struct tf_meta *meta;

	struct tf_meta single[S_GPU + 1];	/* agent, budget, metrics */
	struct tf_meta *src_meta, *grp_meta, *gpu_meta;

	char *err;
	size_t errsz;
	bool failed;
};

/* "FILE:LINE: [SECTION] KEY: what"; the first error wins. Returns 0. */
static int tf_fail(struct tf_parse *p, int line, const char *sect,
		   const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int tf_fail(struct tf_parse *p, int line, const char *sect,
		   const char *key, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;
	int r;

	if (p->failed)
		return 0;
	p->failed = true;
	if (!p->err || !p->errsz)
		return 0;
#define TF_APPEND(...) do { \
		r = snprintf(p->err + n, p->errsz - n, __VA_ARGS__); \
		if (r < 0 || (size_t)r >= p->errsz - n) \
			return 0; \
		n += (size_t)r; \
	} while (0)
	if (line > 0)
		TF_APPEND("%s:%d:", p->path, line);
	else
		TF_APPEND("%s:", p->path);
	if (sect && *sect)
		TF_APPEND(" [%s]", sect);
	if (key)
		TF_APPEND(" %s", key);
	if ((sect && *sect) || key)
		TF_APPEND(":");
	TF_APPEND(" ");
#undef TF_APPEND
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errsz - n, fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- formats for messages and the summary ----------------------------- */

/* v / scale with its decimals, trailing zeros cut: 1500000, 1e6 -> "1.5". */
static const char *tf_fixed(char *b, size_t n, uint64_t v, uint64_t scale)
{
	int w = 0;
	uint64_t f = v % scale, s;
	size_t len;

	for (s = scale; s > 1; s /= 10)
		w++;
	if (!f) {
		snprintf(b, n, "%" PRIu64, v / scale);
		return b;
	}
	if (snprintf(b, n, "%" PRIu64 ".%0*" PRIu64, v / scale, w, f) >= (int)n)
		return b;	/* cut: never with our 32 bytes */
	len = strlen(b);
	while (len && b[len - 1] == '0')
		b[--len] = '\0';
	return b;
}

/* In W, or kW and MW where they are exact enough to read: 1.2kW, 450W. */
static const char *tf_watts(char *b, size_t n, uint64_t uw)
{
	static const struct { uint64_t scale; const char *unit; } u[] = {
		{ 1000000000000ULL, "MW" }, { 1000000000ULL, "kW" }, { 1000000ULL, "W" },
	};
	size_t i, len;

	for (i = 0; i < 2; i++)
		if (uw >= u[i].scale && !(uw % (u[i].scale / 1000)))
			break;
	tf_fixed(b, n, uw, u[i].scale);
	len = strlen(b);
	snprintf(b + len, n - len, "%s", u[i].unit);
	return b;
}

static const char *tf_duration(char *b, size_t n, uint64_t ms)
{
	if (ms && !(ms % 3600000))
		snprintf(b, n, "%" PRIu64 "h", ms / 3600000);
	else if (ms && !(ms % 60000))
		snprintf(b, n, "%" PRIu64 "m", ms / 60000);
	else if (!(ms % 1000))
		snprintf(b, n, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(b, n, "%" PRIu64 "ms", ms);
	return b;
}

/* ---- values ------------------------------------------------------------- */

static void tf_store_uint(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)dst = (uint8_t)v; break;
	case 2: *(uint16_t *)dst = (uint16_t)v; break;
	case 4: *(uint32_t *)dst = (uint32_t)v; break;
	default: *(uint64_t *)dst = v; break;
	}
}

/* A plain unsigned decimal: no sign, no spaces, no hex. */
static int tf_parse_uint(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno)
		return -ERANGE;
	*out = v;
	return 0;
}

static int tf_lookup(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcasecmp(s, names[i]))
			return (int)i;
	return -1;
}

static const char *const tf_kind_names[] = {
	[TF_SRC_MQTT] = "mqtt", [TF_SRC_HTTP] = "http",
	[TF_SRC_CSV] = "csv", [TF_SRC_MODULE] = "module",
};
static const char *const tf_shape_names[] = {
	[TF_HTTP_WATTTIME] = "watttime", [TF_HTTP_EMAPS] = "electricitymaps",
	[TF_HTTP_CARBONAWARE] = "carbonaware", [TF_HTTP_JSON] = "json",
};
static const char *const tf_tier_names[] = {
	[TF_TIER_INTERACTIVE] = "interactive", [TF_TIER_BATCH] = "batch",
	[TF_TIER_BACKGROUND] = "background",
};
static const char *const tf_lever_names[] = {
	[TF_GPU_LEVER_POWER] = "power", [TF_GPU_LEVER_CLOCKS] = "clocks",
	[TF_GPU_LEVER_NONE] = "none",
};
static const char *const tf_preset_names[] = {
	"vllm", "llamacpp", "sglang", "tgi",
};
static const char *const tf_clock_names[] = {
	[TF_CLOCK_WALL] = "wall", [TF_CLOCK_SIGNAL] = "signal",
};
static const char *const tf_level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};
#define NNAMES(a) (sizeof(a) / sizeof((a)[0]))

static const char *tf_name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n && names[v] ? names[v] : "?";
}

static bool tf_metric_name_ok(const char *s)
{
	const char *q;

	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (q = s; *q; q++)
		if (!isalnum((unsigned char)*q) && *q != '_' && *q != ':')
			return false;
	return true;
}

/* Relative, no empty, "." or ".." component: it must stay below the root. */
static bool tf_cgroup_ok(const char *s)
{
	const char *q = s;
	size_t len;

	if (!*s || *s == '/')
		return false;
	while (*q) {
		len = strcspn(q, "/");
		if (!len || (len == 1 && q[0] == '.') ||
		    (len == 2 && q[0] == '.' && q[1] == '.'))
			return false;
		q += len;
		if (*q == '/' && !*++q)
			return false;
	}
	return true;
}

static bool tf_listen_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;

	if (!colon || colon == s)
		return false;
	if (s[0] == '[' && colon[-1] != ']')
		return false;	/* IPv6: [::1]:9464 */
	return !tf_parse_uint(colon + 1, &port) && port >= 1 && port <= 65535;
}

/* UTC seconds since the epoch, or an ISO 8601 UTC time. */
static int tf_parse_time(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	const char *end;
	uint64_t v;

	if (!tf_parse_uint(s, &v)) {
		if (v > INT64_MAX)
			return -ERANGE;
		*out = (int64_t)v;
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (strcmp(end, "Z") && strcmp(end, "+00:00")))
		return -EINVAL;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* "0.25" or "25%", exactly, to parts per million. */
static int tf_parse_share(const char *s, uint32_t *ppm)
{
	size_t len = strlen(s);
	char num[64];
	int64_t v;

	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	if (num[len - 1] == '%') {
		num[len - 1] = '\0';
		if (tf_parse_fixed(num, 10000, &v))
			return -EINVAL;
	} else if (tf_parse_fixed(num, 1000000, &v)) {
		return -EINVAL;
	}
	if (v < 0 || v > 1000000)
		return -ERANGE;
	*ppm = (uint32_t)v;
	return 0;
}

/* Parses one value into its field; on error fills p's message. */
static int tf_set(struct tf_parse *p, const struct tf_key *k, const char *v)
{
	char *dst = (char *)p->obj + k->off;
	size_t len = strlen(v);
	uint64_t u = 0;
	double d;
	char *end;
	int64_t t;
	int i, err;

#define FAIL(...) tf_fail(p, p->lineno, p->sname, k->name, __VA_ARGS__)
	switch (k->type) {
	case K_TZ:
		if (len >= k->size)
			return FAIL("too long (%zu characters, at most %zu)",
				    len, k->size - 1);
		if (!tf_tz_valid(v))
			return FAIL("unknown time zone '%s' (a tzdata name such as America/Los_Angeles, UTC, or a POSIX TZ rule)",
				    v);
		memcpy(dst, v, len + 1);
		return 1;
	case K_CLOCK:
		i = tf_lookup(v, tf_clock_names, NNAMES(tf_clock_names));
		if (i < 0)
			return FAIL("unknown clock '%s' (wall or signal)", v);
		*(enum tf_clock *)dst = (enum tf_clock)i;
		return 1;
	case K_STR:
	case K_APATH:
	case K_CGROUP:
	case K_PIDS:
	case K_URL:
	case K_HEADER:
	case K_LISTEN:
	case K_METRIC:
		if (len >= k->size)
			return FAIL("too long (%zu characters, at most %zu)",
				    len, k->size - 1);
		if (len < (size_t)k->min)
			return FAIL("empty");
		if (k->type == K_APATH && v[0] != '/')
			return FAIL("'%s' is not an absolute path", v);
		if (k->type == K_CGROUP && !tf_cgroup_ok(v))
			return FAIL("'%s' is not a cgroup path below cgroup_root (relative, no '..')",
				    v);
		if (k->type == K_PIDS && v[0] != '/' &&
		    (!len || len > TF_COMM_MAX || strchr(v, '/')))
			return FAIL("'%s' is neither an absolute pidfile path nor a process name (at most %d characters)",
				    v, TF_COMM_MAX);
		if (k->type == K_URL && strncmp(v, "http://", 7) &&
		    strncmp(v, "https://", 8))
			return FAIL("'%s' is not an http:// or https:// URL", v);
		if (k->type == K_HEADER && (!strchr(v, ':') || v[0] == ':'))
			return FAIL("'%s' is not an HTTP header 'Name: value'", v);
		if (k->type == K_LISTEN && len && !tf_listen_ok(v))
			return FAIL("'%s' is not HOST:PORT", v);
		if (k->type == K_METRIC && !tf_metric_name_ok(v))
			return FAIL("'%s' is not a Prometheus metric name", v);
		memcpy(dst, v, len + 1);
		return 1;
	case K_POWER:
	case K_RATE:
		if (k->type == K_RATE && len > 2 && !strcmp(v + len - 2, "/s")) {
			char num[64];

			if (len - 2 >= sizeof(num))
				return FAIL("bad power '%s'", v);
			memcpy(num, v, len - 2);
			num[len - 2] = '\0';
			err = tf_parse_power_uw(num, &u);
		} else {
			err = tf_parse_power_uw(v, &u);
		}
		if (err)
			return FAIL("bad power '%s' (a number and W, kW, mW, uW or MW: 250W, 1.5kW)",
				    v);
		break;
	case K_MS:
	case K_SEC:
		if (tf_parse_duration_ms(v, &u))
			return FAIL("bad duration '%s' (a number and ms, s, m or h: 500ms, 30s, 5m)",
				    v);
		if (k->type == K_SEC) {
			if (u % 1000)
				return FAIL("'%s' is not a whole number of seconds", v);
			u /= 1000;
		}
		break;
	case K_UINT:
		if (tf_parse_uint(v, &u))
			return FAIL("bad number '%s'", v);
		break;
	case K_MHZ:
		if (len > 3 && !strcasecmp(v + len - 3, "MHz")) {
			char num[32];

			if (len - 3 >= sizeof(num))
				return FAIL("bad clock '%s' (MHz: 1410, 1410MHz)", v);
			memcpy(num, v, len - 3);
			num[len - 3] = '\0';
			err = tf_parse_uint(num, &u);
		} else {
			err = tf_parse_uint(v, &u);
		}
		if (err)
			return FAIL("bad clock '%s' (MHz: 1410, 1410MHz)", v);
		break;
	case K_DOUBLE:
		errno = 0;
		d = strtod(v, &end);
		if (!len || *end || errno || !isfinite(d) || isspace((unsigned char)*v))
			return FAIL("bad number '%s'", v);
		if (d < k->min || d > k->max)
			return FAIL("%s is out of range (%g to %g)", v, k->min, k->max);
		*(double *)dst = d;
		return 1;
	case K_TIME:
		if (tf_parse_time(v, &t))
			return FAIL("bad time '%s' (UTC seconds, or 2024-04-15T00:00:00Z)", v);
		*(int64_t *)dst = t;
		return 1;
	case K_BOOL:
		if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
		    !strcmp(v, "1") || !strcasecmp(v, "on"))
			*(bool *)dst = true;
		else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
			 !strcmp(v, "0") || !strcasecmp(v, "off"))
			*(bool *)dst = false;
		else
			return FAIL("bad boolean '%s' (yes or no)", v);
		return 1;
	case K_SHARE:
		if (tf_parse_share(v, (uint32_t *)dst))
			return FAIL("bad share '%s' (a fraction 0 to 1, or a percentage: 0.25, 25%%)",
				    v);
		return 1;
	case K_KIND:
		i = tf_lookup(v, tf_kind_names, NNAMES(tf_kind_names));
		if (i < 0)
			return FAIL("unknown type '%s' (mqtt, http, csv or module)", v);
		*(enum tf_source_kind *)dst = (enum tf_source_kind)i;
		return 1;
	case K_SHAPE:
		i = tf_lookup(v, tf_shape_names, NNAMES(tf_shape_names));
		if (i < 0)
			return FAIL("unknown shape '%s' (watttime, electricitymaps, carbonaware or json)",
				    v);
		*(enum tf_http_shape *)dst = (enum tf_http_shape)i;
		return 1;
	case K_TIER:
		i = tf_lookup(v, tf_tier_names, NNAMES(tf_tier_names));
		if (i < 0)
			return FAIL("unknown tier '%s' (interactive, batch or background)", v);
		*(uint32_t *)dst = (uint32_t)i;
		return 1;
	case K_LEVER:
		i = tf_lookup(v, tf_lever_names, NNAMES(tf_lever_names));
		if (i < 0)
			return FAIL("unknown lever '%s' (power, clocks or none)", v);
		*(enum tf_gpu_lever *)dst = (enum tf_gpu_lever)i;
		return 1;
	case K_PRESET:
		i = tf_lookup(v, tf_preset_names, NNAMES(tf_preset_names));
		if (i < 0)
			return FAIL("unknown preset '%s' (vllm, llamacpp, sglang or tgi)", v);
		strcpy(dst, tf_preset_names[i]);
		return 1;
	case K_LOGLEVEL:
		i = tf_lookup(v, tf_level_names, NNAMES(tf_level_names));
		if (i < 0) {
			if (tf_parse_uint(v, &u) || u > 7)
				return FAIL("bad log level '%s' (0 to 7, or err, warning, notice, info, debug)",
					    v);
			i = (int)u;
		}
		*(int *)dst = i;
		return 1;
	}
	/* the integers: range, then store */
	if (u < (uint64_t)k->min || u > (uint64_t)k->max) {
		char lo[32], hi[32];

		if (k->type == K_POWER || k->type == K_RATE) {
			tf_watts(hi, sizeof(hi), (uint64_t)k->max);
			return FAIL("'%s' is out of range (%sat most %s)", v,
				    k->min ? "more than 0W, " : "", hi);
		} else if (k->type == K_MS || k->type == K_SEC) {
			uint64_t scale = k->type == K_SEC ? 1000 : 1;

			tf_duration(lo, sizeof(lo), (uint64_t)k->min * scale);
			tf_duration(hi, sizeof(hi), (uint64_t)k->max * scale);
		} else {
			snprintf(lo, sizeof(lo), "%" PRIu64, (uint64_t)k->min);
			snprintf(hi, sizeof(hi), "%" PRIu64, (uint64_t)k->max);
		}
		return FAIL("'%s' is out of range (%s to %s)", v, lo, hi);
	}
	tf_store_uint(dst, k->size, u);
	return 1;
#undef FAIL
}

/* ---- sections ----------------------------------------------------------- */

static void tf_source_defaults(struct tf_source_cfg *s)
{
	char host[256];

	memset(s, 0, sizeof(*s));
	strcpy(s->host, "localhost");
	s->port = 1883;
	if (gethostname(host, sizeof(host)))
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(s->client_id, sizeof(s->client_id), "tokenfactoryd-%s", host);
	s->keepalive_s = 30;
	s->reconnect_max_ms = 30000;
	strcpy(s->surplus_field, "surplus_w");
	strcpy(s->carbon_field, "carbon_g_kwh");
	strcpy(s->price_field, "price_mwh");
	s->period_ms = 300000;
	s->timeout_ms = 10000;
	s->accel = 1.0;
}

static bool tf_name_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* Grows an array of the config and its meta array by one zeroed entry. */
static void *tf_grow(struct tf_parse *p, void **arr, size_t elsz,
		     struct tf_meta **meta, size_t n)
{
	void *a = realloc(*arr, (n + 1) * elsz);
	struct tf_meta *m;

	if (!a)
		return NULL;
	*arr = a;
	m = realloc(*meta, (n + 1) * sizeof(*m));
	if (!m)
		return NULL;
	*meta = m;
	memset(&m[n], 0, sizeof(m[n]));
	m[n].line = p->lineno;
	p->meta = &m[n];
	memset((char *)a + n * elsz, 0, elsz);
	return (char *)a + n * elsz;
}

/* A "[kind name]" header; text is what is between the brackets. */
static void tf_section_begin(struct tf_parse *p, char *text)
{
	struct tf_config *c = p->c;
	char *kind, *name, *q;
	unsigned int i, idx = 0;
	size_t n;
	uint64_t u;

	p->sect = S_NONE;
	p->obj = NULL;
	p->meta = NULL;
	while (isspace((unsigned char)*text))
		text++;
	for (q = text + strlen(text); q > text && isspace((unsigned char)q[-1]); )
		*--q = '\0';
	kind = text;
	name = text + strcspn(text, " \t");
	if (*name) {
		*name++ = '\0';
		while (isspace((unsigned char)*name))
			name++;
	}
	snprintf(p->sname, sizeof(p->sname), "%s%s%s", kind, *name ? " " : "", name);

	for (i = S_AGENT; i <= S_GPU; i++)
		if (!strcmp(kind, tf_sections[i].name))
			break;
	if (i > S_GPU) {
		tf_fail(p, p->lineno, p->sname, NULL,
			"unknown section (agent, budget, metrics, source NAME, group NAME, gpu N)");
		return;
	}
	if (!tf_sections[i].named) {
		if (*name) {
			tf_fail(p, p->lineno, p->sname, NULL, "takes no name: [%s]", kind);
			return;
		}
		if (p->single[i].line) {
			tf_fail(p, p->lineno, p->sname, NULL,
				"section given twice (first at line %d)", p->single[i].line);
			return;
		}
		p->single[i].line = p->lineno;
		p->meta = &p->single[i];
		p->obj = c;
		p->sect = i;
		return;
	}
	if (!*name) {
		tf_fail(p, p->lineno, p->sname, NULL, "needs a name: [%s %s]", kind,
			i == S_GPU ? "N" : "NAME");
		return;
	}
	if (i == S_GPU) {
		if (tf_parse_uint(name, &u) || u >= TF_GPU_MAX) {
			tf_fail(p, p->lineno, p->sname, NULL,
				"'%s' is not a GPU index (0 to %d)", name, TF_GPU_MAX - 1);
			return;
		}
		idx = (unsigned int)u;
	} else if (strlen(name) >= TF_CFG_NAME) {
		tf_fail(p, p->lineno, p->sname, NULL,
			"name longer than %d characters", TF_CFG_NAME - 1);
		return;
	} else if (!tf_name_ok(name)) {
		tf_fail(p, p->lineno, p->sname, NULL,
			"name '%s' has characters other than letters, digits, '_', '.' and '-'",
			name);
		return;
	}

	switch (i) {
	case S_SOURCE:
		for (n = 0; n < c->nsources; n++)
			if (!strcmp(c->sources[n].name, name))
				goto dup;
		p->obj = tf_grow(p, (void **)&c->sources, sizeof(*c->sources),
				 &p->src_meta, c->nsources);
		if (!p->obj)
			goto nomem;
		tf_source_defaults(p->obj);
		strcpy(c->sources[c->nsources++].name, name);
		break;
	case S_GROUP:
		for (n = 0; n < c->ngroups; n++)
			if (!strcmp(c->groups[n].name, name))
				goto dup;
		p->obj = tf_grow(p, (void **)&c->groups, sizeof(*c->groups),
				 &p->grp_meta, c->ngroups);
		if (!p->obj)
			goto nomem;
		strcpy(c->groups[c->ngroups++].name, name);
		break;
	case S_GPU:
		for (n = 0; n < c->ngpu; n++)
			if (c->gpu[n].index == idx)
				goto dup;
		p->obj = tf_grow(p, (void **)&c->gpu, sizeof(*c->gpu),
				 &p->gpu_meta, c->ngpu);
		if (!p->obj)
			goto nomem;
		c->gpu[c->ngpu].index = idx;
		c->gpu[c->ngpu++].lever = TF_GPU_LEVER_POWER;
		break;
	}
	p->sect = i;
	return;
dup:
	tf_fail(p, p->lineno, p->sname, NULL, "%s given twice (first at line %d)",
		i == S_GPU ? "GPU" : "name",
		(i == S_SOURCE ? p->src_meta : i == S_GROUP ? p->grp_meta : p->gpu_meta)[n].line);
	return;
nomem:
	p->obj = NULL;
	tf_fail(p, p->lineno, p->sname, NULL, "out of memory");
}

/* ---- libinih's reader and handler --------------------------------------- */

/*
 * fgets() for libinih, one line a call, so p->lineno is the line the
 * handler is called for. Section headers are classified as libinih does
 * (after whitespace; a " ;" comment before the ']' is an error).
 */
static char *tf_reader(char *str, int num, void *stream)
{
	struct tf_parse *p = stream;
	char *s, *end;
	ssize_t n;
	int was_space = 0;

	if (p->failed)
		return NULL;	/* stop at the first error */
	errno = 0;
	n = getline(&p->buf, &p->bufsz, p->f);
	if (n < 0) {
		/*
		 * Not the end of the file: getline() could not grow its
		 * buffer (ENOMEM sets no error flag). Taken for the end, the
		 * rest of the file would be silently left out.
		 */
		if (!feof(p->f))
			tf_fail(p, p->lineno + 1, p->sname, NULL, "%s",
				strerror(errno ? errno : EIO));
		return NULL;
	}
	p->lineno++;
	if (n > num - 1) {
		tf_fail(p, p->lineno, p->sname, NULL,
			"line longer than %d characters", num - 2);
		return NULL;
	}
	if (strlen(p->buf) != (size_t)n) {
		tf_fail(p, p->lineno, p->sname, NULL, "NUL character in line");
		return NULL;
	}
	memcpy(str, p->buf, (size_t)n + 1);

	s = p->buf;
	if (p->lineno == 1 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '[')
		return str;
	for (end = s + 1; *end && *end != ']' && !(was_space && *end == ';'); end++)
		was_space = isspace((unsigned char)*end);
	if (*end != ']') {
		tf_fail(p, p->lineno, p->sname, NULL,
			"section header without its ']'");
		return NULL;
	}
	*end++ = '\0';
	while (isspace((unsigned char)*end))
		end++;
	if (*end && *end != ';' && *end != '#') {
		tf_fail(p, p->lineno, s + 1, NULL, "text after the section header");
		return NULL;
	}
	tf_section_begin(p, s + 1);
	return p->failed ? NULL : str;
}

static int tf_handler(void *user, const char *section, const char *name,
		     const char *value)
{
	struct tf_parse *p = user;
	const struct tf_section *sect;
	size_t i;

	(void)section;	/* ours is p->sname: libinih's is cut at 50 bytes */
	if (p->failed)
		return 0;
	if (p->sect == S_NONE)
		return tf_fail(p, p->lineno, NULL, name,
			       "outside any section (start with [agent], [budget], [source NAME], ...)");
	sect = &tf_sections[p->sect];
	for (i = 0; i < sect->nkeys; i++)
		if (!strcmp(name, sect->keys[i].name))
			break;
	if (i == sect->nkeys)
		return tf_fail(p, p->lineno, p->sname, name, "unknown key");
	if (p->meta->key[i])
		return tf_fail(p, p->lineno, p->sname, name,
			       "given twice (first at line %d)", p->meta->key[i]);
	p->meta->key[i] = p->lineno;
	return tf_set(p, &sect->keys[i], value);
}

/* ---- checks after parsing ----------------------------------------------- */

static int tf_key_index(const struct tf_key *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(keys[i].name, name))
			return (int)i;
	return -1;	/* not reached: names are ours */
}

#define SRC_LINE(m, k) ((m)->key[tf_key_index(tf_source_keys, NNAMES(tf_source_keys), k)])
#define GRP_LINE(m, k) ((m)->key[tf_key_index(tf_group_keys, NNAMES(tf_group_keys), k)])
#define GPU_LINE(m, k) ((m)->key[tf_key_index(tf_gpu_keys, NNAMES(tf_gpu_keys), k)])
#define BUD_LINE(m, k) ((m)->key[tf_key_index(tf_budget_keys, NNAMES(tf_budget_keys), k)])

/* Every key given in a section must be one its type reads. */
/* Every key given in a section must be one its type reads. */
static int tf_check_uses(struct tf_parse *p, const char *sname,
			 const struct tf_meta *m, const struct tf_key *keys,
			 size_t n, unsigned int use, const char *what)
{
	size_t i, bad = n;

	/* the first in the file, not in our table */
	for (i = 0; i < n; i++)
		if (m->key[i] && !(keys[i].uses & use) &&
		    (bad == n || m->key[i] < m->key[bad]))
			bad = i;
	if (bad < n)
		return tf_fail(p, m->key[bad], sname, keys[bad].name,
			       "not used by %s", what);
	return 1;
}

static int tf_check_source(struct tf_parse *p, struct tf_source_cfg *s,
			   const struct tf_meta *m)
{
	char sname[TF_SECT_MAX], what[64];
	unsigned int use;

	snprintf(sname, sizeof(sname), "source %s", s->name);
	if (!s->kind)
		return tf_fail(p, m->line, sname, "type",
			       "missing (mqtt, http, csv or module)");
	switch (s->kind) {
	case TF_SRC_MQTT:
		if (!s->topic[0])
			return tf_fail(p, m->line, sname, "topic",
				       "missing (an mqtt source needs its topic)");
		use = U_MQTT;
		break;
	case TF_SRC_HTTP:
		if (!s->url[0])
			return tf_fail(p, m->line, sname, "url",
				       "missing (an http source needs its url)");
		if (!s->shape)
			return tf_fail(p, m->line, sname, "shape",
				       "missing (watttime, electricitymaps, carbonaware or json)");
		use = s->shape == TF_HTTP_JSON ? U_JSON : U_CARBON;
		break;
	case TF_SRC_CSV:
		if (!s->path[0])
			return tf_fail(p, m->line, sname, "path",
				       "missing (a csv source needs the trace's path)");
		use = U_CSV;
		break;
	default:
		use = U_MODULE;
		break;
	}
	if (s->kind == TF_SRC_HTTP)
		snprintf(what, sizeof(what), "http sources of shape %s",
			 tf_name_of(tf_shape_names, NNAMES(tf_shape_names), s->shape));
	else
		snprintf(what, sizeof(what), "%s sources",
			 tf_name_of(tf_kind_names, NNAMES(tf_kind_names), s->kind));
	if (!tf_check_uses(p, sname, m, tf_source_keys, NNAMES(tf_source_keys),
			   use, what))
		return 0;

	if (use == U_CARBON) {
		/* no watts in a carbon signal: the map needs its range */
		if (!SRC_LINE(m, "value_low"))
			return tf_fail(p, m->line, sname, "value_low",
				       "missing (at or below it, the surplus is surplus_max)");
		if (!SRC_LINE(m, "value_high"))
			return tf_fail(p, m->line, sname, "value_high",
				       "missing (needed to map %s values to a surplus)",
				       tf_shape_names[s->shape]);
		if (!(s->value_low < s->value_high))
			return tf_fail(p, SRC_LINE(m, "value_high"), sname, "value_high",
				       "%g is not above value_low (%g)",
				       s->value_high, s->value_low);
		if (!SRC_LINE(m, "surplus_max"))
			return tf_fail(p, m->line, sname, "surplus_max",
				       "missing (the surplus a value at value_low stands for)");
	}
	if (s->kind == TF_SRC_MQTT && s->cafile[0] && !SRC_LINE(m, "port"))
		s->port = 8883;	/* MQTT over TLS */
	if (!SRC_LINE(m, "ttl")) {
		switch (s->kind) {
		case TF_SRC_MQTT:
			s->ttl_ms = 120000;
			break;
		case TF_SRC_HTTP:
			/* three polls may fail before the value is stale */
			s->ttl_ms = 3 * s->period_ms;
			if (s->ttl_ms > TF_SIGNAL_TTL_MAX_MS)
				s->ttl_ms = TF_SIGNAL_TTL_MAX_MS;
			break;
		case TF_SRC_CSV:
			s->ttl_ms = 900000;
			break;
		default:
			s->ttl_ms = 0;	/* the module's own */
			break;
		}
	} else if (s->kind == TF_SRC_HTTP && s->ttl_ms <= s->period_ms) {
		char a[32], b[32];

		tf_duration(a, sizeof(a), s->ttl_ms);
		tf_duration(b, sizeof(b), s->period_ms);
		return tf_fail(p, SRC_LINE(m, "ttl"), sname, "ttl",
			       "%s is not longer than the period (%s): the value would go stale between polls",
			       a, b);
	}
	return 1;
}

static int tf_check_group(struct tf_parse *p, struct tf_group_cfg *g,
			  const struct tf_meta *m)
{
	char sname[TF_SECT_MAX];

	snprintf(sname, sizeof(sname), "group %s", g->name);
	if (!g->tier)
		return tf_fail(p, m->line, sname, "tier",
			       "missing (interactive, batch or background)");
	if (GRP_LINE(m, "reserved") && g->tier != TF_TIER_INTERACTIVE)
		return tf_fail(p, GRP_LINE(m, "reserved"), sname, "reserved",
			       "only interactive groups have reserved power");
	if ((g->preset[0] || g->metric[0]) && !g->metrics_url[0])
		return tf_fail(p, m->line, sname, "metrics_url",
			       "missing (%s needs the worker's Prometheus endpoint)",
			       g->metric[0] ? "metric" : "preset");
	if (g->metrics_url[0] && !g->preset[0] && !g->metric[0])
		return tf_fail(p, GRP_LINE(m, "metrics_url"), sname, "preset",
			       "missing (metrics_url needs a preset or a metric to read)");
	if (GRP_LINE(m, "quota") && g->tier != TF_TIER_BATCH)
		return tf_fail(p, GRP_LINE(m, "quota"), sname, "quota",
			       "only batch groups have a quota");
	if (g->curve_path[0]) {
		char why[TF_CFG_PATH + 256];
		FILE *f = fopen(g->curve_path, "re");

		if (!f)
			return tf_fail(p, GRP_LINE(m, "curve"), sname, "curve",
				       "%s: %s", g->curve_path, strerror(errno));
		if (tf_curve_read(f, g->curve_path, &g->curve, why, sizeof(why))) {
			fclose(f);
			return tf_fail(p, GRP_LINE(m, "curve"), sname, "curve", "%s", why);
		}
		fclose(f);
	}
	if (g->quota_tok > 0 && !g->curve.n)
		return tf_fail(p, m->line, sname, "curve",
			       "missing (a quota needs the worker's curve, power_w,tokens_per_s)");
	return 1;
}

static int tf_check_gpu(struct tf_parse *p, const struct tf_gpu_cfg *g,
			const struct tf_meta *m)
{
	static const unsigned int use[] = {
		[TF_GPU_LEVER_POWER] = U_LPOWER, [TF_GPU_LEVER_CLOCKS] = U_LCLOCKS,
		[TF_GPU_LEVER_NONE] = U_LNONE,
	};
	char sname[TF_SECT_MAX], what[32];

	snprintf(sname, sizeof(sname), "gpu %u", g->index);
	snprintf(what, sizeof(what), "the %s lever", tf_lever_names[g->lever]);
	if (!tf_check_uses(p, sname, m, tf_gpu_keys, NNAMES(tf_gpu_keys),
			   use[g->lever], what))
		return 0;
	if (g->lever != TF_GPU_LEVER_CLOCKS)
		return 1;
	if (!g->min_clock_mhz)
		return tf_fail(p, m->line, sname, "min_clock",
			       "missing (the clocks lever locks SM clocks in [min_clock, max_clock])");
	if (!g->max_clock_mhz)
		return tf_fail(p, m->line, sname, "max_clock",
			       "missing (the clocks lever locks SM clocks in [min_clock, max_clock])");
	if (g->min_clock_mhz > g->max_clock_mhz)
		return tf_fail(p, GPU_LINE(m, "min_clock"), sname, "min_clock",
			       "%" PRIu32 " MHz is above max_clock (%" PRIu32 " MHz)",
			       g->min_clock_mhz, g->max_clock_mhz);
	return 1;
}

static int tf_check(struct tf_parse *p)
{
	struct tf_config *c = p->c;
	const struct tf_meta *bm = &p->single[S_BUDGET];
	char a[32], b[32];
	size_t i;

	/* no floor given: the host is held at its ceiling, surplus or not */
	if (!BUD_LINE(bm, "floor"))
		c->budget.floor_uw = c->budget.ceiling_uw;
	if (c->budget.floor_uw > c->budget.ceiling_uw)
		return tf_fail(p, BUD_LINE(bm, "floor"), "budget", "floor",
			       "%s is above the ceiling (%s)",
			       tf_watts(a, sizeof(a), c->budget.floor_uw),
			       tf_watts(b, sizeof(b), c->budget.ceiling_uw));
	if (!BUD_LINE(bm, "host_max"))
		c->host_max_uw = c->budget.ceiling_uw;
	if (c->history[0]) {
		char why[TF_CFG_PATH + 256];
		struct tf_series se;
		FILE *f = fopen(c->history, "re");
		int r;

		if (!f)
			return tf_fail(p, BUD_LINE(bm, "history"), "budget", "history",
				       "%s: %s", c->history, strerror(errno));
		r = tf_series_read(f, c->history, &se, why, sizeof(why));
		fclose(f);
		if (r)
			return tf_fail(p, BUD_LINE(bm, "history"), "budget", "history",
				       "%s", why);
		tf_series_free(&se);
	}
	for (i = 0; i < c->nsources; i++)
		if (!tf_check_source(p, &c->sources[i], &p->src_meta[i]))
			return 0;
	for (i = 0; i < c->ngroups; i++)
		if (!tf_check_group(p, &c->groups[i], &p->grp_meta[i]))
			return 0;
	for (i = 0; i < c->ngpu; i++)
		if (!tf_check_gpu(p, &c->gpu[i], &p->gpu_meta[i]))
			return 0;
	return 1;
}

/* ---- API ---------------------------------------------------------------- */

void tf_config_defaults(struct tf_config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ms = 1000;
	c->max_procs = 16384;
	c->counters = true;
	c->gpus = true;
	strcpy(c->cgroup_root, "/sys/fs/cgroup");
	c->log_level = 6;
	c->budget.ceiling_uw = TF_POWER_MAX_UW;
	c->budget.floor_uw = TF_POWER_MAX_UW;
	c->budget.share_ppm = 1000000;
	c->forecast_days = 7;
	c->quota.margin = 0.01;
	c->quota.fc_trust = 1;
	c->host_max_uw = TF_POWER_MAX_UW;
	strcpy(c->timezone, "UTC");
	c->clock = TF_CLOCK_WALL;
}

int tf_config_load(const char *path, struct tf_config *c, char *err,
		   size_t errsz)
{
	struct tf_parse p = {
		.c = c, .path = path, .err = err, .errsz = errsz,
	};
	int ret;

	tf_config_defaults(c);
	if (err && errsz)
		err[0] = '\0';
	p.f = fopen(path, "re");
	if (!p.f) {
		tf_fail(&p, 0, NULL, NULL, "%s", strerror(errno));
		return -1;
	}
	/*
	 * Debian builds libinih with run-time options: room for our longest
	 * values, no continuation lines (an indented key would continue the
	 * one above it), and stop at the first error, so the line our reader
	 * holds is the one libinih rejects.
	 */
	ini_max_line = TF_LINE_MAX;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	ret = ini_parse_stream(tf_reader, &p, tf_handler, &p);
	if (!p.failed && ferror(p.f))
		tf_fail(&p, p.lineno + 1, p.sname, NULL, "read error");
	if (!p.failed && ret > 0) {
		char text[48];
		char *s = p.buf;

		while (isspace((unsigned char)*s))
			s++;
		snprintf(text, sizeof(text), "%s", s);
		text[strcspn(text, "\r\n")] = '\0';
		tf_fail(&p, ret, p.sname, NULL,
			"expected KEY = VALUE or [SECTION], got '%s%s'", text,
			strlen(s) > sizeof(text) - 1 ? "..." : "");
	} else if (!p.failed && ret < 0) {
		tf_fail(&p, p.lineno, NULL, NULL, "out of memory");
	}
	if (!p.failed)
		tf_check(&p);
	fclose(p.f);
	free(p.buf);
	free(p.src_meta);
	free(p.grp_meta);
	free(p.gpu_meta);
	return p.failed ? -1 : 0;
}

void tf_config_free(struct tf_config *c)
{
	free(c->sources);
	free(c->groups);
	free(c->gpu);
	c->sources = NULL;
	c->groups = NULL;
	c->gpu = NULL;
	c->nsources = c->ngroups = c->ngpu = 0;
}

/* ---- tokenfactoryd --check-config --------------------------------------- */

static void tf_print_source(FILE *out, const struct tf_source_cfg *s)
{
	char a[32], b[32];

	fprintf(out, "source %s: %s", s->name,
		tf_name_of(tf_kind_names, NNAMES(tf_kind_names), s->kind));
	switch (s->kind) {
	case TF_SRC_MQTT:
		fprintf(out, " %s:%u%s topic %s", s->host, s->port,
			s->cafile[0] ? " (TLS)" : "", s->topic);
		break;
	case TF_SRC_HTTP:
		fprintf(out, " %s %s every %s",
			tf_name_of(tf_shape_names, NNAMES(tf_shape_names), s->shape),
			s->url, tf_duration(a, sizeof(a), s->period_ms));
		if (s->shape != TF_HTTP_JSON)
			fprintf(out, ", %g..%g -> %s..0", s->value_low, s->value_high,
				tf_watts(b, sizeof(b), s->surplus_max_uw));
		break;
	case TF_SRC_CSV:
		fprintf(out, " %s at %gx%s", s->path, s->accel, s->loop ? ", looped" : "");
		break;
	default:
		break;
	}
	if (s->ttl_ms)
		fprintf(out, ", ttl %s", tf_duration(a, sizeof(a), s->ttl_ms));
	fputc('\n', out);
}

int tf_config_check(const char *path, FILE *out)
{
	struct tf_config c;
	char err[TF_CFG_PATH + 1024], a[32], b[32], d[32], e[32], f[32];
	size_t i;

	if (tf_config_load(path, &c, err, sizeof(err))) {
		fprintf(out, "%s\n", err);
		tf_config_free(&c);
		return 1;
	}
	fprintf(out, "%s: ok: %zu source%s, %zu group%s, %zu gpu%s\n", path,
		c.nsources, c.nsources == 1 ? "" : "s",
		c.ngroups, c.ngroups == 1 ? "" : "s", c.ngpu, c.ngpu == 1 ? "" : "s");
	fprintf(out, "agent: interval %s, max_procs %u, counters %s, gpus %s, dry_run %s, cgroup_root %s, log_level %d\n",
		tf_duration(a, sizeof(a), c.interval_ms), c.max_procs,
		c.counters ? "yes" : "no", c.gpus ? "yes" : "no",
		c.dry_run ? "yes" : "no", c.cgroup_root, c.log_level);
	if (c.budget.ramp_uw_s) {
		tf_watts(e, sizeof(e) - 2, c.budget.ramp_uw_s);
		strcat(e, "/s");
	} else {
		strcpy(e, "unlimited");
	}
	fprintf(out, "budget: floor %s, ceiling %s, share %s%%, ramp %s, hysteresis %s\n",
		tf_watts(a, sizeof(a), c.budget.floor_uw),
		tf_watts(b, sizeof(b), c.budget.ceiling_uw),
		tf_fixed(d, sizeof(d), c.budget.share_ppm, 10000), e,
		tf_watts(f, sizeof(f), c.budget.hysteresis_uw));
	fprintf(out, "quota: timezone %s, clock %s, host_max %s, forecast %u days%s%s, margin %g, fc_trust %g\n",
		c.timezone, tf_name_of(tf_clock_names, NNAMES(tf_clock_names), c.clock),
		tf_watts(a, sizeof(a), c.host_max_uw), c.forecast_days,
		c.history[0] ? " seeded from " : "", c.history, c.quota.margin,
		c.quota.fc_trust);
	fprintf(out, "metrics: %s\n", c.listen[0] ? c.listen : "off");
	for (i = 0; i < c.nsources; i++)
		tf_print_source(out, &c.sources[i]);
	for (i = 0; i < c.ngroups; i++) {
		const struct tf_group_cfg *g = &c.groups[i];

		fprintf(out, "group %s: %s", g->name,
			tf_name_of(tf_tier_names, NNAMES(tf_tier_names), g->tier));
		if (g->cgroup[0])
			fprintf(out, ", cgroup %s", g->cgroup);
		if (g->pids[0])
			fprintf(out, ", pids %s", g->pids);
		if (g->reserved_uw)
			fprintf(out, ", reserved %s", tf_watts(a, sizeof(a), g->reserved_uw));
		if (g->demand_uw)
			fprintf(out, ", demand %s", tf_watts(a, sizeof(a), g->demand_uw));
		if (g->metrics_url[0])
			fprintf(out, ", tokens %s from %s",
				g->metric[0] ? g->metric : g->preset, g->metrics_url);
		if (g->quota_tok > 0)
			fprintf(out, ", quota %g tokens/day", g->quota_tok);
		if (g->curve.n)
			fprintf(out, ", curve %s (%u points, %g tokens/s at %g W)",
				g->curve_path, g->curve.n, g->curve.tps[g->curve.n - 1],
				tf_curve_max_w(&g->curve));
		fputc('\n', out);
	}
	for (i = 0; i < c.ngpu; i++) {
		const struct tf_gpu_cfg *g = &c.gpu[i];

		fprintf(out, "gpu %u: lever %s", g->index,
			tf_name_of(tf_lever_names, NNAMES(tf_lever_names), g->lever));
		if (g->lever == TF_GPU_LEVER_CLOCKS)
			fprintf(out, " %" PRIu32 "..%" PRIu32 " MHz",
				g->min_clock_mhz, g->max_clock_mhz);
		fputc('\n', out);
	}
	tf_config_free(&c);
	return 0;
}
