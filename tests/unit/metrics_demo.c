// SPDX-License-Identifier: GPL-2.0
/*
 * tf-metrics-demo LISTEN: serves the filled snapshot of metrics_fill.h on
 * LISTEN (host:port; port 0 picks one) until SIGTERM or SIGINT, printing
 * "port N" once listening. test_metrics_scrape.sh has a real Prometheus
 * scrape it. Each second the chat group's tokens grow by 10, so a scraper
 * sees a live counter.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "metrics.h"
#include "metrics_fill.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct tf_mx_snapshot *s = malloc(sizeof(*s));
	struct sigaction sa = { .sa_handler = on_signal };
	struct tf_metrics *m;
	char err[256];

	if (argc != 2 || !s) {
		fprintf(stderr, "usage: tf-metrics-demo HOST:PORT\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	tf_metrics_fill(s);
	if (tf_metrics_open(&m, argv[1], err, sizeof(err))) {
		fprintf(stderr, "tf-metrics-demo: %s\n", err);
		free(s);
		return 1;
	}
	tf_metrics_update(m, s);
	printf("port %u\n", tf_metrics_port(m));
	fflush(stdout);
	while (!stop) {
		sleep(1);
		s->ticks++;
		s->groups[0].tokens += 10;
		tf_metrics_update(m, s);
	}
	tf_metrics_close(m);
	free(s);
	return 0;
}
