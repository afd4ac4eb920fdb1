// SPDX-License-Identifier: GPL-2.0
/*
 * log_replay: read a dm-log-writes log, list it, replay it onto a device, or
 * walk it crash point by crash point and check a throwaway copy at each one.
 *
 *   log_replay list LOG
 *   log_replay replay [-z] [-F [-a MARK]] [-b IDX:OFF] (-e IDX | -m MARK) LOG DEV
 *   log_replay walk [-v] [-F] [-a MARK] [-E MARK] [-M] [-f N] [-r N] [-x FSCK]
 *                   [-t TYPE] [-n NAME] [-p FILE] LOG DEV COW MNT CHECKER [ARGS...]
 *
 * The log (drivers/md/dm-log-writes.c, the same format in every kernel that
 * has the target): a super at byte 0 (magic, version 1, nr_entries,
 * sectorsize), then from byte sectorsize one entry after the other. Each
 * entry is one sectorsize block (sector, nr_sectors, flags, data_len; a
 * mark's name follows inline) and, unless it is a discard, nr_sectors blocks
 * of the data written. Sectors count in units of sectorsize. Entries are in
 * the order the writes became durable: a plain write is logged at the first
 * flush sent after it completed, FUA writes and flushes as they complete.
 * Removing the target logs the mark "dm-log-writes-end" last.
 *
 * list prints one line per entry: index, byte offset in the log, flags
 * (F flush, U FUA, D discard, M mark, m metadata), sector, sectors, mark.
 *
 * replay applies entries from IDX (at byte OFF in the log, as list or an
 * earlier replay printed it; default the first) through entry -e or through
 * the first mark named -m, and prints "next IDX:OFF" so that a caller steps
 * through the log without replaying it from the start each time. Discards
 * are skipped (their contents are undefined anyway), or zeroed with -z.
 * -F prepares DEV as walk -F does (with the same -a), so that a replay to a
 * failed point gives the image that the walk checked.
 *
 * walk replays the log onto DEV incrementally and stops at each crash point:
 * every flush or FUA entry (-f N: every N-th of them, 0: none), every mark
 * (-M), and the end of the log, from the mark -a on. The log must end with
 * the mark -E (default dm-log-writes-end), or it is incomplete and the walk
 * fails before it starts. At each point it puts a non-persistent dm snapshot
 * over DEV (writes go to COW, so DEV stays the replayed image), mounts it
 * (log recovery), asks CHECKER whether the files are right, unmounts and
 * runs FSCK (default "xfs_repair -n") on it, at every -r N-th point and at
 * the last. CHECKER runs once, as a co-process: it reads "check POINT MARK
 * EXACT" lines (MARK: the last mark at or before the point, "-" if none;
 * EXACT: 1 if the point is that mark, so nothing of a later operation can
 * be on disk) and answers each with a line that starts with "ok", or
 * anything else for a failure; it must exit 0 at the end. New kernel
 * messages that say warning, bug, corruption or shutdown also fail the
 * point; a failed point prints all of them. A point that takes more than
 * POINT_SECS fails the walk. Progress goes to stderr once a minute (every
 * point with -v), and to FILE too with -p (say /dev/console, which outlives
 * a guest killed by a timeout).
 *
 * -F zeroes DEV, then fills every block that an entry from the -a mark on
 * (from the start without -a) writes with FILL_BYTE before the first entry
 * is replayed: a crash point whose files map such a block before its data
 * arrived reads the fill, which no model accepts, not zeros, which many do.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_FLUSH_FLAG		(1 << 0)
#define LOG_FUA_FLAG		(1 << 1)
#define LOG_DISCARD_FLAG	(1 << 2)
#define LOG_MARK_FLAG		(1 << 3)
#define LOG_METADATA_FLAG	(1 << 4)
#define LOG_MAGIC		0x6a736677736872ULL
#define LOG_VERSION		1
#define ENTRY_HDR		32	/* sector, nr_sectors, flags, data_len */
#define END_MARK		"dm-log-writes-end"	/* the target's destructor logs it */
/* crash_wl's words start with 0xC5: a word of these is nobody's data. */
#define FILL_BYTE		0xE5
#define POINT_SECS		300	/* a point normally takes a second or two */

struct entry {
	uint64_t off;		/* byte offset of the entry block in the log */
	uint64_t sector;
	uint64_t nr;
	uint64_t flags;
	char *mark;
};

