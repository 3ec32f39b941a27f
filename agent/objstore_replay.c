/* objstore_replay.c - a listing file replayed into the manifest (see objstore_replay.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "objstore.h"
#include "objstore_replay.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

/* One open directory: its path (a prefix of the current key), the files
 * gathered for its current record, and that record's chunk (0: the first). */
struct rp_dir {
	size_t len;
	uint64_t chunk;
	struct manifest_dirbuf b;
};

struct rp {
	struct manifest *m;
	const char *store;
	char key[OBJSTORE_KEY_MAX + 1], prev[OBJSTORE_KEY_MAX + 1];
	size_t klen, plen;
	char dpath[OBJSTORE_KEY_MAX + 1]; /* the innermost open directory's path */
	struct rp_dir dirs[OBJSTORE_REPLAY_DEPTH + 1]; /* [0]: the root "" */
	size_t depth;
	char rel[OBJSTORE_KEY_MAX + 64];
	int err;
};

/* The removal callback's context: the caller's callback behind a decoder. */
struct rp_removed {
	manifest_removed_fn fn;
	void *ud;
	char key[OBJSTORE_KEY_MAX + 1];
};

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Writes one record of directory dir (dlen bytes) with tag (NULL: none). */
static int rp__update(struct rp *r, size_t dlen, char tag, const char *arg, size_t alen,
		      struct manifest_dirbuf *b)
{
	size_t n = dlen;
	int err;

	if (tag) {
		r->rel[n++] = 0;
		r->rel[n++] = tag;
		memcpy(r->rel + n, arg, alen);
		n += alen;
		r->rel[n++] = 0;
	}
	err = manifest_dir_update(r->m, r->rel, n, b);
	manifest_dirbuf_reset(b);
	return err;
}

/* Writes the open directory i's gathered files as its current record. */
static int rp__flush(struct rp *r, size_t i)
{
	struct rp_dir *d = &r->dirs[i];
	char hex[17];

	if (!d->b.n)
		return 0;
	memcpy(r->rel, r->dpath, d->len);
	if (!d->chunk)
		return rp__update(r, d->len, 0, NULL, 0, &d->b);
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)d->chunk);
	return rp__update(r, d->len, '#', hex, 16, &d->b);
}

/* Whether directory p (plen bytes of dpath) holds directory d (dlen bytes of key). */
static int rp__holds(const struct rp *r, size_t plen, size_t dlen)
{
	if (plen == 0)
		return 1;
	if (dlen < plen || memcmp(r->dpath, r->key, plen))
		return 0;
	return dlen == plen || r->key[plen] == '/';
}

/* Makes the directory of key[0, dlen) the innermost open one. */
static int rp__enter(struct rp *r, size_t dlen)
{
	int err = 0;

	while (r->depth > 0 && !rp__holds(r, r->dirs[r->depth].len, dlen)) {
		err = rp__flush(r, r->depth);
		r->depth--;
		if (err)
			return err;
	}
	if (r->dirs[r->depth].len == dlen)
		return 0; /* (the root is dlen 0) */
	if (r->depth == OBJSTORE_REPLAY_DEPTH)
		return -EOVERFLOW; /* cannot happen: keys are cut at that depth */
	r->depth++;
	r->dirs[r->depth].len = dlen;
	r->dirs[r->depth].chunk = 0;
	manifest_dirbuf_reset(&r->dirs[r->depth].b);
	memcpy(r->dpath, r->key, dlen);
	return 0;
}

/* One current object. */
static int rp__object(struct rp *r, uint64_t size, uint64_t ino, int64_t lm)
{
	const char *k = r->key;
	size_t dlen = 0, seen = 0, name, nlen;
	struct rp_dir *d;
	int err;

	/* the directory: up to the last '/' (not a leading one), at most
	 * OBJSTORE_REPLAY_DEPTH levels */
	for (size_t i = 1; i < r->klen && seen < OBJSTORE_REPLAY_DEPTH; i++)
		if (k[i] == '/') {
			dlen = i;
			seen++;
		}
	name = dlen ? dlen + 1 : 0;
	nlen = r->klen - name;
	err = rp__enter(r, dlen);
	if (err)
		return err;
	d = &r->dirs[r->depth];
	if (nlen == 0 || nlen > MAN_NAME_MAX) {
		/* a record of its own: a folder placeholder, or a long name */
		struct manifest_dirbuf one = { 0 };

		memcpy(r->rel, k, dlen);
		if (nlen == 0)
			err = manifest_dirbuf_add(&one, "/", 1, size, ino, lm, lm);
		else
			err = manifest_dirbuf_add(&one, k + r->klen - MAN_NAME_MAX, MAN_NAME_MAX,
						  size, ino, lm, lm);
		if (!err)
			err = nlen ? rp__update(r, dlen, '+', k + name, nlen - MAN_NAME_MAX, &one)
				   : rp__update(r, dlen, '.', "", 0, &one);
		manifest_dirbuf_release(&one);
		return err;
	}
	err = manifest_dirbuf_add(&d->b, k + name, nlen, size, ino, lm, lm);
	if (err)
		return err;
	if (d->b.n >= OBJSTORE_REPLAY_CHUNK_MAX ||
	    (objstore__hash64(k + name, nlen) & (OBJSTORE_REPLAY_CHUNK_AVG - 1)) == 0) {
		/* the next record of this directory is named after this key */
		err = rp__flush(r, r->depth);
		d->chunk = objstore__hash64(k + name, nlen) | 1;
	}
	return err;
}

