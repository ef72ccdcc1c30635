/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * tokenfactory: energy authority of an inference host.
 *
 * This header is the one definition of the protocol between tokenfactory.ko,
 * the agent tokenfactoryd and the operator's tool tfctl. docs/netlink.md
 * walks through it with examples.
 *
 * Generic netlink family TF_GENL_NAME ("tokenfactory"), version
 * TF_GENL_VERSION, multicast group TF_GENL_MCGRP_EVENTS ("events").
 * Commands and attributes start at 1. A reply carries the same command id as
 * its request; notifications have ids of their own (TF_CMD_*_NTF). Every
 * rejection carries an extended ack message that names the attribute.
 * Commands that change state ("admin" below) require CAP_NET_ADMIN.
 *
 * Units: energies in microjoules (u64, cumulative, never decrease), powers in
 * microwatts (u64), durations in the unit their name says. 64-bit
 * attributes are padded with TF_A_PAD. Powers (caps, surplus) are at most
 * TF_POWER_MAX_UW. Names (domains, groups, sources) are
 * NUL-terminated strings of at most TF_NAME_LEN bytes including the NUL.
 *
 * Unprivileged readers (without CAP_NET_ADMIN) see every energy rounded
 * down to whole joules and taken from a snapshot at least one second old:
 * fine-grained energy readings leak secrets (CVE-2020-8694).
 *
 * Commands
 * ========
 *
 * TF_CMD_STATUS_GET (do)
 *   Reply:
 *     TF_A_STATUS_VERSION        string  module version, e.g. "0.1.0"
 *     TF_A_STATUS_PROTO          u32     TF_GENL_VERSION of the module
 *     TF_A_STATUS_UPTIME_NS      u64     time since the module was loaded
 *     TF_A_STATUS_METERS         nest    one TF_A_METER per meter:
 *       TF_A_METER                 nest
 *         TF_A_METER_NAME            string  "package-0", "dram-0", ...
 *         TF_A_METER_KIND            u32     enum tf_meter_kind
 *         TF_A_METER_ESTIMATED       flag    a model, not a measurement
 *     TF_A_STATUS_FAILSAFE       u8      1 while the fail-safe caps rule
 *     TF_A_STATUS_AGENT_PID      u32     pid of the agent's last heartbeat,
 *                                        0 if none was ever received
 *     TF_A_STATUS_HEARTBEAT_AGE_MS u64   since the last heartbeat (absent if
 *                                        none)
 *     TF_A_STATUS_HEARTBEAT_TIMEOUT_MS u32  module parameter
 *     TF_A_STATUS_FAILSAFE_COUNT u32     times the fail-safe engaged
 *     TF_A_STATUS_PUSH_REJECTS   u64     energy pushes rejected (backwards
 *                                        or beyond physical bounds)
 *     TF_A_STATUS_GENERATION     u32     changes on every change of the set
 *                                        of domains, groups or members
 *
 * TF_CMD_DOMAIN_GET (do, dump)
 *   Request (do): TF_A_DOMAIN_NAME. Dump: no attributes.
 *   Reply, one message per domain:
 *     TF_A_DOMAIN_ID             u32     stable while the module is loaded
 *     TF_A_DOMAIN_NAME           string  "host", "package-N", "dram-N", "gpu-N"
 *     TF_A_DOMAIN_TYPE           u32     enum tf_domain_type
 *     TF_A_DOMAIN_METER          u32     enum tf_meter_kind
 *     TF_A_DOMAIN_ESTIMATED      flag    energy and power are estimated
 *     TF_A_DOMAIN_ENERGY_UJ      u64     cumulative
 *     TF_A_DOMAIN_POWER_UW       u64     over the last sampling period
 *     TF_A_DOMAIN_CORE_ENERGY_UJ u64     packages with RAPL core energy (Intel
 *                                        PP0 0x639, AMD 0xC001029A): the
 *                                        cores' part of ENERGY_UJ, cumulative
 *     TF_A_DOMAIN_MAX_POWER_UW   u64     physical bound used to check pushes
 *     TF_A_DOMAIN_CAP_UW         u64     the cap set by the agent or
 *                                        operator, 0 for none
 *     TF_A_DOMAIN_FAILSAFE_CAP_UW u64    applied when the agent is gone, 0
 *                                        for none
 *     TF_A_DOMAIN_EFFECTIVE_CAP_UW u64   the cap in force now (one of the
 *                                        two above), 0 for none
 *     TF_A_DOMAIN_CAP_STATE      u32     enum tf_cap_state
 *     TF_A_DOMAIN_CAP_LEVERS     u32     TF_LEVER_* bits in use
 *     TF_A_DOMAIN_PERF_PCT       u32     performance the levers allow now,
 *                                        percent of full (100 = unlimited)
 *
 * TF_CMD_DOMAIN_SET (do, admin)
 *   Request: TF_A_DOMAIN_NAME and at least one of TF_A_DOMAIN_CAP_UW,
 *   TF_A_DOMAIN_FAILSAFE_CAP_UW (0 removes the cap).
 *   Notifies TF_CMD_DOMAIN_NTF.
 *
 * TF_CMD_ENERGY_PUSH (do, admin)
 *   The agent's meter of a domain the kernel cannot read (GPUs). The first
 *   push for "gpu-N" creates the domain.
 *   Request: TF_A_DOMAIN_NAME, TF_A_DOMAIN_ENERGY_UJ (the device's own
 *   cumulative counter), optional TF_A_DOMAIN_POWER_UW and, on the first
 *   push, TF_A_DOMAIN_MAX_POWER_UW (required then). Rejected with ERANGE
 *   when the counter goes backwards or grew faster than the maximum power
 *   allows since the last push; each rejection is counted.
 *
 * TF_CMD_SIGNAL_GET (do)
 *   Reply: the TF_A_SIGNAL_* attributes below, plus TF_A_SIGNAL_AGE_MS and
 *   TF_A_SIGNAL_STALE; no attributes if no signal was ever set.
 *
 * TF_CMD_SIGNAL_SET (do, admin)
 *   Request:
 *     TF_A_SIGNAL_SURPLUS_UW     u64     surplus power available to this host
 *     TF_A_SIGNAL_TTL_MS         u32     1 .. TF_SIGNAL_TTL_MAX_MS
 *     TF_A_SIGNAL_SOURCE         string  optional, e.g. "mqtt:site/surplus"
 *     TF_A_SIGNAL_CARBON_MG_KWH  u32     optional, grid carbon intensity in
 *                                        mg CO2 per kWh
 *     TF_A_SIGNAL_PRICE_UCUR_MWH s64     optional, price in micro currency
 *                                        units per MWh (may be negative)
 *     TF_A_SIGNAL_TIMESTAMP_NS   u64     optional, when the source measured it
 *                                        (CLOCK_REALTIME); default: now
 *   Notifies TF_CMD_SIGNAL_NTF.
 *
 * TF_CMD_HEARTBEAT (do, admin)
 *   The agent is alive. No attributes. The first heartbeat after silence
 *   ends the fail-safe (TF_CMD_FAILSAFE_NTF with TF_A_STATUS_FAILSAFE 0).
 *
 * TF_CMD_GROUP_GET (do, dump)
 *   Request (do): TF_A_GROUP_NAME.
 *   Reply, one message per group:
 *     TF_A_GROUP_NAME            string
 *     TF_A_GROUP_TIER            u32     enum tf_tier
 *     TF_A_GROUP_TOKENS          u64     tokens generated, cumulative
 *     TF_A_GROUP_GREEN_UJ        u64     energy covered by surplus
 *     TF_A_GROUP_CAP_UW          u64     the group's power cap, 0 for none:
 *                                        stored and announced, the agent
 *                                        applies it (cgroup cpu.max, GPU
 *                                        clocks)
 *     TF_A_GROUP_ENERGY          nest    per domain:
 *       TF_A_ENERGY                nest  { TF_A_ENERGY_DOMAIN_ID u32,
 *                                          TF_A_ENERGY_UJ u64 }
 *     TF_A_GROUP_MEMBERS         nest    of TF_A_MEMBER nests:
 *       TF_A_MEMBER                nest  { TF_A_MEMBER_PID u32 |
 *                                          TF_A_MEMBER_CGROUP string }
 *
 * TF_CMD_GROUP_NEW (do, admin)     TF_A_GROUP_NAME, TF_A_GROUP_TIER,
 *                                  optional TF_A_GROUP_CAP_UW
 * TF_CMD_GROUP_SET (do, admin)     TF_A_GROUP_NAME, and TF_A_GROUP_TIER
 *                                  and/or TF_A_GROUP_CAP_UW
 * TF_CMD_GROUP_DEL (do, admin)     TF_A_GROUP_NAME
 *   Notify TF_CMD_GROUP_NTF (the group's attributes; TF_A_GROUP_DELETED on
 *   deletion). EEXIST for a duplicate name, ENOENT for an unknown one.
 *
 * TF_CMD_MEMBER_ADD (do, admin)
 * TF_CMD_MEMBER_DEL (do, admin)
 *   Request: TF_A_GROUP_NAME and exactly one of TF_A_MEMBER_PID (a live
 *   process, ESRCH otherwise) or TF_A_MEMBER_CGROUP (a cgroup v2 path
 *   relative to the cgroup root, "/" separated, ENOENT if absent). A pid or
 *   cgroup belongs to at most one group (EBUSY). Notify TF_CMD_GROUP_NTF.
 *
 * TF_CMD_LEDGER_PUSH (do, admin)
 *   The agent's attribution of one tick.
 *   Request:
 *     TF_A_LEDGER_GREEN_PPM      u32     share of this tick's host energy that
 *                                        surplus covered, parts per million
 *     TF_A_LEDGER_ENTRIES        nest    of TF_A_LEDGER_ENTRY nests:
 *       TF_A_LEDGER_ENTRY          nest
 *         TF_A_LEDGER_PID            u32     process (tgid)
 *         TF_A_LEDGER_ENERGY         nest    energy of this tick, per domain:
 *                                            TF_A_ENERGY nests as above
 *         TF_A_LEDGER_TOKENS         u64     tokens of this tick (optional)
 *         TF_A_LEDGER_COMM           string  the process's name (optional: a
 *                                            new account takes the live task's;
 *                                            given, it replaces the account's:
 *                                            after an exec, or for a process
 *                                            already gone)
 *   Accounts are per process; each process's energy also goes to its group
 *   (by pid membership, else by cgroup ancestry). When the table is full a
 *   new process is rejected with ENOSPC, counted in TF_A_LEDGER_OVERFLOWS.
 *   An entry's energy (per domain and in all) and tokens are at most 2^48,
 *   and no account, bill or group counter goes past 2^63: ERANGE.
 *
 * TF_CMD_LEDGER_GET (dump)
 *   One message per process account: TF_A_LEDGER_PID, TF_A_LEDGER_COMM,
 *   TF_A_GROUP_NAME (if any), TF_A_LEDGER_ENERGY, TF_A_LEDGER_TOKENS,
 *   TF_A_LEDGER_GREEN_UJ; then, in the last message, TF_A_LEDGER_OVERFLOWS.
 *
 * TF_CMD_BILL_GET (dump)
 *   The recent-exits table: the final bill of each process that left, as a
 *   ledger entry plus TF_A_BILL_EXIT_NS (CLOCK_REALTIME). The table keeps the
 *   last TF_BILLS_MAX; older bills are dropped and counted in
 *   TF_A_BILL_OVERFLOWS (sent with each bill).
 *
 * Notifications (group "events")
 * ==============================
 *
 * TF_CMD_DOMAIN_NTF    a domain's cap or cap state changed: domain attrs
 * TF_CMD_SIGNAL_NTF    a new signal, or the signal went stale: signal attrs
 * TF_CMD_FAILSAFE_NTF  the fail-safe engaged or ended: TF_A_STATUS_FAILSAFE,
 *                      _AGENT_PID, _FAILSAFE_COUNT, _HEARTBEAT_TIMEOUT_MS and
 *                      _HEARTBEAT_AGE_MS (the silence when it engaged)
 * TF_CMD_GROUP_NTF     a group or its members changed: group attrs
 * TF_CMD_BILL_NTF      a member process exited: its final bill
 *
 * Dumps
 * =====
 *
 * Every dump message carries the generation (TF_A_STATUS_GENERATION is
 * implied by the netlink header: NLM_F_DUMP_INTR is set on a message when the
 * set of objects changed while the dump was running; start it again).
 */
