/* delwatch.c - deletions under a store, attributed, from fanotify (delwatch.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <time.h>
#include <unistd.h>

#include "delwatch.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

#define DELWATCH_BUF 65536
#define DELWATCH_HANDLE_MAX 128
/* Directories deleted recently, by handle: their files' events name them by
 * a handle that can no longer be opened. */
#define DELWATCH_GONE_MAX 512
/* Events per read buffer, at least (the smallest event is larger). */
#define DELWATCH_EVENTS_MAX (DELWATCH_BUF / 32)

struct delwatch__gone {
	unsigned char handle[DELWATCH_HANDLE_MAX];
	size_t len;
	char rel[DELWATCH_TEXT_MAX]; /* relative to the store, no trailing '/' */
};

struct delwatch {
	int fd;      /* fanotify */
	int root_fd; /* the store: for open_by_handle_at and the prefix */
	char root[PATH_MAX];
	size_t rootlen;
	unsigned depth;
	/* The last directory resolved: a bulk delete hits one many times. */
	unsigned char last_handle[DELWATCH_HANDLE_MAX];
	size_t last_handle_len;
	int last_inside;
	char last_dir[DELWATCH_TEXT_MAX];
	/* The last process looked up. */
	pid_t last_pid;
	int64_t last_uid;
	char last_exe[DELWATCH_TEXT_MAX];
	struct delwatch_report reports[DELWATCH_MAX_REPORTS];
	size_t nreports;
	struct delwatch__gone gone[DELWATCH_GONE_MAX];
	size_t ngone, gone_next;
	uint64_t unresolved; /* events whose directory could not be told */
	struct fanotify_event_metadata *events[DELWATCH_EVENTS_MAX];
	char buf[DELWATCH_BUF];
	/* The kernel aligns events to 4 bytes only: each is copied here at an
	 * 8-byte boundary before its 64-bit fields are read. */
	char evbuf[DELWATCH_BUF * 2] __attribute__((aligned(8)));
};

int delwatch_open(struct delwatch **out, const char *store_path, unsigned prefix_depth)
{
	struct delwatch *dw = calloc(1, sizeof(*dw));
	int ret = 0;

	*out = NULL;
	if (!dw)
		return -ENOMEM;
	dw->fd = dw->root_fd = -1;
	dw->depth = prefix_depth;
	if (!realpath(store_path, dw->root)) {
		ret = -errno;
		goto out;
	}
	dw->rootlen = strlen(dw->root);
	dw->root_fd = open(dw->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dw->root_fd < 0) {
		ret = -errno;
		goto out;
	}
	/* With the target's handle too (Linux 5.17), a deleted directory's
	 * handle can be matched with its files' earlier events. */
	dw->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME_TARGET | FAN_CLOEXEC |
				       FAN_NONBLOCK,
			       O_RDONLY | O_CLOEXEC);
	if (dw->fd < 0 && errno == EINVAL)
		dw->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_CLOEXEC |
					       FAN_NONBLOCK,
				       O_RDONLY | O_CLOEXEC);
	if (dw->fd < 0) {
		ret = -errno;
		goto out;
	}
	if (fanotify_mark(dw->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_DELETE | FAN_ONDIR,
			  dw->root_fd, NULL) < 0)
		ret = -errno;
out:
	if (ret < 0) {
		delwatch_close(dw);
		return ret;
	}
	*out = dw;
	return 0;
}

void delwatch_close(struct delwatch *dw)
{
	if (!dw)
		return;
	if (dw->fd >= 0)
		close(dw->fd);
	if (dw->root_fd >= 0)
		close(dw->root_fd);
	free(dw);
}

int delwatch_fd(const struct delwatch *dw)
{
	return dw->fd;
}

static size_t delwatch__hlen(const struct file_handle *fh)
{
	return sizeof(*fh) + fh->handle_bytes;
}

static const struct delwatch__gone *delwatch__gone_find(const struct delwatch *dw,
							const struct file_handle *fh)
{
	size_t hlen = delwatch__hlen(fh), i;

	for (i = 0; i < dw->ngone; i++)
		if (dw->gone[i].len == hlen && memcmp(dw->gone[i].handle, fh, hlen) == 0)
			return &dw->gone[i];
	return NULL;
}

static void delwatch__gone_put(struct delwatch *dw, const struct file_handle *fh, const char *rel)
{
	size_t hlen = delwatch__hlen(fh);
	struct delwatch__gone *g;

	if (hlen > DELWATCH_HANDLE_MAX || delwatch__gone_find(dw, fh))
		return;
	g = &dw->gone[dw->gone_next];
	dw->gone_next = (dw->gone_next + 1) % DELWATCH_GONE_MAX;
	if (dw->ngone < DELWATCH_GONE_MAX)
		dw->ngone++;
	memcpy(g->handle, fh, hlen);
	g->len = hlen;
	hlen = strnlen(rel, sizeof(g->rel) - 1);
	memcpy(g->rel, rel, hlen);
	g->rel[hlen] = '\0';
}

