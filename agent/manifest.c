/* manifest.c - the per-store manifest and the exact diff (manifest.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "manifest_codec.h"
#include "shrinkwatch/crc32c.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

#define MAN_MAGIC "SWMANIF1"
#define MAN_VERSION 1
#define MAN_HEADER 64
#define MAN_REC_HEAD 8
/* One record's payload at most: a directory of ~ 4 million files. */
#define MAN_REC_MAX (128u << 20)
#define MAN_SPILL_BUF (64 * 1024)

struct man_slot {
	uint64_t key; /* 0 empty, 1 deleted, else the path hash */
	uint64_t off; /* of the record (its 8-byte head) */
	uint32_t len; /* payload length */
	uint32_t nfiles;
	uint64_t gen; /* last scan that saw the directory */
};

/* (inode, size) of files that appeared during a scan, to match removals. */
struct man_created {
	uint64_t ino, size; /* ino 0 = empty slot */
	uint64_t count;
};

struct manifest {
	char path[4096], damaged_path[4096 + 16];
	char store[80];
	int fd;
	int rebuilt;
	pthread_mutex_t lock;

	/* header */
	uint64_t committed;
	int64_t last_scan;
	int last_complete;

	/* index */
	struct man_slot *slots;
	size_t nslots, used, ndeleted;
	uint64_t live_bytes, live_files;
	uint64_t end; /* where the next record goes */
	uint64_t changes; /* manifest_changes() */

	/* the scan in progress */
	int64_t scan_time;
	uint64_t gen;
	int have_base; /* the previous scan is in the manifest */
	int finished;  /* manifest_finish() ran for this scan */
	int failed;    /* something went wrong: not exact */
	int spill_fd;
	uint8_t *spill_buf;
	size_t spill_len;
	struct man_created *created;
	size_t ncreated_slots, ncreated;
	int created_overflow;
	struct manifest_diff diff;
};

/* ---- small helpers ------------------------------------------------------ */

static uint64_t man__hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h < 2 ? h + 2 : h;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int man__pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO; /* shorter than the index says */
		done += (size_t)r;
	}
	return 0;
}

static int man__pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		done += (size_t)r;
	}
	return 0;
}

/* ---- index ---------------------------------------------------------------- */

static struct man_slot *man__find(struct manifest *m, uint64_t key)
{
	size_t mask = m->nslots - 1, i = key & mask;

	if (!m->slots)
		return NULL;
	for (;;) {
		struct man_slot *s = &m->slots[i];

		if (s->key == key)
			return s;
		if (s->key == 0)
			return NULL;
		i = (i + 1) & mask;
	}
}

static int man__grow(struct manifest *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 1024;
	struct man_slot *old = m->slots, *s = calloc(n, sizeof *s);
	size_t oldn = m->nslots;

	if (!s)
		return -ENOMEM;
	m->slots = s;
	m->nslots = n;
	m->used = 0;
	m->ndeleted = 0;
	for (size_t i = 0; i < oldn; i++) {
		if (old[i].key < 2)
			continue;
		size_t j = old[i].key & (n - 1);

		while (s[j].key)
			j = (j + 1) & (n - 1);
		s[j] = old[i];
		m->used++;
	}
	free(old);
	return 0;
}

/* The slot for key, inserted (key set, rest zero) if absent. */
static struct man_slot *man__slot(struct manifest *m, uint64_t key)
{
	struct man_slot *s = man__find(m, key);
	size_t mask, i;

	if (s)
		return s;
	if ((m->used + m->ndeleted + 1) * 10 >= m->nslots * 7 && man__grow(m) < 0)
		return NULL;
	mask = m->nslots - 1;
	i = key & mask;
	while (m->slots[i].key >= 2)
		i = (i + 1) & mask;
	if (m->slots[i].key == 1)
		m->ndeleted--;
	s = &m->slots[i];
	memset(s, 0, sizeof *s);
	s->key = key;
	m->used++;
	return s;
}

static void man__drop(struct manifest *m, struct man_slot *s)
{
	m->changes++;
	m->live_bytes -= MAN_REC_HEAD + s->len;
	m->live_files -= s->nfiles;
	s->key = 1;
	m->used--;
	m->ndeleted++;
}

