/* scan_walk.c - reading directories for scan_store() (scan_walk.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scan_error.h"
#include "scan_walk.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

#define SCAN_STATX_FLAGS (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC)
#define SCAN_STATX_MASK \
	(STATX_TYPE | STATX_SIZE | STATX_INO | STATX_NLINK | STATX_BTIME | STATX_CTIME | \
	 STATX_MTIME)
/* Above this many cached subdirectories, a read looks names up in a sorted
 * index instead of the list. */
#define SCAN_INDEX_MIN 16

struct scan__dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int scan__ts_cmp(const struct statx_timestamp *a, const struct timespec *b)
{
	if (a->tv_sec != (int64_t)b->tv_sec)
		return a->tv_sec < (int64_t)b->tv_sec ? -1 : 1;
	if ((long)a->tv_nsec != b->tv_nsec)
		return (long)a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

static int scan__ts_eq(const struct statx_timestamp *a, const struct statx_timestamp *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* The current time less some seconds, from the coarse clock: it lags the
 * precise one, which only makes the comparisons below more cautious. */
static struct timespec scan__now_minus(unsigned seconds)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME_COARSE, &t);
	t.tv_sec -= (time_t)seconds;
	return t;
}

/* The longest path quoted in an error: longer ones keep their head and
 * tail around "...", so that the reason still fits in the sample. */
#define SCAN_ERR_PATH_MAX 120

void scan_walk_error(struct scan_worker *w, const char *what, const char *name, int err)
{
	struct scan_walk *walk = w->walk;
	char where[SCAN_ERR_PATH_MAX + 1];
	const char *path = w->len > 0 ? w->path : "";
	const char *sep = w->len > 0 && name ? "/" : "";
	size_t plen = w->len, nlen = name ? strlen(name) : 0, slen = strlen(sep);
	int first;

	if (!name && plen == 0) {
		snprintf(where, sizeof(where), ".");
	} else if (plen + slen + nlen <= SCAN_ERR_PATH_MAX) {
		snprintf(where, sizeof(where), "%s%s%s", path, sep, name ? name : "");
	} else {
		/* head ... tail, the tail taken from path/name as one string */
		size_t head = 40, tail = SCAN_ERR_PATH_MAX - head - 3, total = plen + slen + nlen;
		size_t i, o = 0, from = total - tail;

		memcpy(where, path, head < plen ? head : plen);
		o = head < plen ? head : plen;
		memcpy(where + o, "...", 3);
		o += 3;
		for (i = from; i < total; i++)
			where[o++] = i < plen ? path[i] : i < plen + slen ? '/' : name[i - plen - slen];
		where[o] = '\0';
	}
	pthread_mutex_lock(&walk->lock);
	first = walk->error_count++ == 0;
	if (first)
		scan_error_text(walk->first_error, sizeof(walk->first_error), what,
				scan_error_depth(path, plen, name), err);
	pthread_mutex_unlock(&walk->lock);
	if (first)
		log_warn("scan: cannot %s '%s': %s", what, where, strerror(err));
	else
		log_debug("scan: cannot %s '%s': %s", what, where, strerror(err));
}

void scan_walk_prepare(struct scan_node *node, const struct statx *sx)
{
	struct timespec recent = scan__now_minus(SCAN_CACHE_SLACK_S);

	node->ino = sx->stx_ino;
	node->mtime = sx->stx_mtime;
	node->ctime = sx->stx_ctime;
	node->flags = 0;
	if (scan__ts_cmp(&sx->stx_mtime, &recent) >= 0 || scan__ts_cmp(&sx->stx_ctime, &recent) >= 0)
		node->flags |= SCAN_NODE_VOLATILE;
}

int scan_walk_unchanged(const struct scan_walk *walk, const struct scan_node *node,
			const struct statx *sx)
{
	return walk->incremental && (node->flags & SCAN_NODE_VALID) &&
	       !(node->flags & SCAN_NODE_VOLATILE) && node->ino == sx->stx_ino &&
	       scan__ts_eq(&node->mtime, &sx->stx_mtime) && scan__ts_eq(&node->ctime, &sx->stx_ctime);
}

