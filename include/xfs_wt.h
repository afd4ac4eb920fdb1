/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfs_wt: names shared by the kernel module and its user-space tests.
 * Keep this header free of kernel-only and libc-only types.
 */
#ifndef XFS_WT_SHARED_H
#define XFS_WT_SHARED_H

#define XFS_WT_SYSFS_ROOT	"/sys/fs/xfs_wt"
#define XFS_WT_FEATURES_FILE	"features"
#define XFS_WT_MODE_FILE	"mode"
#define XFS_WT_STATS_FILE	"stats"

#define XFS_WT_MODE_OFF		"off"
#define XFS_WT_MODE_DSYNC	"dsync"
#define XFS_WT_MODE_ALL		"all"

/* Write classes, as they appear in counter names ("seen_dsync_writes"). */
#define XFS_WT_CLASS_DSYNC	"dsync"
#define XFS_WT_CLASS_ATOMIC	"atomic"
#define XFS_WT_CLASS_OTHER	"other"

/*
 * Fallbacks for the tests, for user-space headers older than the flags.
 * Include this header after the system ones, which may define them too.
 */
#ifndef RWF_DSYNC
#define RWF_DSYNC	0x00000002
#endif
#ifndef RWF_SYNC
#define RWF_SYNC	0x00000004
#endif

/* uapi/linux/fs.h of 6.11+; older user-space headers lack it. */
#ifndef RWF_ATOMIC
#define RWF_ATOMIC	0x00000040
#endif

#endif /* XFS_WT_SHARED_H */
