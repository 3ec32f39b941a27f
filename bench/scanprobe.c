/*
 * scanprobe.c - where a full scan's time goes: the per-file step of a
 * single-threaded walk done several ways on the same tree, each timed in
 * CPU seconds of this process (io_uring's kernel workers included), so that
 * the choices made in agent/scan_walk.c rest on numbers anyone can
 * reproduce.
 *
 *   scanprobe [-r ROUNDS] DIR
 *
 * Each round walks the whole tree once, depth first (getdents64, openat of
 * each subdirectory).  The entries of each getdents batch are stat'ed one
 * way, the ways taking turns from one batch to the next and starting one
 * further on each round, so that every way meets the same directories, the
 * same cache and the same load from elsewhere on the machine (a shared
 * machine's drift between separate runs is larger than the differences
 * measured here).  Ways:
 *   statx      statx() by name in getdents order, with the walker's mask and
 *              flags (what the agent does)
 *   statx-min  statx() asking only type, size and link count
 *   statx-ino  statx() in inode-number order
 *   fstatat    fstatat() by name (what du -s does, through fts)
 *   uring      statx() through io_uring, 64 in flight (built with liburing)
 *   syscall    one null system call per entry: entering and leaving the
 *              kernel alone
 * and "walk" is everything else: getdents64, opening and closing the
 * directories, per entry.
 *
 * Prints nanoseconds of CPU per entry for each.  Each batch's regular files
 * as stat'ed are checked against the count getdents' d_type gives, so a way
 * that stat'ed nothing (or the wrong names) fails instead of looking fast.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#define PROBE_BUF 32768
#define PROBE_MAX_ENTRIES (PROBE_BUF / 24) /* the smallest dirent64 is 24 bytes */
#define PROBE_MAX_DEPTH 64
#define PROBE_URING_DEPTH 64
#define PROBE_FLAGS (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC)
#define PROBE_MASK \
	(STATX_TYPE | STATX_SIZE | STATX_INO | STATX_NLINK | STATX_BTIME | STATX_CTIME | \
	 STATX_MTIME)

enum probe_way { WAY_STATX, WAY_STATX_MIN, WAY_STATX_INO, WAY_FSTATAT, WAY_URING, WAY_SYSCALL,
		 WAY_N };

static const char *const probe_names[WAY_N] = { "statx",   "statx-min", "statx-ino",
						"fstatat", "uring",     "syscall" };

struct probe_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct probe_entry {
	uint64_t ino;
	uint32_t off;
};

struct probe {
	unsigned nways;      /* WAY_N, or WAY_N - 1 without io_uring */
	unsigned turn;       /* the way of the next batch */
	double ns[WAY_N];    /* CPU spent in each way's stat step */
	uint64_t n[WAY_N];   /* entries stat'ed each way */
	uint64_t entries;    /* non-directory entries seen */
	uint64_t files, bytes;
	int err;
	char *bufs[PROBE_MAX_DEPTH];
	struct probe_entry *order[PROBE_MAX_DEPTH];
#ifdef HAVE_LIBURING
	struct io_uring ring;
	struct statx *sx; /* PROBE_URING_DEPTH results */
	unsigned inflight;
#endif
};

