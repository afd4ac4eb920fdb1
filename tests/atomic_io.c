// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_io: stamped RWF_ATOMIC writes of whole blocks, and their check.
 *
 * Every block written carries a stamp: block number, generation, writer,
 * and a checksum over the whole block. A torn block fails its checksum.
 *
 *   atomic_io write [-e psync|libaio|uring] [-d] [-b BS] [-n N] [-g GEN] [-q QD]
 *		    [-o OFF] [-v] FILE
 *	write blocks 0..N-1 with generation GEN through one engine, queue depth QD;
 *	-o shifts every write by OFF bytes, -v splits each into two iovecs
 *	(psync), to provoke refusals; -p writes without RWF_ATOMIC (plain)
 *   atomic_io stress [-b BS] [-n N] [-t THREADS] [-s SECONDS] -a ACKFILE FILE
 *	threads overwrite random blocks with rising generations (RWF_DSYNC),
 *	each thread its own blocks (block % THREADS), so that one block's
 *	writes are ordered; the last acknowledged generation of each block
 *	goes to ACKFILE
 *   atomic_io check [-b BS] [-n N] [-g MINGEN] [-a ACKFILE] FILE
 *	every block is all zeros or one whole stamped write, at least MINGEN,
 *	and at least its acknowledged generation from ACKFILE
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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "xfs_wt.h"

#define MAGIC 0x58575441544f4d31ULL	/* "XWTATOM1" */

struct stamp {
	uint64_t magic, block, gen, writer, sum;
};

static unsigned int bs = 4096, nblocks = 16, threads = 4, seconds = 5;
static int fd;
static uint64_t *acked;
static pthread_mutex_t ack_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;
static long long shift;
static int split, plain;

static uint64_t sum_block(const unsigned char *b)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned int i;

	for (i = sizeof(struct stamp); i < bs; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

static void stamp_block(unsigned char *b, uint64_t block, uint64_t gen, uint64_t writer)
{
	struct stamp *s = (struct stamp *)b;
	unsigned int i;

	for (i = sizeof(*s); i < bs; i++)
		b[i] = (unsigned char)(gen * 131 + block * 7 + writer + i);
	s->magic = MAGIC;
	s->block = block;
	s->gen = gen;
	s->writer = writer;
	s->sum = sum_block(b) ^ gen;
}

/* 0: zeros, 1: a whole stamp (gen in *gen), -1: torn or foreign. */
static int read_stamp(const unsigned char *b, uint64_t block, uint64_t *gen)
{
	const struct stamp *s = (const struct stamp *)b;
	unsigned int i;

	for (i = 0; i < bs && !b[i]; i++)
		;
	if (i == bs)
		return 0;
	if (s->magic != MAGIC || s->block != block || s->sum != (sum_block(b) ^ s->gen))
		return -1;
	*gen = s->gen;
	return 1;
}

static int pw(unsigned char *b, uint64_t block, int flags)
{
	struct iovec iov[2] = {
		{ .iov_base = b, .iov_len = split ? bs / 2 : bs },
		{ .iov_base = b + bs / 2, .iov_len = bs / 2 },
	};
	ssize_t r = pwritev2(fd, iov, split ? 2 : 1, (off_t)(block * bs) + shift,
			     (plain ? 0 : RWF_ATOMIC) | flags);

	if (r != (ssize_t)bs) {
		fprintf(stderr, "atomic_io: block %llu: %s\n", (unsigned long long)block,
			r < 0 ? strerror(errno) : "short");
		return -1;
	}
	return 0;
}

static int do_write(const char *engine, int flags, uint64_t gen, unsigned int qd)
{
	unsigned char *buf;
	unsigned int i, done = 0;

	if (posix_memalign((void **)&buf, 4096, (size_t)bs * nblocks))
		return 2;
	for (i = 0; i < nblocks; i++)
		stamp_block(buf + (size_t)i * bs, i, gen, 0);
	if (!strcmp(engine, "psync")) {
		for (i = 0; i < nblocks; i++)
			if (pw(buf + (size_t)i * bs, i, flags))
				return 1;
		return 0;
	}
	if (!strcmp(engine, "libaio")) {
		io_context_t ctx = 0;
		struct iocb cb, *cbp = &cb;
		struct io_event ev;

		if (io_setup(qd, &ctx))
			return 2;
		while (done < nblocks) {
			unsigned int inflight = 0;

			for (; inflight < qd && done + inflight < nblocks; inflight++) {
				struct iocb *c = calloc(1, sizeof(*c));

				io_prep_pwrite(c, fd, buf + (size_t)(done + inflight) * bs, bs,
					       (long long)(done + inflight) * bs);
				c->aio_rw_flags = RWF_ATOMIC | flags;
				cbp = c;
				if (io_submit(ctx, 1, &cbp) != 1) {
					perror("io_submit");
					return 1;
				}
			}
			while (inflight--) {
				if (io_getevents(ctx, 1, 1, &ev, NULL) != 1 || ev.res != bs) {
					fprintf(stderr, "atomic_io: libaio result %ld\n", (long)ev.res);
					return 1;
				}
				free(ev.obj);
				done++;
			}
		}
		(void)cb;
		return 0;
	}
	if (!strcmp(engine, "uring")) {
		struct io_uring ring;
		struct io_uring_cqe *cqe;

		if (io_uring_queue_init(qd, &ring, 0))
			return 2;
		while (done < nblocks) {
			unsigned int n = 0;

			for (; n < qd && done + n < nblocks; n++) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

				io_uring_prep_write(sqe, fd, buf + (size_t)(done + n) * bs, bs,
						    (unsigned long long)(done + n) * bs);
				sqe->rw_flags = RWF_ATOMIC | flags;
			}
			io_uring_submit(&ring);
			while (n--) {
				if (io_uring_wait_cqe(&ring, &cqe))
					return 1;
				if (cqe->res != (int)bs) {
					fprintf(stderr, "atomic_io: io_uring result %d (%s)\n",
						cqe->res, strerror(-cqe->res));
					return 1;
				}
				io_uring_cqe_seen(&ring, cqe);
				done++;
			}
		}
		io_uring_queue_exit(&ring);
		return 0;
	}
	fprintf(stderr, "atomic_io: unknown engine %s\n", engine);
	return 2;
}

