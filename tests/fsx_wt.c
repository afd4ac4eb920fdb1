// SPDX-License-Identifier: GPL-2.0
/*
 * fsx_wt: randomized file-integrity tester in the spirit of fsx, aimed at the
 * write paths that xfs_wt hooks.  It keeps a model of the file's contents and
 * size, applies random operations to FILE and to the model, and compares every
 * read (buffered, O_DIRECT, mmap, and whole-file verifies after cache drops
 * and remounts) against the model.  Any mismatch, short write, wrong size or
 * unexpected errno ends the run with exit status 1 and a report that names
 * the seed, the op number, the first bad offset, a hex dump and the last ops.
 *
 *   fsx_wt [-S SEED] [-N OPS] [-l MAXLEN] [-L MAXFILESIZE] [-b BLOCKSIZE]
 *          [-D N] [-R N -M MOUNTPOINT -d DEVICE] [-W OPLIST] [-P N] [-q] [-v] FILE
 *
 * Every choice comes from one PRNG seeded by SEED, so a run is reproducible
 * as long as the same features (O_DIRECT, libaio, io_uring) are available.
 * Exit status: 0 ok, 1 data/size/errno failure, 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "xfs_wt.h"

#ifndef STATX_DIOALIGN
#define STATX_DIOALIGN	0x00002000U
#endif

enum op {
	OP_WRITE, OP_AIO, OP_URING, OP_READ, OP_DIOREAD, OP_DIOWRITE,
	OP_MAPREAD, OP_MAPWRITE, OP_TRUNC, OP_FALLOC, OP_PUNCH, OP_ZERO,
	OP_FSYNC, OP_NR,
	/* pseudo ops, only in the log */
	OP_DROP = OP_NR, OP_REMOUNT,
};

static const char *const op_names[] = {
	"write", "aio", "uring", "read", "dioread", "diowrite",
	"mapread", "mapwrite", "trunc", "falloc", "punch", "zero",
	"fsync", "dropcache", "remount",
};

static unsigned int weights[OP_NR] = {
	[OP_WRITE] = 30, [OP_AIO] = 6, [OP_URING] = 6, [OP_READ] = 10,
	[OP_DIOREAD] = 4, [OP_DIOWRITE] = 5, [OP_MAPREAD] = 3,
	[OP_MAPWRITE] = 4, [OP_TRUNC] = 4, [OP_FALLOC] = 3, [OP_PUNCH] = 3,
	[OP_ZERO] = 3, [OP_FSYNC] = 3,
};

/* Sub-kinds of a buffered write. */
static const char *const write_kinds[] = {
	"pwrite", "pwritev", "rwf_dsync", "rwf_sync", "odsync",
};

/* ------------------------------------------------------------ state */
static const char *fname, *mntpt, *device;
static unsigned long long seed, numops = 10000, opnum;
static long long maxlen = 256 << 10, maxsize = 8 << 20;
static long long bsize, dio_align = 512, dio_mem_align = 512, pagesz;
static unsigned long long drop_every, remount_every, progress_every = 10000;
static int quiet, verbose, no_falloc_extend, strict_dio_eio;
static int fd = -1, fd_dsync = -1, fd_direct = -1;
static int have_dio = 1, have_aio = 1, have_uring = 1, have_drop = 1;
static unsigned char *good;	/* model of the contents; zero beyond fsize */
static long long fsize;		/* model of the size */
static unsigned char *pool;	/* random bytes that writes take slices of */
static long long pool_size;
static unsigned char *rbuf;	/* read buffer, maxlen, page aligned */
static unsigned char *vbuf;	/* whole-file verify buffer */
#define VCHUNK (1LL << 20)
static io_context_t aio_ctx;
static struct io_uring ring;
#define URING_QD 16
#define AIO_MAX 8

static struct {
	unsigned long long writes, aio, uring, mmap, dio, trunc, falloc, punch,
		zero, reads, syncs, drops, remounts, verifies, dio_eio;
} cnt;

/* ------------------------------------------------------------ PRNG */
static uint64_t rs[4];

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(void)	/* xoshiro256** */
{
	uint64_t r = rs[1] * 5, t = rs[1] << 17;

	r = ((r << 7) | (r >> 57)) * 9;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = (rs[3] << 45) | (rs[3] >> 19);
	return r;
}

static long long rnd_below(long long n)
{
	return n > 0 ? (long long)(rnd() % (uint64_t)n) : 0;
}

static long long min_ll(long long a, long long b) { return a < b ? a : b; }
static long long max_ll(long long a, long long b) { return a > b ? a : b; }

/* ------------------------------------------------------------ op log */
struct logent {
	unsigned long long n;
	int op, sub;
	long long off, len, size0, size1;
	const char *sub_name;
};
#define LOGSZ 512
static struct logent oplog[LOGSZ];
static unsigned long long logcount;