/* Process CPU time: io_uring's workers are threads of this process. */
static double probe_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int probe_ino_cmp(const void *a, const void *b)
{
	const struct probe_entry *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void probe_count(struct probe *p, int is_reg, uint64_t size)
{
	if (is_reg) {
		p->files++;
		p->bytes += size;
	}
}

#ifdef HAVE_LIBURING
/* Waits for every statx in flight and counts the files among them. */
static void probe_uring_drain(struct probe *p)
{
	struct io_uring_cqe *cqe;

	if (p->inflight > 0 && io_uring_submit(&p->ring) < 0) {
		p->err = EIO;
		return;
	}
	while (p->inflight > 0) {
		if (io_uring_wait_cqe(&p->ring, &cqe) < 0) {
			p->err = EIO;
			return;
		}
		if (cqe->res == 0) {
			const struct statx *sx = &p->sx[cqe->user_data];

			probe_count(p, S_ISREG(sx->stx_mode), sx->stx_size);
		} else if (cqe->res != -ENOENT) {
			p->err = -cqe->res;
		}
		io_uring_cqe_seen(&p->ring, cqe);
		p->inflight--;
	}
}

static void probe_uring_one(struct probe *p, int fd, const char *name)
{
	struct io_uring_sqe *sqe;

	if (p->inflight == PROBE_URING_DEPTH)
		probe_uring_drain(p);
	sqe = io_uring_get_sqe(&p->ring);
	if (!sqe) {
		p->err = EIO;
		return;
	}
	io_uring_prep_statx(sqe, fd, name, PROBE_FLAGS, PROBE_MASK, &p->sx[p->inflight]);
	sqe->user_data = p->inflight++;
}
#endif

/* Stats one non-directory entry of the directory open on fd. */
static void probe_stat(struct probe *p, enum probe_way way, int fd, const char *name)
{
	struct statx sx;
	struct stat st;

	switch (way) {
	case WAY_STATX:
	case WAY_STATX_INO:
		if (statx(fd, name, PROBE_FLAGS, PROBE_MASK, &sx) == 0)
			probe_count(p, S_ISREG(sx.stx_mode), sx.stx_size);
		break;
	case WAY_STATX_MIN:
		if (statx(fd, name, PROBE_FLAGS, STATX_TYPE | STATX_SIZE | STATX_NLINK, &sx) == 0)
			probe_count(p, S_ISREG(sx.stx_mode), sx.stx_size);
		break;
	case WAY_FSTATAT:
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			probe_count(p, S_ISREG(st.st_mode), (uint64_t)st.st_size);
		break;
	case WAY_URING:
#ifdef HAVE_LIBURING
		probe_uring_one(p, fd, name);
#endif
		break;
	case WAY_SYSCALL:
		syscall(SYS_getppid);
		break;
	case WAY_N:
		break;
	}
}

/* Stats a getdents batch's non-directory entries (order[0..ne)) one way. */
static void probe_batch(struct probe *p, int fd, const char *buf, struct probe_entry *order,
			size_t ne)
{
	enum probe_way way = (enum probe_way)(p->turn++ % p->nways);
	uint64_t files0 = p->files, dtype_reg = 0;
	double t0 = probe_cpu_ns();
	size_t i;

	if (way == WAY_STATX_INO)
		qsort(order, ne, sizeof(*order), probe_ino_cmp);
	for (i = 0; i < ne; i++)
		probe_stat(p, way, fd, ((const struct probe_dirent *)(buf + order[i].off))->d_name);
#ifdef HAVE_LIBURING
	if (way == WAY_URING)
		probe_uring_drain(p); /* the names live in buf until the next getdents */
#endif
	p->ns[way] += probe_cpu_ns() - t0;
	p->n[way] += ne;
	p->entries += ne;
	for (i = 0; i < ne; i++)
		dtype_reg += ((const struct probe_dirent *)(buf + order[i].off))->d_type == DT_REG;
	if (way != WAY_SYSCALL && p->files - files0 != dtype_reg && !p->err) {
		fprintf(stderr, "scanprobe: %s found %llu files where getdents listed %llu\n",
			probe_names[way], (unsigned long long)(p->files - files0),
			(unsigned long long)dtype_reg);
		p->err = EPROTO;
	}
}

/* Walks the directory open on fd (closed on return). */
static void probe_walk(struct probe *p, int fd, unsigned depth)
{
	struct probe_entry *order;
	char *buf;

	if (depth >= PROBE_MAX_DEPTH) {
		p->err = ENAMETOOLONG;
		goto out;
	}
	if (!p->bufs[depth] && !(p->bufs[depth] = malloc(PROBE_BUF))) {
		p->err = ENOMEM;
		goto out;
	}
	if (!p->order[depth] &&
	    !(p->order[depth] = malloc(PROBE_MAX_ENTRIES * sizeof(*p->order[depth])))) {
		p->err = ENOMEM;
		goto out;
	}
	buf = p->bufs[depth];
	order = p->order[depth];
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, PROBE_BUF), off;
		size_t ne = 0;

		if (n < 0) {
			p->err = errno;
			break;
		}
		if (n == 0)
			break;
		for (off = 0; off < n;) {
			const struct probe_dirent *d = (const struct probe_dirent *)(buf + off);

			off += d->d_reclen;
			if (d->d_type == DT_DIR || (d->d_name[0] == '.' && d->d_name[1] == '\0') ||
			    (d->d_name[0] == '.' && d->d_name[1] == '.' && d->d_name[2] == '\0'))
				continue;
			order[ne].ino = d->d_ino;
			order[ne].off = (uint32_t)(off - d->d_reclen);
			ne++;
		}
		if (ne > 0)
			probe_batch(p, fd, buf, order, ne);
		for (off = 0; off < n;) {
			const struct probe_dirent *d = (const struct probe_dirent *)(buf + off);
			int c;

			off += d->d_reclen;
			if (d->d_type != DT_DIR || d->d_name[0] == '.')
				continue;
			c = openat(fd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (c < 0) {
				p->err = errno;
				continue;
			}
			probe_walk(p, c, depth + 1);
		}
	}
out:
	close(fd);
}

