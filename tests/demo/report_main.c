// SPDX-License-Identifier: GPL-2.0
/*
 * tf-report: the demo's day, per hour and in total, from its interval log
 * (report.h says the format and the arithmetic), as a table or --json, and
 * a PNG of surplus, host power, budget and token rates (gnuplot).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "report.h"

static struct {
	double accel, day_start, quota, slo_target;
	const char *slo_file, *png, *title;
	bool json;
} opt = { .accel = 480, .slo_target = 0.99, .title = "tokenfactory: one day" };

static void usage(FILE *f)
{
	fprintf(f,
"usage: tf-report [options] LOG.csv\n"
"The demo's day per hour and in total from its interval log, whose header\n"
"names t,surplus_w,host_power_w,meter,tokens_interactive,tokens_batch,budget_w\n"
"(t: trace seconds at each interval's end; tokens: generated in the interval;\n"
"meter: measured or estimated).\n"
"  --accel A        trace seconds per wall second (default 480); energy is\n"
"                   power x wall time, so J/token is what the tokens cost\n"
"  --day-start T    trace time of the day's 00:00 (default 0: t counts from it)\n"
"  --quota N        batch tokens due by the end of the day\n"
"  --slo FILE       tf-loadgen's --json output: SLO attainment per hour\n"
"  --slo-target F   attainment that meets the SLO (default 0.99)\n"
"  --json           one JSON document instead of the table\n"
"  --png FILE       plot surplus, power, budget and token rates (gnuplot)\n"
"  --title TEXT     the plot's title\n");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 65536, n = 0, r;
	char *buf = malloc(cap), *nb;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n == cap - 1) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	buf[n] = 0;
	return buf;
}

static const char *meter_name(int m)
{
	return m == RP_MEASURED ? "measured" : m == RP_ESTIMATED ? "estimated" :
	       m ? "mixed" : "none";
}

static struct json_object *jnum(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

static void print_json(const struct rp_report *r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *hs = json_object_new_array(), *t;

	/* 10 significant digits: no 20.800000000000001 */
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);

	for (size_t i = 0; i < r->nhours; i++) {
		const struct rp_hour *h = &r->hours[i];
		struct json_object *e = json_object_new_object();
		double tok = h->tok_i + h->tok_b;

		json_object_object_add(e, "hour", json_object_new_int(h->hour));
		json_object_object_add(e, "surplus_w", jnum(h->surplus_w));
		json_object_object_add(e, "host_power_w", jnum(h->power_w));
		json_object_object_add(e, "meter", json_object_new_string(meter_name(h->meters)));
		json_object_object_add(e, "budget_w", jnum(h->budget_w));
		json_object_object_add(e, "tokens_interactive", jnum(h->tok_i));
		json_object_object_add(e, "tokens_batch", jnum(h->tok_b));
		json_object_object_add(e, "green_share", jnum(tok > 0 ? h->green_tokens / tok : NAN));
		json_object_object_add(e, "energy_j", jnum(h->energy_j));
		json_object_object_add(e, "grid_energy_j", jnum(h->grid_j));
		json_object_object_add(e, "slo_attainment", jnum(h->slo));
		json_object_array_add(hs, e);
	}
	json_object_object_add(o, "hours", hs);
	t = json_object_new_object();
	json_object_object_add(t, "tokens", jnum(r->tok_i + r->tok_b));
	json_object_object_add(t, "tokens_interactive", jnum(r->tok_i));
	json_object_object_add(t, "tokens_batch", jnum(r->tok_b));
	json_object_object_add(t, "energy_j", jnum(r->energy_j));
	json_object_object_add(t, "grid_energy_j", jnum(r->grid_j));
	json_object_object_add(t, "green_energy_j", jnum(r->green_j));
	json_object_object_add(t, "j_per_token", jnum(r->j_per_token));
	json_object_object_add(t, "green_token_share", jnum(r->green_share));
	json_object_object_add(t, "meter", json_object_new_string(meter_name(r->meters)));
	json_object_object_add(t, "batch_quota", jnum(r->quota));
	json_object_object_add(t, "quota_met", r->quota > 0 ?
			       json_object_new_boolean(r->quota_met) : NULL);
	json_object_object_add(t, "slo_attainment", jnum(r->slo));
	json_object_object_add(t, "slo_target", jnum(r->slo_target));
	json_object_object_add(t, "slo_met", isnan(r->slo) ? NULL :
			       json_object_new_boolean(r->slo_met));
	json_object_object_add(o, "total", t);
	json_object_object_add(o, "accel", jnum(opt.accel));
	json_object_object_add(o, "energy_note", json_object_new_string(
		"joules over wall-clock time at the measured or estimated host power; "
		"meter 'estimated' is the module's utilisation model, not a measurement"));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_SPACED));
	json_object_put(o);
}