struct log {
	int fd;
	uint32_t ss;		/* sectorsize */
	uint64_t nr_entries;
	struct entry *e;	/* scanned entries */
	uint64_t scanned;	/* how many of e[] are valid */
	uint64_t next_off;	/* where entry [scanned] starts */
	unsigned char *buf;
	size_t bufsz;
};

struct walk;
static struct walk *live_walk;	/* its checker is reaped on the way out */
static int stop_checker(struct walk *w);

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("log_replay: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (live_walk) {
		struct walk *w = live_walk;

		live_walk = NULL;
		stop_checker(w);
	}
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

static void read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, off + done);

		if (r <= 0)
			die("read of the log at %llu: %s", (unsigned long long)(off + done),
			    r ? strerror(errno) : "end of device");
		done += r;
	}
}

static void write_at(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done, off + done);

		if (r <= 0)
			die("write to the target at %llu: %s", (unsigned long long)(off + done),
			    r ? strerror(errno) : "end of device");
		done += r;
	}
}

static void log_open(struct log *lg, const char *path)
{
	unsigned char sb[512];
	uint64_t magic, version;

	memset(lg, 0, sizeof(*lg));
	lg->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (lg->fd < 0)
		die("open %s: %s", path, strerror(errno));
	read_at(lg->fd, sb, sizeof(sb), 0);
	memcpy(&magic, sb, 8);
	memcpy(&version, sb + 8, 8);
	memcpy(&lg->nr_entries, sb + 16, 8);
	memcpy(&lg->ss, sb + 24, 4);
	magic = le64toh(magic);
	version = le64toh(version);
	lg->nr_entries = le64toh(lg->nr_entries);
	lg->ss = le32toh(lg->ss);
	if (magic != LOG_MAGIC)
		die("%s: not a dm-log-writes log (magic %#llx)", path, (unsigned long long)magic);
	if (version != LOG_VERSION)
		die("%s: log version %llu, this knows %d", path, (unsigned long long)version,
		    LOG_VERSION);
	if (lg->ss < 512 || lg->ss > 65536 || (lg->ss & (lg->ss - 1)))
		die("%s: bad sectorsize %u", path, lg->ss);
	lg->e = xrealloc(NULL, (lg->nr_entries + 1) * sizeof(*lg->e));
	lg->next_off = lg->ss;
	lg->bufsz = 1 << 20;
	lg->buf = xrealloc(NULL, lg->bufsz);
}

/* Start scanning at entry IDX, found at byte OFF (from an earlier listing). */
static void log_seek(struct log *lg, uint64_t idx, uint64_t off)
{
	if (idx > lg->nr_entries || off < lg->ss || off % lg->ss)
		die("bad start %llu:%llu", (unsigned long long)idx, (unsigned long long)off);
	lg->scanned = idx;
	lg->next_off = off;
}

/* Read the header of entry [scanned]; false at the end of the log. */
static int log_scan_one(struct log *lg)
{
	struct entry *e = &lg->e[lg->scanned];
	uint64_t v[4];

	if (lg->scanned >= lg->nr_entries)
		return 0;
	read_at(lg->fd, lg->buf, lg->ss, lg->next_off);
	memcpy(v, lg->buf, sizeof(v));
	e->off = lg->next_off;
	e->sector = le64toh(v[0]);
	e->nr = le64toh(v[1]);
	e->flags = le64toh(v[2]);
	e->mark = NULL;
	if (e->flags & LOG_MARK_FLAG) {
		uint64_t len = le64toh(v[3]);

		if (len > lg->ss - ENTRY_HDR)
			die("entry %llu: mark of %llu bytes", (unsigned long long)lg->scanned,
			    (unsigned long long)len);
		e->mark = strndup((char *)lg->buf + ENTRY_HDR, len);
	} else if (v[3]) {
		die("entry %llu: inline data without a mark", (unsigned long long)lg->scanned);
	}
	lg->next_off += lg->ss;
	if (!(e->flags & LOG_DISCARD_FLAG))
		lg->next_off += e->nr * lg->ss;
	lg->scanned++;
	return 1;
}

