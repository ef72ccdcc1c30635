// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics: the renderer (pure, a snapshot to text) and the HTTP side
 * (libmicrohttpd, one internal thread). The listening socket is made here
 * rather than by MHD so a failure to bind says why (EADDRINUSE, EACCES) and
 * IPv4, IPv6 and dual-stack are handled the same way.
 */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log.h"
#include "metrics.h"

/* Every item struct starts with its name. */
static void *add_item(void *arr, size_t *n, size_t max, size_t size,
		      const char *name)
{
	char *it;

	if (*n >= max)
		return NULL;
	it = (char *)arr + (*n)++ * size;
	memset(it, 0, size);
	snprintf(it, TF_MX_NAME, "%s", name);
	return it;
}

struct tf_mx_domain *tf_mx_add_domain(struct tf_mx_snapshot *s,
				      const char *name)
{
	return add_item(s->domains, &s->ndomains, TF_MX_MAX_DOMAINS,
			sizeof(s->domains[0]), name);
}

struct tf_mx_group *tf_mx_add_group(struct tf_mx_snapshot *s,
				    const char *name)
{
	struct tf_mx_group *g;

	g = add_item(s->groups, &s->ngroups, TF_MX_MAX_GROUPS,
		     sizeof(s->groups[0]), name);
	if (g)
		g->j_per_token = NAN;
	return g;
}

struct tf_mx_source *tf_mx_add_source(struct tf_mx_snapshot *s,
				      const char *name)
{
	return add_item(s->sources, &s->nsources, TF_MX_MAX_SOURCES,
			sizeof(s->sources[0]), name);
}

struct tf_mx_actuator *tf_mx_add_actuator(struct tf_mx_snapshot *s,
					  const char *name)
{
	return add_item(s->actuators, &s->nactuators, TF_MX_MAX_ACTUATORS,
			sizeof(s->actuators[0]), name);
}

/* ---- rendering ---- */

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: \ " and newline escaped, as the format wants. */
static void label(FILE *f, const char *name, const char *v, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
	fputc('"', f);
}

/* name{key="v"} (key NULL: no labels) */
static void series(FILE *f, const char *name, const char *key, const char *v)
{
	fputs(name, f);
	if (key) {
		fputc('{', f);
		label(f, key, v, true);
		fputc('}', f);
	}
	fputc(' ', f);
}

/* µ-units as exact decimals: 1500000 -> 1.500000 */
static void micro(FILE *f, uint64_t v)
{
	fprintf(f, "%llu.%06llu\n", (unsigned long long)(v / 1000000),
		(unsigned long long)(v % 1000000));
}

static void u64(FILE *f, uint64_t v)
{
	fprintf(f, "%llu\n", (unsigned long long)v);
}

static void dbl(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf\n" : "-Inf\n", f);
	else
		fprintf(f, "%.17g\n", v);
}

static void render_agent(FILE *f, const struct tf_mx_snapshot *s)
{
	family(f, "tokenfactory_ticks_total", "counter",
	       "Accounting ticks run by tokenfactoryd.");
	series(f, "tokenfactory_ticks_total", NULL, NULL);
	u64(f, s->ticks);
	family(f, "tokenfactory_conservation_errors_total", "counter",
	       "Ticks whose attributed energy and remainder did not add up to the metered energy.");
	series(f, "tokenfactory_conservation_errors_total", NULL, NULL);
	u64(f, s->conservation_errors);
	family(f, "tokenfactory_ledger_push_errors_total", "counter",
	       "Ledger pushes to the module that failed.");
	series(f, "tokenfactory_ledger_push_errors_total", NULL, NULL);
	u64(f, s->push_errors);
	family(f, "tokenfactory_failsafe", "gauge",
	       "1 while the module applies its fail-safe caps.");
	series(f, "tokenfactory_failsafe", NULL, NULL);
	u64(f, s->failsafe);
}

