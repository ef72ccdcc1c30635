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
