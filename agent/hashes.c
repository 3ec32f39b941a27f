/* hashes.c - content hashes of hash_contents stores (hashes.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hashes.h"
#include "shrinkwatch/crc32c.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

#define HS_MAGIC "SWHASH01"
#define HS_HEADER 64
#define HS_ENTRY 64 /* key 16, size 8, mtime 8, hash 32 */
#define HS_KEY 16
#define HS_CHUNK (256u * 1024)
#define HS_SAVE_EVERY 300 /* seconds between saves during a long job */
#define TODO_MAGIC "SWHTODO1"
#define TODO_HEADER 24 /* magic, u64 started, u8 full, 7 reserved */

struct hs_entry {
	uint8_t key[HS_KEY]; /* all zero: empty slot */
	uint64_t size;
	int64_t mtime;
	uint8_t hash[HASHES_LEN];
};

struct hs_store {
	char name[SW_NAME_MAX + 1];
	char root[4096];
	char file[4096 + 96], todo[4096 + 96];
	struct hs_entry *slots;
	size_t nslots, used;
	int64_t last_full; /* when the last full rehash ended (0: never) */
	uint64_t gen;
	int pending; /* a todo file waits for the worker */
	int running; /* the worker is on this store's job */
	int dirty;   /* changed since the last save */
};

struct hashes {
	char dir[4096 + 16];
	uint64_t rehash_s;
	pthread_mutex_t lock; /* the tables, pending, busy */
	pthread_cond_t cond;
	pthread_t thread;
	int started, busy;
	volatile int stop;
	struct hashes_rate rate;
	struct hs_store *stores;
	size_t nstores;
	EVP_MD_CTX *keyctx; /* scan thread: path keys */
};

struct hashes_job {
	struct hashes *h;
	struct hs_store *st;
	FILE *f;
	char tmp[4096 + 128];
	int full, err;
	uint64_t files; /* queued */
};

/* ---- hashing one file ------------------------------------------------------- */

static double hs_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Waits until r's budget allows what it has read. */
static int hs_throttle(struct hashes_rate *r, size_t n)
{
	double due;

	if (r->t0 == 0)
		r->t0 = hs_now();
	r->bytes += n;
	due = r->t0 + (double)r->bytes / (double)r->rate;
	for (;;) {
		double left = due - hs_now();
		struct timespec ts;

		if (r->stop && *r->stop)
			return -ECANCELED;
		if (left <= 0)
			return 0;
		if (left > 0.1)
			left = 0.1; /* so a stop is seen promptly */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
}

int hashes_file(struct hashes_rate *r, const char *path, uint8_t out[HASHES_LEN],
		uint64_t *size, int64_t *mtime)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	EVP_MD_CTX *ctx = NULL;
	uint8_t *buf = NULL;
	struct stat before, after;
	unsigned mdlen = 0;
	int fd, err = 0;

	fd = open(path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, flags); /* O_NOATIME needs the file's owner */
	if (fd < 0)
		return -errno;
	if (fstat(fd, &before) < 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(before.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	buf = malloc(HS_CHUNK);
	if (!ctx || !buf || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, HS_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n)) {
			err = -EIO;
			goto out;
		}
		err = hs_throttle(r, (size_t)n);
		if (err)
			goto out;
	}
	if (!EVP_DigestFinal_ex(ctx, out, &mdlen) || mdlen != HASHES_LEN) {
		err = -EIO;
		goto out;
	}
	if (fstat(fd, &after) < 0) {
		err = -errno;
		goto out;
	}
	if (after.st_size != before.st_size || after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != before.st_mtim.tv_nsec) {
		err = -EAGAIN; /* written while we read: the hash means nothing */
		goto out;
	}
	*size = (uint64_t)after.st_size;
	*mtime = (int64_t)after.st_mtim.tv_sec;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return err;
}

/* ---- the table ------------------------------------------------------------ */

static int key_zero(const uint8_t *k)
{
	static const uint8_t z[HS_KEY];

	return !memcmp(k, z, HS_KEY);
}

static struct hs_entry *tab_find(struct hs_store *s, const uint8_t *key, int add)
{
	size_t mask, i;

