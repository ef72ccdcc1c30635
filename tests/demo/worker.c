// SPDX-License-Identifier: GPL-2.0
/*
 * tf-worker: the demo's inference worker. A small decoder-only transformer
 * (tfm.c) on the CPU, one forward pass per token with a KV cache.
 *
 * THE WEIGHTS ARE RANDOM (a fixed-seed PRNG, never trained): the tokens are
 * meaningless, the compute is real.
 *
 *   --interactive  serves POST /generate {"prompt_tokens":N,"max_tokens":M}
 *                  from a queue, answering with the tokens and the request's
 *                  timings (queue, prompt, generation, total);
 *   --batch        works through jobs continuously until killed, --quota N
 *                  tokens are done, or --duration S seconds have passed.
 *
 * Both serve GET /metrics in llama.cpp server's Prometheus format
 * (llamacpp:tokens_predicted_total, ...), which tokenfactoryd scrapes.
 */
#include <errno.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "log.h"
#include "serve.h"
#include "tfm.h"

#define TFW_BODY_MAX	4096
#define TFW_METRICS_MAX	4096

struct job {
	struct tfw_req req;
	int *tokens;
	int n_out;
	int status;		/* 0, or an HTTP status when it failed */
	double t_arrive, t_start, t_prompt, t_end;	/* monotonic seconds */
	bool done;
	pthread_cond_t cv;
	struct job *next;
};

static struct {
	bool interactive;
	uint16_t port;
	char host[64];
	int threads;
	uint64_t seed;
	uint64_t quota;		/* batch: tokens, 0 = no end */
	double duration;	/* seconds, 0 = no end */
	const struct tfm_config *model;	/* --model */
	int prompt_tokens;	/* batch jobs */
	int max_tokens;		/* batch jobs; 0: fill the context */
	double temperature;
	bool verbose;
} opt = {
	.port = 8080, .host = "127.0.0.1", .threads = 1, .seed = 42,
	.prompt_tokens = 32, .model = &tfm_default_config,
};

static struct tfm_model model;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cv = PTHREAD_COND_INITIALIZER;
static struct job *queue_head, *queue_tail;
static bool closed;		/* no more jobs: shutting down */
static struct tfw_stats stats;	/* under lock */
static uint64_t requests_done;	/* under lock */
static volatile sig_atomic_t stop;
static volatile bool finished;	/* batch: quota reached */

/* CPU time of the whole process, s */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

enum pass { PROMPT_PASS, TOKEN_OUT, GEN_PASS };

/*
 * Counts as llama.cpp does: a prompt pass is a prompt token, every token
 * handed out is a predicted one, the passes between them are generation
 * time. Says whether the batch quota is met.
 */
static bool account(enum pass kind, double seconds)
{
	bool met;

	pthread_mutex_lock(&lock);
	switch (kind) {
	case PROMPT_PASS:
		stats.n_decode++;
		stats.prompt_tokens++;
		stats.prompt_seconds += seconds;
		break;
	case TOKEN_OUT:
		stats.tokens_predicted++;
		break;
	case GEN_PASS:
		stats.n_decode++;
		stats.predicted_seconds += seconds;
		break;
	}
	met = opt.quota && stats.tokens_predicted >= opt.quota;
	pthread_mutex_unlock(&lock);
	return met;
}

/*
 * Runs one request: the prompt's tokens (from the request's seed), then
 * generation, counting as it goes so that a scraper sees tokens while a
 * long job runs. Returns the number generated.
 */
