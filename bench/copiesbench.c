/*
 * copiesbench.c - the collector's side of a copy comparison (issue 13):
 * collector time and wire bytes of one walk (collector/alerts/copies_walk.h)
 * between two synthetic stores of DIRS x FILES files, answered by a scripted
 * agent in this process from precomputed digests (as the agent answers from
 * its cached per-directory digests, never walking a store).
 *
 *   copiesbench [DIRS [FILES [MISSING_DIRS [MISSING_PER_DIR]]]]
 *
 * Runs two cases: the two stores equal, and the destination lacking
 * MISSING_PER_DIR files in each of MISSING_DIRS directories.  Every request
 * and every answer is encoded with the real protocol encoders (lib/proto.c)
 * to count the bytes on the wire, answers split in frames as the agent
 * splits them.  Collector time is the wall time of the walk minus the time
 * the scripted agent spent building and encoding its answers.  Prints
 * "name value" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "collector/alerts/copies_walk.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/banned.h"

struct bdir {
	uint8_t hash[16];
	uint8_t digest[32];
	uint64_t files, bytes;
	size_t nfiles;
	uint8_t (*fhash)[16];
	uint64_t *size;
	bool *gone; /* files missing at this end */
};

struct bstore {
	struct bdir *dir;
	size_t ndirs;
	uint8_t root[32];
	uint64_t files, bytes;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sha(const void *p, size_t n, uint8_t out[32])
{
	unsigned len = 32;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

/* A directory's digest as the contract says: sorted 'F' name 0 size. */
static void dir_digest(struct bdir *d, size_t di)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char name[32];

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	d->files = d->bytes = 0;
	for (size_t i = 0; i < d->nfiles; i++) {
		uint8_t be[8];

		if (d->gone[i])
			continue;
		snprintf(name, sizeof name, "f%06zu.mp4", i);
		EVP_DigestUpdate(c, "F", 1);
		EVP_DigestUpdate(c, name, strlen(name) + 1);
		for (int k = 0; k < 8; k++)
			be[k] = (uint8_t)(d->size[i] >> (56 - 8 * k));
		EVP_DigestUpdate(c, be, 8);
		d->files++;
		d->bytes += d->size[i];
	}
	EVP_DigestFinal_ex(c, d->digest, NULL);
	EVP_MD_CTX_free(c);
	(void)di;
}

static void root_digest(struct bstore *s)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char name[32];

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	s->files = s->bytes = 0;
	for (size_t i = 0; i < s->ndirs; i++) {
		snprintf(name, sizeof name, "d%06zu", i);
		EVP_DigestUpdate(c, "D", 1);
		EVP_DigestUpdate(c, name, strlen(name) + 1);
		EVP_DigestUpdate(c, s->dir[i].digest, 32);
		s->files += s->dir[i].files;
		s->bytes += s->dir[i].bytes;
	}
	EVP_DigestFinal_ex(c, s->root, NULL);
	EVP_MD_CTX_free(c);
}

static void store_make(struct bstore *s, size_t ndirs, size_t nfiles)
{
	char name[32];

	s->ndirs = ndirs;
	s->dir = calloc(ndirs, sizeof *s->dir);
	for (size_t i = 0; i < ndirs; i++) {
		struct bdir *d = &s->dir[i];
		uint8_t h[32];

		snprintf(name, sizeof name, "d%06zu", i);
		sha(name, strlen(name), h);
		memcpy(d->hash, h, 16);
		d->nfiles = nfiles;
		d->fhash = malloc(nfiles * sizeof *d->fhash);
		d->size = malloc(nfiles * sizeof *d->size);
		d->gone = calloc(nfiles, sizeof *d->gone);
		for (size_t f = 0; f < nfiles; f++) {
			snprintf(name, sizeof name, "f%06zu.mp4", f);
			sha(name, strlen(name), h);
			memcpy(d->fhash[f], h, 16);
			d->size[f] = 1000000 + f * 7 + i;
		}
		dir_digest(d, i);
	}
	root_digest(s);
}

