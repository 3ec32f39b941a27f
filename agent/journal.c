/* journal.c - the removal journal (journal.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "shrinkwatch/crc32c.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

#define J_HEAD 8
#define J_ENTRY 1
#define J_COMMIT 2
#define J_REC_MAX (2 + 256 + 2 + JOURNAL_PATH_MAX + 8 * 4 + 4 + 8 + 2 + JOURNAL_EXE_MAX + 1)
#define J_BUF (256 * 1024)
#define J_SEGS_MAX 4096
#define J_COV_FILE "coverage"
#define J_COV_ANY "*" /* entries of a segment that could not be read: any store */

struct jseg {
	uint32_t seq;
	uint64_t bytes;     /* committed */
	uint64_t entries;   /* committed entries */
	int64_t max_before; /* newest removal bracket end */
};

/* A store whose oldest entries went (journal_coverage()). */
struct jcov {
	char store[257];
	int64_t before; /* newest removed_before among them */
	uint64_t lost;  /* how many */
};

struct journal {
	char dir[4096];
	uint64_t keep_s, max_bytes, seg_max;
	pthread_mutex_t lock;
	struct jseg *segs;
	size_t nsegs, segcap;
	int fd; /* the last segment, for appends */

	/* the batch being written */
	uint8_t *buf;
	size_t blen;
	uint64_t batch_written; /* bytes of this batch already written */
	uint64_t batch_entries;
	int64_t batch_max_before;
	int batch_err;

	/* the last committed batch (for journal_rollback) */
	char last_store[257];
	int64_t last_time;
	uint64_t last_start, last_entries;
	int have_last;

	uint64_t dropped;

	/* what went, per store (under lock), as in dir/coverage */
	struct jcov *cov;
	size_t ncov, covcap;
};

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

static void j__segpath(const struct journal *j, uint32_t seq, char *out, size_t len)
{
	snprintf(out, len, "%s/%08x.jnl", j->dir, seq);
}

/* ---- decoding ------------------------------------------------------------ */

struct jrec {
	int type;
	struct journal_entry e;
	char store[256 + 1];
	size_t storelen;
	size_t exelen;
	int64_t time; /* COMMIT */
	uint32_t count;
};

/* Decodes a payload; 0 or -EBADMSG. */
static int j__decode(const uint8_t *p, size_t n, struct jrec *r)
{
	size_t o = 0, sl, pl, el;

	if (n < 2)
		return -EBADMSG;
	r->type = p[o++];
	sl = p[o++];
	if (n - o < sl)
		return -EBADMSG;
	memcpy(r->store, p + o, sl);
	r->store[sl] = '\0';
	r->storelen = sl;
	o += sl;
	r->e.store = r->store;
	if (r->type == J_COMMIT) {
		if (n - o != 12)
			return -EBADMSG;
		r->time = (int64_t)get64(p + o);
		r->count = get32(p + o + 8);
		return 0;
	}
	if (r->type != J_ENTRY || n - o < 2)
		return -EBADMSG;
	pl = (size_t)p[o] << 8 | p[o + 1];
	o += 2;
	if (pl > JOURNAL_PATH_MAX || n - o < pl + 8 * 4 + 4 + 8 + 2)
		return -EBADMSG;
	r->e.path = (const char *)p + o;
	r->e.pathlen = pl;
	o += pl;
	r->e.size = get64(p + o);
	r->e.birth = (int64_t)get64(p + o + 8);
	r->e.removed_after = (int64_t)get64(p + o + 16);
	r->e.removed_before = (int64_t)get64(p + o + 24);
	r->e.pid = get32(p + o + 32);
	r->e.uid = (int64_t)get64(p + o + 36);
	o += 44;
	el = (size_t)p[o] << 8 | p[o + 1];
	o += 2;
	if (el > JOURNAL_EXE_MAX || n - o != el)
		return -EBADMSG;
	r->e.exe = (const char *)p + o; /* not terminated: the caller copies exelen bytes */
	r->exelen = el;
	return 0;
}

