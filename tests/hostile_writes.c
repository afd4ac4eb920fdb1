// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_writes: writes that no careful caller makes, and hostile input to
 * sysfs files. Answers are printed one per line, so that a run on a stock
 * mount and one on an xfs_wt mount can be compared with diff.
 *
 *   hostile_writes battery [-A] [-V VARIANTS] DIR
 *	buffers with an unmapped, PROT_NONE or SIGBUS page in the middle, or
 *	read-only; 1024-segment iovecs of 1-byte and odd sizes; zero-length
 *	writes; writes at and across the maximum file size and RLIMIT_FSIZE.
 *	Each through pwritev2 for each of VARIANTS (a comma list of plain,
 *	odsync, rwf_dsync; default all), most also through libaio and
 *	io_uring (plain and rwf_dsync). Then drops the caches and checks
 *	every file against a model built from the answers: the disk holds
 *	exactly what the calls said they wrote. -A: the RWF_ATOMIC cases
 *	(zero-length, bad buffers, at the maximum size), which must never be
 *	short.
 *   hostile_writes sums DIR
 *	size and a checksum of the data of every file in DIR, holes skipped
 *   hostile_writes append -p PROCS -n RECS FILE
 *	PROCS processes append RECS records each to one O_APPEND file, through
 *	write, O_DSYNC, RWF_DSYNC with two iovecs, io_uring and libaio
 *   hostile_writes appendcheck -p PROCS -n RECS FILE
 *	every record is whole and found exactly once, and the records tile
 *	the file with no gap
 *   hostile_writes sysfs FILE VALUE...
 *	garbage, huge, partial, bad-buffer and embedded-NUL writes to a sysfs
 *	file whose valid values are VALUE...; reads of every size. A write
 *	that fails changes nothing; only a valid value is accepted
 *   hostile_writes sysfsperm FILE...
 *	every file reads the same whole, byte by byte and as nobody; a
 *	read-only one cannot be opened for writing even by root; a writable
 *	one refuses nobody and the root of nobody's own user namespace, and
 *	the answer to uid 0 without CAP_SYS_ADMIN is printed (nocap=)
 *   hostile_writes flip -s SECONDS [-m MARKER] FILE VALUE...
 *	writes the values in turn, 0-20 ms apart, for SECONDS, creating
 *	MARKER after the first; prints how many and how long the slowest took
 *   hostile_writes sysfsrace -s SECONDS FILE VALUE...
 *	writers of good and bad values and readers at once: every read shows
 *	one whole valid value
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libaio.h>
#include <limits.h>
#include <liburing.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "xfs_wt.h"

#define PG 4096UL

static char dir[PATH_MAX];
static int failures;

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EFAULT: return "EFAULT";
	case EFBIG: return "EFBIG";
	case EINVAL: return "EINVAL";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAGAIN: return "EAGAIN";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case E2BIG: return "E2BIG";
	case EIO: return "EIO";
	case ENOSPC: return "ENOSPC";
	default: return strerror(e);
	}
}

/* A pattern of LEN bytes that depends on SEED; eight bytes a step. */
static void fill(unsigned char *b, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0xBF58476D1CE4E5B9ULL + 0x9E3779B97F4A7C15ULL;
	size_t i;

	for (i = 0; i < len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(b + i, &x, len - i < 8 ? len - i : 8);
	}
}

static uint64_t hash(uint64_t h, const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * The expected content of one file: a window [base, base + cap) of bytes
 * and the size. Outside the window the file must be a hole.
 */
struct model {
	char name[160];
	long long base, size;
	size_t cap;
	unsigned char *data;
	struct model *next;
};
static struct model *models;

static struct model *model_new(const char *name, long long base, size_t cap)
{
	struct model *m = calloc(1, sizeof(*m));

	snprintf(m->name, sizeof(m->name), "%s", name);
	m->base = base;
	m->cap = cap;
	m->data = calloc(1, cap);
	m->next = models;
	models = m;
	return m;
}

static void model_write(struct model *m, long long pos, const unsigned char *src, size_t len)
{
	if (pos < m->base || pos - m->base + (long long)len > (long long)m->cap) {
		printf("MODEL %s: write at %lld+%zu outside the window\n", m->name, pos, len);
		failures++;
		return;
	}
	memcpy(m->data + (pos - m->base), src, len);
	if (len && pos + (long long)len > m->size)
		m->size = pos + (long long)len;
}

static int open_in_dir(const char *name, int flags)
{
	char p[PATH_MAX + 512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, flags | O_CREAT, 0644);
	if (fd < 0) {
		perror(p);
		exit(2);
	}
	return fd;
}

/* A file with SIZE bytes of known content, on disk before the case. */
static struct model *seed_file(const char *name, long long size, size_t cap)
{
	struct model *m = model_new(name, 0, cap);
	unsigned char *b = malloc(size ? size : 1);
	int fd = open_in_dir(name, O_WRONLY | O_TRUNC);

	fill(b, size, 0xfeed);
	/* Left dirty: the write-through engine must write it back first. */
	if (size && pwrite(fd, b, size, 0) != size) {
		perror("seed");
		exit(2);
	}
	close(fd);
	model_write(m, 0, b, size);
	free(b);
	return m;
}

enum { V_PLAIN, V_ODSYNC, V_RWF_DSYNC, V_NR };
static const char *const vnames[] = { "plain", "odsync", "rwf_dsync" };
enum { E_PSYNC, E_LIBAIO, E_URING, E_NR };
static const char *const enames[] = { "psync", "libaio", "uring" };

/*
 * Set up once, before any page is taken away: a ring mapped later could
 * land in the hole and make it readable.
 */
static io_context_t aio_ctx;
static struct io_uring ring;

static void engines_init(void)
{
	if (io_setup(1, &aio_ctx) || io_uring_queue_init(2, &ring, 0)) {
		perror("io_setup or io_uring_queue_init");
		exit(2);
	}
}

/* The answer of a completion as a syscall would give it. */
static ssize_t as_syscall(long res)
{
	if (res >= 0)
		return res;
	errno = -res;
	return -1;
}

static ssize_t aio_write1(int fd, struct iovec *iov, int n, long long pos, int rwf)
{
	struct iocb cb, *cbp = &cb;
	struct io_event ev;
	int r;

	io_prep_pwritev(&cb, fd, iov, n, pos);
	cb.aio_rw_flags = rwf;
	r = io_submit(aio_ctx, 1, &cbp);
	if (r != 1)
		return as_syscall(r);
	if (io_getevents(aio_ctx, 1, 1, &ev, NULL) != 1)
		return as_syscall(-EIO);
	return as_syscall((long)ev.res);
}

static ssize_t uring_write1(int fd, struct iovec *iov, int n, long long pos, int rwf)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_writev(sqe, fd, iov, n, pos);
	sqe->rw_flags = rwf;
	io_uring_submit(&ring);
	if (io_uring_wait_cqe(&ring, &cqe))
		return as_syscall(-EIO);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return as_syscall(res);
}

