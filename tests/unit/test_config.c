// SPDX-License-Identifier: GPL-2.0
/* tokenfactoryd.conf: defaults, the shipped example, every key, every error. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tf_test.h"
#include "config.h"

#define W 1000000ULL

#ifndef TF_SRCDIR
#define TF_SRCDIR "."
#endif

static char tf_path[64];
static char tf_err[1024];

/* Writes text to a temporary file, loads it, removes the file. */
static int load_text(const char *text, struct tf_config *c)
{
	size_t len = strlen(text);
	int fd, rc;

	strcpy(tf_path, "/tmp/tf-config-test-XXXXXX");
	fd = mkstemp(tf_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	memset(tf_err, 'x', sizeof(tf_err));
	rc = tf_config_load(tf_path, c, tf_err, sizeof(tf_err));
	unlink(tf_path);
	return rc;
}

/* Loads text that must fail, with "PATH:LINE: HEAD" at the start. */
static void expect_error(const char *text, int line, const char *head)
{
	struct tf_config c;
	char want[1024];

	if (load_text(text, &c) == 0)
		fail_msg("loaded, expected \"%s\"", head);
	snprintf(want, sizeof(want), "%s:%d: %s", tf_path, line, head);
	if (strstr(tf_err, want) != tf_err)
		fail_msg("got \"%s\"\nwant \"%s...\"", tf_err, want);
	tf_config_free(&c);
}

static void test_defaults(void **state)
{
	struct tf_config c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	tf_config_defaults(&c);
	assert_int_equal(c.interval_ms, 1000);
	assert_int_equal(c.max_procs, 16384);
	assert_true(c.counters);
	assert_true(c.gpus);
	assert_false(c.dry_run);
	assert_string_equal(c.cgroup_root, "/sys/fs/cgroup");
	assert_int_equal(c.log_level, 6);
	assert_int_equal(c.budget.ceiling_uw, 1000000ULL * W);
	assert_int_equal(c.budget.floor_uw, c.budget.ceiling_uw);
	assert_int_equal(c.budget.share_ppm, 1000000);
	assert_int_equal(c.budget.ramp_uw_s, 0);
	assert_int_equal(c.budget.hysteresis_uw, 0);
	assert_int_equal(c.cpu_watts_uw, 0);
	assert_int_equal(c.cpu_idle_uw, 0);
	assert_string_equal(c.listen, "");
	assert_null(c.sources);
	assert_int_equal(c.nsources, 0);
	assert_null(c.groups);
	assert_int_equal(c.ngroups, 0);
	assert_null(c.gpu);
	assert_int_equal(c.ngpu, 0);
	/* the quota planner's: tf-eval's defaults */
	assert_string_equal(c.history, "");
	assert_int_equal(c.forecast_days, 7);
	assert_true(c.quota.margin == 0.01);
	assert_true(c.quota.fc_trust == 1);
	assert_int_equal(c.host_max_uw, c.budget.ceiling_uw);
	assert_string_equal(c.timezone, "UTC");
	assert_int_equal(c.clock, TF_CLOCK_WALL);
	tf_config_free(&c);

	/* an empty file is the defaults */
	assert_int_equal(load_text("", &c), 0);
	assert_string_equal(tf_err, "");
	assert_int_equal(c.interval_ms, 1000);
	assert_int_equal(c.budget.floor_uw, 1000000ULL * W);
	tf_config_free(&c);
}

/* packaging/tokenfactoryd.conf, as shipped. */
static void test_example(void **state)
{
	const char *path = TF_SRCDIR "/packaging/tokenfactoryd.conf";
	const struct tf_source_cfg *s;
	const struct tf_group_cfg *g;
	struct tf_config c;
	char err[512];

	(void)state;
	if (tf_config_load(path, &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c.interval_ms, 1000);
	assert_int_equal(c.budget.floor_uw, 450 * W);
	assert_int_equal(c.budget.ceiling_uw, 1200 * W);
	assert_int_equal(c.budget.share_ppm, 100000);
	assert_int_equal(c.budget.ramp_uw_s, 100 * W);
	assert_int_equal(c.budget.hysteresis_uw, 10 * W);
	assert_int_equal(c.cpu_watts_uw, 6 * W);
	assert_int_equal(c.cpu_idle_uw, 180 * W);
	assert_string_equal(c.listen, "127.0.0.1:9464");

	assert_int_equal(c.nsources, 2);
	s = &c.sources[0];
	assert_string_equal(s->name, "site");
	assert_int_equal(s->kind, TF_SRC_MQTT);
	assert_string_equal(s->topic, "site/fremont/surplus");
	assert_string_equal(s->host, "mqtt.fremont.example.net");
	assert_int_equal(s->port, 8883);
	assert_int_equal(s->ttl_ms, 60000);
	assert_string_equal(s->cafile, "/etc/tokenfactory/site-ca.pem");
	assert_string_equal(s->surplus_field, "surplus_w");
	s = &c.sources[1];
	assert_string_equal(s->name, "watttime");
	assert_int_equal(s->kind, TF_SRC_HTTP);
	assert_int_equal(s->shape, TF_HTTP_WATTTIME);
	assert_string_equal(s->url,
			    "https://api.watttime.org/v3/signal-index?region=CAISO_NORTH&signal_type=co2_moer");
	assert_int_equal(s->period_ms, 300000);
	assert_int_equal(s->ttl_ms, 900000);
	assert_true(s->value_low == 10.0);
	assert_true(s->value_high == 60.0);
	assert_int_equal(s->surplus_max_uw, 20000 * W);

	assert_int_equal(c.ngroups, 2);
	g = &c.groups[0];
	assert_string_equal(g->name, "chat");
	assert_int_equal(g->tier, TF_POLICY_INTERACTIVE);
	assert_string_equal(g->cgroup, "tokenfactory.slice/chat");
	assert_int_equal(g->reserved_uw, 250 * W);
	assert_string_equal(g->preset, "llamacpp");
	assert_string_equal(g->metrics_url, "http://127.0.0.1:8080/metrics");
	g = &c.groups[1];
	assert_string_equal(g->name, "batch");
	assert_int_equal(g->tier, TF_POLICY_BATCH);

	assert_int_equal(c.ngpu, 1);
	assert_int_equal(c.gpu[0].index, 0);
	assert_int_equal(c.gpu[0].lever, TF_GPU_LEVER_CLOCKS);
	assert_int_equal(c.gpu[0].min_clock_mhz, 900);
	assert_int_equal(c.gpu[0].max_clock_mhz, 1980);
	tf_config_free(&c);
	/* free twice is harmless: the arrays are gone */
	tf_config_free(&c);
}

/*
 * The example with every commented-out key and section enabled: the
 * commented values must be valid, and the defaults they claim to be.
 */
static void test_example_commented(void **state)
{
	const char *path = TF_SRCDIR "/packaging/tokenfactoryd.conf";
	char line[1024], *text;
	const struct tf_source_cfg *s;
	struct tf_config c, d;
	size_t len = 0, n;
	FILE *f, *out;

	(void)state;
	f = fopen(path, "r");
	assert_non_null(f);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	while (fgets(line, sizeof(line), f)) {
		n = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_");
		if (line[0] == '#' && ((n && !strncmp(line + 1 + n, " = ", 3)) ||
				       line[1] == '['))
			fputs(line + 1, out);
		else
			fputs(line, out);
	}
	fclose(f);
	fclose(out);
	if (load_text(text, &c))
		fail_msg("%s", tf_err);
	free(text);

	tf_config_defaults(&d);
	assert_int_equal(c.interval_ms, d.interval_ms);
	assert_int_equal(c.max_procs, d.max_procs);
	assert_int_equal(c.counters, d.counters);
	assert_int_equal(c.gpus, d.gpus);
	assert_int_equal(c.dry_run, d.dry_run);
	assert_string_equal(c.cgroup_root, d.cgroup_root);
	assert_int_equal(c.log_level, d.log_level);

	assert_int_equal(c.nsources, 4);
	s = &c.sources[0];
	assert_int_equal(s->keepalive_s, 30);
	assert_int_equal(s->reconnect_max_ms, 30000);
	assert_string_equal(s->surplus_field, "surplus_w");
	assert_string_equal(s->carbon_field, "carbon_g_kwh");
	assert_string_equal(s->price_field, "price_mwh");
	s = &c.sources[1];
	assert_int_equal(s->timeout_ms, 10000);
	assert_string_equal(s->header, "X-Site: fremont");
	s = &c.sources[2];
	assert_string_equal(s->name, "trace");
	assert_int_equal(s->kind, TF_SRC_CSV);
	assert_true(s->accel == 1.0);
	assert_int_equal(s->start, 0);
	assert_false(s->loop);
	assert_int_equal(s->ttl_ms, 900000);
	s = &c.sources[3];
	assert_string_equal(s->name, "operator");
	assert_int_equal(s->kind, TF_SRC_MODULE);
	assert_string_equal(c.groups[0].pids, "/run/llama-server.pid");
	assert_string_equal(c.groups[0].metric, "llamacpp:tokens_predicted_total");
	tf_config_free(&c);
}

/* Every key, every value type, and the defaults that depend on others. */
static void test_every_key(void **state)
{
	static const char text[] =
		"\xEF\xBB\xBF; a BOM, then a comment\n"
		"[agent]\n"
		"interval = 250ms\n"
		"max_procs = 4096\n"
		"counters = no\n"
		"gpus = off\n"
		"dry_run = TRUE\n"
		"cgroup_root = /tmp/cg ; where\n"
		"log_level = debug\n"
		"[budget]\n"
		"  floor = 1.5kW\n"
		"  ceiling = 2kW\n"
		"  share = 0.25\n"
		"  ramp = 50W\n"
		"  hysteresis = 5W\n"
		"  cpu_watts = 5.5W\n"
		"  cpu_idle_watts = 100W\n"
		"[metrics]\n"
		"listen = [::1]:9464\n"
		"[ source  bus ]   # trailing comment\n"
		"type = MQTT\n"
		"ttl = 90s\n"
		"host = broker\n"
		"port = 1884\n"
		"topic = site/a/surplus\n"
		"client_id = me\n"
		"username = u\n"
		"password = p#w\n"
		"cafile = /etc/ca.pem\n"
		"keepalive = 1m\n"
		"reconnect_max = 2m\n"
		"surplus_field = data.surplus\n"
		"carbon_field =\n"
		"price_field = price\n"
		"[source json]\n"
		"type = http\n"
		"shape = json\n"
		"url = http://ctl.local/surplus\n"
		"period = 30s\n"
		"timeout = 2s\n"
		"header = Authorization: Bearer abc=\n"
		"surplus_field = w\n"
		"[source emaps]\n"
		"type = http\n"
		"shape = electricitymaps\n"
		"url = https://api.electricitymap.org/v3/carbon-intensity/history?zone=DE\n"
		"value_low = -5.5\n"
		"value_high = 400\n"
		"surplus_max = 3kW\n"
		"[source gsf]\n"
		"type = http\n"
		"shape = carbonaware\n"
		"url = http://sdk.local/emissions/forecasts/current?location=westus\n"
		"value_low = 100\n"
		"value_high = 500\n"
		"surplus_max = 1MW\n"
		"[source trace]\n"
		"type = csv\n"
		"path = /var/lib/tf/caiso.csv\n"
		"accel = 60\n"
		"start = 2024-04-15T07:00:00Z\n"
		"loop = yes\n"
		"[source trace2]\n"
		"type = csv\n"
		"path = /t.csv\n"
		"start = 1713164400\n"
		"[source operator]\n"
		"type = module\n"
		"[group chat]\n"
		"tier = interactive\n"
		"cgroup = a.slice/b\n"
		"reserved = 100W\n"
		"demand = 300W\n"
		"pids = llama-server\n"
		"metrics_url = http://127.0.0.1:8080/metrics\n"
		"metric = llamacpp:tokens_predicted_total\n"
		"[group bg]\n"
		"tier = background\n"
		"pids = /run/bg.pid\n"
		"metrics_url = http://127.0.0.1:3000/metrics\n"
		"preset = TGI\n"
		"[group sg]\n"
		"tier = batch\n"
		"metrics_url = http://127.0.0.1:30000/metrics\n"
		"preset = sglang\n"
		"[gpu 3]\n"
		"lever = none\n"
		"[gpu 1]\n"
		"[gpu 2]\n"
		"lever = clocks\n"
		"min_clock = 1410MHz\n"
		"max_clock = 1410\n";
	const struct tf_source_cfg *s;
	struct tf_config c;
	char host[300];

	(void)state;
	if (load_text(text, &c))
		fail_msg("%s", tf_err);
	assert_int_equal(c.interval_ms, 250);
	assert_int_equal(c.max_procs, 4096);
	assert_false(c.counters);
	assert_false(c.gpus);
	assert_true(c.dry_run);
	assert_string_equal(c.cgroup_root, "/tmp/cg");
	assert_int_equal(c.log_level, 7);
	assert_int_equal(c.budget.floor_uw, 1500 * W);
	assert_int_equal(c.budget.ceiling_uw, 2000 * W);
	assert_int_equal(c.budget.share_ppm, 250000);
	assert_int_equal(c.budget.ramp_uw_s, 50 * W);
	assert_int_equal(c.budget.hysteresis_uw, 5 * W);
	assert_int_equal(c.cpu_watts_uw, 5500000);
	assert_int_equal(c.cpu_idle_uw, 100 * W);
	assert_string_equal(c.listen, "[::1]:9464");

	assert_int_equal(c.nsources, 7);
	s = &c.sources[0];
	assert_string_equal(s->name, "bus");
	assert_int_equal(s->kind, TF_SRC_MQTT);
	assert_int_equal(s->ttl_ms, 90000);
	assert_string_equal(s->host, "broker");
	assert_int_equal(s->port, 1884);
	assert_string_equal(s->topic, "site/a/surplus");
	assert_string_equal(s->client_id, "me");
	assert_string_equal(s->username, "u");
	assert_string_equal(s->password, "p#w");
	assert_string_equal(s->cafile, "/etc/ca.pem");
	assert_int_equal(s->keepalive_s, 60);
	assert_int_equal(s->reconnect_max_ms, 120000);
	assert_string_equal(s->surplus_field, "data.surplus");
	assert_string_equal(s->carbon_field, "");
	assert_string_equal(s->price_field, "price");

	s = &c.sources[1];
	assert_int_equal(s->kind, TF_SRC_HTTP);
	assert_int_equal(s->shape, TF_HTTP_JSON);
	assert_string_equal(s->url, "http://ctl.local/surplus");
	assert_int_equal(s->period_ms, 30000);
	assert_int_equal(s->timeout_ms, 2000);
	assert_int_equal(s->ttl_ms, 90000);	/* three periods */
	assert_string_equal(s->header, "Authorization: Bearer abc=");
	assert_string_equal(s->surplus_field, "w");

	s = &c.sources[2];
	assert_int_equal(s->shape, TF_HTTP_EMAPS);
	assert_true(s->value_low == -5.5);
	assert_true(s->value_high == 400.0);
	assert_int_equal(s->surplus_max_uw, 3000 * W);
	assert_int_equal(s->period_ms, 300000);
	assert_int_equal(s->timeout_ms, 10000);
	assert_int_equal(s->ttl_ms, 900000);
	s = &c.sources[3];
	assert_int_equal(s->shape, TF_HTTP_CARBONAWARE);
	assert_int_equal(s->surplus_max_uw, 1000000 * W);

	s = &c.sources[4];
	assert_int_equal(s->kind, TF_SRC_CSV);
	assert_string_equal(s->path, "/var/lib/tf/caiso.csv");
	assert_true(s->accel == 60.0);
	assert_int_equal(s->start, 1713164400);
	assert_true(s->loop);
	assert_int_equal(s->ttl_ms, 900000);
	s = &c.sources[5];
	assert_int_equal(s->start, 1713164400);
	assert_true(s->accel == 1.0);
	assert_false(s->loop);

	s = &c.sources[6];
	assert_string_equal(s->name, "operator");
	assert_int_equal(s->kind, TF_SRC_MODULE);
	assert_int_equal(s->ttl_ms, 0);
	/* the mqtt defaults on a source that does not use them */
	assert_string_equal(s->host, "localhost");
	assert_int_equal(s->port, 1883);
	assert_int_equal(s->keepalive_s, 30);
	assert_int_equal(s->reconnect_max_ms, 30000);
	assert_string_equal(s->surplus_field, "surplus_w");
	assert_string_equal(s->carbon_field, "carbon_g_kwh");
	assert_string_equal(s->price_field, "price_mwh");
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(s->client_id + strlen("tokenfactoryd-"), host);
	assert_memory_equal(s->client_id, "tokenfactoryd-", 14);

	assert_int_equal(c.ngroups, 3);
	assert_int_equal(c.groups[0].tier, TF_POLICY_INTERACTIVE);
	assert_string_equal(c.groups[0].cgroup, "a.slice/b");
	assert_int_equal(c.groups[0].reserved_uw, 100 * W);
	assert_int_equal(c.groups[0].demand_uw, 300 * W);
	assert_string_equal(c.groups[0].pids, "llama-server");
	assert_string_equal(c.groups[0].metric, "llamacpp:tokens_predicted_total");
	assert_string_equal(c.groups[0].preset, "");
	assert_int_equal(c.groups[1].tier, TF_POLICY_BACKGROUND);
	assert_string_equal(c.groups[1].pids, "/run/bg.pid");
	assert_string_equal(c.groups[1].preset, "tgi");
	assert_int_equal(c.groups[1].reserved_uw, 0);
	assert_int_equal(c.groups[2].tier, TF_POLICY_BATCH);
	assert_string_equal(c.groups[2].preset, "sglang");

	/* in file order; a section with no keys still counts */
	assert_int_equal(c.ngpu, 3);
	assert_int_equal(c.gpu[0].index, 3);
	assert_int_equal(c.gpu[0].lever, TF_GPU_LEVER_NONE);
	assert_int_equal(c.gpu[1].index, 1);
	assert_int_equal(c.gpu[1].lever, TF_GPU_LEVER_POWER);
	assert_int_equal(c.gpu[2].index, 2);
	assert_int_equal(c.gpu[2].lever, TF_GPU_LEVER_CLOCKS);
	assert_int_equal(c.gpu[2].min_clock_mhz, 1410);
	assert_int_equal(c.gpu[2].max_clock_mhz, 1410);
	tf_config_free(&c);
}

/* The spellings of booleans, shares, log levels and derived defaults. */
static void test_values(void **state)
{
	static const struct {
		const char *v;
		bool b;
	} bools[] = {
		{ "yes", true }, { "true", true }, { "1", true }, { "on", true },
		{ "On", true }, { "no", false }, { "false", false },
		{ "0", false }, { "off", false }, { "NO", false },
	};
	static const struct {
		const char *v;
		uint32_t ppm;
	} shares[] = {
		{ "0.25", 250000 }, { "25%", 250000 }, { "100%", 1000000 },
		{ "1", 1000000 }, { "0", 0 }, { "0%", 0 }, { "12.5%", 125000 },
		{ "0.000001", 1 },
	};
	struct tf_config c;
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		snprintf(text, sizeof(text), "[agent]\ndry_run = %s\n", bools[i].v);
		assert_int_equal(load_text(text, &c), 0);
		assert_int_equal(c.dry_run, bools[i].b);
		tf_config_free(&c);
	}
	for (i = 0; i < sizeof(shares) / sizeof(shares[0]); i++) {
		snprintf(text, sizeof(text), "[budget]\nshare = %s\n", shares[i].v);
		if (load_text(text, &c))
			fail_msg("%s: %s", shares[i].v, tf_err);
		assert_int_equal(c.budget.share_ppm, shares[i].ppm);
		tf_config_free(&c);
	}
	assert_int_equal(load_text("[agent]\nlog_level = 3\n", &c), 0);
	assert_int_equal(c.log_level, 3);
	tf_config_free(&c);
	assert_int_equal(load_text("[agent]\nlog_level = warning\n", &c), 0);
	assert_int_equal(c.log_level, 4);
	tf_config_free(&c);
	/* a floor alone keeps the ceiling's default; a ceiling alone is the floor too */
	assert_int_equal(load_text("[budget]\nfloor = 300W\n", &c), 0);
	assert_int_equal(c.budget.floor_uw, 300 * W);
	assert_int_equal(c.budget.ceiling_uw, 1000000 * W);
	tf_config_free(&c);
	assert_int_equal(load_text("[budget]\nceiling = 800W\nramp = 20W/s\n", &c), 0);
	assert_int_equal(c.budget.floor_uw, 800 * W);
	assert_int_equal(c.budget.ramp_uw_s, 20 * W);
	tf_config_free(&c);
	/* TLS moves the MQTT default port */
	assert_int_equal(load_text("[source a]\ntype = mqtt\ntopic = t\ncafile = /ca\n", &c), 0);
	assert_int_equal(c.sources[0].port, 8883);
	assert_int_equal(c.sources[0].ttl_ms, 120000);
	tf_config_free(&c);
	/* indented keys are keys, not continuation lines */
	assert_int_equal(load_text("[agent]\n  interval = 2s\n    max_procs = 5\n", &c), 0);
	assert_int_equal(c.interval_ms, 2000);
	assert_int_equal(c.max_procs, 5);
	tf_config_free(&c);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *head;
	} cases[] = {
		/* values */
		{ "[source caiso]\ntype = mqtt\ntopic = t\nttl = x\n", 4,
		  "[source caiso] ttl: bad duration 'x'" },
		{ "[budget]\nfloor = 12 parsecs\n", 2, "[budget] floor: bad power '12 parsecs'" },
		{ "[budget]\nceiling = 2MW\n", 2, "[budget] ceiling: '2MW' is out of range (more than 0W, at most 1MW)" },
		{ "[budget]\nceiling = 0\n", 2, "[budget] ceiling: '0' is out of range" },
		{ "[budget]\nfloor = 1000001W\n", 2,
		  "[budget] floor: '1000001W' is out of range (at most 1MW)" },
		{ "[budget]\nshare = 1.5\n", 2, "[budget] share: bad share '1.5'" },
		{ "[budget]\nshare = 101%\n", 2, "[budget] share: bad share '101%'" },
		{ "[budget]\nshare = -0.1\n", 2, "[budget] share: bad share '-0.1'" },
		{ "[budget]\nramp = 5W/h\n", 2, "[budget] ramp: bad power '5W/h'" },
		{ "[agent]\ncounters = maybe\n", 2, "[agent] counters: bad boolean 'maybe'" },
		{ "[agent]\ninterval = 5ms\n", 2, "[agent] interval: '5ms' is out of range (10ms to 1h)" },
		{ "[agent]\nmax_procs = 0x10\n", 2, "[agent] max_procs: bad number '0x10'" },
		{ "[agent]\nmax_procs = -1\n", 2, "[agent] max_procs: bad number '-1'" },
		{ "[agent]\nlog_level = 8\n", 2, "[agent] log_level: bad log level '8'" },
		{ "[agent]\ncgroup_root = sys/fs/cgroup\n", 2,
		  "[agent] cgroup_root: 'sys/fs/cgroup' is not an absolute path" },
		{ "[metrics]\nlisten = localhost\n", 2, "[metrics] listen: 'localhost' is not HOST:PORT" },
		{ "[metrics]\nlisten = :9464\n", 2, "[metrics] listen: ':9464' is not HOST:PORT" },
		{ "[metrics]\nlisten = h:65536\n", 2, "[metrics] listen: 'h:65536' is not HOST:PORT" },
		{ "[source s]\ntype = smtp\n", 2, "[source s] type: unknown type 'smtp'" },
		{ "[source s]\ntype = http\nshape = csv\n", 3, "[source s] shape: unknown shape 'csv'" },
		{ "[source s]\nport = 70000\n", 2, "[source s] port: '70000' is out of range (1 to 65535)" },
		{ "[source s]\nkeepalive = 1500ms\n", 2,
		  "[source s] keepalive: '1500ms' is not a whole number of seconds" },
		{ "[source s]\nttl = 2d\n", 2, "[source s] ttl: bad duration '2d'" },
		{ "[source s]\nttl = 25h\n", 2, "[source s] ttl: '25h' is out of range (1ms to 24h)" },
		{ "[source s]\nurl = ftp://x\n", 2, "[source s] url: 'ftp://x' is not an http:// or https:// URL" },
		{ "[source s]\nheader = Bearer x\n", 2, "[source s] header: 'Bearer x' is not an HTTP header" },
		{ "[source s]\nvalue_low = ten\n", 2, "[source s] value_low: bad number 'ten'" },
		{ "[source s]\nvalue_low = nan\n", 2, "[source s] value_low: bad number 'nan'" },
		{ "[source s]\naccel = 0\n", 2, "[source s] accel: 0 is out of range" },
		{ "[source s]\nstart = yesterday\n", 2, "[source s] start: bad time 'yesterday'" },
		{ "[source s]\nstart = 2024-04-15T07:00:00\n", 2, "[source s] start: bad time" },
		{ "[source s]\ncafile = ca.pem\n", 2, "[source s] cafile: 'ca.pem' is not an absolute path" },
		{ "[source s]\ntopic =\n", 2, "[source s] topic: empty" },
		{ "[group g]\ntier = urgent\n", 2, "[group g] tier: unknown tier 'urgent'" },
		{ "[group g]\npreset = ollama\n", 2, "[group g] preset: unknown preset 'ollama'" },
		{ "[group g]\nmetric = 9tokens\n", 2, "[group g] metric: '9tokens' is not a Prometheus metric name" },
		{ "[group g]\ncgroup = /a.slice\n", 2, "[group g] cgroup: '/a.slice' is not a cgroup path" },
		{ "[group g]\ncgroup = a/../../b\n", 2, "[group g] cgroup: 'a/../../b' is not a cgroup path" },
		{ "[group g]\ncgroup = a//b\n", 2, "[group g] cgroup: 'a//b' is not a cgroup path" },
		{ "[group g]\npids = python3-vllm-worker\n", 2,
		  "[group g] pids: 'python3-vllm-worker' is neither an absolute pidfile path nor a process name" },
		{ "[gpu 0]\nlever = volts\n", 2, "[gpu 0] lever: unknown lever 'volts'" },
		{ "[gpu 0]\nmin_clock = fast\n", 2, "[gpu 0] min_clock: bad clock 'fast'" },
		/* structure */
		{ "[agent]\ninterval = 1s\n[sources x]\n", 3, "[sources x]: unknown section" },
		{ "[agent]\nintervall = 1s\n", 2, "[agent] intervall: unknown key" },
		{ "[source s]\ntype = mqtt\ntopic = t\nport = 1\n\nport = 2\n", 6,
		  "[source s] port: given twice (first at line 4)" },
		{ "interval = 1s\n", 1, "interval: outside any section" },
		{ "[budget]\n[agent]\n[budget]\n", 3, "[budget]: section given twice (first at line 1)" },
		{ "[source a]\ntype = module\n[source a]\n", 3, "[source a]: name given twice (first at line 1)" },
		{ "[group a]\ntier = batch\n[group b]\ntier = batch\n[group a]\n", 5,
		  "[group a]: name given twice (first at line 1)" },
		{ "[gpu 0]\n[gpu 00]\n", 2, "[gpu 00]: GPU given twice (first at line 1)" },
		{ "[gpu]\n", 1, "[gpu]: needs a name: [gpu N]" },
		{ "[group]\n", 1, "[group]: needs a name: [group NAME]" },
		{ "[gpu zero]\n", 1, "[gpu zero]: 'zero' is not a GPU index" },
		{ "[gpu 1024]\n", 1, "[gpu 1024]: '1024' is not a GPU index" },
		{ "[agent main]\n", 1, "[agent main]: takes no name" },
		{ "[group a-very-long-group-name-of-32-chr]\n", 1,
		  "[group a-very-long-group-name-of-32-chr]: name longer than 31 characters" },
		{ "[group chat/1]\n", 1, "[group chat/1]: name 'chat/1' has characters" },
		{ "[group two words]\n", 1, "[group two words]: name 'two words' has characters" },
		{ "[agent]\ninterval 1s\n", 2, "[agent]: expected KEY = VALUE or [SECTION], got 'interval 1s'" },
		{ "[agent]\n[budget\nfloor = 1W\n", 2, "[agent]: section header without its ']'" },
		{ "[budget ;]\n", 1, "section header without its ']'" },
		{ "[gpu 0] lever = power\n", 1, "[gpu 0]: text after the section header" },
		/* checks after parsing */
		{ "[source caiso]\ntype = mqtt\nhost = h\n", 1,
		  "[source caiso] topic: missing (an mqtt source needs its topic)" },
		{ "[agent]\n[source x]\nttl = 1m\n", 2, "[source x] type: missing" },
		{ "[source w]\ntype = http\nshape = watttime\n", 1, "[source w] url: missing" },
		{ "[source w]\ntype = http\nurl = https://x\n", 1, "[source w] shape: missing" },
		{ "[source t]\ntype = csv\nloop = yes\n", 1, "[source t] path: missing" },
		{ "[source w]\ntype = http\nshape = watttime\nurl = https://x\n"
		  "value_high = 60\nsurplus_max = 1kW\n", 1, "[source w] value_low: missing" },
		{ "[source w]\ntype = http\nshape = watttime\nurl = https://x\n"
		  "value_low = 60\nsurplus_max = 1kW\n", 1, "[source w] value_high: missing" },
		{ "[source w]\ntype = http\nshape = electricitymaps\nurl = https://x\n"
		  "value_low = 400\nvalue_high = 100\nsurplus_max = 1kW\n", 6,
		  "[source w] value_high: 100 is not above value_low (400)" },
		{ "[source w]\ntype = http\nshape = carbonaware\nurl = https://x\n"
		  "value_low = 1\nvalue_high = 1\nsurplus_max = 1kW\n", 6,
		  "[source w] value_high: 1 is not above value_low (1)" },
		{ "[source w]\ntype = http\nshape = watttime\nurl = https://x\n"
		  "value_low = 1\nvalue_high = 2\n", 1, "[source w] surplus_max: missing" },
		{ "[source w]\ntype = http\nshape = watttime\nurl = https://x\n"
		  "value_low = 1\nvalue_high = 2\nsurplus_max = 1kW\nperiod = 5m\nttl = 5m\n", 9,
		  "[source w] ttl: 5m is not longer than the period (5m)" },
		{ "[source m]\ntype = mqtt\ntopic = t\nurl = https://x\n", 4,
		  "[source m] url: not used by mqtt sources" },
		{ "[source j]\nsurplus_field = w\ntype = http\nshape = watttime\n"
		  "url = https://x\nvalue_low = 1\nvalue_high = 2\nsurplus_max = 1kW\n", 2,
		  "[source j] surplus_field: not used by http sources of shape watttime" },
		{ "[source j]\ntype = http\nshape = json\nurl = https://x\nsurplus_max = 1kW\n", 5,
		  "[source j] surplus_max: not used by http sources of shape json" },
		{ "[source o]\ntype = module\nloop = yes\n", 3, "[source o] loop: not used by module sources" },
		{ "[source c]\ntype = csv\npath = /t\ncafile = /ca\n", 4, "[source c] cafile: not used by csv sources" },
		{ "[budget]\nfloor = 500W\nceiling = 400W\n", 2,
		  "[budget] floor: 500W is above the ceiling (400W)" },
		{ "[group g]\ncgroup = a\n", 1, "[group g] tier: missing" },
		{ "[group g]\ntier = interactive\npreset = vllm\n", 1,
		  "[group g] metrics_url: missing (preset needs the worker's Prometheus endpoint)" },
		{ "[group g]\ntier = batch\nmetric = tokens_total\n", 1,
		  "[group g] metrics_url: missing (metric needs" },
		{ "[group g]\ntier = batch\nmetrics_url = http://x/metrics\n", 3,
		  "[group g] preset: missing (metrics_url needs a preset or a metric to read)" },
		{ "[group g]\ntier = batch\nreserved = 100W\n", 3,
		  "[group g] reserved: only interactive groups have reserved power" },
		{ "[gpu 0]\nlever = clocks\nmin_clock = 900\n", 1, "[gpu 0] max_clock: missing" },
		{ "[gpu 0]\nlever = clocks\nmax_clock = 900\n", 1, "[gpu 0] min_clock: missing" },
		{ "[gpu 0]\nlever = clocks\nmin_clock = 1500\nmax_clock = 900\n", 3,
		  "[gpu 0] min_clock: 1500 MHz is above max_clock (900 MHz)" },
		{ "[gpu 0]\nmin_clock = 900\n", 2, "[gpu 0] min_clock: not used by the power lever" },
		{ "[gpu 1]\nmax_clock = 900\nlever = none\n", 2, "[gpu 1] max_clock: not used by the none lever" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, cases[i].line, cases[i].head);
}

/* The first error is reported, even with later ones in the file. */
static void test_first_error(void **state)
{
	struct tf_config c;

	(void)state;
	expect_error("[agent]\ninterval = x\nbogus\n[nope]\n", 2, "[agent] interval: bad duration 'x'");
	expect_error("[agent]\nbogus\ninterval = x\n", 2, "[agent]: expected KEY = VALUE");
	/* a failed load leaves the struct valid, arrays included */
	assert_int_equal(load_text("[gpu 0]\n[gpu 1]\n[source a]\ntype = nope\n", &c), -1);
	assert_int_equal(c.ngpu, 2);
	assert_int_equal(c.nsources, 1);
	tf_config_free(&c);
	assert_int_equal(c.ngpu, 0);
	assert_null(c.gpu);
}

static void test_missing_file(void **state)
{
	struct tf_config c;
	char err[256];

	(void)state;
	assert_int_equal(tf_config_load("/nonexistent/tokenfactoryd.conf", &c, err,
					sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/tokenfactoryd.conf: No such file or directory");
	tf_config_free(&c);
	/* no room for the message is no crash */
	assert_int_equal(tf_config_load("/nonexistent/x", &c, NULL, 0), -1);
	tf_config_free(&c);
	/* a message cut to the buffer still ends in its NUL */
	memset(err, 'x', sizeof(err));
	assert_int_equal(tf_config_load("/nonexistent/tokenfactoryd.conf", &c, err, 8), -1);
	assert_int_equal(strlen(err), 7);
	tf_config_free(&c);
}

/* Strings that do not fit their buffers are errors, never truncations. */
static void test_long_strings(void **state)
{
	struct tf_config c;
	size_t n = 3 * TF_CFG_PATH;
	char *text = malloc(n), *v = malloc(n);
	char head[128];

	(void)state;
	assert_non_null(text);
	assert_non_null(v);

	/* topic: 255 characters fit, 256 do not */
	memset(v, 't', 255);
	v[255] = '\0';
	snprintf(text, n, "[source s]\ntype = mqtt\ntopic = %s\n", v);
	assert_int_equal(load_text(text, &c), 0);
	assert_int_equal(strlen(c.sources[0].topic), 255);
	tf_config_free(&c);
	strcat(v, "t");
	snprintf(text, n, "[source s]\ntype = mqtt\ntopic = %s\n", v);
	expect_error(text, 3, "[source s] topic: too long (256 characters, at most 255)");

	/* url: 1023 */
	memcpy(v, "https://", 8);
	memset(v + 8, 'u', 1023 - 8);
	v[1023] = '\0';
	snprintf(text, n, "[group g]\ntier = batch\nmetrics_url = %s\npreset = vllm\n", v);
	assert_int_equal(load_text(text, &c), 0);
	assert_int_equal(strlen(c.groups[0].metrics_url), 1023);
	tf_config_free(&c);
	strcat(v, "u");
	snprintf(text, n, "[group g]\ntier = batch\nmetrics_url = %s\npreset = vllm\n", v);
	expect_error(text, 3, "[group g] metrics_url: too long (1024 characters, at most 1023)");

	/* a path: 4095, on a line longer than libinih's default 200 */
	v[0] = '/';
	memset(v + 1, 'p', 4094);
	v[4095] = '\0';
	snprintf(text, n, "[agent]\ncgroup_root = %s\n", v);
	assert_int_equal(load_text(text, &c), 0);
	assert_int_equal(strlen(c.cgroup_root), 4095);
	tf_config_free(&c);
	strcat(v, "p");
	snprintf(text, n, "[agent]\ncgroup_root = %s\n", v);
	expect_error(text, 2, "[agent] cgroup_root: too long (4096 characters, at most 4095)");

	/* preset and metric buffers too */
	memset(v, 'm', 256);
	v[256] = '\0';
	snprintf(text, n, "[group g]\ntier = batch\nmetric = %s\n", v);
	expect_error(text, 3, "[group g] metric: too long (256 characters, at most 255)");

	/* a line longer than any value */
	memset(v, 'x', 2 * TF_CFG_PATH);
	v[2 * TF_CFG_PATH] = '\0';
	snprintf(text, n, "[agent]\n\n; %s\n", v);
	snprintf(head, sizeof(head), "[agent]: line longer than %d characters",
		 2 * TF_CFG_PATH - 2);
	expect_error(text, 3, head);

	/* names: 31 characters fit the kernel's 32 with the NUL */
	assert_int_equal(load_text("[group abcdefghijklmnopqrstuvwxyz01234]\ntier = batch\n", &c), 0);
	assert_string_equal(c.groups[0].name, "abcdefghijklmnopqrstuvwxyz01234");
	tf_config_free(&c);
	expect_error("[source abcdefghijklmnopqrstuvwxyz012345]\n", 1,
		     "[source abcdefghijklmnopqrstuvwxyz012345]: name longer than 31 characters");
	/* longer than libinih's own 50-byte section: still named whole */
	expect_error("[group abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop]\n", 1,
		     "[group abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop]: name longer");
	free(text);
	free(v);
}

/* Writes text to a temporary file named in path (64 bytes). */
static void write_tmp(char *path, const char *text)
{
	size_t len = strlen(text);
	int fd;

	strcpy(path, "/tmp/tf-config-data-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* The quota planner's keys: valid values, defaults, and each error. */
static void test_quota_keys(void **state)
{
	static const char *const zones[] = {
		"UTC", "GMT", "Europe/Berlin", ":America/New_York",
		"PST8PDT,M3.2.0,M11.1.0", "<+0530>-5:30", "EST5",
		"CET-1CEST,M3.5.0,M10.5.0/3",
	};
	const char *curve = TF_SRCDIR "/tests/eval/cpu-curve.csv";
	char hist[64], bad_hist[64], bad_curve[64], flat_curve[64], head[512];
	char *text = malloc(4 * TF_CFG_PATH);
	const struct tf_group_cfg *g;
	struct tf_config c;
	size_t n = 4 * TF_CFG_PATH, i;

	(void)state;
	assert_non_null(text);
	write_tmp(hist, "# utc_s,surplus_w\n1500000000,0.0\n1500003600,250.5\n");
	write_tmp(bad_hist, "1500003600,1\n1500000000,2\n");
	write_tmp(bad_curve, "power_w,tokens_per_s\n40,30\n80;50\n");
	write_tmp(flat_curve, "0,0\n");

	/* every key, valid */
	snprintf(text, n,
		 "[agent]\ntimezone = America/Los_Angeles\nclock = signal\n"
		 "[budget]\nceiling = 800W\nhistory = %s\nforecast_days = 28\n"
		 "margin = 0.05\nfc_trust = 0.5\nhost_max = 600W\n"
		 "[group b]\ntier = batch\nquota = 2e6\ncurve = %s\n"
		 "[group chat]\ntier = interactive\ncurve = %s\n",
		 hist, curve, curve);
	if (load_text(text, &c))
		fail_msg("%s", tf_err);
	assert_string_equal(c.timezone, "America/Los_Angeles");
	assert_int_equal(c.clock, TF_CLOCK_SIGNAL);
	assert_string_equal(c.history, hist);
	assert_int_equal(c.forecast_days, 28);
	assert_true(c.quota.margin == 0.05);
	assert_true(c.quota.fc_trust == 0.5);
	assert_int_equal(c.host_max_uw, 600 * W);
	g = &c.groups[0];
	assert_true(g->quota_tok == 2e6);
	assert_string_equal(g->curve_path, curve);
	/* the shipped curve (tf-worker's): from (0,0) to 1000 tokens/s at
	 * 27.5 W, its top */
	assert_true(g->curve.n >= 3);
	assert_true(g->curve.p_w[0] == 0 && g->curve.tps[0] == 0);
	assert_true(tf_curve_max_w(&g->curve) == 27.5);
	assert_true(g->curve.tps[g->curve.n - 1] == 1000);
	/* a curve without a quota is allowed, on any tier */
	assert_true(c.groups[1].quota_tok == 0);
	assert_int_equal(c.groups[1].curve.n, g->curve.n);
	tf_config_free(&c);

	/* host_max follows the ceiling; other zones and the wall clock */
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		snprintf(text, n, "[agent]\ntimezone = %s\nclock = wall\n[budget]\nceiling = 900W\n",
			 zones[i]);
		if (load_text(text, &c))
			fail_msg("%s: %s", zones[i], tf_err);
		assert_string_equal(c.timezone, zones[i]);
		assert_int_equal(c.clock, TF_CLOCK_WALL);
		assert_int_equal(c.host_max_uw, 900 * W);
		tf_config_free(&c);
	}
	/* a batch group without quota or curve: surplus only, as before */
	assert_int_equal(load_text("[group b]\ntier = batch\nquota = 0\n", &c), 0);
	assert_int_equal(c.groups[0].curve.n, 0);
	tf_config_free(&c);

	/* errors */
	expect_error("[agent]\ntimezone = Mars/Olympus\n", 2,
		     "[agent] timezone: unknown time zone 'Mars/Olympus'");
	expect_error("[agent]\ntimezone = ../../../etc/passwd\n", 2,
		     "[agent] timezone: unknown time zone");
	expect_error("[agent]\ntimezone = PST\n", 2, "[agent] timezone: unknown time zone 'PST'");
	expect_error("[agent]\ntimezone = PST8PDT,M3.2.0,x\n", 2,
		     "[agent] timezone: unknown time zone");
	expect_error("[agent]\ntimezone =\n", 2, "[agent] timezone: unknown time zone ''");
	expect_error("[agent]\nclock = lunar\n", 2,
		     "[agent] clock: unknown clock 'lunar' (wall or signal)");
	expect_error("[budget]\nforecast_days = 0\n", 2,
		     "[budget] forecast_days: '0' is out of range (1 to 28)");
	expect_error("[budget]\nforecast_days = 29\n", 2,
		     "[budget] forecast_days: '29' is out of range (1 to 28)");
	expect_error("[budget]\nmargin = 1.5\n", 2, "[budget] margin: 1.5 is out of range (0 to 1)");
	expect_error("[budget]\nmargin = -0.1\n", 2, "[budget] margin: -0.1 is out of range");
	expect_error("[budget]\nmargin = lots\n", 2, "[budget] margin: bad number 'lots'");
	expect_error("[budget]\nfc_trust = 2\n", 2, "[budget] fc_trust: 2 is out of range (0 to 1)");
	expect_error("[budget]\nhost_max = 0W\n", 2, "[budget] host_max: '0W' is out of range");
	expect_error("[budget]\nhost_max = big\n", 2, "[budget] host_max: bad power 'big'");
	expect_error("[budget]\nhistory = relative.csv\n", 2,
		     "[budget] history: 'relative.csv' is not an absolute path");
	expect_error("[budget]\nfloor = 1W\n\nhistory = /nonexistent/h.csv\n", 4,
		     "[budget] history: /nonexistent/h.csv: No such file or directory");
	snprintf(text, n, "[budget]\nhistory = %s\n", bad_hist);
	snprintf(head, sizeof(head), "[budget] history: %s:2: time 1500000000 not after the row before",
		 bad_hist);
	expect_error(text, 2, head);
	expect_error("[group i]\ntier = interactive\nquota = 5\n", 3,
		     "[group i] quota: only batch groups have a quota");
	expect_error("[group b]\ntier = batch\nquota = -1\n", 3,
		     "[group b] quota: -1 is out of range");
	expect_error("[group b]\ntier = batch\nquota = many\n", 3,
		     "[group b] quota: bad number 'many'");
	expect_error("[group b]\ntier = batch\nquota = 1000\n", 1,
		     "[group b] curve: missing (a quota needs the worker's curve");
	expect_error("[group b]\ntier = batch\ncurve = /nonexistent/c.csv\n", 3,
		     "[group b] curve: /nonexistent/c.csv: No such file or directory");
	snprintf(text, n, "[group b]\ntier = batch\n\ncurve = %s\nquota = 10\n", bad_curve);
	snprintf(head, sizeof(head), "[group b] curve: %s:3: not \"number,number\"", bad_curve);
	expect_error(text, 4, head);
	snprintf(text, n, "[group b]\ntier = batch\ncurve = %s\n", flat_curve);
	snprintf(head, sizeof(head), "[group b] curve: %s: not a curve", flat_curve);
	expect_error(text, 3, head);

	unlink(hist);
	unlink(bad_hist);
	unlink(bad_curve);
	unlink(flat_curve);
	free(text);
}

static void test_check(void **state)
{
	const char *path = TF_SRCDIR "/packaging/tokenfactoryd.conf";
	const char *curve = TF_SRCDIR "/tests/eval/cpu-curve.csv";
	char *buf = NULL, tmp[64], want[512];
	size_t len = 0;
	FILE *out;
	int fd;

	(void)state;
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(tf_config_check(path, out), 0);
	fclose(out);
	assert_non_null(strstr(buf, ": ok: 2 sources, 2 groups, 1 gpu\n"));
	assert_non_null(strstr(buf, "budget: floor 450W, ceiling 1.2kW, share 10%, ramp 100W/s, hysteresis 10W\n"));
	assert_non_null(strstr(buf, "source site: mqtt mqtt.fremont.example.net:8883 (TLS) topic site/fremont/surplus, ttl 1m\n"));
	assert_non_null(strstr(buf, "source watttime: http watttime https://"));
	assert_non_null(strstr(buf, "group chat: interactive, cgroup tokenfactory.slice/chat, reserved 250W"));
	assert_non_null(strstr(buf, "group batch: batch"));
	assert_non_null(strstr(buf, "gpu 0: lever clocks 900..1980 MHz\n"));
	assert_non_null(strstr(buf, "quota: timezone UTC, clock wall, host_max 1.2kW, forecast 7 days, margin 0.01, fc_trust 1\n"));
	free(buf);

	/* a group's quota and curve */
	strcpy(tmp, "/tmp/tf-config-test-XXXXXX");
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	dprintf(fd, "[group b]\ntier = batch\nquota = 2e6\ncurve = %s\n", curve);
	close(fd);
	buf = NULL;
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(tf_config_check(tmp, out), 0);
	fclose(out);
	unlink(tmp);
	snprintf(want, sizeof(want), "group b: batch, quota 2e+06 tokens/day, curve %s (", curve);
	if (!strstr(buf, want))
		fail_msg("%s\nwant %s", buf, want);
	assert_non_null(strstr(buf, " tokens/s at 27.5 W)\n"));
	free(buf);

	strcpy(tmp, "/tmp/tf-config-test-XXXXXX");
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[agent]\ngpus = perhaps\n", 23), 23);
	close(fd);
	buf = NULL;
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(tf_config_check(tmp, out), 1);
	fclose(out);
	unlink(tmp);
	assert_non_null(strstr(buf, ":2: [agent] gpus: bad boolean 'perhaps'"));
	assert_ptr_equal(strstr(buf, tmp), buf);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_example_commented),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_first_error),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_long_strings),
		cmocka_unit_test(test_quota_keys),
		cmocka_unit_test(test_check),
	};

	return TF_RUN_TESTS("config", tests);
}
