/*
 * scanprobe.c - where a full scan's time goes: the same single-threaded walk
 * of a tree done several ways, each timed in CPU seconds of this process
 * (user + system, io_uring's kernel workers included), so that the choices
 * made in agent/scan_walk.c rest on numbers anyone can reproduce.
 *
 *   scanprobe [-r ROUNDS] DIR
 *
 * Ways (each walks the whole tree, depth first, one thread):
 *   readdir    getdents64 and the opening of directories, no stat at all:
 *              the floor of any walk (what find -type f does)
 *   statx      + statx() by name for every entry, in getdents order, with
 *              the walker's mask and flags (what the agent does)
 *   statx-min  + statx() asking only type, size and link count
 *   statx-ino  + statx() in inode-number order within each getdents batch
 *   fstatat    + fstatat() by name (what du -s does, through fts)
 *   uring      + statx() through io_uring, 64 in flight (built with liburing)
 *   syscall    one null system call per entry seen by the walks: the cost of
 *              entering and leaving the kernel alone
 *
 * The ways run in interleaved rounds (the machine may be shared); each
 * line gives the way's best CPU seconds, that round's wall seconds, the
 * entries stat'ed and the nanoseconds of CPU per entry.  The walk's totals
 * are checked against each other: a way that counted other files fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

enum probe_way { WAY_READDIR, WAY_STATX, WAY_STATX_MIN, WAY_STATX_INO, WAY_FSTATAT,
		 WAY_URING, WAY_SYSCALL, WAY_N };

static const char *const probe_names[WAY_N] = { "readdir", "statx",   "statx-min", "statx-ino",
						"fstatat", "uring",   "syscall" };

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
	enum probe_way way;
	uint64_t entries, files, bytes;
	int err;
	char *bufs[PROBE_MAX_DEPTH];
	struct probe_entry *order[PROBE_MAX_DEPTH];
#ifdef HAVE_LIBURING
	struct io_uring ring;
	struct statx *sx; /* PROBE_URING_DEPTH results */
	unsigned inflight;