/* Reads the listing file into the manifest.  0 or a negative errno. */
static int rp__run(struct rp *r, FILE *f)
{
	uint8_t head[2], tail[24];
	int err = 0;

	for (;;) {
		size_t n = fread(head, 1, 2, f);
		uint64_t size, ino;
		int64_t lm;
		int c;

		if (n == 0)
			break;
		r->klen = (size_t)head[0] << 8 | head[1];
		if (n != 2 || r->klen == 0 || r->klen > OBJSTORE_KEY_MAX ||
		    fread(r->key, 1, r->klen, f) != r->klen || fread(tail, 1, 24, f) != 24)
			return -EBADMSG;
		c = memcmp(r->prev, r->key, r->plen < r->klen ? r->plen : r->klen);
		if (r->plen && (c > 0 || (c == 0 && r->plen >= r->klen))) {
			log_warn("replay: store '%s': the listing's keys are not in order; this "
				 "listing carries totals only", r->store);
			return -EILSEQ;
		}
		memcpy(r->prev, r->key, r->klen);
		r->plen = r->klen;
		size = get64(tail);
		ino = get64(tail + 8);
		lm = (int64_t)get64(tail + 16);
		if ((err = rp__object(r, size, ino, lm)) != 0)
			return err;
	}
	if (ferror(f))
		return -EIO;
	while (r->depth > 0) {
		if ((err = rp__flush(r, r->depth)) != 0)
			return err;
		r->depth--;
	}
	return rp__flush(r, 0);
}

size_t objstore__replay_key(const char *path, size_t len, char *out, size_t cap)
{
	const char *nul = memchr(path, 0, len), *end;
	size_t dlen, n = 0;

	if (!nul) {
		if (len > cap)
			return 0;
		memcpy(out, path, len);
		return len;
	}
	dlen = (size_t)(nul - path);
	end = dlen + 2 <= len ? memchr(nul + 2, 0, len - dlen - 2) : NULL;
	if (!end || (size_t)(end - path) + 2 > len || end[1] != '/')
		return 0;
	/* DIR, then '/' unless at the root, then HEAD ('+'), then the name */
	if (dlen + 1 + len > cap)
		return 0;
	memcpy(out, path, dlen);
	n = dlen;
	if (dlen)
		out[n++] = '/';
	if (nul[1] == '.')
		return n; /* a folder placeholder: DIR/ */
	if (nul[1] == '+') {
		memcpy(out + n, nul + 2, (size_t)(end - nul - 2));
		n += (size_t)(end - nul - 2);
	}
	memcpy(out + n, end + 2, len - (size_t)(end + 2 - path));
	return n + len - (size_t)(end + 2 - path);
}

static int rp__removed(void *ud, const struct manifest_removed *m)
{
	struct rp_removed *rr = ud;
	struct manifest_removed r = *m;

	r.pathlen = objstore__replay_key(m->path, m->pathlen, rr->key, sizeof rr->key);
	if (!r.pathlen)
		return rr->fn ? rr->fn(rr->ud, m) : 0; /* not ours: as recorded */
	r.path = rr->key;
	return rr->fn ? rr->fn(rr->ud, &r) : 0;
}

int objstore_replay(const char *path, const struct scan_options *opt, struct sw_sample *s)
{
	struct rp *r = calloc(1, sizeof *r);
	struct rp_removed rr = { .fn = opt->removed, .ud = opt->removed_ud };
	struct scan_options o = *opt;
	FILE *f = NULL;
	int64_t last;
	int covers_prev, err;

	if (!r)
		return -ENOMEM;
	r->m = opt->manifest;
	r->store = s->store;
	f = fopen(path, "rbe");
	if (!f) {
		err = -errno;
		log_warn("replay: store '%s': cannot read the listing file '%s': %s; this listing "
			 "carries totals only", s->store, path, strerror(-err));
		goto out;
	}
	last = manifest_last_scan(r->m);
	covers_prev = last != 0 && last == (int64_t)opt->prev_start.tv_sec;
	err = manifest_begin(r->m, (int64_t)opt->start.tv_sec);
	if (err)
		goto out;
	err = rp__run(r, f);
	if (err)
		rr.fn = NULL; /* a removal it would report may be a key not read yet */
	if (err && err != -EILSEQ)
		log_warn("replay: store '%s': the listing file '%s' cannot be replayed: %s; this "
			 "listing carries totals only", s->store, path, strerror(-err));
	o.removed = rp__removed;
	o.removed_ud = &rr;
	/* a failed replay is a partial scan: the manifest keeps the records it
	 * did not write, nothing is exact and no removal is reported */
	scan__manifest_finish(&o, s, err != 0, covers_prev);
out:
	for (size_t i = 0; i <= OBJSTORE_REPLAY_DEPTH; i++)
		manifest_dirbuf_release(&r->dirs[i].b);
	free(r);
	if (f)
		fclose(f);
	return err;
}
