/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local day the batch quota runs over: local hours and midnights in
 * the configured time zone, and the forecast fed by local hour (seeded
 * from a surplus history at start-up, then from the live signal).
 *
 * The zone is the C library's: POSIX TZ (a tzdata name such as
 * America/Los_Angeles, or a rule string such as PST8PDT,M3.2.0,M11.1.0)
 * read through localtime_r and mktime, so every zone and every historic
 * rule change of tzdata is right without a table of our own. The price is
 * that the zone is process-global: tf_tz_set changes TZ for the whole
 * process (log time stamps included), and must run once at start-up,
 * before any thread starts (setenv is not thread-safe). Everything else
 * here only reads it.
 */
#ifndef TF_LOCALDAY_H
#define TF_LOCALDAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/*
 * Whether tz names a zone the C library will honour (glibc silently takes
 * an unknown name as UTC): "UTC", a file under $TZDIR or
 * /usr/share/zoneinfo (no ".." in the name), an absolute path to a zone
 * file, or a POSIX rule string "STDoffset[DST[offset][,start,end]]".
 */
bool tf_tz_valid(const char *tz);
/*
 * setenv("TZ") + tzset: process-global, start-up only. Returns 0, or -1
 * for a zone tf_tz_valid rejects (TZ left as it was).
 */
int tf_tz_set(const char *tz);

struct tf_localtime {
	int64_t day;		/* the local date: days since 1970-01-01 */
	unsigned int hour;	/* the local hour, 0..23 */
	double hour_left_s;	/* seconds to the end of this local hour */
	unsigned int next_hour;	/* the local hour after it (0..23) */
	unsigned int hours_left;/* whole hours after this one to local midnight */
	unsigned int day_hours;	/* hours in this local day: 23, 24 or 25 on DST days */
};

/*
 * The local time of t (UTC seconds since the epoch) in the process's zone.
 * On the day a DST switch is still ahead, hours_left counts the real hours
 * (one fewer in spring, one more in fall): what tf_policy_batch_now wants.
 * Returns 0, -1 if t is out of the C library's range.
 */
int tf_local_at(double t, struct tf_localtime *out);

/*
 * Rolls the forecast's open day: when lt lies in another local day than
 * *day (INT64_MIN: none open yet), the open day is closed into the history
 * (tf_fc_end_day) and lt's day opens. Days with no sample at all (a gap in
 * the data, the daemon down) are not entered as zeros; a day earlier than
 * the open one (a replayed trace looping) is a new day too. Returns true
 * when *day changed: the quota's day starts again with it.
 */
bool tf_fc_roll(struct tf_forecast *fc, int64_t *day,
		const struct tf_localtime *lt);

/*
 * Seeds fc from a surplus series (t[i] UTC seconds, rising; w[i] watts,
 * negative counted as 0), only the samples before now: each in the slot
 * of its local hour, each local day closed at its local midnight, and the
 * day of now left open in *day for the live samples (tf_fc_roll,
 * tf_fc_observe). fc must be initialised (tf_fc_init); it keeps its last
 * fc->days days. Returns the number of samples used.
 */
size_t tf_fc_seed(struct tf_forecast *fc, int64_t *day, const int64_t *t,
		  const double *w, size_t n, double now);

#endif /* TF_LOCALDAY_H */