static void print_ent(FILE *f, const struct logent *e)
{
	fprintf(f, "  op %llu %s%s%s off 0x%llx len 0x%llx [0x%llx, 0x%llx) size 0x%llx -> 0x%llx\n",
		e->n, op_names[e->op], e->sub_name ? ":" : "",
		e->sub_name ? e->sub_name : "", e->off, e->len, e->off,
		e->off + e->len, e->size0, e->size1);
}

static void log_op(int op, const char *sub, long long off, long long len,
		   long long size0, long long size1)
{
	struct logent *e = &oplog[logcount++ % LOGSZ];

	e->n = opnum;
	e->op = op;
	e->sub_name = sub;
	e->off = off;
	e->len = len;
	e->size0 = size0;
	e->size1 = size1;
	if (verbose)
		print_ent(stdout, e);
}

/* The log entries of the last 20 op numbers. */
static void dump_log(FILE *f, long long badoff)
{
	unsigned long long first, i, lastn = opnum >= 19 ? opnum - 19 : 0;

	first = logcount > LOGSZ ? logcount - LOGSZ : 0;
	if (badoff >= 0) {
		fprintf(f, "logged ops that cover offset 0x%llx (newest last):\n", badoff);
		for (i = first; i < logcount; i++) {
			struct logent *e = &oplog[i % LOGSZ];

			if (e->off <= badoff && badoff < e->off + e->len)
				print_ent(f, e);
		}
	}
	fprintf(f, "last 20 ops (newest last):\n");
	for (i = first; i < logcount; i++)
		if (oplog[i % LOGSZ].n >= lastn)
			print_ent(f, &oplog[i % LOGSZ]);
	fflush(f);
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "fsx_wt: FAILED at op %llu (seed %llu): ", opnum, seed);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  model size 0x%llx\n", fsize);
	dump_log(stderr, -1);
	exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2))) setup_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fsx_wt: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	printf("fsx_wt: note: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void on_signal(int sig)
{
	fprintf(stderr, "fsx_wt: FAILED at op %llu (seed %llu): signal %d (%s)\n",
		opnum, seed, sig, strsignal(sig));
	dump_log(stderr, -1);
	_exit(1);
}

/* ------------------------------------------------------------ checks */
static void hexdump(FILE *f, const char *label, const unsigned char *p,
		    long long base, long long from, long long to)
{
	long long i;

	fprintf(f, "  %-8s", label);
	for (i = from; i < to; i++)
		fprintf(f, "%s%02x", (i - from) % 8 ? " " : "  ", p[i - base]);
	fprintf(f, "\n");
}

/* Compare len bytes that a read of [off, off+len) returned with the model. */
static void check_data(const char *what, const unsigned char *buf, long long off,
		       long long len)
{
	long long i, bad = -1, lastbad = -1, nbad = 0, from, to;

	if (!memcmp(buf, good + off, len))
		return;
	for (i = 0; i < len; i++) {
		if (buf[i] != good[off + i]) {
			if (bad < 0)
				bad = off + i;
			lastbad = off + i;
			nbad++;
		}
	}
	fflush(stdout);
	fprintf(stderr, "fsx_wt: FAILED at op %llu (seed %llu): %s of [0x%llx, 0x%llx) does not match the model\n",
		opnum, seed, what, off, off + len);
	fprintf(stderr, "  first bad byte at offset 0x%llx (%lld), last at 0x%llx, %lld bad bytes; model size 0x%llx\n",
		bad, bad, lastbad, nbad, fsize);
	from = max_ll(off, bad & ~15LL);
	to = min_ll(off + len, from + 32);
	fprintf(stderr, "  at 0x%llx:\n", from);
	hexdump(stderr, "expected", good, 0, from, to);
	hexdump(stderr, "got", buf, off, from, to);
	dump_log(stderr, bad);
	exit(1);
}

static void check_size(const char *when)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat: %s", strerror(errno));
	if (st.st_size != fsize)
		die("%s: file size is 0x%llx, model says 0x%llx", when,
		    (long long)st.st_size, fsize);
}

static void verify_file(const char *when)
{
	long long off, n;
	ssize_t r;

	check_size(when);
	for (off = 0; off < fsize; off += n) {
		n = min_ll(VCHUNK, fsize - off);
		r = pread(fd, vbuf, n, off);
		if (r < 0)
			die("%s: verify read at 0x%llx: %s", when, off, strerror(errno));
		if (r != n)
			die("%s: verify read at 0x%llx: got %zd of %lld bytes", when, off, r, n);
		check_data(when, vbuf, off, n);
	}
	/* Nothing past EOF. */
	r = pread(fd, vbuf, 1, fsize);
	if (r != 0)
		die("%s: read at EOF 0x%llx returned %zd", when, fsize, r);
	cnt.verifies++;
}

/* ------------------------------------------------------------ picking ranges */
static long long pick_len(long long maxl)
{
	switch (rnd_below(10)) {
	case 0: case 1: case 2: case 3:
		return 1 + rnd_below(min_ll(maxl, 4096 + 512));
	case 4: case 5: case 6:
		return 1 + rnd_below(min_ll(maxl, 65536));
	default:
		return 1 + rnd_below(maxl);
	}
}