static void render_domains(FILE *f, const struct tf_mx_snapshot *s)
{
	size_t i, ncap = 0;

	if (!s->ndomains)
		return;
	family(f, "tokenfactory_domain_energy_joules_total", "counter",
	       "Energy metered in each power domain.");
	for (i = 0; i < s->ndomains; i++) {
		series(f, "tokenfactory_domain_energy_joules_total", "domain",
		       s->domains[i].name);
		micro(f, s->domains[i].energy_uj);
	}
	family(f, "tokenfactory_domain_power_watts", "gauge",
	       "Recent power of each power domain.");
	for (i = 0; i < s->ndomains; i++) {
		series(f, "tokenfactory_domain_power_watts", "domain",
		       s->domains[i].name);
		micro(f, s->domains[i].power_uw);
	}
	for (i = 0; i < s->ndomains; i++)
		ncap += !!s->domains[i].cap_uw;
	if (ncap) {
		family(f, "tokenfactory_domain_cap_watts", "gauge",
		       "Power cap of each capped power domain.");
		for (i = 0; i < s->ndomains; i++) {
			if (!s->domains[i].cap_uw)
				continue;
			series(f, "tokenfactory_domain_cap_watts", "domain",
			       s->domains[i].name);
			micro(f, s->domains[i].cap_uw);
		}
	}
	family(f, "tokenfactory_domain_estimated", "gauge",
	       "1 where the domain's meter is a model rather than a hardware counter.");
	for (i = 0; i < s->ndomains; i++) {
		series(f, "tokenfactory_domain_estimated", "domain",
		       s->domains[i].name);
		u64(f, s->domains[i].estimated);
	}
}

/* The per-group families; a group field selector keeps them in a table. */
enum gfield {
	G_ENERGY, G_POWER, G_TOKENS, G_GREEN, G_JPT, G_UP, G_SCRAPE_ERR,
	G_FROZEN, G_CPU_MAX,
};

static const struct {
	enum gfield field;
	const char *name, *type, *help;
} gfamilies[] = {
	{ G_ENERGY, "tokenfactory_group_energy_joules_total", "counter",
	  "Energy attributed to each worker group." },
	{ G_POWER, "tokenfactory_group_power_watts", "gauge",
	  "Recent power attributed to each worker group." },
	{ G_TOKENS, "tokenfactory_group_tokens_total", "counter",
	  "Tokens generated by each worker group, from its workers' counters." },
	{ G_GREEN, "tokenfactory_group_green_tokens_total", "counter",
	  "Tokens generated on surplus power: each interval's tokens times the share of host energy that surplus covered." },
	{ G_JPT, "tokenfactory_group_joules_per_token", "gauge",
	  "Energy per generated token of each worker group, since tokenfactoryd started." },
	{ G_UP, "tokenfactory_group_tokens_up", "gauge",
	  "1 if the last scrape of the group's token counter worked." },
	{ G_SCRAPE_ERR, "tokenfactory_group_token_scrape_errors_total", "counter",
	  "Failed scrapes of the group's token counter." },
	{ G_FROZEN, "tokenfactory_group_frozen", "gauge",
	  "1 while the group's cgroup is frozen (cgroup.freeze)." },
	{ G_CPU_MAX, "tokenfactory_group_cpu_max_cpus", "gauge",
	  "The group's cgroup cpu.max as CPUs (quota over period); +Inf when unlimited." },
};

static bool gfield_has(const struct tf_mx_group *g, enum gfield fld)
{
	switch (fld) {
	case G_TOKENS: case G_GREEN: case G_UP: case G_SCRAPE_ERR:
		return g->has_tokens;
	case G_JPT:
		return g->has_tokens && !isnan(g->j_per_token);
	case G_CPU_MAX:
		return g->has_cpu_max;
	default:
		return true;
	}
}

static void gfield_put(FILE *f, const struct tf_mx_group *g, enum gfield fld)
{
	switch (fld) {
	case G_ENERGY:
		micro(f, g->energy_uj);
		break;
	case G_POWER:
		micro(f, g->power_uw);
		break;
	case G_TOKENS:
		u64(f, g->tokens);
		break;
	case G_GREEN:
		u64(f, g->green_tokens);
		break;
	case G_JPT:
		dbl(f, g->j_per_token);
		break;
	case G_UP:
		u64(f, g->tokens_up);
		break;
	case G_SCRAPE_ERR:
		u64(f, g->scrape_errors);
		break;
	case G_FROZEN:
		u64(f, g->frozen);
		break;
	case G_CPU_MAX:
		dbl(f, g->cpu_max < 0 ? INFINITY : g->cpu_max);
		break;
	}
}

static void render_groups(FILE *f, const struct tf_mx_snapshot *s)
{
	size_t i, k, n;

	if (!s->ngroups)
		return;
	family(f, "tokenfactory_group_info", "gauge",
	       "Each worker group and its tier.");
	for (i = 0; i < s->ngroups; i++) {
		fputs("tokenfactory_group_info{", f);
		label(f, "group", s->groups[i].name, true);
		label(f, "tier", s->groups[i].tier, false);
		fputs("} 1\n", f);
	}
	for (k = 0; k < sizeof(gfamilies) / sizeof(gfamilies[0]); k++) {
		for (i = 0, n = 0; i < s->ngroups; i++)
			n += gfield_has(&s->groups[i], gfamilies[k].field);
		if (!n)
			continue;
		family(f, gfamilies[k].name, gfamilies[k].type,
		       gfamilies[k].help);
		for (i = 0; i < s->ngroups; i++) {
			if (!gfield_has(&s->groups[i], gfamilies[k].field))
				continue;
			series(f, gfamilies[k].name, "group",
			       s->groups[i].name);
			gfield_put(f, &s->groups[i], gfamilies[k].field);
		}
	}
}