#ifndef _UAPI_LINUX_TOKENFACTORY_H
#define _UAPI_LINUX_TOKENFACTORY_H

#define TF_GENL_NAME		"tokenfactory"
#define TF_GENL_VERSION		1
#define TF_GENL_MCGRP_EVENTS	"events"

#define TF_NAME_LEN		32	/* names, including the NUL */
#define TF_CGROUP_PATH_MAX	256	/* cgroup paths, including the NUL */
#define TF_SIGNAL_TTL_MAX_MS	(24U * 3600 * 1000)
#define TF_BILLS_MAX		256
#define TF_POWER_MAX_UW		1000000000000ULL	/* 1 MW: bound of powers */

enum tf_meter_kind {
	TF_METER_RAPL = 1,
	TF_METER_ESTIMATE,
	TF_METER_PUSHED,

	__TF_METER_KIND_MAX,
	TF_METER_KIND_MAX = __TF_METER_KIND_MAX - 1
};

enum tf_domain_type {
	TF_DOMAIN_HOST = 1,
	TF_DOMAIN_PACKAGE,
	TF_DOMAIN_DRAM,
	TF_DOMAIN_GPU,

	__TF_DOMAIN_TYPE_MAX,
	TF_DOMAIN_TYPE_MAX = __TF_DOMAIN_TYPE_MAX - 1
};

