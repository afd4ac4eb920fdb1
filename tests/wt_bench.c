// SPDX-License-Identifier: GPL-2.0
/*
 * wt_bench: the benchmark cases fio cannot express, with fio's measures.
 *
 *   wt_bench -m atomic|plain|doublewrite [-D] [-e psync|uring] [-q QD]
 *	      [-t THREADS] [-r RAMP] [-s SECONDS] [-b BS] [-w DWFILE] FILE
 *
 *   atomic	 pwritev2(RWF_ATOMIC | RWF_DSYNC) of one block, buffered
 *		 (xfs_wt) or with -D O_DIRECT (stock 7.x)
 *   plain	 the same with RWF_DSYNC alone
 *   doublewrite what databases do without atomic writes: the page goes to
 *		 a slot of DWFILE, fdatasync, then in place, fdatasync; with
 *		 io_uring the four steps are one linked chain per page
 *
 * Pages go to random block-aligned offsets inside FILE's size; psync runs
 * THREADS threads at queue depth 1, uring one thread keeping QD pages in
 * flight. After RAMP seconds the measurement runs SECONDS seconds and one
 * JSON object goes to stdout: pages per second, per-page latency (mean and
 * fio's percentile list), and CPU time over the window, from /proc/stat
 * (the whole guest, so completion work in kworkers counts too) and from
 * getrusage (this process, io_uring workers included).
 *
 *   wt_bench snap DIR [STATS]
 *
 * fio's exec_postrun for tests/bench/run-bench: first the guest's CPU line
 * of /proc/stat, then the io_uring workers of the fio job that ran it, and a
 * copy of xfs_wt's STATS, to DIR/post.PID.{stat,iowq,xwt}. A program, not
 * a script: the window it closes must not include a shell's start.
 *
 *   wt_bench sample FILE
 *
 * Every 50 ms, "EPOCH BUSY" (seconds, busy jiffies of the whole guest) to
 * FILE, until killed: the start of a measured window (after fio's ramp) is
 * read from it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "xfs_wt.h"

enum { M_ATOMIC, M_PLAIN, M_DOUBLEWRITE };
enum { PH_RAMP, PH_MEASURE, PH_STOP };

/* A slot per in-flight page in the doublewrite area: at most this many. */
#define DW_SLOTS	256
#define MAX_LAT		(1u << 22)

static int mode = M_ATOMIC, direct, uring, qd = 1, nthreads = 1;
static unsigned int bs = 4096, ramp = 1, seconds = 3;
static int fd, dwfd = -1;
static uint64_t nblocks;
static int phase;
#define PHASE()		__atomic_load_n(&phase, __ATOMIC_ACQUIRE)
#define SET_PHASE(p)	__atomic_store_n(&phase, (p), __ATOMIC_RELEASE)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
static int iowq_workers;

