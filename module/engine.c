// SPDX-License-Identifier: GPL-2.0
/*
 * xfs_wt: the write-through engine.
 *
 * A taken write is copied into locked page-cache folios, which go under
 * writeback and into bios of our own, one bio per contiguous mapping of
 * XFS's direct-write iomap ops. XFS's direct-I/O completion then converts
 * unwritten extents, remaps CoW blocks and moves the on-disk size, exactly as
 * for an O_DIRECT write of the same range.
 *
 * Locks, outermost first: i_rwsem (XFS's IOLOCK), then invalidate_lock
 * (XFS's MMAPLOCK), then folio locks, as XFS's truncate takes them. The user
 * buffer is pinned before any of them, so that copying from it can neither
 * fault nor come up short while a folio is locked.
 *
 * A pure overwrite (inside EOF, of blocks that are written and not shared)
 * takes both locks shared, as XFS's direct writes do: writers of the same
 * file then submit in parallel, and io_uring's non-blocking attempts do not
 * fail on a lock another writer holds. Two writers of one folio meet at its
 * lock and its writeback bit; each takes folios in ascending order. Anything
 * else (extending, holes, unwritten or shared extents, privileges to drop)
 * takes both exclusive, which keeps page faults from placing delalloc
 * blocks in the range.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/cred.h>
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "compat/compat_atomic.h"
#include "compat/compat_bio.h"
#include "compat/compat_cgroup.h"
#include "compat/compat_fs.h"
#include "compat/compat_folio.h"
#include "compat/compat_iomap.h"
#include "compat/compat_workqueue.h"

/* A write of up to a few pages keeps its arrays in its context. */
#define XWT_INLINE_VECS 4

/**
 * struct xwt_pin - user pages pinned as a bvec array
 * @bvec: the pages
 * @nr_bvec: entries used in @bvec
 * @inline_bvec: @bvec for a small write, which needs no allocation
 */
struct xwt_pin {
	struct bio_vec *bvec;
	unsigned int nr_bvec;
	struct bio_vec inline_bvec[XWT_INLINE_VECS];
};

/**
 * struct xwt_ctx - one taken write, from submission to completion
 * @iocb: the caller's kiocb; gone once ki_complete() has been called
 * @m: the mount's state
 * @pos: file offset of the first byte written
 * @count: bytes of the write submitted
 * @copied: bytes copied into folios, which can run ahead of @count
 * @dio_flags: IOMAP_DIO_UNWRITTEN and IOMAP_DIO_COW for XFS's end_io
 * @need_sync: completion must call generic_write_sync()
 * @async: an asynchronous overwrite: the caller gets -EIOCBQUEUED and
 *	completion runs from the last bio's completion or from the workqueue
 *	(an asynchronous extending write completes under i_rwsem, and only
 *	its sync is queued)
 * @end_io_done: XFS's end_io has run in bio completion; its error is in @error
 * @pending: bios in flight, plus one held by the submitter and one by
 *	@time_work until it has run
 * @error: first bio error
 * @done: a synchronous caller waits here
 * @work: asynchronous completion, or the queued sync
 * @time_work: the timestamp update that a non-blocking submission could
 *	not do, run beside the bios
 * @nr_folios: folios under writeback in @folios
 * @folios: those folios, each with a reference
 * @pin: the pinned user pages, released once copied
 * @inline_folios: @folios for a small write, which needs no allocation
 */
struct xwt_ctx {
	struct kiocb *iocb;
	struct xwt_mount *m;
	loff_t pos;
	size_t count;
	size_t copied;
	unsigned int dio_flags;
	bool need_sync;
	bool async;
	bool end_io_done;
	atomic_t pending;
	int error;
	struct completion done;
	struct work_struct work;
	struct work_struct time_work;
	unsigned int nr_folios;
	struct folio **folios;
	struct xwt_pin pin;
	struct folio *inline_folios[XWT_INLINE_VECS];
};

static struct workqueue_struct *xwt_wq;
static struct workqueue_struct *xwt_submit_wq;
static atomic_long_t xwt_engine_active = ATOMIC_LONG_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(xwt_engine_idle);

static void xwt_inflight_add(struct xwt_mount *m)
{
	long now = atomic_long_inc_return(&m->inflight);
	long max = atomic_long_read(&m->inflight_max);

	while (now > max &&
	       !atomic_long_try_cmpxchg(&m->inflight_max, &max, now))
		;
}

static void xwt_iunlock(struct inode *inode, bool shared)
{
	if (shared)
		inode_unlock_shared(inode);
	else
		inode_unlock(inode);
}

/* XFS's end_io: converts, remaps, moves the size; the first error wins. */
static int xwt_end_io(struct xwt_ctx *ctx, int error)
{
	struct kiocb *iocb = ctx->iocb;
	ssize_t ret;

	/* XFS's end_io takes the range from ki_pos and the size. */
	iocb->ki_pos = ctx->pos;
	ret = xwt_xfs.dio_write_ops->end_io(iocb, error ? 0 : ctx->count,
					    error, ctx->dio_flags);
	return error ? error : ret < 0 ? ret : 0;
}

/* Only after end_io: a reader must not find unconverted extents behind clean folios. */
static void xwt_end_folios(struct xwt_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_folios; i++) {
		folio_end_writeback(ctx->folios[i]);
		folio_put(ctx->folios[i]);
	}
}