static long long pick_off(long long len)
{
	long long lim = maxsize - len, off;

	switch (rnd_below(8)) {
	case 0: case 1: case 2:
		off = rnd_below(lim + 1);
		break;
	case 3: case 4: case 5:
		off = rnd_below(min_ll(fsize, lim) + 1);
		break;
	default:	/* around EOF */
		off = fsize - 2 * bsize + rnd_below(4 * bsize);
		break;
	}
	return max_ll(0, min_ll(off, lim));
}

/* Align [off, off+len) outwards to a, keeping it inside maxsize (a multiple of a). */
static void align_range(long long *off, long long *len, long long a)
{
	long long end = (*off + *len + a - 1) / a * a;

	*off = *off / a * a;
	end = min_ll(end, maxsize);
	if (end <= *off)
		*off = end - a;
	*len = end - *off;
}

static void pick_range(long long maxl, long long *off, long long *len, int aligned)
{
	*len = pick_len(maxl);
	*off = pick_off(*len);
	if (aligned)
		align_range(off, len, aligned);
}

/* Alignment for buffered writes: fs block, page, 512 or none. */
static long long pick_buffered_align(void)
{
	switch (rnd_below(6)) {
	case 0: case 1: return bsize;
	case 2: return pagesz;
	case 3: return 512;
	default: return 0;
	}
}

static unsigned char *pool_slice(long long len, long long align)
{
	long long start = rnd_below(pool_size - len + 1);

	if (align > 1)
		start = start / align * align;
	return pool + start;
}

/* A write of buf to [off, off+len) completed: update the model. */
static void model_write(const unsigned char *buf, long long off, long long len)
{
	memcpy(good + off, buf, len);
	if (off + len > fsize)
		fsize = off + len;
}

static void model_zero(long long off, long long len, int extend)
{
	long long end = off + len;

	if (!extend)
		end = min_ll(end, fsize);
	if (end > off)
		memset(good + off, 0, end - off);
	if (extend && off + len > fsize)
		fsize = off + len;
}

/* Split len bytes of buf into 1..maxn iovecs of random sizes. */
static int split_iov(struct iovec *iov, int maxn, unsigned char *buf, long long len)
{
	int n = 1 + rnd_below(maxn), i;
	long long left = len;

	if (n > len)
		n = len;
	for (i = 0; i < n; i++) {
		long long l = i == n - 1 ? left : 1 + rnd_below(left - (n - 1 - i));

		iov[i].iov_base = buf;
		iov[i].iov_len = l;
		buf += l;
		left -= l;
	}
	return n;
}

/* ------------------------------------------------------------ operations */
static void op_write(void)
{
	long long off, len, a = pick_buffered_align(), size0 = fsize;
	int kind = rnd_below(5), n = 1, wfd = fd, flags = 0;
	unsigned char *buf;
	struct iovec iov[8];
	ssize_t r;

	pick_range(maxlen, &off, &len, a);
	buf = pool_slice(len, 0);
	if (kind == 1 || ((kind == 2 || kind == 3) && rnd_below(2)))
		n = split_iov(iov, 8, buf, len);
	else {
		iov[0].iov_base = buf;
		iov[0].iov_len = len;
	}
	if (kind == 2)
		flags = RWF_DSYNC;
	else if (kind == 3)
		flags = RWF_SYNC;
	else if (kind == 4)
		wfd = fd_dsync;
	if (kind == 0 || kind == 4)
		r = pwrite(wfd, buf, len, off);
	else
		r = pwritev2(wfd, iov, n, off, flags);
	if (r < 0)
		die("%s of 0x%llx at 0x%llx (%d iovecs): %s", write_kinds[kind],
		    len, off, n, strerror(errno));
	if (r != len)
		die("%s of 0x%llx at 0x%llx: short write, %zd bytes", write_kinds[kind],
		    len, off, r);
	model_write(buf, off, len);
	log_op(OP_WRITE, write_kinds[kind], off, len, size0, fsize);
	cnt.writes++;
}

struct seg {
	long long off, len;
	unsigned char *buf;
	int vec;
	struct iovec iov[4];
	int niov;
};

/* n non-overlapping segments in ascending order, possibly adjacent. */
static int pick_segs(struct seg *s, int n)
{
	long long a = pick_buffered_align(), per = max_ll(1, maxlen / n), cur;
	int i;

	cur = pick_off(min_ll(maxsize, per * n));
	for (i = 0; i < n; i++) {
		long long gap = rnd_below(2) ? 0 : rnd_below(2 * bsize + 1);
		long long off = cur + gap, len = pick_len(per);

		if (a) {
			off = (off + a - 1) / a * a;
			len = (len + a - 1) / a * a;
		}
		if (off >= maxsize)
			break;
		len = min_ll(len, maxsize - off);
		s[i].off = off;
		s[i].len = len;
		s[i].buf = pool_slice(len, 0);
		s[i].vec = rnd_below(4) == 0 && len > 1;
		s[i].niov = s[i].vec ? split_iov(s[i].iov, 4, s[i].buf, len) : 0;
		cur = off + len;
	}
	return i;
}

