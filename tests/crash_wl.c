// SPDX-License-Identifier: GPL-2.0
/*
 * crash_wl: a workload for crash replay, and the checker that knows what
 * each of its operations guaranteed.
 *
 *   crash_wl run [-s SEED] [-n OPS] [-l DMNAME] [-m MODEFILE] [-C] [-U] RECORD DIR
 *   crash_wl check RECORD DIR
 *
 * run creates files f0..f3 in DIR, then does OPS-4 random operations on
 * them, each one durable when it returns: O_DSYNC, O_SYNC, RWF_DSYNC and
 * RWF_SYNC writes (overwrites, appends with O_APPEND, writes past EOF that
 * leave holes, hole fills), io_uring and libaio RWF_DSYNC writes, plain
 * writes followed by fsync or fdatasync, truncates down and up, hole
 * punches, preallocations and reflink clones (-C: none), each followed by
 * fsync or fdatasync. Before each operation it writes the xfs_wt mode it
 * picked (dsync, all or off) to MODEFILE; after each one it logs the mark
 * "opK" on the dm-log-writes device DMNAME. Every 8-byte word written by op
 * K at file offset P holds 0xC5, K and ~(P/8), so a word tells who wrote it.
 * Each operation is appended to RECORD before it starts. At the end the
 * files are compared with the model. -U (unsafe) drops every sync flag and
 * call but those of the creates, while still marking the ops as done: a run
 * that must fail the check, to prove that the check sees lost writes.
 *
 * check reads RECORD, then answers log_replay's "check POINT MARK EXACT"
 * lines about DIR: after mark opK, every file must hold what ops 0..K made
 * of it; op K+1 may be in flight, so for the file it touches each byte may
 * be the old or the new one, the size anything between the two, and a file
 * it creates may be missing. With EXACT (the point is the mark itself)
 * nothing of op K+1 may be there. Mark "mkfs" means no op yet,
 * "dm-log-writes-end" all of them. It exits 0 only if every answer was ok,
 * an EXACT request came for each of op0..opN-1 in turn (N: the ops in
 * RECORD) and the last one was for dm-log-writes-end: a log or a walk that
 * skipped a mark, or stopped early, must not pass on what it did check.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "xfs_wt.h"

#define NF	4
#define BS	4096ULL
#define MAXSZ	(1ULL << 20)	/* no file grows beyond this */
#define MAXW	65536ULL	/* longest write */
#define END_MARK	"dm-log-writes-end"
/* log_replay -F fills blocks with this byte until the replay writes them. */
#define FILL_WORD	0xE5E5E5E5E5E5E5E5ULL

enum { OP_CREATE, OP_WRITE, OP_TRUNC, OP_PUNCH, OP_FALLOC, OP_CLONE, OP_N };
static const char *const op_names[OP_N] = {
	"create", "write", "trunc", "punch", "falloc", "clone"
};

/* How a write is made durable; other ops use H_FSYNC or H_FDATASYNC. */
enum { H_ODSYNC, H_RWF_DSYNC, H_OSYNC, H_RWF_SYNC, H_APPEND, H_FSYNC,
	H_FDATASYNC, H_URING, H_AIO, H_N };
static const char *const how_names[H_N] = {
	"odsync", "rwf_dsync", "osync", "rwf_sync", "append", "fsync",
	"fdatasync", "uring", "aio"
};

static const int how_weight[H_N] = { 16, 16, 6, 6, 12, 10, 10, 12, 12 };

static const char *const modes[] = { "dsync", "all", "off" };

struct op {
	int type, file, how, arg;	/* arg: falloc keep-size, clone source */
	unsigned long long off, len, soff;
	const char *mode;
};

struct mfile {
	int exists;
	unsigned long long size;
	unsigned char *d;	/* MAXSZ bytes; zero from size on */
};

