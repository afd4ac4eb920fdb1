// SPDX-License-Identifier: GPL-2.0
/*
 * xfs_wt: buffered write-through and atomic writes for XFS on stock kernels.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "internal.h"

int xwt_default_mode = XWT_MODE_OFF;

static int xwt_default_mode_set(const char *val, const struct kernel_param *kp)
{
	int mode = xwt_mode_parse(val);

	if (mode < 0)
		return mode;
	WRITE_ONCE(xwt_default_mode, mode);
	return 0;
}

static int xwt_default_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", xwt_mode_name(READ_ONCE(xwt_default_mode)));
}

static const struct kernel_param_ops xwt_default_mode_ops = {
	.set	= xwt_default_mode_set,
	.get	= xwt_default_mode_get,
};

module_param_cb(default_mode, &xwt_default_mode_ops, NULL, 0644);
MODULE_PARM_DESC(default_mode,
		 "mode of a newly mounted XFS: off (default), dsync or all");

static int __init xwt_init(void)
{
	int ret;

	ret = xwt_symbols_resolve();
	if (ret)
		return ret;
	ret = xwt_sysfs_init();
	if (ret)
		goto out_symbols;
	ret = xwt_engine_init();
	if (ret)
		goto out_sysfs;
	ret = xwt_hooks_init();
	if (ret)
		goto out_engine;
	pr_info("hooked XFS writes\n");
	return 0;

out_engine:
	xwt_engine_exit();
	xwt_mounts_exit();
out_sysfs:
	xwt_sysfs_exit();
	rcu_barrier();
out_symbols:
	xwt_symbols_release();
	return ret;
}

static void __exit xwt_exit(void)
{
	xwt_hooks_exit();
	xwt_engine_exit();
	xwt_mounts_exit();
	xwt_sysfs_exit();
	/* The last mount states are freed by call_rcu(). */
	rcu_barrier();
	xwt_symbols_release();
	pr_info("unhooked XFS writes\n");
}

module_init(xwt_init);
module_exit(xwt_exit);

MODULE_DESCRIPTION("Buffered write-through and atomic writes for XFS");
MODULE_AUTHOR("The xfs_wt developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
