/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netlink client of the tokenfactory family, shared by tfctl and
 * tokenfactoryd. Functions return 0 or a negative errno; after an error,
 * tf_nl_errmsg() holds the kernel's extack message, if it sent one.
 */
#ifndef TF_NL_H
#define TF_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/tokenfactory.h>

#define TF_NL_MAX_METERS 64

struct tf_nl;

struct tf_meter_info {
	char name[TF_NAME_LEN];
	uint32_t kind;		/* enum tf_meter_kind */
	bool estimated;
};

struct tf_status {
	char version[TF_NAME_LEN];
	uint32_t proto;
	uint64_t uptime_ns;
	unsigned int nmeters;
	struct tf_meter_info meters[TF_NL_MAX_METERS];
};

int tf_nl_open(struct tf_nl **out);
void tf_nl_close(struct tf_nl *nl);
const char *tf_nl_errmsg(const struct tf_nl *nl);

int tf_nl_status(struct tf_nl *nl, struct tf_status *st);

const char *tf_meter_kind_name(uint32_t kind);

#endif /* TF_NL_H */