static void op_aio(void)
{
	struct seg s[AIO_MAX];
	struct iocb iocbs[AIO_MAX], *ptrs[AIO_MAX];
	struct io_event ev[AIO_MAX];
	long long size0 = fsize;
	int n = pick_segs(s, 1 + rnd_below(AIO_MAX)), i, done, r;
	int dsync = rnd_below(4) != 0;

	for (i = 0; i < n; i++) {
		if (s[i].vec)
			io_prep_pwritev2(&iocbs[i], fd, s[i].iov, s[i].niov, s[i].off,
					 dsync ? RWF_DSYNC : 0);
		else {
			io_prep_pwrite(&iocbs[i], fd, s[i].buf, s[i].len, s[i].off);
			iocbs[i].aio_rw_flags = dsync ? RWF_DSYNC : 0;
		}
		iocbs[i].data = &s[i];
		ptrs[i] = &iocbs[i];
	}
	for (done = 0; done < n; done += r) {
		r = io_submit(aio_ctx, n - done, ptrs + done);
		if (r <= 0)
			die("io_submit of %d iocbs: %s", n - done, r ? strerror(-r) : "none submitted");
	}
	for (done = 0; done < n; done += r) {
		r = io_getevents(aio_ctx, n - done, n - done, ev + done, NULL);
		if (r == -EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			die("io_getevents: %s", r ? strerror(-r) : "no events");
	}
	for (i = 0; i < n; i++) {
		struct seg *sg = ev[i].data;
		long res = (long)ev[i].res;

		if (res < 0)
			die("aio write of 0x%llx at 0x%llx: %s", sg->len, sg->off, strerror(-res));
		if (res != sg->len)
			die("aio write of 0x%llx at 0x%llx: short write, %ld bytes",
			    sg->len, sg->off, res);
	}
	for (i = 0; i < n; i++) {
		model_write(s[i].buf, s[i].off, s[i].len);
		log_op(OP_AIO, s[i].vec ? (dsync ? "pwritev,dsync" : "pwritev")
					: (dsync ? "pwrite,dsync" : "pwrite"),
		       s[i].off, s[i].len, size0, fsize);
	}
	cnt.aio++;
}

static void op_uring(void)
{
	struct seg s[URING_QD];
	struct io_uring_cqe *cqe;
	long long size0 = fsize;
	int n = pick_segs(s, 1 + rnd_below(URING_QD)), i, r;
	int dsync = rnd_below(4) != 0;

	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		if (!sqe)
			die("io_uring_get_sqe: ring full");
		if (s[i].vec)
			io_uring_prep_writev(sqe, fd, s[i].iov, s[i].niov, s[i].off);
		else
			io_uring_prep_write(sqe, fd, s[i].buf, s[i].len, s[i].off);
		sqe->rw_flags = dsync ? RWF_DSYNC : 0;
		io_uring_sqe_set_data(sqe, &s[i]);
	}
	r = io_uring_submit(&ring);
	if (r != n)
		die("io_uring_submit of %d: %s", n, r < 0 ? strerror(-r) : "short submit");
	for (i = 0; i < n; i++) {
		struct seg *sg;

		do
			r = io_uring_wait_cqe(&ring, &cqe);
		while (r == -EINTR);
		if (r)
			die("io_uring_wait_cqe: %s", strerror(-r));
		sg = io_uring_cqe_get_data(cqe);
		r = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (r < 0)
			die("io_uring write of 0x%llx at 0x%llx: %s", sg->len, sg->off, strerror(-r));
		if (r != sg->len)
			die("io_uring write of 0x%llx at 0x%llx: short write, %d bytes",
			    sg->len, sg->off, r);
	}
	for (i = 0; i < n; i++) {
		model_write(s[i].buf, s[i].off, s[i].len);
		log_op(OP_URING, s[i].vec ? (dsync ? "writev,dsync" : "writev")
					: (dsync ? "write,dsync" : "write"),
		       s[i].off, s[i].len, size0, fsize);
	}
	cnt.uring++;
}

static void op_read(void)
{
	long long off, len, want;
	ssize_t r;

	pick_range(maxlen, &off, &len, rnd_below(3) ? 0 : bsize);
	want = max_ll(0, min_ll(len, fsize - off));
	r = pread(fd, rbuf, len, off);
	if (r < 0)
		die("read of 0x%llx at 0x%llx: %s", len, off, strerror(errno));
	if (r != want)
		die("read of 0x%llx at 0x%llx: got %zd bytes, want %lld (size 0x%llx)",
		    len, off, r, want, fsize);
	log_op(OP_READ, NULL, off, len, fsize, fsize);
	check_data("read", rbuf, off, r);
	cnt.reads++;
}

static long long pick_dio_align(void)
{
	return rnd_below(4) ? max_ll(bsize, dio_align) : dio_align;
}

