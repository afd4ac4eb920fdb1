// SPDX-License-Identifier: GPL-2.0
/*
 * stock_answers: a fixed battery of writes, good and bad, whose every result
 * (return value, errno, file size, final content) is printed one per line.
 * Run once on a stock kernel and once with xfs_wt loaded: the two outputs
 * must be identical.
 *
 *   stock_answers DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "xfs_wt.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT	0x00000008
#endif

static char dir[PATH_MAX];
static unsigned char *buf;

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EFAULT: return "EFAULT";
	case EFBIG: return "EFBIG";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAGAIN: return "EAGAIN";
	case EPERM: return "EPERM";
	case ENOSPC: return "ENOSPC";
	case EIO: return "EIO";
	default: return strerror(e);
	}
}

static int open_file(const char *name, int flags)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, flags | O_CREAT, 0644);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	return fd;
}

static void report(const char *name, int fd, ssize_t ret)
{
	int e = ret < 0 ? errno : 0;
	struct stat st;

	if (fstat(fd, &st))
		st.st_size = -1;
	printf("%-24s ret=%zd errno=%s size=%lld\n", name, ret, errname(e),
	       (long long)st.st_size);
}

static ssize_t pw2(int fd, void *b, size_t len, off_t off, int flags)
{
	struct iovec iov = { .iov_base = b, .iov_len = len };

	return pwritev2(fd, &iov, 1, off, flags);
}

static uint64_t file_sum(const char *name, off_t *size)
{
	char path[PATH_MAX + 64];
	uint64_t h = 1469598103934665603ULL;
	unsigned char b[65536];
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	*size = 0;
	if (fd < 0)
		return 0;
	/* Sparse files: sum the data extents only, by seeking over holes. */
	for (off_t pos = 0;; ) {
		off_t d = lseek(fd, pos, SEEK_DATA);

		if (d < 0)
			break;
		n = pread(fd, b, sizeof(b), d);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			h = (h ^ b[i]) * 1099511628211ULL ^ (uint64_t)(d + i);
		pos = d + n;
	}
	*size = lseek(fd, 0, SEEK_END);
	close(fd);
	return h;
}