struct worker {
	pthread_t tid;
	unsigned int id;
	uint64_t rnd;
	unsigned char *buf;
	double *lat;		/* microseconds, completions in the window */
	size_t nlat;
	int err;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static uint64_t next_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void record(struct worker *w, double us)
{
	if (PHASE() == PH_MEASURE && w->nlat < MAX_LAT)
		w->lat[w->nlat++] = us;
}

static int write_flags(void)
{
	return RWF_DSYNC | (mode == M_ATOMIC ? RWF_ATOMIC : 0);
}

static int full_pwrite(int f, const void *b, off_t off, int flags)
{
	struct iovec iov = { .iov_base = (void *)b, .iov_len = bs };
	ssize_t r = pwritev2(f, &iov, 1, off, flags);

	if (r == (ssize_t)bs)
		return 0;
	return r < 0 ? -errno : -EIO;
}

/* One page, synchronously; returns 0 or -errno. */
static int one_page(struct worker *w, unsigned int seq)
{
	off_t off = (off_t)(next_rnd(&w->rnd) % nblocks) * bs;
	int ret;

	w->buf[seq % bs] ^= 1;
	if (mode != M_DOUBLEWRITE)
		return full_pwrite(fd, w->buf, off, write_flags());
	ret = full_pwrite(dwfd, w->buf, (off_t)((w->id * 8 + seq % 8) % DW_SLOTS) * bs, 0);
	if (!ret && fdatasync(dwfd))
		ret = -errno;
	if (!ret)
		ret = full_pwrite(fd, w->buf, off, 0);
	if (!ret && fdatasync(fd))
		ret = -errno;
	return ret;
}

static void *psync_worker(void *arg)
{
	struct worker *w = arg;
	unsigned int seq = 0;

	while (PHASE() != PH_STOP) {
		double t = now_us();

		w->err = one_page(w, seq++);
		if (w->err)
			break;
		record(w, now_us() - t);
	}
	return NULL;
}

/* io_uring's io-wq workers in process PID: writes it could not do inline. */
static int count_iowq_of(int pid)
{
	char path[64], comm[32];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char cpath[128];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%.16s/comm", pid, de->d_name);
		f = fopen(cpath, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk-", 8))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* io_uring: QD pages in flight; a doublewrite page is a chain of four. */
struct page_io {
	double start;
	unsigned int steps, done;
	int slot;
};

static int queue_page(struct io_uring *ring, struct worker *w, struct page_io *p,
		      unsigned int seq)
{
	off_t off = (off_t)(next_rnd(&w->rnd) % nblocks) * bs;
	unsigned char *buf = w->buf + (size_t)p->slot * bs;
	struct io_uring_sqe *sqe;

	buf[seq % bs] ^= 1;
	p->start = now_us();
	p->done = 0;
	if (mode != M_DOUBLEWRITE) {
		p->steps = 1;
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_write(sqe, fd, buf, bs, off);
		sqe->rw_flags = write_flags();
		io_uring_sqe_set_data(sqe, p);
		return 0;
	}
	p->steps = 4;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_write(sqe, dwfd, buf, bs, (off_t)p->slot * bs);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data(sqe, p);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_fsync(sqe, dwfd, IORING_FSYNC_DATASYNC);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data(sqe, p);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_write(sqe, fd, buf, bs, off);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data(sqe, p);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data(sqe, p);
	return 0;
}

static void *uring_worker(void *arg)
{
	struct worker *w = arg;
	struct page_io *pages;
	struct io_uring ring;
	unsigned int seq = 0, inflight = 0;
	int i, ret;

	pages = calloc(qd, sizeof(*pages));
	ret = io_uring_queue_init(qd * 4, &ring, 0);
	if (!pages || ret) {
		w->err = ret ? ret : -ENOMEM;
		free(pages);
		return NULL;
	}
	for (i = 0; i < qd; i++) {
		pages[i].slot = i;
		queue_page(&ring, w, &pages[i], seq++);
		inflight++;
	}
	io_uring_submit(&ring);
	while (inflight) {
		struct io_uring_cqe *cqe;
		struct page_io *p;

		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret) {
			w->err = ret;
			break;
		}
		p = io_uring_cqe_get_data(cqe);
		if (cqe->res < 0 && !w->err)
			w->err = cqe->res;
		else if (cqe->res >= 0 && cqe->res != (int)bs && p->steps == 1 && !w->err)
			w->err = -EIO;
		io_uring_cqe_seen(&ring, cqe);
		if (++p->done < p->steps)
			continue;
		inflight--;
		record(w, now_us() - p->start);
		if (PHASE() == PH_STOP || w->err)
			continue;
		queue_page(&ring, w, p, seq++);
		inflight++;
		io_uring_submit(&ring);
	}
	iowq_workers = count_iowq_of(getpid());
	io_uring_queue_exit(&ring);
	free(pages);
	return NULL;
}

/* Busy and total jiffies of the whole guest, from /proc/stat's cpu line. */
struct cpu_snap {
	unsigned long long usr, sys, irq, busy;
	struct rusage ru;
};

static void cpu_snap(struct cpu_snap *s)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	memset(s, 0, sizeof(*s));
	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
			   &v[8], &v[9]) < 8)
			memset(v, 0, sizeof(v));
		fclose(f);
	}
	/* user nice system idle iowait irq softirq steal: idle and iowait are not work. */
	s->usr = v[0] + v[1];
	s->sys = v[2];
	s->irq = v[5] + v[6];
	s->busy = s->usr + s->sys + s->irq + v[7];
	getrusage(RUSAGE_SELF, &s->ru);
}

static double tv_s(const struct timeval *a, const struct timeval *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_usec - a->tv_usec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int prepare_dw(const char *path)
{
	unsigned char *z;
	struct stat st;
	int i;

	dwfd = open(path, O_RDWR | O_CREAT | (direct ? O_DIRECT : 0), 0644);
	if (dwfd < 0 || fstat(dwfd, &st))
		return -errno;
	if (st.st_size >= (off_t)DW_SLOTS * bs)
		return 0;
	/* A written area, as a database's: the slots are overwrites. */
	if (posix_memalign((void **)&z, 4096, bs))
		return -ENOMEM;
	memset(z, 0, bs);
	for (i = 0; i < DW_SLOTS; i++)
		if (full_pwrite(dwfd, z, (off_t)i * bs, 0))
			return -EIO;
	free(z);
	return fsync(dwfd) ? -errno : 0;
}

/* PID's parent, from /proc/PID/stat ("pid (comm) state ppid ..."). */
static int parent_of(int pid, char *comm, size_t len)
{
	char path[64], buf[512], *p;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		if (p && sscanf(p + 1, " %*c %d", &ppid) != 1)
			ppid = 0;
		p = strchr(buf, '(');
		if (p) {
			snprintf(comm, len, "%s", p + 1);
			p = strrchr(comm, ')');
			if (p)
				*p = 0;
		}
	}
	fclose(f);
	return ppid;
}

