// SPDX-License-Identifier: GPL-2.0
/*
 * tfctl: the operator's tool for tokenfactory.ko, in the manner of ip(8)
 * and wg(8): a table of subcommands, human tables by default, -j for JSON
 * with stable names and raw base units (ns, µJ, µW, ms).
 *
 * Exit status: 0 success, 1 error (the kernel's or the system's), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "print.h"
#include "tf_nl.h"
#include "units.h"

#define TF_EXIT_ERR	1
#define TF_EXIT_USAGE	2

struct tfctl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct tfctl_cmd tfctl_cmds[];
static struct tf_nl *nl;

/* "Error: <extack>" first, as ip(8) does, then what the errno says. */
static int tfctl_fail(const char *what, int err)
{
	const char *ext = nl ? tf_nl_errmsg(nl) : "";

	if (ext[0])
		fprintf(stderr, "Error: %s.\n", ext);
	if (err == -ENOENT && !nl)
		fprintf(stderr, "Error: %s: tokenfactory module not loaded (insmod tokenfactory.ko).\n",
			what);
	else if (err == -EPERM)
		fprintf(stderr, "Error: %s: %s (needs CAP_NET_ADMIN).\n", what,
			strerror(-err));
	else
		fprintf(stderr, "Error: %s: %s.\n", what, strerror(-err));
	return TF_EXIT_ERR;
}

static int tfctl_usage(const char *usage)
{
	fprintf(stderr, "Usage: tfctl %s\n", usage);
	return TF_EXIT_USAGE;
}

static int tfctl_connect(void)
{
	int err = tf_nl_open(&nl);

	if (err) {
		nl = NULL;
		return tfctl_fail("netlink", err);
	}
	return 0;
}

/* Text: a power in watts with mW resolution, "-" for none. */
static const char *fmt_w(char *buf, size_t sz, uint64_t uw)
{
	if (!uw)
		snprintf(buf, sz, "-");
	else
		snprintf(buf, sz, "%" PRIu64 ".%03" PRIu64, uw / 1000000,
			 uw / 1000 % 1000);
	return buf;
}

static void print_power(const char *key, const char *fmt, uint64_t uw)
{
	char buf[32];

	print_u64(key, NULL, uw);
	if (!print_is_json())
		print_text(fmt, fmt_w(buf, sizeof(buf), uw));
}

/* ---- status ------------------------------------------------------------- */

static int cmd_status(int argc, char **argv)
{
	struct tf_status st;
	unsigned int i;
	int err;

	(void)argv;
	if (argc > 0)
		return tfctl_usage("status");
	err = tfctl_connect();
	if (err)
		return err;
	err = tf_nl_status(nl, &st);
	if (err)
		return tfctl_fail("status", err);

	print_str("version", "tokenfactory %s", st.version);
	print_u64("protocol", " (protocol %" PRIu64 ")", st.proto);
	print_u64("uptime_ns", NULL, st.uptime_ns);
	print_text(", up %" PRIu64 ".%03" PRIu64 " s\n",
		   st.uptime_ns / 1000000000, st.uptime_ns / 1000000 % 1000);
	print_bool("failsafe", NULL, st.failsafe);
	print_text("control: %s", st.failsafe ? "fail-safe caps" : "agent");
	print_u64("agent_pid", NULL, st.agent_pid);
	if (st.agent_pid)
		print_text(" (agent pid %" PRIu32 ")", st.agent_pid);
	if (st.heartbeat_age_ms >= 0) {
		print_u64("heartbeat_age_ms", NULL, st.heartbeat_age_ms);
		print_text(", last heartbeat %" PRId64 " ms ago", st.heartbeat_age_ms);
	}
	print_u64("heartbeat_timeout_ms", ", timeout %" PRIu64 " ms",
		  st.heartbeat_timeout_ms);
	print_u64("failsafe_count", ", fail-safe engaged %" PRIu64 " times\n",
		  st.failsafe_count);
	print_u64("push_rejects", NULL, st.push_rejects);
	print_u64("generation", NULL, st.generation);
	print_text("meters:\n");
	print_arr_open("meters");
	for (i = 0; i < st.nmeters; i++) {
		const struct tf_meter_info *m = &st.meters[i];

		print_obj_open(NULL);
		print_str("name", "  %-12s", m->name);
		print_str("kind", " %-9s", tf_meter_kind_name(m->kind));
		print_bool("estimated", " (estimated)", m->estimated);
		print_text("\n");
		print_obj_close();
	}
	print_arr_close();
	return 0;
}

/* ---- domain --------------------------------------------------------------- */

static void print_levers(uint32_t levers)
{
	print_arr_open("levers");
	if (levers & TF_LEVER_FREQ)
		print_str(NULL, " freq", "freq");
	if (levers & TF_LEVER_IDLE)
		print_str(NULL, " idle", "idle");
	print_arr_close();
	if (!levers)
		print_text(" -");
}