static const char *flag_str(uint64_t flags)
{
	static char s[8];
	char *p = s;

	if (flags & LOG_FLUSH_FLAG)
		*p++ = 'F';
	if (flags & LOG_FUA_FLAG)
		*p++ = 'U';
	if (flags & LOG_DISCARD_FLAG)
		*p++ = 'D';
	if (flags & LOG_MARK_FLAG)
		*p++ = 'M';
	if (flags & LOG_METADATA_FLAG)
		*p++ = 'm';
	if (p == s)
		*p++ = '-';
	*p = 0;
	return s;
}

/* Scan every entry header from where the log stands; returns how many. */
static uint64_t log_scan_all(struct log *lg)
{
	while (log_scan_one(lg))
		;
	return lg->scanned;
}

/* The first mark named MARK at or after entry FROM, or die. */
static uint64_t log_find_mark(struct log *lg, uint64_t from, const char *mark)
{
	uint64_t i;

	for (i = from; i < lg->scanned; i++)
		if (lg->e[i].mark && !strcmp(lg->e[i].mark, mark))
			return i;
	die("no mark %s from entry %llu on", mark, (unsigned long long)from);
	return 0;
}

struct target {
	int fd;
	int is_file;
	uint64_t size;
	int zero_discards;
	uint64_t bytes;		/* replayed so far */
	uint64_t filled;	/* bytes of FILL_BYTE written by -F */
};

/* A block device, or an image file (replay only) that grows as needed. */
static void target_open(struct target *t, const char *path)
{
	struct stat st;

	t->fd = open(path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0 || fstat(t->fd, &st))
		die("open %s: %s", path, strerror(errno));
	t->is_file = S_ISREG(st.st_mode);
	if (t->is_file)
		t->size = ~0ULL >> 1;
	else if (ioctl(t->fd, BLKGETSIZE64, &t->size))
		die("%s: size: %s", path, strerror(errno));
}

