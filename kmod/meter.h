/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TF_METER_H
#define _TF_METER_H

#include <linux/types.h>
#include <linux/tokenfactory.h>

struct tf_meter {
	char name[TF_NAME_LEN];
	enum tf_meter_kind kind;
	unsigned int pkg;
	unsigned int cpu;	/* a CPU of the package, to read its MSRs */
	u32 energy_msr;		/* RAPL only */
	unsigned int esu;	/* RAPL only */
};

int tf_meter_init(void);
void tf_meter_exit(void);
unsigned int tf_meter_count(void);
const struct tf_meter *tf_meter_get(unsigned int i);

static inline bool tf_meter_estimated(const struct tf_meter *m)
{
	return m->kind == TF_METER_ESTIMATE;
}

#endif /* _TF_METER_H */