/* Points key at a record (off, len) of nfiles files; nfiles 0 drops it. */
static int man__set(struct manifest *m, uint64_t key, uint64_t off, uint32_t len,
		    uint32_t nfiles, uint64_t gen)
{
	struct man_slot *s = man__find(m, key);

	m->changes++;
	if (s) {
		m->live_bytes -= MAN_REC_HEAD + s->len;
		m->live_files -= s->nfiles;
		if (nfiles == 0) {
			s->key = 1;
			m->used--;
			m->ndeleted++;
			return 0;
		}
	} else {
		if (nfiles == 0)
			return 0;
		s = man__slot(m, key);
		if (!s)
			return -ENOMEM;
	}
	s->off = off;
	s->len = len;
	s->nfiles = nfiles;
	s->gen = gen;
	m->live_bytes += MAN_REC_HEAD + len;
	m->live_files += nfiles;
	return 0;
}

/* ---- header and load ------------------------------------------------------ */

static void man__header(const struct manifest *m, uint8_t *h)
{
	memset(h, 0, MAN_HEADER);
	memcpy(h, MAN_MAGIC, 8);
	put32(h + 8, MAN_VERSION);
	put32(h + 12, m->last_complete ? 1 : 0);
	put64(h + 16, m->committed);
	put64(h + 24, (uint64_t)m->last_scan);
	put64(h + 32, m->live_files);
	put32(h + 60, crc32c(0, h, 60));
}

static int man__write_header(struct manifest *m, int fd)
{
	uint8_t h[MAN_HEADER];

	man__header(m, h);
	return man__pwrite_all(fd, h, sizeof h, 0);
}

/* Reads the records up to the committed length into the index: -EBADMSG
 * when anything does not check out. */
static int man__load(struct manifest *m)
{
	uint8_t h[MAN_HEADER], head[MAN_REC_HEAD];
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t off = MAN_HEADER;
	struct stat st;
	int err;

	if (fstat(m->fd, &st) < 0)
		return -errno;
	if (st.st_size == 0)
		return -ENOENT;
	err = man__pread_all(m->fd, h, sizeof h, 0);
	if (err)
		return err == -EIO ? -EBADMSG : err;
	if (memcmp(h, MAN_MAGIC, 8) || get32(h + 8) != MAN_VERSION ||
	    get32(h + 60) != crc32c(0, h, 60))
		return -EBADMSG;
	m->last_complete = get32(h + 12) & 1;
	m->committed = get64(h + 16);
	m->last_scan = (int64_t)get64(h + 24);
	if (m->committed < MAN_HEADER || m->committed > (uint64_t)st.st_size)
		return -EBADMSG;
	while (off < m->committed) {
		uint32_t len, crc, nfiles;
		uint16_t dlen;

		if (m->committed - off < MAN_REC_HEAD)
			goto bad;
		err = man__pread_all(m->fd, head, sizeof head, off);
		if (err)
			goto out;
		len = get32(head);
		crc = get32(head + 4);
		if (len > MAN_REC_MAX || len < 6 || m->committed - off - MAN_REC_HEAD < len)
			goto bad;
		if (len > cap) {
			uint8_t *nb = realloc(buf, len);

			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = len;
		}
		err = man__pread_all(m->fd, buf, len, off + MAN_REC_HEAD);
		if (err)
			goto out;
		if (crc32c(0, buf, len) != crc)
			goto bad;
		dlen = (uint16_t)(buf[0] << 8 | buf[1]);
		if ((size_t)dlen + 6 > len)
			goto bad;
		nfiles = get32(buf + 2 + dlen);
		err = man__set(m, man__hash((const char *)buf + 2, dlen), off, len, nfiles, 0);
		if (err)
			goto out;
		off += MAN_REC_HEAD + len;
	}
	m->end = m->committed;
	if ((uint64_t)st.st_size > m->committed) {
		log_notice("manifest: store '%s': discarding %llu bytes of a scan that did not "
			   "finish", m->store, (unsigned long long)((uint64_t)st.st_size - m->committed));
		if (ftruncate(m->fd, (off_t)m->committed) < 0) {
			err = -errno;
			goto out;
		}
	}
	err = 0;
	goto out;
bad:
	err = -EBADMSG;
out:
	free(buf);
	return err;
}

static void man__reset_index(struct manifest *m)
{
	m->changes++;
	free(m->slots);
	m->slots = NULL;
	m->nslots = m->used = m->ndeleted = 0;
	m->live_bytes = m->live_files = 0;
}