static int snap_main(int argc, char **argv)
{
	char line[512] = "", comm[64] = "", path[4096], buf[8192];
	int pid = getppid(), p, ppid;
	struct timespec ts;
	FILE *f, *o;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	f = fopen("/proc/stat", "r");
	if (!f || !fgets(line, sizeof(line), f))
		return 1;
	fclose(f);
	if (argc < 3)
		return 2;
	/* The fio job process: the nearest ancestor called fio. */
	for (p = pid; p > 1; p = ppid) {
		ppid = parent_of(p, comm, sizeof(comm));
		if (!strcmp(comm, "fio")) {
			pid = p;
			break;
		}
	}
	snprintf(path, sizeof(path), "%s/post.%d.stat", argv[2], pid);
	o = fopen(path, "w");
	if (!o)
		return 1;
	fprintf(o, "%lld.%06ld %s", (long long)ts.tv_sec, ts.tv_nsec / 1000, line);
	fclose(o);
	snprintf(path, sizeof(path), "%s/post.%d.iowq", argv[2], pid);
	o = fopen(path, "w");
	if (!o)
		return 1;
	fprintf(o, "%d\n", count_iowq_of(pid));
	fclose(o);
	if (argc < 4)
		return 0;
	f = fopen(argv[3], "r");
	if (!f)
		return 0;
	snprintf(path, sizeof(path), "%s/post.%d.xwt", argv[2], pid);
	o = fopen(path, "w");
	while (o && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, o);
	fclose(f);
	if (o)
		fclose(o);
	return 0;
}

