/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfs_wt: declarations shared between the module's files.
 */
#ifndef XFS_WT_INTERNAL_H
#define XFS_WT_INTERNAL_H

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/iomap.h>
#include <linux/kobject.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/uio.h>

#include "xfs_wt.h"

enum xwt_mode {
	XWT_MODE_OFF,
	XWT_MODE_DSYNC,
	XWT_MODE_ALL,
	XWT_MODE_NR,
};

enum xwt_class {
	XWT_CLASS_DSYNC,
	XWT_CLASS_ATOMIC,
	XWT_CLASS_OTHER,
	XWT_CLASS_NR,
};

/*
 * What became of a write: every write is seen, then taken (written through
 * by xfs_wt), passed (to XFS's own path) or refused (failed by xfs_wt with
 * an errno, as an RWF_ATOMIC write that cannot be written untorn).
 */
enum xwt_fate {
	XWT_FATE_SEEN,
	XWT_FATE_TAKEN,
	XWT_FATE_PASSED,
	XWT_FATE_REFUSED,
	XWT_FATE_NR,
};

/*
 * Why a write that the mode selects went to XFS's own path; each has a
 * "fallback_<reason>" counter.
 */
enum xwt_fallback {
	XWT_FALLBACK_DIRECT,
	XWT_FALLBACK_DAX,
	XWT_FALLBACK_BLOCKSIZE,
	XWT_FALLBACK_LARGE,
	XWT_FALLBACK_ZONED,
	XWT_FALLBACK_MAXSIZE,
	XWT_FALLBACK_NR,
};

/* Larger writes go to XFS's own path: their pinned pages would be too many. */
#define XWT_MAX_TAKE		(8U << 20)

/* Writes that end this close to the largest offset go to XFS: block rounding would overflow. */
#define XWT_MAX_END_ROOM	(2 * PAGE_SIZE)

/*
 * Counter layout: [fate][class][writes, bytes], then the engine's own
 * counters, then one per fallback reason.
 */
#define XWT_CTR_CLASSED		(XWT_FATE_NR * XWT_CLASS_NR * 2)

enum xwt_ctr {
	XWT_CTR_COMPLETIONS = XWT_CTR_CLASSED,
	XWT_CTR_ERRORS,
	XWT_CTR_NOWAIT_INLINE,
	XWT_CTR_NOWAIT_EAGAIN,
	XWT_CTR_COMPLETED_IN_END_IO,
	XWT_CTR_TIME_UPDATES,
	XWT_CTR_SYNCS_QUEUED,
	XWT_CTR_SUBMITS_QUEUED,
	XWT_CTR_ATOMIC_COMPLETIONS,
	XWT_CTR_ATOMIC_ERRORS,
	XWT_CTR_ATOMIC_EINVAL,
	XWT_CTR_ATOMIC_EOPNOTSUPP,
	XWT_CTR_FALLBACK,
	XWT_CTR_NR = XWT_CTR_FALLBACK + XWT_FALLBACK_NR,
};

struct xwt_stats {
	u64 ctr[XWT_CTR_NR];
};

/**
 * struct xwt_mount - xfs_wt's state for one mounted XFS super block
 * @hnode: entry in the registry, keyed by @sb
 * @sb: the super block; a key only, never dereferenced after unmount
 * @kobj: /sys/fs/xfs_wt/<s_id>/
 * @mode: enum xwt_mode, read locklessly on the write path
 * @queue_submit: asynchronous overwrites that keep a queue may be
 *	submitted by a worker (sysfs submit: 1 is "queued", 0 "inline")
 * @stats: per-cpu counters
 * @inflight: write-through bios in flight
 * @inflight_max: high-water mark of @inflight
 * @queued: writes waiting for a submission worker
 * @rcu: defers the free past lock-free registry readers
 */