static void print_domain(const struct tf_domain_info *d)
{
	print_obj_open(NULL);
	print_u64("id", NULL, d->id);
	print_str("name", "%-11s", d->name);
	print_str("type", " %-8s", tf_domain_type_name(d->type));
	print_str("meter", " %-9s", tf_meter_kind_name(d->meter));
	print_bool("estimated", NULL, d->estimated);
	print_text(" %-3s", d->estimated ? "yes" : "no");
	print_u64("energy_uj", NULL, d->energy_uj);
	print_text(" %14" PRIu64 ".%06" PRIu64, d->energy_uj / 1000000,
		   d->energy_uj % 1000000);
	if (d->has_cores)
		print_u64("core_energy_uj", NULL, d->core_energy_uj);
	print_power("power_uw", " %11s", d->power_uw);
	print_power("cap_uw", " %10s", d->cap_uw);
	print_power("failsafe_cap_uw", " %10s", d->failsafe_cap_uw);
	print_power("effective_cap_uw", " %10s", d->eff_cap_uw);
	print_str("cap_state", " %-13s", tf_cap_state_name(d->cap_state));
	print_u64("perf_pct", " %3" PRIu64 "%%", d->perf_pct);
	print_power("max_power_uw", NULL, d->max_power_uw);
	print_levers(d->levers);
	print_text("\n");
	print_obj_close();
}

/* One domain's caps on one line: monitor's view of a change. */
static void print_domain_line(const struct tf_domain_info *d)
{
	print_str("name", "%s", d->name);
	print_power("cap_uw", " cap %s", d->cap_uw);
	print_power("failsafe_cap_uw", " failsafe %s", d->failsafe_cap_uw);
	print_power("effective_cap_uw", " effective %s", d->eff_cap_uw);
	print_str("cap_state", " state %s", tf_cap_state_name(d->cap_state));
	print_u64("perf_pct", " perf %" PRIu64 "%%", d->perf_pct);
	print_text(" levers");
	print_levers(d->levers);
	print_text("\n");
}

static void print_domain_header(void)
{
	print_text("%-11s %-8s %-9s %-3s %21s %11s %10s %10s %10s %-13s %4s %s\n",
		   "NAME", "TYPE", "METER", "EST", "ENERGY_J", "POWER_W",
		   "CAP_W", "FAILSAFE_W", "EFFECT_W", "STATE", "PERF", "LEVERS");
}

static int domain_show(int argc, char **argv)
{
	struct tf_domain_info *v, one;
	unsigned int n, i;
	int err;

	if (argc > 1)
		return tfctl_usage("domain show [NAME]");
	err = tfctl_connect();
	if (err)
		return err;
	if (argc == 1) {
		err = tf_nl_domain_get(nl, argv[0], &one);
		v = &one;
		n = 1;
	} else {
		err = tf_nl_domains(nl, &v, &n);
	}
	if (err)
		return tfctl_fail("domain show", err);
	print_domain_header();
	print_arr_open("domains");
	for (i = 0; i < n; i++)
		print_domain(&v[i]);
	print_arr_close();
	if (v != &one)
		free(v);
	return 0;
}

static int domain_set(int argc, char **argv)
{
	static const char usage[] = "domain set NAME { cap POWER | failsafe POWER }... (POWER: 250W, 1.5kW, 0 removes)";
	uint64_t cap, fs;
	bool has_cap = false, has_fs = false;
	const char *name;
	int i, err;

	if (argc < 3 || argc % 2 == 0)
		return tfctl_usage(usage);
	name = argv[0];
	for (i = 1; i < argc; i += 2) {
		uint64_t *dst = !strcmp(argv[i], "cap") ? &cap :
				!strcmp(argv[i], "failsafe") ? &fs : NULL;

		if (!dst)
			return tfctl_usage(usage);
		if (tf_parse_power_uw(argv[i + 1], dst)) {
			fprintf(stderr, "tfctl: bad power '%s'\n", argv[i + 1]);
			return TF_EXIT_USAGE;
		}
		if (dst == &cap)
			has_cap = true;
		else
			has_fs = true;
	}
	err = tfctl_connect();
	if (err)
		return err;
	err = tf_nl_domain_set(nl, name, has_cap ? &cap : NULL,
			       has_fs ? &fs : NULL);
	return err ? tfctl_fail("domain set", err) : 0;
}

