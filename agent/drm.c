// SPDX-License-Identifier: GPL-2.0
/* GPU usage from DRM fdinfo, energy from the card's hwmon (drm.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drm.h"

/* A path, or -ENAMETOOLONG instead of a truncated one. */
static int tf_path(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int tf_path(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
}

static int tf_drm_u64(const char *s, uint64_t *v)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	while (*end == ' ' || *end == '\t')
		end++;
	/* engine time is "N ns"; ids are bare */
	if (*end && strncmp(end, "ns", 2))
		return -EINVAL;
	return 0;
}

static void tf_drm_str(const char *s, char *out, size_t sz)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, " \t");
	if (n >= sz)
		n = sz - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

int tf_drm_parse_fdinfo(const char *text, struct tf_drm_fdinfo *out)
{
	const char *line = text;

	memset(out, 0, sizeof(*out));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[256], *colon;
		uint64_t v;

		if (len < sizeof(buf) && !strncmp(line, "drm-", 4)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			colon = strchr(buf, ':');
			if (colon) {
				*colon++ = '\0';
				if (!strcmp(buf, "drm-driver")) {
					tf_drm_str(colon, out->driver, sizeof(out->driver));
				} else if (!strcmp(buf, "drm-pdev")) {
					tf_drm_str(colon, out->pdev, sizeof(out->pdev));
				} else if (!strcmp(buf, "drm-client-id")) {
					if (tf_drm_u64(colon, &out->client_id))
						return -EINVAL;
					out->has_client = true;
				} else if (!strncmp(buf, "drm-engine-", 11) &&
					   strncmp(buf, "drm-engine-capacity-", 20)) {
					if (tf_drm_u64(colon, &v))
						return -EINVAL;
					out->engine_ns += v;
					out->engines++;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!out->driver[0] || !out->has_client || !out->engines)
		return -ENOENT;
	return 0;
}

static int tf_drm_read(const char *path, char *buf, size_t sz)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, sz - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (int)n;
}

static int tf_drm_read_u64(const char *path, uint64_t *v)
{
	char buf[64];
	char *end;

	if (tf_drm_read(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* The card's hwmon directory with energy1_input or power1_average. */
static void tf_drm_hwmon(const char *dev, struct tf_drm_card *c)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (tf_path(path, sizeof(path), "%s/hwmon", dev))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char f[PATH_MAX];

		if (strncmp(e->d_name, "hwmon", 5))
			continue;
		if (tf_path(f, sizeof(f), "%s/%s/energy1_input", path, e->d_name))
			continue;
		if (!access(f, R_OK)) {
			tf_path(c->hwmon, sizeof(c->hwmon), "%s/%s", path, e->d_name);
			c->energy = true;
			break;
		}
		if (!tf_path(f, sizeof(f), "%s/%s/power1_average", path, e->d_name) &&
		    !access(f, R_OK))
			tf_path(c->hwmon, sizeof(c->hwmon), "%s/%s", path, e->d_name);
	}
	closedir(d);
}

static bool tf_drm_skipped(const char *driver, const char *skip)
{
	size_t n = strlen(driver);
	const char *p = skip;

	while (p && *p) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, driver, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

int tf_drm_cards(const char *sys_root, const char *skip,
		 struct tf_drm_card *out, unsigned int max)
{
	char path[PATH_MAX], dev[PATH_MAX], link[PATH_MAX], drv[PATH_MAX];
	unsigned int n = 0;
	struct dirent *e;
	DIR *d;

	if (tf_path(path, sizeof(path), "%s/class/drm", sys_root))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		struct tf_drm_card *c = &out[n];
		const char *base;
		ssize_t len;
		char *p;

		/* cardN only: renderD and connectors share the device */
		if (strncmp(e->d_name, "card", 4) || !isdigit((unsigned char)e->d_name[4]) ||
		    strchr(e->d_name, '-'))
			continue;
		if (tf_path(dev, sizeof(dev), "%s/%s/device", path, e->d_name))
			continue;
		memset(c, 0, sizeof(*c));
		/* the PCI address is the device link's last component */
		len = readlink(dev, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
		if (tf_path(c->pdev, sizeof(c->pdev), "%s", base))
			continue;
		if (tf_path(drv, sizeof(drv), "%s/driver", dev))
			continue;
		len = readlink(drv, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		p = strrchr(link, '/');
		if (tf_path(c->driver, sizeof(c->driver), "%s", p ? p + 1 : link))
			continue;
		if (tf_drm_skipped(c->driver, skip))
			continue;
		tf_drm_hwmon(dev, c);
		c->max_uw = TF_DRM_MAX_UW;
		if (c->hwmon[0]) {
			static const char *const keys[] = {
				"power1_cap_max", "power1_rated_max", "power1_max",
			};
			unsigned int k;
			uint64_t v;

			for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				if (!tf_path(drv, sizeof(drv), "%s/%s", c->hwmon, keys[k]) &&
				    !tf_drm_read_u64(drv, &v) && v) {
					c->max_uw = v;
					break;
				}
		}
		n++;
	}
	closedir(d);
	return (int)n;
}

struct tf_drm_seen {
	unsigned int card;
	uint64_t client_id;
};

static int tf_drm_pid(const char *proc_root, uint32_t pid,
		      const struct tf_drm_card *cards, unsigned int ncards,
		      struct tf_drm_use **out, size_t *n, size_t *cap)
{
	struct tf_drm_seen seen[64];
	unsigned int nseen = 0, k;
	char dir[PATH_MAX], path[PATH_MAX], link[64], text[4096];
	struct dirent *e;
	DIR *d;

	if (tf_path(dir, sizeof(dir), "%s/%" PRIu32 "/fd", proc_root, pid))
		return 0;
	d = opendir(dir);
	/*
	 * Gone, or not ours to read: skipped. Out of memory is not: a scan
	 * that silently left processes out would hand their GPU time to the
	 * others.
	 */
	if (!d)
		return errno == ENOMEM ? -ENOMEM : 0;
	while ((e = readdir(d))) {
		struct tf_drm_fdinfo fi;
		struct tf_drm_use *u = NULL;
		ssize_t len;
		size_t i;
		unsigned int c;
		int rd;

		if (e->d_name[0] == '.')
			continue;
		if (tf_path(path, sizeof(path), "%s/%s", dir, e->d_name))
			continue;
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strncmp(link, "/dev/dri/", 9))
			continue;
		if (tf_path(path, sizeof(path), "%s/%" PRIu32 "/fdinfo/%s",
			    proc_root, pid, e->d_name))
			continue;
		rd = tf_drm_read(path, text, sizeof(text));
		if (rd == -ENOMEM) {
			closedir(d);
			return -ENOMEM;
		}
		if (rd <= 0 || tf_drm_parse_fdinfo(text, &fi))
			continue;
		for (c = 0; c < ncards; c++)
			if (!strcmp(cards[c].pdev, fi.pdev))
				break;
		if (c == ncards)
			continue;
		for (k = 0; k < nseen; k++)
			if (seen[k].card == c && seen[k].client_id == fi.client_id)
				break;
		if (k < nseen)
			continue;	/* the same client through another fd */
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = (struct tf_drm_seen){ c, fi.client_id };
		for (i = 0; i < *n; i++)
			if ((*out)[i].pid == pid && (*out)[i].card == c)
				u = &(*out)[i];
		if (!u) {
			if (*n == *cap) {
				size_t nc = *cap ? 2 * *cap : 16;
				struct tf_drm_use *v = realloc(*out, nc * sizeof(*v));

				if (!v) {
					closedir(d);
					return -ENOMEM;
				}
				*out = v;
				*cap = nc;
			}
			u = &(*out)[(*n)++];
			*u = (struct tf_drm_use){ .pid = pid, .card = c };
		}
		u->engine_ns += fi.engine_ns;
	}
	closedir(d);
	return 0;
}

int tf_drm_scan(const char *proc_root, const struct tf_drm_card *cards,
		unsigned int ncards, struct tf_drm_use **out)
{
	size_t n = 0, cap = 0;
	struct dirent *e;
	int err = 0;
	DIR *d;

	*out = NULL;
	if (!ncards)
		return 0;
	d = opendir(proc_root);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(e->d_name, &end, 10);

		if (*end || !pid || pid > UINT32_MAX)
			continue;
		err = tf_drm_pid(proc_root, (uint32_t)pid, cards, ncards, out,
				 &n, &cap);
		if (err)
			break;
	}
	closedir(d);
	if (err) {
		free(*out);
		*out = NULL;
		return err;
	}
	return (int)n;
}

int tf_drm_energy_uj(const struct tf_drm_card *c, uint64_t dt_ns,
		     uint64_t *acc, uint64_t *uj)
{
	char path[PATH_MAX];
	uint64_t v;
	int err;

	if (!c->hwmon[0])
		return -ENOENT;
	if (tf_path(path, sizeof(path), "%s/%s", c->hwmon,
		    c->energy ? "energy1_input" : "power1_average"))
		return -ENAMETOOLONG;
	err = tf_drm_read_u64(path, &v);
	if (err)
		return err;
	if (c->energy) {
		*uj = v;
		return 0;
	}
	/* µW × ns / 10^9 = µJ */
	*acc += (uint64_t)((unsigned __int128)v * dt_ns / 1000000000U);
	*uj = *acc;
	return 0;
}
