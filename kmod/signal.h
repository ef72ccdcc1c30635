/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live surplus signal: how much surplus renewable power this host may
 * use, with its time-to-live. Guarded by tf_lock.
 */
#ifndef _TF_SIGNAL_H
#define _TF_SIGNAL_H

#include <linux/types.h>
#include <linux/tokenfactory.h>

struct tf_signal {
	bool set;		/* a signal was ever received */
	u64 surplus_uw;
	u32 ttl_ms;
	char source[TF_NAME_LEN];
	bool has_carbon, has_price;
	u32 carbon_mg_kwh;
	s64 price_ucur_mwh;
	u64 timestamp_ns;	/* CLOCK_REALTIME, from the source */
	u64 received_ns;	/* CLOCK_MONOTONIC, when it arrived */
	bool stale_told;	/* the stale event went out */
};

const struct tf_signal *tf_signal_get(void);
void tf_signal_set(const struct tf_signal *sig);
bool tf_signal_stale(void);
u64 tf_signal_age_ms(void);
void tf_signal_tick(void);

#endif /* _TF_SIGNAL_H */