static int domain_push(int argc, char **argv)
{
	static const char usage[] = "domain push NAME energy ENERGY [power POWER] [max POWER]";
	uint64_t energy = 0, power, max;
	bool has_e = false, has_p = false, has_m = false;
	int i, err;

	if (argc < 3 || argc % 2 == 0)
		return tfctl_usage(usage);
	for (i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "energy"))
			err = tf_parse_energy_uj(argv[i + 1], &energy), has_e = true;
		else if (!strcmp(argv[i], "power"))
			err = tf_parse_power_uw(argv[i + 1], &power), has_p = true;
		else if (!strcmp(argv[i], "max"))
			err = tf_parse_power_uw(argv[i + 1], &max), has_m = true;
		else
			return tfctl_usage(usage);
		if (err) {
			fprintf(stderr, "tfctl: bad value '%s'\n", argv[i + 1]);
			return TF_EXIT_USAGE;
		}
	}
	if (!has_e)
		return tfctl_usage(usage);
	err = tfctl_connect();
	if (err)
		return err;
	err = tf_nl_energy_push(nl, argv[0], energy, has_p ? &power : NULL,
				has_m ? &max : NULL);
	return err ? tfctl_fail("domain push", err) : 0;
}

static int cmd_domain(int argc, char **argv)
{
	if (argc == 0 || !strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return domain_show(argc ? argc - 1 : 0, argv + 1);
	if (!strcmp(argv[0], "set"))
		return domain_set(argc - 1, argv + 1);
	if (!strcmp(argv[0], "push"))
		return domain_push(argc - 1, argv + 1);
	return tfctl_usage("domain { show [NAME] | set NAME cap POWER | push NAME energy ENERGY ... }");
}

/* ---- signal ------------------------------------------------------------------ */

static void print_signal(const struct tf_signal_info *s)
{
	print_bool("set", NULL, s->set);
	if (!s->set) {
		print_text("no signal\n");
		return;
	}
	print_u64("surplus_uw", NULL, s->surplus_uw);
	print_text("surplus %" PRIu64 ".%03" PRIu64 " W", s->surplus_uw / 1000000,
		   s->surplus_uw / 1000 % 1000);
	print_str("source", ", source %s", s->source);
	print_u64("ttl_ms", ", ttl %" PRIu64 " ms", s->ttl_ms);
	print_u64("age_ms", ", age %" PRIu64 " ms", s->age_ms);
	print_bool("stale", ", STALE", s->stale);
	if (s->has_carbon)
		print_u64("carbon_mg_kwh", ", carbon %" PRIu64 " mg/kWh",
			  s->carbon_mg_kwh);
	if (s->has_price) {
		print_s64("price_ucur_mwh", NULL, s->price_ucur_mwh);
		print_text(", price %.6f /MWh", s->price_ucur_mwh / 1e6);
	}
	print_u64("timestamp_ns", NULL, s->timestamp_ns);
	print_text("\n");
}

static int signal_set(int argc, char **argv)
{
	static const char usage[] = "signal set surplus POWER ttl DURATION [source NAME] [carbon G_PER_KWH] [price PER_MWH]";
	struct tf_signal_info s = { 0 };
	bool has_surplus = false, has_ttl = false;
	uint64_t ttl;
	int64_t fixed;
	int i, err;

	if (argc < 4 || argc % 2)
		return tfctl_usage(usage);
	for (i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "surplus")) {
			err = tf_parse_power_uw(v, &s.surplus_uw);
			has_surplus = true;
		} else if (!strcmp(k, "ttl")) {
			err = tf_parse_duration_ms(v, &ttl);
			if (!err && (ttl == 0 || ttl > TF_SIGNAL_TTL_MAX_MS))
				err = -ERANGE;
			s.ttl_ms = ttl;
			has_ttl = true;
		} else if (!strcmp(k, "source")) {
			err = strlen(v) < sizeof(s.source) ? 0 : -ENAMETOOLONG;
			if (!err)
				memcpy(s.source, v, strlen(v) + 1);
		} else if (!strcmp(k, "carbon")) {
			err = tf_parse_fixed(v, 1000, &fixed);
			if (!err && (fixed < 0 || fixed > UINT32_MAX))
				err = -ERANGE;
			s.carbon_mg_kwh = fixed;
			s.has_carbon = true;
		} else if (!strcmp(k, "price")) {
			err = tf_parse_fixed(v, 1000000, &s.price_ucur_mwh);
			s.has_price = true;
		} else {
			return tfctl_usage(usage);
		}
		if (err) {
			fprintf(stderr, "tfctl: bad %s '%s'\n", k, v);
			return TF_EXIT_USAGE;
		}
	}
	if (!has_surplus || !has_ttl)
		return tfctl_usage(usage);
	if (!s.source[0])
		snprintf(s.source, sizeof(s.source), "tfctl");
	err = tfctl_connect();
	if (err)
		return err;
	err = tf_nl_signal_set(nl, &s);
	return err ? tfctl_fail("signal set", err) : 0;
}

