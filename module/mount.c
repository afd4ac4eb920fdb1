// SPDX-License-Identifier: GPL-2.0
/*
 * xfs_wt: per-mount state, found from a super block without a lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

static const char *const xwt_mode_names[XWT_MODE_NR] = {
	[XWT_MODE_OFF]		= XFS_WT_MODE_OFF,
	[XWT_MODE_DSYNC]	= XFS_WT_MODE_DSYNC,
	[XWT_MODE_ALL]		= XFS_WT_MODE_ALL,
};

static const char *const xwt_class_names[XWT_CLASS_NR] = {
	[XWT_CLASS_DSYNC]	= XFS_WT_CLASS_DSYNC,
	[XWT_CLASS_ATOMIC]	= XFS_WT_CLASS_ATOMIC,
	[XWT_CLASS_OTHER]	= XFS_WT_CLASS_OTHER,
};

static const char *const xwt_fate_names[XWT_FATE_NR] = {
	[XWT_FATE_SEEN]		= "seen",
	[XWT_FATE_TAKEN]	= "taken",
	[XWT_FATE_PASSED]	= "passed",
	[XWT_FATE_REFUSED]	= "refused",
};

static const char *const xwt_fallback_names[XWT_FALLBACK_NR] = {
	[XWT_FALLBACK_DIRECT]		= "direct",
	[XWT_FALLBACK_DAX]		= "dax",
	[XWT_FALLBACK_BLOCKSIZE]	= "blocksize",
	[XWT_FALLBACK_LARGE]		= "large",
	[XWT_FALLBACK_ZONED]		= "zoned",
	[XWT_FALLBACK_MAXSIZE]		= "maxsize",
};

/* Writers look mounts up under RCU; add and remove serialise here. */
static DEFINE_HASHTABLE(xwt_mounts, 6);
static DEFINE_MUTEX(xwt_mounts_lock);

/**
 * xwt_mode_name() - name of a mode, as sysfs shows it
 * @mode: enum xwt_mode
 */
const char *xwt_mode_name(int mode)
{
	return xwt_mode_names[mode];
}

/**
 * xwt_mode_parse() - mode from its name, with an optional trailing newline
 * @buf: what the user wrote
 *
 * Return: enum xwt_mode, or -EINVAL.
 */
int xwt_mode_parse(const char *buf)
{
	int i = sysfs_match_string(xwt_mode_names, buf);

	return i < 0 ? -EINVAL : i;
}

/**
 * xwt_class_name() - name of a write class in counter names
 * @cls: the class
 */
const char *xwt_class_name(enum xwt_class cls)
{
	return xwt_class_names[cls];
}

/**
 * xwt_fate_name() - name of a fate in counter names
 * @fate: seen, taken or passed
 */
const char *xwt_fate_name(enum xwt_fate fate)
{
	return xwt_fate_names[fate];
}

/**
 * xwt_fallback_name() - name of a fallback reason in counter names
 * @why: the reason
 */
const char *xwt_fallback_name(enum xwt_fallback why)
{
	return xwt_fallback_names[why];
}

/**
 * xwt_mount_find() - state of a mounted XFS
 * @sb: its super block
 *
 * The caller holds rcu_read_lock(), or keeps @sb mounted (an open file on
 * it) and runs inside a hooked call, which unload drains before freeing.
 *
 * Return: the state, or NULL when xfs_wt does not know the mount.
 */
struct xwt_mount *xwt_mount_find(struct super_block *sb)
{
	struct xwt_mount *m;

	hash_for_each_possible_rcu(xwt_mounts, m, hnode, (unsigned long)sb)
		if (m->sb == sb)
			return m;
	return NULL;
}

/**
 * xwt_mount_add() - start tracking a mounted XFS
 * @sb: its super block, fully set up, s_umount held
 *
 * Failure only costs the mount its sysfs directory: its writes then pass
 * through to XFS as on a stock kernel.
 */
void xwt_mount_add(struct super_block *sb)
{
	struct xwt_mount *m;

	mutex_lock(&xwt_mounts_lock);
	/* A mount seen both by the load-time scan and by fill_super. */
	rcu_read_lock();
	m = xwt_mount_find(sb);
	rcu_read_unlock();
	if (m)
		goto out_unlock;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		goto out_fail;
	m->stats = alloc_percpu(struct xwt_stats);
	if (!m->stats) {
		kfree(m);
		goto out_fail;
	}
	m->sb = sb;
	m->mode = READ_ONCE(xwt_default_mode);
	m->queue_submit = true;
	atomic_long_set(&m->inflight, 0);
	atomic_long_set(&m->inflight_max, 0);

	/* On failure the kobject's release has freed m. */
	if (xwt_sysfs_mount_init(m, sb->s_id))
		goto out_fail;
	hash_add_rcu(xwt_mounts, &m->hnode, (unsigned long)sb);
	goto out_unlock;

out_fail:
	pr_warn("cannot track the XFS mount of %s: its writes pass through\n",
		sb->s_id);
out_unlock:
	mutex_unlock(&xwt_mounts_lock);
}

static void xwt_mount_unlink(struct xwt_mount *m)
{
	hash_del_rcu(&m->hnode);
	xwt_sysfs_mount_del(m);
}

/**
 * xwt_mount_remove() - stop tracking a mount that is going away
 * @sb: its super block
 */
void xwt_mount_remove(struct super_block *sb)
{
	struct xwt_mount *m;

	mutex_lock(&xwt_mounts_lock);
	rcu_read_lock();
	m = xwt_mount_find(sb);
	rcu_read_unlock();
	if (m)
		xwt_mount_unlink(m);
	mutex_unlock(&xwt_mounts_lock);
}

/**
 * xwt_mounts_exit() - forget every mount, at unload once the hooks are gone
 */
void xwt_mounts_exit(void)
{
	struct hlist_node *tmp;
	struct xwt_mount *m;
	int bkt;

	mutex_lock(&xwt_mounts_lock);
	hash_for_each_safe(xwt_mounts, bkt, tmp, m, hnode)
		xwt_mount_unlink(m);
	mutex_unlock(&xwt_mounts_lock);
}

static void xwt_mount_free_rcu(struct rcu_head *head)
{
	struct xwt_mount *m = container_of(head, struct xwt_mount, rcu);

	free_percpu(m->stats);
	kfree(m);
}

/**
 * xwt_mount_free() - free a mount's state once its sysfs directory is gone
 * @m: the state
 *
 * Called from the kobject's release; the free waits out RCU readers.
 */
void xwt_mount_free(struct xwt_mount *m)
{
	call_rcu(&m->rcu, xwt_mount_free_rcu);
}

/**
 * xwt_stat_sum() - a counter summed over all CPUs
 * @m: the mount
 * @idx: enum xwt_ctr or xwt_ctr_classed()
 */
u64 xwt_stat_sum(struct xwt_mount *m, unsigned int idx)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(m->stats, cpu)->ctr[idx];
	return sum;
}
