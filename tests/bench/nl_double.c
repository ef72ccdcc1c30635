// SPDX-License-Identifier: GPL-2.0
/*
 * NETLINK DOUBLE for tokenfactoryd-nldouble: the real daemon's objects
 * linked with this file in place of agent/tf_nl.c, so that the whole
 * daemon (sensor, NVML, accounting thread, sources, /metrics, control step)
 * runs natively on a host without tokenfactory.ko, for its CPU and memory
 * figures (docs/benchmarks.md). The module's side is synthetic: host,
 * package-0 (120 W) and dram-0 (15 W) domains, the GPUs as the agent pushes
 * them, groups accepted; the ledger push encodes the real client's
 * messages (agent/tf_nl.c, as tf-agent-bench does) and drops them. Not for
 * tests of behaviour.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "nl_domains.h"
#include "nl_ledger.h"
#include "tf_nl.h"

struct tf_nl {
	int unused;
};

static struct {
	uint64_t start_ns;
	struct nd_gpus gpus;
	struct tf_signal_info sig;
} nd;

static uint64_t nd_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int tf_nl_open(struct tf_nl **out)
{
	if (!nd.start_ns)
		nd.start_ns = nd_mono_ns();
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void tf_nl_close(struct tf_nl *nl)
{
	free(nl);
}

const char *tf_nl_errmsg(const struct tf_nl *nl)
{
	(void)nl;
	return "";
}

unsigned int tf_nl_generation(const struct tf_nl *nl)
{
	(void)nl;
	return 1;
}

int tf_nl_status(struct tf_nl *nl, struct tf_status *st)
{
	(void)nl;
	memset(st, 0, sizeof(*st));
	snprintf(st->version, sizeof(st->version), "nl-double");
	st->proto = TF_GENL_VERSION;
	st->heartbeat_timeout_ms = 5000;
	st->generation = 1;
	return 0;
}

int tf_nl_domains(struct tf_nl *nl, struct tf_domain_info **out,
		  unsigned int *n)
{
	uint64_t t_us = (nd_mono_ns() - nd.start_ns) / 1000;
	unsigned int i;
	int err;

	(void)nl;
	err = nd_domains(&nd.gpus, nd.gpus.n, t_us * 120, t_us * 15, out, n);
	for (i = 0; !err && i < *n; i++)
		(*out)[i].max_power_uw = 400000000;
	return err;
}

int tf_nl_domain_set(struct tf_nl *nl, const char *name, const uint64_t *cap_uw,
		     const uint64_t *failsafe_uw)
{
	(void)nl;
	(void)name;
	(void)cap_uw;
	(void)failsafe_uw;
	return 0;
}

int tf_nl_energy_push(struct tf_nl *nl, const char *name, uint64_t energy_uj,
		      const uint64_t *power_uw, const uint64_t *max_uw)
{
	(void)nl;
	(void)power_uw;
	(void)max_uw;
	return nd_gpu_push(&nd.gpus, name, energy_uj);
}

int tf_nl_signal_get(struct tf_nl *nl, struct tf_signal_info *s)
{
	(void)nl;
	*s = nd.sig;
	return 0;
}

int tf_nl_signal_set(struct tf_nl *nl, const struct tf_signal_info *s)
{
	(void)nl;
	nd.sig = *s;
	nd.sig.set = true;
	return 0;
}

int tf_nl_heartbeat(struct tf_nl *nl)
{
	(void)nl;
	return 0;
}

int tf_nl_group_get(struct tf_nl *nl, const char *name, struct tf_group_info *g)
{
	(void)nl;
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	return 0;
}

void tf_group_info_free(struct tf_group_info *g)
{
	free(g->members);
	g->members = NULL;
}

int tf_nl_group_new(struct tf_nl *nl, const char *name, uint32_t tier,
		    const uint64_t *cap_uw)
{
	(void)nl;
	(void)name;
	(void)tier;
	(void)cap_uw;
	return 0;
}

int tf_nl_group_set(struct tf_nl *nl, const char *name, const uint32_t *tier,
		    const uint64_t *cap_uw)
{
	(void)nl;
	(void)name;
	(void)tier;
	(void)cap_uw;
	return 0;
}

int tf_nl_member(struct tf_nl *nl, bool add, const char *group, uint32_t pid,
		 const char *cgroup)
{
	(void)nl;
	(void)add;
	(void)group;
	(void)pid;
	(void)cgroup;
	return 0;
}

/*
 * The real client's messages (agent/tf_nl.c, agent/nl_ledger.c): 16 KiB,
 * filled with rows by its own encoder, then dropped instead of sent.
 */
static int tf_drop(struct nl_msg *msg, void *arg)
{
	(void)arg;
	nlmsg_free(msg);
	return 0;
}

int tf_nl_ledger_push(struct tf_nl *nl, uint32_t green_ppm,
		      const struct tf_ledger_row *rows, unsigned int n)
{
	(void)nl;
	return tf_nl_ledger_split(0x20, green_ppm, rows, n, tf_drop, NULL);
}

const char *tf_tier_name(uint32_t tier)
{
	switch (tier) {
	case TF_TIER_INTERACTIVE:
		return "interactive";
	case TF_TIER_BATCH:
		return "batch";
	case TF_TIER_BACKGROUND:
		return "background";
	default:
		return "?";
	}
}