/* XFS's end_io, then the folios: the write's result before any sync. */
static ssize_t xwt_end(struct xwt_ctx *ctx)
{
	struct kiocb *iocb = ctx->iocb;
	struct inode *inode = file_inode(iocb->ki_filp);
	struct address_space *mapping = iocb->ki_filp->f_mapping;
	int error = READ_ONCE(ctx->error);

	if (!ctx->end_io_done)
		error = xwt_end_io(ctx, error);
	xwt_end_folios(ctx);
	if (error) {
		/* The cache holds data the disk does not: drop it, keep the error. */
		mapping_set_error(mapping, error);
		invalidate_inode_pages2_range(mapping, ctx->pos >> PAGE_SHIFT,
					      (ctx->pos + ctx->copied - 1) >> PAGE_SHIFT);
	} else if (ctx->copied > ctx->count) {
		/* A short write: the folio past it holds bytes never written. */
		invalidate_inode_pages2_range(mapping,
					      (ctx->pos + ctx->count) >> PAGE_SHIFT,
					      (ctx->pos + ctx->copied - 1) >> PAGE_SHIFT);
	}
	inode_dio_end(inode);

	if (error)
		return error;
	iocb->ki_pos = ctx->pos + ctx->count;
	return ctx->count;
}

/*
 * The sync that O_DSYNC asks for when FUA was not enough: a log force or a
 * cache flush. Stock buffered writes do it outside i_rwsem too, so that
 * writers that wait for the log share its forces.
 */
static ssize_t xwt_sync(struct xwt_ctx *ctx, ssize_t ret)
{
	struct kiocb *iocb = ctx->iocb;

	if (ret > 0 && ctx->need_sync)
		ret = generic_write_sync(iocb, ret);
	xwt_stat_add(ctx->m, ret < 0 ? XWT_CTR_ERRORS : XWT_CTR_COMPLETIONS, 1);
	if (iocb->ki_flags & XWT_IOCB_ATOMIC)
		xwt_stat_add(ctx->m, ret < 0 ? XWT_CTR_ATOMIC_ERRORS :
			     XWT_CTR_ATOMIC_COMPLETIONS, 1);
	return ret;
}

static void xwt_free_folio_array(struct xwt_ctx *ctx)
{
	if (ctx->folios != ctx->inline_folios)
		kvfree(ctx->folios);
	ctx->folios = NULL;
}

static void xwt_ctx_free(struct xwt_ctx *ctx)
{
	xwt_free_folio_array(ctx);
	kfree(ctx);
}

/* The last step of a write: after it, unload may go ahead. */
static void xwt_engine_put(void)
{
	if (atomic_long_dec_and_test(&xwt_engine_active))
		wake_up_all(&xwt_engine_idle);
}

/* The sync, then the caller's completion, which ends its freeze protection. */
static void xwt_finish(struct xwt_ctx *ctx, ssize_t ret)
{
	struct kiocb *iocb = ctx->iocb;

	ret = xwt_sync(ctx, ret);
	xwt_ctx_free(ctx);
	iocb->ki_complete(iocb, ret);
	xwt_engine_put();
}

/* The end of an asynchronous write: its result, then the caller's completion. */
static void xwt_complete(struct xwt_ctx *ctx)
{
	xwt_finish(ctx, xwt_end(ctx));
}

static void xwt_complete_work(struct work_struct *work)
{
	xwt_complete(container_of(work, struct xwt_ctx, work));
}

/*
 * The sync of an asynchronous extending write, whose data and size are
 * already in place: the caller's completion follows it, and its freeze
 * protection is held until then.
 */
static void xwt_sync_work(struct work_struct *work)
{
	struct xwt_ctx *ctx = container_of(work, struct xwt_ctx, work);

	xwt_finish(ctx, ctx->count);
}

/*
 * Complete an asynchronous write where its last bio completed, as stock
 * direct I/O does since 6.19: only a pure overwrite that succeeded and
 * needs no sync and no timestamp update, for which XFS's end_io takes no
 * lock and starts no transaction, and ending writeback is what page-cache
 * writeback completion does in interrupts too. This saves a worker wake-up
 * per write. Anything else, or an end_io that fails (a shut-down file
 * system), goes to the workqueue: the error path sleeps.
 */
static bool xwt_complete_inline(struct xwt_ctx *ctx)
{
	int error;

	if (READ_ONCE(ctx->error) || ctx->dio_flags || ctx->need_sync ||
	    ctx->copied != ctx->count)
		return false;
	error = xwt_end_io(ctx, 0);
	ctx->end_io_done = true;
	if (error) {
		WRITE_ONCE(ctx->error, error);
		return false;
	}
	/* No error and nothing past the count: xwt_end() does not sleep. */
	xwt_stat_add(ctx->m, XWT_CTR_COMPLETED_IN_END_IO, 1);
	xwt_complete(ctx);
	return true;
}

/* Drop one pending reference; the last one completes the write. */
static void xwt_ctx_put(struct xwt_ctx *ctx)
{
	if (!atomic_dec_and_test(&ctx->pending))
		return;
	if (ctx->async) {
		if (xwt_complete_inline(ctx))
			return;
		/* XFS's end_io may start transactions: not in bio completion. */
		INIT_WORK(&ctx->work, xwt_complete_work);
		queue_work(xwt_wq, &ctx->work);
	} else {
		complete(&ctx->done);
	}
}