/* Reads a segment file from the start: calls fn for each complete record
 * within limit bytes; stops at the first that does not check out.  Sets
 * *good to the end of the last good record.  fn returning non-zero stops. */
static int j__walk(int fd, uint64_t limit, uint64_t *good,
		   int (*fn)(void *ud, const struct jrec *r, uint64_t end), void *ud)
{
	uint8_t *buf = malloc(J_BUF);
	size_t have = 0, pos = 0;
	uint64_t off = 0; /* file offset of buf[0] */
	struct jrec *r = malloc(sizeof *r);
	int ret = 0;

	*good = 0;
	if (!buf || !r) {
		free(buf);
		free(r);
		return -ENOMEM;
	}
	for (;;) {
		uint32_t len;

		if (have - pos < J_HEAD || have - pos < J_HEAD + (size_t)get32(buf + pos)) {
			ssize_t n;
			size_t want;

			if (have - pos >= J_HEAD && get32(buf + pos) > J_REC_MAX)
				break; /* a length no record has */
			memmove(buf, buf + pos, have - pos);
			off += pos;
			have -= pos;
			pos = 0;
			if (off + have >= limit)
				break;
			want = J_BUF - have;
			if (want > limit - off - have)
				want = (size_t)(limit - off - have);
			n = pread(fd, buf + have, want, (off_t)(off + have));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				ret = -errno;
				break;
			}
			if (n == 0)
				break;
			have += (size_t)n;
			continue;
		}
		len = get32(buf + pos);
		if (crc32c(0, buf + pos + J_HEAD, len) != get32(buf + pos + 4) ||
		    j__decode(buf + pos + J_HEAD, len, r) < 0)
			break;
		pos += J_HEAD + len;
		*good = off + pos;
		if (fn && (ret = fn(ud, r, off + pos)) != 0)
			break;
	}
	free(buf);
	free(r);
	return ret;
}

/* ---- coverage ------------------------------------------------------------ */

/* Notes that n entries of store, the newest removed before `before`, went
 * (the caller holds the lock, or is the open). */
static int j__cov_note(struct journal *j, const char *store, int64_t before, uint64_t n)
{
	struct jcov *c = NULL;

	for (size_t i = 0; i < j->ncov && !c; i++)
		if (!strcmp(j->cov[i].store, store))
			c = &j->cov[i];
	if (!c) {
		if (j->ncov == j->covcap) {
			size_t cap = j->covcap ? j->covcap * 2 : 8;
			struct jcov *m = realloc(j->cov, cap * sizeof *m);

			if (!m)
				return -ENOMEM;
			j->cov = m;
			j->covcap = cap;
		}
		c = &j->cov[j->ncov++];
		memset(c, 0, sizeof *c);
		snprintf(c->store, sizeof c->store, "%s", store);
	}
	if (before > c->before)
		c->before = before;
	c->lost += n;
	return 0;
}

/* Reads dir/coverage ("BEFORE LOST STORE" lines); a missing file is an
 * empty record. */
static int j__cov_load(struct journal *j)
{
	char path[4200], line[400], store[257];
	long long before;
	unsigned long long lost;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof path, "%s/" J_COV_FILE, j->dir);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lld %llu %256s", &before, &lost, store) != 3) {
			log_warn("journal: '%s': a line that does not read (ignored): coverage may "
				 "be understated for one store", path);
			continue;
		}
		err = j__cov_note(j, store, (int64_t)before, lost);
	}
	fclose(f);
	return err;
}