static int run_job(struct tfm_state *s, const struct tfw_req *r, uint64_t rng,
		   int *out, double *t_prompt_end)
{
	const float *logits = NULL;
	double t = now_s(), t1;
	int n = 0;

	tfm_state_reset(s);
	for (int i = 0; i < r->prompt_tokens; i++) {
		int tok = (int)(tfm_rand(&rng) % (uint64_t)model.c.n_vocab);

		logits = tfm_forward(&model, s, tok);
		if (!logits)
			break;
		t1 = now_s();
		account(PROMPT_PASS, t1 - t);
		t = t1;
	}
	*t_prompt_end = t;
	/* the prompt's last pass gives the first token; each next costs one */
	while (logits && n < r->max_tokens && !stop) {
		int tok = tfm_sample(logits, model.c.n_vocab,
				     (float)r->temperature, &rng);

		out[n++] = tok;
		if (account(TOKEN_OUT, 0) && !opt.interactive)
			finished = true;
		if (finished || n == r->max_tokens || s->pos >= model.c.n_ctx)
			break;
		logits = tfm_forward(&model, s, tok);
		t1 = now_s();
		account(GEN_PASS, t1 - t);
		t = t1;
	}
	pthread_mutex_lock(&lock);
	if ((uint64_t)s->pos > stats.n_tokens_max)
		stats.n_tokens_max = s->pos;
	pthread_mutex_unlock(&lock);
	return n;
}

static void *interactive_thread(void *arg)
{
	struct tfm_state s;
	int *out = malloc(sizeof(int) * (model.c.n_ctx + 1));

	(void)arg;
	if (!out || tfm_state_init(&s, &model)) {
		tf_log(TF_LOG_ERR, "decode thread: out of memory");
		free(out);
		return NULL;
	}
	pthread_mutex_lock(&lock);
	for (;;) {
		struct job *j;

		while (!queue_head && !closed)
			pthread_cond_wait(&queue_cv, &lock);
		if (closed)
			break;
		j = queue_head;
		queue_head = j->next;
		if (!queue_head)
			queue_tail = NULL;
		stats.deferred--;
		stats.processing++;
		pthread_mutex_unlock(&lock);

		j->t_start = now_s();
		j->n_out = run_job(&s, &j->req, j->req.seed, out, &j->t_prompt);
		memcpy(j->tokens, out, sizeof(int) * j->n_out);
		j->t_end = now_s();
		if (opt.verbose)
			tf_log(TF_LOG_DEBUG, "request %d+%d tokens: queue %.1f ms, total %.1f ms",
			       j->req.prompt_tokens, j->n_out,
			       (j->t_start - j->t_arrive) * 1e3,
			       (j->t_end - j->t_arrive) * 1e3);

		pthread_mutex_lock(&lock);
		stats.processing--;
		requests_done++;
		j->done = true;
		pthread_cond_signal(&j->cv);
	}
	pthread_mutex_unlock(&lock);
	tfm_state_free(&s);
	free(out);
	return NULL;
}

static void *batch_thread(void *arg)
{
	struct tfm_state s;
	uint64_t rng = opt.seed ^ (0x5bd1e995ULL * ((uintptr_t)arg + 1));
	int *out = malloc(sizeof(int) * (model.c.n_ctx + 1));
	struct tfw_req r = {
		.prompt_tokens = opt.prompt_tokens,
		.max_tokens = opt.max_tokens ? opt.max_tokens :
			model.c.n_ctx - opt.prompt_tokens + 1,
		.temperature = opt.temperature,
	};

	if (!out || tfm_state_init(&s, &model)) {
		tf_log(TF_LOG_ERR, "batch thread: out of memory");
		free(out);
		return NULL;
	}
	while (!stop && !finished) {
		double tp;

		pthread_mutex_lock(&lock);
		stats.processing++;
		pthread_mutex_unlock(&lock);
		run_job(&s, &r, tfm_rand(&rng), out, &tp);
		pthread_mutex_lock(&lock);
		stats.processing--;
		requests_done++;
		pthread_mutex_unlock(&lock);
	}
	tfm_state_free(&s);
	free(out);
	return NULL;
}

/* ---- HTTP -------------------------------------------------------------- */