/*
 * The timestamp update of an asynchronous overwrite whose non-blocking
 * attempt found it due. It runs while the bios are in flight, not after
 * them: the writes submitted meanwhile find the timestamps current again
 * and can still complete in bio completion. Its pending reference keeps
 * the caller's completion after it, and the caller's freeze protection,
 * which ends with ki_complete(), held.
 */
static void xwt_time_work(struct work_struct *work)
{
	struct xwt_ctx *ctx = container_of(work, struct xwt_ctx, time_work);
	int error = file_update_time(ctx->iocb->ki_filp);

	if (error)
		cmpxchg(&ctx->error, 0, error);
	/* The last reference: this is process context already. */
	if (atomic_dec_and_test(&ctx->pending))
		xwt_complete(ctx);
}

static void xwt_bio_end_io(struct bio *bio)
{
	struct xwt_ctx *ctx = bio->bi_private;
	int error = blk_status_to_errno(bio->bi_status);

	if (error)
		cmpxchg(&ctx->error, 0, error);
	atomic_long_dec(&ctx->m->inflight);
	bio_put(bio);
	xwt_ctx_put(ctx);
}

static void xwt_submit(struct xwt_ctx *ctx, struct bio *bio)
{
	atomic_inc(&ctx->pending);
	xwt_inflight_add(ctx->m);
	submit_bio(bio);
}

static void xwt_unpin_user(struct xwt_pin *pin)
{
	unsigned int i;

	for (i = 0; i < pin->nr_bvec; i++)
		put_page(pin->bvec[i].bv_page);
	if (pin->bvec != pin->inline_bvec)
		kvfree(pin->bvec);
	pin->bvec = NULL;
	pin->nr_bvec = 0;
}

/* Take references on the user pages under @from, as a bvec array. */
static ssize_t xwt_pin_user(struct xwt_pin *pin, struct iov_iter *from,
			    size_t count)
{
	int npages = iov_iter_npages(from, INT_MAX);
	struct page *inline_pages[XWT_INLINE_VECS];
	struct page **pages = inline_pages;
	size_t pinned = 0;

	pin->bvec = pin->inline_bvec;
	if (npages > XWT_INLINE_VECS) {
		pin->bvec = kvmalloc_array(npages, sizeof(*pin->bvec), GFP_KERNEL);
		pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
		if (!pin->bvec || !pages) {
			kvfree(pages);
			kvfree(pin->bvec);
			pin->bvec = NULL;
			return -ENOMEM;
		}
	}
	while (pinned < count && pin->nr_bvec < npages) {
		unsigned int room = npages - pin->nr_bvec, n, k;
		size_t start, left;
		ssize_t got;

		got = iov_iter_get_pages2(from, pages, count - pinned, room, &start);
		if (got <= 0)
			break;
		n = DIV_ROUND_UP(start + got, PAGE_SIZE);
		left = got;
		for (k = 0; k < n; k++) {
			struct bio_vec *bv = &pin->bvec[pin->nr_bvec++];

			bv->bv_page = pages[k];
			bv->bv_offset = start;
			bv->bv_len = min_t(size_t, left, PAGE_SIZE - start);
			left -= bv->bv_len;
			start = 0;
		}
		pinned += got;
	}
	if (pages != inline_pages)
		kvfree(pages);
	if (!pinned) {
		xwt_unpin_user(pin);
		return -EFAULT;
	}
	return pinned;
}

/* The stock rule of iomap direct I/O: FUA alone makes this mapping durable. */
static bool xwt_fua_ok(const struct iomap *iomap)
{
	return iomap->type == IOMAP_MAPPED &&
	       !(iomap->flags & (IOMAP_F_NEW | IOMAP_F_SHARED | IOMAP_F_DIRTY)) &&
	       (bdev_fua(iomap->bdev) || !bdev_write_cache(iomap->bdev));
}

/*
 * Lock the folio at @index, bring it up to date where the write covers it
 * only in part, copy in all of the write's bytes that fall in it, clean it
 * for I/O and start writeback. A folio is prepared once, even when several
 * mappings share it: looking it up again would wait on our own writeback.
 */
