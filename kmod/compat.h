/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, in one place. Force-included into every file
 * of the module by Kbuild (-include). The .c files are written against the
 * newest API; this header maps that API onto older kernels, keyed on
 * feature probes that Kbuild runs against the target kernel's headers
 * (TF_HAVE_*), never on LINUX_VERSION_CODE.
 */
#ifndef _TF_COMPAT_H
#define _TF_COMPAT_H

/* 6.16 renamed the 64-bit MSR accessors from rdmsrl* to rdmsrq*. */
#ifndef TF_HAVE_RDMSRQ
#define rdmsrq_safe_on_cpu(cpu, msr, q) rdmsrl_safe_on_cpu(cpu, msr, q)
#endif

#endif /* _TF_COMPAT_H */
