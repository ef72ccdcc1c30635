// SPDX-License-Identifier: GPL-2.0
/* User side of the eBPF sensor (bpf/sensor.bpf.c), through its skeleton. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sensor.h"
#include "sensor.skel.h"

/* The last cumulative time of a process, per package, to report deltas. */
struct tf_seen {
	uint32_t tgid;
	uint64_t on_ns[TF_SENSOR_MAX_PKGS];
};

struct tf_sensor {
	struct sensor *skel;
	int ncpus;
	void *buf;	/* one value per possible CPU */
	unsigned int *pkg_of;	/* CPU -> package */
	unsigned int npkgs;
	struct tf_seen *seen;
	size_t nseen;
};

/* Each CPU's package, from sysfs; package 0 where it says nothing. */
static int tf_sensor_topology(struct tf_sensor *s)
{
	int cpu;

	s->pkg_of = calloc(s->ncpus, sizeof(*s->pkg_of));
	if (!s->pkg_of)
		return -ENOMEM;
	s->npkgs = 1;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		char path[96];
		unsigned int pkg = 0;
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/physical_package_id",
			 cpu);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%u", &pkg) != 1 || pkg >= TF_SENSOR_MAX_PKGS)
				pkg = 0;
			fclose(f);
		}
		s->pkg_of[cpu] = pkg;
		if (pkg + 1 > s->npkgs)
			s->npkgs = pkg + 1;
	}
	return 0;
}

int tf_sensor_open(struct tf_sensor **out, unsigned int max_procs)
{
	struct tf_sensor *s;
	size_t vsz;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		err = s->ncpus ? s->ncpus : -EINVAL;
		goto err_free;
	}
	vsz = sizeof(struct tf_cpu) > sizeof(struct tf_proc_stat) ?
	      sizeof(struct tf_cpu) : sizeof(struct tf_proc_stat);
	s->buf = calloc(s->ncpus, (vsz + 7) & ~(size_t)7);
	if (!s->buf) {
		err = -ENOMEM;
		goto err_free;
	}
	s->skel = sensor__open();
	if (!s->skel) {
		err = -errno;
		goto err_free;
	}
	if (max_procs) {
		err = bpf_map__set_max_entries(s->skel->maps.tf_procs, max_procs);
		if (err)
			goto err_destroy;
	}
	err = sensor__load(s->skel);
	if (err)
		goto err_destroy;
	err = sensor__attach(s->skel);
	if (err)
		goto err_destroy;
	*out = s;
	return 0;

err_destroy:
	sensor__destroy(s->skel);
err_free:
	free(s->buf);
	free(s);
	return err;
}

void tf_sensor_close(struct tf_sensor *s)
{
	if (!s)
		return;
	sensor__destroy(s->skel);
	free(s->buf);
	free(s->pkg_of);
	free(s->seen);
	free(s);
}

int tf_sensor_open2(struct tf_sensor **out, const struct tf_sensor_opts *o)
{
	int err = tf_sensor_open(out, o->max_procs);

	if (err)
		return err;
	err = tf_sensor_topology(*out);
	if (err) {
		tf_sensor_close(*out);
		*out = NULL;
	}
	return err;
}

bool tf_sensor_has_counters(const struct tf_sensor *s)
{
	(void)s;
	return false;
}

unsigned int tf_sensor_packages(const struct tf_sensor *s)
{
	return s->npkgs;
}

static int tf_seen_cmp(const void *a, const void *b)
{
	const struct tf_seen *x = a, *y = b;

	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

/*
 * Walks the process map, sums each process's per-CPU time by package and
 * reports what grew since the last walk.
 */
int tf_sensor_collect(struct tf_sensor *s,
		      void (*fn)(const struct tf_proc_delta *d, void *arg),
		      void *arg)
{
	const struct tf_proc_stat *v = s->buf;
	struct tf_seen *next = NULL, *prev;
	size_t nnext = 0, cap = 0;
	uint32_t key, *cur = NULL;
	struct tf_proc_delta d;
	int fd = bpf_map__fd(s->skel->maps.tf_procs), i, err = 0;

	while (!bpf_map_get_next_key(fd, cur, &key)) {
		struct tf_seen *e, probe = { .tgid = key };
		bool grew = false;
		unsigned int k;

		if (nnext == cap) {
			cap = cap ? 2 * cap : 256;
			e = realloc(next, cap * sizeof(*next));
			if (!e) {
				err = -ENOMEM;
				break;
			}
			next = e;
		}
		cur = &key;
		if (bpf_map_lookup_elem(fd, &key, s->buf))
			continue;
		e = &next[nnext++];
		memset(e, 0, sizeof(*e));
		e->tgid = key;
		for (i = 0; i < s->ncpus; i++)
			e->on_ns[s->pkg_of[i]] += v[i].on_ns;
		prev = s->nseen ? bsearch(&probe, s->seen, s->nseen,
					  sizeof(*s->seen), tf_seen_cmp) : NULL;
		memset(&d, 0, sizeof(d));
		d.tgid = key;
		for (k = 0; k < TF_SENSOR_MAX_PKGS; k++) {
			uint64_t before = prev ? prev->on_ns[k] : 0;

			d.on_ns[k] = e->on_ns[k] > before ? e->on_ns[k] - before : 0;
			grew |= d.on_ns[k] > 0;
		}
		if (grew)
			fn(&d, arg);
	}
	if (err) {
		free(next);
		return err;
	}
	qsort(next, nnext, sizeof(*next), tf_seen_cmp);
	free(s->seen);
	s->seen = next;
	s->nseen = nnext;
	return 0;
}

int tf_sensor_proc(struct tf_sensor *s, uint32_t tgid, struct tf_proc_stat *sum)
{
	const struct tf_proc_stat *v = s->buf;
	int i;

	if (bpf_map__lookup_elem(s->skel->maps.tf_procs, &tgid, sizeof(tgid),
				 s->buf, s->ncpus * sizeof(*v), 0))
		return -errno;
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < s->ncpus; i++)
		sum->on_ns += v[i].on_ns;
	return 0;
}

int tf_sensor_stats(struct tf_sensor *s, struct tf_sensor_stat *sum)
{
	const struct tf_cpu *v = s->buf;
	uint32_t zero = 0;
	int i;

	if (bpf_map__lookup_elem(s->skel->maps.tf_cpus, &zero, sizeof(zero),
				 s->buf, s->ncpus * sizeof(*v), 0))
		return -errno;
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < s->ncpus; i++) {
		sum->switches += v[i].stat.switches;
		sum->proc_full += v[i].stat.proc_full;
	}
	return 0;
}
