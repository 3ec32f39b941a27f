/* copies_tree.h - an in-memory store for the copy tests: a tree of
 * directories and files, digested as the agent does (copy-contract.md
 * "Digests"), and found by the DIGREQ `dir` forms (names, then "/#" and
 * 32 hex digits of a name hash).  Header-only, for test_copies*.c. */
#ifndef SHRINKWATCH_TEST_COPIES_TREE_H
#define SHRINKWATCH_TEST_COPIES_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

struct tnode {
	char name[128];
	bool dir;
	uint64_t size;
	int64_t birth;
	uint8_t content[32];
	struct tnode *kids; /* first child */
	struct tnode *next; /* sibling */
};

static inline struct tnode *tn_new(const char *name, size_t len, bool dir)
{
	struct tnode *n = calloc(1, sizeof *n);

	if (!n)
		abort();
	memcpy(n->name, name, len);
	n->dir = dir;
	return n;
}

static inline void tn_free(struct tnode *n)
{
	while (n) {
		struct tnode *next = n->next;

		tn_free(n->kids);
		free(n);
		n = next;
	}
}

static inline struct tnode *tn_child(struct tnode *d, const char *name, size_t len)
{
	for (struct tnode *k = d->kids; k; k = k->next)
		if (strlen(k->name) == len && !memcmp(k->name, name, len))
			return k;
	return NULL;
}

/* Adds (or replaces) file path with size and birth; content is a byte of
 * the file's "contents" to tell hashes apart. */
static inline void tree_put(struct tnode *root, const char *path, uint64_t size, int64_t birth,
		     uint8_t content)
{
	struct tnode *d = root, *f;
	const char *p = path, *slash;

	while ((slash = strchr(p, '/'))) {
		struct tnode *c = tn_child(d, p, (size_t)(slash - p));

		if (!c) {
			c = tn_new(p, (size_t)(slash - p), true);
			c->next = d->kids;
			d->kids = c;
		}
		d = c;
		p = slash + 1;
	}
	f = tn_child(d, p, strlen(p));
	if (!f) {
		f = tn_new(p, strlen(p), false);
		f->next = d->kids;
		d->kids = f;
	}
	f->size = size;
	f->birth = birth;
	memset(f->content, 0, sizeof f->content);
	SHA256(&content, 1, f->content);
}

static inline void tree_del(struct tnode *root, const char *path)
{
	struct tnode *d = root, **pp;
	const char *p = path, *slash;

	while ((slash = strchr(p, '/'))) {
		d = tn_child(d, p, (size_t)(slash - p));
		if (!d)
			abort();
		p = slash + 1;
	}
	for (pp = &d->kids; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, p)) {
			struct tnode *gone = *pp;

			*pp = gone->next;
			gone->next = NULL;
			tn_free(gone);
			return;
		}
	abort(); /* no such file: a broken test */
}

static inline int by_name(const void *a, const void *b)
{
	return strcmp((*(struct tnode *const *)a)->name, (*(struct tnode *const *)b)->name);
}

static inline void name_hash(const char *name, uint8_t out[16])
{
	uint8_t h[32];

	SHA256((const uint8_t *)name, strlen(name), h);
	memcpy(out, h, 16);
}

/* The digest of directory d (names, or content), and its totals. */
static inline void tn_digest(const struct tnode *d, bool content, uint8_t out[32], uint64_t *files,
		      uint64_t *bytes)
{
	struct tnode *v[4096];
	size_t n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	*files = *bytes = 0;
	for (struct tnode *k = d->kids; k; k = k->next) {
		if (n == 4096)
			abort();
		v[n++] = k;
	}
	qsort(v, n, sizeof *v, by_name);
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		abort();
	for (size_t i = 0; i < n; i++) {
		EVP_DigestUpdate(c, v[i]->dir ? "D" : "F", 1);
		EVP_DigestUpdate(c, v[i]->name, strlen(v[i]->name) + 1);
		if (v[i]->dir) {
			uint8_t cd[32];
			uint64_t f, b;

			tn_digest(v[i], content, cd, &f, &b);
			EVP_DigestUpdate(c, cd, 32);
			*files += f;
			*bytes += b;
		} else if (content) {
			EVP_DigestUpdate(c, v[i]->content, 32);
			*files += 1;
			*bytes += v[i]->size;
		} else {
			uint8_t be[8];

			for (int k = 0; k < 8; k++)
				be[k] = (uint8_t)(v[i]->size >> (56 - 8 * k));
			EVP_DigestUpdate(c, be, 8);
			*files += 1;
			*bytes += v[i]->size;
		}
	}
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}

/* The directory of root named by a DIGREQ dir ("" = root; name components,
 * and "#" + 32 hex digits for a subdirectory's name hash, SW_DIG_BYHASH),
 * or NULL. */
static inline struct tnode *tree_find_wire(struct tnode *root, const char *dir)
{
	struct tnode *d = root;
	const char *p = dir;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		struct tnode *c = NULL;

		if (len == 33 && p[0] == '#') {
			uint8_t want[16], h[16];

			for (int k = 0; k < 16; k++) {
				unsigned v;

				if (sscanf(p + 1 + 2 * k, "%2x", &v) != 1)
					return NULL;
				want[k] = (uint8_t)v;
			}
			for (c = d->kids; c; c = c->next) {
				name_hash(c->name, h);
				if (c->dir && !memcmp(h, want, 16))
					break;
			}
		} else {
			c = tn_child(d, p, len);
		}
		if (!c || !c->dir)
			return NULL;
		d = c;
		p = slash ? slash + 1 : p + len;
	}
	return d;
}

#endif