struct bench {
	struct bstore *end[2];
	struct copies_walk *w;
	struct { uint64_t tag; int side; struct copies_dirpath dir; bool self; } q[4096];
	size_t nq;
	double agent_s;
	uint64_t bytes_out, bytes_in, requests;
	int done;
	struct buf frame;
	struct sw_digentry *ents;
	struct copies_entry *ce;
};

static int b_request(void *ud, enum copies_side side, const struct copies_dirpath *dir,
		     bool self_only, bool names, uint64_t tag)
{
	struct bench *b = ud;
	struct sw_digreq rq;
	(void)names;

	memset(&rq, 0, sizeof rq);
	rq.req_id = ++b->requests;
	snprintf(rq.store, sizeof rq.store, "%s", side ? "dst" : "src");
	copies_dirpath_wire("", dir, rq.dir, sizeof rq.dir);
	rq.flags = (uint8_t)((self_only ? SW_DIG_SELF : 0) | (dir->depth ? SW_DIG_BYHASH : 0));
	b->frame.len = 0;
	if (proto_encode_digreq(&b->frame, &rq))
		abort();
	b->bytes_out += b->frame.len;
	if (b->nq == 4096)
		abort();
	b->q[b->nq].tag = tag;
	b->q[b->nq].side = side;
	b->q[b->nq].dir = *dir;
	b->q[b->nq].self = self_only;
	b->nq++;
	return 0;
}

static void b_done(void *ud, struct copies_walk *w)
{
	(void)w;
	((struct bench *)ud)->done++;
}

static int by_hash(const void *a, const void *b)
{
	return memcmp(((const struct sw_digentry *)a)->name_hash,
		      ((const struct sw_digentry *)b)->name_hash, 16);
}

/* The scripted agent: the listing, encoded in frames (agent time), then
 * handed to the walk (collector time). */
static void b_answer(struct bench *b, const __typeof__(b->q[0]) *q)
{
	struct bstore *s = b->end[q->side];
	const struct copies_dirpath *dir = &q->dir;
	struct sw_digests h;
	struct copies_listing l;
	size_t n = 0;
	double t0 = now_s();

	memset(&h, 0, sizeof h);
	memset(&l, 0, sizeof l);
	h.req_id = 1;
	h.status = SW_DIG_LAST;
	if (dir->depth == 0) {
		memcpy(h.self, s->root, 32);
		h.files = s->files;
		h.bytes = s->bytes;
		if (!q->self)
			for (size_t i = 0; i < s->ndirs; i++) {
				struct sw_digentry *x = &b->ents[n++];

				memset(x, 0, sizeof *x);
				memcpy(x->name_hash, s->dir[i].hash, 16);
				x->kind = 'D';
				x->size = s->dir[i].bytes;
				x->files = s->dir[i].files;
				memcpy(x->digest, s->dir[i].digest, 32);
			}
	} else {
		struct bdir *d = NULL;

		for (size_t i = 0; i < s->ndirs && !d; i++)
			if (!memcmp(s->dir[i].hash, dir->h[0], 16))
				d = &s->dir[i];
		if (!d)
			abort();
		memcpy(h.self, d->digest, 32);
		h.files = d->files;
		h.bytes = d->bytes;
		if (!q->self)
			for (size_t f = 0; f < d->nfiles; f++) {
				struct sw_digentry *x;

				if (d->gone[f])
					continue;
				x = &b->ents[n++];
				memset(x, 0, sizeof *x);
				memcpy(x->name_hash, d->fhash[f], 16);
				x->kind = 'F';
				x->size = d->size[f];
				x->birth = 1;
			}
	}
	qsort(b->ents, n, sizeof *b->ents, by_hash);
	for (size_t i = 0; i < n || i == 0; i += SW_DIGESTS_MAX) {
		size_t k = n - i < SW_DIGESTS_MAX ? n - i : SW_DIGESTS_MAX;

		b->frame.len = 0;
		if (proto_encode_digests(&b->frame, &h, n ? b->ents + i : NULL, k))
			abort();
		b->bytes_in += b->frame.len;
		if (!n)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		struct copies_entry *c = &b->ce[i];

		memset(c, 0, sizeof *c);
		memcpy(c->name_hash, b->ents[i].name_hash, 16);
		c->kind = b->ents[i].kind;
		c->size = b->ents[i].size;
		c->files = b->ents[i].files;
		c->birth = b->ents[i].birth;
		memcpy(c->digest, b->ents[i].digest, 32);
	}
	memcpy(l.self, h.self, 32);
	l.files = h.files;
	l.bytes = h.bytes;
	l.e = b->ce;
	l.n = n;
	b->agent_s += now_s() - t0;
	copies_walk_answer(b->w, q->tag, (enum copies_side)q->side, &l);
}