static struct folio *xwt_prepare_folio(struct xwt_ctx *ctx, pgoff_t index,
				       loff_t wend, struct iov_iter *src,
				       bool nowait)
{
	struct file *file = ctx->iocb->ki_filp;
	struct address_space *mapping = file->f_mapping;
	loff_t fpos, fend, ustart, uend;
	struct folio *folio;
	int err;

	folio = xwt_get_folio_locked(mapping, index, nowait);
	if (!folio)
		return ERR_PTR(nowait ? -EAGAIN : -ENOMEM);
	fpos = folio_pos(folio);
	fend = fpos + folio_size(folio);
	ustart = max(fpos, ctx->pos);
	uend = min(fend, wend);

	/*
	 * Blocks the write covers only in part must hold the file's data. A
	 * folio with iomap's per-block state is read too: marking it up to
	 * date over that state would leave the two disagreeing.
	 */
	if (!folio_test_uptodate(folio) &&
	    (ustart > fpos || uend < fend || folio_test_private(folio))) {
		/* read_folio() unlocks the folio, also on error. */
		if (nowait) {
			folio_unlock(folio);
			err = -EAGAIN;
		} else {
			err = mapping->a_ops->read_folio(file, folio);
			if (!err) {
				folio_lock(folio);
				/*
				 * Between the read's unlock and this lock, another
				 * writer under the shared locks may have written
				 * the folio and put it under writeback: wait, or
				 * our copy would change it in flight and start
				 * writeback on it a second time.
				 */
				folio_wait_writeback(folio);
				if (folio_test_uptodate(folio))
					goto copy;
				folio_unlock(folio);
				err = -EIO;
			}
		}
		folio_put(folio);
		return ERR_PTR(err);
	}
copy:
	if (xwt_copy_to_folio(folio, ustart - fpos, uend - ustart, src) !=
	    uend - ustart) {
		/* Impossible from pinned pages; never write a torn folio. */
		folio_unlock(folio);
		folio_put(folio);
		return ERR_PTR(-EFAULT);
	}
	ctx->copied += uend - ustart;
	if (!folio_test_uptodate(folio))
		folio_mark_uptodate(folio);
	/*
	 * Dirty, then clean for I/O, as writeback does: this attaches the
	 * inode to its writeback context for the accounting of
	 * folio_start_writeback(), and write-protects mmap PTEs.
	 */
	folio_mark_dirty(folio);
	folio_clear_dirty_for_io(folio);
	folio_start_writeback(folio);
	folio_unlock(folio);
	ctx->folios[ctx->nr_folios++] = folio;
	return folio;
}

/* Bvecs for the folios of [@cur, @end): at most one per page. */
static unsigned short xwt_bio_vecs(loff_t cur, loff_t end)
{
	loff_t pages = (round_up(end, PAGE_SIZE) - round_down(cur, PAGE_SIZE)) >>
		       PAGE_SHIFT;

	return min_t(loff_t, pages, BIO_MAX_VECS);
}

/*
 * Submit the blocks [@start, @end) of one mapping, preparing their folios
 * as they come; ctx->count becomes the bytes of the write up to @end.
 */
static int xwt_write_mapping(struct xwt_ctx *ctx, struct iomap *iomap,
			     loff_t start, loff_t end, loff_t wend,
			     struct iov_iter *src, bool fua, bool nowait)
{
	blk_opf_t opf = REQ_OP_WRITE | REQ_SYNC | REQ_IDLE | (fua ? REQ_FUA : 0);

	/* One aligned block: one folio, one bio, written whole or not at all. */
	if (ctx->iocb->ki_flags & XWT_IOCB_ATOMIC)
		opf |= XWT_REQ_ATOMIC;
	struct bio *bio = NULL;
	loff_t cur = start;
	int err = 0;

	while (cur < end) {
		struct folio *folio = NULL;
		loff_t fpos, seg_end;
		size_t off, len;

		if (ctx->nr_folios) {
			folio = ctx->folios[ctx->nr_folios - 1];
			if (cur >= folio_pos(folio) + folio_size(folio))
				folio = NULL;
		}
		if (!folio) {
			folio = xwt_prepare_folio(ctx, cur >> PAGE_SHIFT, wend,
						  src, nowait);
			if (IS_ERR(folio)) {
				err = PTR_ERR(folio);
				break;
			}
		}
		fpos = folio_pos(folio);
		seg_end = min_t(loff_t, fpos + folio_size(folio), end);
		off = cur - fpos;
		len = seg_end - cur;
		if (!bio || !xwt_bio_add_folio(bio, folio, len, off)) {
			if (bio)
				xwt_submit(ctx, bio);
			/* Sized to the range: a large bvec array costs a zeroed slab object. */
			bio = bio_alloc(iomap->bdev, xwt_bio_vecs(cur, end), opf,
					GFP_NOFS);
			bio->bi_iter.bi_sector = iomap_sector(iomap, cur);
			bio->bi_private = ctx;
			/* The caller's priority, also from a worker: as direct I/O. */
			bio->bi_ioprio = ctx->iocb->ki_ioprio;
			bio->bi_end_io = xwt_bio_end_io;
			if (!xwt_bio_add_folio(bio, folio, len, off))
				WARN_ON_ONCE(1);
		}
		cur = seg_end;
	}
	if (bio)
		xwt_submit(ctx, bio);
	if (cur > start)
		ctx->count = min(cur, wend) - ctx->pos;
	return err;
}

/* Take i_rwsem, shared or exclusive; false if a non-blocking caller would wait. */
static bool xwt_ilock(struct inode *inode, bool shared, bool nowait)
{
	if (nowait)
		return shared ? inode_trylock_shared(inode) : inode_trylock(inode);
	if (shared)
		inode_lock_shared(inode);
	else
		inode_lock(inode);
	return true;
}

static bool xwt_mmap_lock(struct address_space *mapping, bool shared,
			  bool nowait)
{
	if (nowait)
		return shared ? down_read_trylock(&mapping->invalidate_lock) :
				down_write_trylock(&mapping->invalidate_lock);
	if (shared)
		filemap_invalidate_lock_shared(mapping);
	else
		filemap_invalidate_lock(mapping);
	return true;
}

static void xwt_mmap_unlock(struct address_space *mapping, bool shared)
{
	if (shared)
		filemap_invalidate_unlock_shared(mapping);
	else
		filemap_invalidate_unlock(mapping);
}

