// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "localday.h"

/* A POSIX TZ name: 3+ letters, or <3+ of letters, digits, '+', '-'>. */
static const char *tf_tz_name(const char *s)
{
	const char *q = s;

	if (*q == '<') {
		for (q++; isalnum((unsigned char)*q) || *q == '+' || *q == '-'; q++)
			;
		return *q == '>' && q - s >= 4 ? q + 1 : NULL;
	}
	while (isalpha((unsigned char)*q))
		q++;
	return q - s >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]] */
static const char *tf_tz_offset(const char *s)
{
	int part;

	if (*s == '+' || *s == '-')
		s++;
	for (part = 0; part < 3; part++) {
		if (part && *s++ != ':')
			return NULL;
		if (!isdigit((unsigned char)*s))
			return NULL;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s != ':')
			break;
	}
	return s;
}

static bool tf_tz_posix(const char *s)
{
	s = tf_tz_name(s);
	if (s)
		s = tf_tz_offset(s);
	if (!s)
		return false;
	if (!*s)
		return true;
	if (*s != ',') {
		s = tf_tz_name(s);	/* the DST name */
		if (!s)
			return false;
		if (*s && *s != ',')
			s = tf_tz_offset(s);	/* the DST offset */
		if (!s)
			return false;
	}
	if (!*s)
		return true;
	/* ",start[/time],end[/time]": Jn, n or Mm.w.d, checked loosely */
	if (*s++ != ',' || !*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !strchr("JM.,/:+-", *s))
			return false;
	return true;
}

bool tf_tz_valid(const char *tz)
{
	char path[PATH_MAX];
	const char *dir = getenv("TZDIR");
	struct stat st;

	if (!tz || !*tz)
		return false;
	if (*tz == ':')
		tz++;
	if (!strcmp(tz, "UTC") || !strcmp(tz, "GMT"))
		return true;
	if (tf_tz_posix(tz))
		return true;
	/* a zone file: never outside the zone directory by "..", unless absolute */
	if (strstr(tz, ".."))
		return false;
	if (*tz == '/')
		snprintf(path, sizeof(path), "%s", tz);
	else if (snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo",
			  tz) >= (int)sizeof(path))
		return false;
	return !stat(path, &st) && S_ISREG(st.st_mode);
}

int tf_tz_set(const char *tz)
{
	if (!tf_tz_valid(tz) || setenv("TZ", tz, 1))
		return -1;
	tzset();
	return 0;
}

/* UTC seconds of local midnight starting day d of tm's month (mktime normalises). */
static time_t tf_midnight(const struct tm *tm, int d)
{
	struct tm m = *tm;

	m.tm_mday = d;
	m.tm_hour = 0;
	m.tm_min = 0;
	m.tm_sec = 0;
	m.tm_isdst = -1;
	return mktime(&m);
}

int tf_local_at(double t, struct tf_localtime *out)
{
	struct tm tm, next;
	time_t s, day0, day1, tn;
	double frac;

	if (!isfinite(t) || t < (double)LLONG_MIN / 2 || t > (double)LLONG_MAX / 2)
		return -1;
	s = (time_t)floor(t);
	frac = t - (double)s;
	if (!localtime_r(&s, &tm))
		return -1;
	out->day = (int64_t)floor((double)timegm(&(struct tm){
		.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = tm.tm_mday }) / 86400);
	out->hour = (unsigned int)tm.tm_hour;
	out->hour_left_s = 3600 - (tm.tm_min * 60 + tm.tm_sec) - frac;
	day0 = tf_midnight(&tm, tm.tm_mday);
	day1 = tf_midnight(&tm, tm.tm_mday + 1);
	if (day0 == (time_t)-1 || day1 == (time_t)-1)
		return -1;
	out->day_hours = (unsigned int)lround((double)(day1 - day0) / 3600);
	/* the next hour starts where this one ends, whatever its clock reads */
	tn = s + (time_t)(3600 - (tm.tm_min * 60 + tm.tm_sec));
	if (!localtime_r(&tn, &next))
		return -1;
	out->next_hour = (unsigned int)next.tm_hour;
	out->hours_left = tn >= day1 ? 0 : (unsigned int)lround((double)(day1 - tn) / 3600);
	return 0;
}

bool tf_fc_roll(struct tf_forecast *fc, int64_t *day,
		const struct tf_localtime *lt)
{
	if (*day == lt->day)
		return false;
	if (*day != INT64_MIN)
		tf_fc_end_day(fc);
	*day = lt->day;
	return true;
}

size_t tf_fc_seed(struct tf_forecast *fc, int64_t *day, const int64_t *t,
		  const double *w, size_t n, double now)
{
	struct tf_localtime lt;
	size_t i, used = 0;

	for (i = 0; i < n && (double)t[i] < now; i++) {
		if (tf_local_at((double)t[i], &lt))
			continue;
		tf_fc_roll(fc, day, &lt);
		tf_fc_observe(fc, lt.hour, fmax(0, w[i]));
		used++;
	}
	/* the last day of data is over when now is in a later day */
	if (!tf_local_at(now, &lt))
		tf_fc_roll(fc, day, &lt);
	return used;
}
