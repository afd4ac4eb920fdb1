// SPDX-License-Identifier: GPL-2.0
/*
 * aio_inflight: submit N RWF_DSYNC buffered writes with libaio, and before
 * reaping them print what a state file (xfs_wt's stats) says is in flight.
 * Proves that io_submit() returned while the writes were still on their way
 * to the device. Then reaps them and checks each result.
 *
 *   aio_inflight FILE STATSFILE N
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libaio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xfs_wt.h"

static long stat_value(const char *path, const char *name)
{
	char key[128];
	long val;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%127s %ld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

int main(int argc, char **argv)
{
	struct iocb *iocbs[64], cbs[64];
	struct io_event ev[64];
	io_context_t ctx = 0;
	int fd, n, i, got = 0;
	char *buf;

	if (argc != 4 || (n = atoi(argv[3])) < 1 || n > 64) {
		fprintf(stderr, "usage: aio_inflight FILE STATSFILE N(1-64)\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0 || posix_memalign((void **)&buf, 4096, 4096 * n) ||
	    io_setup(n, &ctx)) {
		perror("setup");
		return 2;
	}
	for (i = 0; i < n; i++) {
		memset(buf + 4096 * i, 'a' + i % 26, 4096);
		io_prep_pwrite(&cbs[i], fd, buf + 4096 * i, 4096, 4096LL * i * 3);
		cbs[i].aio_rw_flags = RWF_DSYNC;
		iocbs[i] = &cbs[i];
	}
	if (io_submit(ctx, n, iocbs) != n) {
		perror("io_submit");
		return 1;
	}
	printf("inflight_after_submit %ld\n", stat_value(argv[2], "inflight"));
	while (got < n) {
		int r = io_getevents(ctx, 1, n - got, ev, NULL);

		if (r < 0) {
			perror("io_getevents");
			return 1;
		}
		for (i = 0; i < r; i++) {
			if (ev[i].res != 4096) {
				fprintf(stderr, "aio_inflight: result %ld\n", (long)ev[i].res);
				return 1;
			}
		}
		got += r;
	}
	printf("completed %d\n", got);
	return 0;
}