struct model {
	struct mfile f[NF];
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("crash_wl: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xalloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n))
		die("out of memory");
	memset(p, 0, n);
	return p;
}

static unsigned char stamp(int k, unsigned long long pos)
{
	uint64_t w = 0xC5ULL << 56 | (uint64_t)(k & 0xffffff) << 32 | (uint32_t)~(pos >> 3);

	return w >> ((pos & 7) * 8);
}

static void model_init(struct model *m)
{
	int i;

	for (i = 0; i < NF; i++) {
		m->f[i].exists = 0;
		m->f[i].size = 0;
		m->f[i].d = xalloc(MAXSZ);
	}
}

static unsigned long long max_ull(unsigned long long a, unsigned long long b)
{
	return a > b ? a : b;
}

static unsigned long long min_ull(unsigned long long a, unsigned long long b)
{
	return a < b ? a : b;
}

/* What op k, once durable, made of the files. */
static void model_apply(struct model *m, const struct op *o, int k)
{
	struct mfile *f = &m->f[o->file];
	unsigned long long i, end = o->off + o->len;

	switch (o->type) {
	case OP_CREATE:
		f->exists = 1;
		f->size = 0;
		break;
	case OP_WRITE:
		for (i = o->off; i < end; i++)
			f->d[i] = stamp(k, i);
		f->size = max_ull(f->size, end);
		break;
	case OP_TRUNC:
		if (o->off < f->size)
			memset(f->d + o->off, 0, f->size - o->off);
		f->size = o->off;
		break;
	case OP_PUNCH:
		if (o->off < f->size)
			memset(f->d + o->off, 0, min_ull(end, f->size) - o->off);
		break;
	case OP_FALLOC:
		if (!o->arg)
			f->size = max_ull(f->size, end);
		break;
	case OP_CLONE:
		memcpy(f->d + o->off, m->f[o->arg].d + o->soff, o->len);
		f->size = max_ull(f->size, end);
		break;
	}
}

static int parse_op(const char *line, struct op *o, int k)
{
	char type[16], how[16], mode[16];
	int n, i;

	if (sscanf(line, "%d %15s %d %llu %llu %d %llu %15s %15s", &n, type, &o->file,
		   &o->off, &o->len, &o->arg, &o->soff, how, mode) != 9 || n != k)
		return -1;
	for (o->type = 0; o->type < OP_N; o->type++)
		if (!strcmp(type, op_names[o->type]))
			break;
	for (o->how = 0; o->how < H_N; o->how++)
		if (!strcmp(how, how_names[o->how]))
			break;
	o->mode = NULL;
	for (i = 0; i < 3; i++)
		if (!strcmp(mode, modes[i]))
			o->mode = modes[i];
	if (!o->mode || o->type == OP_N || o->how == H_N || o->file < 0 || o->file >= NF ||
	    o->off + o->len > MAXSZ || o->soff + o->len > MAXSZ ||
	    (o->type == OP_CLONE && (o->arg < 0 || o->arg >= NF)))
		return -1;
	return 0;
}

static void print_op(FILE *f, const struct op *o, int k)
{
	fprintf(f, "%d %s %d %llu %llu %d %llu %s %s\n", k, op_names[o->type], o->file,
		o->off, o->len, o->arg, o->soff, how_names[o->how], o->mode);
}

/* ---- the workload ---- */

static uint64_t rng;
static int unsafe;

static unsigned long long rnd(unsigned long long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

static int pick_how(void)
{
	int total = 0, i, r;

	for (i = 0; i < H_N; i++)
		total += how_weight[i];
	r = rnd(total);
	for (i = 0; r >= how_weight[i]; i++)
		r -= how_weight[i];
	return i;
}

static void gen_write(const struct model *m, struct op *o)
{
	unsigned long long size, r = rnd(100);
	int aligned = rnd(2);

	o->type = OP_WRITE;
	o->arg = 0;
	o->file = rnd(NF);
	o->how = pick_how();
	size = m->f[o->file].size;
	o->len = aligned ? BS * (1 + rnd(16)) : 1 + rnd(MAXW);
	if (o->how == H_APPEND)
		o->off = size;
	else if (r < 45 && size)
		o->off = rnd(size);			/* overwrite */
	else if (r < 65)
		o->off = size + rnd(256 << 10);		/* past EOF: leaves a hole */
	else if (r < 80)
		o->off = size;				/* extend */
	else
		o->off = rnd(MAXSZ);			/* anywhere: hole fills */
	if (aligned && o->how != H_APPEND)
		o->off &= ~(BS - 1);
	if (o->off + o->len > MAXSZ) {
		if (o->how == H_APPEND)
			o->how = H_RWF_DSYNC;
		o->off = rnd(MAXSZ - o->len);
		if (aligned)
			o->off &= ~(BS - 1);
	}
}

static void gen_op(const struct model *m, struct op *o, int k, int clones)
{
	unsigned long long r = rnd(100), size;
	int i;

	memset(o, 0, sizeof(*o));
	o->how = rnd(2) ? H_FSYNC : H_FDATASYNC;
	if (k < NF) {
		o->type = OP_CREATE;
		o->file = k;
		return;
	}
	o->file = rnd(NF);
	size = m->f[o->file].size;
	if (r < 62) {
		gen_write(m, o);
	} else if (r < 72 || (r < 80 && !size)) {
		o->type = OP_TRUNC;
		if (size && rnd(2)) {
			o->off = rnd(size);
			if (rnd(2))
				o->off &= ~(BS - 1);
		} else {
			o->off = min_ull(size + 1 + rnd(256 << 10), MAXSZ);
		}
	} else if (r < 80) {
		o->type = OP_PUNCH;
		o->off = rnd(size);
		o->len = 1 + rnd(128 << 10);
		o->len = min_ull(o->len, MAXSZ - o->off);
	} else if (r < 88) {
		o->type = OP_FALLOC;
		o->off = rnd(MAXSZ - (128 << 10));
		o->len = 1 + rnd(128 << 10);
		o->arg = rnd(2);
	} else {
		unsigned long long blocks, sb, nb;

		o->arg = -1;
		for (i = 0; clones && i < NF; i++) {
			int src = rnd(NF);

			if (src != o->file && m->f[src].size >= BS) {
				o->arg = src;
				break;
			}
		}
		if (o->arg < 0) {
			gen_write(m, o);
			return;
		}
		o->type = OP_CLONE;
		blocks = m->f[o->arg].size / BS;
		sb = rnd(blocks);
		nb = 1 + rnd(min_ull(16, blocks - sb));
		o->soff = sb * BS;
		o->len = nb * BS;
		o->off = rnd(MAXSZ / BS - nb + 1) * BS;
	}
}

static void fpath(char *buf, size_t sz, const char *dir, int i)
{
	snprintf(buf, sz, "%s/f%d", dir, i);
}

static void dm_mark(const char *dmname, int k)
{
	union {
		struct dm_ioctl io;
		char b[4096];
	} u;
	struct dm_target_msg *msg = (struct dm_target_msg *)(u.b + sizeof(u.io));
	int fd;

	memset(&u, 0, sizeof(u));
	u.io.version[0] = DM_VERSION_MAJOR;
	u.io.data_size = sizeof(u);
	u.io.data_start = sizeof(u.io);
	snprintf(u.io.name, sizeof(u.io.name), "%s", dmname);
	snprintf(msg->message, sizeof(u) - sizeof(u.io) - sizeof(*msg), "mark op%d", k);
	fd = open("/dev/mapper/control", O_RDWR);
	if (fd < 0 || ioctl(fd, DM_TARGET_MSG, &u.io))
		die("mark op%d on %s: %s", k, dmname, strerror(errno));
	close(fd);
}

struct io_ctx {
	struct io_uring ring;
	io_context_t aio;
	unsigned char *buf;
};

static void do_sync(int fd, int how, int k)
{
	if (unsafe)
		return;
	if ((how == H_FDATASYNC ? fdatasync(fd) : fsync(fd)))
		die("op %d: %s: %s", k, how_names[how], strerror(errno));
}

static ssize_t do_write(struct io_ctx *c, int fd, const struct op *o)
{
	struct iovec iov = { c->buf, o->len };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	ssize_t ret;

	if (unsafe)
		return o->how == H_APPEND ? write(fd, c->buf, o->len) :
					    pwrite(fd, c->buf, o->len, o->off);
	switch (o->how) {
	case H_RWF_DSYNC:
		return pwritev2(fd, &iov, 1, o->off, RWF_DSYNC);
	case H_RWF_SYNC:
		return pwritev2(fd, &iov, 1, o->off, RWF_SYNC);
	case H_APPEND:
		return write(fd, c->buf, o->len);
	case H_URING:
		sqe = io_uring_get_sqe(&c->ring);
		io_uring_prep_write(sqe, fd, c->buf, o->len, o->off);
		sqe->rw_flags = RWF_DSYNC;
		ret = io_uring_submit_and_wait(&c->ring, 1);
		if (ret < 0 || io_uring_peek_cqe(&c->ring, &cqe)) {
			errno = ret < 0 ? -ret : EIO;
			return -1;
		}
		ret = cqe->res;
		io_uring_cqe_seen(&c->ring, cqe);
		if (ret < 0) {
			errno = -ret;
			return -1;
		}
		return ret;
	case H_AIO:
		io_prep_pwrite(&cb, fd, c->buf, o->len, o->off);
		cb.aio_rw_flags = RWF_DSYNC;
		if (io_submit(c->aio, 1, cbs) != 1 || io_getevents(c->aio, 1, 1, &ev, NULL) != 1) {
			errno = EIO;
			return -1;
		}
		if ((long)ev.res < 0) {
			errno = -(long)ev.res;
			return -1;
		}
		return ev.res;
	default:
		return pwrite(fd, c->buf, o->len, o->off);
	}
}

static void run_op(struct io_ctx *c, const char *dir, int dirfd, const struct op *o, int k)
{
	int flags = O_WRONLY, fd, sfd;
	char path[4096];
	struct stat st;
	unsigned long long i;

	fpath(path, sizeof(path), dir, o->file);
	if (o->type == OP_CREATE) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("op %d: create %s: %s", k, path, strerror(errno));
		/* Synced even with -U, so that the check fails on data. */
		if (fsync(fd) || fsync(dirfd))
			die("op %d: fsync after create: %s", k, strerror(errno));
		close(fd);
		return;
	}
	if (o->type == OP_WRITE && (o->how == H_ODSYNC || o->how == H_APPEND) && !unsafe)
		flags |= O_DSYNC;
	if (o->type == OP_WRITE && o->how == H_OSYNC && !unsafe)
		flags |= O_SYNC;
	if (o->type == OP_WRITE && o->how == H_APPEND)
		flags |= O_APPEND;
	fd = open(path, flags);
	if (fd < 0)
		die("op %d: open %s: %s", k, path, strerror(errno));
	switch (o->type) {
	case OP_WRITE:
		if (o->how == H_APPEND &&
		    (fstat(fd, &st) || (unsigned long long)st.st_size != o->off))
			die("op %d: append at %llu, but the file has %lld bytes", k, o->off,
			    (long long)st.st_size);
		for (i = 0; i < o->len; i++)
			c->buf[i] = stamp(k, o->off + i);
		if (do_write(c, fd, o) != (ssize_t)o->len)
			die("op %d: %s write of %llu at %llu: %s", k, how_names[o->how], o->len,
			    o->off, strerror(errno));
		if (o->how == H_FSYNC || o->how == H_FDATASYNC)
			do_sync(fd, o->how, k);
		break;
	case OP_TRUNC:
		if (ftruncate(fd, o->off))
			die("op %d: truncate to %llu: %s", k, o->off, strerror(errno));
		do_sync(fd, o->how, k);
		break;
	case OP_PUNCH:
	case OP_FALLOC:
		if (fallocate(fd, o->type == OP_PUNCH ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
			      o->arg ? FALLOC_FL_KEEP_SIZE : 0, o->off, o->len))
			die("op %d: %s %llu at %llu: %s", k, op_names[o->type], o->len, o->off,
			    strerror(errno));
		do_sync(fd, o->how, k);
		break;
	case OP_CLONE: {
		struct file_clone_range r = { .src_offset = o->soff, .src_length = o->len,
					      .dest_offset = o->off };

		fpath(path, sizeof(path), dir, o->arg);
		sfd = open(path, O_RDONLY);
		r.src_fd = sfd;
		if (sfd < 0 || ioctl(fd, FICLONERANGE, &r))
			die("op %d: clone f%d+%llu to f%d+%llu (%llu): %s", k, o->arg, o->soff,
			    o->file, o->off, o->len, strerror(errno));
		close(sfd);
		do_sync(fd, o->how, k);
		break;
	}
	}
	close(fd);
}

/* Compare DIR's files with what the model says; returns the mismatches. */
static int compare_files(const char *dir, const struct model *old, const struct model *nw,
			 unsigned char *buf, const char *when);

static int cmd_run(int argc, char **argv)
{
	const char *dmname = NULL, *modefile = NULL, *cur_mode = NULL;
	unsigned long nops = 40, counts[OP_N] = { 0 }, hows[H_N] = { 0 };
	int opt, k, clones = 1, dirfd;
	struct io_ctx c;
	struct model m;
	FILE *rec;
	struct op o;

	rng = 1;
	while ((opt = getopt(argc, argv, "s:n:l:m:CU")) != -1) {
		switch (opt) {
		case 's': rng = strtoull(optarg, NULL, 0) * 0x9E3779B97F4A7C15ULL | 1; break;
		case 'n': nops = strtoul(optarg, NULL, 0); break;
		case 'l': dmname = optarg; break;
		case 'm': modefile = optarg; break;
		case 'C': clones = 0; break;
		case 'U': unsafe = 1; break;
		default: return 2;
		}
	}
	if (optind != argc - 2 || nops < NF)
		return 2;
	rec = fopen(argv[optind], "w");
	if (!rec)
		die("%s: %s", argv[optind], strerror(errno));
	dirfd = open(argv[optind + 1], O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		die("%s: %s", argv[optind + 1], strerror(errno));
	model_init(&m);
	c.buf = xalloc(MAXW);
	c.aio = 0;
	if (io_uring_queue_init(4, &c.ring, 0) || io_setup(4, &c.aio))
		die("io_uring or libaio setup failed");
	for (k = 0; k < (int)nops; k++) {
		gen_op(&m, &o, k, clones);
		o.mode = modes[rnd(10) < 6 ? 0 : rnd(4) ? 1 : 2];
		print_op(rec, &o, k);
		fflush(rec);
		if (modefile && o.mode != cur_mode) {
			FILE *mf = fopen(modefile, "w");

			if (!mf || fputs(o.mode, mf) < 0 || fclose(mf))
				die("setting mode %s in %s: %s", o.mode, modefile, strerror(errno));
			cur_mode = o.mode;
		}
		run_op(&c, argv[optind + 1], dirfd, &o, k);
		model_apply(&m, &o, k);
		if (dmname)
			dm_mark(dmname, k);
		counts[o.type]++;
		if (o.type == OP_WRITE)
			hows[o.how]++;
	}
	fclose(rec);
	if (compare_files(argv[optind + 1], &m, &m, xalloc(MAXSZ), "after the workload"))
		return 1;
	printf("%lu ops:", nops);
	for (k = 0; k < OP_N; k++)
		printf(" %s %lu", op_names[k], counts[k]);
	printf("; writes:");
	for (k = 0; k < H_N; k++)
		printf(" %s %lu", how_names[k], hows[k]);
	printf("\n");
	return 0;
}

/* ---- the checker ---- */

/* Who wrote the byte at pos: a whole stamped word names its op. */
static void describe(char *out, size_t sz, const unsigned char *d, unsigned long long pos)
{
	unsigned long long a = pos & ~7ULL;
	uint64_t w = 0;
	int i;

	for (i = 7; i >= 0; i--)
		w = w << 8 | d[a + i];
	if (w >> 56 == 0xC5 && (uint32_t)w == (uint32_t)~(a >> 3))
		snprintf(out, sz, "op %llu's data", (unsigned long long)(w >> 32 & 0xffffff));
	else if (!w)
		snprintf(out, sz, "zeros");
	else if (w == FILL_WORD)
		snprintf(out, sz, "the replay's fill (a block not yet written)");
	else
		snprintf(out, sz, "byte %02x (word %016llx)", d[pos], (unsigned long long)w);
}

static int compare_files(const char *dir, const struct model *old, const struct model *nw,
			 unsigned char *buf, const char *when)
{
	int i, bad = 0;

	for (i = 0; i < NF; i++) {
		const struct mfile *o = &old->f[i], *n = &nw->f[i];
		unsigned long long lo = min_ull(o->size, n->size), hi = max_ull(o->size, n->size);
		unsigned long long size, p;
		char path[4096], got[64], w1[64], w2[64];
		struct stat st;
		ssize_t r;
		int fd;

		fpath(path, sizeof(path), dir, i);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			if (errno == ENOENT && !o->exists)
				continue;
			fprintf(stderr, "crash_wl: %s: f%d: %s\n", when, i, strerror(errno));
			bad++;
			continue;
		}
		if (!o->exists && !n->exists) {
			fprintf(stderr, "crash_wl: %s: f%d exists too early\n", when, i);
			bad++;
			close(fd);
			continue;
		}
		if (!o->exists)
			lo = 0;
		if (fstat(fd, &st) || (unsigned long long)st.st_size < lo ||
		    (unsigned long long)st.st_size > hi) {
			if (lo == hi)
				fprintf(stderr, "crash_wl: %s: f%d has %lld bytes, want %llu\n",
					when, i, (long long)st.st_size, lo);
			else
				fprintf(stderr, "crash_wl: %s: f%d has %lld bytes, want %llu-%llu\n",
					when, i, (long long)st.st_size, lo, hi);
			bad++;
			close(fd);
			continue;
		}
		size = st.st_size;
		r = size ? pread(fd, buf, size, 0) : 0;
		close(fd);
		if (r != (ssize_t)size) {
			fprintf(stderr, "crash_wl: %s: f%d: read %zd of %llu: %s\n", when, i, r,
				size, strerror(errno));
			bad++;
			continue;
		}
		for (p = 0; p < size; p++) {
			unsigned long long e;

			if (buf[p] == o->d[p] || buf[p] == n->d[p])
				continue;
			for (e = p; e < size && buf[e] != o->d[e] && buf[e] != n->d[e]; e++)
				;
			describe(got, sizeof(got), buf, p);
			describe(w1, sizeof(w1), o->d, p);
			describe(w2, sizeof(w2), n->d, p);
			fprintf(stderr, "crash_wl: %s: f%d bytes %llu-%llu (of %llu): found %s, want %s%s%s\n",
				when, i, p, e - 1, size, got, w1,
				strcmp(w1, w2) ? " or " : "", strcmp(w1, w2) ? w2 : "");
			bad++;
			break;
		}
	}
	return bad;
}

static int dir_extras(const char *dir, const char *when)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int bad = 0;

