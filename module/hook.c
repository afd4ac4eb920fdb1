// SPDX-License-Identifier: GPL-2.0
/*
 * xfs_wt: ftrace redirection of XFS's write, mount and unmount entry points.
 *
 * Each hook is an IPMODIFY ftrace_ops whose callback sends the call to our
 * wrapper. The wrapper calls the original through XFS's own pointer; that
 * call passes through ftrace again, and the recursion guard lets it through
 * because its caller is this module. Kbuild turns off sibling-call
 * optimisation: a wrapper that jumped to the original instead of calling it
 * would be redirected again, forever.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate.h>

#include "internal.h"
#include "compat/compat_atomic.h"
#include "compat/compat_fs.h"
#include "compat/compat_ftrace.h"

/* Calls inside a wrapper: unload waits for them all. */
static struct percpu_ref xwt_calls;
static DECLARE_COMPLETION(xwt_calls_done);

static enum xwt_class xwt_classify(const struct kiocb *iocb)
{
	if (iocb->ki_flags & XWT_IOCB_ATOMIC)
		return XWT_CLASS_ATOMIC;
	if (iocb->ki_flags & IOCB_DSYNC)
		return XWT_CLASS_DSYNC;
	return XWT_CLASS_OTHER;
}

static bool xwt_mode_selects(int mode, enum xwt_class cls)
{
	switch (mode) {
	case XWT_MODE_DSYNC:
		return cls != XWT_CLASS_OTHER;
	case XWT_MODE_ALL:
		return true;
	default:
		return false;
	}
}

/* Whether the write may end within XWT_MAX_END_ROOM of the largest offset. */
static bool xwt_near_max_offset(const struct kiocb *iocb, size_t count)
{
	loff_t pos = iocb->ki_pos;

	if (iocb->ki_flags & IOCB_APPEND)
		pos = max(pos, i_size_read(file_inode(iocb->ki_filp)));
	return pos > LLONG_MAX - (loff_t)count - XWT_MAX_END_ROOM;
}

/*
 * The decision point: whether xfs_wt takes this write (1), passes it to
 * XFS (0) or refuses it (-errno). A write that the mode selects but the
 * engine cannot serve goes to XFS's own path and is counted as a fallback
 * with its reason.
 */
static int xwt_decide(struct xwt_mount *m, const struct kiocb *iocb,
		      const struct iov_iter *from, enum xwt_class cls)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	size_t count = iov_iter_count(from);
	enum xwt_fallback why;
	int ret;

	if (cls == XWT_CLASS_ATOMIC) {
		/*
		 * From 6.13 XFS writes direct atomic writes and refuses
		 * buffered ones itself. Before, it would write either as a
		 * plain, tearable write: never let one through.
		 */
		if (XWT_XFS_HAS_ATOMIC &&
		    ((iocb->ki_flags & IOCB_DIRECT) ||
		     READ_ONCE(m->mode) == XWT_MODE_OFF))
			return 0;
		ret = xwt_atomic_check(m, iocb, from);
		return ret ? ret : 1;
	}
	if (!xwt_mode_selects(READ_ONCE(m->mode), cls))
		return 0;
	if (iocb->ki_flags & IOCB_DIRECT)
		why = XWT_FALLBACK_DIRECT;
	else if (IS_DAX(inode))
		why = XWT_FALLBACK_DAX;
	else if (i_blocksize(inode) > PAGE_SIZE)
		why = XWT_FALLBACK_BLOCKSIZE;
	else if (count > XWT_MAX_TAKE)
		why = XWT_FALLBACK_LARGE;
	else if (bdev_is_zoned(inode->i_sb->s_bdev))
		why = XWT_FALLBACK_ZONED;
	else if (xwt_near_max_offset(iocb, count))
		why = XWT_FALLBACK_MAXSIZE;
	else
		return 1;
	xwt_stat_add(m, XWT_CTR_FALLBACK + why, 1);
	return 0;
}

