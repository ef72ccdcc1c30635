// SPDX-License-Identifier: GPL-2.0
/*
 * tf-spin: burns a CPU with a precise duty cycle, for attribution tests.
 *
 *   tf-spin DUTY_PERCENT SECONDS [PERIOD_MS]
 *
 * Each period (default 10 ms) it spins for DUTY % of it on CLOCK_MONOTONIC
 * and sleeps to the period's end (absolute deadlines: no drift). Prints the
 * CPU time it used, from getrusage, when done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long period, busy, start, end, t;
	struct rusage ru;
	struct timespec ts;

	if (argc < 3) {
		fprintf(stderr, "usage: tf-spin DUTY_PERCENT SECONDS [PERIOD_MS]\n");
		return 2;
	}
	period = (argc > 3 ? atoll(argv[3]) : 10) * 1000000LL;
	busy = period * atoi(argv[1]) / 100;
	start = now_ns();
	end = start + atoll(argv[2]) * 1000000000LL;
	for (t = start; t < end; t += period) {
		while (now_ns() < t + busy)
			;
		ts.tv_sec = (t + period) / 1000000000LL;
		ts.tv_nsec = (t + period) % 1000000000LL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("tf-spin %s%%: %.3f s of CPU\n", argv[1],
	       ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return 0;
}
