// SPDX-License-Identifier: GPL-2.0
/*
 * stamp_io: many writers of stamped records, and the check that every
 * acknowledged record is on disk, whole, in its last generation.
 *
 * A record is RECSIZE bytes at offset rec * RECSIZE of one file. It carries
 * a stamp (file, record, generation, writer) and a checksum over all of it,
 * so a torn, stale, misplaced or lost record is found.
 *
 *   stamp_io write [-e psync|libaio|uring|mix] [-f plain|dsync|odsync|mix]
 *		    [-t THREADS] [-q QD] [-b RECSIZE] [-n RECS] [-F NFILES] [-o]
 *		    [-s SECONDS | -r ROUNDS] -a ACKFILE PATH
 *	THREADS threads write records with rising generations. With -F,
 *	PATH is a directory of NFILES files (PATH/s0000...), else one file.
 *	Records are shared round-robin between the threads (record g belongs
 *	to thread g % THREADS), or with -o each thread owns whole files. A
 *	record is never in flight twice, so its last acknowledged generation
 *	is the last one written. -r writes every record ROUNDS times in
 *	order; -s writes random records for SECONDS. With mix, thread t uses
 *	engine (t / 3) % 3 and flags t % 3. The last generation of every
 *	record goes to ACKFILE.
 *   stamp_io check [-b RECSIZE] [-n RECS] [-F NFILES] [-l] -a ACKFILE PATH
 *	every record holds exactly its acknowledged generation (with -l: at
 *	least it), and a record never written reads as zeros
 *   stamp_io orphan [-e libaio|uring] [-n RECS] [-b RECSIZE] [-g GEN]
 *		     [-U busy|lazy -M MNT [-R]] [-S STATS] [-w WAITFILE]
 *		     -m MARKER -a ACKFILE FILE
 *	submits RECS RWF_DSYNC writes of records 0..RECS-1 (generation GEN)
 *	at once, prints the inflight line of STATS (xfs_wt's) and closes the
 *	file. Then, at once (no exec in between):
 *	-U busy tries umount(MNT), -U lazy does umount(MNT, MNT_DETACH), -R
 *	then unloads xfs_wt; each answer is printed. Then creates MARKER.
 *	With -w it waits for WAITFILE to appear and reaps every completion;
 *	without, it exits at once and leaves the completions to the kernel. ACKFILE is written before the
 *	submission: nothing crashes, so every submitted write must land.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "xfs_wt.h"

#define MAGIC 0x5857545354414d50ULL	/* "XWTSTAMP" */

enum { E_PSYNC, E_LIBAIO, E_URING };
enum { F_PLAIN, F_DSYNC, F_ODSYNC };
static const char *const engine_names[] = { "psync", "libaio", "uring" };

struct stamp {
	uint64_t magic, file, rec, gen, writer, sum;
};

static unsigned long long recsize = 6000, nrecs = 64, nfiles;
static unsigned int nthreads = 4, qd = 4, seconds = 5, rounds, own_files;
static int engine_opt = E_PSYNC, flags_opt = F_DSYNC, engine_mix, flags_mix;
static const char *path;
static uint64_t *gens;		/* last acknowledged generation per record */
static volatile int failed;
static unsigned long long done_by_engine[3];
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned long long total_recs(void)
{
	return (nfiles ? nfiles : 1) * nrecs;
}