static void *stress_thread(void *arg)
{
	uint64_t writer = (uintptr_t)arg, gen = writer;
	unsigned int seed = (unsigned int)writer * 7919 + 1;
	unsigned char *b;

	if (posix_memalign((void **)&b, 4096, bs))
		return NULL;
	while (!stop) {
		uint64_t block = rand_r(&seed) % nblocks;

		/* Only this writer's blocks: one block's writes never overlap. */
		block -= block % threads;
		block += writer - 1;
		if (block >= nblocks)
			continue;
		gen += threads;		/* unique across writers */
		stamp_block(b, block, gen, writer);
		if (pw(b, block, RWF_DSYNC))
			break;		/* the shutdown: stop quietly */
		pthread_mutex_lock(&ack_lock);
		if (acked[block] < gen)
			acked[block] = gen;
		pthread_mutex_unlock(&ack_lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *engine = "psync", *ackfile = NULL;
	unsigned int qd = 8, i;
	uint64_t gen = 1, mingen = 0;
	int opt, flags = 0, cmd;

	if (argc < 2)
		goto usage;
	cmd = !strcmp(argv[1], "write") ? 0 : !strcmp(argv[1], "stress") ? 1 :
	      !strcmp(argv[1], "check") ? 2 : -1;
	if (cmd < 0)
		goto usage;
	optind = 2;
	while ((opt = getopt(argc, argv, "e:db:n:g:q:t:s:a:o:vp")) != -1) {
		switch (opt) {
		case 'e': engine = optarg; break;
		case 'd': flags |= RWF_DSYNC; break;
		case 'b': bs = atoi(optarg); break;
		case 'n': nblocks = atoi(optarg); break;
		case 'g': gen = mingen = strtoull(optarg, NULL, 0); break;
		case 'q': qd = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 's': seconds = atoi(optarg); break;
		case 'a': ackfile = optarg; break;
		case 'o': shift = atoll(optarg); break;
		case 'v': split = 1; break;
		case 'p': plain = 1; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	fd = open(argv[optind], cmd == 2 ? O_RDONLY : (O_RDWR | O_CREAT), 0644);
	if (fd < 0) {
		perror(argv[optind]);
		return 2;
	}
	acked = calloc(nblocks, sizeof(*acked));

	if (cmd == 0)
		return do_write(engine, flags, gen, qd);

	if (cmd == 1) {
		pthread_t *t = calloc(threads, sizeof(*t));
		FILE *f;

		for (i = 0; i < threads; i++)
			pthread_create(&t[i], NULL, stress_thread, (void *)(uintptr_t)(i + 1));
		sleep(seconds);
		stop = 1;
		for (i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
		f = fopen(ackfile, "w");
		for (i = 0; f && i < nblocks; i++)
			fprintf(f, "%u %llu\n", i, (unsigned long long)acked[i]);
		if (f)
			fclose(f);
		return 0;
	}

	/* check */
	if (ackfile) {
		FILE *f = fopen(ackfile, "r");
		unsigned long long a;
		unsigned int blk;

		while (f && fscanf(f, "%u %llu", &blk, &a) == 2)
			if (blk < nblocks)
				acked[blk] = a;
		if (f)
			fclose(f);
	}
	{
		unsigned char *b;
		unsigned int whole = 0, zero = 0, bad = 0;

		if (posix_memalign((void **)&b, 4096, bs))
			return 2;
		for (i = 0; i < nblocks; i++) {
			uint64_t g = 0;
			int r;

			if (pread(fd, b, bs, (off_t)i * bs) != (ssize_t)bs)
				memset(b, 0, bs);
			r = read_stamp(b, i, &g);
			if (r < 0) {
				fprintf(stderr, "atomic_io: block %u is torn or foreign\n", i);
				bad++;
			} else if (r == 0) {
				zero++;
				if (mingen || acked[i]) {
					fprintf(stderr, "atomic_io: block %u is empty (acked %llu)\n",
						i, (unsigned long long)acked[i]);
					bad++;
				}
			} else {
				whole++;
				if (g < mingen || g < acked[i]) {
					fprintf(stderr, "atomic_io: block %u has gen %llu < %llu acked\n",
						i, (unsigned long long)g,
						(unsigned long long)(acked[i] > mingen ? acked[i] : mingen));
					bad++;
				}
			}
		}
		printf("atomic_io: %u blocks whole, %u empty, %u bad\n", whole, zero, bad);
		return bad ? 1 : 0;
	}

usage:
	fprintf(stderr, "usage: see the comment at the top of atomic_io.c\n");
	return 2;
}