static void op_dioread(void)
{
	long long off, len, want, a = pick_dio_align();
	ssize_t r;

	pick_range(maxlen, &off, &len, a);
	want = max_ll(0, min_ll(len, fsize - off));
	r = pread(fd_direct, rbuf, len, off);
	if (r < 0 && errno == EIO && want > 0 && !strict_dio_eio) {
		/*
		 * 6.12 and 7.2 (not 6.1): stock XFS can be left with a delalloc
		 * extent inside EOF that no dirty folio backs (after mixes of
		 * extending buffered/aio/mmap writes, truncates and fallocate
		 * around EOF); iomap then fails every DIO read that meets it
		 * with EIO and logs "Direct I/O collision with buffered
		 * writes!". fsync does not clear it, a remount does. It loses
		 * no data, so check the range with a buffered read instead,
		 * count it, and go on; -E makes it a failure.
		 */
		note("op %llu: O_DIRECT read of 0x%llx at 0x%llx: EIO (delalloc inside EOF?); checking it buffered",
		     opnum, len, off);
		cnt.dio_eio++;
		r = pread(fd, rbuf, len, off);
		if (r < 0)
			die("buffered read of 0x%llx at 0x%llx after O_DIRECT EIO: %s",
			    len, off, strerror(errno));
	}
	if (r < 0)
		die("O_DIRECT read of 0x%llx at 0x%llx: %s", len, off, strerror(errno));
	if (r != want)
		die("O_DIRECT read of 0x%llx at 0x%llx: got %zd bytes, want %lld",
		    len, off, r, want);
	log_op(OP_DIOREAD, NULL, off, len, fsize, fsize);
	check_data("O_DIRECT read", rbuf, off, r);
	cnt.dio++;
}

static void op_diowrite(void)
{
	long long off, len, a = pick_dio_align(), size0 = fsize;
	unsigned char *buf;
	ssize_t r;

	pick_range(maxlen, &off, &len, a);
	buf = pool_slice(len, max_ll(dio_mem_align, 512));
	r = pwrite(fd_direct, buf, len, off);
	if (r < 0)
		die("O_DIRECT write of 0x%llx at 0x%llx: %s", len, off, strerror(errno));
	if (r != len)
		die("O_DIRECT write of 0x%llx at 0x%llx: short write, %zd bytes", len, off, r);
	model_write(buf, off, len);
	log_op(OP_DIOWRITE, NULL, off, len, size0, fsize);
	cnt.dio++;
}

/* A random range inside the file, for mmap; 0 if the file is empty. */
static int pick_in_file(long long *off, long long *len)
{
	if (!fsize)
		return 0;
	*off = rnd_below(4) ? rnd_below(fsize) : max_ll(0, fsize - 1 - rnd_below(2 * bsize));
	*len = min_ll(pick_len(maxlen), fsize - *off);
	return 1;
}

static void op_mapwrite(void)
{
	long long off, len, pg, mlen;
	int do_msync = rnd_below(2);
	unsigned char *p, *buf;

	if (!pick_in_file(&off, &len))
		return;
	pg = off / pagesz * pagesz;
	mlen = off + len - pg;
	p = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg);
	if (p == MAP_FAILED)
		die("mmap of 0x%llx at 0x%llx: %s", mlen, pg, strerror(errno));
	buf = pool_slice(len, 0);
	memcpy(p + (off - pg), buf, len);
	if (do_msync && msync(p, mlen, MS_SYNC))
		die("msync: %s", strerror(errno));
	if (munmap(p, mlen))
		die("munmap: %s", strerror(errno));
	model_write(buf, off, len);
	log_op(OP_MAPWRITE, do_msync ? "msync" : NULL, off, len, fsize, fsize);
	cnt.mmap++;
}

static void op_mapread(void)
{
	long long off, len, pg, mlen, i;
	unsigned char *p;

	if (!pick_in_file(&off, &len))
		return;
	pg = off / pagesz * pagesz;
	mlen = (off + len + pagesz - 1) / pagesz * pagesz - pg;
	p = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fd, pg);
	if (p == MAP_FAILED)
		die("mmap of 0x%llx at 0x%llx: %s", mlen, pg, strerror(errno));
	log_op(OP_MAPREAD, NULL, off, len, fsize, fsize);
	check_data("mmap read", p + (off - pg), off, len);
	/* The part of the EOF page beyond EOF must read as zeroes. */
	for (i = fsize; i < pg + mlen; i++)
		if (p[i - pg])
			die("mmap read: byte 0x%02x at 0x%llx beyond EOF 0x%llx is not zero",
			    p[i - pg], i, fsize);
	if (munmap(p, mlen))
		die("munmap: %s", strerror(errno));
	cnt.mmap++;
}

static void op_trunc(void)
{
	long long ns, size0 = fsize;

	if (rnd_below(2))
		ns = rnd_below(maxsize + 1);
	else
		ns = max_ll(0, min_ll(maxsize, fsize - maxlen + rnd_below(2 * maxlen)));
	if (rnd_below(3) == 0)
		ns = ns / bsize * bsize;
	if (ftruncate(fd, ns))
		die("ftruncate to 0x%llx: %s", ns, strerror(errno));
	if (ns < fsize)
		memset(good + ns, 0, fsize - ns);
	fsize = ns;
	log_op(OP_TRUNC, NULL, ns, 0, size0, fsize);
	cnt.trunc++;
}