	if (!s->nslots || (add && (s->used + 1) * 10 >= s->nslots * 7)) {
		size_t n = s->nslots ? s->nslots * 2 : 1024;
		struct hs_entry *ns;

		if (!add && !s->nslots)
			return NULL;
		ns = calloc(n, sizeof *ns);
		if (!ns)
			return NULL;
		for (size_t j = 0; j < s->nslots; j++) {
			size_t k;

			if (key_zero(s->slots[j].key))
				continue;
			memcpy(&k, s->slots[j].key, sizeof k);
			k &= n - 1;
			while (!key_zero(ns[k].key))
				k = (k + 1) & (n - 1);
			ns[k] = s->slots[j];
		}
		free(s->slots);
		s->slots = ns;
		s->nslots = n;
	}
	mask = s->nslots - 1;
	memcpy(&i, key, sizeof i);
	for (i &= mask;; i = (i + 1) & mask) {
		struct hs_entry *e = &s->slots[i];

		if (!memcmp(e->key, key, HS_KEY))
			return e;
		if (key_zero(e->key)) {
			if (!add)
				return NULL;
			memcpy(e->key, key, HS_KEY);
			s->used++;
			return e;
		}
	}
}

/* The key of a path: SHA-256's first 16 bytes (never all zero in practice;
 * a zero key is made non-zero). */
static int path_key(EVP_MD_CTX *ctx, const char *path, size_t len, uint8_t *key)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, path, len) ||
	    !EVP_DigestFinal_ex(ctx, md, &mdlen))
		return -EIO;
	memcpy(key, md, HS_KEY);
	if (key_zero(key))
		key[0] = 1;
	return 0;
}

/* ---- the side file ------------------------------------------------------- */

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int write_all(int fd, const void *p, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, (const char *)p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	return 0;
}

/* Writes the store's table whole: temporary file, fsync, rename.  Caller
 * holds the lock. */
