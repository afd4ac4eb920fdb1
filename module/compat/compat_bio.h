/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bio helpers that not every supported kernel exports.
 */
#ifndef XFS_WT_COMPAT_BIO_H
#define XFS_WT_COMPAT_BIO_H

#include <linux/bio.h>
#include "kernel_version.h"

/* 6.1 defines bio_add_folio() but does not export it. */
static inline bool xwt_bio_add_folio(struct bio *bio, struct folio *folio,
				     size_t len, size_t off)
{
#if XWT_KERNEL_AT_LEAST(6, 12, 0)
	return bio_add_folio(bio, folio, len, off);
#else
	if (len > UINT_MAX || off > UINT_MAX)
		return false;
	return bio_add_page(bio, folio_page(folio, 0), len, off) > 0;
#endif
}

#endif /* XFS_WT_COMPAT_BIO_H */
