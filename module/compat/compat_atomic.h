/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Atomic (untorn) writes: what each supported kernel has.
 */
#ifndef XFS_WT_COMPAT_ATOMIC_H
#define XFS_WT_COMPAT_ATOMIC_H

#include <linux/blkdev.h>
#include <linux/fs.h>

#include "kernel_version.h"

/* REQ_ATOMIC, RWF_ATOMIC and the queue limits arrived together in 6.11. */
#ifdef REQ_ATOMIC
#define XWT_HAVE_ATOMIC		1
#define XWT_REQ_ATOMIC		REQ_ATOMIC
#define XWT_FMODE_CAN_ATOMIC_WRITE FMODE_CAN_ATOMIC_WRITE

static inline unsigned int xwt_bdev_atomic_min(struct block_device *bdev)
{
	if (!bdev_can_atomic_write(bdev))
		return 0;
	return queue_atomic_write_unit_min_bytes(bdev_get_queue(bdev));
}

static inline unsigned int xwt_bdev_atomic_max(struct block_device *bdev)
{
	if (!bdev_can_atomic_write(bdev))
		return 0;
	return queue_atomic_write_unit_max_bytes(bdev_get_queue(bdev));
}
#else
#define XWT_HAVE_ATOMIC		0
#define XWT_REQ_ATOMIC		0
#define XWT_FMODE_CAN_ATOMIC_WRITE 0

static inline unsigned int xwt_bdev_atomic_min(struct block_device *bdev)
{
	return 0;
}

static inline unsigned int xwt_bdev_atomic_max(struct block_device *bdev)
{
	return 0;
}
#endif

/*
 * XFS writes O_DIRECT RWF_ATOMIC itself from 6.13 and sets
 * FMODE_CAN_ATOMIC_WRITE at open where it can. 6.11 and 6.12 never set it,
 * and would write an IOCB_ATOMIC write that reached them as a plain one.
 */
#define XWT_XFS_HAS_ATOMIC	XWT_KERNEL_AT_LEAST(6, 13, 0)

#endif /* XFS_WT_COMPAT_ATOMIC_H */
