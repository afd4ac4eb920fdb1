// SPDX-License-Identifier: GPL-2.0
/*
 * xfs_wt: /sys/fs/xfs_wt/features and /sys/fs/xfs_wt/<dev>/: mode, submit,
 * stats and the atomic write units.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "internal.h"
#include "compat/compat_fs.h"

static struct kobject *xwt_root;

static struct xwt_mount *to_xwt_mount(struct kobject *kobj)
{
	return container_of(kobj, struct xwt_mount, kobj);
}

static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  xwt_mode_name(READ_ONCE(to_xwt_mount(kobj)->mode)));
}

static ssize_t mode_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	int mode;

	/* The file is 0644 already; this also holds in user namespaces. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mode = xwt_mode_parse(buf);
	if (mode < 0)
		return mode;
	WRITE_ONCE(to_xwt_mount(kobj)->mode, mode);
	return count;
}

/* Who submits an asynchronous overwrite that keeps a queue; see engine.c. */
static const char * const xwt_submit_names[] = { "inline", "queued" };

static ssize_t submit_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  xwt_submit_names[READ_ONCE(to_xwt_mount(kobj)->queue_submit)]);
}

static ssize_t submit_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int i;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* Names only, as for mode: not the many spellings of a boolean. */
	i = sysfs_match_string(xwt_submit_names, buf);
	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(to_xwt_mount(kobj)->queue_submit, i);
	return count;
}

/* The engine's counters, in the order stats shows them. */
static const struct {
	const char *name;
	enum xwt_ctr idx;
} xwt_scalar_ctrs[] = {
	{ "completions",		XWT_CTR_COMPLETIONS },
	{ "errors",			XWT_CTR_ERRORS },
	{ "nowait_inline",		XWT_CTR_NOWAIT_INLINE },
	{ "nowait_eagain",		XWT_CTR_NOWAIT_EAGAIN },
	{ "completed_in_end_io",	XWT_CTR_COMPLETED_IN_END_IO },
	{ "time_updates",		XWT_CTR_TIME_UPDATES },
	{ "syncs_queued",		XWT_CTR_SYNCS_QUEUED },
	{ "submits_queued",		XWT_CTR_SUBMITS_QUEUED },
	{ "atomic_completions",		XWT_CTR_ATOMIC_COMPLETIONS },
	{ "atomic_errors",		XWT_CTR_ATOMIC_ERRORS },
	{ "atomic_refused_einval",	XWT_CTR_ATOMIC_EINVAL },
	{ "atomic_refused_eopnotsupp",	XWT_CTR_ATOMIC_EOPNOTSUPP },
};

static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct xwt_mount *m = to_xwt_mount(kobj);
	enum xwt_fate fate;
	enum xwt_class cls;
	unsigned int i;
	int len = 0;

	for (fate = 0; fate < XWT_FATE_NR; fate++) {
		for (cls = 0; cls < XWT_CLASS_NR; cls++) {
			len += sysfs_emit_at(buf, len, "%s_%s_writes %llu\n",
					     xwt_fate_name(fate),
					     xwt_class_name(cls),
					     xwt_stat_sum(m, xwt_ctr_classed(fate, cls, false)));
			len += sysfs_emit_at(buf, len, "%s_%s_bytes %llu\n",
					     xwt_fate_name(fate),
					     xwt_class_name(cls),
					     xwt_stat_sum(m, xwt_ctr_classed(fate, cls, true)));
		}
	}
	for (i = 0; i < ARRAY_SIZE(xwt_scalar_ctrs); i++)
		len += sysfs_emit_at(buf, len, "%s %llu\n",
				     xwt_scalar_ctrs[i].name,
				     xwt_stat_sum(m, xwt_scalar_ctrs[i].idx));
	for (i = 0; i < XWT_FALLBACK_NR; i++)
		len += sysfs_emit_at(buf, len, "fallback_%s %llu\n",
				     xwt_fallback_name(i),
				     xwt_stat_sum(m, XWT_CTR_FALLBACK + i));
	len += sysfs_emit_at(buf, len, "inflight %ld\n",
			     atomic_long_read(&m->inflight));
	len += sysfs_emit_at(buf, len, "inflight_max %ld\n",
			     atomic_long_read(&m->inflight_max));
	return len;
}

