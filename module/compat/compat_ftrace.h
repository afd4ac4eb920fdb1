/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ftrace differences between the supported kernels.
 */
#ifndef XFS_WT_COMPAT_FTRACE_H
#define XFS_WT_COMPAT_FTRACE_H

#include <linux/ftrace.h>

#if !defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS) && \
	!defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#error "xfs_wt needs DYNAMIC_FTRACE_WITH_ARGS or DYNAMIC_FTRACE_WITH_REGS"
#endif

/*
 * 6.2 renamed the setter of the resume address (6.1:
 * ftrace_instruction_pointer_set); struct ftrace_regs is opaque from 6.13,
 * so the arch macro is the only way to reach the saved ip.
 */
#if defined(ftrace_regs_set_instruction_pointer)
#define xwt_ftrace_set_ip(fregs, ip) \
	ftrace_regs_set_instruction_pointer(fregs, ip)
#elif defined(ftrace_instruction_pointer_set)
#define xwt_ftrace_set_ip(fregs, ip) ftrace_instruction_pointer_set(fregs, ip)
#else
#error "no way to set the ftrace resume address on this kernel"
#endif

/* Without WITH_ARGS the saved registers must be requested explicitly. */
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_ARGS
#define XWT_FTRACE_OPS_FLAGS \
	(FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_RECURSION)
#else
#define XWT_FTRACE_OPS_FLAGS \
	(FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_RECURSION | \
	 FTRACE_OPS_FL_SAVE_REGS)
#endif

#endif /* XFS_WT_COMPAT_FTRACE_H */