int main(int argc, char **argv)
{
	struct probe p;
	double walk_ns = 0, t0;
	unsigned rounds = 4, r, w, d;
	int c, fd, ret = 1;

	memset(&p, 0, sizeof(p));
	while ((c = getopt(argc, argv, "r:")) != -1) {
		if (c != 'r' || atoi(optarg) < 1) {
			fprintf(stderr, "usage: scanprobe [-r ROUNDS] DIR\n");
			return 2;
		}
		rounds = (unsigned)atoi(optarg);
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: scanprobe [-r ROUNDS] DIR\n");
		return 2;
	}
	p.nways = WAY_N - 1; /* io_uring is last: left out unless it works */
#ifdef HAVE_LIBURING
	p.sx = calloc(PROBE_URING_DEPTH, sizeof(*p.sx));
	if (p.sx && io_uring_queue_init(2 * PROBE_URING_DEPTH, &p.ring, 0) == 0)
		p.nways = WAY_N;
#endif
	/* Keep the enum's order in step with nways: uring must be last. */
	if (WAY_URING != WAY_N - 2 || WAY_SYSCALL != WAY_N - 1) {
		fprintf(stderr, "scanprobe: way order\n");
		goto out;
	}
	for (r = 0; r < rounds; r++) {
		double stat_ns = 0;

		p.turn = r;
		fd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "scanprobe: cannot open '%s': %s\n", argv[optind],
				strerror(errno));
			goto out;
		}
		for (w = 0; w < WAY_N; w++)
			stat_ns -= p.ns[w];
		t0 = probe_cpu_ns();
		probe_walk(&p, fd, 0);
		for (w = 0; w < WAY_N; w++)
			stat_ns += p.ns[w];
		walk_ns += probe_cpu_ns() - t0 - stat_ns;
		if (p.err) {
			fprintf(stderr, "scanprobe: walk of '%s' failed: %s\n", argv[optind],
				strerror(p.err));
			goto out;
		}
	}
	printf("scanprobe: one thread, %llu entries per walk, %u interleaved rounds\n",
	       (unsigned long long)(p.entries / rounds), rounds);
	printf("%-10s %12s %14s\n", "way", "ns/entry", "entries timed");
	printf("%-10s %12.0f %14llu\n", "walk", walk_ns / (double)p.entries,
	       (unsigned long long)p.entries);
	for (w = 0; w < WAY_N; w++) {
		if (w >= p.nways) {
			printf("%-10s %12s\n", probe_names[w], "not built (liburing-dev missing)");
			continue;
		}
		printf("%-10s %12.0f %14llu\n", probe_names[w],
		       p.n[w] ? p.ns[w] / (double)p.n[w] : 0.0, (unsigned long long)p.n[w]);
	}
	ret = 0;
out:
#ifdef HAVE_LIBURING
	if (p.nways == WAY_N)
		io_uring_queue_exit(&p.ring);
	free(p.sx);
#endif
	for (d = 0; d < PROBE_MAX_DEPTH; d++) {
		free(p.bufs[d]);
		free(p.order[d]);
	}
	return ret;
}