/* What the buffered atomic path supports here: one block, or nothing. */
static ssize_t atomic_write_unit_min_bytes_show(struct kobject *kobj,
						struct kobj_attribute *attr,
						char *buf)
{
	return sysfs_emit(buf, "%u\n", xwt_atomic_unit(to_xwt_mount(kobj)->sb));
}

static ssize_t atomic_write_unit_max_bytes_show(struct kobject *kobj,
						struct kobj_attribute *attr,
						char *buf)
{
	return sysfs_emit(buf, "%u\n", xwt_atomic_unit(to_xwt_mount(kobj)->sb));
}

static struct kobj_attribute xwt_attr_mode = __ATTR_RW(mode);
static struct kobj_attribute xwt_attr_submit = __ATTR_RW(submit);
static struct kobj_attribute xwt_attr_stats = __ATTR_RO(stats);
static struct kobj_attribute xwt_attr_atomic_min =
	__ATTR_RO(atomic_write_unit_min_bytes);
static struct kobj_attribute xwt_attr_atomic_max =
	__ATTR_RO(atomic_write_unit_max_bytes);

static struct attribute *xwt_mount_attrs[] = {
	&xwt_attr_mode.attr,
	&xwt_attr_submit.attr,
	&xwt_attr_stats.attr,
	&xwt_attr_atomic_min.attr,
	&xwt_attr_atomic_max.attr,
	NULL,
};
ATTRIBUTE_GROUPS(xwt_mount);

static void xwt_mount_release(struct kobject *kobj)
{
	xwt_mount_free(to_xwt_mount(kobj));
}

static const struct kobj_type xwt_mount_ktype = {
	.release	= xwt_mount_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= xwt_mount_groups,
};

/**
 * xwt_sysfs_mount_init() - create /sys/fs/xfs_wt/<name>/ for a mount
 * @m: the mount's state, which the kobject's release frees from now on
 * @name: the super block's s_id, as XFS names it under /sys/fs/xfs
 *
 * Return: 0, or a negative errno after @m has been released.
 */
int xwt_sysfs_mount_init(struct xwt_mount *m, const char *name)
{
	int ret;

	ret = kobject_init_and_add(&m->kobj, &xwt_mount_ktype, xwt_root,
				   "%s", name);
	if (ret)
		kobject_put(&m->kobj);
	return ret;
}

/**
 * xwt_sysfs_mount_del() - remove a mount's directory and drop its state
 * @m: the mount's state; freed after an RCU grace period
 */
void xwt_sysfs_mount_del(struct xwt_mount *m)
{
	kobject_del(&m->kobj);
	kobject_put(&m->kobj);
}

/*
 * One "name value [reason]" per line: what this kernel and module can do,
 * so that a user can check before passing a flag.
 */
static ssize_t features_show(struct kobject *kobj,
			     struct kobj_attribute *attr, char *buf)
{
	int len = 0;

	len += sysfs_emit_at(buf, len, "write_through yes\n");
	if (XWT_HAVE_RWF_ATOMIC)
		len += sysfs_emit_at(buf, len,
				     "atomic yes one block, on devices whose atomic write units cover it (see each mount's atomic_write_unit_*_bytes)\n");
	else
		len += sysfs_emit_at(buf, len,
				     "atomic no this kernel has no RWF_ATOMIC\n");
	return len;
}

static struct kobj_attribute xwt_attr_features = __ATTR_RO(features);

/**
 * xwt_sysfs_init() - create /sys/fs/xfs_wt and its features file
 *
 * Return: 0 or a negative errno.
 */
int xwt_sysfs_init(void)
{
	int ret;

	xwt_root = kobject_create_and_add("xfs_wt", fs_kobj);
	if (!xwt_root)
		return -ENOMEM;
	ret = sysfs_create_file(xwt_root, &xwt_attr_features.attr);
	if (ret) {
		kobject_put(xwt_root);
		xwt_root = NULL;
	}
	return ret;
}

/**
 * xwt_sysfs_exit() - remove /sys/fs/xfs_wt, once every mount is gone
 */
void xwt_sysfs_exit(void)
{
	sysfs_remove_file(xwt_root, &xwt_attr_features.attr);
	kobject_put(xwt_root);
	xwt_root = NULL;
}
