/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * tokenfactory: energy authority of an inference host.
 *
 * This header is the one definition of the protocol between tokenfactory.ko,
 * the agent tokenfactoryd and the operator's tool tfctl.
 *
 * Generic netlink family TF_GENL_NAME ("tokenfactory"), version
 * TF_GENL_VERSION. Commands and attributes start at 1. A reply carries the
 * same command id as its request. Every error carries an extended ack
 * message that names the offending attribute. Commands that change state
 * require CAP_NET_ADMIN in the caller's network namespace (GENL_ADMIN_PERM).
 *
 * All energies are in microjoules (u64, cumulative, never decrease), all
 * powers in microwatts (u64), all times in nanoseconds (u64) unless an
 * attribute's name says otherwise. 64-bit attributes are padded with
 * TF_A_*_PAD as the kernel requires.
 *
 * Commands
 * --------
 *
 * TF_CMD_STATUS_GET (do)
 *   Request: no attributes.
 *   Reply:
 *     TF_A_STATUS_VERSION        string  module version, e.g. "0.1.0"
 *     TF_A_STATUS_PROTO          u32     TF_GENL_VERSION of the module
 *     TF_A_STATUS_UPTIME_NS      u64     time since the module was loaded
 *     TF_A_STATUS_METERS         nest    one TF_A_METER per meter:
 *       TF_A_METER                 nest
 *         TF_A_METER_NAME            string  "package-0", "dram-0", ...
 *         TF_A_METER_KIND            u32     enum tf_meter_kind
 *         TF_A_METER_ESTIMATED       flag    figures are a model, not
 *                                            a measurement
 *
 * Meters
 * ------
 *
 * TF_METER_RAPL      the CPU's RAPL energy status MSRs (Intel or AMD),
 *                    read by the module.
 * TF_METER_ESTIMATE  a model: CPU busy time between the configured idle and
 *                    maximum watts. Always flagged TF_A_METER_ESTIMATED.
 * TF_METER_PUSHED    counters pushed by the agent (GPUs through NVML or
 *                    hwmon), checked by the module for monotonicity and
 *                    physical bounds.
 */
#ifndef _UAPI_LINUX_TOKENFACTORY_H
#define _UAPI_LINUX_TOKENFACTORY_H

#define TF_GENL_NAME		"tokenfactory"
#define TF_GENL_VERSION		1

enum tf_meter_kind {
	TF_METER_RAPL = 1,
	TF_METER_ESTIMATE,
	TF_METER_PUSHED,

	__TF_METER_KIND_MAX,
	TF_METER_KIND_MAX = __TF_METER_KIND_MAX - 1
};

enum tf_cmd {
	TF_CMD_UNSPEC,
	TF_CMD_STATUS_GET,

	__TF_CMD_MAX,
	TF_CMD_MAX = __TF_CMD_MAX - 1
};

/* Top-level attribute set of every command. */
enum tf_attr {
	TF_A_UNSPEC,
	TF_A_PAD,
	TF_A_STATUS_VERSION,
	TF_A_STATUS_PROTO,
	TF_A_STATUS_UPTIME_NS,
	TF_A_STATUS_METERS,

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

#define TF_NAME_LEN		32	/* names, including the NUL */

#endif /* _UAPI_LINUX_TOKENFACTORY_H */