struct xwt_mount {
	struct hlist_node hnode;
	struct super_block *sb;
	struct kobject kobj;
	int mode;
	bool queue_submit;
	struct xwt_stats __percpu *stats;
	atomic_long_t inflight;
	atomic_long_t inflight_max;
	atomic_long_t queued;
	struct rcu_head rcu;
};

/**
 * struct xwt_xfs - what xfs_wt uses of the loaded xfs module
 * @fs_type: XFS's file_system_type, holding a reference on @owner
 * @owner: the xfs module, pinned while xfs_wt is loaded
 * @write_iter: xfs_file_write_iter, taken from xfs_file_operations
 * @fill_super: xfs_fs_fill_super (address-taken: passed to get_tree_bdev)
 * @put_super: xfs_fs_put_super, taken from xfs_super_operations
 * @open: xfs_file_open, taken from xfs_file_operations
 * @direct_write_ops: xfs_direct_write_iomap_ops, the O_DIRECT write mapping
 * @buffered_write_ops: xfs_buffered_write_iomap_ops, for EOF zeroing
 * @iomap_write_ops: xfs_iomap_write_ops (6.17+), for EOF zeroing
 * @dio_write_ops: xfs_dio_write_ops, whose end_io completes a direct write
 */
struct xwt_xfs {
	struct file_system_type *fs_type;
	struct module *owner;
	ssize_t (*write_iter)(struct kiocb *iocb, struct iov_iter *from);
	int (*fill_super)(struct super_block *sb, struct fs_context *fc);
	void (*put_super)(struct super_block *sb);
	int (*open)(struct inode *inode, struct file *file);
	const struct iomap_ops *direct_write_ops;
	const struct iomap_ops *buffered_write_ops;
	const void *iomap_write_ops;
	const struct iomap_dio_ops *dio_write_ops;
};

extern struct xwt_xfs xwt_xfs;
extern int xwt_default_mode;

/* symbols.c */
int xwt_symbols_resolve(void);
void xwt_symbols_release(void);

/* hook.c */
int xwt_hooks_init(void);
void xwt_hooks_exit(void);

/* atomic.c */
unsigned int xwt_atomic_unit(struct super_block *sb);
int xwt_atomic_check(struct xwt_mount *m, const struct kiocb *iocb,
		     const struct iov_iter *from);
void xwt_atomic_open(struct file *file);

/* engine.c */
int xwt_engine_init(void);
void xwt_engine_exit(void);
ssize_t xwt_engine_write(struct xwt_mount *m, struct kiocb *iocb,
			 struct iov_iter *from);

/* mount.c */
const char *xwt_mode_name(int mode);
int xwt_mode_parse(const char *buf);
const char *xwt_class_name(enum xwt_class cls);
const char *xwt_fate_name(enum xwt_fate fate);
const char *xwt_fallback_name(enum xwt_fallback why);
void xwt_mount_add(struct super_block *sb);
void xwt_mount_remove(struct super_block *sb);
void xwt_mounts_exit(void);
struct xwt_mount *xwt_mount_find(struct super_block *sb);
void xwt_mount_free(struct xwt_mount *m);
u64 xwt_stat_sum(struct xwt_mount *m, unsigned int idx);

/**
 * xwt_ctr_classed() - index of a per-class counter
 * @fate: seen, taken or passed
 * @cls: the write's class
 * @bytes: false for the count of writes, true for their bytes
 */
static inline unsigned int xwt_ctr_classed(enum xwt_fate fate,
					   enum xwt_class cls, bool bytes)
{
	return (fate * XWT_CLASS_NR + cls) * 2 + bytes;
}

static inline void xwt_stat_add(struct xwt_mount *m, unsigned int idx, u64 n)
{
	this_cpu_add(m->stats->ctr[idx], n);
}

/* sysfs.c */
int xwt_sysfs_init(void);
void xwt_sysfs_exit(void);
int xwt_sysfs_mount_init(struct xwt_mount *m, const char *name);
void xwt_sysfs_mount_del(struct xwt_mount *m);

#endif /* XFS_WT_INTERNAL_H */
