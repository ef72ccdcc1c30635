/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A filled /metrics snapshot, shared by test_metrics and tf-metrics-demo
 * (which Prometheus scrapes in test_metrics_scrape.sh): a host with two
 * domains capped, two groups with tokens, one with a name that needs every
 * escape, a stale-free signal from two sources, actuators.
 */
#ifndef TF_METRICS_FILL_H
#define TF_METRICS_FILL_H

#include <math.h>
#include <string.h>

#include "metrics.h"

#define TF_FILL_ODD_GROUP "odd \"q\" \\ x\ny"

static inline void tf_metrics_fill(struct tf_mx_snapshot *s)
{
	struct tf_mx_domain *d;
	struct tf_mx_group *g;
	struct tf_mx_source *src;
	struct tf_mx_actuator *a;

	memset(s, 0, sizeof(*s));
	s->ticks = 3600;
	s->conservation_errors = 0;
	s->push_errors = 2;
	s->failsafe = false;
	s->signal_set = true;
	s->signal_fresh = true;
	s->surplus_uw = 150000000;		/* 150 W */
	s->signal_age_ms = 2500;
	s->budget_uw = 420500000;		/* 420.5 W */
	s->green_ppm = 357143;

	d = tf_mx_add_domain(s, "host");
	d->energy_uj = 123456789012ULL;
	d->power_uw = 312500001;
	d->cap_uw = 400000000;
	d = tf_mx_add_domain(s, "package-0");
	d->energy_uj = 98765432100ULL;
	d->power_uw = 112000000;
	d->cap_uw = 120000000;
	d->estimated = true;
	d = tf_mx_add_domain(s, "gpu-0");
	d->energy_uj = 24691356912ULL;
	d->power_uw = 200500000;

	g = tf_mx_add_group(s, "chat");
	strcpy(g->tier, "interactive");
	g->energy_uj = 5000000000ULL;
	g->power_uw = 180000000;
	g->has_tokens = true;
	g->tokens_up = true;
	g->tokens = 123456;
	g->green_tokens = 45678;
	g->j_per_token = 5000.0 / 123456;
	g->has_cpu_max = true;
	g->cpu_max = -1;			/* "max" */
	g = tf_mx_add_group(s, "batch");
	strcpy(g->tier, "batch");
	g->energy_uj = 2500000000ULL;
	g->power_uw = 90000000;
	g->has_tokens = true;
	g->tokens_up = false;
	g->tokens = 0;
	g->scrape_errors = 7;
	g->frozen = true;
	g->has_cpu_max = true;
	g->cpu_max = 1.5;
	g = tf_mx_add_group(s, TF_FILL_ODD_GROUP);
	strcpy(g->tier, "background");

	src = tf_mx_add_source(s, "caiso");
	strcpy(src->kind, "csv");
	src->fresh = true;
	src->accepted = 3600;
	src = tf_mx_add_source(s, "grid-mqtt");
	strcpy(src->kind, "mqtt");
	src->accepted = 10;
	src->rejected = 3;

	a = tf_mx_add_actuator(s, "gpu-0");
	strcpy(a->state, "clamped");
	a = tf_mx_add_actuator(s, "cgroup/batch");
	strcpy(a->state, "frozen");
	a->errors = 1;
}

#endif /* TF_METRICS_FILL_H */
