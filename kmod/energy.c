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

/*
 * The CPU levers' map from a performance share (percent of full) to
 * settings. With a cpufreq driver, f_min and f_max are the policy's
 * cpuinfo.min_freq and cpuinfo.max_freq (kHz), and r = 100 * f_min / f_max
 * is the share the CPU still delivers at its lowest frequency.
 *
 *   perf >= r:  frequency only, the maximum frequency is capped at
 *               f_min + perf% of (f_max - f_min); no idle injection.
 *   perf <  r:  frequency cannot go lower: it is capped at f_min and idle
 *               injection removes the rest, run share = perf / r (rounded
 *               down, so the result never exceeds perf), idle = 100 - run.
 *   no cpufreq: idle injection only, idle share = 100 - perf.
 *
 * 100 releases both levers. The idle share returned here is what the
 * target needs; the caller caps it at TF_IDLE_MAX_PCT.
 */
u32 tf_perf_to_freq_khz(u32 perf_pct, u32 min_khz, u32 max_khz)
{
	if (perf_pct >= 100 || max_khz <= min_khz)
		return max_khz;
	if ((u64)perf_pct * max_khz < (u64)min_khz * 100)
		return min_khz;
	return min_khz + (u32)div_u64((u64)(max_khz - min_khz) * perf_pct, 100);
}

u32 tf_perf_to_idle_pct(u32 perf_pct, u32 min_khz, u32 max_khz)
{
	u32 run_pct;

	if (perf_pct >= 100)
		return 0;
	if (!max_khz)
		return 100 - perf_pct;
	if ((u64)perf_pct * max_khz >= (u64)min_khz * 100)
		return 0;
	/* perf < r = 100 * min / max: run = 100 * perf / r = perf * max / min */
	run_pct = (u32)div_u64((u64)perf_pct * max_khz, min_khz);
	return 100 - run_pct;
}

/* The idle part of one injection period. */
u64 tf_idle_ns(u32 idle_pct, u64 period_ns)
{
	if (idle_pct > 100)
		idle_pct = 100;
	return div_u64(period_ns * idle_pct, 100);
}

/*
 * The start of the next injection period strictly after now_ns. Periods
 * are aligned on multiples of period_ns of CLOCK_MONOTONIC, so the CPUs of
 * a package are idle at the same time (the package can reach its deep idle
 * states, as with the kernel's idle_inject, which wakes all of them from one
 * timer).
 */
u64 tf_idle_next_start(u64 now_ns, u64 period_ns)
{
	if (!period_ns)
		return now_ns + 1;
	return (div64_u64(now_ns, period_ns) + 1) * period_ns;
}

/*
 * When the next idle part is due, given when the last one was (due_ns, 0
 * for none): one period after it, even if that is already past, so that a
 * late part does not cost the mean; the next boundary when there was none
 * or the thread fell more than a period behind.
 */
u64 tf_idle_due_ns(u64 due_ns, u64 now_ns, u64 period_ns)
{
	if (!due_ns || now_ns >= due_ns + period_ns)
		return tf_idle_next_start(now_ns, period_ns);
	return due_ns;
}

/*
 * An idle part ends when its timer's interrupt wakes the CPU, always late:
 * by the exit latency of the idle state on hardware, by about 0.5 ms in a
 * QEMU TCG guest (5 % of a 10 ms part). Each CPU keeps a debt, the idle it
 * injected beyond its share, and asks the next part for that much less, so
 * that the mean idle per period is the share. The request never drops
 * below half the share, and the debt is bounded by one period so that one
 * long stall does not thin the injection for long.
 */
u64 tf_idle_request_ns(u64 share_ns, u64 debt_ns)
{
	if (debt_ns >= share_ns / 2)
		return share_ns - share_ns / 2;
	return share_ns - debt_ns;
}

/* The debt after a part that lasted actual_ns, for a share of share_ns. */
u64 tf_idle_debt_ns(u64 debt_ns, u64 share_ns, u64 actual_ns, u64 period_ns)
{
	debt_ns += actual_ns;
	if (debt_ns <= share_ns)
		return 0;
	debt_ns -= share_ns;
	return debt_ns < period_ns ? debt_ns : period_ns;
}