static unsigned long long busy_jiffies(const char *line)
{
	unsigned long long v[8] = { 0 };

	if (sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8)
		return 0;
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

static int sample_main(char *path)
{
	struct timespec ts, tick = { .tv_nsec = 50 * 1000 * 1000 };
	FILE *o = fopen(path, "w");
	char line[512];

	if (!o)
		return 1;
	for (;;) {
		FILE *f = fopen("/proc/stat", "r");

		clock_gettime(CLOCK_REALTIME, &ts);
		if (f && fgets(line, sizeof(line), f)) {
			fprintf(o, "%lld.%06ld %llu\n", (long long)ts.tv_sec, ts.tv_nsec / 1000,
				busy_jiffies(line));
			fflush(o);
		}
		if (f)
			fclose(f);
		nanosleep(&tick, NULL);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: wt_bench -m atomic|plain|doublewrite [-D] [-e psync|uring] [-q QD]\n"
			"		[-t THREADS] [-r RAMP] [-s SECONDS] [-b BS] [-w DWFILE] FILE\n"
			"       wt_bench snap DIR [STATS]\n"
			"       wt_bench sample FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const double pct[] = { 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95,
				      99, 99.5, 99.9, 99.95, 99.99 };
	const char *dwpath = NULL, *mname = "atomic";
	struct cpu_snap c0, c1;
	struct worker *w;
	size_t nlat = 0, k;
	double *lat, sum = 0, secs, t0;
	long hz = sysconf(_SC_CLK_TCK);
	struct stat st;
	unsigned int i;
	int opt, err = 0;

	if (argc > 1 && !strcmp(argv[1], "snap"))
		return snap_main(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "sample"))
		return sample_main(argv[2]);
	while ((opt = getopt(argc, argv, "m:De:q:t:r:s:b:w:")) != -1) {
		switch (opt) {
		case 'm':
			mname = optarg;
			if (!strcmp(optarg, "atomic"))
				mode = M_ATOMIC;
			else if (!strcmp(optarg, "plain"))
				mode = M_PLAIN;
			else if (!strcmp(optarg, "doublewrite"))
				mode = M_DOUBLEWRITE;
			else
				usage();
			break;
		case 'D':
			direct = 1;
			break;
		case 'e':
			if (!strcmp(optarg, "uring"))
				uring = 1;
			else if (strcmp(optarg, "psync"))
				usage();
			break;
		case 'q':
			qd = atoi(optarg);
			break;
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'r':
			ramp = atoi(optarg);
			break;
		case 's':
			seconds = atoi(optarg);
			break;
		case 'b':
			bs = atoi(optarg);
			break;
		case 'w':
			dwpath = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || qd < 1 || qd > DW_SLOTS || nthreads < 1 ||
	    nthreads * 8 > DW_SLOTS || !bs || bs % 512 || !seconds ||
	    (mode == M_DOUBLEWRITE && !dwpath) || (uring && nthreads != 1))
		usage();
	if (hz <= 0)
		hz = 100;

	fd = open(argv[optind], O_RDWR | (direct ? O_DIRECT : 0));
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[optind]);
		return 1;
	}
	nblocks = st.st_size / bs;
	if (!nblocks) {
		fprintf(stderr, "wt_bench: %s is smaller than one block\n", argv[optind]);
		return 1;
	}
	if (dwpath) {
		err = prepare_dw(dwpath);
		if (err) {
			fprintf(stderr, "wt_bench: %s: %s\n", dwpath, strerror(-err));
			return 1;
		}
	}

	w = calloc(nthreads, sizeof(*w));
	if (!w)
		return 1;
	for (i = 0; i < (unsigned int)nthreads; i++) {
		w[i].id = i;
		w[i].rnd = 0x9e3779b97f4a7c15ULL * (i + 1) ^ (uint64_t)now_us();
		w[i].lat = malloc(MAX_LAT * sizeof(double));
		if (!w[i].lat || posix_memalign((void **)&w[i].buf, 4096, (size_t)bs * qd))
			return 1;
		memset(w[i].buf, 0x5a + i, (size_t)bs * qd);
		if (pthread_create(&w[i].tid, NULL, uring ? uring_worker : psync_worker, &w[i]))
			return 1;
	}
	sleep(ramp);
	cpu_snap(&c0);
	t0 = now_us();
	SET_PHASE(PH_MEASURE);
	nanosleep(&(struct timespec){ .tv_sec = seconds }, NULL);
	SET_PHASE(PH_STOP);
	secs = (now_us() - t0) / 1e6;
	cpu_snap(&c1);
	for (i = 0; i < (unsigned int)nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].err && !err)
			err = w[i].err;
		nlat += w[i].nlat;
	}
	if (err) {
		fprintf(stderr, "wt_bench: %s%s: %s\n", mname, direct ? " O_DIRECT" : "",
			strerror(-err));
		return 1;
	}
	lat = malloc((nlat + 1) * sizeof(double));
	if (!lat)
		return 1;
	for (nlat = 0, i = 0; i < (unsigned int)nthreads; i++)
		for (k = 0; k < w[i].nlat; k++) {
			lat[nlat++] = w[i].lat[k];
			sum += w[i].lat[k];
		}
	qsort(lat, nlat, sizeof(double), cmp_double);

	printf("{\"mode\": \"%s\", \"direct\": %d, \"engine\": \"%s\", \"qd\": %d, "
	       "\"threads\": %d, \"bs\": %u, \"pages\": %zu, \"writes\": %zu, "
	       "\"seconds\": %.3f, \"iops\": %.1f,\n",
	       mname, direct, uring ? "uring" : "psync", qd, nthreads, bs, nlat,
	       nlat * (mode == M_DOUBLEWRITE ? 2 : 1), secs, nlat / secs);
	printf(" \"lat_us\": {\"mean\": %.1f, \"max\": %.1f, \"percentile\": {",
	       nlat ? sum / nlat : 0.0, nlat ? lat[nlat - 1] : 0.0);
	for (k = 0; k < ARRAY_SIZE(pct); k++) {
		size_t at = nlat ? (size_t)(pct[k] / 100 * (nlat - 1) + 0.5) : 0;

		printf("%s\"%g\": %.1f", k ? ", " : "", pct[k], nlat ? lat[at] : 0.0);
	}
	printf("}},\n \"iowq_workers\": %d, \"cpu\": {\"busy_s\": %.3f, \"usr_s\": %.3f, \"sys_s\": %.3f, "
	       "\"irq_s\": %.3f, \"proc_usr_s\": %.3f, \"proc_sys_s\": %.3f}}\n",
	       iowq_workers, (double)(c1.busy - c0.busy) / hz, (double)(c1.usr - c0.usr) / hz,
	       (double)(c1.sys - c0.sys) / hz, (double)(c1.irq - c0.irq) / hz,
	       tv_s(&c0.ru.ru_utime, &c1.ru.ru_utime), tv_s(&c0.ru.ru_stime, &c1.ru.ru_stime));
	return 0;
}