struct range {
	uint64_t lo, hi;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * -F: zero the target, then fill what the entries from FROM on write. Only
 * those blocks: filling all of a 384 MiB target would cost seconds under
 * emulation. The rest stays zero, so a file that maps a block nothing ever
 * wrote still reads zeros there (docs/crash-replay.md, Limits).
 */
static void target_fill(struct log *lg, struct target *t, uint64_t from)
{
	uint64_t i, j, n = 0, lo, hi, all[2] = { 0, t->size };
	size_t bufsz = 1 << 20, len;
	unsigned char *buf;
	struct range *r;

	if (t->is_file ? ftruncate(t->fd, 0) != 0 : ioctl(t->fd, BLKZEROOUT, all) != 0)
		die("zeroing the target: %s", strerror(errno));
	r = xrealloc(NULL, (lg->scanned + 1) * sizeof(*r));
	for (i = from; i < lg->scanned; i++) {
		struct entry *e = &lg->e[i];

		if (e->flags & (LOG_MARK_FLAG | LOG_DISCARD_FLAG) || !e->nr)
			continue;
		r[n].lo = e->sector * lg->ss;
		r[n].hi = r[n].lo + e->nr * lg->ss;
		if (r[n].hi > t->size)
			die("entry %llu writes past the end of the target", (unsigned long long)i);
		n++;
	}
	qsort(r, n, sizeof(*r), range_cmp);
	buf = xrealloc(NULL, bufsz);
	memset(buf, FILL_BYTE, bufsz);
	for (i = 0; i < n; i = j) {
		lo = r[i].lo;
		hi = r[i].hi;
		for (j = i + 1; j < n && r[j].lo <= hi; j++)
			if (r[j].hi > hi)
				hi = r[j].hi;
		t->filled += hi - lo;
		for (; lo < hi; lo += len) {
			len = hi - lo < bufsz ? hi - lo : bufsz;
			write_at(t->fd, buf, len, lo);
		}
	}
	free(buf);
	free(r);
}

static void replay_entry(struct log *lg, struct target *t, uint64_t i)
{
	struct entry *e = &lg->e[i];
	uint64_t pos = e->sector * lg->ss, len = e->nr * lg->ss;

	if (e->flags & LOG_MARK_FLAG || !len)
		return;
	if (pos + len > t->size)
		die("entry %llu writes past the end of the target", (unsigned long long)i);
	if (e->flags & LOG_DISCARD_FLAG) {
		uint64_t range[2] = { pos, len };

		if (t->zero_discards && ioctl(t->fd, BLKZEROOUT, range))
			die("zeroing discarded range: %s", strerror(errno));
		return;
	}
	if (len > lg->bufsz) {
		lg->bufsz = len;
		lg->buf = xrealloc(lg->buf, len);
	}
	read_at(lg->fd, lg->buf, len, e->off + lg->ss);
	write_at(t->fd, lg->buf, len, pos);
	t->bytes += len;
}

static void target_sync(struct target *t)
{
	if (fsync(t->fd))
		die("fsync of the target: %s", strerror(errno));
}

static int cmd_list(int argc, char **argv)
{
	struct log lg;
	uint64_t i;

	if (argc != 2)
		return 2;
	log_open(&lg, argv[1]);
	printf("# entries %llu sectorsize %u\n", (unsigned long long)lg.nr_entries, lg.ss);
	for (i = 0; log_scan_one(&lg); i++) {
		struct entry *e = &lg.e[i];

		printf("%llu %llu %s %llu %llu%s%s\n", (unsigned long long)i,
		       (unsigned long long)e->off, flag_str(e->flags),
		       (unsigned long long)e->sector, (unsigned long long)e->nr,
		       e->mark ? " " : "", e->mark ? e->mark : "");
	}
	return 0;
}

static int cmd_replay(int argc, char **argv)
{
	unsigned long long bidx = 0, boff = 0, end = ~0ULL;
	const char *mark = NULL, *after = NULL;
	struct target t = { 0 };
	struct log lg;
	uint64_t i, start, from = 0;
	int opt, resume = 0, fill = 0;

	while ((opt = getopt(argc, argv, "zFa:b:e:m:")) != -1) {
		switch (opt) {
		case 'z': t.zero_discards = 1; break;
		case 'F': fill = 1; break;
		case 'a': after = optarg; break;
		case 'b':
			if (sscanf(optarg, "%llu:%llu", &bidx, &boff) != 2)
				return 2;
			resume = 1;
			break;
		case 'e': end = strtoull(optarg, NULL, 0); break;
		case 'm': mark = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc - 2 || (!mark && end == ~0ULL) || (after && !fill))
		return 2;
	if (fill && resume)
		die("-F prepares the target for a replay from the start, not for -b");
	log_open(&lg, argv[optind]);
	if (resume)
		log_seek(&lg, bidx, boff);
	start = lg.scanned;
	/* Check the whole range before the target is touched. */
	log_scan_all(&lg);
	if (end != ~0ULL && (end < start || end >= lg.scanned))
		die("no entry %llu from entry %llu on: the log has %llu entries", end,
		    (unsigned long long)start, (unsigned long long)lg.nr_entries);
	if (mark) {
		i = log_find_mark(&lg, start, mark);
		if (i > end)
			die("no mark %s from entry %llu through %llu", mark,
			    (unsigned long long)start, end);
		end = i;
	}
	if (after)
		from = log_find_mark(&lg, 0, after);
	target_open(&t, argv[optind + 1]);
	if (fill)
		target_fill(&lg, &t, from);
	for (i = start; i <= end; i++)
		replay_entry(&lg, &t, i);
	target_sync(&t);
	printf("next %llu:%llu\n", end + 1,
	       (unsigned long long)(end + 1 < lg.scanned ? lg.e[end + 1].off : lg.next_off));
	return 0;
}

/*
 * Device-mapper through its ioctls: a walk of hundreds of points cannot
 * afford to run dmsetup twice per point under emulation.
 */
union dm_buf {
	struct dm_ioctl io;
	char b[16384];
};

static int dm_call(unsigned long cmd, union dm_buf *u)
{
	int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		die("open /dev/mapper/control: %s", strerror(errno));
	ret = ioctl(fd, cmd, &u->io);
	close(fd);
	return ret;
}

static void dm_init(union dm_buf *u, const char *name)
{
	memset(u, 0, sizeof(*u));
	/* Ask for the oldest interface: a newer header's is refused by older kernels. */
	u->io.version[0] = DM_VERSION_MAJOR;
	u->io.data_size = sizeof(*u);
	u->io.data_start = sizeof(u->io);
	snprintf(u->io.name, sizeof(u->io.name), "%s", name);
}

static void dm_remove(const char *name, int must)
{
	union dm_buf u;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		dm_init(&u, name);
		if (!dm_call(DM_DEV_REMOVE, &u) || errno == ENXIO)
			return;
		if (errno != EBUSY)
			break;
		usleep(100000);
	}
	if (must)
		die("removing %s: %s", name, strerror(errno));
}

/* Wait until nothing holds NAME open (a lazy unmount lets go late). */
static int dm_wait_closed(const char *name, int secs)
{
	union dm_buf u;
	int i;

	for (i = 0; i < secs * 10; i++) {
		dm_init(&u, name);
		if (dm_call(DM_DEV_STATUS, &u) || !u.io.open_count)
			return 0;
		usleep(100000);
	}
	return -1;
}

/* Create NAME with one target and print its device node into path. */
static void dm_create(const char *name, const char *type, uint64_t sectors,
		      const char *params, char *path, size_t pathsz)
{
	struct dm_target_spec *spec;
	union dm_buf u;
	struct stat st;
	dev_t dev;
	int i;

	dm_init(&u, name);
	if (dm_call(DM_DEV_CREATE, &u))
		die("creating %s: %s", name, strerror(errno));
	dev = u.io.dev;
	dm_init(&u, name);
	u.io.target_count = 1;
	spec = (struct dm_target_spec *)(u.b + sizeof(u.io));
	spec->length = sectors;
	snprintf(spec->target_type, sizeof(spec->target_type), "%s", type);
	snprintf((char *)(spec + 1), sizeof(u) - sizeof(u.io) - sizeof(*spec), "%s", params);
	if (dm_call(DM_TABLE_LOAD, &u)) {
		int err = errno;

		dm_remove(name, 0);
		die("loading %s %s: %s", type, params, strerror(err));
	}
	dm_init(&u, name);
	if (dm_call(DM_DEV_SUSPEND, &u)) {
		int err = errno;

		dm_remove(name, 0);
		die("resuming %s: %s", name, strerror(err));
	}
	/* devtmpfs makes the node; wait for it rather than assume it. */
	snprintf(path, pathsz, "/dev/dm-%u", minor(dev));
	for (i = 0; i < 100; i++) {
		if (!stat(path, &st) && S_ISBLK(st.st_mode) && st.st_rdev == dev)
			return;
		usleep(10000);
	}
	die("no device node %s for %s", path, name);
}

static const char *const bad_kmsg[] = {
	"WARNING:", "BUG:", "Oops", "cut here", "orruption", "Internal error",
	"shut down", "Shutting down", "I/O error", "lockup", "blocked for more than",
	"UBSAN", "KASAN", "Call Trace", NULL
};

struct walk {
	struct log lg;
	struct target t;
	const char *name, *mnt, *fstype;
	char **fsck;
	int verbose;
	char origin[32], cowdev[32];
	FILE *to, *from;
	pid_t checker;
	int kmsg;
	char *kbuf;		/* this point's kernel messages, '!' before bad ones */
	size_t klen, kcap;
	int pfd;		/* -p: a copy of the progress lines */
};

/* For the alarm handler, which can only use what is ready. */
static volatile pid_t checker_pid, fsck_pid;
static char alarm_msg[512];
static size_t alarm_len;
static int alarm_fd = -1;

static void on_alarm(int sig)
{
	ssize_t r;

	(void)sig;
	r = write(2, alarm_msg, alarm_len);
	if (alarm_fd >= 0)
		r = write(alarm_fd, alarm_msg, alarm_len);
	(void)r;
	/* The checker or xfs_repair may be what hangs, and they hold the mount. */
	if (fsck_pid > 0)
		kill(fsck_pid, SIGKILL);
	if (checker_pid > 0)
		kill(checker_pid, SIGKILL);
	_exit(1);
}

static void progress(struct walk *w, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	fputs(line, stderr);
	if (w->pfd >= 0 && write(w->pfd, line, n) != n) {
		close(w->pfd);
		w->pfd = alarm_fd = -1;
	}
}

/* Collect new kernel messages; true if one of them is bad. */
static int kmsg_read(struct walk *w)
{
	char rec[8192];
	int bad = 0, i, b;
	ssize_t r;

	while ((r = read(w->kmsg, rec, sizeof(rec) - 1)) != 0) {
		char *msg, *nl;
		size_t len;

		if (r < 0) {
			if (errno == EPIPE)	/* overwritten records */
				continue;
			break;
		}
		rec[r] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');	/* the rest is KEY=value lines */
		if (nl)
			*nl = 0;
		for (b = 0, i = 0; bad_kmsg[i]; i++)
			if (strstr(msg, bad_kmsg[i]))
				b = 1;
		bad |= b;
		len = strlen(msg) + 2;
		if (w->klen + len + 1 > w->kcap) {
			w->kcap = (w->klen + len + 1) * 2;
			w->kbuf = xrealloc(w->kbuf, w->kcap);
		}
		w->klen += sprintf(w->kbuf + w->klen, "%c%s\n", b ? '!' : ' ', msg);
	}
	return bad;
}

static void start_checker(struct walk *w, char **argv)
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	w->checker = fork();
	if (w->checker < 0)
		die("fork: %s", strerror(errno));
	if (!w->checker) {
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		execvp(argv[0], argv);
		fprintf(stderr, "log_replay: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	checker_pid = w->checker;
	live_walk = w;
	close(in[0]);
	close(out[1]);
	w->to = fdopen(in[1], "w");
	w->from = fdopen(out[0], "r");
	if (!w->to || !w->from)
		die("fdopen: %s", strerror(errno));
}

/* Close the checker's input and reap it; returns its wait status. */
static int stop_checker(struct walk *w)
{
	int status = -1;

	if (w->to)
		fclose(w->to);
	if (w->from)
		fclose(w->from);
	w->to = w->from = NULL;
	if (w->checker > 0 && waitpid(w->checker, &status, 0) < 0)
		status = -1;
	w->checker = checker_pid = 0;
	live_walk = NULL;
	return status;
}

static int run_fsck(struct walk *w, const char *dev)
{
	char out[] = "/tmp/log_replay.fsck.XXXXXX", line[512];
	int fd = mkostemp(out, O_CLOEXEC), status, n;
	char *argv[32];
	FILE *f;
	pid_t pid;

	if (fd < 0)
		die("mkstemp: %s", strerror(errno));
	for (n = 0; w->fsck[n] && n < 30; n++)
		argv[n] = w->fsck[n];
	argv[n++] = (char *)dev;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		signal(SIGPIPE, SIG_DFL);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	fsck_pid = pid;
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	fsck_pid = 0;
	close(fd);
	if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		unlink(out);
		return 0;
	}
	fprintf(stderr, "log_replay: %s %s failed (status %#x):\n", argv[0], dev, status);
	f = fopen(out, "re");
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "    %s", line);
	if (f)
		fclose(f);
	unlink(out);
	return 1;
}

