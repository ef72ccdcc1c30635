/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netlink client of the tokenfactory family, shared by tfctl and
 * tokenfactoryd. Functions return 0 or a negative errno; after an error,
 * tf_nl_errmsg() holds the kernel's extack message (with the name of the
 * attribute it points at, or of a missing one), if it sent one.
 */
#ifndef TF_NL_H
#define TF_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/tokenfactory.h>

#define TF_NL_MAX_METERS 64

struct tf_nl;
struct nlattr;

struct tf_meter_info {
	char name[TF_NAME_LEN];
	uint32_t kind;		/* enum tf_meter_kind */
	bool estimated;
};

struct tf_status {
	char version[TF_NAME_LEN];
	uint32_t proto;
	uint64_t uptime_ns;
	bool failsafe;
	uint32_t agent_pid;
	int64_t heartbeat_age_ms;	/* -1: never */
	uint32_t heartbeat_timeout_ms;
	uint32_t failsafe_count;
	uint64_t push_rejects;
	uint32_t generation;
	unsigned int nmeters;
	struct tf_meter_info meters[TF_NL_MAX_METERS];
};

struct tf_domain_info {
	uint32_t id;
	char name[TF_NAME_LEN];
	uint32_t type;			/* enum tf_domain_type */
	uint32_t meter;			/* enum tf_meter_kind */
	bool estimated;
	uint64_t energy_uj;
	uint64_t power_uw;
	uint64_t max_power_uw;
	uint64_t cap_uw;
	uint64_t failsafe_cap_uw;
	uint64_t eff_cap_uw;
	uint32_t cap_state;		/* enum tf_cap_state */
	uint32_t levers;		/* TF_LEVER_* */
	uint32_t perf_pct;
};

struct tf_signal_info {
	bool set;			/* a signal exists */
	uint64_t surplus_uw;
	uint32_t ttl_ms;
	char source[TF_NAME_LEN];
	bool has_carbon, has_price;
	uint32_t carbon_mg_kwh;
	int64_t price_ucur_mwh;
	uint64_t timestamp_ns;		/* 0: let the module stamp it */
	uint64_t age_ms;
	bool stale;
};

/* An event from the "events" group, already parsed by its kind. */
struct tf_event {
	uint8_t cmd;			/* TF_CMD_*_NTF */
	union {
		struct tf_domain_info domain;
		struct tf_signal_info signal;
		struct {
			bool on;
			uint32_t agent_pid;
			uint32_t count;
			int64_t silence_ms;	/* -1: never a heartbeat */
			uint32_t timeout_ms;
		} failsafe;
	};
};

int tf_nl_open(struct tf_nl **out);
void tf_nl_close(struct tf_nl *nl);
const char *tf_nl_errmsg(const struct tf_nl *nl);

int tf_nl_status(struct tf_nl *nl, struct tf_status *st);

/* *out is malloc'ed, *n entries, in id order. */
int tf_nl_domains(struct tf_nl *nl, struct tf_domain_info **out,
		  unsigned int *n);
int tf_nl_domain_get(struct tf_nl *nl, const char *name,
		     struct tf_domain_info *d);
int tf_nl_domain_set(struct tf_nl *nl, const char *name, const uint64_t *cap_uw,
		     const uint64_t *failsafe_uw);
int tf_nl_energy_push(struct tf_nl *nl, const char *name, uint64_t energy_uj,
		      const uint64_t *power_uw, const uint64_t *max_power_uw);

int tf_nl_signal_get(struct tf_nl *nl, struct tf_signal_info *s);
int tf_nl_signal_set(struct tf_nl *nl, const struct tf_signal_info *s);
int tf_nl_heartbeat(struct tf_nl *nl);

/* Joins the "events" group; then tf_nl_event_recv() blocks for the next. */
int tf_nl_events_join(struct tf_nl *nl);
int tf_nl_event_recv(struct tf_nl *nl, struct tf_event *ev);
int tf_nl_fd(const struct tf_nl *nl);

/* Raw messages (tests, fuzzers): build with libnl, send, get the ack. */
struct nl_msg;
struct nl_msg *tf_nl_new_msg(struct tf_nl *nl, uint8_t cmd, int flags);
int tf_nl_send_raw(struct tf_nl *nl, struct nl_msg *msg);

const char *tf_meter_kind_name(uint32_t kind);
const char *tf_domain_type_name(uint32_t type);
const char *tf_cap_state_name(uint32_t state);
const char *tf_attr_name(int type);
const char *tf_cmd_name(int cmd);

#endif /* TF_NL_H */