/* One write through one engine. */
static ssize_t do_write(int engine, int fd, struct iovec *iov, int n, long long pos, int rwf)
{
	if (engine == E_PSYNC)
		return pwritev2(fd, iov, n, pos, rwf);
	if (engine == E_LIBAIO)
		return aio_write1(fd, iov, n, pos, rwf);
	return uring_write1(fd, iov, n, pos, rwf);
}

/*
 * Run one write: the expected bytes are the iovecs' contents as they were
 * before any page was taken away (SHADOW, gathered in iovec order). The
 * first RET of them must be on disk at POS.
 */
static ssize_t one(const char *what, struct model *m, int engine, int variant,
		   struct iovec *iov, int n, long long pos, const unsigned char *shadow,
		   int extra_rwf)
{
	char name[128];
	struct stat st;
	ssize_t r;
	int fd, e;

	fd = open_in_dir(m->name, O_WRONLY | (variant == V_ODSYNC ? O_DSYNC : 0));
	r = do_write(engine, fd, iov, n, pos,
		     (variant == V_RWF_DSYNC ? RWF_DSYNC : 0) | extra_rwf);
	e = r < 0 ? errno : 0;
	if (fstat(fd, &st))
		st.st_size = -1;
	close(fd);
	snprintf(name, sizeof(name), "%s.%s.%s", what, vnames[variant], enames[engine]);
	printf("%-40s ret=%zd errno=%s size=%lld\n", name, r, errname(e),
	       (long long)st.st_size);
	if (r > 0)
		model_write(m, pos, shadow, r);
	return r;
}

static unsigned char *arena_new(size_t pages, uint64_t seed, unsigned char **shadow)
{
	unsigned char *a = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	*shadow = malloc(pages * PG);
	fill(a, pages * PG, seed);
	memcpy(*shadow, a, pages * PG);
	return a;
}

enum { H_UNMAP, H_PROT_NONE, H_SIGBUS, H_READONLY };

/* Take page P of the arena away (or make the whole arena read-only). */
static void arena_hole(unsigned char *a, size_t pages, size_t p, int kind)
{
	if (kind == H_UNMAP)
		munmap(a + p * PG, PG);
	else if (kind == H_PROT_NONE)
		mprotect(a + p * PG, PG, PROT_NONE);
	else
		mprotect(a, pages * PG, PROT_READ);
}

static void arena_free(unsigned char *a, size_t pages, unsigned char *shadow)
{
	munmap(a, pages * PG);
	free(shadow);
}

/*
 * A bad buffer: PAGES pages from arena offset START, LEN bytes, page HOLE
 * taken away as KIND, written at POS of a file seeded with INIT bytes.
 */
static void efault_case(const char *what, int engine, int variant, size_t pages,
			size_t start, size_t len, size_t hole, int kind,
			long long init, long long pos)
{
	char fname[128];
	unsigned char *shadow, *a = arena_new(pages, pages * 31 + hole, &shadow);
	struct iovec iov = { .iov_base = a + start, .iov_len = len };
	struct model *m;

	snprintf(fname, sizeof(fname), "%s.%s.%s", what, vnames[variant], enames[engine]);
	m = seed_file(fname, init, (init > pos ? init : pos) + len + PG);
	if (kind == H_SIGBUS) {
		char tmpl[] = "/dev/shm/hostileXXXXXX";
		int fd = mkstemp(tmpl);
		unsigned char *f;

		unlink(tmpl);
		if (fd < 0 || ftruncate(fd, pages * PG)) {
			perror("shm");
			exit(2);
		}
		f = mmap(a, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
		if (f != a) {
			perror("mmap shm");
			exit(2);
		}
		memcpy(f, shadow, pages * PG);
		/* Pages from HOLE on now lie beyond the end of the file. */
		if (ftruncate(fd, hole * PG)) {
			perror("ftruncate shm");
			exit(2);
		}
		close(fd);
	} else {
		arena_hole(a, pages, hole, kind);
	}
	one(what, m, engine, variant, &iov, 1, pos, shadow + start, 0);
	arena_free(a, pages, shadow);
}

/* Bad segments among good ones: segment lengths and arena offsets. */
static void efault_iov_case(const char *what, int engine, int variant, const size_t *off,
			    const size_t *len, int n, size_t pages, size_t hole,
			    long long init, long long pos)
{
	char fname[128];
	unsigned char *shadow, *a = arena_new(pages, 77 + n, &shadow);
	unsigned char *gather = malloc(pages * PG * 2);
	struct iovec iov[8];
	size_t total = 0;
	struct model *m;
	int i;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = a + off[i];
		iov[i].iov_len = len[i];
		memcpy(gather + total, shadow + off[i], len[i]);
		total += len[i];
	}
	snprintf(fname, sizeof(fname), "%s.%s.%s", what, vnames[variant], enames[engine]);
	m = seed_file(fname, init, (init > pos ? init : pos) + total + PG);
	arena_hole(a, pages, hole, H_UNMAP);
	one(what, m, engine, variant, iov, n, pos, gather, 0);
	free(gather);
	arena_free(a, pages, shadow);
}

/* SEGS segments, the i-th SIZES[i % NSIZES] bytes from a stride in one arena. */
static void iov_case(const char *what, int engine, int variant, int segs,
		     const size_t *sizes, int nsizes, size_t stride, long long init,
		     long long pos)
{
	struct iovec *iov = calloc(segs, sizeof(*iov));
	size_t total = 0, span = 0, pages;
	unsigned char *shadow, *a, *gather;
	char fname[128];
	struct model *m;
	int i;

	for (i = 0; i < segs; i++) {
		total += sizes[i % nsizes];
		if (i * stride + sizes[i % nsizes] > span)
			span = i * stride + sizes[i % nsizes];
	}
	pages = span / PG + 1;
	a = arena_new(pages, segs + nsizes, &shadow);
	gather = malloc(total + 1);
	total = 0;
	for (i = 0; i < segs; i++) {
		iov[i].iov_base = a + i * stride;
		iov[i].iov_len = sizes[i % nsizes];
		memcpy(gather + total, shadow + i * stride, sizes[i % nsizes]);
		total += sizes[i % nsizes];
	}
	snprintf(fname, sizeof(fname), "%s.%s.%s", what, vnames[variant], enames[engine]);
	m = seed_file(fname, init, (init > pos ? init : pos) + total + PG);
	one(what, m, engine, variant, iov, segs, pos, gather, 0);
	free(gather);
	free(iov);
	arena_free(a, pages, shadow);
}