static int cmd_signal(int argc, char **argv)
{
	struct tf_signal_info s;
	int err;

	if (argc > 0 && !strcmp(argv[0], "set"))
		return signal_set(argc - 1, argv + 1);
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "show")))
		return tfctl_usage("signal { show | set surplus POWER ttl DURATION ... }");
	err = tfctl_connect();
	if (err)
		return err;
	err = tf_nl_signal_get(nl, &s);
	if (err)
		return tfctl_fail("signal show", err);
	print_signal(&s);
	return 0;
}

/* ---- groups and members ------------------------------------------------------ */

/* Domain names by id, for energy rows; NULL-safe. */
static struct tf_domain_info *doms;
static unsigned int ndoms;

static const char *domain_name(uint32_t id)
{
	unsigned int i;

	if (!doms && tf_nl_domains(nl, &doms, &ndoms))
		ndoms = 0;
	for (i = 0; i < ndoms; i++)
		if (doms[i].id == id)
			return doms[i].name;
	return "?";
}

static int domain_id(const char *name, uint32_t *id)
{
	unsigned int i;

	if (!doms && tf_nl_domains(nl, &doms, &ndoms))
		return -ENOENT;
	for (i = 0; i < ndoms; i++)
		if (!strcmp(doms[i].name, name)) {
			*id = doms[i].id;
			return 0;
		}
	return -ENOENT;
}

static void print_joules(const char *key, const char *fmt, uint64_t uj)
{
	char buf[40];

	print_u64(key, NULL, uj);
	snprintf(buf, sizeof(buf), "%" PRIu64 ".%06" PRIu64, uj / 1000000,
		 uj % 1000000);
	if (!print_is_json())
		print_text(fmt, buf);
}

static void print_energies(const struct tf_energy_row *rows, unsigned int n)
{
	unsigned int i;

	print_obj_open("energy_uj");
	for (i = 0; i < n; i++) {
		char fmt[64];

		snprintf(fmt, sizeof(fmt), " %s=%%s", domain_name(rows[i].domain_id));
		print_joules(domain_name(rows[i].domain_id), fmt, rows[i].uj);
	}
	print_obj_close();
	if (!n)
		print_text(" -");
}

static void print_group(const struct tf_group_info *g)
{
	unsigned int i;

	print_obj_open(NULL);
	print_str("name", "%-16s", g->name);
	print_str("tier", " %-11s", tf_tier_name(g->tier));
	if (g->deleted) {
		print_bool("deleted", " deleted", true);
		print_text("\n");
		print_obj_close();
		return;
	}
	print_power("cap_uw", " %10s", g->cap_uw);
	print_u64("tokens", " %12" PRIu64, g->tokens);
	print_joules("green_uj", " %16s", g->green_uj);
	print_arr_open("members");
	print_text(" ");
	for (i = 0; i < g->n_members; i++) {
		print_obj_open(NULL);
		if (g->members[i].pid)
			print_u64("pid", "%" PRIu64, g->members[i].pid);
		else
			print_str("cgroup", "%s", g->members[i].cgroup);
		if (i + 1 < g->n_members)
			print_text(",");
		print_obj_close();
	}
	print_arr_close();
	if (!g->n_members)
		print_text("-");
	print_text("  J:");
	print_energies(g->energy, g->n_energy);
	print_text("\n");
	print_obj_close();
}

static int group_show(int argc, char **argv)
{
	struct tf_group_info *v, one;
	unsigned int n, i;
	int err;

	if (argc > 1)
		return tfctl_usage("group show [NAME]");
	err = tfctl_connect();
	if (err)
		return err;
	if (argc == 1) {
		err = tf_nl_group_get(nl, argv[0], &one);
		v = &one;
		n = 1;
	} else {
		err = tf_nl_groups(nl, &v, &n);
	}
	if (err)
		return tfctl_fail("group show", err);
	print_text("%-16s %-11s %10s %12s %16s MEMBERS  ENERGY\n", "NAME", "TIER",
		   "CAP_W", "TOKENS", "GREEN_J");
	print_arr_open("groups");
	for (i = 0; i < n; i++)
		print_group(&v[i]);
	print_arr_close();
	if (v == &one)
		tf_group_info_free(&one);
	else
		tf_group_infos_free(v, n);
	return 0;
}

