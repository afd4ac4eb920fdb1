/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Workqueue flags across the supported kernels.
 */
#ifndef XFS_WT_COMPAT_WORKQUEUE_H
#define XFS_WT_COMPAT_WORKQUEUE_H

#include <linux/workqueue.h>
#include "kernel_version.h"

/*
 * 6.17 added WQ_PERCPU and warns when a workqueue names neither it nor
 * WQ_UNBOUND; before it, per CPU was what no flag meant.
 */
#if XWT_KERNEL_AT_LEAST(6, 17, 0)
#define XWT_WQ_PERCPU	WQ_PERCPU
#else
#define XWT_WQ_PERCPU	0
#endif

#endif /* XFS_WT_COMPAT_WORKQUEUE_H */