/*
 * Unmount; a busy mount is retried first (something may still be letting
 * go of it), and only then detached. Returns nonzero if it had to detach.
 */
static int unmount(struct walk *w, uint64_t p)
{
	int i;

	for (i = 0; i < 10; i++) {
		if (!umount2(w->mnt, 0))
			return 0;
		if (errno != EBUSY)
			break;
		usleep(200000);
	}
	fprintf(stderr, "log_replay: point %llu: umount: %s; detaching it\n",
		(unsigned long long)p, strerror(errno));
	if (umount2(w->mnt, MNT_DETACH))
		fprintf(stderr, "log_replay: point %llu: umount -l: %s\n", (unsigned long long)p,
			strerror(errno));
	return 1;
}

/* Check a snapshot of the target as it stands after entry p. */
static int check_point(struct walk *w, uint64_t p, const char *mark, int exact, int fsck)
{
	char dev[64], table[128], reply[4096], *l, *nl;
	double t[6];
	int bad = 0, i;

	w->klen = 0;
	t[0] = now();
	snprintf(table, sizeof(table), "%s %s N 8", w->origin, w->cowdev);
	dm_create(w->name, "snapshot", w->t.size >> 9, table, dev, sizeof(dev));
	t[1] = now();
	for (i = 2; i < 6; i++)
		t[i] = t[1];
	if (mount(dev, w->mnt, w->fstype, 0, NULL)) {
		fprintf(stderr, "log_replay: point %llu (mark %s): mount: %s\n",
			(unsigned long long)p, mark, strerror(errno));
		bad = 1;
		goto remove;
	}
	t[2] = now();
	fprintf(w->to, "check %llu %s %d\n", (unsigned long long)p, mark, exact);
	fflush(w->to);
	if (!fgets(reply, sizeof(reply), w->from)) {
		fprintf(stderr, "log_replay: the checker died\n");
		bad = 1;
	} else if (strncmp(reply, "ok", 2)) {
		fprintf(stderr, "log_replay: point %llu (mark %s): %s", (unsigned long long)p,
			mark, reply);
		bad = 1;
	}
	t[3] = now();
	if (unmount(w, p)) {
		bad = 1;
		if (dm_wait_closed(w->name, 60))
			die("point %llu: %s is still open a minute after a lazy unmount",
			    (unsigned long long)p, w->name);
	}
	t[4] = now();
	if (!bad && fsck && run_fsck(w, dev)) {
		fprintf(stderr, "log_replay: point %llu (mark %s): inconsistent file system\n",
			(unsigned long long)p, mark);
		bad = 1;
	}
	t[5] = now();
remove:
	dm_remove(w->name, 1);
	if (w->verbose)
		printf("  snapshot %.2f mount %.2f check %.2f umount %.2f fsck %.2f remove %.2f\n",
		       t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3], t[5] - t[4],
		       now() - t[5]);
	if (w->kmsg >= 0 && kmsg_read(w)) {
		fprintf(stderr, "log_replay: point %llu (mark %s): bad kernel messages (!)\n",
			(unsigned long long)p, mark);
		bad = 1;
	}
	/* All of them: what led up to a failure matters as much as the failure. */
	for (l = w->kbuf; bad && l && l < w->kbuf + w->klen; l = nl + 1) {
		nl = strchr(l, '\n');
		fprintf(stderr, "log_replay: kernel%c %.*s\n", *l == '!' ? '!' : ':',
			(int)(nl - l - 1), l + 1);
	}
	return bad;
}

