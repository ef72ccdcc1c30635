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
	bool has_cores;			/* RAPL reads the cores' part too */
	uint64_t core_energy_uj;
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

#define TF_NL_MAX_ENERGIES 64

struct tf_energy_row {
	uint32_t domain_id;
	uint64_t uj;
};

struct tf_member_info {
	uint32_t pid;			/* 0 for a cgroup member */
	char cgroup[TF_CGROUP_PATH_MAX];
};

struct tf_group_info {
	char name[TF_NAME_LEN];
	uint32_t tier;			/* enum tf_tier */
	bool deleted;			/* events only */
	uint64_t cap_uw;
	uint64_t tokens;
	uint64_t green_uj;
	unsigned int n_energy;
	struct tf_energy_row energy[TF_NL_MAX_ENERGIES];
	unsigned int n_members;
	struct tf_member_info *members;	/* malloc'ed: tf_group_info_free() */
};

/* A ledger account, or a bill (exit_ns != 0). */
struct tf_account_info {
	uint32_t pid;
	char comm[16];
	char group[TF_NAME_LEN];
	unsigned int n_energy;
	struct tf_energy_row energy[TF_NL_MAX_ENERGIES];
	uint64_t tokens;
	uint64_t green_uj;
	uint64_t exit_ns;
	uint64_t overflows;		/* of the table it came from */
};

/*
 * One process's share of one tick, for tf_nl_ledger_push(). The entries
 * live in the caller's storage (tf_account_tick()'s pool, a local array):
 * a row is a few dozen bytes, not a fixed array per domain, since a tick
 * has thousands of rows with one to three entries each.
 */
struct tf_ledger_row {
	uint32_t pid;
	char comm[16];			/* optional */
	unsigned int n_energy;		/* at most TF_NL_MAX_ENERGIES */
	struct tf_energy_row *energy;	/* n_energy entries; NULL if none */
	uint64_t tokens;
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
		struct tf_group_info group;	/* tf_event_free() */
		struct tf_account_info bill;
	};
};

int tf_nl_open(struct tf_nl **out);
void tf_nl_close(struct tf_nl *nl);
const char *tf_nl_errmsg(const struct tf_nl *nl);
/* Bumped each time the family is found under a new id (module reloaded). */
unsigned int tf_nl_generation(const struct tf_nl *nl);

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

int tf_nl_groups(struct tf_nl *nl, struct tf_group_info **out,
		 unsigned int *n);
int tf_nl_group_get(struct tf_nl *nl, const char *name,
		    struct tf_group_info *g);
void tf_group_info_free(struct tf_group_info *g);
void tf_group_infos_free(struct tf_group_info *v, unsigned int n);
int tf_nl_group_new(struct tf_nl *nl, const char *name, uint32_t tier,
		    const uint64_t *cap_uw);
/* either may be NULL */
int tf_nl_group_set(struct tf_nl *nl, const char *name, const uint32_t *tier,
		    const uint64_t *cap_uw);
int tf_nl_group_del(struct tf_nl *nl, const char *name);
/* pid 0: a cgroup member (path) */
int tf_nl_member(struct tf_nl *nl, bool add, const char *group, uint32_t pid,
		 const char *cgroup);

/* Pushes rows in as many messages as they need. */
int tf_nl_ledger_push(struct tf_nl *nl, uint32_t green_ppm,
		      const struct tf_ledger_row *rows, unsigned int n);
/* bills: false for the accounts, true for the recent exits */
int tf_nl_accounts(struct tf_nl *nl, bool bills, struct tf_account_info **out,
		   unsigned int *n);

/*
 * Joins the "events" group; then tf_nl_event_recv() blocks for the next.
 * It also follows the generic netlink controller's notifications: when the
 * module is unloaded its group goes, and a reloaded module's family and
 * group have new ids, which tf_nl_event_recv() joins again by itself (it
 * returns with ev->cmd 0 then).
 */
int tf_nl_events_join(struct tf_nl *nl);
int tf_nl_event_recv(struct tf_nl *nl, struct tf_event *ev);
/* How often the family went away (module unloaded) and was joined again. */
unsigned int tf_nl_events_gone(const struct tf_nl *nl);
unsigned int tf_nl_events_rejoined(const struct tf_nl *nl);
/* The "events" group's id now (changes when the module is reloaded). */
int tf_nl_events_group(const struct tf_nl *nl);
void tf_event_free(struct tf_event *ev);
int tf_nl_fd(const struct tf_nl *nl);

/* Raw messages (tests, fuzzers): build with libnl, send, get the ack. */
struct nl_msg;
struct nl_msg *tf_nl_new_msg(struct tf_nl *nl, uint8_t cmd, int flags);
int tf_nl_send_raw(struct tf_nl *nl, struct nl_msg *msg);

const char *tf_meter_kind_name(uint32_t kind);
const char *tf_domain_type_name(uint32_t type);
const char *tf_cap_state_name(uint32_t state);
const char *tf_tier_name(uint32_t tier);
int tf_tier_parse(const char *s);	/* enum tf_tier, or -EINVAL */
const char *tf_attr_name(int type);
const char *tf_cmd_name(int cmd);

#endif /* TF_NL_H */