/* Zero-length writes: nothing changes, whatever the pointer or the offset. */
static void zero_cases(int engine, int variant)
{
	char fname[128];
	unsigned char b[16] = { 0 };
	struct iovec iov[3] = {
		{ .iov_base = b, .iov_len = 0 },
		{ .iov_base = (void *)16, .iov_len = 0 },	/* never dereferenced */
		{ .iov_base = NULL, .iov_len = 0 },
	};
	struct model *m;

	snprintf(fname, sizeof(fname), "zero.%s.%s", vnames[variant], enames[engine]);
	m = seed_file(fname, 4096, 3 * PG);
	one("zero_inside", m, engine, variant, iov, 1, 100, b, 0);
	one("zero_beyond_eof", m, engine, variant, iov, 1, 8192, b, 0);
	one("zero_bad_pointers", m, engine, variant, iov + 1, 2, 0, b, 0);
	one("zero_three_segs", m, engine, variant, iov, 3, 4096, b, 0);
	one("zero_no_segs", m, engine, variant, iov, 0, 4096, b, 0);
	one("zero_at_max", m, engine, variant, iov, 1, LLONG_MAX, b, 0);
	one("zero_negative", m, engine, variant, iov, 1, -4096, b, 0);
}

/*
 * At the maximum file size (LLONG_MAX for XFS): writes that end exactly at
 * it, and ones past it, which the VFS refuses (EINVAL: the end overflows).
 */
static void maxsize_cases(int engine, int variant)
{
	const long long top = LLONG_MAX;
	unsigned char *shadow, *a = arena_new(4, 99, &shadow), *g;
	struct iovec iov, *v;
	char fname[128];
	struct model *m;
	int i;

	snprintf(fname, sizeof(fname), "maxsize.%s.%s", vnames[variant], enames[engine]);
	close(open_in_dir(fname, O_WRONLY | O_TRUNC));
	m = model_new(fname, top - 4 * (long long)PG + 1, 4 * PG - 1);
	iov.iov_base = a;
	iov.iov_len = 2 * PG;
	one("max_below", m, engine, variant, &iov, 1, top - 3 * (long long)PG + 101, shadow, 0);
	iov.iov_len = PG - 1;
	one("max_last_block", m, engine, variant, &iov, 1, top - (long long)PG + 1, shadow, 0);
	iov.iov_base = a + 7;
	iov.iov_len = 5000;
	one("max_across_blocks", m, engine, variant, &iov, 1, top - 5000, shadow + 7, 0);
	iov.iov_len = 1;
	one("max_one", m, engine, variant, &iov, 1, top - 1, shadow + 7, 0);
	iov.iov_len = 2;
	one("max_past", m, engine, variant, &iov, 1, top - 1, shadow + 7, 0);
	one("max_at", m, engine, variant, &iov, 1, top, shadow + 7, 0);

	/* 1024 one-byte segments up to the maximum, then across it. */
	snprintf(fname, sizeof(fname), "maxiov.%s.%s", vnames[variant], enames[engine]);
	close(open_in_dir(fname, O_WRONLY | O_TRUNC));
	m = model_new(fname, top - 2 * (long long)PG, 2 * PG);
	v = calloc(1024, sizeof(*v));
	g = malloc(1024);
	for (i = 0; i < 1024; i++) {
		v[i].iov_base = a + i * 3;
		v[i].iov_len = 1;
		g[i] = shadow[i * 3];
	}
	one("max_iov_1k", m, engine, variant, v, 1024, top - 1024, g, 0);
	one("max_iov_1k_past", m, engine, variant, v, 1024, top - 500, g, 0);
	free(g);
	free(v);
	arena_free(a, 4, shadow);
}

/* RLIMIT_FSIZE: EFBIG at the limit, a short write across it. */
static void rlimit_cases(int engine, int variant)
{
	unsigned char *shadow, *a = arena_new(2, 42, &shadow);
	struct iovec iov = { .iov_base = a, .iov_len = 2 * PG };
	struct rlimit old, lim;
	char fname[128];
	struct model *m;

	snprintf(fname, sizeof(fname), "rlimit.%s.%s", vnames[variant], enames[engine]);
	m = seed_file(fname, 4096, (1 << 20) + 3 * PG);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 1 << 20;
	setrlimit(RLIMIT_FSIZE, &lim);
	one("rlimit_across", m, engine, variant, &iov, 1, (1 << 20) - PG + 10, shadow, 0);
	one("rlimit_at", m, engine, variant, &iov, 1, 1 << 20, shadow, 0);
	setrlimit(RLIMIT_FSIZE, &old);
	arena_free(a, 2, shadow);
}

static void battery(int engine, int variant)
{
	static const size_t odd[] = { 1, 3, 7, 13, 511, 4097, 0, 2, 8191, 5 };
	static const size_t ones[] = { 1 };
	static const size_t eights[] = { 8192 };
	static const size_t over[] = { 8193 };
	int psync = engine == E_PSYNC;

	/* Bad buffers: a short write up to the fault, or EFAULT. */
	efault_case("efault_mid_new", engine, variant, 4, 0, 4 * PG, 1, H_UNMAP, 0, 0);
	efault_case("efault_mid_over", engine, variant, 4, 0, 4 * PG, 2, H_UNMAP, 65536, 5000);
	efault_case("efault_unaligned_ext", engine, variant, 4, 100, 12000, 2, H_UNMAP,
		    65536, 70000);
	efault_case("efault_first", engine, variant, 3, 0, 3 * PG, 0, H_UNMAP, 8192, 4096);
	if (psync) {
		efault_case("efault_prot_none", engine, variant, 4, 0, 4 * PG, 2, H_PROT_NONE,
			    65536, 4096);
		efault_case("efault_sigbus", engine, variant, 4, 300, 3 * PG, 2, H_SIGBUS,
			    65536, 9000);
		efault_case("readonly_source", engine, variant, 4, 0, 4 * PG, 0, H_READONLY,
			    65536, 1000);
		efault_case("efault_large", engine, variant, 513, 0, 2 << 20, 300, H_UNMAP,
			    1 << 20, (1 << 20) + 17);
	}
	{
		const size_t off3[] = { 0, 2 * PG, 3 * PG }, len3[] = { PG, PG, PG };
		const size_t off2[] = { 0, 2 * PG + 100 }, len2[] = { 100, 8192 };

		efault_iov_case("efault_iov_mid_seg", engine, variant, off3, len3, 3, 5, 2,
				16384, 2048);
		efault_iov_case("efault_iov_part_seg", engine, variant, off2, len2, 2, 5, 3,
				16384, 20000);
	}
	/* Many tiny segments. */
	iov_case("iov_1k_1byte", engine, variant, 1024, ones, 1, 5, 8192, 4095);
	iov_case("iov_1k_odd", engine, variant, 1024, odd, 10, 9000, 100000, 12345);
	iov_case("iov_1025", engine, variant, 1025, ones, 1, 5, 8192, 0);
	if (psync) {
		iov_case("iov_1k_8m", engine, variant, 1024, eights, 1, 8192, 0, 0);
		iov_case("iov_1k_over_8m", engine, variant, 1024, over, 1, 8200, 0, 1);
	}
	zero_cases(engine, variant);
	maxsize_cases(engine, variant);
	rlimit_cases(engine, variant);
}