static void pct(char *buf, size_t len, double v)
{
	if (isfinite(v))
		snprintf(buf, len, "%.1f%%", v * 100);
	else
		snprintf(buf, len, "-");
}

static void print_table(const struct rp_report *r)
{
	char g[16], s[16];

	printf("%-4s %10s %10s %-9s %10s %10s %10s %7s %10s %10s %7s\n", "hour",
	       "surplus_W", "power_W", "meter", "budget_W", "tok_inter", "tok_batch",
	       "green", "energy_J", "grid_J", "SLO");
	for (size_t i = 0; i < r->nhours; i++) {
		const struct rp_hour *h = &r->hours[i];
		double tok = h->tok_i + h->tok_b;

		pct(g, sizeof(g), tok > 0 ? h->green_tokens / tok : NAN);
		pct(s, sizeof(s), h->slo);
		printf("%02d   %10.1f %10.1f %-9s %10.1f %10.0f %10.0f %7s %10.1f %10.1f %7s\n",
		       h->hour, h->surplus_w, h->power_w, meter_name(h->meters),
		       h->budget_w, h->tok_i, h->tok_b, g, h->energy_j, h->grid_j, s);
	}
	pct(g, sizeof(g), r->green_share);
	pct(s, sizeof(s), r->slo);
	printf("\ntokens            %.0f (interactive %.0f, batch %.0f)\n",
	       r->tok_i + r->tok_b, r->tok_i, r->tok_b);
	printf("energy            %.1f J (host power %s; wall-clock time)\n",
	       r->energy_j, meter_name(r->meters));
	printf("grid energy       %.1f J\n", r->grid_j);
	printf("J/token           %.4f\n", r->j_per_token);
	printf("green-token share %s\n", g);
	if (r->quota > 0)
		printf("batch quota       %.0f tokens: %s\n", r->quota,
		       r->quota_met ? "met" : "NOT met");
	if (!isnan(r->slo))
		printf("interactive SLO   %s of requests (target %.1f%%): %s\n", s,
		       r->slo_target * 100, r->slo_met ? "met" : "NOT met");
	if (r->meters & RP_ESTIMATED)
		printf("note: 'estimated' power is the module's utilisation model "
		       "(idle + busy share x (max - idle)), not a measurement\n");
}

