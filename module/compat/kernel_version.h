/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place that compares kernel versions. Prefer testing for the
 * feature itself (a macro the kernel defines) where one exists.
 */
#ifndef XFS_WT_KERNEL_VERSION_H
#define XFS_WT_KERNEL_VERSION_H

#include <linux/version.h>

/* True on kernels a.b.c and later. */
#define XWT_KERNEL_AT_LEAST(a, b, c) \
	(KERNEL_VERSION(a, b, c) <= LINUX_VERSION_CODE)

#endif /* XFS_WT_KERNEL_VERSION_H */