struct conn {
	char body[TFW_BODY_MAX];
	size_t len;
	bool too_big;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c,
				   unsigned int status, const char *msg)
{
	struct json_object *o = json_object_new_object();
	enum MHD_Result ret;

	json_object_object_add(o, "error", json_object_new_string(msg));
	ret = reply(c, status, "application/json",
		    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return ret;
}

static enum MHD_Result serve_metrics(struct MHD_Connection *c)
{
	char text[TFW_METRICS_MAX];
	struct tfw_stats s;

	pthread_mutex_lock(&lock);
	s = stats;
	pthread_mutex_unlock(&lock);
	if (tfw_metrics_text(&s, text, sizeof(text)) < 0)
		return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics too long");
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4", text);
}

static enum MHD_Result serve_generate(struct MHD_Connection *c, struct conn *cn)
{
	static uint64_t next_id;
	struct json_object *o, *toks;
	struct job j = { 0 };
	char err[256];
	enum MHD_Result ret;

	if (cn->too_big)
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
	if (tfw_parse_req(cn->body, cn->len, model.c.n_ctx, &j.req, err,
			  sizeof(err)))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, err);
	j.tokens = malloc(sizeof(int) * (j.req.max_tokens + 1));
	if (!j.tokens)
		return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	pthread_cond_init(&j.cv, NULL);
	j.t_arrive = now_s();

	pthread_mutex_lock(&lock);
	if (!j.req.has_seed)
		j.req.seed = opt.seed + 0x9e3779b9ULL * ++next_id;
	if (closed) {
		pthread_mutex_unlock(&lock);
		ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down");
		goto out;
	}
	if (queue_tail)
		queue_tail->next = &j;
	else
		queue_head = &j;
	queue_tail = &j;
	stats.deferred++;
	pthread_cond_signal(&queue_cv);
	while (!j.done)
		pthread_cond_wait(&j.cv, &lock);
	pthread_mutex_unlock(&lock);

	if (j.status) {
		ret = reply_error(c, j.status, "shutting down");
		goto out;
	}
	o = json_object_new_object();
	toks = json_object_new_array_ext(j.n_out);
	for (int i = 0; i < j.n_out; i++)
		json_object_array_add(toks, json_object_new_int(j.tokens[i]));
	json_object_object_add(o, "tokens", toks);
	json_object_object_add(o, "prompt_tokens", json_object_new_int(j.req.prompt_tokens));
	json_object_object_add(o, "predicted_tokens", json_object_new_int(j.n_out));
	json_object_object_add(o, "queue_ms", json_object_new_double((j.t_start - j.t_arrive) * 1e3));
	json_object_object_add(o, "prompt_ms", json_object_new_double((j.t_prompt - j.t_start) * 1e3));
	json_object_object_add(o, "predict_ms", json_object_new_double((j.t_end - j.t_prompt) * 1e3));
	json_object_object_add(o, "total_ms", json_object_new_double((j.t_end - j.t_arrive) * 1e3));
	ret = reply(c, MHD_HTTP_OK, "application/json",
		    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
out:
	pthread_cond_destroy(&j.cv);
	free(j.tokens);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)version;
	if (!strcmp(url, "/metrics") || !strcmp(url, "/health")) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
		if (!strcmp(url, "/health"))
			return reply(c, MHD_HTTP_OK, "application/json", "{\"status\":\"ok\"}");
		return serve_metrics(c);
	}
	if (strcmp(url, "/generate"))
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
	if (strcmp(method, "POST"))
		return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only");
	if (!opt.interactive)
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "a batch worker takes no requests");
	if (!cn) {
		cn = calloc(1, sizeof(*cn));
		if (!cn)
			return MHD_NO;
		*con_cls = cn;
		return MHD_YES;
	}
	if (*upload_size) {
		if (cn->len + *upload_size >= sizeof(cn->body))
			cn->too_big = true;
		else {
			memcpy(cn->body + cn->len, upload, *upload_size);
			cn->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return serve_generate(c, cn);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: tf-worker --interactive | --batch [options]\n"
"\n"
"A small decoder-only transformer on the CPU (4 layers, d_model 256, 4 heads,\n"
"vocab 4096, context 256, float32), one forward pass per token with a KV cache.\n"
"THE WEIGHTS ARE RANDOM (fixed-seed PRNG, never trained): the tokens are\n"
"meaningless, the compute is real.\n"
"\n"
"  --interactive       serve POST /generate {\"prompt_tokens\":N,\"max_tokens\":M}\n"
"                      (optional \"temperature\", \"seed\"); answers tokens and timings\n"
"  --batch             generate continuously (jobs of --prompt-tokens, then fill\n"
"                      the context) until killed, --quota or --duration\n"
"  --port N            HTTP port for /generate, /metrics, /health (default 8080;\n"
"                      0: no HTTP, batch only)\n"
"  --host ADDR         IPv4 address to listen on (default 127.0.0.1)\n"
"  --threads N         decode threads, each with its own KV cache (default 1)\n"
"  --seed N            the weights' seed (default 42)\n"
"  --quota N           batch: exit after N generated tokens\n"
"  --duration S        exit after S seconds\n"
"  --model NAME        default (4 layers, d_model 256) or tiny (2 layers,\n"
"                      d_model 64: for emulated CPUs)\n"
"  --prompt-tokens N   batch: prompt length (default 32)\n"
"  --max-tokens N      batch: tokens per job (default: to the context's end)\n"
"  --temperature T     batch: sampling temperature (default 0: greedy)\n"
"  --verbose           log every request\n"
"\n"
"GET /metrics: llama.cpp server's Prometheus metrics (llamacpp:tokens_predicted_total,\n"
"llamacpp:prompt_tokens_total, llamacpp:requests_processing, ...).\n"
"On exit a JSON summary line goes to stdout.\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "interactive", no_argument, NULL, 'i' },
		{ "batch", no_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "threads", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "quota", required_argument, NULL, 'q' },
		{ "duration", required_argument, NULL, 'd' },
		{ "model", required_argument, NULL, 'm' },
		{ "prompt-tokens", required_argument, NULL, 'P' },
		{ "max-tokens", required_argument, NULL, 'M' },
		{ "temperature", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, mode = 0;
	uint64_t v;
	char *end;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
		case 'b':
			if (mode && mode != c)
				goto bad;
			mode = c;
			opt.interactive = c == 'i';
			break;
		case 'p':
			if (parse_u64(optarg, 65535, &v))
				goto bad;
			opt.port = (uint16_t)v;
			break;
		case 'H':
			snprintf(opt.host, sizeof(opt.host), "%s", optarg);
			break;
		case 't':
			if (parse_u64(optarg, 256, &v) || !v)
				goto bad;
			opt.threads = (int)v;
			break;
		case 's':
			if (parse_u64(optarg, UINT64_MAX, &opt.seed))
				goto bad;
			break;
		case 'q':
			if (parse_u64(optarg, UINT64_MAX, &opt.quota))
				goto bad;
			break;
		case 'd':
			opt.duration = strtod(optarg, &end);
			if (*end || end == optarg || !(opt.duration > 0))
				goto bad;
			break;
		case 'm':
			if (!strcmp(optarg, "tiny"))
				opt.model = &tfm_tiny_config;
			else if (!strcmp(optarg, "default"))
				opt.model = &tfm_default_config;
			else
				goto bad;
			break;
		case 'P':
			if (parse_u64(optarg, 256, &v) || !v)
				goto bad;
			opt.prompt_tokens = (int)v;
			break;
		case 'M':
			if (parse_u64(optarg, 256, &v) || !v)
				goto bad;
			opt.max_tokens = (int)v;
			break;
		case 'T':
			opt.temperature = strtod(optarg, &end);
			if (*end || end == optarg || !(opt.temperature >= 0))
				goto bad;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (!mode || optind != argc)
		goto bad;
	if (opt.interactive && !opt.port) {
		fprintf(stderr, "tf-worker: --interactive needs a --port\n");
		return -1;
	}
	if (opt.prompt_tokens + opt.max_tokens > opt.model->n_ctx + 1) {
		fprintf(stderr, "tf-worker: --prompt-tokens + --max-tokens exceed the context (%d)\n",
			opt.model->n_ctx);
		return -1;
	}
	return 0;
bad:
	usage(stderr);
	return -1;
}

static struct MHD_Daemon *start_http(void)
{
	static struct sockaddr_in sa;
	struct MHD_Daemon *d;

	sa.sin_family = AF_INET;
	sa.sin_port = htons(opt.port);
	if (inet_pton(AF_INET, opt.host, &sa.sin_addr) != 1) {
		tf_log(TF_LOG_ERR, "--host %s: not an IPv4 address", opt.host);
		return NULL;
	}
	/* a thread per connection: a request's thread waits for its job */
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
			     opt.port, NULL, NULL, handler, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
			     MHD_OPTION_END);
	if (!d)
		tf_log(TF_LOG_ERR, "cannot listen on %s:%u", opt.host, opt.port);
	return d;
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *http = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	pthread_t *th;
	double t0, cpu0, wall, cpu;
	int rc;

	if (parse_opts(argc, argv))
		return 2;
	if (opt.verbose)
		tf_log_set_level(TF_LOG_DEBUG);
	rc = tfm_init(&model, opt.model, opt.seed);
	if (rc) {
		tf_log(TF_LOG_ERR, "model: %s", strerror(-rc));
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (opt.port) {
		http = start_http();
		if (!http) {
			tfm_free(&model);
			return 1;
		}
	}
	tf_log(TF_LOG_INFO, "tf-worker: %s, %zu random parameters (seed %llu), %d thread(s)%s%s",
	       opt.interactive ? "interactive" : "batch", model.n_params,
	       (unsigned long long)opt.seed, opt.threads,
	       opt.port ? ", port " : "", opt.port ? "up" : "");

	th = calloc(opt.threads, sizeof(*th));
	if (!th)
		return 1;
	t0 = now_s();
	cpu0 = cpu_s();
	for (int i = 0; i < opt.threads; i++)
		pthread_create(&th[i], NULL,
			       opt.interactive ? interactive_thread : batch_thread,
			       (void *)(uintptr_t)i);
	while (!stop && !finished &&
	       !(opt.duration > 0 && now_s() - t0 >= opt.duration))
		usleep(20000);
	stop = 1;
	wall = now_s() - t0;
	cpu = cpu_s() - cpu0;	/* the run's, not the weights' set-up */

	/* refuse new jobs, fail the queued ones, then stop the threads */
	pthread_mutex_lock(&lock);
	closed = true;
	for (struct job *j = queue_head; j; j = j->next) {
		j->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		j->done = true;
		stats.deferred--;
		pthread_cond_signal(&j->cv);
	}
	queue_head = queue_tail = NULL;
	pthread_cond_broadcast(&queue_cv);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < opt.threads; i++)
		pthread_join(th[i], NULL);
	free(th);
	if (http)
		MHD_stop_daemon(http);

	printf("{\"mode\":\"%s\",\"requests\":%llu,\"prompt_tokens\":%llu,"
	       "\"tokens\":%llu,\"seconds\":%.3f,\"tokens_per_s\":%.2f,"
	       "\"cpu_seconds\":%.3f}\n",
	       opt.interactive ? "interactive" : "batch",
	       (unsigned long long)requests_done,
	       (unsigned long long)stats.prompt_tokens,
	       (unsigned long long)stats.tokens_predicted, wall,
	       wall > 0 ? stats.tokens_predicted / wall : 0, cpu);
	tfm_free(&model);
	return 0;
}