/* A segment length that is negative as ssize_t: EINVAL before any I/O. */
static void negative_len_case(int variant)
{
	unsigned char b[8] = { 0 };
	struct iovec iov[2] = {
		{ .iov_base = b, .iov_len = sizeof(b) },
		{ .iov_base = b, .iov_len = (size_t)-1 },
	};
	struct model *m;
	char fname[64];

	snprintf(fname, sizeof(fname), "neglen.%s.psync", vnames[variant]);
	m = seed_file(fname, 100, PG);
	one("iov_negative_len", m, E_PSYNC, variant, iov, 2, 0, b, 0);
}

/*
 * RWF_ATOMIC: whole or nothing, never short, never a partial block, also
 * when RLIMIT_FSIZE falls inside it.
 */
static void atomic_cases(int engine, int variant)
{
	unsigned char *shadow, *a = arena_new(3, 7, &shadow), *b;
	struct iovec iov = { .iov_base = a, .iov_len = 0 };
	struct rlimit old, lim;
	char fname[128];
	struct model *m;
	ssize_t r;

	snprintf(fname, sizeof(fname), "atomic.%s.%s", vnames[variant], enames[engine]);
	m = seed_file(fname, 16384, 5 * PG);
	one("atomic_zero", m, engine, variant, &iov, 1, 4096, shadow, RWF_ATOMIC);
	one("atomic_zero_beyond", m, engine, variant, &iov, 1, 65536, shadow, RWF_ATOMIC);
	/* One block from a buffer that straddles an unmapped page. */
	iov.iov_base = a + 2048;
	iov.iov_len = PG;
	munmap(a + PG, PG);
	r = one("atomic_efault_half", m, engine, variant, &iov, 1, 8192, shadow + 2048,
		RWF_ATOMIC);
	if (r >= 0 && r != (ssize_t)PG) {
		printf("ATOMIC SHORT: atomic_efault_half returned %zd\n", r);
		failures++;
	}
	/* The whole block unmapped. */
	iov.iov_base = a + PG;
	r = one("atomic_efault_all", m, engine, variant, &iov, 1, 8192, shadow + PG,
		RWF_ATOMIC);
	if (r >= 0) {
		printf("ATOMIC: atomic_efault_all returned %zd\n", r);
		failures++;
	}
	arena_free(a, 3, shadow);

	/* At the maximum size the block would be cut short: refused whole. */
	b = malloc(PG);
	memset(b, 0x3c, PG);
	snprintf(fname, sizeof(fname), "atomicmax.%s.%s", vnames[variant], enames[engine]);
	close(open_in_dir(fname, O_WRONLY | O_TRUNC));
	m = model_new(fname, LLONG_MAX - 2 * (long long)PG + 1, 2 * PG);
	iov.iov_base = b;
	iov.iov_len = PG;
	r = one("atomic_at_max", m, engine, variant, &iov, 1, LLONG_MAX - (long long)PG + 1, b,
		RWF_ATOMIC);
	if (r >= 0 && r != (ssize_t)PG) {
		printf("ATOMIC SHORT: atomic_at_max returned %zd\n", r);
		failures++;
	}

	/* RLIMIT_FSIZE in the middle of the block: refused whole. */
	snprintf(fname, sizeof(fname), "atomicrlim.%s.%s", vnames[variant], enames[engine]);
	m = seed_file(fname, (1 << 20) + PG, (1 << 20) + 2 * PG);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (1 << 20) - PG / 2;
	setrlimit(RLIMIT_FSIZE, &lim);
	r = one("atomic_rlimit_across", m, engine, variant, &iov, 1, (1 << 20) - PG, b,
		RWF_ATOMIC);
	setrlimit(RLIMIT_FSIZE, &old);
	if (r >= 0) {
		printf("ATOMIC SHORT: atomic_rlimit_across returned %zd\n", r);
		failures++;
	}
	free(b);
}

static void drop_caches(void)
{
	int fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0 || write(fd, "3", 1) != 1)
		perror("drop_caches");
	if (fd >= 0)
		close(fd);
}

/* Every file as the model says: size, window content, holes elsewhere. */
static void check_models(void)
{
	struct model *m;

	for (m = models; m; m = m->next) {
		uint64_t h = 1469598103934665603ULL;
		unsigned char *b = malloc(m->cap);
		long long end, i, data;
		struct stat st;
		ssize_t r;
		int fd;

		fd = open_in_dir(m->name, O_RDONLY);
		fstat(fd, &st);
		if (st.st_size != m->size) {
			printf("MISMATCH %s: size %lld, model %lld\n", m->name,
			       (long long)st.st_size, m->size);
			failures++;
		}
		end = m->size < m->base + (long long)m->cap ? m->size : m->base + (long long)m->cap;
		r = end > m->base ? pread(fd, b, end - m->base, m->base) : 0;
		if (r != (end > m->base ? end - m->base : 0)) {
			printf("MISMATCH %s: read %zd of %lld\n", m->name, r, end - m->base);
			failures++;
		}
		if (r > 0 && memcmp(b, m->data, r)) {
			for (i = 0; b[i] == m->data[i]; i++)
				;
			printf("MISMATCH %s: byte at %lld is %#x, model %#x\n", m->name,
			       m->base + i, b[i], m->data[i]);
			failures++;
		}
		if (r > 0)
			h = hash(h, b, r);
		/* No data before the window. */
		data = lseek(fd, 0, SEEK_DATA);
		if (m->base > 0 && data >= 0 && data < m->base - (long long)PG) {
			printf("MISMATCH %s: data at %lld, before the window\n", m->name, data);
			failures++;
		}
		printf("content %-36s size=%lld sum=%016llx\n", m->name, m->size,
		       (unsigned long long)h);
		close(fd);
		free(b);
	}
}