/* The path of a directory handle relative to the store (no trailing '/',
 * "" for the store itself): 1 if it is inside the store, 0 if it is not, -1
 * if it cannot be told (deleted, and not seen going). */
static int delwatch__resolve(struct delwatch *dw, struct file_handle *fh, char *rel, size_t len)
{
	size_t hlen = delwatch__hlen(fh);
	const struct delwatch__gone *g;
	char link[64], path[PATH_MAX];
	const char *r;
	ssize_t n;
	int fd, inside;

	if (hlen <= sizeof(dw->last_handle) && hlen == dw->last_handle_len &&
	    memcmp(dw->last_handle, fh, hlen) == 0) {
		snprintf(rel, len, "%s", dw->last_dir);
		return dw->last_inside;
	}
	g = delwatch__gone_find(dw, fh);
	if (g) {
		snprintf(rel, len, "%s", g->rel);
		return 1;
	}
	fd = open_by_handle_at(dw->root_fd, fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n < 0)
		return -1;
	path[n] = '\0';
	if ((size_t)n > 10 && strcmp(path + n - 10, " (deleted)") == 0)
		return -1; /* its path is no longer its own */
	inside = strncmp(path, dw->root, dw->rootlen) == 0 &&
		 (path[dw->rootlen] == '\0' || path[dw->rootlen] == '/' || dw->rootlen == 1);
	r = inside ? path + dw->rootlen : "";
	while (*r == '/')
		r++;
	snprintf(rel, len, "%s", r);
	if (hlen <= sizeof(dw->last_handle)) {
		memcpy(dw->last_handle, fh, hlen);
		dw->last_handle_len = hlen;
		dw->last_inside = inside;
		snprintf(dw->last_dir, sizeof(dw->last_dir), "%s", rel);
	}
	return inside;
}

/* The first depth components of rel, each followed by '/'. */
static void delwatch__prefix(const struct delwatch *dw, const char *rel, char *dir, size_t len)
{
	unsigned seen = 0;
	size_t i, o = 0;

	for (i = 0; rel[i] && seen < dw->depth && o + 2 < len; i++) {
		dir[o++] = rel[i];
		if (rel[i] == '/')
			seen++;
	}
	if (o > 0 && dir[o - 1] != '/' && o + 1 < len)
		dir[o++] = '/';
	dir[o] = '\0';
}

/* The executable and real uid of pid, while it still exists. */
static void delwatch__who(struct delwatch *dw, pid_t pid)
{
	char p[64], line[256];
	ssize_t n;
	FILE *f;

	if (pid == dw->last_pid && pid != 0)
		return;
	dw->last_pid = pid;
	dw->last_uid = -1;
	snprintf(dw->last_exe, sizeof(dw->last_exe), "?");
	snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
	n = readlink(p, dw->last_exe, sizeof(dw->last_exe) - 1);
	if (n < 0)
		snprintf(dw->last_exe, sizeof(dw->last_exe), "?");
	else
		dw->last_exe[n] = '\0';
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		long uid;

		if (sscanf(line, "Uid: %ld", &uid) == 1) {
			dw->last_uid = uid;
			break;
		}
	}
	fclose(f);
}

static void delwatch__add(struct delwatch *dw, pid_t pid, const char *dir, int is_dir)
{
	struct delwatch_report *r = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	delwatch__who(dw, pid);
	for (i = 0; i < dw->nreports; i++) {
		struct delwatch_report *c = &dw->reports[i];

		if ((c->pid == pid && strcmp(c->dir, dir) == 0) || c->pid == 0) {
			r = c;
			break;
		}
	}
	if (!r) {
		r = &dw->reports[dw->nreports++];
		memset(r, 0, sizeof(*r));
		r->first = now;
		if (dw->nreports == DELWATCH_MAX_REPORTS) {
			/* The last slot takes everything from now on. */
			snprintf(r->dir, sizeof(r->dir), "*");
			snprintf(r->exe, sizeof(r->exe), "?");
			r->uid = -1;
		} else {
			r->pid = pid;
			r->uid = dw->last_uid;
			snprintf(r->exe, sizeof(r->exe), "%s", dw->last_exe);
			snprintf(r->dir, sizeof(r->dir), "%s", dir);
		}
	}
	if (is_dir)
		r->dirs++;
	else
		r->files++;
	r->last = now;
}

/* The parent-directory record of an event, and the target's handle when
 * the kernel reports it (NULL otherwise). */
static struct file_handle *delwatch__records(struct fanotify_event_metadata *m,
					     struct file_handle **target, const char **name)
{
	struct file_handle *dir = NULL;
	size_t off = m->metadata_len;