/* A mapping the shared-lock path may write: written blocks, ours alone. */
static bool xwt_plain_overwrite(const struct iomap *iomap, loff_t pos,
				loff_t end)
{
	return iomap->type == IOMAP_MAPPED &&
	       !(iomap->flags & (IOMAP_F_NEW | IOMAP_F_SHARED)) &&
	       iomap->offset <= pos && iomap->offset + iomap->length >= end;
}

/*
 * generic_write_checks(), except that an atomic write which the limits
 * (RLIMIT_FSIZE, a file opened without O_LARGEFILE) would cut short is
 * refused whole: 6.12's generic_write_checks() cuts it like any other.
 */
static ssize_t xwt_write_checks(struct kiocb *iocb, struct iov_iter *from)
{
	size_t want = iov_iter_count(from);
	ssize_t ret = generic_write_checks(iocb, from);

	if (ret > 0 && (iocb->ki_flags & XWT_IOCB_ATOMIC) && ret != want)
		return -EINVAL;
	return ret;
}

/*
 * Whether the caller may have -EIOCBQUEUED. io_uring moves the file
 * position after a write at offset -1 only for a result returned at once,
 * and so does overlayfs for its own file, whose writes reach us through a
 * backing file (FMODE_NOACCOUNT on 6.1, 6.12 and 7.2). A write at the file
 * position, or through a backing file, completes before it returns, as a
 * stock buffered write does; a write at offset -1 cannot be told apart from
 * one at the same explicit offset.
 */
static bool xwt_may_queue(struct kiocb *iocb)
{
	const struct file *file = iocb->ki_filp;

	return !is_sync_kiocb(iocb) && !(file->f_mode & FMODE_NOACCOUNT) &&
	       iocb->ki_pos != READ_ONCE(file->f_pos);
}

/*
 * Submit a taken write; see xwt_engine_write(). @queued: this is a worker,
 * and the caller already has -EIOCBQUEUED.
 */
static ssize_t xwt_write_now(struct xwt_mount *m, struct kiocb *iocb,
			     struct iov_iter *from, bool queued)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct address_space *mapping = file->f_mapping;
	bool nowait = iocb->ki_flags & IOCB_NOWAIT;
	bool dsync = iocb->ki_flags & IOCB_DSYNC;
	bool async = queued || xwt_may_queue(iocb);
	unsigned int bs = i_blocksize(inode);
	loff_t isize, start, end, cur;
	bool shared = true;
	size_t nr;
	struct blk_plug plug;
	struct iov_iter src;
	struct xwt_ctx *ctx;
	bool update_time = false;
	bool extending;
	ssize_t ret;
	size_t count;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	atomic_long_inc(&xwt_engine_active);
	ctx->iocb = iocb;
	ctx->m = m;
	atomic_set(&ctx->pending, 1);
	init_completion(&ctx->done);

	/* Appends and privilege drops need the exclusive lock at once. */
	if ((iocb->ki_flags & IOCB_APPEND) || !IS_NOSEC(inode))
		shared = false;
