// SPDX-License-Identifier: GPL-2.0
/* User side of the eBPF sensor (bpf/sensor.bpf.c), through its skeleton. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sensor.h"
#include "sensor.skel.h"

struct tf_sensor {
	struct sensor *skel;
	int ncpus;
	void *buf;	/* one value per possible CPU */
};

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
	free(s);
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