static void render_signal(FILE *f, const struct tf_mx_snapshot *s)
{
	size_t i;

	family(f, "tokenfactory_signal_fresh", "gauge",
	       "1 while a surplus signal exists and is within its time-to-live.");
	series(f, "tokenfactory_signal_fresh", NULL, NULL);
	u64(f, s->signal_set && s->signal_fresh);
	if (s->signal_set) {
		family(f, "tokenfactory_signal_surplus_watts", "gauge",
		       "Surplus renewable power the current signal announces.");
		series(f, "tokenfactory_signal_surplus_watts", NULL, NULL);
		micro(f, s->surplus_uw);
		family(f, "tokenfactory_signal_age_seconds", "gauge",
		       "Age of the current signal.");
		series(f, "tokenfactory_signal_age_seconds", NULL, NULL);
		fprintf(f, "%llu.%03llu\n",
			(unsigned long long)(s->signal_age_ms / 1000),
			(unsigned long long)(s->signal_age_ms % 1000));
	}
	if (s->nsources) {
		family(f, "tokenfactory_source_fresh", "gauge",
		       "1 while the signal source's latest value is within its time-to-live.");
		for (i = 0; i < s->nsources; i++) {
			fputs("tokenfactory_source_fresh{", f);
			label(f, "source", s->sources[i].name, true);
			label(f, "kind", s->sources[i].kind, false);
			fprintf(f, "} %d\n", s->sources[i].fresh);
		}
		family(f, "tokenfactory_source_accepted_total", "counter",
		       "Values the signal source delivered that were accepted.");
		for (i = 0; i < s->nsources; i++) {
			series(f, "tokenfactory_source_accepted_total",
			       "source", s->sources[i].name);
			u64(f, s->sources[i].accepted);
		}
		family(f, "tokenfactory_source_rejected_total", "counter",
		       "Values the signal source delivered that were rejected (malformed, out of range).");
		for (i = 0; i < s->nsources; i++) {
			series(f, "tokenfactory_source_rejected_total",
			       "source", s->sources[i].name);
			u64(f, s->sources[i].rejected);
		}
	}
	family(f, "tokenfactory_budget_watts", "gauge",
	       "The host's power budget, from the signal and the [budget] settings.");
	series(f, "tokenfactory_budget_watts", NULL, NULL);
	micro(f, s->budget_uw);
	family(f, "tokenfactory_green_share_ratio", "gauge",
	       "Share of the last tick's host energy that surplus power covered.");
	series(f, "tokenfactory_green_share_ratio", NULL, NULL);
	micro(f, s->green_ppm > 1000000 ? 1000000 : s->green_ppm);
}

static void render_actuators(FILE *f, const struct tf_mx_snapshot *s)
{
	size_t i;

	if (!s->nactuators)
		return;
	family(f, "tokenfactory_actuator_state", "gauge",
	       "The state of each actuator, as a label (value 1).");
	for (i = 0; i < s->nactuators; i++) {
		fputs("tokenfactory_actuator_state{", f);
		label(f, "actuator", s->actuators[i].name, true);
		label(f, "state", s->actuators[i].state, false);
		fputs("} 1\n", f);
	}
	family(f, "tokenfactory_actuator_errors_total", "counter",
	       "Failed writes of each actuator.");
	for (i = 0; i < s->nactuators; i++) {
		series(f, "tokenfactory_actuator_errors_total", "actuator",
		       s->actuators[i].name);
		u64(f, s->actuators[i].errors);
	}
}

/*
 * The exposition's buffer. Not open_memstream(): when glibc's memstream
 * cannot grow, the write is dropped without setting the stream's error
 * flag, and a truncated page would be served as if whole.
 */
struct mx_buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static ssize_t mx_write(void *cookie, const char *data, size_t n)
{
	struct mx_buf *b = cookie;

	if (b->failed)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return -1;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return (ssize_t)n;
}