again:
	ret = -EAGAIN;
	if (!xwt_ilock(inode, shared, nowait))
		goto out_free;
	/* A shared holder may only overwrite inside EOF. */
	if (shared && iocb->ki_pos + iov_iter_count(from) > i_size_read(inode)) {
		inode_unlock_shared(inode);
		shared = false;
		goto again;
	}
	ret = xwt_write_checks(iocb, from);
	if (ret <= 0)
		goto out_unlock;
	count = ret;
	ctx->pos = iocb->ki_pos;
	/* An append that the decision saw far from the largest offset. */
	ret = -EFBIG;
	if (ctx->pos > LLONG_MAX - (loff_t)count - XWT_MAX_END_ROOM)
		goto out_unlock;
	isize = i_size_read(inode);
	extending = ctx->pos + count > isize;
	start = round_down(min(ctx->pos, isize), bs);
	end = round_up(ctx->pos + count, bs);

	/*
	 * Non-blocking attempts take only what cannot block: an overwrite
	 * inside EOF, of one folio, with nothing to write back first.
	 */
	if (nowait &&
	    (extending ||
	     (ctx->pos >> PAGE_SHIFT) != ((ctx->pos + count - 1) >> PAGE_SHIFT) ||
	     filemap_range_needs_writeback(mapping, start, end - 1))) {
		ret = -EAGAIN;
		goto out_unlock;
	}

	/* Pin the source first: no fault may happen under the locks below. */
	if (user_backed_iter(from)) {
		ret = xwt_pin_user(&ctx->pin, from, count);
		if (ret < 0)
			goto out_unlock;
		/* An atomic write is whole or refused: never short. */
		if ((iocb->ki_flags & XWT_IOCB_ATOMIC) && ret < count) {
			count = ret;	/* what out_unpin gives back */
			ret = -EFAULT;
			goto out_unpin;
		}
		count = ret;
		end = round_up(ctx->pos + count, bs);
		iov_iter_bvec(&src, ITER_SOURCE, ctx->pin.bvec, ctx->pin.nr_bvec, count);
	} else {
		src = *from;
		iov_iter_truncate(&src, count);
	}

	/*
	 * Folios are taken from the block of ctx->pos on: a write far past
	 * EOF must not size the array by the gap, which zeroing handles.
	 */
	nr = DIV_ROUND_UP(end - round_down(ctx->pos, bs), PAGE_SIZE) + 2;
	ctx->folios = ctx->inline_folios;
	if (nr > XWT_INLINE_VECS)
		ctx->folios = kvmalloc_array(nr, sizeof(*ctx->folios), GFP_KERNEL);
	ret = -ENOMEM;
	if (!ctx->folios)
		goto out_unpin;

	ret = -EAGAIN;
	if (!xwt_mmap_lock(mapping, shared, nowait))
		goto out_unpin;
	mapping_set_stable_writes(mapping);

	/* In-flight direct and write-through I/O may still move EOF. */
	if (extending)
		inode_dio_wait(inode);
	ret = kiocb_modified(iocb);
	/*
	 * A timestamp update blocks on a transaction. An asynchronous
	 * overwrite has a worker do it beside its bios instead of failing
	 * its non-blocking attempt: each -EAGAIN costs a trip to io_uring's
	 * workers. Under the shared lock the inode is IS_NOSEC, so -EAGAIN
	 * can only mean the timestamps.
	 */
	if (ret == -EAGAIN && nowait && shared && async) {
		update_time = true;
		ret = 0;
	}
	if (ret)
		goto out_mmap_unlock;
	if (ctx->pos > isize) {
		ret = xwt_iomap_zero_range(inode, isize, ctx->pos - isize,
					   xwt_xfs.buffered_write_ops,
					   xwt_xfs.iomap_write_ops);
		if (ret)
			goto out_mmap_unlock;
	}
	/* No dirty or writeback folio may remain under the range we take. */
	ret = filemap_write_and_wait_range(mapping, start, end - 1);
	if (ret)
		goto out_mmap_unlock;

	inode_dio_begin(inode);
	ctx->need_sync = iocb->ki_flags & IOCB_SYNC;
	ctx->async = async && !extending;
	cur = round_down(ctx->pos, bs);
	/*
	 * As direct I/O does: without a plug, a queue with an I/O scheduler
	 * dispatches each bio from kblockd, a context switch per write.
	 */
	blk_start_plug(&plug);
	while (cur < end) {
		struct iomap iomap = { }, srcmap = { };
		unsigned int flags = IOMAP_WRITE | IOMAP_DIRECT;
		loff_t map_end;
		bool fua = false;

		if (nowait)
			flags |= IOMAP_NOWAIT;
		/* XFS then neither allocates nor converts: it says -EAGAIN. */
		if (shared)
			flags |= IOMAP_OVERWRITE_ONLY;
		ret = xwt_xfs.direct_write_ops->iomap_begin(inode, cur, end - cur,
							    flags, &iomap,
							    &srcmap);
		if (shared && !nowait &&
		    (ret == -EAGAIN ||
		     (!ret && !xwt_plain_overwrite(&iomap, cur, end)))) {
			/* Nothing is prepared yet: start again, exclusive. */
			blk_finish_plug(&plug);
			inode_dio_end(inode);
			xwt_mmap_unlock(mapping, true);
			goto retry_exclusive;
		}
		if (!ret && shared && !xwt_plain_overwrite(&iomap, cur, end))
			ret = -EAGAIN;
		if (ret)
			break;
		if (iomap.type != IOMAP_MAPPED && iomap.type != IOMAP_UNWRITTEN) {
			pr_warn_ratelimited("unexpected mapping type %u at %lld of inode %llu\n",
					    iomap.type, cur, (unsigned long long)inode->i_ino);
			ret = -EIO;
			break;
		}
		if (iomap.type == IOMAP_UNWRITTEN)
			ctx->dio_flags |= IOMAP_DIO_UNWRITTEN;
		if (iomap.flags & IOMAP_F_SHARED)
			ctx->dio_flags |= IOMAP_DIO_COW;
		if (dsync && !(iocb->ki_flags & IOCB_SYNC)) {
			fua = xwt_fua_ok(&iomap);
			if (!fua)
				ctx->need_sync = true;
		}
		map_end = min_t(loff_t, iomap.offset + iomap.length, end);
		ret = xwt_write_mapping(ctx, &iomap, cur, map_end,
					ctx->pos + count, &src, fua, nowait);
		if (ret)
			break;
		cur = map_end;
	}
	blk_finish_plug(&plug);
	xwt_mmap_unlock(mapping, shared);
	if (ctx->pin.bvec)
		xwt_unpin_user(&ctx->pin);

	if (!ctx->count) {
		/* Nothing went out: no folio is under writeback, nothing to end. */
		inode_dio_end(inode);
		xwt_iunlock(inode, shared);
		if (user_backed_iter(from))
			iov_iter_revert(from, count);
		if (!ret)
			ret = -EFAULT;
		goto out_free;
	}
	/* io_uring's inline attempts: served here, or punted to a worker. */
	if (nowait)
		xwt_stat_add(m, XWT_CTR_NOWAIT_INLINE, 1);
	if (user_backed_iter(from) && count > ctx->count)
		iov_iter_revert(from, count - ctx->count);
	else if (!user_backed_iter(from))
		iov_iter_advance(from, ctx->count);
	/*
	 * A short write (a later mapping failed) still completes what was
	 * submitted. Extending writes complete before the lock is dropped:
	 * the size moves in end_io, and the next writer must see it.
	 */
	if (ctx->async) {
		xwt_iunlock(inode, shared);
		if (update_time) {
			xwt_stat_add(m, XWT_CTR_TIME_UPDATES, 1);
			atomic_inc(&ctx->pending);
			INIT_WORK(&ctx->time_work, xwt_time_work);
			queue_work(xwt_wq, &ctx->time_work);
		}
		xwt_ctx_put(ctx);
		return -EIOCBQUEUED;
	}
	if (!extending)
		xwt_iunlock(inode, shared);
	if (!atomic_dec_and_test(&ctx->pending))
		wait_for_completion(&ctx->done);
	ret = xwt_end(ctx);
	if (extending)
		xwt_iunlock(inode, shared);
	/*
	 * An asynchronous caller here is an extending write. Its sync goes
	 * to the workqueue, as direct I/O's does: io_uring's worker, which
	 * runs a file's buffered writes one at a time, starts the next write
	 * while this one waits for the log, and the waiters share log forces.
	 */
	if (async && ret > 0 && ctx->need_sync) {
		xwt_stat_add(m, XWT_CTR_SYNCS_QUEUED, 1);
		INIT_WORK(&ctx->work, xwt_sync_work);
		queue_work(xwt_wq, &ctx->work);
		return -EIOCBQUEUED;
	}
	ret = xwt_sync(ctx, ret);
	xwt_ctx_free(ctx);
	xwt_engine_put();
	return ret;