/* Writes dir/coverage atomically (a new file, synced, renamed over). */
static int j__cov_save(struct journal *j)
{
	char path[4200], tmp[4210];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof path, "%s/" J_COV_FILE, j->dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	for (size_t i = 0; i < j->ncov; i++)
		fprintf(f, "%lld %llu %s\n", (long long)j->cov[i].before,
			(unsigned long long)j->cov[i].lost, j->cov[i].store);
	if (fflush(f) != 0 || fdatasync(fileno(f)) < 0)
		err = -errno;
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int j__cov_rec(void *ud, const struct jrec *r, uint64_t end)
{
	(void)end;
	if (r->type != J_ENTRY)
		return 0;
	return j__cov_note(ud, r->store, r->e.removed_before, 1);
}

int64_t journal_coverage(struct journal *j, const char *store, int64_t from, uint64_t *lost)
{
	int64_t before = 0;

	if (lost)
		*lost = 0;
	pthread_mutex_lock(&j->lock);
	for (size_t i = 0; i < j->ncov; i++)
		if ((!strcmp(j->cov[i].store, store) || !strcmp(j->cov[i].store, J_COV_ANY)) &&
		    from <= j->cov[i].before) {
			if (j->cov[i].before > before)
				before = j->cov[i].before;
			if (lost)
				*lost += j->cov[i].lost;
		}
	pthread_mutex_unlock(&j->lock);
	return before;
}

/* ---- open ---------------------------------------------------------------- */

struct j__scan {
	struct journal *j;
	struct jseg *seg;
	uint64_t committed, entries, pending, pending_entries;
	int64_t max_before, pending_max;
	uint64_t batch_start;
	int last_seg;
};

static int j__scan_rec(void *ud, const struct jrec *r, uint64_t end)
{
	struct j__scan *s = ud;

	if (r->type == J_ENTRY) {
		s->pending_entries++;
		if (r->e.removed_before > s->pending_max)
			s->pending_max = r->e.removed_before;
		return 0;
	}
	s->entries += s->pending_entries;
	if (s->pending_max > s->max_before)
		s->max_before = s->pending_max;
	if (s->last_seg) {
		struct journal *j = s->j;

		snprintf(j->last_store, sizeof j->last_store, "%s", r->store);
		j->last_time = r->time;
		j->last_start = s->committed;
		j->last_entries = s->pending_entries;
		j->have_last = 1;
	}
	s->pending_entries = 0;
	s->pending_max = 0;
	s->committed = end;
	return 0;
}

static int j__cmp_seq(const void *a, const void *b)
{
	uint32_t x = ((const struct jseg *)a)->seq, y = ((const struct jseg *)b)->seq;

	return x < y ? -1 : x > y;
}

static int j__seg_push(struct journal *j, uint32_t seq)
{
	if (j->nsegs == j->segcap) {
		size_t n = j->segcap ? j->segcap * 2 : 16;
		struct jseg *s = realloc(j->segs, n * sizeof *s);

		if (!s)
			return -ENOMEM;
		j->segs = s;
		j->segcap = n;
	}
	memset(&j->segs[j->nsegs], 0, sizeof j->segs[0]);
	j->segs[j->nsegs++].seq = seq;
	return 0;
}

/* Reads one segment's committed records and cuts off the rest. */
static int j__load_seg(struct journal *j, size_t i)
{
	struct j__scan s = { .j = j, .seg = &j->segs[i], .last_seg = i + 1 == j->nsegs };
	char path[4200];
	struct stat st;
	uint64_t good;
	int fd, err;

	j__segpath(j, j->segs[i].seq, path, sizeof path);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	err = j__walk(fd, (uint64_t)st.st_size, &good, j__scan_rec, &s);
	if (!err && s.committed < (uint64_t)st.st_size) {
		log_warn("journal: '%s': %llu bytes after the last complete scan cut off (%llu "
			 "entries of a scan that did not finish)",
			 path, (unsigned long long)((uint64_t)st.st_size - s.committed),
			 (unsigned long long)s.pending_entries);
		if (ftruncate(fd, (off_t)s.committed) < 0)
			err = -errno;
	}
	close(fd);
	j->segs[i].bytes = s.committed;
	j->segs[i].entries = s.entries;
	j->segs[i].max_before = s.max_before;
	return err;
}

static int j__open_last(struct journal *j)
{
	char path[4200];

	if (j->fd >= 0)
		close(j->fd);
	j__segpath(j, j->segs[j->nsegs - 1].seq, path, sizeof path);
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	return j->fd < 0 ? -errno : 0;
}

int journal_open(const char *dir, uint64_t keep_s, uint64_t max_bytes, struct journal **out)
{
	struct journal *j;
	struct dirent *d;
	DIR *dh;
	int err = 0;

	*out = NULL;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	j = calloc(1, sizeof *j);
	if (!j)
		return -ENOMEM;
	j->fd = -1;
	pthread_mutex_init(&j->lock, NULL);
	snprintf(j->dir, sizeof j->dir, "%s", dir);
	j->keep_s = keep_s;
	j->max_bytes = max_bytes;
	j->seg_max = max_bytes / 16 < 4096 ? 4096 : max_bytes / 16;
	j->buf = malloc(J_BUF);
	dh = opendir(dir);
	if (!j->buf || !dh) {
		err = !j->buf ? -ENOMEM : -errno;
		goto fail;
	}
	while ((d = readdir(dh)) && !err) {
		unsigned seq;
		char tail;

		if (sscanf(d->d_name, "%8x.jn%c", &seq, &tail) == 2 && tail == 'l' &&
		    strlen(d->d_name) == 12)
			err = j__seg_push(j, seq);
	}
	closedir(dh);
	if (err)
		goto fail;
	if (j->nsegs > 1)
		qsort(j->segs, j->nsegs, sizeof *j->segs, j__cmp_seq);
	for (size_t i = 0; i < j->nsegs && !err; i++)
		err = j__load_seg(j, i);
	if (!err && j->nsegs == 0)
		err = j__seg_push(j, 1);
	if (!err && (err = j__cov_load(j)) < 0) {
		log_err("journal: cannot read '%s/" J_COV_FILE "': %s; an inventory reaching back "
			"before this start may not say that older entries went", dir,
			strerror(-err));
		err = 0;
	}
	err = err ? err : j__open_last(j);
	if (err)
		goto fail;
	*out = j;
	return 0;
fail:
	journal_close(j);
	return err;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->buf);
	free(j->segs);
	free(j->cov);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

/* ---- writing ------------------------------------------------------------- */

static int j__flush(struct journal *j)
{
	struct jseg *last = &j->segs[j->nsegs - 1];
	size_t done = 0;

	while (done < j->blen) {
		ssize_t n = pwrite(j->fd, j->buf + done, j->blen - done,
				   (off_t)(last->bytes + j->batch_written + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	j->batch_written += j->blen;
	j->blen = 0;
	return 0;
}

static int j__put(struct journal *j, const uint8_t *payload, size_t n)
{
	int err;

	if (j->blen + J_HEAD + n > J_BUF && (err = j__flush(j)) < 0)
		return err;
	put32(j->buf + j->blen, (uint32_t)n);
	put32(j->buf + j->blen + 4, crc32c(0, payload, n));
	memcpy(j->buf + j->blen + J_HEAD, payload, n);
	j->blen += J_HEAD + n;
	return 0;
}

static size_t j__head(uint8_t *p, int type, const char *store)
{
	size_t sl = strnlen(store, 255);

	p[0] = (uint8_t)type;
	p[1] = (uint8_t)sl;
	memcpy(p + 2, store, sl);
	return 2 + sl;
}

int journal_append(struct journal *j, const struct journal_entry *e)
{
	uint8_t rec[J_REC_MAX];
	size_t o, pl = e->pathlen > JOURNAL_PATH_MAX ? JOURNAL_PATH_MAX : e->pathlen;
	size_t el = strnlen(e->exe ? e->exe : "?", JOURNAL_EXE_MAX);
	int err;

	if (j->batch_err)
		return j->batch_err;
	o = j__head(rec, J_ENTRY, e->store);
	rec[o++] = (uint8_t)(pl >> 8);
	rec[o++] = (uint8_t)pl;
	memcpy(rec + o, e->path, pl);
	o += pl;
	put64(rec + o, e->size);
	put64(rec + o + 8, (uint64_t)e->birth);
	put64(rec + o + 16, (uint64_t)e->removed_after);
	put64(rec + o + 24, (uint64_t)e->removed_before);
	put32(rec + o + 32, e->pid);
	put64(rec + o + 36, (uint64_t)e->uid);
	o += 44;
	rec[o++] = (uint8_t)(el >> 8);
	rec[o++] = (uint8_t)el;
	memcpy(rec + o, e->exe ? e->exe : "?", el);
	o += el;
	err = j__put(j, rec, o);
	if (err) {
		j->batch_err = err;
		return err;
	}
	j->batch_entries++;
	if (e->removed_before > j->batch_max_before)
		j->batch_max_before = e->removed_before;
	return 0;
}

static void j__batch_reset(struct journal *j)
{
	j->blen = 0;
	j->batch_written = 0;
	j->batch_entries = 0;
	j->batch_max_before = 0;
	j->batch_err = 0;
}

void journal_abort(struct journal *j)
{
	struct jseg *last = &j->segs[j->nsegs - 1];

	if (j->batch_written && ftruncate(j->fd, (off_t)last->bytes) < 0)
		log_warn("journal: cannot cut an aborted batch in '%s': %s", j->dir,
			 strerror(errno));
	j__batch_reset(j);
}

/* Deletes the oldest segment (the caller holds the lock), its entries
 * first noted in the coverage record, so an inventory reaching back that
 * far says it may be incomplete, also after a restart. */
static void j__drop_oldest(struct journal *j, int for_space)
{
	char path[4200];
	uint64_t good;
	int fd, err = 0;

	j__segpath(j, j->segs[0].seq, path, sizeof path);
	if (j->segs[0].entries) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		err = fd < 0 ? -errno : j__walk(fd, j->segs[0].bytes, &good, j__cov_rec, j);
		if (fd >= 0)
			close(fd);
		if (err) {
			/* which stores it held is unknown: every store's inventory
			 * reaching back that far may be incomplete */
			log_err("journal: cannot read which entries '%s' held: %s; counted as "
				"possibly missing for every store", path, strerror(-err));
			j__cov_note(j, J_COV_ANY, j->segs[0].max_before, j->segs[0].entries);
		}
		err = j__cov_save(j);
		if (err)
			log_err("journal: cannot write '%s/" J_COV_FILE "': %s; inventories say "
				"what '%s' held may be missing until the agent restarts, not after",
				j->dir, strerror(-err), path);
	}
	unlink(path);
	if (for_space) {
		j->dropped += j->segs[0].entries;
		log_warn("journal: over removal_journal_max (%llu bytes): dropped the oldest %llu "
			 "entries ('%s'); %llu dropped since start",
			 (unsigned long long)j->max_bytes, (unsigned long long)j->segs[0].entries,
			 path, (unsigned long long)j->dropped);
	} else if (j->segs[0].entries) {
		log_info("journal: %llu entries older than removal_journal_keep expired ('%s')",
			 (unsigned long long)j->segs[0].entries, path);
	}
	memmove(j->segs, j->segs + 1, (j->nsegs - 1) * sizeof *j->segs);
	j->nsegs--;
}

static uint64_t j__total(const struct journal *j)
{
	uint64_t t = 0;

	for (size_t i = 0; i < j->nsegs; i++)
		t += j->segs[i].bytes;
	return t;
}

int journal_commit(struct journal *j, const char *store, int64_t scan_time)
{
	uint8_t rec[300];
	size_t o = j__head(rec, J_COMMIT, store);
	struct jseg *last;
	uint64_t start;
	int err = j->batch_err;

	put64(rec + o, (uint64_t)scan_time);
	put32(rec + o + 8, (uint32_t)(j->batch_entries > UINT32_MAX ? UINT32_MAX : j->batch_entries));
	o += 12;
	err = err ? err : j__put(j, rec, o);
	err = err ? err : j__flush(j);
	/* an empty batch's COMMIT may be lost to a power cut: nothing with it */
	if (!err && j->batch_entries && fdatasync(j->fd) < 0)
		err = -errno;
	if (err) {
		log_err("journal: cannot write store '%s''s removals to '%s': %s", store, j->dir,
			strerror(-err));
		journal_abort(j);
		return err;
	}
	pthread_mutex_lock(&j->lock);
	last = &j->segs[j->nsegs - 1];
	start = last->bytes;
	last->bytes += j->batch_written;
	last->entries += j->batch_entries;
	if (j->batch_max_before > last->max_before)
		last->max_before = j->batch_max_before;
	snprintf(j->last_store, sizeof j->last_store, "%s", store);
	j->last_time = scan_time;
	j->last_start = start;
	j->last_entries = j->batch_entries;
	j->have_last = 1;
	j__batch_reset(j);
	/* rotate, then expire and cap (never the segment just written to) */
	if (last->bytes >= j->seg_max) {
		err = j__seg_push(j, last->seq + 1);
		err = err ? err : j__open_last(j);
		j->have_last = 0; /* a rollback never crosses a segment */
	}
	while (j->nsegs > 1 && j->segs[0].max_before < scan_time - (int64_t)j->keep_s &&
	       j->segs[0].bytes)
		j__drop_oldest(j, 0);
	while (j->nsegs > 1 && j__total(j) > j->max_bytes)
		j__drop_oldest(j, 1);
	pthread_mutex_unlock(&j->lock);
	return err;
}

uint64_t journal_rollback(struct journal *j, const char *store, int64_t manifest_time)
{
	struct jseg *last;
	uint64_t n = 0;

	pthread_mutex_lock(&j->lock);
	last = &j->segs[j->nsegs - 1];
	if (j->have_last && strcmp(j->last_store, store) == 0 && j->last_time > manifest_time &&
	    ftruncate(j->fd, (off_t)j->last_start) == 0) {
		n = j->last_entries;
		last->bytes = j->last_start;
		last->entries -= n;
		j->have_last = 0;
		log_notice("journal: store '%s': took back %llu entries of the scan at %lld, which "
			   "the manifest never committed", store, (unsigned long long)n,
			   (long long)j->last_time);
	}
	pthread_mutex_unlock(&j->lock);
	return n;
}

uint64_t journal_dropped(const struct journal *j)
{
	return j->dropped;
}

uint64_t journal_bytes(const struct journal *j)
{
	return j__total(j);
}

/* ---- queries ------------------------------------------------------------- */

struct j__query {
	const char *store, *prefix;
	size_t plen;
	int64_t from, to;
	journal_query_fn fn;
	void *ud;
	uint64_t pending_n;
};

static int j__query_rec(void *ud, const struct jrec *r, uint64_t end)
{
	struct j__query *q = ud;
	struct journal_entry e;
	char exe[JOURNAL_EXE_MAX + 1];
	size_t el;

	(void)end;
	if (r->type != J_ENTRY || strcmp(r->store, q->store) != 0)
		return 0;
	if (r->e.removed_before < q->from || r->e.removed_after > q->to)
		return 0;
	if (q->plen && (r->e.pathlen < q->plen || memcmp(r->e.path, q->prefix, q->plen)))
		return 0;
	e = r->e;
	/* the exe runs to the end of the record: terminate a copy */
	el = r->exelen;
	memcpy(exe, r->e.exe, el);
	exe[el] = '\0';
	e.exe = exe;
	return q->fn(q->ud, &e);
}

int journal_query(struct journal *j, const char *store, int64_t from, int64_t to,
		  const char *prefix, size_t plen, journal_query_fn fn, void *ud)
{
	struct j__query q = { .store = store, .prefix = prefix, .plen = plen, .from = from,
			      .to = to, .fn = fn, .ud = ud };
	struct jseg *segs;
	size_t n;
	int ret = 0;

	pthread_mutex_lock(&j->lock);
	n = j->nsegs;
	segs = malloc(n * sizeof *segs);
	if (segs)
		memcpy(segs, j->segs, n * sizeof *segs);
	pthread_mutex_unlock(&j->lock);
	if (!segs)
		return -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++) {
		char path[4200];
		uint64_t good;
		int fd;

		if (!segs[i].bytes || segs[i].max_before < from)
			continue;
		j__segpath(j, segs[i].seq, path, sizeof path);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue; /* dropped meanwhile */
		ret = j__walk(fd, segs[i].bytes, &good, j__query_rec, &q);
		close(fd);
	}
	free(segs);
	return ret;
}
