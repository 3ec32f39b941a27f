/*
 * bench_delwatch.c - what the deletion watch costs the process that deletes,
 * and how soon its deletions are attributed.
 *
 * Deletes N files (one directory, as a purge or an `rm -rf` does) three
 * ways, in one run: with nothing watching; with inotify watching the
 * directory (what a site would otherwise use to see deletions, though it
 * cannot say who); with the agent's fanotify watch (agent/delwatch.c) read
 * by a second thread as the agent's loop does.  Prints unlink rates and the
 * ratios to the unwatched run (the faster of one run before and one after
 * the others), then how long after the last unlink every
 * deletion had been attributed, and whether the kernel's queue overflowed.
 * Needs CAP_SYS_ADMIN (run as root); BENCH_FILES sets N (default 20000).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/delwatch.h"
#include "shrinkwatch/log.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void make_files(const char *dir, long n)
{
	char p[4096];

	mkdir(dir, 0700);
	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(p, sizeof p, "%s/clip%06ld.mp4", dir, i);
		fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		if (fd < 0 || close(fd)) {
			perror(p);
			exit(1);
		}
	}
}

/* Seconds to unlink the n files. */
static double unlink_files(const char *dir, long n)
{
	char p[4096];
	double t0 = now_s();

	for (long i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/clip%06ld.mp4", dir, i);
		if (unlink(p)) {
			perror(p);
			exit(1);
		}
	}
	return now_s() - t0;
}

struct reader {
	struct delwatch *dw;
	int ifd; /* inotify, or -1 */
	atomic_long seen;
	atomic_int stop, overflow;
	double last_at;
};

static void *read_events(void *arg)
{
	struct reader *r = arg;
	struct delwatch_report rep[DELWATCH_MAX_REPORTS];
	char buf[65536] __attribute__((aligned(8)));

	while (!atomic_load(&r->stop)) {
		struct pollfd p = { .fd = r->dw ? delwatch_fd(r->dw) : r->ifd, .events = POLLIN };

		if (poll(&p, 1, 50) <= 0)
			continue;
		if (r->dw) {
			size_t n;

			if (delwatch_read(r->dw) == -EOVERFLOW)
				atomic_store(&r->overflow, 1);
			n = delwatch_take(r->dw, rep, DELWATCH_MAX_REPORTS);
			for (size_t i = 0; i < n; i++)
				atomic_fetch_add(&r->seen, (long)rep[i].files);
		} else {
			ssize_t len = read(r->ifd, buf, sizeof buf);

			for (ssize_t off = 0; off < len;) {
				struct inotify_event *e = (void *)(buf + off);

				if (e->mask & IN_DELETE)
					atomic_fetch_add(&r->seen, 1);
				if (e->mask & IN_Q_OVERFLOW)
					atomic_store(&r->overflow, 1);
				off += (ssize_t)(sizeof *e + e->len);
			}
		}
		r->last_at = now_s();
	}
	return NULL;
}

/* Unlinks n files under dir with r's watch read by a thread; returns the
 * unlink seconds and sets *lag to how long after the last unlink the last
 * event was counted. */
static double watched_run(const char *dir, long n, struct reader *r, double *lag)
{
	pthread_t th;
	double t, end, deadline;

	make_files(dir, n);
	atomic_store(&r->seen, 0);
	atomic_store(&r->stop, 0);
	pthread_create(&th, NULL, read_events, r);
	t = unlink_files(dir, n);
	end = now_s();
	deadline = end + 30;
	while (atomic_load(&r->seen) < n && !atomic_load(&r->overflow) && now_s() < deadline)
		usleep(1000);
	atomic_store(&r->stop, 1);
	pthread_join(th, NULL);
	*lag = r->last_at - end;
	return t;
}

int main(void)
{
	const char *env = getenv("BENCH_FILES");
	long n = env ? atol(env) : 20000;
	char root[] = "/var/tmp/swbench-delwatch.XXXXXX", dir[4096];
	struct reader r = { .ifd = -1 };
	double base, base2, ino, fan, lag_i, lag_f;
	long seen_i, seen_f;
	int err;

	log_init("bench_delwatch", LOG_ERR);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof dir, "%s/2023", root);
	make_files(dir, n);
	base = unlink_files(dir, n);

	r.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r.ifd < 0 || inotify_add_watch(r.ifd, dir, IN_DELETE) < 0) {
		perror("inotify");
		return 1;
	}
	ino = watched_run(dir, n, &r, &lag_i);
	seen_i = atomic_load(&r.seen);
	close(r.ifd);
	r.ifd = -1;

	err = delwatch_open(&r.dw, root, 2);
	if (err) {
		fprintf(stderr, "bench_delwatch: cannot watch '%s': %s (run as root)\n", root,
			strerror(-err));
		return 1;
	}
	atomic_store(&r.overflow, 0);
	fan = watched_run(dir, n, &r, &lag_f);
	seen_f = atomic_load(&r.seen);
	delwatch_close(r.dw);
	/* the unwatched run again, now that caches are as warm as for the
	 * others: the faster of the two is the base */
	make_files(dir, n);
	base2 = unlink_files(dir, n);
	if (base2 < base)
		base = base2;
	rmdir(dir);
	rmdir(root);

	printf("bench_delwatch: unlink of %ld files in one directory (one run, same machine)\n", n);
	printf("  %-34s %10.0f files/s  1.00x\n", "nothing watching", n / base);
	printf("  %-34s %10.0f files/s  %.2fx the time; %ld/%ld seen, no pid\n",
	       "inotify (IN_DELETE on the dir)", n / ino, ino / base, seen_i, n);
	printf("  %-34s %10.0f files/s  %.2fx the time; %ld/%ld attributed%s\n",
	       "shrinkwatch fanotify watch", n / fan, fan / base, seen_f, n,
	       atomic_load(&r.overflow) ? " (queue OVERFLOWED)" : "");
	printf("  last deletion attributed %.0f ms after the last unlink (inotify: %.0f ms)\n",
	       lag_f > 0 ? lag_f * 1000 : 0, lag_i > 0 ? lag_i * 1000 : 0);
	return 0;
}
