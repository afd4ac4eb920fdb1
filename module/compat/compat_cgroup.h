/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The caller's cgroups, for work done on its behalf by a worker.
 */
#ifndef XFS_WT_COMPAT_CGROUP_H
#define XFS_WT_COMPAT_CGROUP_H

#include <linux/cgroup.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>

/* The current task's block cgroup, with a reference; NULL without blkcg. */
static inline struct cgroup_subsys_state *xwt_get_blkcg_css(void)
{
#ifdef CONFIG_BLK_CGROUP
	return task_get_css(current, io_cgrp_id);
#else
	return NULL;
#endif
}

#endif /* XFS_WT_COMPAT_CGROUP_H */