/* Starts an empty file (header only, nothing committed). */
static int man__init_file(struct manifest *m)
{
	man__reset_index(m);
	m->committed = MAN_HEADER;
	m->end = MAN_HEADER;
	m->last_scan = 0;
	m->last_complete = 0;
	if (ftruncate(m->fd, 0) < 0)
		return -errno;
	return man__write_header(m, m->fd);
}

int manifest_open(const char *dir, const char *store, struct manifest **out)
{
	struct manifest *m;
	int err;

	*out = NULL;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	m->fd = m->spill_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	snprintf(m->store, sizeof m->store, "%s", store);
	if ((size_t)snprintf(m->path, sizeof m->path, "%s/%s.swm", dir, store) >= sizeof m->path) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	snprintf(m->damaged_path, sizeof m->damaged_path, "%s.damaged", m->path);
	m->fd = open(m->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (m->fd < 0) {
		err = -errno;
		goto fail;
	}
	err = man__load(m);
	if (err == -EBADMSG) {
		log_warn("manifest: store '%s': '%s' is damaged; set aside as '%s', the next scan "
			 "rebuilds it (that scan's removals are not exact)",
			 m->store, m->path, m->damaged_path);
		if (rename(m->path, m->damaged_path) < 0) {
			err = -errno;
			goto fail;
		}
		close(m->fd);
		m->fd = open(m->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (m->fd < 0) {
			err = -errno;
			goto fail;
		}
		m->rebuilt = 1;
		err = -ENOENT;
	}
	if (err == -ENOENT)
		err = man__init_file(m);
	if (err)
		goto fail;
	*out = m;
	return 0;
fail:
	manifest_close(m);
	return err;
}

void manifest_close(struct manifest *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	if (m->spill_fd >= 0)
		close(m->spill_fd);
	free(m->spill_buf);
	free(m->created);
	free(m->slots);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int manifest_rebuilt(const struct manifest *m)
{
	return m->rebuilt;
}

int64_t manifest_last_scan(const struct manifest *m)
{
	return m->last_scan;
}

int manifest_last_complete(const struct manifest *m)
{
	return m->last_complete;
}

void manifest_counts(const struct manifest *m, uint64_t *dirs, uint64_t *files,
		     uint64_t *disk_bytes)
{
	*dirs = m->used;
	*files = m->live_files;
	*disk_bytes = m->end;
}

/* ---- the scan ------------------------------------------------------------ */

static int man__spill_open(struct manifest *m)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof dir, "%s", m->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	m->spill_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (m->spill_fd < 0)
		return -errno;
	if (!m->spill_buf)
		m->spill_buf = malloc(MAN_SPILL_BUF);
	return m->spill_buf ? 0 : -ENOMEM;
}

static int man__spill_flush(struct manifest *m)
{
	size_t done = 0;

	while (done < m->spill_len) {
		ssize_t r = write(m->spill_fd, m->spill_buf + done, m->spill_len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		done += (size_t)r;
	}
	m->spill_len = 0;
	return 0;
}

/* Queues a possible removal: dir/name, size, birth, ino.  Caller holds the
 * lock. */
static int man__spill(struct manifest *m, const char *dir, size_t dlen, const char *name,
		      size_t nlen, uint64_t size, int64_t birth, uint64_t ino)
{
	size_t plen = dlen ? dlen + 1 + nlen : nlen, need = 2 + plen + 24;
	uint8_t *p;
	int err;

	if (plen > UINT16_MAX)
		return -ENAMETOOLONG;
	if (m->spill_len + need > MAN_SPILL_BUF && (err = man__spill_flush(m)) < 0)
		return err;
	p = m->spill_buf + m->spill_len;
	p[0] = (uint8_t)(plen >> 8);
	p[1] = (uint8_t)plen;
	p += 2;
	if (dlen) {
		memcpy(p, dir, dlen);
		p[dlen] = '/';
		p += dlen + 1;
	}
	memcpy(p, name, nlen);
	p += nlen;
	put64(p, size);
	put64(p + 8, (uint64_t)birth);
	put64(p + 16, ino);
	m->spill_len += need;
	return 0;
}

static uint64_t man__cmix(uint64_t ino, uint64_t size)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull ^ size;

	h ^= h >> 31;
	return h * 0xbf58476d1ce4e5b9ull;
}

/* Remembers a new file as a possible move target.  Caller holds the lock. */
static void man__created_add(struct manifest *m, uint64_t ino, uint64_t size)
{
	size_t mask, i;

	m->diff.created_objects++;
	if (m->created_overflow || ino == 0)
		return;
	if ((m->ncreated + 1) * 2 > m->ncreated_slots) {
		size_t n = m->ncreated_slots ? m->ncreated_slots * 2 : 4096;
		struct man_created *c, *old = m->created;

		if (m->ncreated >= MANIFEST_CREATED_MAX || !(c = calloc(n, sizeof *c))) {
			m->created_overflow = 1;
			return;
		}
		for (size_t k = 0; k < m->ncreated_slots; k++) {
			if (!old[k].ino)
				continue;
			i = man__cmix(old[k].ino, old[k].size) & (n - 1);
			while (c[i].ino)
				i = (i + 1) & (n - 1);
			c[i] = old[k];
		}
		free(old);
		m->created = c;
		m->ncreated_slots = n;
	}
	mask = m->ncreated_slots - 1;
	for (i = man__cmix(ino, size) & mask; m->created[i].ino; i = (i + 1) & mask)
		if (m->created[i].ino == ino && m->created[i].size == size) {
			m->created[i].count++;
			return;
		}
	m->created[i].ino = ino;
	m->created[i].size = size;
	m->created[i].count = 1;
	m->ncreated++;
}

/* Takes one creation of (ino, size), if there is one: that removal was a
 * move. */
static int man__created_take(struct manifest *m, uint64_t ino, uint64_t size)
{
	size_t mask, i;

	if (!m->created)
		return 0;
	mask = m->ncreated_slots - 1;
	for (i = man__cmix(ino, size) & mask; m->created[i].ino; i = (i + 1) & mask)
		if (m->created[i].ino == ino && m->created[i].size == size) {
			if (!m->created[i].count)
				return 0;
			m->created[i].count--;
			return 1;
		}
	return 0;
}

int manifest_begin(struct manifest *m, int64_t scan_time)
{
	m->scan_time = scan_time;
	m->gen++;
	m->failed = 0;
	m->finished = 0;
	m->have_base = m->last_scan != 0;
	memset(&m->diff, 0, sizeof m->diff);
	m->diff.removed_min_age = UINT64_MAX;
	m->diff.removed_min_settled_age = UINT64_MAX;
	free(m->created);
	m->created = NULL;
	m->ncreated = m->ncreated_slots = 0;
	m->created_overflow = 0;
	m->spill_len = 0;
	if (m->spill_fd >= 0) {
		close(m->spill_fd);
		m->spill_fd = -1;
	}
	if (!m->have_base)
		return 0; /* nothing to diff against: no spill */
	return man__spill_open(m);
}

void manifest_dir_seen(struct manifest *m, const char *relpath, size_t relen)
{
	struct man_slot *s;

	pthread_mutex_lock(&m->lock);
	s = man__find(m, man__hash(relpath, relen));
	if (s)
		s->gen = m->gen;
	pthread_mutex_unlock(&m->lock);
}

static int man__entry_cmp(const void *a, const void *b, void *arg)
{
	const struct manifest_entry *x = a, *y = b;
	const char *names = arg;
	size_t n = x->namelen < y->namelen ? x->namelen : y->namelen;
	int r = memcmp(names + x->name_off, names + y->name_off, n);

	if (r)
		return r;
	return (int)x->namelen - (int)y->namelen;
}

/* Diffs the old record (payload old, its files) against the sorted new
 * entries; caller holds the lock (for the spill and the created set). */
static int man__diff_dir(struct manifest *m, const char *relpath, size_t relen,
			 const uint8_t *old, size_t oldlen, const struct manifest_dirbuf *b)
{
	struct mcodec_reader r;
	struct mcodec_file f;
	size_t j = 0;
	int have, err = 0;

	if (mcodec_reader_init(&r, old, oldlen) < 0)
		return -EBADMSG;
	have = mcodec_next(&r, &f);
	while (have > 0 || j < b->n) {
		const struct manifest_entry *e = j < b->n ? &b->e[j] : NULL;
		int c;

		if (have <= 0)
			c = 1;
		else if (!e)
			c = -1;
		else {
			size_t n = f.namelen < e->namelen ? f.namelen : e->namelen;

			c = memcmp(f.name, b->names + e->name_off, n);
			if (!c)
				c = (int)f.namelen - (int)e->namelen;
		}
		if (c < 0) {
			err = man__spill(m, relpath, relen, f.name, f.namelen, f.size, f.birth,
					 f.ino);
			have = mcodec_next(&r, &f);
		} else if (c > 0) {
			man__created_add(m, e->ino, e->size);
			j++;
		} else {
			if (e->size < f.size)
				m->diff.shrunk_bytes += f.size - e->size;
			have = mcodec_next(&r, &f);
			j++;
		}
		if (err)
			return err;
	}
	return have < 0 ? -EBADMSG : 0;
}

int manifest_dir_update(struct manifest *m, const char *relpath, size_t relen,
			struct manifest_dirbuf *b)
{
	uint64_t key = man__hash(relpath, relen);
	struct man_slot *s;
	uint8_t *old = NULL, *rec = NULL;
	size_t reclen = 0;
	uint64_t oldoff = 0;
	uint32_t oldlen = 0;
	int err = 0, have_old = 0;

	if (relen > UINT16_MAX)
		return -ENAMETOOLONG;
	if (b->n > 1)
		qsort_r(b->e, b->n, sizeof *b->e, man__entry_cmp, b->names);
	pthread_mutex_lock(&m->lock);
	s = man__find(m, key);
	if (s) {
		have_old = 1;
		oldoff = s->off;
		oldlen = s->len;
		s->gen = m->gen;
	}
	pthread_mutex_unlock(&m->lock);
	if (have_old) {
		old = malloc(oldlen ? oldlen : 1);
		if (!old) {
			err = -ENOMEM;
			goto out;
		}
		err = man__pread_all(m->fd, old, oldlen, oldoff + MAN_REC_HEAD);
		if (err)
			goto out;
		/* a hash collision would name another directory: treat as new */
		if (oldlen < 2u + relen || (size_t)(old[0] << 8 | old[1]) != relen ||
		    memcmp(old + 2, relpath, relen))
			have_old = 0;
	}
	err = mcodec_encode(relpath, relen, b, &rec, &reclen);
	if (err)
		goto out;
	pthread_mutex_lock(&m->lock);
	if (m->have_base) {
		if (have_old)
			err = man__diff_dir(m, relpath, relen, old, oldlen, b);
		else
			for (size_t i = 0; i < b->n; i++)
				man__created_add(m, b->e[i].ino, b->e[i].size);
	}
	if (!err && !(have_old && reclen == (size_t)oldlen + MAN_REC_HEAD &&
		      !memcmp(rec + MAN_REC_HEAD, old, oldlen))) {
		if (b->n == 0 && !have_old) {
			/* nothing to record and nothing recorded */
		} else {
			uint64_t off = m->end;

			err = man__pwrite_all(m->fd, rec, reclen, off);
			if (!err) {
				m->end += reclen;
				err = man__set(m, key, off, (uint32_t)(reclen - MAN_REC_HEAD),
					       (uint32_t)b->n, m->gen);
			}
		}
	}
	if (err)
		m->failed = 1;
	pthread_mutex_unlock(&m->lock);
out:
	if (err && err != -EBADMSG)
		log_warn("manifest: store '%s': cannot record a directory: %s", m->store,
			 strerror(-err));
	if (err) {
		pthread_mutex_lock(&m->lock);
		m->failed = 1;
		pthread_mutex_unlock(&m->lock);
	}
	free(old);
	free(rec);
	return err;
}

/* Every file of the directories no walker saw: gone (or moved). */
static int man__gone_dirs(struct manifest *m)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	int err = 0;

	for (size_t i = 0; i < m->nslots && !err; i++) {
		struct man_slot *s = &m->slots[i];
		struct mcodec_reader r;
		struct mcodec_file f;
		int have;

		if (s->key < 2 || s->gen == m->gen)
			continue;
		if (s->len > cap) {
			uint8_t *nb = realloc(buf, s->len);

			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap = s->len;
		}
		err = man__pread_all(m->fd, buf, s->len, s->off + MAN_REC_HEAD);
		if (err)
			break;
		if (mcodec_reader_init(&r, buf, s->len) < 0) {
			err = -EBADMSG;
			break;
		}
		while ((have = mcodec_next(&r, &f)) > 0 && !err)
			err = man__spill(m, r.dir, r.dirlen, f.name, f.namelen, f.size, f.birth,
					 f.ino);
		if (have < 0)
			err = -EBADMSG;
		if (!err) {
			/* a tombstone, so that reopening does not resurrect it */
			uint8_t *rec = NULL;
			size_t reclen = 0;
			struct manifest_dirbuf none = { 0 };
			uint64_t off = m->end;

			err = mcodec_encode(r.dir, r.dirlen, &none, &rec, &reclen);
			err = err ? err : man__pwrite_all(m->fd, rec, reclen, off);
			free(rec);
			if (!err) {
				m->end += reclen;
				man__drop(m, s);
				m->diff.dirs_gone++;
			}
		}
	}
	free(buf);
	return err;
}

static void man__count_removed(struct manifest *m, uint64_t size, int64_t birth,
			       uint64_t retention)
{
	uint64_t age = m->scan_time > birth ? (uint64_t)(m->scan_time - birth) : 0;

	m->diff.removed_objects++;
	m->diff.removed_bytes += size;
	if (age < m->diff.removed_min_age)
		m->diff.removed_min_age = age;
	if (retention && age < retention) {
		m->diff.removed_young_objects++;
		m->diff.removed_young_bytes += size;
	}
	if (!m->diff.fresh_age)
		return;
	if (age < m->diff.fresh_age) {
		m->diff.removed_fresh_objects++;
		m->diff.removed_fresh_bytes += size;
	} else if (age < m->diff.removed_min_settled_age) {
		m->diff.removed_min_settled_age = age;
	}
}

uint64_t manifest_fresh_age(uint64_t retention)
{
	uint64_t f = MANIFEST_FRESH_AGE;

	if (retention && f > retention / 8)
		f = retention / 8;
	return f;
}

/* Reads the spilled candidates back: moves or removals. */
static int man__settle(struct manifest *m, uint64_t retention, manifest_removed_fn removed,
		       void *ud)
{
	uint8_t *buf = m->spill_buf;
	size_t have = 0, pos = 0;
	int err = man__spill_flush(m);

	if (err)
		return err;
	if (lseek(m->spill_fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		size_t need;
		struct manifest_removed r;
		ssize_t n;

		if (have - pos < 2 || have - pos < 2 + (size_t)(buf[pos] << 8 | buf[pos + 1]) + 24) {
			memmove(buf, buf + pos, have - pos);
			have -= pos;
			pos = 0;
			n = read(m->spill_fd, buf + have, MAN_SPILL_BUF - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				return have ? -EIO : 0;
			have += (size_t)n;
			continue;
		}
		need = 2 + (size_t)(buf[pos] << 8 | buf[pos + 1]);
		r.path = (const char *)buf + pos + 2;
		r.pathlen = need - 2;
		r.size = get64(buf + pos + need);
		r.birth = (int64_t)get64(buf + pos + need + 8);
		r.ino = get64(buf + pos + need + 16);
		pos += need + 24;
		if (man__created_take(m, r.ino, r.size)) {
			m->diff.moved_objects++;
			m->diff.moved_bytes += r.size;
			continue;
		}
		man__count_removed(m, r.size, r.birth, retention);
		if (removed && (err = removed(ud, &r)) != 0)
			return err;
	}
}

int manifest_finish(struct manifest *m, int complete, uint64_t retention,
		    manifest_removed_fn removed, void *ud, struct manifest_diff *out)
{
	return manifest_finish_split(m, complete, retention, 0, removed, ud, out);
}

int manifest_finish_split(struct manifest *m, int complete, uint64_t retention,
			  uint64_t fresh_age, manifest_removed_fn removed, void *ud,
			  struct manifest_diff *out)
{
	int err = 0;

	/* fresh within young: a boundary past the retention would count old
	 * items as fresh */
	m->diff.fresh_age = retention && fresh_age > retention ? retention : fresh_age;

	if (m->have_base && complete)
		err = man__gone_dirs(m);
	if (!err && m->have_base && m->spill_fd >= 0)
		err = man__settle(m, retention, removed, ud);
	if (err)
		m->failed = 1;
	m->diff.exact = m->have_base && complete && !m->failed && !m->created_overflow &&
			m->last_complete;
	*out = m->diff;
	m->last_complete = complete && !m->failed;
	m->finished = 1;
	if (m->spill_fd >= 0) {
		close(m->spill_fd);
		m->spill_fd = -1;
	}
	free(m->created);
	m->created = NULL;
	m->ncreated = m->ncreated_slots = 0;
	return err;
}

/* Rewrites the live records into a fresh file (temporary name, fsync,
 * rename): superseded records and tombstones go. */
static int man__compact(struct manifest *m)
{
	char tmp[4096 + 16];
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t off = MAN_HEADER;
	int fd, err = 0;

	snprintf(tmp, sizeof tmp, "%s.tmp", m->path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < m->nslots && !err; i++) {
		struct man_slot *s = &m->slots[i];
		size_t n = MAN_REC_HEAD + s->len;

		if (s->key < 2)
			continue;
		if (n > cap) {
			uint8_t *nb = realloc(buf, n);

			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap = n;
		}
		err = man__pread_all(m->fd, buf, n, s->off);
		err = err ? err : man__pwrite_all(fd, buf, n, off);
		if (!err) {
			s->off = off;
			off += n;
		}
	}
	free(buf);
	if (!err) {
		uint64_t was = m->committed;

		m->committed = off;
		err = man__write_header(m, fd);
		if (!err && fsync(fd) < 0)
			err = -errno;
		if (!err && rename(tmp, m->path) < 0)
			err = -errno;
		if (err)
			m->committed = was;
	}
	if (err) {
		close(fd);
		unlink(tmp);
		/* some offsets may already point into the discarded file */
		log_warn("manifest: store '%s': cannot compact '%s': %s; the next scan rebuilds it",
			 m->store, m->path, strerror(-err));
		man__init_file(m);
		m->rebuilt = 1;
		return 0;
	}
	close(m->fd);
	m->fd = fd;
	m->end = off;
	return 0;
}

int manifest_commit(struct manifest *m)
{
	int err;

	/* No fsync: a kill -9 loses nothing the kernel holds, and after a
	 * power cut a header ahead of its records finds them missing or torn,
	 * which the CRCs tell, and the manifest is rebuilt: never a false loss,
	 * at most one scan that is not exact.  The journal is synced. */
	if (!m->finished)
		return 0; /* no scan went through the manifest: it stays as it was */
	m->finished = 0;
	m->committed = m->end;
	m->last_scan = m->scan_time;
	err = man__write_header(m, m->fd);
	if (!err && m->end > 2 * m->live_bytes + (1u << 20) + MAN_HEADER) {
		err = man__compact(m);
	}
	if (err) {
		log_err("manifest: store '%s': cannot commit '%s': %s; the next scan rebuilds it",
			m->store, m->path, strerror(-err));
		man__init_file(m);
		m->rebuilt = 1;
	}
	return err;
}

/* ---- for the copy digests --------------------------------------------------- */

uint64_t manifest_changes(const struct manifest *m)
{
	return m->changes;
}

/* Reads slot s's payload into *buf (grown as needed). */
static int man__read_slot(struct manifest *m, const struct man_slot *s, uint8_t **buf,
			  size_t *cap)
{
	if (s->len > *cap) {
		uint8_t *nb = realloc(*buf, s->len);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = s->len;
	}
	return man__pread_all(m->fd, *buf, s->len, s->off + MAN_REC_HEAD);
}

int manifest_foreach_dir(struct manifest *m, manifest_dir_fn fn, void *ud)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	int err = 0;

	for (size_t i = 0; i < m->nslots && !err; i++) {
		struct man_slot *s = &m->slots[i];
		struct mcodec_reader r;

		if (s->key < 2)
			continue;
		err = man__read_slot(m, s, &buf, &cap);
		if (!err && mcodec_reader_init(&r, buf, s->len) < 0)
			err = -EBADMSG;
		if (!err)
			err = fn(ud, r.dir, r.dirlen, r.count);
	}
	free(buf);
	return err;
}

int manifest_dir_read(struct manifest *m, const char *relpath, size_t relen, uint8_t **buf,
		      size_t *cap, struct mcodec_reader *r)
{
	struct man_slot *s = man__find(m, man__hash(relpath, relen));
	int err;

	if (!s)
		return -ENOENT;
	err = man__read_slot(m, s, buf, cap);
	if (err)
		return err;
	if (mcodec_reader_init(r, *buf, s->len) < 0)
		return -EBADMSG;
	/* a hash collision names another directory */
	if (r->dirlen != relen || memcmp(r->dir, relpath, relen))
		return -ENOENT;
	return 0;
}