static int hs_save(struct hs_store *s)
{
	char tmp[4096 + 128];
	uint8_t head[HS_HEADER], *buf = NULL;
	size_t n = 0;
	uint32_t crc;
	int fd, err = 0;

	buf = malloc(s->used ? s->used * HS_ENTRY : 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < s->nslots; i++) {
		const struct hs_entry *e = &s->slots[i];
		uint8_t *p = buf + n * HS_ENTRY;

		if (key_zero(e->key))
			continue;
		memcpy(p, e->key, HS_KEY);
		put64(p + 16, e->size);
		put64(p + 24, (uint64_t)e->mtime);
		memcpy(p + 32, e->hash, HASHES_LEN);
		n++;
	}
	crc = crc32c(0, buf, n * HS_ENTRY);
	memset(head, 0, sizeof head);
	memcpy(head, HS_MAGIC, 8);
	put64(head + 8, n);
	put64(head + 16, (uint64_t)s->last_full);
	put64(head + 24, crc);
	put64(head + 56, crc32c(0, head, 56));
	snprintf(tmp, sizeof tmp, "%s.tmp", s->file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_all(fd, head, sizeof head);
	err = err ? err : write_all(fd, buf, n * HS_ENTRY);
	if (!err && fsync(fd) < 0)
		err = -errno;
	close(fd);
	if (!err && rename(tmp, s->file) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		log_err("hashes: store '%s': cannot save '%s': %s; kept in memory, saved again "
			"later", s->name, s->file, strerror(-err));
	} else {
		s->dirty = 0;
	}
out:
	free(buf);
	return err;
}

/* Reads the side file; -EBADMSG when it does not check out. */
static int hs_load(struct hs_store *s)
{
	uint8_t head[HS_HEADER], *buf = NULL;
	struct stat st;
	uint64_t n;
	int fd, err = 0;

	fd = open(s->file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (st.st_size < HS_HEADER || pread(fd, head, sizeof head, 0) != HS_HEADER ||
	    memcmp(head, HS_MAGIC, 8) || get64(head + 56) != crc32c(0, head, 56)) {
		err = -EBADMSG;
		goto out;
	}
	n = get64(head + 8);
	if (n > (uint64_t)(st.st_size - HS_HEADER) / HS_ENTRY ||
	    (uint64_t)st.st_size != HS_HEADER + n * HS_ENTRY) {
		err = -EBADMSG;
		goto out;
	}
	buf = malloc(n ? n * HS_ENTRY : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	if (n && pread(fd, buf, n * HS_ENTRY, HS_HEADER) != (ssize_t)(n * HS_ENTRY)) {
		err = -EBADMSG;
		goto out;
	}
	if (get64(head + 24) != crc32c(0, buf, n * HS_ENTRY)) {
		err = -EBADMSG;
		goto out;
	}
	s->last_full = (int64_t)get64(head + 16);
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *p = buf + i * HS_ENTRY;
		struct hs_entry *e = tab_find(s, p, 1);

		if (!e) {
			err = -ENOMEM;
			goto out;
		}
		e->size = get64(p + 16);
		e->mtime = (int64_t)get64(p + 24);
		memcpy(e->hash, p + 32, HASHES_LEN);
	}
out:
	free(buf);
	close(fd);
	return err;
}

/* ---- opening, stores ------------------------------------------------------ */

int hashes_open(const char *state_dir, uint64_t rate, uint64_t rehash_s, struct hashes **out)
{
	struct hashes *h = calloc(1, sizeof *h);

	*out = NULL;
	if (!h)
		return -ENOMEM;
	snprintf(h->dir, sizeof h->dir, "%s/hashes", state_dir);
	if (mkdir(h->dir, 0700) < 0 && errno != EEXIST) {
		int err = -errno;

		log_err("hashes: cannot create '%s': %s", h->dir, strerror(-err));
		free(h);
		return err;
	}
	h->keyctx = EVP_MD_CTX_new();
	if (!h->keyctx) {
		free(h);
		return -ENOMEM;
	}
	h->rehash_s = rehash_s;
	h->rate.rate = rate ? rate : HASHES_DEFAULT_RATE;
	h->rate.stop = &h->stop;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	*out = h;
	return 0;
}

static struct hs_store *hs_store(struct hashes *h, const char *name)
{
	for (size_t i = 0; i < h->nstores; i++)
		if (!strcmp(h->stores[i].name, name))
			return &h->stores[i];
	return NULL;
}

int hashes_add_store(struct hashes *h, const char *store, const char *root)
{
	struct hs_store *n, *s;
	int err;

	if (h->started || !name_valid(store) || hs_store(h, store))
		return -EINVAL;
	n = realloc(h->stores, (h->nstores + 1) * sizeof *n);
	if (!n)
		return -ENOMEM;
	h->stores = n;
	s = &h->stores[h->nstores];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", store);
	snprintf(s->root, sizeof s->root, "%s", root);
	snprintf(s->file, sizeof s->file, "%s/%s.swh", h->dir, store);
	snprintf(s->todo, sizeof s->todo, "%s/%s.todo", h->dir, store);
	err = hs_load(s);
	if (err == -EBADMSG || err == -ENOMEM) {
		char damaged[4096 + 128];

		snprintf(damaged, sizeof damaged, "%s.damaged", s->file);
		free(s->slots);
		s->slots = NULL;
		s->nslots = s->used = 0;
		s->last_full = 0;
		if (err == -EBADMSG && rename(s->file, damaged) == 0)
			log_err("hashes: store '%s': '%s' is damaged; set aside as '%s', every file "
				"is hashed again", store, s->file, damaged);
		err = 0;
	}
	if (err) {
		log_err("hashes: store '%s': cannot read '%s': %s", store, s->file, strerror(-err));
		free(s->slots);
		return err;
	}
	s->pending = access(s->todo, F_OK) == 0; /* a job the last run did not finish */
	h->nstores++;
	return 0;
}

int hashes_enabled(struct hashes *h, const char *store)
{
	return h && hs_store(h, store) != NULL;
}

uint64_t hashes_generation(struct hashes *h, const char *store)
{
	struct hs_store *s;
	uint64_t g = 0;

	pthread_mutex_lock(&h->lock);
	s = hs_store(h, store);
	if (s)
		g = s->gen;
	pthread_mutex_unlock(&h->lock);
	return g;
}

int hashes_rehash_due(struct hashes *h, const char *store)
{
	struct hs_store *s;
	int due = 0;

	pthread_mutex_lock(&h->lock);
	s = hs_store(h, store);
	if (s && !s->pending && !s->running)
		due = s->last_full == 0 || time(NULL) - s->last_full >= (int64_t)h->rehash_s;
	pthread_mutex_unlock(&h->lock);
	return due;
}

/* ---- jobs ----------------------------------------------------------------- */

int hashes_job_begin(struct hashes *h, const char *store, struct hashes_job **out)
{
	struct hashes_job *j;
	uint8_t head[TODO_HEADER];
	int fd, busy;

	*out = NULL;
	j = calloc(1, sizeof *j);
	if (!j)
		return -ENOMEM;
	j->h = h;
	j->st = hs_store(h, store);
	if (!j->st) {
		free(j);
		return -ENOENT;
	}
	pthread_mutex_lock(&h->lock);
	busy = j->st->pending || j->st->running;
	pthread_mutex_unlock(&h->lock);
	if (busy) {
		free(j);
		return -EBUSY; /* the job under way covers it; the next scan after it adds more */
	}
	j->full = hashes_rehash_due(h, store);
	snprintf(j->tmp, sizeof j->tmp, "%s.tmp", j->st->todo);
	fd = open(j->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(j->f = fdopen(fd, "w"))) {
		int err = -errno;

		if (fd >= 0)
			close(fd);
		free(j);
		return err;
	}
	memset(head, 0, sizeof head);
	memcpy(head, TODO_MAGIC, 8);
	put64(head + 8, (uint64_t)time(NULL));
	head[16] = (uint8_t)j->full;
	if (fwrite(head, sizeof head, 1, j->f) != 1)
		j->err = -EIO;
	*out = j;
	return 0;
}

int hashes_lookup(struct hashes *h, const char *store, const char *path, size_t len,
		  uint64_t size, int64_t mtime, uint8_t hash[HASHES_LEN])
{
	uint8_t key[HS_KEY];
	struct hs_store *s = hs_store(h, store);
	struct hs_entry *e;
	int known = 0;

	memset(hash, 0, HASHES_LEN);
	if (!s || path_key(h->keyctx, path, len, key))
		return 0;
	pthread_mutex_lock(&h->lock);
	e = tab_find(s, key, 0);
	if (e && e->size == size && e->mtime == mtime) {
		memcpy(hash, e->hash, HASHES_LEN);
		known = 1;
	}
	pthread_mutex_unlock(&h->lock);
	return known;
}

int hashes_job_file(struct hashes_job *j, const char *path, size_t len, uint64_t size,
		    int64_t mtime, int known)
{
	uint8_t rec[16];

	if (j->err || (known && !j->full))
		return j->err;
	if (len > UINT16_MAX) {
		j->err = -ENAMETOOLONG;
		return j->err;
	}
	put64(rec, size);
	put64(rec + 8, (uint64_t)mtime);
	if (fputc((int)(len >> 8), j->f) == EOF || fputc((int)(len & 0xff), j->f) == EOF ||
	    (len && fwrite(path, len, 1, j->f) != 1) || fwrite(rec, 16, 1, j->f) != 1)
		j->err = -EIO;
	j->files++;
	return j->err;
}

void hashes_job_abort(struct hashes_job *j)
{
	if (!j)
		return;
	fclose(j->f);
	unlink(j->tmp);
	free(j);
}

int hashes_job_submit(struct hashes_job *j)
{
	struct hashes *h = j->h;
	int err = j->err;

	if (!err && j->files == 0) {
		hashes_job_abort(j); /* every hash current: nothing for the worker */
		return 0;
	}
	if (!err && (fflush(j->f) || fsync(fileno(j->f)) < 0))
		err = -EIO;
	if (err) {
		hashes_job_abort(j);
		return err;
	}
	fclose(j->f);
	pthread_mutex_lock(&h->lock);
	if (rename(j->tmp, j->st->todo) < 0) {
		err = -errno;
		unlink(j->tmp);
	} else {
		j->st->pending = 1;
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	free(j);
	return err;
}

/* ---- the worker ------------------------------------------------------------- */

/* Reads one todo record; 1, 0 at the end, -EBADMSG for a torn one. */
static int todo_next(FILE *f, char *path, size_t cap, uint64_t *size, int64_t *mtime)
{
	uint8_t len2[2], nums[16];
	size_t len;

	if (fread(len2, 2, 1, f) != 1)
		return 0;
	len = (size_t)len2[0] << 8 | len2[1];
	if (len + 1 > cap || (len && fread(path, len, 1, f) != 1) || fread(nums, 16, 1, f) != 1)
		return -EBADMSG;
	path[len] = '\0';
	*size = get64(nums);
	*mtime = (int64_t)get64(nums + 8);
	return 1;
}

/* Hashes one job's files.  Runs without the lock except to touch the table. */
static void run_job(struct hashes *h, struct hs_store *s)
{
	char full_path[8192 + 16], rel[4096 * 2];
	uint8_t head[TODO_HEADER], key[HS_KEY], hash[HASHES_LEN];
	EVP_MD_CTX *kctx = EVP_MD_CTX_new();
	FILE *f = fopen(s->todo, "re");
	uint64_t hashed = 0, failed = 0, size;
	int64_t mtime;
	double last_save = hs_now();
	int full = 0, r, cancelled = 0;

	if (!f || !kctx)
		goto out;
	unlink(s->todo); /* ours now; a crash before the end finds the hashes saved so far */
	if (fread(head, sizeof head, 1, f) != 1 || memcmp(head, TODO_MAGIC, 8)) {
		log_err("hashes: store '%s': a damaged job file; the next scan makes a new one",
			s->name);
		goto out;
	}
	full = head[16];
	while ((r = todo_next(f, rel, sizeof rel, &size, &mtime)) > 0) {
		uint64_t gsize;
		int64_t gmtime;
		struct hs_entry *e;
		int err;

		if (path_key(kctx, rel, strlen(rel), key))
			continue;
		pthread_mutex_lock(&h->lock);
		e = tab_find(s, key, 0);
		err = e && e->size == size && e->mtime == mtime && !full;
		pthread_mutex_unlock(&h->lock);
		if (err)
			continue; /* hashed meanwhile (a job queued twice) */
		snprintf(full_path, sizeof full_path, "%s/%s", s->root, rel);
		err = hashes_file(&h->rate, full_path, hash, &gsize, &gmtime);
		if (err == -ECANCELED) {
			cancelled = 1;
			break;
		}
		if (err || gsize != size || gmtime != mtime) {
			failed++; /* gone, changed since the scan, unreadable: the next scan says */
			continue;
		}
		pthread_mutex_lock(&h->lock);
		e = tab_find(s, key, 1);
		if (e) {
			if (full && e->size == size && e->mtime == mtime &&
			    memcmp(e->hash, hash, HASHES_LEN))
				log_warn("hashes: store '%s': a file's content changed with its size "
					 "and mtime kept (found by the full rehash; the path is in the "
					 "copy-check)", s->name);
			e->size = size;
			e->mtime = mtime;
			memcpy(e->hash, hash, HASHES_LEN);
			s->dirty = 1;
		}
		if (hs_now() - last_save > HS_SAVE_EVERY) {
			hs_save(s);
			s->gen++;
			last_save = hs_now();
		}
		pthread_mutex_unlock(&h->lock);
		hashed++;
	}
	if (r < 0)
		log_err("hashes: store '%s': a torn job file; the next scan makes a new one",
			s->name);
	pthread_mutex_lock(&h->lock);
	if (full && !cancelled && r == 0)
		s->last_full = time(NULL);
	if (hashed || s->dirty || (full && !cancelled)) {
		hs_save(s);
		s->gen++; /* the digests take the new hashes in at the next scan */
	}
	pthread_mutex_unlock(&h->lock);
	if (hashed || failed)
		log_info("hashes: store '%s': %llu files hashed%s, %llu skipped (changed or gone "
			 "since the scan)", s->name, (unsigned long long)hashed,
			 full ? " (full rehash)" : "", (unsigned long long)failed);
out:
	if (f)
		fclose(f);
	EVP_MD_CTX_free(kctx);
}

static void *worker(void *arg)
{
	struct hashes *h = arg;

	pthread_mutex_lock(&h->lock);
	while (!h->stop) {
		struct hs_store *s = NULL;

		for (size_t i = 0; i < h->nstores && !s; i++)
			if (h->stores[i].pending)
				s = &h->stores[i];
		if (!s) {
			h->rate.t0 = 0; /* idle: the next stretch starts afresh */
			h->rate.bytes = 0;
			pthread_cond_broadcast(&h->cond);
			pthread_cond_wait(&h->cond, &h->lock);
			continue;
		}
		s->pending = 0;
		s->running = 1;
		h->busy = 1;
		pthread_mutex_unlock(&h->lock);
		run_job(h, s);
		pthread_mutex_lock(&h->lock);
		s->running = 0;
		h->busy = 0;
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

int hashes_start(struct hashes *h)
{
	int err;

	if (h->started)
		return 0;
	err = -pthread_create(&h->thread, NULL, worker, h);
	if (!err)
		h->started = 1;
	return err;
}

int hashes_wait_idle(struct hashes *h, int timeout_ms)
{
	struct timespec until;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&h->lock);
	for (;;) {
		int pending = h->busy;

		for (size_t i = 0; i < h->nstores; i++)
			pending |= h->stores[i].pending;
		if (!pending)
			break;
		if (pthread_cond_timedwait(&h->cond, &h->lock, &until) == ETIMEDOUT) {
			err = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}

void hashes_close(struct hashes *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	if (h->started)
		pthread_join(h->thread, NULL);
	for (size_t i = 0; i < h->nstores; i++) {
		if (h->stores[i].dirty)
			hs_save(&h->stores[i]);
		free(h->stores[i].slots);
	}
	free(h->stores);
	EVP_MD_CTX_free(h->keyctx);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