retry_exclusive:
	if (ctx->pin.bvec) {
		iov_iter_revert(from, count);
		xwt_unpin_user(&ctx->pin);
	}
	xwt_free_folio_array(ctx);
	ctx->dio_flags = 0;
	iocb->ki_pos = ctx->pos;
	inode_unlock_shared(inode);
	shared = false;
	goto again;

out_mmap_unlock:
	xwt_mmap_unlock(mapping, shared);
out_unpin:
	if (ctx->pin.bvec) {
		iov_iter_revert(from, count);
		xwt_unpin_user(&ctx->pin);
	}
out_unlock:
	xwt_iunlock(inode, shared);
out_free:
	xwt_ctx_free(ctx);
	xwt_engine_put();
	return ret;
}

/**
 * struct xwt_queued - an asynchronous write handed to a submission worker
 * @work: the worker's item
 * @iocb: the caller's kiocb
 * @m: the mount's state
 * @count: bytes pinned in @pin, the whole write
 * @cred: the caller's credentials, for privilege checks in the worker
 * @memcg: the caller's memory cgroup, charged for the folios
 * @blkcg: the caller's block cgroup, for the bios (NULL without one)
 * @pin: the caller's pages, pinned while the caller still ran
 */
struct xwt_queued {
	struct work_struct work;
	struct kiocb *iocb;
	struct xwt_mount *m;
	size_t count;
	const struct cred *cred;
	struct mem_cgroup *memcg;
	struct cgroup_subsys_state *blkcg;
	struct xwt_pin pin;
};

/*
 * Whether an asynchronous write may be handed to a worker: an overwrite
 * inside EOF, of user memory. The worker submits it as the caller's task
 * would, with its credentials and cgroups; what depends on the task itself
 * (RLIMIT_FSIZE, an append's position) is settled before it is queued.
 */
static bool xwt_queue_ok(struct xwt_mount *m, struct kiocb *iocb,
			 const struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	size_t count = iov_iter_count(from);

	return READ_ONCE(m->queue_submit) && count && xwt_may_queue(iocb) &&
	       user_backed_iter(from) && !(iocb->ki_flags & IOCB_APPEND) &&
	       iocb->ki_pos + count <= i_size_read(inode);
}

/*
 * Whether to queue it at once: while other write-through writes of the
 * mount are in flight or queued (the caller keeps a queue), or when a
 * non-blocking attempt could not take it (more than one page). The
 * caller's task then only pins its pages, and the folios are prepared and
 * submitted on a CPU it leaves free.
 */
static bool xwt_queue_now(struct xwt_mount *m, struct kiocb *iocb,
			  const struct iov_iter *from)
{
	loff_t pos = iocb->ki_pos, last = pos + iov_iter_count(from) - 1;

	return atomic_long_read(&m->inflight) + atomic_long_read(&m->queued) ||
	       ((iocb->ki_flags & IOCB_NOWAIT) &&
		(pos >> PAGE_SHIFT) != (last >> PAGE_SHIFT));
}

static void xwt_queued_free(struct xwt_queued *q)
{
	xwt_unpin_user(&q->pin);
	if (q->cred)
		put_cred(q->cred);
	mem_cgroup_put(q->memcg);
	if (q->blkcg)
		css_put(q->blkcg);
	kfree(q);
}

/*
 * The submission of a queued write, as the caller's task would have made
 * it: with its credentials, memory cgroup and block cgroup, blocking where
 * it must. The caller's freeze protection is held until ki_complete().
 */
static void xwt_queued_work(struct work_struct *work)
{
	struct xwt_queued *q = container_of(work, struct xwt_queued, work);
	struct kiocb *iocb = q->iocb;
	const struct cred *old_cred;
	struct mem_cgroup *old_memcg;
	struct iov_iter src;
	ssize_t ret;

	old_cred = override_creds(q->cred);
	old_memcg = set_active_memcg(q->memcg);
	kthread_associate_blkcg(q->blkcg);
	iov_iter_bvec(&src, ITER_SOURCE, q->pin.bvec, q->pin.nr_bvec, q->count);
	iocb->ki_flags &= ~IOCB_NOWAIT;
	/* Before the call: once it has queued the write, m may go at any time. */
	atomic_long_dec(&q->m->queued);
	ret = xwt_write_now(q->m, iocb, &src, true);
	kthread_associate_blkcg(NULL);
	set_active_memcg(old_memcg);
	revert_creds(old_cred);
	/* The data is in the folios now, or the write failed. */
	xwt_queued_free(q);
	if (ret != -EIOCBQUEUED)
		iocb->ki_complete(iocb, ret);
	xwt_engine_put();
}

