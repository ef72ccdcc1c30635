// SPDX-License-Identifier: GPL-2.0
/*
 * tf-latency: signal-to-actuation latency of tokenfactoryd, end to end.
 * Publishes surplus steps on an MQTT topic (one connection, libmosquitto,
 * so no process start-up is timed) and times each until the agent has
 * actuated it (the batch cgroup's cgroup.freeze reads the new value), and
 * until it is in effect (cgroup.events says frozen or not: the kernel's
 * freezer has stopped every task, which a busy emulated CPU delays).
 *
 *   tf-latency HOST PORT TOPIC CGROUP_DIR STEPS LOW_W HIGH_W
 *
 * LOW_W must leave the batch tier no power (frozen 1), HIGH_W give it some
 * (frozen 0). Prints every step's two latencies, then p50 and p99 of each
 * in ms; exit 1 when a step is not in effect within 10 s.
 */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* "frozen N" in cgroup.events, or the bare number in cgroup.freeze */
static int readv(const char *path, const char *fmt)
{
	char line[64];
	int v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v) == 1)
			break;
	fclose(f);
	return v;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct mosquitto *m;
	char events[4096], freeze[4096], msg[64];
	double *lat, *eff;
	int steps, i, rc = 0;

	if (argc != 8) {
		fprintf(stderr, "usage: tf-latency HOST PORT TOPIC CGROUP_DIR STEPS LOW_W HIGH_W\n");
		return 2;
	}
	steps = atoi(argv[5]);
	if (steps < 2 || !(lat = calloc(steps, sizeof(*lat))) ||
	    !(eff = calloc(steps, sizeof(*eff))))
		return 2;
	snprintf(events, sizeof(events), "%s/cgroup.events", argv[4]);
	snprintf(freeze, sizeof(freeze), "%s/cgroup.freeze", argv[4]);
	mosquitto_lib_init();
	m = mosquitto_new(NULL, true, NULL);
	if (!m || mosquitto_connect(m, argv[1], atoi(argv[2]), 30) != MOSQ_ERR_SUCCESS ||
	    mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "tf-latency: cannot connect to %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	for (i = 0; i < steps && !rc; i++) {
		/* even steps freeze, odd ones thaw */
		int want = i % 2 == 0 ? 1 : 0;
		double t0, deadline;

		snprintf(msg, sizeof(msg), "{\"surplus_w\": %s}", want ? argv[6] : argv[7]);
		t0 = now_ms();
		deadline = t0 + 10000;
		mosquitto_publish(m, NULL, argv[3], strlen(msg), msg, 1, false);
		lat[i] = -1;
		while (readv(events, "frozen %d") != want) {
			if (lat[i] < 0 && readv(freeze, "%d") == want)
				lat[i] = now_ms() - t0;
			if (now_ms() > deadline) {
				fprintf(stderr, "tf-latency: step %d (%s) not in effect in 10 s\n",
					i, msg);
				rc = 1;
				break;
			}
			usleep(200);
		}
		eff[i] = now_ms() - t0;
		if (lat[i] < 0)
			lat[i] = eff[i];
		printf("step %d: actuated %.1f ms, in effect %.1f ms\n", i, lat[i], eff[i]);
		usleep(50000);	/* let the agent's tick and the worker settle */
	}
	/* no forced stop: pthread_cancel would need libgcc_s in the guest */
	mosquitto_disconnect(m);
	mosquitto_loop_stop(m, false);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	if (!rc) {
		qsort(lat, steps, sizeof(*lat), cmp);
		qsort(eff, steps, sizeof(*eff), cmp);
		/* nearest rank */
		printf("actuated: p50 %.1f ms p99 %.1f ms; in effect: p50 %.1f ms p99 %.1f ms; over %d steps\n",
		       lat[(steps * 50 + 99) / 100 - 1],
		       lat[(steps * 99 + 99) / 100 - 1],
		       eff[(steps * 50 + 99) / 100 - 1],
		       eff[(steps * 99 + 99) / 100 - 1], steps);
	}
	free(lat);
	free(eff);
	return rc;
}