/* Eight bytes a step: the checks read every byte written, under TCG. */
static uint64_t sum_rec(const unsigned char *b)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned long long i;

	for (i = sizeof(struct stamp); i + 8 <= recsize; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < recsize; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static void stamp_rec(unsigned char *b, uint64_t g, uint64_t gen, uint64_t writer)
{
	struct stamp *s = (struct stamp *)b;
	uint64_t x = g * 0x9E3779B97F4A7C15ULL ^ gen * 0xBF58476D1CE4E5B9ULL;
	unsigned long long i;

	x |= 1;
	for (i = sizeof(*s); i < recsize; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(b + i, &x, recsize - i < 8 ? recsize - i : 8);
	}
	s->magic = MAGIC;
	s->file = g / nrecs;
	s->rec = g % nrecs;
	s->gen = gen;
	s->writer = writer;
	s->sum = sum_rec(b) ^ gen;
}

static int all_zero(const unsigned char *b)
{
	unsigned long long i;

	for (i = 0; i + 8 <= recsize; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		if (w)
			return 0;
	}
	for (; i < recsize; i++)
		if (b[i])
			return 0;
	return 1;
}

static void file_path(char *out, size_t len, unsigned long long file)
{
	if (nfiles)
		snprintf(out, len, "%s/s%04llu", path, file);
	else
		snprintf(out, len, "%s", path);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A thread's view: its files open with its flags, its records. */
struct worker {
	unsigned int id, engine, flags;
	int *fds;
	unsigned long long *mine, nmine, next;
	unsigned char *inflight;	/* per owned record */
	unsigned int seed;
	double deadline;
};

static int owner_of(unsigned long long g)
{
	return own_files ? (int)((g / nrecs) % nthreads) : (int)(g % nthreads);
}

/* The next record to write, or -1 when this worker is done. */
static long long pick(struct worker *w)
{
	unsigned int tries;

	if (!w->nmine)
		return -1;
	if (rounds) {
		if (w->next >= w->nmine * rounds)
			return -1;
		/* In order; with QD > 1 the record may still be in flight. */
		if (w->inflight[w->next % w->nmine])
			return -2;
		return w->next++ % w->nmine;
	}
	if (now() >= w->deadline || failed)
		return -1;
	for (tries = 0; tries < 64; tries++) {
		unsigned long long i = rand_r(&w->seed) % w->nmine;

		if (!w->inflight[i])
			return i;
	}
	return -2;
}

static void prepare(struct worker *w, unsigned long long i, unsigned char *buf,
		    int *fd, off_t *off, uint64_t *gen)
{
	unsigned long long g = w->mine[i];

	*gen = gens[g] + 1;
	stamp_rec(buf, g, *gen, w->id);
	*fd = w->fds[g / nrecs];
	*off = (off_t)((g % nrecs) * recsize);
	w->inflight[i] = 1;
}

static void acked(struct worker *w, unsigned long long i, uint64_t gen, long long res)
{
	unsigned long long g = w->mine[i];

	w->inflight[i] = 0;
	if (res != (long long)recsize) {
		fprintf(stderr, "stamp_io: %s writer %u, file %llu record %llu: %lld (%s)\n",
			engine_names[w->engine], w->id, g / nrecs, g % nrecs, res,
			res < 0 ? strerror((int)-res) : "short");
		failed = 1;
		return;
	}
	gens[g] = gen;
	pthread_mutex_lock(&done_lock);
	done_by_engine[w->engine]++;
	pthread_mutex_unlock(&done_lock);
}

/* Unaligned user buffers: a record spans one page more than it needs. */
static unsigned char *slot_buf(unsigned int slot)
{
	unsigned char *b;

	if (posix_memalign((void **)&b, 4096, recsize + 4096))
		return NULL;
	return recsize >= (1 << 20) ? b : b + (slot * 37 + 11) % 4000;
}

static int rwf_of(struct worker *w)
{
	return w->flags == F_DSYNC ? RWF_DSYNC : 0;
}

static void run_psync(struct worker *w)
{
	unsigned char *buf = slot_buf(w->id);
	long long i;

	while ((i = pick(w)) != -1) {
		struct iovec iov;
		uint64_t gen;
		off_t off;
		ssize_t r;
		int fd;

		if (i < 0)
			continue;
		prepare(w, i, buf, &fd, &off, &gen);
		iov.iov_base = buf;
		iov.iov_len = recsize;
		r = pwritev2(fd, &iov, 1, off, rwf_of(w));
		acked(w, i, gen, r < 0 ? -errno : r);
	}
}

struct slot {
	unsigned char *buf;
	long long idx;
	uint64_t gen;
	struct iocb cb;
};

static void run_libaio(struct worker *w)
{
	struct slot *s = calloc(qd, sizeof(*s));
	struct io_event ev[64];
	io_context_t ctx = 0;
	unsigned int n, busy = 0;
	int r, more = 1;

	if (io_setup(qd, &ctx)) {
		perror("io_setup");
		failed = 1;
		return;
	}
	for (n = 0; n < qd; n++) {
		s[n].buf = slot_buf(w->id * qd + n);
		s[n].idx = -1;
	}
	while (more || busy) {
		for (n = 0; more && n < qd; n++) {
			struct iocb *cbp = &s[n].cb;
			long long i;
			off_t off;
			int fd;

			if (s[n].idx >= 0)
				continue;
			i = pick(w);
			if (i == -1)
				more = 0;
			if (i < 0)
				break;
			prepare(w, i, s[n].buf, &fd, &off, &s[n].gen);
			io_prep_pwrite(cbp, fd, s[n].buf, recsize, off);
			cbp->aio_rw_flags = rwf_of(w);
			cbp->data = &s[n];
			s[n].idx = i;
			if (io_submit(ctx, 1, &cbp) != 1) {
				perror("io_submit");
				failed = 1;
				return;
			}
			busy++;
		}
		if (!busy)
			continue;
		r = io_getevents(ctx, 1, 64, ev, NULL);
		if (r < 0) {
			fprintf(stderr, "io_getevents: %s\n", strerror(-r));
			failed = 1;
			return;
		}
		for (n = 0; n < (unsigned int)r; n++) {
			struct slot *sl = ev[n].data;

			acked(w, sl->idx, sl->gen, (long)ev[n].res);
			sl->idx = -1;
			busy--;
		}
	}
	io_destroy(ctx);
}

static void run_uring(struct worker *w)
{
	struct slot *s = calloc(qd, sizeof(*s));
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	unsigned int n, busy = 0;
	int more = 1;

	if (io_uring_queue_init(qd, &ring, 0)) {
		perror("io_uring_queue_init");
		failed = 1;
		return;
	}
	for (n = 0; n < qd; n++) {
		s[n].buf = slot_buf(w->id * qd + n);
		s[n].idx = -1;
	}
	while (more || busy) {
		unsigned int queued = 0;

		for (n = 0; more && n < qd; n++) {
			struct io_uring_sqe *sqe;
			long long i;
			off_t off;
			int fd;

			if (s[n].idx >= 0)
				continue;
			i = pick(w);
			if (i == -1)
				more = 0;
			if (i < 0)
				break;
			prepare(w, i, s[n].buf, &fd, &off, &s[n].gen);
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_write(sqe, fd, s[n].buf, recsize, off);
			sqe->rw_flags = rwf_of(w);
			io_uring_sqe_set_data(sqe, &s[n]);
			s[n].idx = i;
			queued++;
		}
		if (queued && io_uring_submit(&ring) < 0) {
			fprintf(stderr, "io_uring_submit failed\n");
			failed = 1;
			return;
		}
		busy += queued;
		if (!busy)
			continue;
		if (io_uring_wait_cqe(&ring, &cqe)) {
			failed = 1;
			return;
		}
		do {
			struct slot *sl = io_uring_cqe_get_data(cqe);

			acked(w, sl->idx, sl->gen, cqe->res);
			sl->idx = -1;
			busy--;
			io_uring_cqe_seen(&ring, cqe);
		} while (io_uring_peek_cqe(&ring, &cqe) == 0);
	}
	io_uring_queue_exit(&ring);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	switch (w->engine) {
	case E_PSYNC: run_psync(w); break;
	case E_LIBAIO: run_libaio(w); break;
	default: run_uring(w); break;
	}
	return NULL;
}

static int parse_engine(const char *s)
{
	if (!strcmp(s, "mix")) {
		engine_mix = 1;
		return 0;
	}
	for (engine_opt = 0; engine_opt < 3; engine_opt++)
		if (!strcmp(s, engine_names[engine_opt]))
			return 0;
	return -1;
}

static int parse_flags(const char *s)
{
	if (!strcmp(s, "mix"))
		flags_mix = 1;
	else if (!strcmp(s, "plain"))
		flags_opt = F_PLAIN;
	else if (!strcmp(s, "dsync"))
		flags_opt = F_DSYNC;
	else if (!strcmp(s, "odsync"))
		flags_opt = F_ODSYNC;
	else
		return -1;
	return 0;
}

static int do_write(const char *ackfile)
{
	struct worker *w = calloc(nthreads, sizeof(*w));
	pthread_t *t = calloc(nthreads, sizeof(*t));
	unsigned long long g, f, nf = nfiles ? nfiles : 1;
	double start = now();
	unsigned int i;
	FILE *out;

	gens = calloc(total_recs(), sizeof(*gens));
	if (own_files && nf < nthreads) {
		fprintf(stderr, "stamp_io: -o needs at least as many files as threads\n");
		return 2;
	}
	for (i = 0; i < nthreads; i++) {
		w[i].id = i;
		w[i].engine = engine_mix ? (i / 3) % 3 : (unsigned int)engine_opt;
		w[i].flags = flags_mix ? i % 3 : (unsigned int)flags_opt;
		w[i].seed = i * 7919 + 1;
		w[i].deadline = start + seconds;
		w[i].fds = calloc(nf, sizeof(int));
		w[i].mine = calloc(total_recs(), sizeof(*w[i].mine));
		w[i].inflight = calloc(total_recs(), 1);
		for (f = 0; f < nf; f++) {
			char p[4096];

			w[i].fds[f] = -1;
			if (own_files && f % nthreads != i)
				continue;
			file_path(p, sizeof(p), f);
			w[i].fds[f] = open(p, O_WRONLY | O_CREAT |
					   (w[i].flags == F_ODSYNC ? O_DSYNC : 0), 0644);
			if (w[i].fds[f] < 0) {
				perror(p);
				return 2;
			}
		}
	}
	for (g = 0; g < total_recs(); g++) {
		struct worker *o = &w[owner_of(g)];

		o->mine[o->nmine++] = g;
	}
	for (i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);

	out = fopen(ackfile, "w");
	if (!out) {
		perror(ackfile);
		return 2;
	}
	for (g = 0; g < total_recs(); g++)
		if (gens[g])
			fprintf(out, "%llu %llu\n", g, (unsigned long long)gens[g]);
	fclose(out);
	printf("stamp_io: %llu writes (psync %llu, libaio %llu, io_uring %llu) by %u threads in %.1fs\n",
	       done_by_engine[0] + done_by_engine[1] + done_by_engine[2],
	       done_by_engine[0], done_by_engine[1], done_by_engine[2], nthreads,
	       now() - start);
	return failed ? 1 : 0;
}

static int load_acks(const char *ackfile)
{
	unsigned long long g, gen;
	FILE *in = fopen(ackfile, "r");

	gens = calloc(total_recs(), sizeof(*gens));
	if (!in) {
		perror(ackfile);
		return -1;
	}
	while (fscanf(in, "%llu %llu", &g, &gen) == 2)
		if (g < total_recs())
			gens[g] = gen;
	fclose(in);
	return 0;
}

static int do_check(const char *ackfile, int at_least)
{
	unsigned char *b = malloc(recsize);
	unsigned long long g, bad = 0, whole = 0, zero = 0;
	int fd = -1;

	if (load_acks(ackfile))
		return 2;
	for (g = 0; g < total_recs(); g++) {
		const struct stamp *s = (const struct stamp *)b;
		ssize_t r;

		if (g % nrecs == 0) {
			char p[4096];

			if (fd >= 0)
				close(fd);
			file_path(p, sizeof(p), g / nrecs);
			fd = open(p, O_RDONLY);
			if (fd < 0 && gens[g]) {
				perror(p);
				return 1;
			}
		}
		r = fd < 0 ? 0 : pread(fd, b, recsize, (off_t)((g % nrecs) * recsize));
		if (r < 0)
			r = 0;
		memset(b + r, 0, recsize - r);
		if (all_zero(b)) {
			zero++;
			if (!gens[g])
				continue;
			fprintf(stderr, "stamp_io: file %llu record %llu: zeros, acked gen %llu\n",
				g / nrecs, g % nrecs, (unsigned long long)gens[g]);
			bad++;
			continue;
		}
		if (s->magic != MAGIC || s->file != g / nrecs || s->rec != g % nrecs ||
		    s->sum != (sum_rec(b) ^ s->gen)) {
			fprintf(stderr, "stamp_io: file %llu record %llu: torn or foreign (gen %llu, acked %llu)\n",
				g / nrecs, g % nrecs, (unsigned long long)s->gen,
				(unsigned long long)gens[g]);
			bad++;
			continue;
		}
		whole++;
		if (s->gen == gens[g] || (at_least && s->gen > gens[g]))
			continue;
		fprintf(stderr, "stamp_io: file %llu record %llu: gen %llu, acked %llu\n",
			g / nrecs, g % nrecs, (unsigned long long)s->gen,
			(unsigned long long)gens[g]);
		bad++;
	}
	printf("stamp_io: %llu records whole, %llu never written, %llu bad\n", whole, zero, bad);
	return bad ? 1 : 0;
}

/* Submit, close, and leave the completions racing whatever comes next. */
static void print_inflight(const char *stats)
{
	char line[128];
	FILE *f = fopen(stats, "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "inflight ", 9))
			fputs(line, stdout);
	if (f)
		fclose(f);
}

static int do_orphan(const char *ackfile, const char *marker, const char *waitfile,
		     uint64_t gen, const char *umount_how, const char *mnt, int unload,
		     const char *stats)
{
	unsigned char *buf = malloc(recsize * nrecs);
	struct io_uring ring;
	double start;
	io_context_t ctx = 0;
	unsigned long long g;
	FILE *out;
	int fd, got = 0;

	out = fopen(ackfile, "w");
	if (!out || !buf) {
		perror(ackfile);
		return 2;
	}
	for (g = 0; g < nrecs; g++)
		fprintf(out, "%llu %llu\n", g, (unsigned long long)gen);
	fclose(out);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		perror(path);
		return 2;
	}
	start = now();
	if (engine_opt == E_LIBAIO) {
		struct iocb *cbs = calloc(nrecs, sizeof(*cbs)), **cbp = calloc(nrecs, sizeof(*cbp));

		if (io_setup(nrecs, &ctx)) {
			perror("io_setup");
			return 2;
		}
		for (g = 0; g < nrecs; g++) {
			stamp_rec(buf + g * recsize, g, gen, 0);
			io_prep_pwrite(&cbs[g], fd, buf + g * recsize, recsize, g * recsize);
			cbs[g].aio_rw_flags = RWF_DSYNC;
			cbp[g] = &cbs[g];
		}
		if (io_submit(ctx, nrecs, cbp) != (int)nrecs) {
			perror("io_submit");
			return 1;
		}
	} else {
		if (io_uring_queue_init(nrecs, &ring, 0)) {
			perror("io_uring_queue_init");
			return 2;
		}
		for (g = 0; g < nrecs; g++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			stamp_rec(buf + g * recsize, g, gen, 0);
			io_uring_prep_write(sqe, fd, buf + g * recsize, recsize, g * recsize);
			sqe->rw_flags = RWF_DSYNC;
		}
		if (io_uring_submit(&ring) != (int)nrecs) {
			fprintf(stderr, "io_uring_submit failed\n");
			return 1;
		}
	}
	if (stats)
		print_inflight(stats);
	printf("stamp_io: %llu writes submitted in %.3fs\n", nrecs, now() - start);
	fflush(stdout);
	/* The requests now hold the only references to the file. */
	close(fd);
	if (umount_how) {
		int r = umount2(mnt, strcmp(umount_how, "lazy") ? 0 : MNT_DETACH);

		printf("umount %s: %s\n", umount_how, r ? strerror(errno) : "done");
	}
	if (unload) {
		int r = syscall(SYS_delete_module, "xfs_wt", O_NONBLOCK);

		printf("rmmod: %s\n", r ? strerror(errno) : "done");
	}
	fflush(stdout);
	close(open(marker, O_WRONLY | O_CREAT, 0644));
	if (!waitfile)
		_exit(0);
	while (access(waitfile, F_OK))
		usleep(1000);
	while (got < (int)nrecs) {
		long long res;

		if (engine_opt == E_LIBAIO) {
			struct io_event ev;

			if (io_getevents(ctx, 1, 1, &ev, NULL) != 1) {
				perror("io_getevents");
				return 1;
			}
			res = (long)ev.res;
		} else {
			struct io_uring_cqe *cqe;

			if (io_uring_wait_cqe(&ring, &cqe))
				return 1;
			res = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
		if (res != (long long)recsize) {
			fprintf(stderr, "stamp_io: orphan completion %lld (%s)\n", res,
				res < 0 ? strerror((int)-res) : "short");
			return 1;
		}
		got++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *ackfile = NULL, *marker = NULL, *waitfile = NULL, *how = NULL, *mnt = NULL,
		   *stats = NULL;
	int opt, cmd, at_least = 0, unload = 0;
	uint64_t gen = 1;

	if (argc < 2)
		goto usage;
	cmd = !strcmp(argv[1], "write") ? 0 : !strcmp(argv[1], "check") ? 1 :
	      !strcmp(argv[1], "orphan") ? 2 : -1;
	if (cmd < 0)
		goto usage;
	optind = 2;
	while ((opt = getopt(argc, argv, "e:f:t:q:b:n:F:os:r:a:lg:m:w:U:M:RS:")) != -1) {
		switch (opt) {
		case 'e':
			if (parse_engine(optarg))
				goto usage;
			break;
		case 'f':
			if (parse_flags(optarg))
				goto usage;
			break;
		case 't': nthreads = strtoul(optarg, NULL, 0); break;
		case 'q': qd = strtoul(optarg, NULL, 0); break;
		case 'b': recsize = strtoull(optarg, NULL, 0); break;
		case 'n': nrecs = strtoull(optarg, NULL, 0); break;
		case 'F': nfiles = strtoull(optarg, NULL, 0); break;
		case 'o': own_files = 1; break;
		case 's': seconds = strtoul(optarg, NULL, 0); break;
		case 'r': rounds = strtoul(optarg, NULL, 0); break;
		case 'a': ackfile = optarg; break;
		case 'l': at_least = 1; break;
		case 'g': gen = strtoull(optarg, NULL, 0); break;
		case 'm': marker = optarg; break;
		case 'w': waitfile = optarg; break;
		case 'U': how = optarg; break;
		case 'M': mnt = optarg; break;
		case 'R': unload = 1; break;
		case 'S': stats = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || !ackfile || recsize < sizeof(struct stamp) || !nrecs ||
	    !nthreads || !qd || qd > 64)
		goto usage;
	path = argv[optind];
	if (cmd == 0)
		return do_write(ackfile);
	if (cmd == 1)
		return do_check(ackfile, at_least);
	if (!marker || engine_opt == E_PSYNC || (how && !mnt))
		goto usage;
	return do_orphan(ackfile, marker, waitfile, gen, how, mnt, unload, stats);

usage:
	fprintf(stderr, "usage: see the comment at the top of stamp_io.c\n");
	return 2;
}