static ssize_t xwt_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	size_t count = iov_iter_count(from);
	enum xwt_fate fate = XWT_FATE_PASSED;
	enum xwt_class cls;
	struct xwt_mount *m;
	ssize_t ret;
	int take;

	percpu_ref_get(&xwt_calls);
	/* The open file keeps the mount, and so its state, alive. */
	rcu_read_lock();
	m = xwt_mount_find(file_inode(iocb->ki_filp)->i_sb);
	rcu_read_unlock();

	if (!m) {
		ret = xwt_xfs.write_iter(iocb, from);
		goto out;
	}

	cls = xwt_classify(iocb);
	take = xwt_decide(m, iocb, from, cls);
	if (take > 0)
		fate = XWT_FATE_TAKEN;
	else if (take < 0)
		fate = XWT_FATE_REFUSED;
	xwt_stat_add(m, xwt_ctr_classed(XWT_FATE_SEEN, cls, false), 1);
	xwt_stat_add(m, xwt_ctr_classed(XWT_FATE_SEEN, cls, true), count);
	xwt_stat_add(m, xwt_ctr_classed(fate, cls, false), 1);
	xwt_stat_add(m, xwt_ctr_classed(fate, cls, true), count);

	/* After an asynchronous write is queued, neither iocb nor m is ours. */
	if (fate == XWT_FATE_TAKEN)
		ret = xwt_engine_write(m, iocb, from);
	else if (fate == XWT_FATE_REFUSED)
		ret = take;
	else
		ret = xwt_xfs.write_iter(iocb, from);
out:
	percpu_ref_put(&xwt_calls);
	return ret;
}

static int xwt_fill_super(struct super_block *sb, struct fs_context *fc)
{
	int ret;

	percpu_ref_get(&xwt_calls);
	ret = xwt_xfs.fill_super(sb, fc);
	if (!ret)
		xwt_mount_add(sb);
	percpu_ref_put(&xwt_calls);
	return ret;
}

static int xwt_file_open(struct inode *inode, struct file *file)
{
	int ret;

	percpu_ref_get(&xwt_calls);
	ret = xwt_xfs.open(inode, file);
	if (!ret)
		xwt_atomic_open(file);
	percpu_ref_put(&xwt_calls);
	return ret;
}

static void xwt_put_super(struct super_block *sb)
{
	percpu_ref_get(&xwt_calls);
	xwt_mount_remove(sb);
	xwt_xfs.put_super(sb);
	percpu_ref_put(&xwt_calls);
}

/**
 * struct xwt_hook - one redirected XFS function
 * @name: its symbol name, for messages
 * @target: its address
 * @wrapper: where calls from outside this module go instead
 * @ops: the IPMODIFY ftrace_ops
 * @registered: @ops is live
 */
struct xwt_hook {
	const char *name;
	unsigned long target;
	void *wrapper;
	struct ftrace_ops ops;
	bool registered;
};

enum {
	XWT_HOOK_PUT_SUPER,
	XWT_HOOK_FILL_SUPER,
	XWT_HOOK_OPEN,
	XWT_HOOK_WRITE_ITER,
	XWT_HOOK_NR,
};

static struct xwt_hook xwt_hooks[XWT_HOOK_NR];

static void notrace xwt_ftrace_thunk(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *op,
				     struct ftrace_regs *fregs)
{
	struct xwt_hook *hook = container_of(op, struct xwt_hook, ops);

	/* Our wrappers' own calls of the original must reach it. */
	if (!within_module(parent_ip, THIS_MODULE))
		xwt_ftrace_set_ip(fregs, (unsigned long)hook->wrapper);
}