enum tf_cap_state {
	TF_CAP_NONE = 1,	/* no cap in force */
	TF_CAP_ENFORCED,	/* the kernel enforces it (CPU levers) */
	TF_CAP_AGENT,		/* stored and announced; the agent applies it (GPU) */
	TF_CAP_UNENFORCEABLE,	/* in force but no lever can reach it */

	__TF_CAP_STATE_MAX,
	TF_CAP_STATE_MAX = __TF_CAP_STATE_MAX - 1
};

/* Levers the kernel pulls to hold a CPU cap. */
#define TF_LEVER_FREQ		(1U << 0)	/* frequency QoS on cpufreq policies */
#define TF_LEVER_IDLE		(1U << 1)	/* idle injection */

enum tf_tier {
	TF_TIER_INTERACTIVE = 1,
	TF_TIER_BATCH,
	TF_TIER_BACKGROUND,

	__TF_TIER_MAX,
	TF_TIER_MAX = __TF_TIER_MAX - 1
};

enum tf_cmd {
	TF_CMD_UNSPEC,
	TF_CMD_STATUS_GET,
	TF_CMD_DOMAIN_GET,
	TF_CMD_DOMAIN_SET,
	TF_CMD_ENERGY_PUSH,
	TF_CMD_SIGNAL_GET,
	TF_CMD_SIGNAL_SET,
	TF_CMD_HEARTBEAT,
	TF_CMD_GROUP_GET,
	TF_CMD_GROUP_NEW,
	TF_CMD_GROUP_SET,
	TF_CMD_GROUP_DEL,
	TF_CMD_MEMBER_ADD,
	TF_CMD_MEMBER_DEL,
	TF_CMD_LEDGER_PUSH,
	TF_CMD_LEDGER_GET,
	TF_CMD_BILL_GET,