static int falloc_unsupported(int op, int r)
{
	if (r && (errno == EOPNOTSUPP || errno == ENOSYS)) {
		note("fallocate for %s is not supported here; no more %s ops",
		     op_names[op], op_names[op]);
		weights[op] = 0;
		return 1;
	}
	return 0;
}

static void op_falloc(void)
{
	long long off, len, size0 = fsize;
	int keep = rnd_below(2), r;

	pick_range(maxlen, &off, &len, rnd_below(2) ? bsize : 0);
	if (no_falloc_extend && off + len > fsize)
		keep = 1;
	r = fallocate(fd, keep ? FALLOC_FL_KEEP_SIZE : 0, off, len);
	if (falloc_unsupported(OP_FALLOC, r))
		return;
	if (r)
		die("fallocate%s of 0x%llx at 0x%llx: %s", keep ? " KEEP_SIZE" : "",
		    len, off, strerror(errno));
	if (!keep && off + len > fsize)
		fsize = off + len;
	log_op(OP_FALLOC, keep ? "keep_size" : NULL, off, len, size0, fsize);
	cnt.falloc++;
}

static void op_punch(void)
{
	long long off, len, size0 = fsize;
	int r;

	pick_range(maxlen, &off, &len, rnd_below(2) ? bsize : 0);
	if (rnd_below(4)) {	/* mostly inside the file */
		off = rnd_below(max_ll(1, min_ll(fsize, maxsize - len)));
		if (len % bsize == 0)
			off = off / bsize * bsize;
	}
	r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	if (falloc_unsupported(OP_PUNCH, r))
		return;
	if (r)
		die("punch hole of 0x%llx at 0x%llx: %s", len, off, strerror(errno));
	model_zero(off, len, 0);
	log_op(OP_PUNCH, NULL, off, len, size0, fsize);
	cnt.punch++;
}

static void op_zero(void)
{
	long long off, len, size0 = fsize;
	int keep = rnd_below(3) == 0, r;

	pick_range(maxlen, &off, &len, rnd_below(2) ? bsize : 0);
	if (no_falloc_extend && off + len > fsize)
		keep = 1;
	r = fallocate(fd, FALLOC_FL_ZERO_RANGE | (keep ? FALLOC_FL_KEEP_SIZE : 0), off, len);
	if (falloc_unsupported(OP_ZERO, r))
		return;
	if (r)
		die("zero range%s of 0x%llx at 0x%llx: %s", keep ? " KEEP_SIZE" : "",
		    len, off, strerror(errno));
	model_zero(off, len, !keep);
	log_op(OP_ZERO, keep ? "keep_size" : NULL, off, len, size0, fsize);
	cnt.zero++;
}

static void op_fsync(void)
{
	int data = rnd_below(2);

	if (data ? fdatasync(fd) : fsync(fd))
		die("%s: %s", data ? "fdatasync" : "fsync", strerror(errno));
	log_op(OP_FSYNC, data ? "fdatasync" : "fsync", 0, 0, fsize, fsize);
	cnt.syncs++;
}

/* ------------------------------------------------------------ setup */
static void open_files(int create)
{
	fd = open(fname, O_RDWR | (create ? O_CREAT | O_TRUNC : 0), 0644);
	if (fd < 0)
		die("open %s: %s", fname, strerror(errno));
	fd_dsync = open(fname, O_RDWR | O_DSYNC);
	if (fd_dsync < 0)
		die("open %s O_DSYNC: %s", fname, strerror(errno));
	if (have_dio) {
		fd_direct = open(fname, O_RDWR | O_DIRECT);
		if (fd_direct < 0) {
			if (errno != EINVAL || !create)
				die("open %s O_DIRECT: %s", fname, strerror(errno));
			note("O_DIRECT is not supported here; no DIO ops");
			have_dio = 0;
		}
	}
}

static void close_files(void)
{
	close(fd);
	close(fd_dsync);
	if (fd_direct >= 0)
		close(fd_direct);
	fd = fd_dsync = fd_direct = -1;
}

static void drop_caches(void)
{
	int f, sync_first = rnd_below(2);

	if (sync_first && fsync(fd))
		die("fsync before drop_caches: %s", strerror(errno));
	if (have_drop) {
		f = open("/proc/sys/vm/drop_caches", O_WRONLY);
		if (f < 0 || write(f, "3\n", 2) != 2) {
			note("cannot drop caches (%s); -D only verifies", strerror(errno));
			have_drop = 0;
		}
		if (f >= 0)
			close(f);
	}
	log_op(OP_DROP, sync_first ? "after_fsync" : NULL, 0, 0, fsize, fsize);
	verify_file("verify after drop_caches");
	cnt.drops++;
}

