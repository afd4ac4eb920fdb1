/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page-cache folio lookup across the supported kernels.
 */
#ifndef XFS_WT_COMPAT_FOLIO_H
#define XFS_WT_COMPAT_FOLIO_H

#include <linux/err.h>
#include <linux/pagemap.h>
#include "kernel_version.h"

/**
 * xwt_get_folio_locked() - find or create the locked folio at @index
 * @mapping: the file's page cache
 * @index: page index
 * @nowait: do not sleep for the folio lock or for memory
 *
 * 6.1 returns NULL on failure; 6.4 and later return an ERR_PTR.
 *
 * Return: the locked folio with a reference, or NULL.
 */
static inline struct folio *xwt_get_folio_locked(struct address_space *mapping,
						 pgoff_t index, bool nowait)
{
	struct folio *folio;

	folio = __filemap_get_folio(mapping, index,
				    FGP_LOCK | FGP_WRITE | FGP_CREAT |
				    FGP_STABLE | (nowait ? FGP_NOWAIT : 0),
				    mapping_gfp_mask(mapping));
#if XWT_KERNEL_AT_LEAST(6, 4, 0)
	if (IS_ERR(folio))
		return NULL;
#endif
	return folio;
}

/* Copy into a folio from an iterator that cannot fault (bvec, kvec). */
static inline size_t xwt_copy_to_folio(struct folio *folio, size_t offset,
				       size_t bytes, struct iov_iter *from)
{
	/* 6.1 has no copy_folio_from_iter(); the page form spans a folio. */
	return copy_page_from_iter(folio_page(folio, 0), offset, bytes, from);
}

#endif /* XFS_WT_COMPAT_FOLIO_H */