void scan_walk_account(struct scan_worker *w, const struct scan_node *node)
{
	const struct scan_walk *walk = w->walk;

	/* Every file in it was born before it was read, so before this scan;
	 * those born during the scan that read it are this window's additions
	 * when that scan was the previous one, and nobody's otherwise. */
	w->objects += node->objects;
	w->bytes += node->bytes;
	if (walk->has_prev && node->read_start.tv_sec == walk->prev.tv_sec &&
	    node->read_start.tv_nsec == walk->prev.tv_nsec) {
		w->added_objects += node->late_objects;
		w->added_bytes += node->late_bytes;
	}
	w->dirs_unchanged++;
}

/* Appends "/name" to the worker's path; returns the length to restore. */
static size_t scan__path_push(struct scan_worker *w, const char *name)
{
	size_t old = w->len, nlen = strlen(name), need = old + 1 + nlen + 1;

	if (need > w->cap) {
		size_t ncap = w->cap ? w->cap : 256;
		char *p;

		while (ncap < need)
			ncap *= 2;
		p = realloc(w->path, ncap);
		if (!p) {
			w->nomem = 1;
			return old;
		}
		w->path = p;
		w->cap = ncap;
	}
	if (old > 0)
		w->path[w->len++] = '/';
	memcpy(w->path + w->len, name, nlen + 1);
	w->len += nlen;
	return old;
}

static void scan__path_pop(struct scan_worker *w, size_t old)
{
	w->len = old;
	if (w->path)
		w->path[old] = '\0';
}

void scan_walk_seen(struct scan_worker *w, const char *name)
{
	size_t old;

	if (!w->walk->man)
		return;
	old = name ? scan__path_push(w, name) : w->len;
	manifest_dir_seen(w->walk->man, w->path ? w->path : "", w->len);
	scan__path_pop(w, old);
}

/* Records one regular file of the directory being read for the manifest. */
static void scan__record(struct scan_worker *w, struct manifest_dirbuf *mb, const char *name,
			 const struct statx *sx)
{
	const struct statx_timestamp *born =
		(sx->stx_mask & STATX_BTIME) ? &sx->stx_btime : &sx->stx_ctime;

	if (manifest_dirbuf_add(mb, name, strlen(name), sx->stx_size, sx->stx_ino, born->tv_sec,
				sx->stx_mtime.tv_sec) < 0)
		w->man_failed = 1;
}

/* Opens a subdirectory without following a symlink, without updating its
 * access time where we may (O_NOATIME needs ownership or CAP_FOWNER), or
 * as an O_PATH handle when only its subdirectories will be looked at. */