/* The plot: watts on the left axis, tokens per wall second on the right. */
static int plot(const struct rp_row *rows, size_t n)
{
	char cmd[4200];
	FILE *g;
	int rc;

	if (strchr(opt.png, '\'') || strchr(opt.title, '\'') ||
	    strlen(opt.png) > 2000 || strlen(opt.title) > 1000) {
		fprintf(stderr, "tf-report: no quotes in --png or --title\n");
		return -1;
	}
	g = popen("gnuplot", "w");
	if (!g) {
		fprintf(stderr, "tf-report: gnuplot: %s\n", strerror(errno));
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "set terminal pngcairo size 1200,600 noenhanced\n"
		 "set output '%s'\nset title '%s'\n"
		 "set datafile separator ','\nset key outside bottom center horizontal\n"
		 "set xlabel 'hour of the day (trace)'\nset xrange [*:*]\nset xtics 2\n"
		 "set ylabel 'W'\nset y2label 'tokens per second'\n"
		 "set ytics nomirror\nset y2tics\nset grid\n",
		 opt.png, opt.title);
	fputs(cmd, g);
	fputs("$D << EOD\n", g);
	for (size_t i = 0; i < n; i++) {
		double dt = i ? rows[i].t - rows[i - 1].t : rows[1].t - rows[0].t;
		double wall = dt / opt.accel;

		fprintf(g, "%.4f,%.3f,%.3f,%.3f,%.3f,%.3f\n",
			(rows[i].t - opt.day_start) / 3600.0, rows[i].surplus_w,
			rows[i].power_w, rows[i].budget_w, rows[i].tok_i / wall,
			rows[i].tok_b / wall);
	}
	fputs("EOD\n", g);
	fputs("plot $D using 1:2 with filledcurves y1=0 fs transparent solid 0.3 lc rgb '#2ca02c' title 'surplus W', \\\n"
	      "  '' using 1:3 with lines lw 2 lc rgb '#d62728' title 'host power W', \\\n"
	      "  '' using 1:4 with lines dt 2 lc rgb '#7f7f7f' title 'budget W', \\\n"
	      "  '' using 1:5 axes x1y2 with lines lc rgb '#1f77b4' title 'interactive tok/s', \\\n"
	      "  '' using 1:6 axes x1y2 with lines lc rgb '#ff7f0e' title 'batch tok/s'\n", g);
	rc = pclose(g);
	if (rc) {
		fprintf(stderr, "tf-report: gnuplot failed (status %d)\n", rc);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "accel", required_argument, NULL, 'a' },
		{ "day-start", required_argument, NULL, 'd' },
		{ "quota", required_argument, NULL, 'q' },
		{ "slo", required_argument, NULL, 's' },
		{ "slo-target", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "png", required_argument, NULL, 'p' },
		{ "title", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct rp_report r;
	struct rp_row *rows;
	char err[256], *text, *end;
	size_t n;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		double *dst = NULL;

		switch (c) {
		case 'a':
			dst = &opt.accel;
			break;
		case 'd':
			dst = &opt.day_start;
			break;
		case 'q':
			dst = &opt.quota;
			break;
		case 'S':
			dst = &opt.slo_target;
			break;
		case 's':
			opt.slo_file = optarg;
			break;
		case 'j':
			opt.json = true;
			break;
		case 'p':
			opt.png = optarg;
			break;
		case 't':
			opt.title = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (dst) {
			errno = 0;
			*dst = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(*dst)) {
				fprintf(stderr, "tf-report: bad number '%s'\n", optarg);
				return 2;
			}
		}
	}
	if (optind != argc - 1 || !(opt.accel > 0) || opt.quota < 0 ||
	    !(opt.slo_target >= 0 && opt.slo_target <= 1)) {
		usage(stderr);
		return 2;
	}
	text = slurp(argv[optind]);
	if (!text) {
		fprintf(stderr, "tf-report: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if (rp_parse_log(text, &rows, &n, err, sizeof(err)) ||
	    rp_aggregate(rows, n, opt.accel, opt.day_start, opt.quota, &r, err,
			 sizeof(err))) {
		fprintf(stderr, "tf-report: %s: %s\n", argv[optind], err);
		free(text);
		free(rows);
		return 1;
	}
	free(text);
	if (opt.slo_file) {
		text = slurp(opt.slo_file);
		if (!text || rp_add_slo(&r, text, opt.slo_target, err, sizeof(err))) {
			fprintf(stderr, "tf-report: %s: %s\n", opt.slo_file,
				text ? err : strerror(errno));
			rc = 1;
		}
		free(text);
	}
	if (!rc) {
		if (opt.json)
			print_json(&r);
		else
			print_table(&r);
		if (opt.png && plot(rows, n))
			rc = 1;
	}
	rp_free(&r);
	free(rows);
	return rc;
}