static int cmd_group(int argc, char **argv)
{
	static const char usage[] = "group { show [NAME] | add NAME tier TIER [cap POWER] | set NAME { tier TIER | cap POWER }... | del NAME } (TIER: interactive, batch, background)";
	const char *op = argc ? argv[0] : "show";
	bool has_tier = false, has_cap = false;
	uint32_t tier = 0;
	uint64_t cap = 0;
	int i, t, err;

	if (!strcmp(op, "show") || !strcmp(op, "list"))
		return group_show(argc ? argc - 1 : 0, argv + 1);
	if (!strcmp(op, "add") || !strcmp(op, "set")) {
		if (argc < 4 || argc % 2)
			return tfctl_usage(usage);
		for (i = 2; i < argc; i += 2) {
			if (!strcmp(argv[i], "tier")) {
				t = tf_tier_parse(argv[i + 1]);
				if (t < 0)
					return tfctl_usage(usage);
				tier = t;
				has_tier = true;
			} else if (!strcmp(argv[i], "cap")) {
				if (tf_parse_power_uw(argv[i + 1], &cap))
					return tfctl_usage(usage);
				has_cap = true;
			} else {
				return tfctl_usage(usage);
			}
		}
		if (!strcmp(op, "add") && !has_tier)
			return tfctl_usage(usage);
	} else if (strcmp(op, "del") || argc != 2) {
		return tfctl_usage(usage);
	}
	err = tfctl_connect();
	if (err)
		return err;
	if (!strcmp(op, "add"))
		err = tf_nl_group_new(nl, argv[1], tier, has_cap ? &cap : NULL);
	else if (!strcmp(op, "set"))
		err = tf_nl_group_set(nl, argv[1], has_tier ? &tier : NULL,
				      has_cap ? &cap : NULL);
	else
		err = tf_nl_group_del(nl, argv[1]);
	return err ? tfctl_fail("group", err) : 0;
}

static int cmd_member(int argc, char **argv)
{
	static const char usage[] = "member { add | del } GROUP { pid PID | cgroup PATH }";
	unsigned long pid = 0;
	char *end;
	bool add;
	int err;

	if (argc != 4 || (strcmp(argv[0], "add") && strcmp(argv[0], "del")))
		return tfctl_usage(usage);
	add = !strcmp(argv[0], "add");
	if (!strcmp(argv[2], "pid")) {
		pid = strtoul(argv[3], &end, 10);
		if (*end || !pid || pid > UINT32_MAX)
			return tfctl_usage(usage);
	} else if (strcmp(argv[2], "cgroup")) {
		return tfctl_usage(usage);
	}
	err = tfctl_connect();
	if (err)
		return err;
	err = tf_nl_member(nl, add, argv[1], pid, argv[3]);
	return err ? tfctl_fail("member", err) : 0;
}

/* ---- ledger ---------------------------------------------------------------- */

static void print_account(const struct tf_account_info *a)
{
	print_obj_open(NULL);
	print_u64("pid", "%8" PRIu64, a->pid);
	print_str("comm", " %-16s", a->comm);
	print_str("group", " %-16s", a->group[0] ? a->group : "-");
	print_u64("tokens", " %10" PRIu64, a->tokens);
	print_joules("green_uj", " %14s", a->green_uj);
	if (a->exit_ns)
		print_u64("exit_ns", NULL, a->exit_ns);
	print_text("  J:");
	print_energies(a->energy, a->n_energy);
	print_text("\n");
	print_obj_close();
}

static int ledger_show(bool bills)
{
	struct tf_account_info *v;
	unsigned int n, i;
	int err;

	err = tfctl_connect();
	if (err)
		return err;
	err = tf_nl_accounts(nl, bills, &v, &n);
	if (err)
		return tfctl_fail(bills ? "ledger bills" : "ledger", err);
	print_text("%8s %-16s %-16s %10s %14s  ENERGY\n", "PID", "COMM", "GROUP",
		   "TOKENS", "GREEN_J");
	print_arr_open(bills ? "bills" : "accounts");
	for (i = 0; i < n; i++)
		print_account(&v[i]);
	print_arr_close();
	print_u64("overflows", "overflows: %" PRIu64 "\n", n ? v[0].overflows : 0);
	free(v);
	return 0;
}

/* ledger push PID [domain NAME energy E]... [tokens N] [green PCT] */
static int ledger_push(int argc, char **argv)
{
	static const char usage[] = "ledger push PID [domain NAME energy ENERGY]... [tokens N] [green PERCENT]";
	struct tf_energy_row energy[TF_NL_MAX_ENERGIES];
	struct tf_ledger_row row = { .energy = energy };
	int64_t green_ppm = 0;
	char *end;
	int i, err;

	if (argc < 1)
		return tfctl_usage(usage);
	row.pid = strtoul(argv[0], &end, 10);
	if (*end || !row.pid)
		return tfctl_usage(usage);
	err = tfctl_connect();
	if (err)
		return err;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "domain") && i + 3 < argc &&
		    !strcmp(argv[i + 2], "energy") &&
		    row.n_energy < TF_NL_MAX_ENERGIES) {
			struct tf_energy_row *r = &row.energy[row.n_energy++];

			if (domain_id(argv[i + 1], &r->domain_id)) {
				fprintf(stderr, "tfctl: no domain '%s'\n", argv[i + 1]);
				return TF_EXIT_ERR;
			}
			if (tf_parse_energy_uj(argv[i + 3], &r->uj))
				return tfctl_usage(usage);
			i += 3;
		} else if (!strcmp(argv[i], "tokens") && i + 1 < argc) {
			row.tokens = strtoull(argv[++i], &end, 10);
			if (*end)
				return tfctl_usage(usage);
		} else if (!strcmp(argv[i], "green") && i + 1 < argc) {
			if (tf_parse_fixed(argv[++i], 10000, &green_ppm) ||
			    green_ppm < 0 || green_ppm > 1000000)
				return tfctl_usage(usage);
		} else {
			return tfctl_usage(usage);
		}
	}
	err = tf_nl_ledger_push(nl, green_ppm, &row, 1);
	return err ? tfctl_fail("ledger push", err) : 0;
}

