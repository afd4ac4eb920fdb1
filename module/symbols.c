// SPDX-License-Identifier: GPL-2.0
/*
 * xfs_wt: find what we need inside the loaded xfs module.
 *
 * The kernel-wide symbol lookup is not exported, and the kprobe trick to
 * reach it returns an address past the ENDBR (a #CP on IBT machines). XFS's
 * own module symbol table gives the addresses; every function we call is taken
 * from an operations table of XFS, whose slots are address-taken and so keep
 * their ENDBR under IBT.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "internal.h"
#include "compat/compat_iomap.h"

struct xwt_xfs xwt_xfs;

static unsigned long xwt_xfs_symbol(const char *name)
{
	struct mod_kallsyms *ks;
	unsigned long addr = 0;
	unsigned int i;

	/* xfs is pinned; the table only changes from init to core once. */
	preempt_disable();
	ks = rcu_dereference_sched(xwt_xfs.owner->kallsyms);
	for (i = 0; i < ks->num_symtab; i++) {
		const typeof(*ks->symtab) *sym = &ks->symtab[i];

		if (sym->st_shndx == SHN_UNDEF || !sym->st_value)
			continue;
		if (!strcmp(ks->strtab + sym->st_name, name)) {
			addr = sym->st_value;
			break;
		}
	}
	preempt_enable();

	if (!addr)
		pr_err("symbol %s not found in the xfs module of kernel %s\n",
		       name, init_utsname()->release);
	return addr;
}

/* A function reached through a table must be the one its name says. */
static int xwt_xfs_check(const char *name, const void *fn)
{
	unsigned long addr = xwt_xfs_symbol(name);

	if (!addr)
		return -ENOENT;
	if (addr != (unsigned long)fn) {
		pr_err("XFS's operations point to %ps, not to %s (kernel %s): refusing to hook\n",
		       fn, name, init_utsname()->release);
		return -EINVAL;
	}
	return 0;
}

/* A function taken from an XFS table must be XFS's own code. */
static bool xwt_xfs_owns(const void *fn)
{
	if (fn && within_module((unsigned long)fn, xwt_xfs.owner))
		return true;
	pr_err("an XFS operations table points outside xfs (kernel %s): refusing to load\n",
	       init_utsname()->release);
	return false;
}

/**
 * xwt_symbols_resolve() - pin xfs and fill in xwt_xfs
 *
 * Return: 0, or a negative errno after logging which symbol is missing.
 */
int xwt_symbols_resolve(void)
{
	const struct file_operations *fops;
	const struct super_operations *sops;
	unsigned long addr;
	int ret;

	/* Loads xfs if needed and takes a reference on its module. */
	xwt_xfs.fs_type = get_fs_type("xfs");
	if (!xwt_xfs.fs_type) {
		pr_err("the xfs file system is not available on kernel %s\n",
		       init_utsname()->release);
		return -ENODEV;
	}
	xwt_xfs.owner = xwt_xfs.fs_type->owner;
	if (!xwt_xfs.owner) {
		pr_err("xfs is built into kernel %s; xfs_wt needs it as a module\n",
		       init_utsname()->release);
		ret = -EOPNOTSUPP;
		goto out_put;
	}

	ret = -ENOENT;
	addr = xwt_xfs_symbol("xfs_file_operations");
	if (!addr)
		goto out_put;
	fops = (const struct file_operations *)addr;

	addr = xwt_xfs_symbol("xfs_super_operations");
	if (!addr)
		goto out_put;
	sops = (const struct super_operations *)addr;

	ret = xwt_xfs_check("xfs_file_write_iter", fops->write_iter);
	if (ret)
		goto out_put;
	xwt_xfs.write_iter = fops->write_iter;

	ret = xwt_xfs_check("xfs_file_open", fops->open);
	if (ret)
		goto out_put;
	xwt_xfs.open = fops->open;

	ret = xwt_xfs_check("xfs_fs_put_super", sops->put_super);
	if (ret)
		goto out_put;
	xwt_xfs.put_super = sops->put_super;

	/* Address-taken: XFS passes it to get_tree_bdev(). */
	ret = -ENOENT;
	addr = xwt_xfs_symbol("xfs_fs_fill_super");
	if (!addr)
		goto out_put;
	xwt_xfs.fill_super = (void *)addr;

	/* Operations tables: their slots are address-taken functions. */
	xwt_xfs.direct_write_ops = (void *)xwt_xfs_symbol("xfs_direct_write_iomap_ops");
	xwt_xfs.buffered_write_ops = (void *)xwt_xfs_symbol("xfs_buffered_write_iomap_ops");
	xwt_xfs.dio_write_ops = (void *)xwt_xfs_symbol("xfs_dio_write_ops");
	if (!xwt_xfs.direct_write_ops || !xwt_xfs.buffered_write_ops ||
	    !xwt_xfs.dio_write_ops)
		goto out_put;
	if (XWT_HAVE_IOMAP_WRITE_OPS) {
		xwt_xfs.iomap_write_ops = (void *)xwt_xfs_symbol("xfs_iomap_write_ops");
		if (!xwt_xfs.iomap_write_ops)
			goto out_put;
	}
	ret = -EINVAL;
	if (!xwt_xfs_owns(xwt_xfs.direct_write_ops->iomap_begin) ||
	    !xwt_xfs_owns(xwt_xfs.buffered_write_ops->iomap_begin) ||
	    !xwt_xfs_owns(xwt_xfs.dio_write_ops->end_io))
		goto out_put;
	return 0;

out_put:
	module_put(xwt_xfs.fs_type->owner);
	memset(&xwt_xfs, 0, sizeof(xwt_xfs));
	return ret;
}

/**
 * xwt_symbols_release() - drop the reference on the xfs module
 */
void xwt_symbols_release(void)
{
	module_put(xwt_xfs.owner);
	memset(&xwt_xfs, 0, sizeof(xwt_xfs));
}