static void run(const char *label, struct bstore *src, struct bstore *dst, size_t maxent)
{
	static struct bench b;
	struct copies_relation r;
	const struct copies_walk_ops ops = { .request = b_request, .done = b_done, .ud = &b };
	const struct copies_result *res;
	double t0;

	memset(&r, 0, sizeof r);
	snprintf(r.name, sizeof r.name, "bench");
	r.grace = 60;
	r.compare = COPIES_SIZES;
	b.end[0] = src;
	b.end[1] = dst;
	b.nq = 0;
	b.agent_s = 0;
	b.bytes_in = b.bytes_out = b.requests = 0;
	b.done = 0;
	buf_init(&b.frame, 1 << 20);
	if (!b.ents) {
		b.ents = malloc(maxent * sizeof *b.ents);
		b.ce = malloc(maxent * sizeof *b.ce);
	}
	t0 = now_s();
	if (copies_walk_start(&r, false, 1000000, &ops, &b.w))
		abort();
	while (b.nq) {
		static __typeof__(b.q) batch;
		size_t n = b.nq;

		memcpy(batch, b.q, n * sizeof batch[0]);
		b.nq = 0;
		for (size_t i = 0; i < n; i++)
			b_answer(&b, &batch[i]);
	}
	res = copies_walk_result(b.w);
	printf("%s_collector_s %.3f\n", label, now_s() - t0 - b.agent_s);
	printf("%s_agent_s %.3f\n", label, b.agent_s);
	printf("%s_wire_bytes %llu\n", label,
	       (unsigned long long)(b.bytes_in + b.bytes_out));
	printf("%s_directories_asked %llu\n", label, (unsigned long long)res->requests);
	printf("%s_entries %llu\n", label, (unsigned long long)res->entries);
	printf("%s_missing %llu\n", label, (unsigned long long)res->missing);
	printf("%s_outcome %s\n", label, res->outcome == COPIES_COMPLETE ? "complete" :
		res->outcome == COPIES_INCOMPLETE ? "incomplete" : "unknown");
	copies_walk_free(b.w);
	buf_release(&b.frame);
}

int main(int argc, char **argv)
{
	size_t ndirs = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	size_t nfiles = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	size_t mdirs = argc > 3 ? strtoul(argv[3], NULL, 10) : 200;
	size_t mper = argc > 4 ? strtoul(argv[4], NULL, 10) : 5;
	static struct bstore src, dst;
	double t0 = now_s();

	if (!ndirs || !nfiles || mdirs > ndirs || mper > nfiles || ndirs > 100000) {
		fprintf(stderr, "usage: copiesbench [DIRS [FILES [MISSING_DIRS [PER_DIR]]]]\n");
		return 2;
	}
	store_make(&src, ndirs, nfiles);
	store_make(&dst, ndirs, nfiles);
	printf("files %zu\ndirectories %zu\nsetup_s %.3f\n", ndirs * nfiles, ndirs, now_s() - t0);
	run("equal", &src, &dst, ndirs > nfiles ? ndirs : nfiles);
	/* MISSING_PER_DIR files gone in MISSING_DIRS directories spread over the store */
	for (size_t k = 0; k < mdirs; k++) {
		struct bdir *d = &dst.dir[k * ndirs / (mdirs ? mdirs : 1)];

		for (size_t f = 0; f < mper; f++)
			d->gone[f * nfiles / mper] = true;
		dir_digest(d, 0);
	}
	root_digest(&dst);
	run("missing", &src, &dst, ndirs > nfiles ? ndirs : nfiles);
	return 0;
}
