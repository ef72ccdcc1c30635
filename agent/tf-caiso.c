// SPDX-License-Identifier: GPL-2.0
/*
 * tf-caiso: a CAISO curtailment report (shared/data/caiso-curtailment) into
 * one host's surplus series for the agent's CSV replay: lines
 * "UTC_SECONDS,SURPLUS_W", one per hour, zeros included.
 *
 *   tf-caiso [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--site-share F]
 *            [--hosts N] [--host-max W] REPORT.csv
 *
 * Site scaling is configuration: --site-share is the fraction of CAISO's
 * curtailed power the site can absorb (default 0.005), --hosts how many
 * hosts share it (default 20000: a 20 MW site of 1 kW hosts), --host-max
 * one host's most (default 1000 W). On the largest hour of the trace
 * (2,398 MWh) that gives each host 600 W.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

static long parse_day(const char *s)
{
	int y;
	unsigned int m, d;
	char tail;

	if (sscanf(s, "%d-%u-%u%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
	    d < 1 || d > 31)
		return -1;
	return (long)y * 10000 + m * 100 + d;
}

static double parse_num(const char *opt, const char *s, double min)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < min) {
		fprintf(stderr, "tf-caiso: %s: bad number '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "site-share", required_argument, NULL, 's' },
		{ "hosts", required_argument, NULL, 'n' },
		{ "host-max", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct tf_site_scale scale = { 0.005, 20000, 1000 };
	struct tf_trace tr;
	long from = 0, to = 0;
	char err[256];
	size_t i;
	FILE *f;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
		case 't':
			if (parse_day(optarg) < 0) {
				fprintf(stderr, "tf-caiso: --%s: not YYYY-MM-DD: '%s'\n",
					opt == 'f' ? "from" : "to", optarg);
				return 2;
			}
			*(opt == 'f' ? &from : &to) = parse_day(optarg);
			break;
		case 's':
			scale.site_share = parse_num("--site-share", optarg, 0);
			break;
		case 'n':
			scale.hosts = (unsigned int)parse_num("--hosts", optarg, 1);
			break;
		case 'm':
			scale.host_max_w = parse_num("--host-max", optarg, 0);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: tf-caiso [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--site-share F] [--hosts N] [--host-max W] REPORT.csv\n");
		return 2;
	}
	f = fopen(argv[optind], "r");
	if (!f) {
		perror(argv[optind]);
		return 1;
	}
	if (tf_caiso_read(f, argv[optind], from, to, &tr, err, sizeof(err))) {
		fprintf(stderr, "tf-caiso: %s\n", err);
		fclose(f);
		return 1;
	}
	fclose(f);
	printf("# utc_s,surplus_w  (CAISO curtailment, site share %g, %u hosts, host max %g W)\n",
	       scale.site_share, scale.hosts, scale.host_max_w);
	for (i = 0; i < tr.n; i++)
		printf("%lld,%.1f\n", (long long)tr.v[i].t,
		       tf_host_surplus_w(tr.v[i].mwh, &scale));
	tf_trace_free(&tr);
	return 0;
}