static char **split(const char *s)
{
	char *dup = strdup(s), *tok, *save = NULL, **v = NULL;
	int n = 0;

	for (tok = strtok_r(dup, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = tok;
	}
	if (!n)
		die("empty command");
	v[n] = NULL;
	return v;
}

static void devnum(const char *path, char *out, size_t outsz)
{
	struct stat st;

	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		die("%s: not a block device", path);
	snprintf(out, outsz, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
}

static int cmd_walk(int argc, char **argv)
{
	unsigned long flush_every = 1, fsck_every = 1, nflush = 0, checked = 0;
	unsigned long nmarks = 0, nfl = 0, nfsck = 0, lflush = 0, lfua = 0, ldfua = 0, lmarks = 0;
	const char *after = NULL, *last_mark = "-", *end_mark = END_MARK, *pfile = NULL;
	struct walk w = { .name = "log_replay_snap", .fstype = "xfs", .kmsg = -1, .pfd = -1 };
	int opt, marks = 0, fill = 0, status;
	uint64_t i, n, start = 0, npoints = 0;
	double t0 = now(), tprog = t0;
	struct entry *e;

	w.fsck = split("xfs_repair -n");
	while ((opt = getopt(argc, argv, "+vFMa:E:f:r:x:t:n:p:")) != -1) {
		switch (opt) {
		case 'v': w.verbose = 1; break;
		case 'F': fill = 1; break;
		case 'M': marks = 1; break;
		case 'a': after = optarg; break;
		case 'E': end_mark = optarg; break;
		case 'f': flush_every = strtoul(optarg, NULL, 0); break;
		case 'r': fsck_every = strtoul(optarg, NULL, 0); break;
		case 'x': w.fsck = split(optarg); break;
		case 't': w.fstype = optarg; break;
		case 'n': w.name = optarg; break;
		case 'p': pfile = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind < 5 || !fsck_every)
		return 2;
	log_open(&w.lg, argv[optind]);
	/* A log cut short (logging stopped, say) would pass on what it has. */
	n = log_scan_all(&w.lg);
	e = n ? &w.lg.e[n - 1] : NULL;
	if (!e || !e->mark || strcmp(e->mark, end_mark))
		die("%s: the log ends with entry %lld (%s%s%s), not with the mark %s: it is "
		    "incomplete (did dm-log-writes stop logging?)", argv[optind], (long long)n - 1,
		    e ? flag_str(e->flags) : "none", e && e->mark ? " " : "",
		    e && e->mark ? e->mark : "", end_mark);
	if (after)
		start = log_find_mark(&w.lg, 0, after);
	target_open(&w.t, argv[optind + 1]);
	devnum(argv[optind + 1], w.origin, sizeof(w.origin));
	devnum(argv[optind + 2], w.cowdev, sizeof(w.cowdev));
	w.mnt = argv[optind + 3];
	if (pfile) {
		w.pfd = open(pfile, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
		if (w.pfd < 0)
			fprintf(stderr, "log_replay: %s: %s\n", pfile, strerror(errno));
		alarm_fd = w.pfd;
	}
	if (fill)
		target_fill(&w.lg, &w.t, start);
	w.kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w.kmsg >= 0)
		lseek(w.kmsg, 0, SEEK_END);
	/* A dead checker must fail a point, not kill the walk unexplained. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	start_checker(&w, argv + optind + 4);
	dm_remove(w.name, 0);	/* left over from an earlier run */

	for (i = 0; i < n; i++) {
		int point = 0, last = i + 1 == n, fsck;

		e = &w.lg.e[i];
		replay_entry(&w.lg, &w.t, i);
		lflush += !!(e->flags & LOG_FLUSH_FLAG);
		lfua += !!(e->flags & LOG_FUA_FLAG);
		ldfua += (e->flags & (LOG_FUA_FLAG | LOG_METADATA_FLAG)) == LOG_FUA_FLAG;
		lmarks += !!e->mark;
		if (e->mark)
			last_mark = e->mark;
		if (i < start)
			continue;
		if (e->mark && marks)
			point = 1;
		if (e->flags & (LOG_FLUSH_FLAG | LOG_FUA_FLAG) && flush_every &&
		    nflush++ % flush_every == 0)
			point = 1;
		if (!point && !last)
			continue;
		target_sync(&w.t);
		fsck = npoints++ % fsck_every == 0 || last;
		if (w.verbose || now() - tprog >= 60) {
			progress(&w, "log_replay: %.0f s: entry %llu of %llu (%s), last mark %s%s; %lu points checked\n",
				 now() - t0, (unsigned long long)i, (unsigned long long)n,
				 flag_str(e->flags), last_mark, fsck ? ", fsck" : "", checked);
			tprog = now();
		}
		alarm_len = snprintf(alarm_msg, sizeof(alarm_msg),
				     "log_replay: point %llu (entry %s, last mark %s) not done after %d s; giving up\n",
				     (unsigned long long)i, flag_str(e->flags), last_mark, POINT_SECS);
		if (alarm_len >= sizeof(alarm_msg))
			alarm_len = sizeof(alarm_msg) - 1;
		alarm(POINT_SECS);
		if (check_point(&w, i, last_mark, !!e->mark, fsck)) {
			alarm(0);
			progress(&w, "log_replay: FAILED at entry %llu (flags %s, last mark %s) after %lu points; "
				 "reproduce: log_replay replay%s%s%s -e %llu LOG DEV, then mount\n",
				 (unsigned long long)i, flag_str(e->flags), last_mark, checked,
				 fill ? " -F" : "", fill && after ? " -a " : "", fill && after ? after : "",
				 (unsigned long long)i);
			stop_checker(&w);
			return 1;
		}
		alarm(0);
		checked++;
		nmarks += !!e->mark;
		nfl += !!(e->flags & (LOG_FLUSH_FLAG | LOG_FUA_FLAG));
		nfsck += fsck;
	}
	/* It fails if some mark had no exact check, or the end none at all. */
	status = stop_checker(&w);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("the checker exited with status %#x", status);
	printf("log: %llu entries, %lu flushes, %lu FUA writes (%lu not metadata), %lu marks, %llu MiB of data; %llu MiB filled\n",
	       (unsigned long long)n, lflush, lfua, ldfua, lmarks,
	       (unsigned long long)(w.t.bytes >> 20), (unsigned long long)(w.t.filled >> 20));
	printf("%lu crash points checked (%lu at marks, %lu at flush or FUA), %lu with fsck, in %.0f s\n",
	       checked, nmarks, nfl, nfsck, now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		ret = cmd_list(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "replay"))
		ret = cmd_replay(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "walk"))
		ret = cmd_walk(argc - 1, argv + 1);
	if (ret == 2)
		fprintf(stderr,
			"usage: log_replay list LOG\n"
			"       log_replay replay [-z] [-F [-a MARK]] [-b IDX:OFF] (-e IDX | -m MARK)\n"
			"                         LOG DEV\n"
			"       log_replay walk [-v] [-F] [-a MARK] [-E MARK] [-M] [-f N] [-r N]\n"
			"                       [-x FSCK] [-t TYPE] [-n NAME] [-p FILE]\n"
			"                       LOG DEV COW MNT CHECKER [ARGS...]\n");
	return ret;
}