	TF_CMD_DOMAIN_NTF,
	TF_CMD_SIGNAL_NTF,
	TF_CMD_FAILSAFE_NTF,
	TF_CMD_GROUP_NTF,
	TF_CMD_BILL_NTF,

	__TF_CMD_MAX,
	TF_CMD_MAX = __TF_CMD_MAX - 1
};

/* Top-level attributes of every command. */
enum tf_attr {
	TF_A_UNSPEC,
	TF_A_PAD,

	TF_A_STATUS_VERSION,
	TF_A_STATUS_PROTO,
	TF_A_STATUS_UPTIME_NS,
	TF_A_STATUS_METERS,
	TF_A_STATUS_FAILSAFE,
	TF_A_STATUS_AGENT_PID,
	TF_A_STATUS_HEARTBEAT_AGE_MS,
	TF_A_STATUS_HEARTBEAT_TIMEOUT_MS,
	TF_A_STATUS_FAILSAFE_COUNT,
	TF_A_STATUS_PUSH_REJECTS,
	TF_A_STATUS_GENERATION,

	TF_A_DOMAIN_ID,
	TF_A_DOMAIN_NAME,
	TF_A_DOMAIN_TYPE,
	TF_A_DOMAIN_METER,
	TF_A_DOMAIN_ESTIMATED,
	TF_A_DOMAIN_ENERGY_UJ,
	TF_A_DOMAIN_POWER_UW,
	TF_A_DOMAIN_MAX_POWER_UW,
	TF_A_DOMAIN_CAP_UW,
	TF_A_DOMAIN_FAILSAFE_CAP_UW,
	TF_A_DOMAIN_EFFECTIVE_CAP_UW,
	TF_A_DOMAIN_CAP_STATE,
	TF_A_DOMAIN_CAP_LEVERS,
	TF_A_DOMAIN_PERF_PCT,