	if (!d) {
		fprintf(stderr, "crash_wl: %s: %s: %s\n", when, dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strlen(de->d_name) == 2 && de->d_name[0] == 'f' &&
		    de->d_name[1] >= '0' && de->d_name[1] < '0' + NF)
			continue;
		fprintf(stderr, "crash_wl: %s: unexpected %s/%s\n", when, dir, de->d_name);
		bad++;
	}
	closedir(d);
	return bad;
}

static int cmd_check(int argc, char **argv)
{
	struct op *ops = NULL;
	struct model cur, nx;
	unsigned char *buf, *scratch;
	char line[512], mark[256], when[512], order[320];
	int nops = 0, k = -1, next = 0, ended = 0, failed = 0;
	FILE *rec;

	if (argc != 3)
		return 2;
	rec = fopen(argv[1], "r");
	if (!rec)
		die("%s: %s", argv[1], strerror(errno));
	while (fgets(line, sizeof(line), rec)) {
		ops = realloc(ops, (nops + 1) * sizeof(*ops));
		if (!ops || parse_op(line, &ops[nops], nops))
			die("%s: bad line %d: %s", argv[1], nops + 1, line);
		nops++;
	}
	fclose(rec);
	model_init(&cur);
	buf = xalloc(MAXSZ);
	scratch = xalloc(MAXSZ);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		unsigned long long point;
		int exact, want, bad;
		const struct op *o = NULL;

		if (sscanf(line, "check %llu %255s %d", &point, mark, &exact) != 3) {
			printf("bad request %s", line);
			failed = 1;
			continue;
		}
		order[0] = 0;
		if (!strcmp(mark, "-") || !strcmp(mark, "mkfs")) {
			want = -1;
		} else if (!strcmp(mark, END_MARK)) {
			want = nops - 1;
		} else if (sscanf(mark, "op%d", &want) != 1 || want < 0 || want >= nops) {
			printf("unknown mark %s\n", mark);
			failed = 1;
			continue;
		}
		if (want < k) {
			printf("mark %s goes back from op%d\n", mark, k);
			failed = 1;
			continue;
		}
		/* Each mark in turn, checked at the mark itself; the end last. */
		if (ended) {
			snprintf(order, sizeof(order), "a check after the end of the log");
		} else if (!strcmp(mark, END_MARK)) {
			if (next < nops || !exact)
				snprintf(order, sizeof(order),
					 "the log ends before a check at mark op%d", next);
			else
				ended = 1;
		} else if (want >= 0) {
			if (want > next || (want == next && !exact))
				snprintf(order, sizeof(order), "no check at mark op%d itself", next);
			else if (want == next)
				next++;
			else if (exact)
				snprintf(order, sizeof(order), "mark %s twice", mark);
		}
		for (; k < want; k++)
			model_apply(&cur, &ops[k + 1], k + 1);
		/* The op in flight changes one file: copy that one only. */
		nx = cur;
		if (!exact && k + 1 < nops) {
			o = &ops[k + 1];
			memcpy(scratch, cur.f[o->file].d, MAXSZ);
			nx.f[o->file].d = scratch;
			model_apply(&nx, o, k + 1);
		}
		snprintf(when, sizeof(when), "point %llu after mark %s%s%s", point, mark,
			 o ? ", in flight: " : "", o ? op_names[o->type] : "");
		bad = compare_files(argv[2], &cur, o ? &nx : &cur, buf, when);
		bad += dir_extras(argv[2], when);
		if (order[0]) {
			fprintf(stderr, "crash_wl: %s: %s\n", when, order);
			bad++;
		}
		if (bad) {
			if (o) {
				fprintf(stderr, "crash_wl: op in flight: ");
				print_op(stderr, o, k + 1);
			}
			printf("fail: %d mismatches after op%d\n", bad, k);
			failed = 1;
		} else {
			printf("ok op%d\n", k);
		}
	}
	/* After a failure the walk stops early: that says nothing new. */
	if (!failed && next < nops)
		fprintf(stderr, "crash_wl: no check at mark op%d (of %d ops): the log or the walk "
			"is incomplete, or the walk ran without -M\n", next, nops);
	else if (!failed && !ended)
		fprintf(stderr, "crash_wl: no check at the end of the log (mark %s)\n", END_MARK);
	return failed || next < nops || !ended;
}

int main(int argc, char **argv)
{
	int ret = 2;

	if (argc >= 2 && !strcmp(argv[1], "run"))
		ret = cmd_run(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "check"))
		ret = cmd_check(argc - 1, argv + 1);
	if (ret == 2)
		fprintf(stderr,
			"usage: crash_wl run [-s SEED] [-n OPS] [-l DMNAME] [-m MODEFILE] [-C] [-U]\n"
			"                    RECORD DIR\n"
			"       crash_wl check RECORD DIR\n");
	return ret;
}
