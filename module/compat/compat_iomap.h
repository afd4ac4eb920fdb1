/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iomap calls whose arguments changed across the supported kernels.
 */
#ifndef XFS_WT_COMPAT_IOMAP_H
#define XFS_WT_COMPAT_IOMAP_H

#include <linux/iomap.h>

#include "kernel_version.h"

/*
 * 6.17 added the write_ops and private arguments to iomap_zero_range();
 * XFS passes its xfs_iomap_write_ops there (folio validity checks).
 */
#define XWT_HAVE_IOMAP_WRITE_OPS XWT_KERNEL_AT_LEAST(6, 17, 0)

static inline int xwt_iomap_zero_range(struct inode *inode, loff_t pos,
				       loff_t len, const struct iomap_ops *ops,
				       const void *write_ops)
{
#if XWT_HAVE_IOMAP_WRITE_OPS
	return iomap_zero_range(inode, pos, len, NULL, ops, write_ops, NULL);
#else
	return iomap_zero_range(inode, pos, len, NULL, ops);
#endif
}

#endif /* XFS_WT_COMPAT_IOMAP_H */
