// SPDX-License-Identifier: GPL-2.0
/*
 * xfs_wt: buffered RWF_ATOMIC writes of one file-system block.
 *
 * Such a write goes through the write-through engine as exactly one bio with
 * REQ_ATOMIC, so the device writes the block whole or not at all. The rules
 * of what is taken, and what is refused with which errno, live here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/uio.h>

#include "internal.h"
#include "compat/compat_atomic.h"

/**
 * xwt_atomic_unit() - the atomic write size a mount supports
 * @sb: the mounted XFS
 *
 * Return: the block size when the kernel has REQ_ATOMIC and the device can
 * write that size atomically (unit min <= block size <= unit max), else 0.
 */
unsigned int xwt_atomic_unit(struct super_block *sb)
{
	unsigned int bs = sb->s_blocksize;

	if (!XWT_HAVE_ATOMIC || bs > PAGE_SIZE || !sb->s_bdev)
		return 0;
	if (xwt_bdev_atomic_min(sb->s_bdev) > bs ||
	    xwt_bdev_atomic_max(sb->s_bdev) < bs)
		return 0;
	return bs;
}

/**
 * xwt_atomic_check() - may the engine write this RWF_ATOMIC write?
 * @m: the mount's state
 * @iocb: the write, carrying IOCB_ATOMIC
 * @from: its data
 *
 * Return: 0 to take it; -EINVAL when it is malformed (not exactly one
 * aligned block from one user segment); -EOPNOTSUPP when the kernel or the
 * device cannot write it atomically, or the mount is off.
 */
int xwt_atomic_check(struct xwt_mount *m, const struct kiocb *iocb,
		     const struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	unsigned int bs = i_blocksize(inode);
	enum xwt_ctr why;
	int ret;

	/* The order of stock XFS's own checks: shape first, then support. */
	if (READ_ONCE(m->mode) == XWT_MODE_OFF || (iocb->ki_flags & IOCB_DIRECT)) {
		why = XWT_CTR_ATOMIC_EOPNOTSUPP;
		ret = -EOPNOTSUPP;
	} else if (iov_iter_count(from) != bs || (iocb->ki_flags & IOCB_APPEND) ||
		   !IS_ALIGNED(iocb->ki_pos, bs) ||
		   (user_backed_iter(from) && !iter_is_ubuf(from) &&
		    from->nr_segs != 1)) {
		why = XWT_CTR_ATOMIC_EINVAL;
		ret = -EINVAL;
	} else if (!xwt_atomic_unit(inode->i_sb)) {
		why = XWT_CTR_ATOMIC_EOPNOTSUPP;
		ret = -EOPNOTSUPP;
	} else {
		return 0;
	}
	xwt_stat_add(m, why, 1);
	return ret;
}

/**
 * xwt_atomic_open() - let RWF_ATOMIC reach XFS on kernels whose XFS never
 * allows it (6.11, 6.12), for files of enabled mounts that can serve it
 * @file: a file XFS has just opened
 */
void xwt_atomic_open(struct file *file)
{
	struct inode *inode = file_inode(file);
	struct xwt_mount *m;

	if (XWT_XFS_HAS_ATOMIC || !XWT_HAVE_ATOMIC || !S_ISREG(inode->i_mode))
		return;
	rcu_read_lock();
	m = xwt_mount_find(inode->i_sb);
	if (m && READ_ONCE(m->mode) != XWT_MODE_OFF &&
	    xwt_atomic_unit(inode->i_sb))
		file->f_mode |= XWT_FMODE_CAN_ATOMIC_WRITE;
	rcu_read_unlock();
}
