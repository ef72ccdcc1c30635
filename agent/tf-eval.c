// SPDX-License-Identifier: GPL-2.0
/*
 * tf-eval: many days of the CAISO trace through the agent's policy code
 * (policy.c, via eval.c) and the baselines, fast, without the VM.
 *
 *   tf-eval [--days YYYY-MM-DD[..YYYY-MM-DD]] [--json] [--curve FILE]
 *           [--demand FILE] [--demand-peak TPS] [--quota TOKENS]
 *           [--idle W] [--max W] [--step S] [--fixed-cap W]
 *           [--site-share F] [--hosts N] [--fc-days N] [--fc mean|median]
 *           [--margin F] [--fc-trust F] REPORT.csv
 *
 * docs/eval.md describes the model, the defaults and the optimum.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "trace.h"

/* The default interactive shape, a fraction of the peak by local hour. */
static const double demand_shape[24] = {
	0.25, 0.2, 0.2, 0.2, 0.2, 0.25, 0.35, 0.5, 0.7, 0.85, 0.95, 1,
	1, 1, 0.95, 0.95, 0.95, 1, 1, 0.9, 0.75, 0.6, 0.45, 0.35,
};

struct day {
	int y;
	unsigned int m, d;
	unsigned int hours;
	double surplus_j;
	struct tf_eval_day r[TF_EV_NPOLICIES];
	bool green_met;		/* surplus alone would meet the quota */
};

/* Hinnant's civil_from_days. */
static void civil(int64_t z, int *y, unsigned int *m, unsigned int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static long parse_day(const char *s, const char **end)
{
	int y, n = 0;
	unsigned int m, d;

	if (sscanf(s, "%4d-%2u-%2u%n", &y, &m, &d, &n) != 3 || n != 10 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	*end = s + n;
	return (long)y * 10000 + m * 100 + d;
}

static double num(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "tf-eval: --%s: '%s' is not a number in [%g, %g]\n",
			opt, s, min, max);
		exit(2);
	}
	return v;
}