static int do_battery(int atomic, const char *variants)
{
	int e, v;

	signal(SIGXFSZ, SIG_IGN);
	engines_init();
	for (e = 0; e < E_NR; e++) {
		for (v = 0; v < V_NR; v++) {
			if (!strstr(variants, vnames[v]))
				continue;
			/* O_DSYNC is the same flag to an asynchronous caller. */
			if (e != E_PSYNC && v == V_ODSYNC)
				continue;
			if (atomic)
				atomic_cases(e, v);
			else
				battery(e, v);
		}
	}
	if (!atomic)
		for (v = 0; v < V_NR; v++)
			if (strstr(variants, vnames[v]))
				negative_len_case(v);
	fflush(stdout);
	drop_caches();
	check_models();
	return failures ? 1 : 0;
}

/* Files at the maximum size are sparse: sum their data extents only. */
static int do_sums(void)
{
	struct dirent **ents;
	int n, i;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		perror(dir);
		return 2;
	}
	for (i = 0; i < n; i++) {
		uint64_t h = 1469598103934665603ULL;
		unsigned char b[65536];
		long long pos = 0, size;
		int fd;

		if (ents[i]->d_name[0] == '.')
			continue;
		fd = open_in_dir(ents[i]->d_name, O_RDONLY);
		for (;;) {
			long long d = lseek(fd, pos, SEEK_DATA);
			ssize_t r, j;

			if (d < 0)
				break;
			r = pread(fd, b, sizeof(b), d);
			if (r <= 0)
				break;
			/* Zeros count as holes: where they lie is all that matters. */
			for (j = 0; j < r; j += 8) {
				uint64_t w = 0;

				memcpy(&w, b + j, r - j < 8 ? r - j : 8);
				if (w)
					h = (h ^ w) * 0x100000001b3ULL ^ (uint64_t)(d + j);
			}
			pos = d + r;
		}
		size = lseek(fd, 0, SEEK_END);
		printf("%-40s size=%lld sum=%016llx\n", ents[i]->d_name, size,
		       (unsigned long long)h);
		close(fd);
	}
	return 0;
}

/* --- O_APPEND from several processes ------------------------------------ */

#define REC_MAGIC 0x5857544150504e44ULL	/* "XWTAPPND" */
struct rec_hdr {
	uint64_t magic;
	uint32_t writer, seq, len, pad;
	uint64_t sum;
};