static int cmd_ledger(int argc, char **argv)
{
	if (argc == 0 || (argc == 1 && !strcmp(argv[0], "show")))
		return ledger_show(false);
	if (argc == 1 && !strcmp(argv[0], "bills"))
		return ledger_show(true);
	if (!strcmp(argv[0], "push"))
		return ledger_push(argc - 1, argv + 1);
	return tfctl_usage("ledger { show | bills | push PID ... }");
}

/* ---- top ----------------------------------------------------------------------- */

struct top_row {
	uint32_t pid;
	char name[TF_NAME_LEN];
	char group[TF_NAME_LEN];
	uint64_t cpu_uw, gpu_uw;
};

static int top_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	uint64_t px = x->cpu_uw + x->gpu_uw, py = y->cpu_uw + y->gpu_uw;

	return px < py ? 1 : px > py ? -1 : (x->pid > y->pid) - (x->pid < y->pid);
}

/* Power of one energy row set against the previous one, split CPU / GPU. */
static void top_power(const struct tf_energy_row *now, unsigned int n_now,
		      const struct tf_energy_row *then, unsigned int n_then,
		      double dt, struct top_row *r)
{
	unsigned int i, j;

	for (i = 0; i < n_now; i++) {
		uint64_t before = 0, d;
		const char *dom = domain_name(now[i].domain_id);

		for (j = 0; j < n_then; j++)
			if (then[j].domain_id == now[i].domain_id)
				before = then[j].uj;
		d = now[i].uj > before ? now[i].uj - before : 0;
		if (!strncmp(dom, "gpu-", 4))
			r->gpu_uw += d / dt;
		else
			r->cpu_uw += d / dt;
	}
}