static void remount(void)
{
	int i;

	close_files();
	for (i = 0; umount(mntpt); i++) {
		if (errno != EBUSY || i == 50)
			die("umount %s: %s", mntpt, strerror(errno));
		usleep(100000);
	}
	if (mount(device, mntpt, "xfs", 0, NULL))
		die("mount -t xfs %s %s: %s", device, mntpt, strerror(errno));
	open_files(0);
	log_op(OP_REMOUNT, NULL, 0, 0, fsize, fsize);
	verify_file("verify after remount");
	cnt.remounts++;
}

static void set_oplist(char *list)
{
	unsigned int keep[OP_NR] = { 0 };
	char *tok, *save = NULL;
	int i, any = 0;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = 0;

		for (i = 0; i < OP_NR; i++) {
			if (!strcmp(tok, op_names[i]) ||
			    (!strcmp(tok, "mmap") && (i == OP_MAPREAD || i == OP_MAPWRITE)) ||
			    (!strcmp(tok, "dio") && (i == OP_DIOREAD || i == OP_DIOWRITE))) {
				keep[i] = 1;
				found = 1;
			}
		}
		if (!found)
			setup_die("-W: unknown op '%s'", tok);
	}
	for (i = 0; i < OP_NR; i++) {
		if (!keep[i])
			weights[i] = 0;
		any |= weights[i] != 0;
	}
	if (!any)
		setup_die("-W leaves no ops");
}

static long long parse_size(const char *s, const char *what)
{
	char *end;
	long long v = strtoll(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end || v < 0)
		setup_die("bad %s '%s'", what, s);
	return v;
}