/*
 * Pin the caller's pages and queue the write. The checks that depend on
 * the caller's task (RLIMIT_FSIZE and its signal) run here; for a write
 * that is neither an append nor past EOF they need no lock.
 */
static ssize_t xwt_queue_write(struct xwt_mount *m, struct kiocb *iocb,
			       struct iov_iter *from)
{
	struct xwt_queued *q;
	ssize_t ret;
	size_t count;

	ret = xwt_write_checks(iocb, from);
	if (ret <= 0)
		return ret;
	count = ret;
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	ret = xwt_pin_user(&q->pin, from, count);
	if (ret < 0)
		goto out_free;
	/* An atomic write is whole or refused: never short. */
	if ((iocb->ki_flags & XWT_IOCB_ATOMIC) && ret < count) {
		iov_iter_revert(from, ret);
		ret = -EFAULT;
		goto out_free;
	}
	q->count = ret;
	q->iocb = iocb;
	q->m = m;
	q->cred = get_current_cred();
	q->memcg = get_mem_cgroup_from_mm(current->mm);
	q->blkcg = xwt_get_blkcg_css();
	/* io_uring's inline attempt was served: no trip to its workers. */
	if (iocb->ki_flags & IOCB_NOWAIT)
		xwt_stat_add(m, XWT_CTR_NOWAIT_INLINE, 1);
	xwt_stat_add(m, XWT_CTR_SUBMITS_QUEUED, 1);
	atomic_long_inc(&xwt_engine_active);
	atomic_long_inc(&m->queued);
	INIT_WORK(&q->work, xwt_queued_work);
	queue_work(xwt_submit_wq, &q->work);
	return -EIOCBQUEUED;

out_free:
	xwt_queued_free(q);
	return ret;
}

/**
 * xwt_engine_write() - write through a buffered write that was taken
 * @m: the mount's state
 * @iocb: the caller's kiocb
 * @from: the data
 *
 * Return: bytes written, -EIOCBQUEUED for an asynchronous caller whose
 * completion comes later, or a negative errno.
 */
ssize_t xwt_engine_write(struct xwt_mount *m, struct kiocb *iocb,
			 struct iov_iter *from)
{
	bool queue = xwt_queue_ok(m, iocb, from);
	ssize_t ret;

	if (queue && xwt_queue_now(m, iocb, from))
		return xwt_queue_write(m, iocb, from);
	ret = xwt_write_now(m, iocb, from, false);
	if (ret != -EAGAIN)
		return ret;
	/*
	 * A non-blocking attempt that would have waited (for a lock, the
	 * timestamps, a privilege check): our worker waits, not io_uring's,
	 * which would run the file's buffered writes one at a time.
	 */
	if (queue && (iocb->ki_flags & IOCB_NOWAIT))
		return xwt_queue_write(m, iocb, from);
	xwt_stat_add(m, XWT_CTR_NOWAIT_EAGAIN, 1);
	return ret;
}

/**
 * xwt_engine_init() - create the completion and submission workqueues
 *
 * Completions are per CPU, as for XFS's direct-I/O completions: the work
 * runs where the bio completed, without waking a worker on another CPU.
 *
 * Return: 0 or -ENOMEM.
 */
int xwt_engine_init(void)
{
	xwt_wq = alloc_workqueue("xfs_wt_complete",
				 XWT_WQ_PERCPU | WQ_MEM_RECLAIM, 0);
	if (!xwt_wq)
		return -ENOMEM;
	/*
	 * Unbound: a queued write runs on a CPU its caller leaves free. A few
	 * workers per CPU keep the CPUs busy; writes that wait for a file's
	 * exclusive lock must not take hundreds of workers.
	 */
	xwt_submit_wq = alloc_workqueue("xfs_wt_submit",
					WQ_UNBOUND | WQ_MEM_RECLAIM,
					min_t(int, WQ_DFL_ACTIVE,
					      max(8U, 4 * num_possible_cpus())));
	if (!xwt_submit_wq) {
		destroy_workqueue(xwt_wq);
		return -ENOMEM;
	}
	return 0;
}

/**
 * xwt_engine_exit() - wait for every taken write to complete
 *
 * Called once no new write can enter the engine.
 */
void xwt_engine_exit(void)
{
	wait_event(xwt_engine_idle, !atomic_long_read(&xwt_engine_active));
	/* A worker may still be returning from its last xwt_engine_put(). */
	destroy_workqueue(xwt_submit_wq);
	destroy_workqueue(xwt_wq);
	/*
	 * Bio completions may still be returning through our end_io: in
	 * interrupts, which synchronize_rcu() waits out, or in a preemptible
	 * task (a stacked driver's worker), which must first pass a voluntary
	 * context switch, as synchronize_rcu_tasks() waits for.
	 */
	synchronize_rcu();
	synchronize_rcu_tasks();
}