	TF_A_SIGNAL_SURPLUS_UW,
	TF_A_SIGNAL_TTL_MS,
	TF_A_SIGNAL_SOURCE,
	TF_A_SIGNAL_CARBON_MG_KWH,
	TF_A_SIGNAL_PRICE_UCUR_MWH,
	TF_A_SIGNAL_TIMESTAMP_NS,
	TF_A_SIGNAL_AGE_MS,
	TF_A_SIGNAL_STALE,

	TF_A_GROUP_NAME,
	TF_A_GROUP_TIER,
	TF_A_GROUP_TOKENS,
	TF_A_GROUP_GREEN_UJ,
	TF_A_GROUP_ENERGY,
	TF_A_GROUP_MEMBERS,
	TF_A_GROUP_DELETED,

	TF_A_MEMBER_PID,
	TF_A_MEMBER_CGROUP,

	TF_A_LEDGER_GREEN_PPM,
	TF_A_LEDGER_ENTRIES,
	TF_A_LEDGER_PID,
	TF_A_LEDGER_COMM,
	TF_A_LEDGER_ENERGY,
	TF_A_LEDGER_TOKENS,
	TF_A_LEDGER_GREEN_UJ,
	TF_A_LEDGER_OVERFLOWS,

	TF_A_BILL_EXIT_NS,
	TF_A_BILL_OVERFLOWS,

	TF_A_GROUP_CAP_UW,
	TF_A_DOMAIN_CORE_ENERGY_UJ,

	__TF_A_MAX,
	TF_A_MAX = __TF_A_MAX - 1
};

/* Nested in TF_A_STATUS_METERS. */
enum tf_meters_attr {
	TF_A_METERS_UNSPEC,
	TF_A_METER,

	__TF_A_METERS_MAX,
	TF_A_METERS_MAX = __TF_A_METERS_MAX - 1
};

/* Nested in TF_A_METER. */
enum tf_meter_attr {
	TF_A_METER_UNSPEC,
	TF_A_METER_NAME,
	TF_A_METER_KIND,
	TF_A_METER_ESTIMATED,

	__TF_A_METER_MAX,
	TF_A_METER_MAX = __TF_A_METER_MAX - 1
};

/* Nested in TF_A_GROUP_MEMBERS: TF_A_MEMBER, itself holding TF_A_MEMBER_*. */
enum tf_members_attr {
	TF_A_MEMBERS_UNSPEC,
	TF_A_MEMBER,

	__TF_A_MEMBERS_MAX,
	TF_A_MEMBERS_MAX = __TF_A_MEMBERS_MAX - 1
};

/* Nested in TF_A_GROUP_ENERGY and TF_A_LEDGER_ENERGY: TF_A_ENERGY nests. */
enum tf_energies_attr {
	TF_A_ENERGIES_UNSPEC,
	TF_A_ENERGY,

	__TF_A_ENERGIES_MAX,
	TF_A_ENERGIES_MAX = __TF_A_ENERGIES_MAX - 1
};

enum tf_energy_attr {
	TF_A_ENERGY_UNSPEC,
	TF_A_ENERGY_PAD,
	TF_A_ENERGY_DOMAIN_ID,
	TF_A_ENERGY_UJ,

	__TF_A_ENERGY_MAX,
	TF_A_ENERGY_MAX = __TF_A_ENERGY_MAX - 1
};

/* Nested in TF_A_LEDGER_ENTRIES: TF_A_LEDGER_ENTRY, holding TF_A_LEDGER_*. */
enum tf_ledger_entries_attr {
	TF_A_LEDGER_ENTRIES_UNSPEC,
	TF_A_LEDGER_ENTRY,

	__TF_A_LEDGER_ENTRIES_MAX,
	TF_A_LEDGER_ENTRIES_MAX = __TF_A_LEDGER_ENTRIES_MAX - 1
};

#endif /* _UAPI_LINUX_TOKENFACTORY_H */
