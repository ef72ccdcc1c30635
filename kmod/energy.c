// SPDX-License-Identifier: GPL-2.0
/*
 * RAPL counts energy in units of 1/2^ESU joule in a 32-bit register.
 *
 * Wrap: the register wraps after 2^32 / 2^ESU joules. At ESU 14 (Intel
 * client and server parts, 61 µJ) that is 262,144 J: 524 s at 500 W.
 * At ESU 16 (AMD Zen, 15.3 µJ) it is 65,536 J: 131 s at 500 W. Reading the
 * register at least once per wrap time at the package's maximum power is
 * enough to see every wrap as a single one; tf_rapl_period_ms() returns half
 * of that time so a late timer still stays inside the bound.
 */
#include <linux/errno.h>
#include <linux/math64.h>

#include "energy.h"

/*
 * Raw units to µJ. raw may be a 64-bit running total, so the product
 * raw * 10^6 needs more than 64 bits: mul_u64_u32_shr keeps 128.
 */
u64 tf_rapl_to_uj(u64 raw, unsigned int esu)
{
	return mul_u64_u32_shr(raw, 1000000, esu);
}

/* Sampling period in ms that cannot miss a wrap at max_watts. */
u64 tf_rapl_period_ms(unsigned int esu, u32 max_watts)
{
	u64 wrap_ms;

	if (!max_watts)
		max_watts = 1;
	/* 2^32 units * 1000 ms / 2^esu J/unit / max_watts */
	wrap_ms = div_u64(mul_u64_u32_shr(1ULL << 32, 1000, esu), max_watts);
	wrap_ms /= 2;
	return wrap_ms ? wrap_ms : 1;
}

/*
 * The estimate meter's model of a package: idle_w when all its CPUs idle,
 * max_w when all are busy, linear in between. busy_ns is the CPUs' busy time
 * summed over the package's ncpus during dt_ns. Returns nanojoules, so that
 * callers can carry the sub-µJ remainder from one sample to the next.
 */
u64 tf_estimate_nj(u32 idle_w, u32 max_w, u64 busy_ns, u32 ncpus, u64 dt_ns)
{
	u64 span = max_w > idle_w ? max_w - idle_w : 0;

	if (!ncpus)
		return 0;
	if (busy_ns > ncpus * dt_ns)
		busy_ns = ncpus * dt_ns;
	/* W * ns = nJ */
	return idle_w * dt_ns + div_u64(span * busy_ns, ncpus);
}

/* Mean power over dt_ns of delta_uj, in µW. */
u64 tf_power_uw(u64 delta_uj, u64 dt_ns)
{
	if (!dt_ns)
		return 0;
	return div64_u64(delta_uj * 1000000000ULL, dt_ns);
}

/*
 * A pushed counter (a GPU's, from the agent) is accepted when it has not
 * gone backwards and has not grown faster than the domain's maximum power
 * allows (with 10 % and 1 J of slack for the two clocks' jitter).
 * Returns 0, -ERANGE when it went backwards, -E2BIG when it jumped.
 */
int tf_push_check(u64 prev_uj, u64 now_uj, u64 dt_ns, u64 max_power_uw)
{
	u64 bound_uj;

	if (now_uj < prev_uj)
		return -ERANGE;
	/* µW * ns / 10^9 = µJ; +10 % */
	bound_uj = div64_u64(max_power_uw * 11 * div64_u64(dt_ns, 1000),
			     10 * 1000000ULL);
	if (now_uj - prev_uj > bound_uj + TF_UJ_PER_J)
		return -E2BIG;
	return 0;
}

/*
 * The documented watts-to-setting map of a package metered by the estimate:
 * the performance share (percent of full) at which the model draws cap_uw.
 * Below the idle power no setting reaches the cap: 0 (the caller reports it
 * as unenforceable and holds its deepest setting).
 */
u32 tf_cap_to_perf_pct(u64 cap_uw, u32 idle_w, u32 max_w)
{
	u64 idle_uw = idle_w * 1000000ULL, max_uw = max_w * 1000000ULL;

	if (!cap_uw || cap_uw >= max_uw)
		return 100;
	if (cap_uw <= idle_uw || max_uw <= idle_uw)
		return 0;
	return div64_u64((cap_uw - idle_uw) * 100, max_uw - idle_uw);
}

/*
 * Integral feedback where a real meter measures the package: each sample
 * moves the performance share by half the error, as a share of the
 * package's maximum power. A package whose power grows with performance
 * settles on the cap within a few samples, without overshoot; above the
 * cap it always steps down, so no rounding leaves it there. Returns 1..100
 * (never 0: the deepest setting still runs).
 */
u32 tf_perf_feedback(u32 perf_pct, u64 power_uw, u64 cap_uw, u64 max_uw)
{
	s64 step, next;

	if (!max_uw)
		return perf_pct;
	step = div64_s64(((s64)cap_uw - (s64)power_uw) * 100, 2 * (s64)max_uw);
	if (power_uw > cap_uw && !step)
		step = -1;
	next = (s64)perf_pct + step;
	if (next < 1)
		return 1;
	if (next > 100)
		return 100;
	return next;
}
