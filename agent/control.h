/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control step: signal -> host budget -> tiers -> actuators, and the
 * outputs that follow from it (tokens, /metrics). The math is policy.c's
 * and lever.c's; this file owns the state between steps and the I/O.
 */
#ifndef TF_CONTROL_H
#define TF_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

struct tf_config;
struct tf_ctl;

/*
 * Starts the signal sources (they write wake_fd on every accepted value),
 * the actuators, the token scrapers and /metrics. c must outlive the
 * control (tf_ctl_reload hands it a new one).
 */
int tf_ctl_open(struct tf_ctl **out, const struct tf_config *c, int wake_fd);
/*
 * One step. tick: the accounting tick just ran (tokens are scraped and
 * energy read); otherwise a new signal value woke us and only the budget
 * and the actuators move.
 */
void tf_ctl_step(struct tf_ctl *ctl, bool tick);
struct tf_agent_stats;
/* The accounting tick's figures (green share, conservation), for a step. */
void tf_ctl_agent(struct tf_ctl *ctl, const struct tf_agent_stats *st);

/*
 * Takes the new configuration: sources restarted, groups and actuators
 * rebuilt, the budget's state kept (no jump up). On error the running
 * configuration stays and nothing changed.
 */
int tf_ctl_reload(struct tf_ctl *ctl, const struct tf_config *c);
/* Stops the threads and restores every actuator. NULL is fine. */
void tf_ctl_close(struct tf_ctl *ctl);

#endif /* TF_CONTROL_H */