int main(int argc, char **argv)
{
	struct rlimit old, lim;
	struct iovec *iov;
	/* Hidden from the compiler, which refuses a literal NULL buffer. */
	void *volatile nullbuf = NULL;
	unsigned char *two;
	int fd, rfd, dfd, i, attr;

	if (argc != 2) {
		fprintf(stderr, "usage: stock_answers DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	if (posix_memalign((void **)&buf, 4096, 1 << 20))
		return 2;
	for (i = 0; i < 1 << 20; i++)
		buf[i] = (unsigned char)(i * 7 + 3);

	fd = open_file("plain", O_RDWR);
	report("plain_4k", fd, pwrite(fd, buf, 4096, 0));
	report("unaligned_small", fd, pwrite(fd, buf + 1, 100, 5000));
	report("efault_null", fd, pwrite(fd, nullbuf, 4096, 0));

	two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(two, 0x5a, 8192);
	munmap(two + 4096, 4096);
	report("efault_partial", fd, pwrite(fd, two, 8192, 8192));
	munmap(two, 4096);

	report("zero_len", fd, pwrite(fd, buf, 0, 0));
	report("efbig_maxbytes", fd, pwrite(fd, buf, 4096, LLONG_MAX));
	report("rwf_bad_flag", fd, pw2(fd, buf, 4096, 0, 0x10000000));
	report("odsync_via_rwf", fd, pw2(fd, buf, 4096, 16384, RWF_DSYNC));
	report("osync_via_rwf", fd, pw2(fd, buf, 4096, 20480, RWF_SYNC));
	/*
	 * Clean, written blocks, and a timestamp surely older than the clock's
	 * tick: the write must update it, which blocks, so a NOWAIT write gets
	 * -EAGAIN whatever the timing.
	 */
	fsync(fd);
	usleep(50000);
	report("nowait", fd, pw2(fd, buf, 4096, 0, RWF_NOWAIT));
	report("extend_far", fd, pwrite(fd, buf, 4096, 1LL << 30));
	report("truncate_back", fd, ftruncate(fd, 65536));

	getrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 1 << 20;
	setrlimit(RLIMIT_FSIZE, &lim);
	report("efbig_rlimit", fd, pwrite(fd, buf, 4096, 1 << 20));
	report("short_rlimit", fd, pwrite(fd, buf, 8192, (1 << 20) - 4096));
	setrlimit(RLIMIT_FSIZE, &old);

	iov = calloc(1025, sizeof(*iov));
	for (i = 0; i < 1025; i++) {
		iov[i].iov_base = buf + i * 5;
		iov[i].iov_len = 3;
	}
	report("many_iovecs", fd, pwritev(fd, iov, 1024, 70000));
	report("too_many_iovecs", fd, pwritev(fd, iov, 1025, 70000));
	close(fd);

	rfd = open_file("plain", O_RDONLY);
	report("ebadf_rdonly", rfd, pwrite(rfd, buf, 4096, 0));
	close(rfd);

	fd = open_file("dsync", O_RDWR | O_DSYNC);
	report("odsync_4k", fd, pwrite(fd, buf, 4096, 0));
	report("odsync_unaligned", fd, pwrite(fd, buf, 3000, 4097));
	report("odsync_extend", fd, pwrite(fd, buf, 65536, 1 << 20));
	close(fd);
	fd = open_file("sync", O_RDWR | O_SYNC);
	report("osync_4k", fd, pwrite(fd, buf, 4096, 0));
	close(fd);

	fd = open_file("append", O_RDWR | O_APPEND);
	for (i = 0; i < 3; i++)
		report("append_1000", fd, write(fd, buf + i, 1000));
	report("append_pwrite", fd, pwrite(fd, buf, 1000, 0));
	close(fd);

	fd = open_file("atomic", O_RDWR);
	report("atomic_buffered", fd, pw2(fd, buf, 4096, 0, RWF_ATOMIC));
	report("atomic_buffered_dsync", fd, pw2(fd, buf, 4096, 4096, RWF_ATOMIC | RWF_DSYNC));
	report("atomic_bad_len", fd, pw2(fd, buf, 1000, 0, RWF_ATOMIC));
	report("atomic_misaligned", fd, pw2(fd, buf, 4096, 512, RWF_ATOMIC));
	close(fd);

	dfd = open_file("direct", O_RDWR | O_DIRECT);
	report("direct_aligned", dfd, pwrite(dfd, buf, 4096, 40960));
	report("direct_unaligned", dfd, pwrite(dfd, buf, 512, 100));
	report("direct_atomic", dfd, pw2(dfd, buf, 4096, 0, RWF_ATOMIC));
	report("direct_dsync", dfd, pw2(dfd, buf, 8192, 8192, RWF_DSYNC));
	close(dfd);

	fd = open_file("appendonly", O_RDWR);
	report("appendonly_seed", fd, pwrite(fd, buf, 4096, 0));
	attr = FS_APPEND_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &attr))
		perror("FS_IOC_SETFLAGS");
	report("appendonly_pwrite", fd, pwrite(fd, buf, 4096, 0));
	close(fd);
	fd = open_file("appendonly", O_WRONLY | O_APPEND);
	report("appendonly_append", fd, write(fd, buf, 4096));
	attr = 0;
	ioctl(fd, FS_IOC_SETFLAGS, &attr);
	close(fd);

	sync();
	{
		static const char *const names[] = {
			"plain", "dsync", "sync", "append", "atomic", "direct", "appendonly",
		};
		off_t size;

		for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
			uint64_t h = file_sum(names[i], &size);

			printf("content %-12s size=%lld sum=%016llx\n", names[i],
			       (long long)size, (unsigned long long)h);
		}
	}
	return 0;
}