int tf_metrics_render(const struct tf_mx_snapshot *s, char **out, size_t *len)
{
	cookie_io_functions_t io = { .write = mx_write };
	struct mx_buf b = { 0 };
	FILE *f = fopencookie(&b, "w", io);
	int bad;

	if (!f)
		return -ENOMEM;
	render_agent(f, s);
	render_domains(f, s);
	render_groups(f, s);
	render_signal(f, s);
	render_actuators(f, s);
	bad = ferror(f);
	bad |= fclose(f);
	if (bad || b.failed || !b.p) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

/* ---- HTTP ---- */

struct tf_metrics {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	unsigned int port;
	struct tf_mx_snapshot snap;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn,
			     const char *url, const char *method,
			     const char *version, const char *upload,
			     size_t *upload_size, void **con_cls)
{
	static char not_found[] = "not found: tokenfactoryd serves /metrics\n";
	static char not_allowed[] = "only GET and HEAD\n";
	struct tf_metrics *m = cls;
	char *body;
	size_t len;
	int err;

	(void)version; (void)upload; (void)upload_size; (void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     not_allowed, strlen(not_allowed),
			     MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     strlen(not_found), MHD_RESPMEM_PERSISTENT);
	pthread_mutex_lock(&m->lock);
	err = tf_metrics_render(&m->snap, &body, &len);
	pthread_mutex_unlock(&m->lock);
	if (err)
		return MHD_NO;
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     body, len, MHD_RESPMEM_MUST_FREE);
}

static void mhd_log(void *arg, const char *fmt, va_list ap)
{
	char line[512];

	(void)arg;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	tf_log(TF_LOG_WARNING, "metrics: %s", line);
}

/* "host:port", "[v6]:port", ":port" -> host ("" for any), port */
static int split_listen(const char *s, char *host, size_t hsz, char *port,
			size_t psz)
{
	const char *colon, *h = s;
	size_t hl;

	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = rb - h;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', colon - s))
			return -EINVAL;	/* a bare IPv6 address needs [] */
		hl = colon - s;
	}
	if (hl >= hsz || strlen(colon + 1) >= psz || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atol(colon + 1) > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

static int listen_on(const char *listen_addr, int *fd_out, bool *v6,
		     char *err, size_t errsz)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	char host[256], port[8];
	int fd = -1, e = 0, one = 1, zero = 0, rc;

	if (split_listen(listen_addr, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errsz, "listen \"%s\": not host:port, [ipv6]:port or :port",
			 listen_addr);
		return -EINVAL;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	/* any address: IPv6's, dual stack, so IPv4 clients come too */
	rc = getaddrinfo(host[0] ? host : "::", port, &hints, &res);
	if (rc && !host[0])
		rc = getaddrinfo("0.0.0.0", port, &hints, &res);
	if (rc) {
		snprintf(err, errsz, "listen \"%s\": %s", listen_addr,
			 gai_strerror(rc));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !host[0])
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 64)) {
			*v6 = ai->ai_family == AF_INET6;
			break;
		}
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errsz, "listen \"%s\": %s", listen_addr,
			 strerror(e ? e : EADDRNOTAVAIL));
		return -(e ? e : EADDRNOTAVAIL);
	}
	*fd_out = fd;
	return 0;
}

int tf_metrics_open(struct tf_metrics **out, const char *listen_addr,
		    char *err, size_t errsz)
{
	struct tf_metrics *m;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned int flags;
	bool v6 = false;
	int fd, ret;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	ret = listen_on(listen_addr, &fd, &v6, err, errsz);
	if (ret) {
		free(m);
		return ret;
	}
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		m->port = ntohs(ss.ss_family == AF_INET6 ?
				((struct sockaddr_in6 *)&ss)->sin6_port :
				((struct sockaddr_in *)&ss)->sin_port);
	pthread_mutex_init(&m->lock, NULL);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, serve, m,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, 32U,
				MHD_OPTION_CONNECTION_TIMEOUT, 10U,
				MHD_OPTION_END);
	if (!m->d) {
		close(fd);
		pthread_mutex_destroy(&m->lock);
		free(m);
		snprintf(err, errsz, "listen \"%s\": libmicrohttpd would not start",
			 listen_addr);
		return -EIO;
	}
	*out = m;
	return 0;
}

void tf_metrics_close(struct tf_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);	/* closes the listening socket too */
	pthread_mutex_destroy(&m->lock);
	free(m);
}

unsigned int tf_metrics_port(const struct tf_metrics *m)
{
	return m->port;
}

void tf_metrics_update(struct tf_metrics *m, const struct tf_mx_snapshot *s)
{
	pthread_mutex_lock(&m->lock);
	memcpy(&m->snap, s, sizeof(*s));
	pthread_mutex_unlock(&m->lock);
}