static int scan__open(int dfd, const char *name, int mode)
{
	int fd;

	if (mode == SCAN_MODE_CHECK)
		return openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* Walks the subdirectory name of the directory open on dfd, whose statx is
 * sx: trusts the cache for it when it is unchanged, and otherwise opens it
 * and reads it, on an idle thread when there is one. */
static void scan__child(struct scan_worker *w, int dfd, struct scan_node *c, const char *name,
			const struct statx *sx, unsigned depth)
{
	struct scan_walk *walk = w->walk;
	int mode = SCAN_MODE_READ, fd;
	size_t old;

	if (c && scan_walk_unchanged(walk, c, sx)) {
		scan_walk_account(w, c);
		scan_walk_seen(w, name);
		if (!c->children)
			return; /* nothing below it to look at */
		mode = SCAN_MODE_CHECK;
	} else if (c) {
		scan_walk_prepare(c, sx);
	}
	if (depth + 1 > SCAN_MAX_DEPTH) {
		scan_walk_error(w, "descend into", name, ENAMETOOLONG);
		if (c)
			c->flags = SCAN_NODE_VOLATILE;
		return;
	}
	fd = scan__open(dfd, name, mode);
	if (fd < 0) {
		/* Denied, or gone since its parent was read: either way its
		 * contents are unknown, never zero. */
		scan_walk_error(w, "open", name, errno);
		if (c)
			c->flags = SCAN_NODE_VOLATILE;
		return;
	}
	old = scan__path_push(w, name);
	if (walk->pool.nthreads > 1) {
		struct scan_task t = { .fd = fd, .node = c, .depth = depth + 1, .mode = mode };

		t.relpath = strdup(w->path ? w->path : "");
		if (t.relpath && scan_pool_offer(&walk->pool, &t)) {
			scan__path_pop(w, old);
			return;
		}
		free(t.relpath);
	}
	scan_walk_dir(w, fd, c, depth + 1, mode);
	scan__path_pop(w, old);
}

static int scan__node_cmp(const void *a, const void *b)
{
	const struct scan_node *x = *(struct scan_node *const *)a;
	const struct scan_node *y = *(struct scan_node *const *)b;

	return strcmp(x->name, y->name);
}

/* The cached subdirectory called name, from the index when there is one. */
static struct scan_node *scan__lookup(struct scan_node *node, struct scan_node **index,
				      size_t nindex, const char *name)
{
	struct scan_node *c;

	if (index) {
		size_t lo = 0, hi = nindex;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int r = strcmp(name, index[mid]->name);

			if (r == 0)
				return index[mid];
			if (r < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		return NULL;
	}
	for (c = node->children; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Drops the cached subdirectories a complete read did not see. */
static void scan__prune(struct scan_worker *w, struct scan_node *node)
{
	struct scan_node **pp = &node->children;

	while (*pp) {
		struct scan_node *c = *pp;

		if (c->gen != w->walk->gen) {
			*pp = c->next;
			node->nchildren--;
			w->ndirs_delta -= (int64_t)scan_node_free_tree(c);
		} else {
			pp = &c->next;
		}
	}
}

struct scan__dirsum {
	uint64_t objects, bytes, late_objects, late_bytes;
	int hot;
};

/* Counts one regular file by the rule in scan.h. */
static void scan__file(struct scan_worker *w, const struct statx *sx, struct scan__dirsum *sum,
		       const struct timespec *hot_since)
{
	struct scan_walk *walk = w->walk;
	const struct statx_timestamp *born = &sx->stx_btime;

	w->files_statted++;
	if (!(sx->stx_mask & STATX_BTIME)) {
		born = &sx->stx_ctime;
		w->no_btime = 1;
	}
	if (sx->stx_nlink > 1) {
		int r = hardlinks_add(&walk->hl, sx->stx_ino);

		sum->hot = 1; /* the inode set is per scan: never trust this directory */
		if (r < 0)
			w->nomem = 1;
		if (r <= 0)
			return;
	}
	if (hot_since && (scan__ts_cmp(&sx->stx_mtime, hot_since) >= 0 ||
			  scan__ts_cmp(&sx->stx_ctime, hot_since) >= 0))
		sum->hot = 1;
	sum->objects++;
	sum->bytes += sx->stx_size;
	if (scan__ts_cmp(born, &walk->start) >= 0) {
		/* Born while this scan runs: the next scan's addition. */
		sum->late_objects++;
		sum->late_bytes += sx->stx_size;
		return;
	}
	w->objects++;
	w->bytes += sx->stx_size;
	if (walk->has_prev && scan__ts_cmp(born, &walk->prev) >= 0) {
		w->added_objects++;
		w->added_bytes += sx->stx_size;
	}
}

/* Reads the directory open on fd: counts its files, walks its
 * subdirectories, and brings node (if any) up to date. */
static void scan__read(struct scan_worker *w, int fd, struct scan_node *node, unsigned depth)
{
	struct scan_walk *walk = w->walk;
	struct scan__dirsum sum = { 0 };
	struct scan_node **index = NULL;
	struct timespec hot_since;
	struct manifest_dirbuf *mb = walk->man ? &w->mbufs[depth] : NULL;
	size_t nindex = 0;
	int complete = 1;
	char *buf;

	if (!w->bufs[depth] && !(w->bufs[depth] = malloc(SCAN_BUF_SIZE))) {
		w->nomem = 1;
		return;
	}
	buf = w->bufs[depth];
	w->dirs_read++;
	if (mb)
		manifest_dirbuf_reset(mb);
	hot_since = scan__now_minus(walk->hot_s);
	if (node && node->nchildren >= SCAN_INDEX_MIN) {
		index = malloc(node->nchildren * sizeof(*index));
		if (index) {
			struct scan_node *c;

			for (c = node->children; c; c = c->next)
				index[nindex++] = c;
			qsort(index, nindex, sizeof(*index), scan__node_cmp);
		}
	}
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, SCAN_BUF_SIZE);
		long off;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			scan_walk_error(w, "read", NULL, errno);
			complete = 0;
			break;
		}
		if (n == 0)
			break;
		for (off = 0; off < n;) {
			struct scan__dirent64 *d = (struct scan__dirent64 *)(buf + off);
			const char *name = d->d_name;
			struct statx sx;

			off += d->d_reclen;
			if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
				continue;
			if (d->d_type != DT_REG && d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
				continue; /* symlinks, devices, sockets: not evidence */
			if (statx(fd, name, SCAN_STATX_FLAGS, SCAN_STATX_MASK, &sx) < 0) {
				/* A file deleted since getdents is simply not there;
				 * a directory that vanished mid-walk takes unknown
				 * contents with it. */
				if (errno == ENOENT && d->d_type != DT_DIR)
					continue;
				scan_walk_error(w, d->d_type == DT_DIR ? "open" : "stat", name, errno);
				complete = 0;
				continue;
			}
			if (S_ISREG(sx.stx_mode)) {
				if (mb)
					scan__record(w, mb, name, &sx);
				scan__file(w, &sx, &sum, node ? &hot_since : NULL);
			} else if (S_ISDIR(sx.stx_mode)) {
				struct scan_node *c = NULL;

				if (sx.stx_dev_major != walk->dev_major ||
				    sx.stx_dev_minor != walk->dev_minor)
					continue; /* another filesystem mounted here */
				if (node) {
					c = scan__lookup(node, index, nindex, name);
					if (!c) {
						c = scan_node_new(name, strlen(name));
						if (!c) {
							w->nomem = 1;
							continue;
						}
						c->next = node->children;
						node->children = c;
						node->nchildren++;
						w->ndirs_delta++;
					}
					c->gen = walk->gen;
				}
				scan__child(w, fd, c, name, &sx, depth);
			}
		}
	}
	free(index);
	close(fd);
	if (mb) {
		if (complete && manifest_dir_update(walk->man, w->path ? w->path : "", w->len, mb) < 0)
			w->man_failed = 1;
		else if (!complete)
			manifest_dir_seen(walk->man, w->path ? w->path : "", w->len);
		manifest_dirbuf_reset(mb);
	}
	if (!node)
		return;
	if (complete)
		scan__prune(w, node);
	node->objects = sum.objects;
	node->bytes = sum.bytes;
	node->late_objects = sum.late_objects;
	node->late_bytes = sum.late_bytes;
	node->read_start = walk->start;
	if (complete)
		node->flags |= SCAN_NODE_VALID;
	if (!complete || sum.hot)
		node->flags |= SCAN_NODE_VOLATILE;
}

/* An unchanged directory (its totals are already counted): looks at each
 * cached subdirectory, which may have changed on its own. */
static void scan__check(struct scan_worker *w, int fd, struct scan_node *node, unsigned depth)
{
	struct scan_walk *walk = w->walk;
	struct scan_node *c;

	for (c = node->children; c; c = c->next) {
		struct statx sx;

		if (statx(fd, c->name, SCAN_STATX_FLAGS, SCAN_STATX_MASK, &sx) < 0) {
			/* Its parent's times said it was there: it went during
			 * this scan, or the times lied.  Read the parent next time. */
			scan_walk_error(w, "open", c->name, errno);
			node->flags |= SCAN_NODE_VOLATILE;
			continue;
		}
		if (!S_ISDIR(sx.stx_mode)) {
			scan_walk_error(w, "open", c->name, ENOTDIR);
			node->flags |= SCAN_NODE_VOLATILE;
			continue;
		}
		if (sx.stx_dev_major != walk->dev_major || sx.stx_dev_minor != walk->dev_minor)
			continue;
		c->gen = walk->gen;
		scan__child(w, fd, c, c->name, &sx, depth);
	}
	close(fd);
}

void scan_walk_dir(struct scan_worker *w, int fd, struct scan_node *node, unsigned depth, int mode)
{
	if (mode == SCAN_MODE_CHECK && node)
		scan__check(w, fd, node, depth);
	else
		scan__read(w, fd, node, depth);
}

void scan_walk_task(void *arg, unsigned worker, struct scan_task *t)
{
	struct scan_walk *walk = arg;
	struct scan_worker *w = &walk->workers[worker];

	scan__path_pop(w, 0);
	if (t->relpath && t->relpath[0])
		scan__path_push(w, t->relpath);
	free(t->relpath);
	scan_walk_dir(w, t->fd, t->node, t->depth, t->mode);
	scan__path_pop(w, 0);
}
