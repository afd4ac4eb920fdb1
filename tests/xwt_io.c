// SPDX-License-Identifier: GPL-2.0
/*
 * xwt_io: write or verify a deterministic pattern, with the flags a test
 * names, so that shell tests can drive every kind of write and check what
 * reached the disk.
 *
 *   xwt_io write  [-f FLAGS] [-o OFF] [-s SIZE] [-n COUNT] [-S SEED] FILE
 *   xwt_io verify [-o OFF] [-s SIZE] [-n COUNT] [-S SEED] FILE
 *
 * FLAGS is a comma list of: plain, odsync, osync, rwf_dsync, rwf_sync,
 * atomic, direct, append, trunc, and uring_fpos: each write goes through
 * io_uring at offset -1 (the file position, set to OFF first) and is waited
 * for before the next, and the file position must end at OFF + COUNT * SIZE.
 * Each of COUNT writes is SIZE bytes, the i-th at OFF + i * SIZE. The byte at
 * file offset p is a function of SEED and p alone, so any range can be
 * verified on its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "xfs_wt.h"

static unsigned char pattern_byte(uint64_t seed, uint64_t pos)
{
	uint64_t x = (pos >> 3) * 0x9E3779B97F4A7C15ULL ^ seed * 0xBF58476D1CE4E5B9ULL;

	x ^= x >> 31;
	x *= 0x94D049BB133111EBULL;
	x ^= x >> 29;
	return (unsigned char)(x >> ((pos & 7) * 8));
}

static void fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t pos)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(seed, pos + i);
}

static int uring_fpos;

/* One write at the file position through io_uring, waited for. */
static ssize_t uring_write(struct io_uring *ring, int fd, struct iovec *iov, int rwf)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	io_uring_prep_writev(sqe, fd, iov, 1, -1);
	sqe->rw_flags = rwf;
	ret = io_uring_submit_and_wait(ring, 1);
	if (ret < 0 || io_uring_peek_cqe(ring, &cqe)) {
		errno = ret < 0 ? -ret : EIO;
		return -1;
	}
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

static int parse_flags(const char *s, int *oflags, int *rwf)
{
	char *dup = strdup(s), *tok, *save = NULL;

	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "plain"))
			;
		else if (!strcmp(tok, "odsync"))
			*oflags |= O_DSYNC;
		else if (!strcmp(tok, "osync"))
			*oflags |= O_SYNC;
		else if (!strcmp(tok, "direct"))
			*oflags |= O_DIRECT;
		else if (!strcmp(tok, "append"))
			*oflags |= O_APPEND;
		else if (!strcmp(tok, "trunc"))
			*oflags |= O_TRUNC;
		else if (!strcmp(tok, "rwf_dsync"))
			*rwf |= RWF_DSYNC;
		else if (!strcmp(tok, "rwf_sync"))
			*rwf |= RWF_SYNC;
		else if (!strcmp(tok, "atomic"))
			*rwf |= RWF_ATOMIC;
		else if (!strcmp(tok, "uring_fpos"))
			uring_fpos = 1;
		else {
			fprintf(stderr, "xwt_io: unknown flag %s\n", tok);
			free(dup);
			return -1;
		}
	}
	free(dup);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long off = 0, size = 4096, count = 1, seed = 1, i;
	const char *flags = "plain";
	int oflags = 0, rwf = 0, opt, fd, verify;
	unsigned char *buf, *want;
	struct io_uring ring;
	off_t fpos;

	if (argc < 2)
		goto usage;
	verify = !strcmp(argv[1], "verify");
	if (!verify && strcmp(argv[1], "write"))
		goto usage;
	optind = 2;
	while ((opt = getopt(argc, argv, "f:o:s:n:S:")) != -1) {
		switch (opt) {
		case 'f': flags = optarg; break;
		case 'o': off = strtoull(optarg, NULL, 0); break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || parse_flags(flags, &oflags, &rwf))
		goto usage;

	if (posix_memalign((void **)&buf, 4096, size ? size : 1) ||
	    posix_memalign((void **)&want, 4096, size ? size : 1))
		return 2;

	fd = open(argv[optind], verify ? O_RDONLY : (O_WRONLY | O_CREAT | oflags), 0644);
	if (fd < 0) {
		fprintf(stderr, "xwt_io: open %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if (!verify && uring_fpos &&
	    (io_uring_queue_init(4, &ring, 0) || lseek(fd, off, SEEK_SET) != (off_t)off)) {
		fprintf(stderr, "xwt_io: io_uring setup or seek failed\n");
		return 1;
	}
	for (i = 0; i < count; i++) {
		unsigned long long pos = off + i * size;
		struct iovec iov;
		ssize_t ret;

		if (verify) {
			ret = pread(fd, buf, size, pos);
			fill(want, size, seed, pos);
			if (ret != (ssize_t)size || memcmp(buf, want, size)) {
				fprintf(stderr, "xwt_io: mismatch in [%llu, +%llu) (read %zd)\n",
					pos, size, ret);
				return 1;
			}
			continue;
		}
		fill(buf, size, seed, pos);
		iov.iov_base = buf;
		iov.iov_len = size;
		if (uring_fpos)
			ret = uring_write(&ring, fd, &iov, rwf);
		else
			ret = pwritev2(fd, &iov, 1, (oflags & O_APPEND) ? -1 : (off_t)pos, rwf);
		if (ret != (ssize_t)size) {
			fprintf(stderr, "xwt_io: write %llu at %llu: %zd (%s)\n",
				size, pos, ret, ret < 0 ? strerror(errno) : "short");
			return 1;
		}
	}
	if (!verify && uring_fpos) {
		fpos = lseek(fd, 0, SEEK_CUR);
		if (fpos != (off_t)(off + count * size)) {
			fprintf(stderr, "xwt_io: file position %lld after the writes, not %llu\n",
				(long long)fpos, off + count * size);
			return 1;
		}
		io_uring_queue_exit(&ring);
	}
	close(fd);
	return 0;

usage:
	fprintf(stderr, "usage: xwt_io write|verify [-f FLAGS] [-o OFF] [-s SIZE] [-n COUNT] [-S SEED] FILE\n");
	return 2;
}