static uint64_t rec_sum(const unsigned char *b, uint32_t len)
{
	uint64_t h = 1469598103934665603ULL;
	uint32_t i;

	/* Everything but the sum itself (bytes 24-31). */
	for (i = 0; i < 24; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	for (i = 32; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

static uint32_t rec_len(uint32_t writer, uint32_t seq)
{
	return 40 + (writer * 7919 + seq * 104729) % 9000;
}

static void rec_build(unsigned char *b, uint32_t writer, uint32_t seq)
{
	struct rec_hdr *h = (struct rec_hdr *)b;
	uint32_t len = rec_len(writer, seq);

	fill(b + sizeof(*h), len - sizeof(*h), writer * 100000 + seq);
	h->magic = REC_MAGIC;
	h->writer = writer;
	h->seq = seq;
	h->len = len;
	h->pad = 0;
	h->sum = rec_sum(b, len);
}

static int append_writer(const char *file, uint32_t w, uint32_t recs)
{
	int kind = w % 5, fd, qd = 4;
	unsigned char *b = malloc(qd * 10000);
	uint32_t seq;

	fd = open(file, O_WRONLY | O_CREAT | O_APPEND | (kind == 1 ? O_DSYNC : 0), 0644);
	if (fd < 0 || !b) {
		perror(file);
		return 2;
	}
	if (kind <= 2) {
		for (seq = 0; seq < recs; seq++) {
			uint32_t len = rec_len(w, seq);
			struct iovec iov[2] = {
				{ .iov_base = b, .iov_len = 24 },
				{ .iov_base = b + 24, .iov_len = len - 24 },
			};
			ssize_t r;

			rec_build(b, w, seq);
			if (kind == 2)
				r = pwritev2(fd, iov, 2, -1, RWF_DSYNC);
			else
				r = write(fd, b, len);
			if (r != (ssize_t)len) {
				fprintf(stderr, "append writer %u seq %u: %zd (%s)\n", w, seq, r,
					r < 0 ? strerror(errno) : "short");
				return 1;
			}
		}
		return 0;
	}
	/* Up to QD appends in flight from one caller: each lands whole. */
	for (seq = 0; seq < recs; ) {
		int n, i;

		if (kind == 3) {
			struct io_uring ring;
			struct io_uring_cqe *cqe;

			if (io_uring_queue_init(qd, &ring, 0))
				return 2;
			for (n = 0; n < qd && seq + n < recs; n++) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

				rec_build(b + n * 10000, w, seq + n);
				io_uring_prep_write(sqe, fd, b + n * 10000, rec_len(w, seq + n), 0);
				sqe->rw_flags = RWF_DSYNC;
				io_uring_sqe_set_data(sqe, (void *)(uintptr_t)(seq + n));
			}
			io_uring_submit(&ring);
			for (i = 0; i < n; i++) {
				uint32_t s;

				if (io_uring_wait_cqe(&ring, &cqe))
					return 1;
				s = (uint32_t)(uintptr_t)io_uring_cqe_get_data(cqe);
				if (cqe->res != (int)rec_len(w, s)) {
					fprintf(stderr, "append writer %u seq %u: io_uring %d\n", w, s,
						cqe->res);
					return 1;
				}
				io_uring_cqe_seen(&ring, cqe);
			}
			io_uring_queue_exit(&ring);
		} else {
			struct iocb cbs[4], *cbp[4];
			struct io_event ev[4];
			io_context_t ctx = 0;

			if (io_setup(qd, &ctx))
				return 2;
			for (n = 0; n < qd && seq + n < recs; n++) {
				rec_build(b + n * 10000, w, seq + n);
				io_prep_pwrite(&cbs[n], fd, b + n * 10000, rec_len(w, seq + n), 0);
				cbs[n].aio_rw_flags = RWF_DSYNC;
				cbs[n].data = (void *)(uintptr_t)(seq + n);
				cbp[n] = &cbs[n];
			}
			if (io_submit(ctx, n, cbp) != n) {
				perror("io_submit");
				return 1;
			}
			for (i = 0; i < n; ) {
				int r = io_getevents(ctx, 1, n - i, ev, NULL), j;

				if (r < 0)
					return 1;
				for (j = 0; j < r; j++) {
					uint32_t s = (uint32_t)(uintptr_t)ev[j].data;

					if ((long)ev[j].res != (long)rec_len(w, s)) {
						fprintf(stderr, "append writer %u seq %u: libaio %ld\n",
							w, s, (long)ev[j].res);
						return 1;
					}
				}
				i += r;
			}
			io_destroy(ctx);
		}
		seq += n;
	}
	return 0;
}

static int do_append(const char *file, uint32_t procs, uint32_t recs)
{
	uint32_t w;
	int status, rc = 0;

	for (w = 0; w < procs; w++) {
		pid_t p = fork();

		if (p == 0)
			_exit(append_writer(file, w, recs));
		if (p < 0) {
			perror("fork");
			return 2;
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			rc = 1;
	return rc;
}

static int do_appendcheck(const char *file, uint32_t procs, uint32_t recs)
{
	unsigned char *seen = calloc((size_t)procs * recs, 1), *b;
	long long pos = 0, nrec = 0, missing = 0;
	struct stat st;
	int fd = open(file, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		perror(file);
		return 2;
	}
	b = malloc(st.st_size + 1);
	if (pread(fd, b, st.st_size, 0) != st.st_size) {
		perror("read");
		return 2;
	}
	while (pos < st.st_size) {
		struct rec_hdr *h = (struct rec_hdr *)(b + pos);

		if (st.st_size - pos < (long long)sizeof(*h) || h->magic != REC_MAGIC ||
		    h->writer >= procs || h->seq >= recs || h->len != rec_len(h->writer, h->seq) ||
		    h->len > st.st_size - pos || h->sum != rec_sum(b + pos, h->len)) {
			fprintf(stderr, "appendcheck: no whole record at %lld (record %lld)\n",
				pos, nrec);
			return 1;
		}
		if (seen[(size_t)h->writer * recs + h->seq]++) {
			fprintf(stderr, "appendcheck: writer %u record %u twice (at %lld)\n",
				h->writer, h->seq, pos);
			return 1;
		}
		pos += h->len;
		nrec++;
	}
	for (size_t i = 0; i < (size_t)procs * recs; i++)
		if (!seen[i]) {
			if (!missing)
				fprintf(stderr, "appendcheck: writer %zu record %zu missing\n",
					i / recs, i % recs);
			missing++;
		}
	printf("appendcheck: %lld records, %lld bytes, %lld missing\n", nrec, pos, missing);
	return missing ? 1 : 0;
}

/* --- sysfs --------------------------------------------------------------- */

static int read_value(const char *file, char *out, size_t len)
{
	int fd = open(file, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, out, len - 1);
	close(fd);
	if (r < 0)
		return -1;
	out[r] = 0;
	return 0;
}

static int is_valid(const char *v, char **valid, int nvalid)
{
	int i;

	for (i = 0; i < nvalid; i++) {
		size_t l = strlen(valid[i]);

		if (!strncmp(v, valid[i], l) && (v[l] == 0 || (v[l] == '\n' && v[l + 1] == 0)))
			return 1;
	}
	return 0;
}

enum { REFUSE, ACCEPT, EITHER };

/*
 * One write of LEN bytes of DATA. WANT says whether it must be refused,
 * accepted (the value then reads AS), or either; a refusal changes nothing.
 */
static void sysfs_try(const char *file, const char *what, const void *data, size_t len,
		      int want, const char *as, char **valid, int nvalid)
{
	char before[256], after[256];
	ssize_t r;
	int fd, e;

	read_value(file, before, sizeof(before));
	fd = open(file, O_WRONLY);
	if (fd < 0) {
		printf("sysfs %-28s open: %s\n", what, errname(errno));
		failures++;
		return;
	}
	r = write(fd, data, len);
	e = r < 0 ? errno : 0;
	close(fd);
	read_value(file, after, sizeof(after));
	printf("sysfs %-28s ret=%zd errno=%s value=%.*s\n", what, r, errname(e),
	       (int)strcspn(after, "\n"), after);
	if (!is_valid(after, valid, nvalid)) {
		printf("BAD VALUE after %s: '%s'\n", what, after);
		failures++;
	}
	if (r < 0 && strcmp(before, after)) {
		printf("CHANGED by a failed write %s: '%s' -> '%s'\n", what, before, after);
		failures++;
	}
	if (r >= 0 && len && want == REFUSE) {
		printf("ACCEPTED garbage %s\n", what);
		failures++;
	}
	if (r < 0 && want == ACCEPT) {
		printf("REFUSED a valid value %s\n", what);
		failures++;
	}
	if (r >= 0 && len && want != REFUSE &&
	    (strncmp(after, as, strlen(as)) || (after[strlen(as)] && after[strlen(as)] != '\n'))) {
		printf("ACCEPTED %s but the value is '%s'\n", what, after);
		failures++;
	}
}

static int do_sysfs(const char *file, char **valid, int nvalid)
{
	static const char *const garbage[] = {
		" ", "\n", "\n\n", "x", "bogus", "ALL", "Off", " dsync", "dsync ", "dsync\t",
		"dsync\n\n", "dsyncc", "dsyn", "offf", "of", "all\nall", "dsync all", "-1", "0",
		"1", "\xff\xfe\xfd", "\x1b[2J", "%s%s%n",
	};
	char buf[64], val[256], *huge;
	unsigned char *page;
	size_t i, sizes[] = { 4095, 4096, 4097, 65536, 1 << 20 };
	int fd;

	/* Each valid value, with and without the newline echo adds. */
	for (i = 0; i < (size_t)nvalid; i++) {
		snprintf(buf, sizeof(buf), "%s\n", valid[i]);
		sysfs_try(file, valid[i], valid[i], strlen(valid[i]), ACCEPT, valid[i], valid, nvalid);
		sysfs_try(file, buf, buf, strlen(buf), ACCEPT, valid[i], valid, nvalid);
	}
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		sysfs_try(file, garbage[i], garbage[i], strlen(garbage[i]), REFUSE, NULL, valid,
			  nvalid);
	/*
	 * A valid name, a NUL and garbage: the kernel's sysfs_streq() stops
	 * at the NUL, as for every attribute that uses it; either answer is
	 * sane as long as the value is the name before the NUL.
	 */
	snprintf(buf, sizeof(buf), "%s", valid[0]);
	memcpy(buf + strlen(valid[0]), "\0garbage", 9);
	sysfs_try(file, "<valid>\\0garbage", buf, strlen(valid[0]) + 8, EITHER, valid[0],
		  valid, nvalid);
	sysfs_try(file, "\\0<valid>", "\0off", 4, REFUSE, NULL, valid, nvalid);
	/* Huge strings: a valid name padded with spaces, and plain junk. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char what[64];

		huge = malloc(sizes[i]);
		memset(huge, 'x', sizes[i]);
		snprintf(what, sizeof(what), "%zu bytes of x", sizes[i]);
		sysfs_try(file, what, huge, sizes[i], REFUSE, NULL, valid, nvalid);
		memset(huge, ' ', sizes[i]);
		memcpy(huge, valid[1], strlen(valid[1]));
		snprintf(what, sizeof(what), "<valid> + %zu spaces", sizes[i]);
		sysfs_try(file, what, huge, sizes[i], REFUSE, NULL, valid, nvalid);
		free(huge);
	}
	/* Partial writes: every write() is judged on its own. */
	read_value(file, buf, sizeof(buf));
	fd = open(file, O_WRONLY);
	if (fd >= 0) {
		size_t l = strlen(valid[1]) / 2;
		ssize_t a = write(fd, valid[1], l);
		int ea = errno;
		ssize_t b = write(fd, valid[1] + l, strlen(valid[1]) - l);
		int eb = errno;

		close(fd);
		read_value(file, val, sizeof(val));
		printf("sysfs partial '%.*s' + '%s': %zd/%s %zd/%s value=%.*s\n", (int)l, valid[1],
		       valid[1] + l, a, a < 0 ? errname(ea) : "0", b, b < 0 ? errname(eb) : "0",
		       (int)strcspn(val, "\n"), val);
		if (a >= 0 || b >= 0 || strcmp(buf, val)) {
			printf("PARTIAL writes accepted or changed the value\n");
			failures++;
		}
	}
	/* Zero bytes; a buffer that faults (NULL, then half-unmapped). */
	sysfs_try(file, "zero bytes", "", 0, REFUSE, NULL, valid, nvalid);
	{
		void *volatile nullp = NULL;

		sysfs_try(file, "NULL buffer", nullp, 5, REFUSE, NULL, valid, nvalid);
	}
	page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(page + PG - 2, valid[1], 2);
	munmap(page + PG, PG);
	sysfs_try(file, "buffer across an unmapped page", page + PG - 2, strlen(valid[1]), REFUSE,
		  NULL, valid, nvalid);
	munmap(page, PG);
	/* Reads: one byte at a time, at offsets, past the end. */
	fd = open(file, O_RDONLY);
	if (fd >= 0) {
		char one_by_one[256];
		size_t n = 0;
		char c;

		while (n < sizeof(one_by_one) - 1 && read(fd, &c, 1) == 1)
			one_by_one[n++] = c;
		one_by_one[n] = 0;
		read_value(file, val, sizeof(val));
		if (strcmp(one_by_one, val)) {
			printf("READ one byte at a time gives '%s', whole '%s'\n", one_by_one, val);
			failures++;
		}
		if (pread(fd, buf, sizeof(buf), 1 << 20) != 0) {
			printf("READ past the end returned data\n");
			failures++;
		}
		close(fd);
	}
	printf("sysfs %s: %s\n", file, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

enum { WHO_NOBODY, WHO_USERNS, WHO_NOCAP };

static void become(int who)
{
	if (who == WHO_NOCAP) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		unsigned int i = CAP_SYS_ADMIN / 32, bit = 1u << (CAP_SYS_ADMIN % 32);

		if (syscall(SYS_capget, &hdr, d))
			_exit(3);
		d[i].effective &= ~bit;
		d[i].permitted &= ~bit;
		d[i].inheritable &= ~bit;
		if (syscall(SYS_capset, &hdr, d))
			_exit(3);
		return;
	}
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		_exit(3);
	if (who == WHO_USERNS) {
		int fd;

		/* Root inside, nobody outside: the files' owner is unmapped. */
		prctl(PR_SET_DUMPABLE, 1);	/* else /proc/self stays root's */
		if (unshare(CLONE_NEWUSER))
			_exit(4);
		fd = open("/proc/self/uid_map", O_WRONLY);
		if (fd < 0 || write(fd, "0 65534 1", 9) != 9)
			_exit(4);
		close(fd);
	}
}

/* Write VALUE to FILE as WHO in a child: 0 if accepted, else the errno. */
static int write_as(const char *file, const char *value, int who)
{
	int p[2], e = -1, status;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd;

		become(who);
		fd = open(file, O_WRONLY);
		e = 0;
		if (fd < 0 || write(fd, value, strlen(value)) < 0)
			e = errno;
		if (write(p[1], &e, sizeof(e)) != sizeof(e))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &e, sizeof(e)) != sizeof(e))
		e = -1;	/* the child could not become WHO */
	close(p[0]);
	waitpid(pid, &status, 0);
	return e;
}

/* What nobody reads from FILE. */
static int read_as_nobody(const char *file, char *out, size_t len)
{
	int p[2], status;
	ssize_t n = 0, r;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		char b[4096];

		become(WHO_NOBODY);
		if (read_value(file, b, sizeof(b)))
			_exit(1);
		if (write(p[1], b, strlen(b)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	while (n < (ssize_t)len - 1 && (r = read(p[0], out + n, len - 1 - n)) > 0)
		n += r;
	out[n] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

static const char *who_answer(int e)
{
	return e == 0 ? "accepted" : e < 0 ? "unavailable" : errname(e);
}

static int do_sysfsperm(char **files, int n)
{
	static const char *const whos[] = { "nobody", "userns", "nocap" };
	int i, w;

	for (i = 0; i < n; i++) {
		char whole[4096], again[4096], bytes[4096], line[256] = "";
		const char *f = files[i];
		size_t k = 0;
		struct stat st;
		int fd;
		char c;

		if (stat(f, &st) || read_value(f, whole, sizeof(whole))) {
			printf("FAIL %s: cannot read\n", f);
			failures++;
			continue;
		}
		fd = open(f, O_RDONLY);
		while (fd >= 0 && k < sizeof(bytes) - 1 && read(fd, &c, 1) == 1)
			bytes[k++] = c;
		bytes[k] = 0;
		if (fd >= 0 && pread(fd, again, sizeof(again), 1 << 20) != 0) {
			printf("FAIL %s: a read past the end returned data\n", f);
			failures++;
		}
		if (fd >= 0)
			close(fd);
		if (strcmp(bytes, whole)) {
			printf("FAIL %s: byte by byte '%s', whole '%s'\n", f, bytes, whole);
			failures++;
		}
		if (read_as_nobody(f, again, sizeof(again)) || strcmp(again, whole)) {
			printf("FAIL %s: nobody reads '%s', root '%s'\n", f, again, whole);
			failures++;
		}
		if (!(st.st_mode & 0222)) {
			fd = open(f, O_WRONLY);
			if (fd >= 0) {
				printf("FAIL %s: read-only, yet root opened it for writing\n", f);
				failures++;
				close(fd);
			}
			printf("perm %s read-only\n", f);
			continue;
		}
		for (w = 0; w < 3; w++) {
			int e = write_as(f, "all", w);
			size_t l = strlen(line);

			read_value(f, again, sizeof(again));
			snprintf(line + l, sizeof(line) - l, " %s=%s", whos[w], who_answer(e));
			if (e == 0 && w != WHO_NOCAP) {
				printf("FAIL %s: %s wrote it\n", f, whos[w]);
				failures++;
			}
			if (e != 0 && strcmp(again, whole)) {
				printf("FAIL %s: refused to %s, yet changed\n", f, whos[w]);
				failures++;
			}
			/* Put back what a write that was allowed changed. */
			fd = open(f, O_WRONLY);
			if (fd < 0 || write(fd, whole, strlen(whole)) < 0)
				perror(f);
			if (fd >= 0)
				close(fd);
		}
		printf("perm %s%s\n", f, line);
	}
	return failures ? 1 : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One racer: a reader (odd I) or a writer of good and bad values. */
static int racer(const char *file, int i, double end, char **valid, int nvalid)
{
	static const char *const bad[] = { "bogus", "dsync2", "", "\n", "offoff" };
	unsigned int seed = i + 1;
	long ops = 0, bads = 0;
	char v[256];

	for (; now() < end; ops++) {
		const char *s;
		ssize_t r;
		int fd;

		if (i % 2) {
			/* One whole valid value, every time. */
			if (read_value(file, v, sizeof(v)) || !is_valid(v, valid, nvalid)) {
				fprintf(stderr, "sysfsrace: read '%s'\n", v);
				return 1;
			}
			continue;
		}
		fd = open(file, O_WRONLY);
		if (fd < 0)
			return 2;
		if (rand_r(&seed) % 3) {
			s = valid[rand_r(&seed) % nvalid];
			r = write(fd, s, strlen(s));
			if (r != (ssize_t)strlen(s)) {
				fprintf(stderr, "sysfsrace: '%s' refused\n", s);
				return 1;
			}
		} else {
			s = bad[rand_r(&seed) % 5];
			r = write(fd, s, strlen(s));
			if (r > 0) {
				fprintf(stderr, "sysfsrace: '%s' accepted\n", s);
				return 1;
			}
			bads++;
		}
		close(fd);
	}
	printf("sysfsrace: %s %ld ops (%ld bad writes)\n", i % 2 ? "reader" : "writer", ops, bads);
	return 0;
}

static int do_sysfsrace(const char *file, unsigned int seconds, char **valid, int nvalid)
{
	double end = now() + seconds;
	int i, status, rc = 0;

	for (i = 0; i < 6; i++) {
		pid_t p = fork();

		if (p == 0)
			_exit(racer(file, i, end, valid, nvalid));
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			rc = 1;
	return rc;
}

static int do_flip(const char *file, unsigned int seconds, const char *marker,
		   char **values, int n)
{
	double end = now() + seconds, worst = 0;
	unsigned int seed = getpid();
	long flips = 0;
	int fd = open(file, O_WRONLY);

	if (fd < 0) {
		perror(file);
		return 2;
	}
	while (now() < end) {
		const char *v = values[flips % n];
		double t = now();

		if (write(fd, v, strlen(v)) != (ssize_t)strlen(v)) {
			fprintf(stderr, "flip: %s refused: %s\n", v, strerror(errno));
			return 1;
		}
		if (now() - t > worst)
			worst = now() - t;
		if (!flips++ && marker)
			close(open(marker, O_WRONLY | O_CREAT, 0644));
		usleep(rand_r(&seed) % 20000);
	}
	printf("%ld mode flips, the slowest took %.1f ms\n", flips, worst * 1000);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int procs = 4, recs = 100, seconds = 3;
	const char *variants = "plain,odsync,rwf_dsync", *marker = NULL;
	int opt, atomic = 0;

	if (argc < 3)
		goto usage;
	optind = 2;
	while ((opt = getopt(argc, argv, "AV:p:n:s:m:")) != -1) {
		switch (opt) {
		case 'A': atomic = 1; break;
		case 'V': variants = optarg; break;
		case 'p': procs = strtoul(optarg, NULL, 0); break;
		case 'n': recs = strtoul(optarg, NULL, 0); break;
		case 's': seconds = strtoul(optarg, NULL, 0); break;
		case 'm': marker = optarg; break;
		default: goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "battery")) {
		snprintf(dir, sizeof(dir), "%s", argv[optind]);
		return do_battery(atomic, variants);
	}
	if (!strcmp(argv[1], "sums")) {
		snprintf(dir, sizeof(dir), "%s", argv[optind]);
		return do_sums();
	}
	if (!strcmp(argv[1], "append"))
		return do_append(argv[optind], procs, recs);
	if (!strcmp(argv[1], "appendcheck"))
		return do_appendcheck(argv[optind], procs, recs);
	if (!strcmp(argv[1], "sysfs") && argc - optind >= 3)
		return do_sysfs(argv[optind], argv + optind + 1, argc - optind - 1);
	if (!strcmp(argv[1], "flip") && argc - optind >= 2)
		return do_flip(argv[optind], seconds, marker, argv + optind + 1,
			       argc - optind - 1);
	if (!strcmp(argv[1], "sysfsperm"))
		return do_sysfsperm(argv + optind, argc - optind);
	if (!strcmp(argv[1], "sysfsrace") && argc - optind >= 3)
		return do_sysfsrace(argv[optind], seconds, argv + optind + 1, argc - optind - 1);
usage:
	fprintf(stderr, "usage: see the comment at the top of hostile_writes.c\n");
	return 2;
}
