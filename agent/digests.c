/* digests.c - per-directory digests of a store's manifest (digests.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "digests.h"
#include "hashes.h"
#include "pathcut.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

/* Entries per DIGESTS frame this agent sends (of SW_DIGESTS_MAX allowed):
 * the answer's working memory is this many 4.2 KB entries. */
#define DIG_FRAME_ENTRIES 1024
#define DIG_NONE UINT32_MAX

/* One directory of a snapshot. */
struct dig_node {
	uint64_t path_off; /* into the snapshot's arena */
	uint32_t pathlen;
	uint32_t parent; /* DIG_NONE for the root */
	uint32_t depth;
	uint32_t first_child, nchildren; /* into the snapshot's kids */
	int has_record;                  /* the manifest holds files here */
	uint8_t name_hash[SW_NAME_HASH_LEN]; /* of its last component */
	uint8_t digest[SW_DIGEST_LEN];
	uint8_t cdigest[SW_DIGEST_LEN]; /* content_digest, when the store is hashed */
	uint64_t files, bytes;
	uint64_t off;   /* of its entries in the scratch file */
	uint64_t blen;  /* their bytes */
	uint32_t count; /* how many */
};

/* The digests of one committed manifest.  nodes are sorted by path bytes. */
struct dig_snap {
	int fd; /* the unlinked scratch file */
	int64_t scan_time;
	int complete;
	uint64_t changes;
	int content;   /* content digests kept (hash_contents) */
	uint64_t hgen; /* hashes_generation() they were built from */
	struct dig_node *nodes;
	size_t nn, ncap;
	char *arena;
	size_t alen, acap;
	uint32_t *kids;
};

struct dig_store {
	char name[SW_NAME_MAX + 1];
	struct dig_snap *snap; /* NULL: none (yet) */
};

struct digests {
	char dir[4096 + 16];
	unsigned depth; /* inventory_depth: names deeper than this stay here */
	pthread_mutex_t lock; /* the stores' snapshots */
	struct dig_store *stores;
	size_t nstores, cap;
	struct sw_digentry *batch; /* loop thread: one frame's entries */
};

/* One entry while a directory is digested.  name points into names. */
struct dig_ent {
	uint8_t hash[SW_NAME_HASH_LEN];
	uint8_t kind;
	uint16_t namelen;
	size_t name_off;
	uint64_t size, files;
	int64_t birth;
	uint8_t digest[SW_DIGEST_LEN];  /* 'D': names_digest(child) */
	uint8_t cdigest[SW_DIGEST_LEN]; /* 'F': content hash; 'D': content_digest(child) */
};

/* An entry in the scratch file: this fixed part, then the name. */
struct dig_disk {
	uint8_t hash[SW_NAME_HASH_LEN];
	uint8_t kind;
	uint8_t pad;
	uint16_t namelen;
	uint64_t size, files;
	int64_t birth;
	uint8_t digest[SW_DIGEST_LEN];
	uint8_t cdigest[SW_DIGEST_LEN];
};

/* The build of one snapshot (scan thread). */
struct dig_build {
	struct dig_snap *s;
	const char *store;
	struct hashes *h;       /* NULL: no content digests */
	struct hashes_job *job; /* files for the hashing worker, or NULL */
	char *path;             /* a file's path relative to the store */
	size_t pcap;
	EVP_MD_CTX *ctx, *cctx;
	struct dig_ent *e;
	size_t ne, ecap;
	char *names;
	size_t nlen, ncap;
	uint8_t *rec; /* a manifest record */
	size_t reccap;
	uint8_t *out; /* the directory's entries as written */
	size_t olen, ocap;
	uint64_t woff; /* where the next directory's entries go */
};

static void snap_free(struct dig_snap *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->nodes);
	free(s->arena);
	free(s->kids);
	free(s);
}

int digests_open(const char *state_dir, unsigned depth, struct digests **out)
{
	struct digests *d = calloc(1, sizeof *d);

	*out = NULL;
	if (!d)
		return -ENOMEM;
	d->depth = depth;
	snprintf(d->dir, sizeof d->dir, "%s/digests", state_dir);
	if (mkdir(d->dir, 0700) < 0 && errno != EEXIST) {
		int err = -errno;

		log_err("digests: cannot create '%s': %s", d->dir, strerror(-err));
		free(d);
		return err;
	}
	pthread_mutex_init(&d->lock, NULL);
	*out = d;
	return 0;
}