static FILE *open_or_die(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double share(const struct tf_eval_day *r)
{
	return r->tokens > 0 ? r->green_tok / r->tokens : 0;
}

static void print_json_result(const struct tf_eval_day *r, unsigned int met,
			      unsigned int days)
{
	printf("{\"green_share\":%.6f,\"tokens\":%.0f,\"green_tokens\":%.0f,"
	       "\"batch_tokens\":%.0f,\"interactive_tokens\":%.0f,\"energy_kwh\":%.4f,"
	       "\"grid_kwh\":%.4f,\"j_per_token\":%.4f,\"quota_met_days\":%u,\"days\":%u,"
	       "\"interactive_slo\":%.6f}",
	       share(r), r->tokens, r->green_tok, r->batch_tok, r->inter_tok,
	       r->energy_j / 3.6e6, r->grid_j / 3.6e6,
	       r->tokens > 0 ? r->energy_j / r->tokens : 0, met, days,
	       r->inter_due > 0 ? r->inter_tok / r->inter_due : 1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "days", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "curve", required_argument, NULL, 'c' },
		{ "demand", required_argument, NULL, 'd' },
		{ "demand-peak", required_argument, NULL, 'P' },
		{ "quota", required_argument, NULL, 'q' },
		{ "idle", required_argument, NULL, 'i' },
		{ "max", required_argument, NULL, 'x' },
		{ "step", required_argument, NULL, 's' },
		{ "fixed-cap", required_argument, NULL, 'F' },
		{ "site-share", required_argument, NULL, 'S' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "fc-days", required_argument, NULL, 'n' },
		{ "fc", required_argument, NULL, 'k' },
		{ "margin", required_argument, NULL, 'm' },
		{ "fc-trust", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct tf_eval_cfg cfg = {
		/* the demo's host: the VM's package (est_idle_watts 10,
		 * est_max_watts 65), tf-worker's measured curve, a quota of a
		 * quarter of what one batch worker makes flat out in a day */
		.idle_w = 10, .max_w = 65, .quota_tok = 21.6e6, .step_s = 300,
		.fixed_w = -1, .quota = { .margin = 0.01, .fc_trust = 1 },
	};
	struct tf_site_scale scale = { 0.005, 50000, 0 };
	const char *curve_path = "tests/eval/cpu-curve.csv", *demand_path = NULL;
	double peak = 32, ratio_sum = 0, *ratios;	/* 2 requests/s of 16 tokens */
	struct tf_eval_day tot[TF_EV_NPOLICIES] = { 0 };
	unsigned int met[TF_EV_NPOLICIES] = { 0 }, fc_days = 14, nd = 0, nr = 0,
		     feasible = 0, green_met = 0, p, h;
	enum tf_fc_kind fc_kind = TF_FC_MEDIAN;
	long from = 0, to = 0;
	bool json = false;
	struct tf_forecast fc;
	struct tf_trace tr;
	struct day *days;
	char err[256];
	size_t i;
	FILE *f;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *e = NULL;

		switch (opt) {
		case 'D':
			from = parse_day(optarg, &e);
			if (from >= 0 && !strncmp(e, "..", 2))
				to = parse_day(e + 2, &e);
			else
				to = from;	/* one day */
			if (from < 0 || to < 0 || !e || *e || to < from) {
				fprintf(stderr, "tf-eval: --days: not YYYY-MM-DD..YYYY-MM-DD: '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'c':
			curve_path = optarg;
			break;
		case 'd':
			demand_path = optarg;
			break;
		case 'P':
			peak = num("demand-peak", optarg, 0, 1e9);
			break;
		case 'q':
			cfg.quota_tok = num("quota", optarg, 0, 1e15);
			break;
		case 'i':
			cfg.idle_w = num("idle", optarg, 0, 1e6);
			break;
		case 'x':
			cfg.max_w = num("max", optarg, 0, 1e6);
			break;
		case 's':
			cfg.step_s = num("step", optarg, 1, 3600);
			if (fmod(3600, cfg.step_s)) {
				fprintf(stderr, "tf-eval: --step must divide 3600\n");
				return 2;
			}
			break;
		case 'F':
			cfg.fixed_w = num("fixed-cap", optarg, 0, 1e6);
			break;
		case 'S':
			scale.site_share = num("site-share", optarg, 0, 1);
			break;
		case 'H':
			scale.hosts = (unsigned int)num("hosts", optarg, 1, 1e9);
			break;
		case 'n':
			fc_days = (unsigned int)num("fc-days", optarg, 1, TF_FC_DAYS_MAX);
			break;
		case 'k':
			if (!strcmp(optarg, "mean") || !strcmp(optarg, "median")) {
				fc_kind = optarg[1] == 'e' && optarg[2] == 'a' ? TF_FC_MEAN :
					  TF_FC_MEDIAN;
				break;
			}
			fprintf(stderr, "tf-eval: --fc: mean or median\n");
			return 2;
		case 'm':
			cfg.quota.margin = num("margin", optarg, 0, 1);
			break;
		case 't':
			cfg.quota.fc_trust = num("fc-trust", optarg, 0, 1);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: tf-eval [--days FROM..TO] [--json] [--curve FILE] [options] REPORT.csv\n");
		return 2;
	}
	f = open_or_die(curve_path);
	if (tf_eval_read_curve(f, curve_path, &cfg.curve, err, sizeof(err))) {
		fprintf(stderr, "tf-eval: %s\n", err);
		return 1;
	}
	fclose(f);
	for (h = 0; h < 24; h++)
		cfg.demand_tps[h] = peak * demand_shape[h];
	if (demand_path) {
		f = open_or_die(demand_path);
		if (tf_eval_read_demand(f, demand_path, cfg.demand_tps, err, sizeof(err))) {
			fprintf(stderr, "tf-eval: %s\n", err);
			return 1;
		}
		fclose(f);
	}
	if (cfg.max_w <= cfg.idle_w) {
		fprintf(stderr, "tf-eval: --max must be above --idle\n");
		return 2;
	}
	/* the fixed cap: the constant batch power that meets the quota in 24 h */
	if (cfg.fixed_w < 0)
		cfg.fixed_w = tf_curve_power(&cfg.curve,
					     cfg.quota_tok * (1 + cfg.quota.margin) / 86400);
	scale.host_max_w = cfg.max_w;

	/* the whole file: the days before the range feed the forecast */
	f = open_or_die(argv[optind]);
	if (tf_caiso_read(f, argv[optind], 0, 0, &tr, err, sizeof(err))) {
		fprintf(stderr, "tf-eval: %s\n", err);
		return 1;
	}
	fclose(f);
	days = calloc(tr.n / 23 + 2, sizeof(*days));
	ratios = calloc(tr.n / 23 + 2, sizeof(*ratios));
	if (!days || !ratios) {
		fprintf(stderr, "tf-eval: out of memory\n");
		return 1;
	}
	tf_fc_init(&fc, fc_days, fc_kind);
	for (i = 0; i < tr.n;) {
		double surplus[25];
		struct day *dy = &days[nd];
		int64_t next, z = (tr.v[i].t + 8 * 3600) / 86400;
		long ymd;

		civil(z, &dy->y, &dy->m, &dy->d);
		{
			int y2;
			unsigned int m2, d2;

			civil(z + 1, &y2, &m2, &d2);
			next = tf_caiso_hour_utc(y2, m2, d2, 1);
		}
		dy->hours = (unsigned int)((next - tr.v[i].t) / 3600);
		if (dy->hours < 23 || dy->hours > 25 || i + dy->hours > tr.n) {
			fprintf(stderr, "tf-eval: the trace's hours do not make local days\n");
			return 1;
		}
		for (h = 0; h < dy->hours; h++)
			surplus[h] = tf_host_surplus_w(tr.v[i + h].mwh, &scale);
		ymd = (long)dy->y * 10000 + dy->m * 100 + dy->d;
		if ((!from || ymd >= from) && (!to || ymd <= to)) {
			for (p = 0; p < TF_EV_NPOLICIES; p++) {
				struct tf_eval_day *r = &dy->r[p];

				if (tf_eval_day(&cfg, p, surplus, dy->hours, &fc, r)) {
					fprintf(stderr, "tf-eval: %d-%02u-%02u: the simulation failed\n",
						dy->y, dy->m, dy->d);
					return 1;
				}
				tot[p].tokens += r->tokens;
				tot[p].green_tok += r->green_tok;
				tot[p].batch_tok += r->batch_tok;
				tot[p].inter_tok += r->inter_tok;
				tot[p].inter_due += r->inter_due;
				tot[p].energy_j += r->energy_j;
				tot[p].grid_j += r->grid_j;
				met[p] += r->quota_met;
			}
			dy->surplus_j = dy->r[0].surplus_j;
			feasible += dy->r[0].feasible;
			{
				/* surplus alone: the optimum's batch used no grid power */
				struct tf_eval_cfg c0 = cfg;
				struct tf_eval_day r0;

				c0.quota_tok = 0;
				if (!tf_eval_day(&c0, TF_EV_OPTIMUM, surplus, dy->hours, NULL, &r0))
					dy->green_met = r0.batch_tok >= cfg.quota_tok;
			}
			green_met += dy->green_met;
			if (share(&dy->r[TF_EV_OPTIMUM]) > 0) {
				ratios[nr] = share(&dy->r[TF_EV_TOKENFACTORY]) /
					     share(&dy->r[TF_EV_OPTIMUM]);
				ratio_sum += ratios[nr++];
			}
			nd++;
		}
		for (h = 0; h < dy->hours; h++)
			tf_fc_observe(&fc, tf_eval_local_hour(h, dy->hours), surplus[h]);
		tf_fc_end_day(&fc);
		i += dy->hours;
	}
	if (!nd) {
		fprintf(stderr, "tf-eval: no days of the trace in the range asked for\n");
		return 1;
	}
	qsort(ratios, nr, sizeof(*ratios), cmp_double);
	if (json) {
		printf("{\"config\":{\"trace\":\"%s\",\"curve\":\"%s\",\"idle_w\":%g,\"max_w\":%g,"
		       "\"quota_tokens\":%g,\"step_s\":%g,\"fixed_cap_batch_w\":%.2f,"
		       "\"site_share\":%g,\"hosts\":%u,\"forecast\":\"%s of %u days\","
		       "\"margin\":%g,\"fc_trust\":%g},\n\"days\":[\n",
		       argv[optind], curve_path, cfg.idle_w, cfg.max_w, cfg.quota_tok,
		       cfg.step_s, cfg.fixed_w, scale.site_share, scale.hosts,
		       fc_kind == TF_FC_MEAN ? "mean" : "median", fc_days,
		       cfg.quota.margin, cfg.quota.fc_trust);
		for (i = 0; i < nd; i++) {
			printf("{\"date\":\"%d-%02u-%02u\",\"hours\":%u,\"surplus_kwh\":%.4f,"
			       "\"feasible\":%s,\"met_by_surplus_alone\":%s,\"policies\":{",
			       days[i].y, days[i].m, days[i].d, days[i].hours,
			       days[i].surplus_j / 3.6e6, days[i].r[0].feasible ? "true" : "false",
			       days[i].green_met ? "true" : "false");
			for (p = 0; p < TF_EV_NPOLICIES; p++) {
				printf("%s\"%s\":", p ? "," : "", tf_eval_policy_name[p]);
				print_json_result(&days[i].r[p], days[i].r[p].quota_met, 1);
			}
			printf("}}%s\n", i + 1 < nd ? "," : "");
		}
		printf("],\n\"total\":{\"days\":%u,\"feasible_days\":%u,\"met_by_surplus_alone_days\":%u,",
		       nd, feasible, green_met);
		for (p = 0; p < TF_EV_NPOLICIES; p++) {
			printf("\"%s\":", tf_eval_policy_name[p]);
			print_json_result(&tot[p], met[p], nd);
			printf(",");
		}
		printf("\"tokenfactory_over_optimum\":{\"days\":%u,\"mean\":%.6f,\"worst_decile\":%.6f,"
		       "\"worst\":%.6f}}}\n", nr, nr ? ratio_sum / nr : 0,
		       nr ? ratios[nr / 10] : 0, nr ? ratios[0] : 0);
	} else {
		printf("%u days (%d-%02u-%02u..%d-%02u-%02u), quota %.3g batch tokens/day: "
		       "feasible on %u, met by surplus alone on %u\n",
		       nd, days[0].y, days[0].m, days[0].d, days[nd - 1].y, days[nd - 1].m,
		       days[nd - 1].d, cfg.quota_tok, feasible, green_met);
		printf("%-13s %12s %12s %11s %9s %10s %9s\n", "policy", "green share",
		       "tokens (M)", "grid kWh", "J/token", "quota met", "SLO %");
		for (p = 0; p < TF_EV_NPOLICIES; p++)
			printf("%-13s %11.2f%% %12.1f %11.1f %9.3f %6u/%-3u %8.2f%%\n",
			       tf_eval_policy_name[p], 100 * share(&tot[p]), tot[p].tokens / 1e6,
			       tot[p].grid_j / 3.6e6, tot[p].energy_j / tot[p].tokens, met[p], nd,
			       100 * (tot[p].inter_due > 0 ? tot[p].inter_tok / tot[p].inter_due : 1));
		if (nr)
			printf("tokenfactory / optimum green share, over the %u days with surplus: "
			       "mean %.2f%%, worst decile %.2f%%, worst %.2f%%\n", nr,
			       100 * ratio_sum / nr, 100 * ratios[nr / 10], 100 * ratios[0]);
	}
	free(days);
	free(ratios);
	tf_trace_free(&tr);
	return 0;
}