#endif
};

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

	while (p->inflight > 0) {
		if (io_uring_submit_and_wait(&p->ring, 1) < 0 ||
		    io_uring_wait_cqe(&p->ring, &cqe) < 0) {
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
#endif

/* Stats one non-directory entry of the directory open on fd the probe's way. */
static void probe_stat(struct probe *p, int fd, const char *name)
{
	struct statx sx;
	struct stat st;

	p->entries++;
	switch (p->way) {
	case WAY_READDIR:
		break;
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
	{
		struct io_uring_sqe *sqe;

		if (p->inflight == PROBE_URING_DEPTH)
			probe_uring_drain(p);
		sqe = io_uring_get_sqe(&p->ring);
		if (!sqe) {
			p->err = EIO;
			break;
		}
		io_uring_prep_statx(sqe, fd, name, PROBE_FLAGS, PROBE_MASK, &p->sx[p->inflight]);
		sqe->user_data = p->inflight++;
	}
#endif
		break;
	case WAY_SYSCALL:
		syscall(SYS_getppid);
		break;
	case WAY_N:
		break;
	}
}

/* Walks the directory open on fd (closed on return). */
static void probe_walk(struct probe *p, int fd, unsigned depth)
{
	char *buf;
	struct probe_entry *order;

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
		size_t ne = 0, i;

		if (n < 0) {
			p->err = errno;
			break;
		}
		if (n == 0)
			break;
		for (off = 0; off < n;) {
			const struct probe_dirent *d = (const struct probe_dirent *)(buf + off);

			if (!(d->d_name[0] == '.' &&
			      (d->d_name[1] == '\0' || (d->d_name[1] == '.' && d->d_name[2] == '\0')))) {
				order[ne].ino = d->d_ino;
				order[ne].off = (uint32_t)off;
				ne++;
			}
			off += d->d_reclen;
		}
		if (p->way == WAY_STATX_INO)
			qsort(order, ne, sizeof(*order), probe_ino_cmp);
		for (i = 0; i < ne; i++) {
			const struct probe_dirent *d =
				(const struct probe_dirent *)(buf + order[i].off);

			if (d->d_type == DT_DIR) {
				int c = openat(fd, d->d_name,
					       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

				if (c < 0) {
					p->err = errno;
					continue;
				}
				probe_walk(p, c, depth + 1);
			} else {
				probe_stat(p, fd, d->d_name);
			}
		}
#ifdef HAVE_LIBURING
		/* The names live in this buffer until the next getdents. */
		if (p->way == WAY_URING)
			probe_uring_drain(p);
#endif
	}
out:
	close(fd);
}

static double probe_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static double probe_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return probe_seconds(&ru.ru_utime) + probe_seconds(&ru.ru_stime);
}

static double probe_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One walk of dir the way p->way; returns 0 or a positive errno. */
static int probe_run(struct probe *p, const char *dir, double *cpu, double *wall)
{
	double c0, w0;
	int fd;

	p->entries = p->files = p->bytes = 0;
	p->err = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	c0 = probe_cpu();
	w0 = probe_now();
	probe_walk(p, fd, 0);
	*wall = probe_now() - w0;
	*cpu = probe_cpu() - c0;
	return p->err;
}

int main(int argc, char **argv)
{
	struct probe p;
	double best_cpu[WAY_N], best_wall[WAY_N];
	uint64_t entries[WAY_N] = { 0 }, files = 0, bytes = 0;
	unsigned rounds = 3, r, w, d;
	int c, ret = 1, have_uring = 0;

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
#ifdef HAVE_LIBURING
	p.sx = calloc(PROBE_URING_DEPTH, sizeof(*p.sx));
	have_uring = p.sx && io_uring_queue_init(2 * PROBE_URING_DEPTH, &p.ring, 0) == 0;
#endif
	for (w = 0; w < WAY_N; w++)
		best_cpu[w] = best_wall[w] = -1;
	for (r = 0; r < rounds; r++) {
		for (w = 0; w < WAY_N; w++) {
			double cpu = 0, wall = 0;
			int err;

			if (w == WAY_URING && !have_uring)
				continue;
			p.way = (enum probe_way)w;
			err = probe_run(&p, argv[optind], &cpu, &wall);
			if (err) {
				fprintf(stderr, "scanprobe: %s walk of '%s' failed: %s\n",
					probe_names[w], argv[optind], strerror(err));
				goto out;
			}
			/* Every stat'ing way must have seen the same files. */
			if (w != WAY_READDIR && w != WAY_SYSCALL) {
				if (files == 0 && bytes == 0) {
					files = p.files;
					bytes = p.bytes;
				} else if (p.files != files || p.bytes != bytes) {
					fprintf(stderr,
						"scanprobe: '%s' changed during the probe (%s saw %llu files)\n",
						argv[optind], probe_names[w],
						(unsigned long long)p.files);
					goto out;
				}
			}
			entries[w] = p.entries;
			if (best_cpu[w] < 0 || cpu < best_cpu[w]) {
				best_cpu[w] = cpu;
				best_wall[w] = wall;
			}
		}
	}
	printf("scanprobe: one thread, %llu files, best of %u interleaved rounds\n",
	       (unsigned long long)files, rounds);
	printf("%-10s %8s %8s %10s %9s %12s\n", "way", "CPU s", "wall s", "entries", "ns/entry",
	       "ns - readdir");
	for (w = 0; w < WAY_N; w++) {
		if (best_cpu[w] < 0) {
			printf("%-10s %8s\n", probe_names[w], "not built (liburing-dev missing)");
			continue;
		}
		/* The last column is the per-file step alone: the way's CPU
		 * less the bare walk's, per entry. */
		printf("%-10s %8.3f %8.3f %10llu %9.0f %12.0f\n", probe_names[w], best_cpu[w],
		       best_wall[w], (unsigned long long)entries[w],
		       entries[w] ? best_cpu[w] * 1e9 / (double)entries[w] : 0.0,
		       entries[w] ? (best_cpu[w] - best_cpu[WAY_READDIR]) * 1e9 / (double)entries[w]
				  : 0.0);
	}
	ret = 0;
out:
#ifdef HAVE_LIBURING
	if (have_uring)
		io_uring_queue_exit(&p.ring);
	free(p.sx);
#endif
	for (d = 0; d < PROBE_MAX_DEPTH; d++) {
		free(p.bufs[d]);
		free(p.order[d]);
	}
	return ret;
}