void digests_close(struct digests *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nstores; i++)
		snap_free(d->stores[i].snap);
	free(d->stores);
	free(d->batch);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* ---- growing arrays ----------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	np = realloc(*p, n * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = n;
	return 0;
}

/* ---- the directory tree ------------------------------------------------- */

static const char *node_path(const struct dig_snap *s, const struct dig_node *n)
{
	return s->arena + n->path_off;
}

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static int node_cmp(const void *a, const void *b, void *arg)
{
	const struct dig_snap *s = arg;
	const struct dig_node *x = a, *y = b;

	return bytes_cmp(node_path(s, x), x->pathlen, node_path(s, y), y->pathlen);
}

static int add_node(struct dig_snap *s, const char *path, size_t len, int has_record)
{
	struct dig_node *n;

	if (len > SW_PATH_WIRE_MAX)
		return 0; /* cannot be asked for; its files still count in its parent */
	if (grow((void **)&s->nodes, &s->ncap, s->nn + 1, sizeof *s->nodes) ||
	    grow((void **)&s->arena, &s->acap, s->alen + len + 1, 1))
		return -ENOMEM;
	n = &s->nodes[s->nn++];
	memset(n, 0, sizeof *n);
	n->path_off = s->alen;
	n->pathlen = (uint32_t)len;
	n->has_record = has_record;
	memcpy(s->arena + s->alen, path, len);
	s->arena[s->alen + len] = '\0';
	s->alen += len + 1;
	return 0;
}

/* A directory record and every ancestor of it (duplicates go later). */
static int on_dir(void *ud, const char *relpath, size_t relen, uint32_t nfiles)
{
	struct dig_snap *s = ud;
	int err = add_node(s, relpath, relen, nfiles > 0);

	for (size_t i = relen; i > 0 && !err; i--)
		if (relpath[i - 1] == '/')
			err = add_node(s, relpath, i - 1, 0);
	return err ? err : (relen ? add_node(s, "", 0, 0) : 0);
}

/* The node of path, or NULL. */
static struct dig_node *find_node(const struct dig_snap *s, const char *path, size_t len)
{
	size_t lo = 0, hi = s->nn;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct dig_node *n = &s->nodes[mid];
		int r = bytes_cmp(path, len, node_path(s, n), n->pathlen);

		if (r == 0)
			return &s->nodes[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Sorts and dedupes the nodes, links parents and children. */
static int link_tree(struct dig_snap *s)
{
	size_t w = 0;
	uint32_t *fill = NULL;

	if (s->nn == 0 && add_node(s, "", 0, 0))
		return -ENOMEM; /* an empty store: its root, with no entries */
	qsort_r(s->nodes, s->nn, sizeof *s->nodes, node_cmp, s);
	for (size_t i = 0; i < s->nn; i++) {
		if (w > 0 && !node_cmp(&s->nodes[w - 1], &s->nodes[i], s)) {
			s->nodes[w - 1].has_record |= s->nodes[i].has_record;
			continue;
		}
		s->nodes[w++] = s->nodes[i];
	}
	s->nn = w;
	for (size_t i = 0; i < s->nn; i++) {
		struct dig_node *n = &s->nodes[i];
		const char *p = node_path(s, n);
		const char *slash = n->pathlen ? memrchr(p, '/', n->pathlen) : NULL;
		struct dig_node *parent;

		n->parent = DIG_NONE;
		if (!n->pathlen)
			continue;
		parent = find_node(s, p, slash ? (size_t)(slash - p) : 0);
		if (!parent)
			continue; /* under a path too long to keep: unreachable */
		n->parent = (uint32_t)(parent - s->nodes);
		n->depth = parent->depth + 1; /* parents sort first: depth is set */
		parent->nchildren++;
	}
	s->kids = malloc((s->nn ? s->nn : 1) * sizeof *s->kids);
	fill = calloc(s->nn ? s->nn : 1, sizeof *fill);
	if (!s->kids || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (size_t i = 0, at = 0; i < s->nn; i++) {
		s->nodes[i].first_child = (uint32_t)at;
		at += s->nodes[i].nchildren;
	}
	for (size_t i = 0; i < s->nn; i++) {
		uint32_t p = s->nodes[i].parent;

		if (p != DIG_NONE)
			s->kids[s->nodes[p].first_child + fill[p]++] = (uint32_t)i;
	}
	free(fill);
	return 0;
}

/* ---- digesting one directory -------------------------------------------- */

static int sha256_part(EVP_MD_CTX *ctx, const void *p, size_t n, uint8_t *out, size_t outlen)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, p, n) ||
	    !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen < outlen)
		return -EIO;
	memcpy(out, md, outlen);
	return 0;
}