static void top_print(const char *what, struct top_row *v, unsigned int n,
		      unsigned int limit)
{
	char a[32], b[32], c[32];
	unsigned int i;

	qsort(v, n, sizeof(*v), top_cmp);
	print_text("%8s %-16s %-16s %10s %10s %10s\n", what[0] == 'p' ? "PID" : "",
		   what[0] == 'p' ? "COMM" : "GROUP", what[0] == 'p' ? "GROUP" : "",
		   "CPU_W", "GPU_W", "TOTAL_W");
	print_arr_open(what);
	for (i = 0; i < n && i < limit; i++) {
		print_obj_open(NULL);
		if (v[i].pid)
			print_u64("pid", "%8" PRIu64, v[i].pid);
		else
			print_text("%8s", "");
		print_str("name", " %-16s", v[i].name);
		print_str("group", " %-16s", v[i].group);
		print_u64("cpu_uw", NULL, v[i].cpu_uw);
		print_u64("gpu_uw", NULL, v[i].gpu_uw);
		print_text(" %10s %10s %10s\n", fmt_w(a, sizeof(a), v[i].cpu_uw),
			   fmt_w(b, sizeof(b), v[i].gpu_uw),
			   fmt_w(c, sizeof(c), v[i].cpu_uw + v[i].gpu_uw));
		print_obj_close();
	}
	print_arr_close();
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Top processes and groups by power over each interval, from the ledger the
 * agent fills: CPU (packages, DRAM) and GPU columns. Refreshes like top(1);
 * -j prints one JSON document per interval.
 */
static int cmd_top(int argc, char **argv)
{
	static const char usage[] = "top [interval SECONDS] [count N] [limit ROWS]";
	struct tf_account_info *acc = NULL, *prev_acc = NULL;
	struct tf_group_info *grp = NULL, *prev_grp = NULL;
	unsigned int nacc = 0, nprev = 0, ngrp = 0, nprevg = 0, limit = 20;
	bool json = print_is_json(), tty = isatty(STDOUT_FILENO);
	uint64_t interval_ms = 1000;
	long count = -1, iter;
	double t_prev = 0, t;
	int i, err = 0;

	for (i = 0; i + 1 < argc; i += 2) {
		char *end;

		if (!strcmp(argv[i], "interval")) {
			if (tf_parse_duration_ms(argv[i + 1], &interval_ms) ||
			    !interval_ms)
				return tfctl_usage(usage);
		} else if (!strcmp(argv[i], "count")) {
			count = strtol(argv[i + 1], &end, 10);
			if (*end || count <= 0)
				return tfctl_usage(usage);
		} else if (!strcmp(argv[i], "limit")) {
			limit = strtoul(argv[i + 1], &end, 10);
			if (*end || !limit)
				return tfctl_usage(usage);
		} else {
			return tfctl_usage(usage);
		}
	}
	if (i != argc)
		return tfctl_usage(usage);
	err = tfctl_connect();
	if (err)
		return err;
	print_abort();
	for (iter = 0; count < 0 || iter <= count; iter++) {
		struct top_row *rows, *grows;
		unsigned int j, k;

		t = mono_s();
		err = tf_nl_accounts(nl, false, &acc, &nacc);
		if (!err)
			err = tf_nl_groups(nl, &grp, &ngrp);
		if (err)
			break;
		if (iter) {
			double dt = t - t_prev;

			rows = calloc(nacc + 1, sizeof(*rows));
			grows = calloc(ngrp + 1, sizeof(*grows));
			if (!rows || !grows) {
				free(rows);
				free(grows);
				err = -ENOMEM;
				break;
			}
			for (j = 0; j < nacc; j++) {
				const struct tf_account_info *then = NULL;

				for (k = 0; k < nprev; k++)
					if (prev_acc[k].pid == acc[j].pid)
						then = &prev_acc[k];
				rows[j].pid = acc[j].pid;
				snprintf(rows[j].name, sizeof(rows[j].name), "%s", acc[j].comm);
				snprintf(rows[j].group, sizeof(rows[j].group), "%s",
					 acc[j].group[0] ? acc[j].group : "-");
				top_power(acc[j].energy, acc[j].n_energy,
					  then ? then->energy : NULL,
					  then ? then->n_energy : 0, dt, &rows[j]);
			}
			for (j = 0; j < ngrp; j++) {
				const struct tf_group_info *then = NULL;

				for (k = 0; k < nprevg; k++)
					if (!strcmp(prev_grp[k].name, grp[j].name))
						then = &prev_grp[k];
				snprintf(grows[j].name, sizeof(grows[j].name), "%s", grp[j].name);
				snprintf(grows[j].group, sizeof(grows[j].group), "%s",
					 tf_tier_name(grp[j].tier));
				top_power(grp[j].energy, grp[j].n_energy,
					  then ? then->energy : NULL,
					  then ? then->n_energy : 0, dt, &grows[j]);
			}
			print_begin(json);
			if (tty && !json)
				print_text("\033[H\033[2J");
			print_u64("interval_ms", "tokenfactory top, every %" PRIu64 " ms\n\n",
				  (uint64_t)(dt * 1000));
			top_print("groups", grows, ngrp, limit);
			print_text("\n");
			top_print("processes", rows, nacc, limit);
			err = print_end();
			free(rows);
			free(grows);
			if (err)
				break;
		}
		free(prev_acc);
		tf_group_infos_free(prev_grp, nprevg);
		prev_acc = acc;
		nprev = nacc;
		prev_grp = grp;
		nprevg = ngrp;
		acc = NULL;
		grp = NULL;
		t_prev = t;
		if (count < 0 || iter < count)
			usleep(interval_ms * 1000);
	}
	free(prev_acc);
	tf_group_infos_free(prev_grp, nprevg);
	print_begin(json);
	print_abort();
	return err ? tfctl_fail("top", err) : 0;
}

/* ---- heartbeat, monitor ---------------------------------------------------- */

static int cmd_heartbeat(int argc, char **argv)
{
	int err;

	(void)argv;
	if (argc > 0)
		return tfctl_usage("heartbeat");
	err = tfctl_connect();
	if (err)
		return err;
	err = tf_nl_heartbeat(nl);
	return err ? tfctl_fail("heartbeat", err) : 0;
}

static void print_event(const struct tf_event *ev)
{
	switch (ev->cmd) {
	case TF_CMD_DOMAIN_NTF:
		print_str("event", "%s: ", "domain");
		print_domain_line(&ev->domain);
		break;
	case TF_CMD_SIGNAL_NTF:
		print_str("event", "%s: ", "signal");
		print_signal(&ev->signal);
		break;
	case TF_CMD_GROUP_NTF:
		print_str("event", "%s: ", "group");
		print_group(&ev->group);
		break;
	case TF_CMD_BILL_NTF:
		print_str("event", "%s: ", "bill");
		print_account(&ev->bill);
		break;
	case TF_CMD_FAILSAFE_NTF:
		print_str("event", "%s: ", "failsafe");
		print_bool("failsafe", "on", ev->failsafe.on);
		if (!ev->failsafe.on)
			print_text("off");
		print_u64("agent_pid", " (agent pid %" PRIu64 ",",
			  ev->failsafe.agent_pid);
		print_u64("failsafe_count", " engaged %" PRIu64 " times",
			  ev->failsafe.count);
		print_u64("heartbeat_timeout_ms", ", timeout %" PRIu64 " ms",
			  ev->failsafe.timeout_ms);
		if (ev->failsafe.silence_ms >= 0)
			print_u64("heartbeat_age_ms", ", silent %" PRIu64 " ms",
				  ev->failsafe.silence_ms);
		print_text(")\n");
		break;
	default:
		break;
	}
}

static int cmd_monitor(int argc, char **argv)
{
	bool json = print_is_json();
	long count = -1, seen = 0;
	struct tf_nl *events;
	struct tf_event ev;
	char *end;
	int err;

	if (argc == 2 && !strcmp(argv[0], "count")) {
		count = strtol(argv[1], &end, 10);
		if (*end || count <= 0)
			return tfctl_usage("monitor [count N]");
	} else if (argc) {
		return tfctl_usage("monitor [count N]");
	}
	err = tfctl_connect();
	if (err)
		return err;
	/* events on a socket of their own: requests (domain names) use nl */
	err = tf_nl_open(&events);
	if (!err)
		err = tf_nl_events_join(events);
	if (err)
		return tfctl_fail("monitor", err);
	/* one line (one JSON document with -j) per event, flushed at once */
	setvbuf(stdout, NULL, _IOLBF, 0);
	print_abort();
	while (count < 0 || seen < count) {
		unsigned int gone = tf_nl_events_gone(events);
		unsigned int back = tf_nl_events_rejoined(events);

		err = tf_nl_event_recv(events, &ev);
		if (err) {
			fprintf(stderr, "Error: monitor: %s.\n", tf_nl_errmsg(events));
			tf_nl_close(events);
			return TF_EXIT_ERR;
		}
		/* on stderr: stdout stays one event a line (a JSON document) */
		if (tf_nl_events_gone(events) != gone)
			fprintf(stderr, "monitor: module unloaded: waiting for it to come back\n");
		if (tf_nl_events_rejoined(events) != back)
			fprintf(stderr, "monitor: module reloaded: joined \"%s\" again (group %d)\n",
				TF_GENL_MCGRP_EVENTS, tf_nl_events_group(events));
		if (!ev.cmd)
			continue;
		print_begin(json);
		print_event(&ev);
		tf_event_free(&ev);
		if (print_end()) {
			tf_nl_close(events);
			return TF_EXIT_ERR;
		}
		seen++;
	}
	tf_nl_close(events);
	print_begin(json);
	print_abort();
	return 0;
}

/* ---- main -------------------------------------------------------------------- */

static void usage(FILE *f)
{
	const struct tfctl_cmd *c;

	fprintf(f, "Usage: tfctl [-j] COMMAND [ARGS]\n\n"
		   "  -j, --json     JSON output (raw base units: ns, ms, uJ, uW)\n"
		   "  -h, --help     this help\n\nCommands:\n");
	for (c = tfctl_cmds; c->name; c++)
		fprintf(f, "  %-10s %-40s %s\n", c->name, c->args, c->help);
	fprintf(f, "\nWithout a command, tfctl runs status. See tfctl(8).\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

static const struct tfctl_cmd tfctl_cmds[] = {
	{ "status", cmd_status, "", "module version, control, meters" },
	{ "domain", cmd_domain, "[show [NAME] | set NAME cap W | push ...]",
	  "energy, power and caps of each domain" },
	{ "signal", cmd_signal, "[show | set surplus W ttl T ...]",
	  "the surplus-power signal" },
	{ "group", cmd_group, "[show [NAME] | add|set NAME tier T [cap W] | del NAME]",
	  "worker groups: tier, tokens, energy" },
	{ "member", cmd_member, "add|del GROUP pid PID | cgroup PATH",
	  "a group's processes or cgroups" },
	{ "ledger", cmd_ledger, "[show | bills | push PID ...]",
	  "per-process energy accounts, final bills" },
	{ "top", cmd_top, "[interval T] [count N] [limit ROWS]",
	  "processes and groups by power, refreshing" },
	{ "heartbeat", cmd_heartbeat, "", "one agent heartbeat (testing)" },
	{ "monitor", cmd_monitor, "[count N]", "print events as they happen" },
	{ "help", cmd_help, "", "this help" },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct tfctl_cmd *c;
	const char *name = "status";
	bool json = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return TF_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0) {
		name = argv[0];
		argc--;
		argv++;
	}
	for (c = tfctl_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			break;
	if (!c->name) {
		fprintf(stderr, "tfctl: unknown command '%s'\n", name);
		usage(stderr);
		return TF_EXIT_USAGE;
	}
	print_begin(json);
	ret = c->run(argc, argv);
	free(doms);
	tf_nl_close(nl);
	if (ret) {
		print_abort();
		return ret;
	}
	if (print_end()) {
		perror("tfctl: stdout");
		return TF_EXIT_ERR;
	}
	return 0;
}