static void usage(void)
{
	fprintf(stderr,
"usage: fsx_wt [options] FILE\n"
"  -S SEED     PRNG seed (default: from the time; always printed)\n"
"  -N OPS      number of operations (default 10000; 0 = run until a failure)\n"
"  -l MAXLEN   maximum length of one op (default 256K)\n"
"  -L MAXSIZE  maximum file size (default 8M)\n"
"  -b BSIZE    block size for aligned ops (default: statvfs f_bsize of FILE's fs)\n"
"  -D N        every N ops: drop the page cache and verify the whole file\n"
"  -R N        every N ops: close, umount MNT, mount -t xfs DEV MNT, reopen, verify\n"
"  -M MNT      mount point for -R\n"
"  -d DEV      device for -R\n"
"  -W LIST     only these ops (comma list): write aio uring read dioread diowrite\n"
"              mapread mapwrite trunc falloc punch zero fsync, or mmap, dio\n"
"  -P N        progress line every N ops (default 10000, 0 = none)\n"
"  -F          fallocate and zero range never extend the file (KEEP_SIZE past EOF)\n"
"  -E          an EIO from an O_DIRECT read is a failure (default: note it, count\n"
"              it, check the range with a buffered read; see op_dioread)\n"
"  -q          quiet: only the seed, notes, failures and the summary\n"
"  -v          print every op\n"
"sizes take K, M, G suffixes.  Exit: 0 ok, 1 failure, 2 usage/setup error.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long total = 0, bsize_opt = 0;
	int opt, i, seeded = 0, r;
	struct statvfs sv;
	struct statx stx;
	uint64_t sm;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "S:N:l:L:b:D:R:M:d:W:P:FEqvh")) != -1) {
		switch (opt) {
		case 'S': seed = strtoull(optarg, NULL, 0); seeded = 1; break;
		case 'N': numops = strtoull(optarg, NULL, 0); break;
		case 'l': maxlen = parse_size(optarg, "-l"); break;
		case 'L': maxsize = parse_size(optarg, "-L"); break;
		case 'b': bsize_opt = parse_size(optarg, "-b"); break;
		case 'D': drop_every = strtoull(optarg, NULL, 0); break;
		case 'R': remount_every = strtoull(optarg, NULL, 0); break;
		case 'M': mntpt = optarg; break;
		case 'd': device = optarg; break;
		case 'W': set_oplist(optarg); break;
		case 'P': progress_every = strtoull(optarg, NULL, 0); break;
		case 'F': no_falloc_extend = 1; break;
		case 'E': strict_dio_eio = 1; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	fname = argv[optind];
	if (remount_every && (!mntpt || !device))
		setup_die("-R needs -M MOUNTPOINT and -d DEVICE");
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((unsigned long long)ts.tv_sec * 1000003ULL) ^ ts.tv_nsec ^
		       ((unsigned long long)getpid() << 32);
		seed %= 1000000000000ULL;
	}
	printf("fsx_wt: seed %llu\n", seed);
	fflush(stdout);
	sm = seed;
	for (i = 0; i < 4; i++)
		rs[i] = splitmix(&sm);

	signal(SIGBUS, on_signal);
	signal(SIGSEGV, on_signal);
	pagesz = sysconf(_SC_PAGESIZE);

	open_files(1);
	if (bsize_opt)
		bsize = bsize_opt;
	else if (!fstatvfs(fd, &sv) && sv.f_bsize >= 512)
		bsize = sv.f_bsize;
	else
		bsize = 4096;
	if (bsize & (bsize - 1))
		setup_die("block size %lld is not a power of two", bsize);
	if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
		dio_align = stx.stx_dio_offset_align;
		dio_mem_align = stx.stx_dio_mem_align;
	}
	if (have_dio && (!dio_align || dio_align > max_ll(bsize, pagesz))) {
		note("DIO alignment %lld is larger than block and page; no DIO ops", dio_align);
		have_dio = 0;
	}
	/* maxsize: a multiple of every alignment used. */
	{
		long long a = max_ll(max_ll(bsize, pagesz), dio_align);

		maxsize = maxsize / a * a;
		if (maxsize < a)
			setup_die("-L must be at least %lld", a);
	}
	if (maxlen < 1 || maxlen > maxsize)
		maxlen = maxsize;

	pool_size = max_ll(4 * maxlen, 1 << 20);
	if (posix_memalign((void **)&pool, 4096, pool_size) ||
	    posix_memalign((void **)&rbuf, 4096,
			   maxlen + 2 * max_ll(max_ll(bsize, pagesz), dio_align)) ||
	    posix_memalign((void **)&vbuf, 4096, VCHUNK) ||
	    !(good = calloc(1, maxsize)))
		setup_die("out of memory");
	for (i = 0; i < pool_size / 8; i++) {
		uint64_t v = rnd();

		memcpy(pool + 8 * i, &v, 8);
	}

	if (!have_dio)
		weights[OP_DIOREAD] = weights[OP_DIOWRITE] = 0;
	if (weights[OP_AIO]) {
		r = io_setup(64, &aio_ctx);
		if (r) {
			note("libaio io_setup: %s; no aio ops", strerror(-r));
			have_aio = 0;
			weights[OP_AIO] = 0;
		}
	}
	if (weights[OP_URING]) {
		r = io_uring_queue_init(URING_QD, &ring, 0);
		if (r) {
			if (r != -ENOSYS && r != -EPERM && r != -ENOMEM && r != -EACCES)
				setup_die("io_uring_queue_init: %s", strerror(-r));
			note("io_uring_queue_init: %s; no io_uring ops", strerror(-r));
			have_uring = 0;
			weights[OP_URING] = 0;
		}
	}
	if (!quiet)
		printf("fsx_wt: %s: ops %llu, maxlen 0x%llx, maxsize 0x%llx, block %lld, dio align %lld (mem %lld)%s%s%s\n",
		       fname, numops, maxlen, maxsize, bsize, dio_align, dio_mem_align,
		       have_dio ? "" : ", no dio", have_aio ? "" : ", no aio",
		       have_uring ? "" : ", no uring");

	for (i = 0; i < OP_NR; i++)
		total += weights[i];
	if (!total)
		setup_die("no ops left to run");

	for (opnum = 1; !numops || opnum <= numops; opnum++) {
		long long w = rnd_below(total);
		int op;

		for (op = 0; op < OP_NR - 1 && w >= weights[op]; op++)
			w -= weights[op];
		switch (op) {
		case OP_WRITE: op_write(); break;
		case OP_AIO: op_aio(); break;
		case OP_URING: op_uring(); break;
		case OP_READ: op_read(); break;
		case OP_DIOREAD: op_dioread(); break;
		case OP_DIOWRITE: op_diowrite(); break;
		case OP_MAPREAD: op_mapread(); break;
		case OP_MAPWRITE: op_mapwrite(); break;
		case OP_TRUNC: op_trunc(); break;
		case OP_FALLOC: op_falloc(); break;
		case OP_PUNCH: op_punch(); break;
		case OP_ZERO: op_zero(); break;
		case OP_FSYNC: op_fsync(); break;
		}
		/* An op may have turned itself off (EOPNOTSUPP). */
		for (total = 0, i = 0; i < OP_NR; i++)
			total += weights[i];
		if (!total)
			die("no ops left to run");
		check_size("size after op");
		if (drop_every && opnum % drop_every == 0)
			drop_caches();
		if (remount_every && opnum % remount_every == 0)
			remount();
		if (!quiet && progress_every && opnum % progress_every == 0)
			printf("fsx_wt: %llu ops, size 0x%llx\n", opnum, fsize);
	}
	opnum--;
	if (drop_every)
		drop_caches();
	else
		verify_file("final verify");
	printf("fsx_wt: seed %llu: %llu ops ok (writes %llu, aio %llu, uring %llu, mmap %llu, dio %llu, trunc %llu, falloc %llu, punch %llu, remounts %llu; zero %llu, reads %llu, syncs %llu, drops %llu, dio read EIO %llu)\n",
	       seed, opnum, cnt.writes, cnt.aio, cnt.uring, cnt.mmap, cnt.dio,
	       cnt.trunc, cnt.falloc, cnt.punch, cnt.remounts, cnt.zero,
	       cnt.reads, cnt.syncs, cnt.drops, cnt.dio_eio);
	close_files();
	if (have_uring && weights[OP_URING])
		io_uring_queue_exit(&ring);
	if (have_aio && weights[OP_AIO])
		io_destroy(aio_ctx);
	return 0;
}
