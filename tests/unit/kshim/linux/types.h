/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/types.h> as the module sees it, so that the
 * module's pure logic (kmod/energy.c, ...) compiles into the unit tests
 * unchanged. Only what those files use.
 */
#ifndef TF_KSHIM_TYPES_H
#define TF_KSHIM_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#endif