static int xwt_hook_register(struct xwt_hook *hook)
{
	int ret;

	hook->ops.func = xwt_ftrace_thunk;
	hook->ops.flags = XWT_FTRACE_OPS_FLAGS;
	ret = ftrace_set_filter_ip(&hook->ops, hook->target, 0, 0);
	if (ret) {
		pr_err("cannot trace %s: %d\n", hook->name, ret);
		return ret;
	}
	ret = register_ftrace_function(&hook->ops);
	if (ret) {
		if (ret == -EBUSY)
			pr_err("%s is already modified by another ftrace user (livepatch or BPF?): %d\n",
			       hook->name, ret);
		else
			pr_err("cannot hook %s: %d\n", hook->name, ret);
		ftrace_set_filter_ip(&hook->ops, hook->target, 1, 0);
		return ret;
	}
	hook->registered = true;
	return 0;
}

static void xwt_hook_unregister(struct xwt_hook *hook)
{
	if (!hook->registered)
		return;
	unregister_ftrace_function(&hook->ops);
	ftrace_set_filter_ip(&hook->ops, hook->target, 1, 0);
	hook->registered = false;
}

static void xwt_calls_release(struct percpu_ref *ref)
{
	complete(&xwt_calls_done);
}

static void xwt_scan_one(struct super_block *sb, void *arg)
{
	xwt_mount_add(sb);
}

static void xwt_hooks_unregister(void)
{
	int i;

	for (i = XWT_HOOK_NR - 1; i >= 0; i--)
		xwt_hook_unregister(&xwt_hooks[i]);
}

static void xwt_calls_drain(void)
{
	/*
	 * A task redirected before the unregister but preempted before
	 * percpu_ref_get() holds up an RCU-tasks grace period; so does one
	 * that dropped its reference but has not yet returned from module
	 * text. Wait out both sides of the count.
	 */
	synchronize_rcu_tasks();
	percpu_ref_kill(&xwt_calls);
	wait_for_completion(&xwt_calls_done);
	synchronize_rcu_tasks();
	percpu_ref_exit(&xwt_calls);
}

/**
 * xwt_hooks_init() - hook unmount, mount, then writes; adopt current mounts
 *
 * Return: 0, or a negative errno with nothing left hooked.
 */
int xwt_hooks_init(void)
{
	int ret, i;

	ret = percpu_ref_init(&xwt_calls, xwt_calls_release, 0, GFP_KERNEL);
	if (ret)
		return ret;

	xwt_hooks[XWT_HOOK_PUT_SUPER] = (struct xwt_hook){
		.name = "xfs_fs_put_super",
		.target = (unsigned long)xwt_xfs.put_super,
		.wrapper = xwt_put_super,
	};
	xwt_hooks[XWT_HOOK_FILL_SUPER] = (struct xwt_hook){
		.name = "xfs_fs_fill_super",
		.target = (unsigned long)xwt_xfs.fill_super,
		.wrapper = xwt_fill_super,
	};
	xwt_hooks[XWT_HOOK_OPEN] = (struct xwt_hook){
		.name = "xfs_file_open",
		.target = (unsigned long)xwt_xfs.open,
		.wrapper = xwt_file_open,
	};
	xwt_hooks[XWT_HOOK_WRITE_ITER] = (struct xwt_hook){
		.name = "xfs_file_write_iter",
		.target = (unsigned long)xwt_xfs.write_iter,
		.wrapper = xwt_write_iter,
	};

	/* Unmount first, so that no mount we adopt can leave unseen. */
	for (i = 0; i < XWT_HOOK_NR; i++) {
		if (i == XWT_HOOK_WRITE_ITER)
			iterate_supers_type(xwt_xfs.fs_type, xwt_scan_one, NULL);
		/* Only 6.11 and 6.12 need opens to allow RWF_ATOMIC. */
		if (i == XWT_HOOK_OPEN && (XWT_XFS_HAS_ATOMIC || !XWT_HAVE_ATOMIC))
			continue;
		ret = xwt_hook_register(&xwt_hooks[i]);
		if (ret)
			goto out_unhook;
	}
	return 0;

out_unhook:
	xwt_hooks_unregister();
	xwt_calls_drain();
	return ret;
}

/**
 * xwt_hooks_exit() - unhook and wait until no task is inside this module
 */
void xwt_hooks_exit(void)
{
	xwt_hooks_unregister();
	xwt_calls_drain();
}