	*target = NULL;
	*name = NULL;
	while (off + sizeof(struct fanotify_event_info_header) <= m->event_len) {
		struct fanotify_event_info_fid *fid = (void *)((char *)m + off);
		size_t rlen = fid->hdr.len;

		if (rlen < sizeof(*fid) + sizeof(struct file_handle) || off + rlen > m->event_len)
			break;
		if (fid->hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME) {
			dir = (struct file_handle *)fid->handle;
			*name = (const char *)fid->handle + delwatch__hlen(dir);
		} else if (fid->hdr.info_type == FAN_EVENT_INFO_TYPE_FID) {
			*target = (struct file_handle *)fid->handle;
		}
		off += rlen;
	}
	return dir;
}

/* Handles one buffer of events.  Directories go after their contents, so
 * the deleted directories are learnt last to first first, and their files'
 * events, whose directory handle no longer opens, can then be placed. */
static void delwatch__batch(struct delwatch *dw, size_t nev)
{
	size_t i;

	for (i = nev; i-- > 0;) {
		struct fanotify_event_metadata *m = dw->events[i];
		struct file_handle *dir, *target;
		char rel[DELWATCH_TEXT_MAX], full[DELWATCH_TEXT_MAX * 2];
		const char *name;

		if (!(m->mask & FAN_ONDIR))
			continue;
		dir = delwatch__records(m, &target, &name);
		if (!dir || !target || delwatch__resolve(dw, dir, rel, sizeof(rel)) != 1)
			continue;
		snprintf(full, sizeof(full), "%s%s%s", rel, rel[0] ? "/" : "", name);
		delwatch__gone_put(dw, target, full);
	}
	for (i = 0; i < nev; i++) {
		struct fanotify_event_metadata *m = dw->events[i];
		struct file_handle *dir, *target;
		char rel[DELWATCH_TEXT_MAX], prefix[DELWATCH_TEXT_MAX];
		const char *name;
		int r;

		dir = delwatch__records(m, &target, &name);
		if (!dir)
			continue;
		r = delwatch__resolve(dw, dir, rel, sizeof(rel));
		if (r < 0)
			dw->unresolved++;
		if (r != 1)
			continue;
		/* a deleted directory counts under its own path: "rm -rf 2023/08"
		 * is all under 2023/08/, not partly under 2023/ */
		if ((m->mask & FAN_ONDIR) && name && *name) {
			char full[DELWATCH_TEXT_MAX * 2];

			snprintf(full, sizeof(full), "%s%s%s", rel, rel[0] ? "/" : "", name);
			delwatch__prefix(dw, full, prefix, sizeof(prefix));
		} else {
			delwatch__prefix(dw, rel, prefix, sizeof(prefix));
		}
		delwatch__add(dw, m->pid, prefix, (m->mask & FAN_ONDIR) != 0);
	}
}

int delwatch_read(struct delwatch *dw)
{
	int overflow = 0;

	for (;;) {
		ssize_t n = read(dw->fd, dw->buf, sizeof(dw->buf));
		struct fanotify_event_metadata md;
		size_t nev = 0, off, evoff = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		for (off = 0; off + FAN_EVENT_METADATA_LEN <= (size_t)n; off += md.event_len) {
			memcpy(&md, dw->buf + off, sizeof(md));
			if (md.event_len < FAN_EVENT_METADATA_LEN || off + md.event_len > (size_t)n)
				break;
			if (md.vers != FANOTIFY_METADATA_VERSION)
				return -EPROTO;
			if (md.mask & FAN_Q_OVERFLOW) {
				overflow = 1;
			} else if ((md.mask & FAN_DELETE) && nev < DELWATCH_EVENTS_MAX &&
				   evoff + md.event_len <= sizeof(dw->evbuf)) {
				memcpy(dw->evbuf + evoff, dw->buf + off, md.event_len);
				dw->events[nev++] = (struct fanotify_event_metadata *)(void *)(dw->evbuf + evoff);
				evoff += (md.event_len + 7u) & ~(size_t)7;
			}
		}
		delwatch__batch(dw, nev);
	}
	/* the caller says so, once per episode (delwatch_run.c) */
	return overflow ? -EOVERFLOW : 0;
}

size_t delwatch_take(struct delwatch *dw, struct delwatch_report *out, size_t max)
{
	size_t n = dw->nreports < max ? dw->nreports : max;

	memcpy(out, dw->reports, n * sizeof(*out));
	memmove(dw->reports, dw->reports + n, (dw->nreports - n) * sizeof(*out));
	dw->nreports -= n;
	return n;
}

int delwatch_format(const struct delwatch_report *r, char *buf, size_t len)
{
	char uid[32];

	if (r->uid >= 0)
		snprintf(uid, sizeof(uid), "%" PRId64, r->uid);
	else
		snprintf(uid, sizeof(uid), "?");
	if (r->pid == 0)
		return snprintf(buf, len, "%" PRIu64 " files, %" PRIu64
			       " directories deleted by several processes", r->files, r->dirs);
	return snprintf(buf, len, "%" PRIu64 " files, %" PRIu64 " directories deleted under %s by pid %d %s uid %s",
			r->files, r->dirs, r->dir[0] ? r->dir : "./", (int)r->pid, r->exe, uid);
}
