// SPDX-License-Identifier: GPL-2.0
/*
 * A second IPMODIFY ftrace user of xfs_file_write_iter, as a livepatch of
 * XFS would be: while it is loaded, xfs_wt must refuse to load, cleanly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/string.h>

static void notrace rival_thunk(unsigned long ip, unsigned long parent_ip,
				struct ftrace_ops *op, struct ftrace_regs *fregs)
{
}

static struct ftrace_ops rival_ops = {
	.func	= rival_thunk,
	.flags	= FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_RECURSION |
		  FTRACE_OPS_FL_SAVE_REGS,
};

static int __init rival_init(void)
{
	char name[] = "xfs_file_write_iter";
	int ret;

	ret = ftrace_set_filter(&rival_ops, name, strlen(name), 1);
	if (ret)
		return ret;
	ret = register_ftrace_function(&rival_ops);
	if (ret)
		ftrace_free_filter(&rival_ops);
	return ret;
}

static void __exit rival_exit(void)
{
	unregister_ftrace_function(&rival_ops);
	ftrace_free_filter(&rival_ops);
}

module_init(rival_init);
module_exit(rival_exit);
MODULE_DESCRIPTION("xfs_wt test: another IPMODIFY user of xfs_file_write_iter");
MODULE_LICENSE("GPL");
