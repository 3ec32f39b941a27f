/* scan.c - measuring one store: set-up, cache policy and totals (scan.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsstat.h"
#include "scan.h"
#include "scan_error.h"
#include "scan_walk.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

/* A small pool: the walk is metadata work that a few threads saturate, and
 * the agent must not load an evidence server. */
#define SCAN_DEFAULT_THREADS_MAX 4
#define SCAN_THREADS_MAX 16

static unsigned scan__threads(unsigned asked)
{
	long n;

	if (asked)
		return asked > SCAN_THREADS_MAX ? SCAN_THREADS_MAX : asked;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > SCAN_DEFAULT_THREADS_MAX ? SCAN_DEFAULT_THREADS_MAX : (unsigned)n;
}

static int scan__is_zero(const struct timespec *t)
{
	return t->tv_sec == 0 && t->tv_nsec == 0;
}

static int scan__same(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Whether this scan may trust the cache: it must have seen the scan that
 * started at prev_start (its late-born totals are relative to that), have
 * had birth times, and be younger than the full-scan period. */
static int scan__incremental(const struct scan_cache *c, const struct scan_options *opt)
{
	if (!c || opt->full || !c->root || !c->btime_ok || c->full_interval_s == 0)
		return 0;
	if (scan__is_zero(&opt->prev_start) || !scan__same(&c->last_start, &opt->prev_start))
		return 0;
	/* a manifest that holds no scan yet must see every directory */
	if (opt->manifest && manifest_last_scan(opt->manifest) == 0)
		return 0;
	return opt->start.tv_sec - c->last_full.tv_sec < (time_t)c->full_interval_s;
}

static void scan__fail(struct sw_sample *out, int status, const char *path, int err)
{
	out->status = (uint8_t)status;
	out->error_count = 1;
	scan_error_text(out->first_error, sizeof(out->first_error), "open", 0, err);
	log_warn("scan: cannot open '%s': %s", path, strerror(err));
}

static int scan__open_root(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

static void scan__elapsed(struct sw_sample *out, const struct timespec *t0)
{
	struct timespec t1;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (int64_t)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
	out->scan_ms = ms < 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* Adds up the workers' counters into out and the stats. */
static int scan__collect(struct scan_walk *walk, struct sw_sample *out, struct scan_stats *st,
			 int64_t *ndirs_delta, int *no_btime, int *man_failed)
{
	unsigned i;
	int nomem = 0;

	for (i = 0; i < walk->nworkers; i++) {
		struct scan_worker *w = &walk->workers[i];

		out->objects += w->objects;
		out->bytes += w->bytes;
		out->added_objects += w->added_objects;
		out->added_bytes += w->added_bytes;
		st->dirs_read += w->dirs_read;
		st->dirs_unchanged += w->dirs_unchanged;
		st->files_statted += w->files_statted;
		*ndirs_delta += w->ndirs_delta;
		*no_btime |= w->no_btime;
		*man_failed |= w->man_failed;
		nomem |= w->nomem;
	}
	return nomem ? -ENOMEM : 0;
}

static void scan__workers_free(struct scan_walk *walk)
{
	unsigned i, d;

	for (i = 0; walk->workers && i < walk->nworkers; i++) {
		free(walk->workers[i].path);
		for (d = 0; d <= SCAN_MAX_DEPTH; d++) {
			free(walk->workers[i].bufs[d]);
			manifest_dirbuf_release(&walk->workers[i].mbufs[d]);
		}
	}
	free(walk->workers);
}

/* Starts the manifest's part of a scan: whether the manifest holds the
 * previous scan (else the figures cannot be exact). */
static int scan__manifest_begin(struct scan_walk *walk, const struct scan_options *opt,
				int *covers_prev)
{
	struct manifest *m = opt->manifest;

	*covers_prev = manifest_last_scan(m) != 0 &&
		       manifest_last_scan(m) == (int64_t)opt->prev_start.tv_sec;
	if (manifest_begin(m, (int64_t)opt->start.tv_sec) < 0)
		return -1;
	walk->man = m;
	return 0;
}

/* Ends it: diffs, calls the caller's removed(), and fills the figures. */
void scan__manifest_finish(const struct scan_options *opt, struct sw_sample *out,
				  int man_failed, int covers_prev)
{
	struct manifest_diff d;
	int complete = out->status == SW_SCAN_COMPLETE && !man_failed;
	int err = manifest_finish_split(opt->manifest, complete, opt->retention, opt->fresh_age,
					opt->removed, opt->removed_ud, &d);

	if (err < 0)
		log_warn("scan: store '%s': the manifest diff failed: %s; this scan is not exact",
			 out->store, strerror(-err));
	if (opt->diff)
		*opt->diff = d;
	out->removed_min_age = UINT64_MAX;
	if (err || !d.exact || !covers_prev)
		return;
	out->flags |= SW_SAMPLE_EXACT;
	out->removed_objects = d.removed_objects;
	out->removed_bytes = d.removed_bytes;
	out->removed_min_age = d.removed_min_age;
	out->shrunk_bytes = d.shrunk_bytes;
	out->moved_objects = d.moved_objects;
	out->moved_bytes = d.moved_bytes;
	if (opt->retention) {
		out->flags |= SW_SAMPLE_YOUNG_SPLIT;
		out->retention = opt->retention;
		out->removed_young_objects = d.removed_young_objects;
		out->removed_young_bytes = d.removed_young_bytes;
	}
	if (d.fresh_age) {
		out->flags |= SW_SAMPLE_FRESH_SPLIT;
		out->fresh_age = d.fresh_age;
		out->removed_fresh_objects = d.removed_fresh_objects;
		out->removed_fresh_bytes = d.removed_fresh_bytes;
		out->removed_min_settled_age = d.removed_min_settled_age;
	}
}

int scan_store(const char *path, const struct scan_options *opt, struct sw_sample *out)
{
	struct scan_cache *cache = opt->cache;
	struct scan_stats stats_local = { 0 }, *st = opt->stats ? opt->stats : &stats_local;
	struct scan_walk walk = { 0 };
	struct scan_node *root = NULL;
	struct timespec t0;
	struct statx rsx;
	struct scan_task first;
	int64_t ndirs_delta = 0;
	int fd = -1, ret = 0, no_btime = 0, pool_ok = 0, mode = SCAN_MODE_READ;
	int man_failed = 0, covers_prev = 0, man_on = 0;
	unsigned i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(st, 0, sizeof(*st));
	out->objects = out->bytes = out->added_objects = out->added_bytes = 0;
	out->fs_used = out->fs_size = out->fs_inodes = out->mount_id = 0;
	out->flags = 0;
	out->status = SW_SCAN_COMPLETE;
	out->error_count = 0;
	out->first_error[0] = '\0';
	out->time = (int64_t)opt->start.tv_sec;
	out->removed_objects = out->removed_bytes = 0;
	out->removed_young_objects = out->removed_young_bytes = 0;
	out->removed_min_age = out->shrunk_bytes = 0;
	out->moved_objects = out->moved_bytes = out->retention = 0;
	out->fresh_age = out->removed_fresh_objects = out->removed_fresh_bytes = 0;
	out->removed_min_settled_age = 0;

	fd = scan__open_root(path);
	if (fd < 0) {
		int err = errno;

		scan__fail(out, err == ENOENT || err == ENOTDIR ? SW_SCAN_MISSING : SW_SCAN_PARTIAL,
			   path, err);
		goto out;
	}
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		  STATX_TYPE | STATX_INO | STATX_MTIME | STATX_CTIME | STATX_BTIME, &rsx) < 0 ||
	    (ret = fsstat_fill(fd, out)) < 0) {
		scan__fail(out, SW_SCAN_PARTIAL, path, ret < 0 ? -ret : errno);
		ret = 0;
		goto out;
	}

	walk.start = opt->start;
	walk.prev = opt->prev_start;
	walk.has_prev = !scan__is_zero(&opt->prev_start);
	walk.dev_major = rsx.stx_dev_major;
	walk.dev_minor = rsx.stx_dev_minor;
	if (cache) {
		uint64_t dev = makedev(rsx.stx_dev_major, rsx.stx_dev_minor);

		if (cache->root && (cache->root_dev != dev || cache->root->ino != rsx.stx_ino))
			scan_cache_reset(cache); /* another filesystem or directory now */
		walk.incremental = scan__incremental(cache, opt);
		if (!cache->root) {
			cache->root = scan_node_new("", 0);
			if (!cache->root) {
				ret = -ENOMEM;
				goto out;
			}
			cache->ndirs = 1;
			cache->root_dev = dev;
		}
		cache->gen++;
		walk.gen = cache->gen;
		walk.hot_s = cache->hot_s;
		root = cache->root;
		if (scan_walk_unchanged(&walk, root, &rsx))
			mode = SCAN_MODE_CHECK;
		else
			scan_walk_prepare(root, &rsx);
	}
	if (opt->manifest)
		man_on = scan__manifest_begin(&walk, opt, &covers_prev) == 0;
	st->full = !walk.incremental;
	st->threads = scan__threads(opt->threads);
	walk.nworkers = st->threads;
	walk.workers = calloc(walk.nworkers, sizeof(*walk.workers));
	if (!walk.workers) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < walk.nworkers; i++)
		walk.workers[i].walk = &walk;
	pthread_mutex_init(&walk.lock, NULL);
	hardlinks_init(&walk.hl);
	ret = scan_pool_init(&walk.pool, walk.nworkers, scan_walk_task, &walk);
	if (ret < 0)
		goto out_walk;
	pool_ok = 1;

	if (mode == SCAN_MODE_CHECK) {
		scan_walk_account(&walk.workers[0], root);
		scan_walk_seen(&walk.workers[0], NULL);
	}
	first = (struct scan_task){ .fd = fd, .relpath = NULL, .node = root, .depth = 0, .mode = mode };
	fd = -1; /* the walk closes it */
	if (scan_pool_run(&walk.pool, &first) < 0)
		log_debug("scan: '%s': walked with fewer threads than asked", path);

	ret = scan__collect(&walk, out, st, &ndirs_delta, &no_btime, &man_failed);
	out->error_count = walk.error_count;
	if (walk.error_count) {
		out->status = SW_SCAN_PARTIAL;
		memcpy(out->first_error, walk.first_error, sizeof(out->first_error));
	}
	if (walk.has_prev)
		out->flags |= SW_SAMPLE_HAS_ADDED;
	if (!no_btime && (rsx.stx_mask & STATX_BTIME))
		out->flags |= SW_SAMPLE_BTIME;
	if (cache) {
		cache->ndirs = (uint64_t)((int64_t)cache->ndirs + ndirs_delta);
		cache->last_start = opt->start;
		if (!walk.incremental)
			cache->last_full = opt->start;
		cache->btime_ok = (out->flags & SW_SAMPLE_BTIME) != 0;
		st->cache_dirs = cache->ndirs;
		if (ret < 0)
			scan_cache_reset(cache); /* it may have missed directories */
	}
	if (ret < 0) {
		/* Out of memory part-way: the totals are not a truth at all. */
		out->status = SW_SCAN_PARTIAL;
		if (!out->error_count++)
			scan_error_text(out->first_error, sizeof(out->first_error), "scan", 0,
					ENOMEM);
	}
	if (man_on)
		scan__manifest_finish(opt, out, man_failed || ret < 0, covers_prev);
	man_on = 0;
out_walk:
	if (man_on) {
		struct manifest_diff d;

		manifest_finish(opt->manifest, 0, 0, NULL, NULL, &d);
	}
	if (pool_ok)
		scan_pool_release(&walk.pool);
	hardlinks_release(&walk.hl);
	pthread_mutex_destroy(&walk.lock);
	scan__workers_free(&walk);
out:
	if (fd >= 0)
		close(fd);
	scan__elapsed(out, &t0);
	return ret;
}

int64_t scan_sample_time(const struct timespec *start, uint32_t interval, bool scheduled)
{
	int64_t ms = (int64_t)start->tv_sec * 1000 + start->tv_nsec / 1000000 + 100;
	int64_t period = (int64_t)(interval ? interval : 1) * 1000;

	if (!scheduled)
		return (int64_t)start->tv_sec + (start->tv_nsec >= 500000000);
	return ms / period * period / 1000;
}
