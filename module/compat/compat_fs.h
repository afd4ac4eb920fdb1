/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File-system flags that not every supported kernel has.
 */
#ifndef XFS_WT_COMPAT_FS_H
#define XFS_WT_COMPAT_FS_H

#include <linux/fs.h>

/* IOCB_ATOMIC (RWF_ATOMIC) arrived in 6.11: 6.1 never sees one. */
#ifdef IOCB_ATOMIC
#define XWT_IOCB_ATOMIC		IOCB_ATOMIC
#define XWT_HAVE_RWF_ATOMIC	1
#else
#define XWT_IOCB_ATOMIC		0
#define XWT_HAVE_RWF_ATOMIC	0
#endif

#endif /* XFS_WT_COMPAT_FS_H */