static int add_ent(struct dig_build *b, const char *name, size_t namelen, uint8_t kind,
		   uint64_t size, uint64_t files, int64_t birth, const uint8_t *digest,
		   const uint8_t *cdigest)
{
	struct dig_ent *e;

	if (grow((void **)&b->e, &b->ecap, b->ne + 1, sizeof *b->e) ||
	    grow((void **)&b->names, &b->ncap, b->nlen + namelen, 1))
		return -ENOMEM;
	e = &b->e[b->ne++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->namelen = (uint16_t)namelen;
	e->name_off = b->nlen;
	e->size = size;
	e->files = files;
	e->birth = birth;
	if (digest)
		memcpy(e->digest, digest, SW_DIGEST_LEN);
	if (cdigest)
		memcpy(e->cdigest, cdigest, SW_DIGEST_LEN);
	memcpy(b->names + b->nlen, name, namelen);
	b->nlen += namelen;
	return sha256_part(b->ctx, name, namelen, e->hash, SW_NAME_HASH_LEN);
}

static int ent_name_cmp(const void *a, const void *c, void *arg)
{
	const struct dig_ent *x = a, *y = c;
	const char *names = arg;

	return bytes_cmp(names + x->name_off, x->namelen, names + y->name_off, y->namelen);
}

static int ent_hash_cmp(const void *a, const void *c)
{
	const struct dig_ent *x = a, *y = c;

	return memcmp(x->hash, y->hash, SW_NAME_HASH_LEN);
}

static void put_u64be(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* names_digest (and with content, content_digest) over b's entries, which
 * it sorts by name. */
static int dir_digests(struct dig_build *b, uint8_t *out, uint8_t *cout)
{
	static const uint8_t zero = 0;
	uint8_t md[EVP_MAX_MD_SIZE], num[8];
	unsigned mdlen = 0, cmdlen = 0;
	int content = b->h != NULL, ok;

	if (b->ne > 1)
		qsort_r(b->e, b->ne, sizeof *b->e, ent_name_cmp, b->names);
	ok = EVP_DigestInit_ex(b->ctx, EVP_sha256(), NULL) &&
	     (!content || EVP_DigestInit_ex(b->cctx, EVP_sha256(), NULL));
	for (size_t i = 0; i < b->ne && ok; i++) {
		const struct dig_ent *e = &b->e[i];
		const char *name = b->names + e->name_off;

		ok = EVP_DigestUpdate(b->ctx, &e->kind, 1) &&
		     EVP_DigestUpdate(b->ctx, name, e->namelen) &&
		     EVP_DigestUpdate(b->ctx, &zero, 1);
		if (ok && e->kind == 'F') {
			put_u64be(num, e->size);
			ok = EVP_DigestUpdate(b->ctx, num, sizeof num);
		} else if (ok) {
			ok = EVP_DigestUpdate(b->ctx, e->digest, SW_DIGEST_LEN);
		}
		if (ok && content)
			ok = EVP_DigestUpdate(b->cctx, &e->kind, 1) &&
			     EVP_DigestUpdate(b->cctx, name, e->namelen) &&
			     EVP_DigestUpdate(b->cctx, &zero, 1) &&
			     EVP_DigestUpdate(b->cctx, e->cdigest, SW_DIGEST_LEN);
	}
	ok = ok && EVP_DigestFinal_ex(b->ctx, md, &mdlen) && mdlen == SW_DIGEST_LEN;
	if (ok)
		memcpy(out, md, SW_DIGEST_LEN);
	ok = ok && (!content || (EVP_DigestFinal_ex(b->cctx, md, &cmdlen) &&
				 cmdlen == SW_DIGEST_LEN));
	if (!ok)
		return -EIO;
	if (content)
		memcpy(cout, md, SW_DIGEST_LEN);
	return 0;
}

/* A file's content hash, from the hashes (zeros when not hashed yet), and
 * the file queued for the worker when its hash is missing or stale. */
static int file_hash(struct dig_build *b, const struct dig_node *n, const struct mcodec_file *f,
		     uint8_t *hash)
{
	size_t len = (n->pathlen ? n->pathlen + 1 : 0) + f->namelen;
	int known;

	if (grow((void **)&b->path, &b->pcap, len + 1, 1))
		return -ENOMEM;
	if (n->pathlen) {
		memcpy(b->path, node_path(b->s, n), n->pathlen);
		b->path[n->pathlen] = '/';
	}
	memcpy(b->path + len - f->namelen, f->name, f->namelen);
	known = hashes_lookup(b->h, b->store, b->path, len, f->size, f->mtime, hash);
	if (b->job)
		hashes_job_file(b->job, b->path, len, f->size, f->mtime, known);
	return 0;
}

/* Writes b's entries, sorted by name hash, to the scratch file. */
static int write_entries(struct dig_build *b, struct dig_node *n)
{
	size_t need = 0;

	if (b->ne > 1)
		qsort(b->e, b->ne, sizeof *b->e, ent_hash_cmp);
	for (size_t i = 0; i < b->ne; i++)
		need += sizeof(struct dig_disk) + b->e[i].namelen;
	if (grow((void **)&b->out, &b->ocap, need ? need : 1, 1))
		return -ENOMEM;
	b->olen = 0;
	for (size_t i = 0; i < b->ne; i++) {
		const struct dig_ent *e = &b->e[i];
		struct dig_disk r;

		memset(&r, 0, sizeof r);
		memcpy(r.hash, e->hash, sizeof r.hash);
		r.kind = e->kind;
		r.namelen = e->namelen;
		r.size = e->size;
		r.files = e->files;
		r.birth = e->birth;
		memcpy(r.digest, e->digest, sizeof r.digest);
		memcpy(r.cdigest, e->cdigest, sizeof r.cdigest);
		memcpy(b->out + b->olen, &r, sizeof r);
		memcpy(b->out + b->olen + sizeof r, b->names + e->name_off, e->namelen);
		b->olen += sizeof r + e->namelen;
	}
	n->off = b->woff;
	n->blen = b->olen;
	n->count = (uint32_t)b->ne;
	for (size_t done = 0; done < b->olen;) {
		ssize_t w = pwrite(b->s->fd, b->out + done, b->olen - done,
				   (off_t)(b->woff + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	b->woff += b->olen;
	return 0;
}

/* Digests directory n: its files from the manifest, its children (done). */
static int digest_dir(struct dig_build *b, struct manifest *m, struct dig_node *n)
{
	struct dig_snap *s = b->s;
	int err = 0;

	b->ne = 0;
	b->nlen = 0;
	n->files = n->bytes = 0;
	if (n->has_record) {
		struct mcodec_reader r;
		struct mcodec_file f;
		int have;

		err = manifest_dir_read(m, node_path(s, n), n->pathlen, &b->rec, &b->reccap, &r);
		if (err)
			return err;
		while ((have = mcodec_next(&r, &f)) > 0 && !err) {
			uint8_t hash[SW_DIGEST_LEN] = { 0 };

			if (b->h)
				err = file_hash(b, n, &f, hash);
			err = err ? err
				  : add_ent(b, f.name, f.namelen, 'F', f.size, 0, f.birth, NULL,
					    hash);
			n->files++;
			n->bytes += f.size;
		}
		if (have < 0)
			err = -EBADMSG;
	}
	for (uint32_t k = 0; k < n->nchildren && !err; k++) {
		struct dig_node *c = &s->nodes[s->kids[n->first_child + k]];
		const char *p = node_path(s, c);
		size_t start = n->pathlen ? n->pathlen + 1 : 0;

		err = add_ent(b, p + start, c->pathlen - start, 'D', c->bytes, c->files, 0,
			      c->digest, c->cdigest);
		if (!err)
			memcpy(c->name_hash, b->e[b->ne - 1].hash, SW_NAME_HASH_LEN);
		n->files += c->files;
		n->bytes += c->bytes;
	}
	err = err ? err : dir_digests(b, n->digest, n->cdigest);
	return err ? err : write_entries(b, n);
}

static int depth_cmp(const void *a, const void *b, void *arg)
{
	const struct dig_snap *s = arg;
	uint32_t x = s->nodes[*(const uint32_t *)a].depth, y = s->nodes[*(const uint32_t *)b].depth;

	return x < y ? 1 : x > y ? -1 : 0; /* deepest first */
}

/* Builds the snapshot of manifest m in a scratch file under dir; with h,
 * the content digests too, and a job for the hashing worker. */
static int snap_build(const char *dir, const char *store, struct manifest *m, struct hashes *h,
		      struct dig_snap **out)
{
	char tmpl[4096 + 64];
	struct dig_build b;
	uint32_t *order = NULL;
	int err;

	memset(&b, 0, sizeof b);
	*out = NULL;
	b.store = store;
	b.h = h;
	b.s = calloc(1, sizeof *b.s);
	b.ctx = EVP_MD_CTX_new();
	b.cctx = EVP_MD_CTX_new();
	if (!b.s || !b.ctx || !b.cctx) {
		err = -ENOMEM;
		goto out;
	}
	snprintf(tmpl, sizeof tmpl, "%s/build.XXXXXX", dir);
	b.s->fd = mkostemp(tmpl, O_CLOEXEC);
	if (b.s->fd < 0) {
		err = -errno;
		goto out;
	}
	unlink(tmpl); /* a scratch file: nothing to clean up after a crash */
	b.s->scan_time = manifest_last_scan(m);
	b.s->complete = manifest_last_complete(m);
	b.s->changes = manifest_changes(m);
	if (h) {
		b.s->content = 1;
		b.s->hgen = hashes_generation(h, store);
		if (hashes_job_begin(h, store, &b.job) < 0)
			b.job = NULL; /* busy: the job under way covers it */
	}
	err = manifest_foreach_dir(m, on_dir, b.s);
	err = err ? err : link_tree(b.s);
	if (err)
		goto out;
	order = malloc(b.s->nn * sizeof *order);
	if (!order) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < b.s->nn; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, b.s->nn, sizeof *order, depth_cmp, b.s);
	for (size_t i = 0; i < b.s->nn && !err; i++)
		err = digest_dir(&b, m, &b.s->nodes[order[i]]);
out:
	if (b.job && err) {
		hashes_job_abort(b.job);
	} else if (b.job) {
		int jerr = hashes_job_submit(b.job);

		if (jerr)
			log_err("digests: store '%s': cannot queue files for hashing: %s; the next "
				"scan tries again", store, strerror(-jerr));
	}
	if (err) {
		snap_free(b.s);
		b.s = NULL;
	}
	*out = b.s;
	EVP_MD_CTX_free(b.ctx);
	EVP_MD_CTX_free(b.cctx);
	free(b.path);
	free(order);
	free(b.e);
	free(b.names);
	free(b.rec);
	free(b.out);
	return err;
}

/* ---- the store table ---------------------------------------------------- */

/* The store's entry, added if new; caller holds the lock. */
static struct dig_store *dig_store(struct digests *d, const char *name, int add)
{
	for (size_t i = 0; i < d->nstores; i++)
		if (!strcmp(d->stores[i].name, name))
			return &d->stores[i];
	if (!add || !name_valid(name) ||
	    grow((void **)&d->stores, &d->cap, d->nstores + 1, sizeof *d->stores))
		return NULL;
	memset(&d->stores[d->nstores], 0, sizeof d->stores[0]);
	snprintf(d->stores[d->nstores].name, sizeof d->stores[0].name, "%s", name);
	return &d->stores[d->nstores++];
}

int digests_refresh(struct digests *d, const char *store, struct manifest *m, struct hashes *h)
{
	struct dig_store *ds;
	struct dig_snap *snap = NULL, *old = NULL;
	int err = 0, current;

	if (!hashes_enabled(h, store))
		h = NULL;
	pthread_mutex_lock(&d->lock);
	ds = dig_store(d, store, 1);
	current = ds && ds->snap && ds->snap->changes == manifest_changes(m) &&
		  ds->snap->content == (h != NULL);
	pthread_mutex_unlock(&d->lock);
	/* content digests: new hashes to take in, or a full rehash to queue */
	if (current && h && (hashes_generation(h, store) != ds->snap->hgen ||
			     hashes_rehash_due(h, store)))
		current = 0;
	pthread_mutex_lock(&d->lock);
	if (current) {
		/* nothing changed: the same tree, from a newer scan */
		ds->snap->scan_time = manifest_last_scan(m);
		ds->snap->complete = manifest_last_complete(m);
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	pthread_mutex_unlock(&d->lock);
	if (!ds)
		return -ENOMEM;
	/* the build reads only the manifest (this thread's) and its own file */
	err = snap_build(d->dir, store, m, h, &snap);
	if (err)
		log_err("digests: store '%s': cannot build the copy digests: %s; digest requests "
			"are refused until the next scan", store, strerror(-err));
	pthread_mutex_lock(&d->lock);
	ds = dig_store(d, store, 0);
	if (ds) {
		old = ds->snap;
		ds->snap = snap;
		snap = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	snap_free(old);
	snap_free(snap);
	return err;
}

/* ---- answering ---------------------------------------------------------- */

/* Whether component p (len bytes) is a name-hash reference: '#' and 32
 * lowercase hex digits, decoded into hash. */
static int hash_ref(const char *p, size_t len, uint8_t *hash)
{
	static const char hex[] = "0123456789abcdef";

	if (len != 1 + 2 * SW_NAME_HASH_LEN || p[0] != '#')
		return 0;
	for (size_t i = 0; i < SW_NAME_HASH_LEN; i++) {
		const char *hi = memchr(hex, p[1 + 2 * i], 16), *lo = memchr(hex, p[2 + 2 * i], 16);

		if (!hi || !lo || !p[1 + 2 * i] || !p[2 + 2 * i])
			return 0;
		hash[i] = (uint8_t)((hi - hex) << 4 | (lo - hex));
	}
	return 1;
}

/* The node dir names: a literal path, or with SW_DIG_BYHASH one walked
 * from the root, component by component, each a name or a hash reference. */
static const struct dig_node *resolve(const struct dig_snap *s, const char *dir, int byhash)
{
	const struct dig_node *n;
	const char *p = dir;

	if (!byhash)
		return find_node(s, dir, strlen(dir));
	n = find_node(s, "", 0);
	while (n && *p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		size_t start = n->pathlen ? n->pathlen + 1 : 0;
		uint8_t want[SW_NAME_HASH_LEN];
		int ref = hash_ref(p, len, want);
		const struct dig_node *next = NULL;

		for (uint32_t k = 0; k < n->nchildren && !next; k++) {
			const struct dig_node *c = &s->nodes[s->kids[n->first_child + k]];

			if (ref ? !memcmp(c->name_hash, want, sizeof want)
				: (c->pathlen - start == len &&
				   !memcmp(node_path(s, c) + start, p, len)))
				next = c;
		}
		n = next;
		p = end ? end + 1 : p + len;
	}
	return n;
}

struct dig_answer {
	const struct sw_digreq *r;
	int names; /* the entries carry their names: asked, and within the depth */
	struct sw_digests hdr;
	digests_send_fn send;
	void *ud;
	struct sw_digentry *batch;
	size_t n, wire;
};

static int flush(struct dig_answer *a, uint8_t status)
{
	struct buf frame;
	int err;

	a->hdr.status = status;
	buf_init(&frame, SW_FRAME_HEADER + SW_FRAME_MAX);
	err = proto_encode_digests(&frame, &a->hdr, a->batch, a->n);
	if (err) {
		buf_release(&frame);
		return err;
	}
	a->n = 0;
	a->wire = SW_DIGESTS_FIXED + strlen(a->hdr.text);
	return a->send(a->ud, &frame);
}

static int refuse(struct dig_answer *a, uint8_t status, const char *fmt, const char *store)
{
	snprintf(a->hdr.text, sizeof a->hdr.text, fmt, store);
	a->n = 0;
	return flush(a, status);
}

/* Sends n's entries from the scratch file, in frames. */
static int send_entries(struct dig_answer *a, const struct dig_snap *s,
			const struct dig_node *n)
{
	uint8_t *blob = malloc(n->blen ? n->blen : 1);
	size_t pos = 0;
	int err = 0;

	if (!blob)
		return -ENOMEM;
	for (size_t done = 0; done < n->blen && !err;) {
		ssize_t r = pread(s->fd, blob + done, n->blen - done, (off_t)(n->off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			err = r < 0 ? -errno : -EIO;
		else
			done += (size_t)r;
	}
	for (uint32_t i = 0; i < n->count && !err; i++) {
		struct sw_digentry *e = &a->batch[a->n];
		struct dig_disk r;

		if (pos + sizeof r > n->blen) {
			err = -EIO;
			break;
		}
		memcpy(&r, blob + pos, sizeof r);
		if (pos + sizeof r + r.namelen > n->blen) {
			err = -EIO;
			break;
		}
		memcpy(e->name_hash, r.hash, sizeof e->name_hash);
		e->kind = r.kind;
		e->size = r.size;
		e->files = r.files;
		e->birth = r.birth;
		if (a->r->flags & SW_DIG_CONTENT)
			memcpy(e->digest, r.cdigest, sizeof e->digest);
		else if (r.kind == 'D')
			memcpy(e->digest, r.digest, sizeof e->digest);
		else
			memset(e->digest, 0, sizeof e->digest);
		e->name[0] = '\0';
		if (a->names) {
			memcpy(e->name, blob + pos + sizeof r, r.namelen);
			e->name[r.namelen] = '\0';
		}
		pos += sizeof r + r.namelen;
		if (a->wire + proto_digentry_wire_size(e) > SW_FRAME_MAX) {
			struct sw_digentry keep = *e; /* the frame is full: it goes first */

			err = flush(a, SW_DIG_MORE);
			a->batch[0] = keep;
			e = &a->batch[0];
			if (err)
				break;
		}
		a->wire += proto_digentry_wire_size(e);
		a->n++;
		if (a->n == DIG_FRAME_ENTRIES && i + 1 < n->count)
			err = flush(a, SW_DIG_MORE);
	}
	free(blob);
	return err ? err : flush(a, SW_DIG_LAST);
}

int digests_answer(struct digests *d, const struct sw_digreq *r, digests_send_fn send,
		   void *ud)
{
	struct dig_answer a;
	struct dig_store *ds;
	const struct dig_snap *s;
	const struct dig_node *n;
	int err;

	memset(&a, 0, sizeof a);
	a.r = r;
	a.send = send;
	a.ud = ud;
	a.hdr.req_id = r->req_id;
	a.wire = SW_DIGESTS_FIXED;
	if (!d->batch && !(d->batch = calloc(DIG_FRAME_ENTRIES, sizeof *d->batch)))
		return -ENOMEM;
	a.batch = d->batch;
	pthread_mutex_lock(&d->lock);
	ds = dig_store(d, r->store, 0);
	s = ds ? ds->snap : NULL;
	if (!s) {
		err = refuse(&a, SW_DIG_REFUSED,
			     "store '%s': no committed manifest scan since the agent started "
			     "(or the store is not scanned here); ask again after its next scan",
			     r->store);
		goto out;
	}
	if (!s->complete) {
		err = refuse(&a, SW_DIG_REFUSED,
			     "store '%s': the last scan was partial, so its digests would not be "
			     "trustworthy; see the agent's log for the unreadable entries",
			     r->store);
		goto out;
	}
	if ((r->flags & SW_DIG_CONTENT) && !s->content) {
		err = refuse(&a, SW_DIG_REFUSED,
			     "store '%s': no content hashes are kept (set hash_contents = yes in "
			     "its [store] section of the agent's configuration)",
			     r->store);
		goto out;
	}
	a.hdr.scan_time = s->scan_time;
	n = resolve(s, r->dir, r->flags & SW_DIG_BYHASH);
	if (!n) {
		err = refuse(&a, SW_DIG_NO_DIR, "store '%s': no such directory in the manifest",
			     r->store);
		goto out;
	}
	memcpy(a.hdr.self, (r->flags & SW_DIG_CONTENT) ? n->cdigest : n->digest,
	       sizeof a.hdr.self);
	a.hdr.files = n->files;
	a.hdr.bytes = n->bytes;
	a.names = (r->flags & SW_DIG_NAMES) &&
		  pathcut_names_allowed(node_path(s, n), n->pathlen, d->depth);
	if (a.names && !(r->flags & SW_DIG_SELF))
		log_info("digests: store '%s': sending %u names (request %llu, on the collector's "
			 "audited request)", r->store, n->count, (unsigned long long)r->req_id);
	else if ((r->flags & SW_DIG_NAMES) && !(r->flags & SW_DIG_SELF))
		log_info("digests: store '%s': names asked below inventory_depth %u: sending %u "
			 "entries by name hash only (request %llu)", r->store, d->depth, n->count,
			 (unsigned long long)r->req_id);
	err = (r->flags & SW_DIG_SELF) ? flush(&a, SW_DIG_LAST) : send_entries(&a, s, n);
out:
	pthread_mutex_unlock(&d->lock);
	return err;
}
