/* copies_walk.c - one comparison of a copy relation (see copies_walk.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copies_walk.h"
#include "shrinkwatch/banned.h"

/* A directory pair of the walk. */
struct node {
	struct copies_dirpath dir;
	char *path;      /* with names: relative to the source prefix ("" = it), else NULL */
	bool self_only;  /* the prefixes' first question */
	bool src_only;   /* absent at the destination: list the source only */
	bool src_gone;   /* absent at the source: list the destination only (memory) */
	bool sent;       /* asked */
	bool have[2];    /* answered */
	enum copies_answer_status st[2];
	uint8_t self[2][COPIES_DIGEST_LEN];
	uint64_t files[2], bytes[2];
	int64_t scan[2];
	struct copies_entry *e[2];
	size_t n[2];
	bool mem_known; /* the memory holds this directory (its listing below) */
	uint8_t mem_self[COPIES_DIGEST_LEN];
	struct copies_entry *me; /* the memory's entries, sorted */
	size_t mn;
};

struct copies_walk {
	struct copies_relation rel;
	bool names;
	int64_t now;
	struct copies_walk_ops ops;
	struct node **nodes; /* every node asked or to ask; done ones are freed (NULL) */
	size_t nnodes, cap;
	size_t next;     /* first node not yet asked */
	size_t inflight; /* nodes asked and not complete */
	bool finished, in_pump;
	struct copies_result res;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < n->n[s]; i++)
			free((void *)n->e[s][i].name);
		free(n->e[s]);
	}
	free(n->me);
	free(n->path);
	free(n);
}

void copies_walk_free(struct copies_walk *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nnodes; i++)
		node_free(w->nodes[i]);
	free(w->nodes);
	for (size_t i = 0; i < w->res.nitems; i++)
		free(w->res.items[i].path);
	free(w->res.items);
	free(w);
}

const struct copies_result *copies_walk_result(const struct copies_walk *w)
{
	return &w->res;
}

/* Queues a node; NULL on -ENOMEM (the walk then counts it unknown). */
static struct node *add_node(struct copies_walk *w)
{
	struct node *n;

	if (w->nnodes == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct node **more = realloc(w->nodes, cap * sizeof *more);

		if (!more)
			return NULL;
		w->nodes = more;
		w->cap = cap;
	}
	n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	w->nodes[w->nnodes++] = n;
	return n;
}

static char *join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = malloc(dl + nl + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (dl)
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

static void add_item(struct copies_walk *w, const struct node *n, enum copies_item_kind kind,
		     const struct copies_entry *src, const struct copies_entry *dst)
{
	struct copies_item *it;

	if (w->res.nitems >= COPIES_WALK_ITEMS_MAX) {
		w->res.items_truncated = true;
		return;
	}
	if (!(w->res.nitems & (w->res.nitems + 1)) || !w->res.items) {
		/* grow at 0, 1, 3, 7, ... : capacity is the next power of two */
		size_t cap = w->res.nitems ? 2 * (w->res.nitems + 1) : 16;
		struct copies_item *more;

		if (cap < 16)
			cap = 16;
		more = realloc(w->res.items, cap * sizeof *more);
		if (!more) {
			w->res.items_truncated = true;
			return;
		}
		w->res.items = more;
	}
	it = &w->res.items[w->res.nitems];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	memcpy(it->name_hash, src->name_hash, COPIES_HASH_LEN);
	it->depth = n->dir.depth;
	it->size = src->size;
	it->dst_size = dst ? dst->size : 0;
	it->birth = src->birth;
	if (n->path) {
		/* no name under a walk with names: the agent's inventory_depth
		 * withheld it; the item shows under the deepest path it allowed */
		it->path = src->name ? join(n->path, src->name) : strdup(n->path);
		it->names_withheld = !src->name;
		if (!it->path) {
			w->res.items_truncated = true;
			return;
		}
	}
	w->res.nitems++;
}

/* Queues the child pair of entry src (a directory of n at the source, or
 * with src_gone at the destination) of node n. */
static void descend(struct copies_walk *w, struct node *n, const struct copies_entry *src,
		    bool src_only, bool src_gone)
{
	struct node *c;

	if (n->dir.depth >= COPIES_DEPTH_MAX) {
		w->res.unknown_dirs++;
		return;
	}
	c = add_node(w);
	if (!c || (n->path && !(c->path = src->name ? join(n->path, src->name)
						       : strdup(n->path)))) {
		w->res.unknown_dirs++;
		if (c)
			w->nodes[--w->nnodes] = NULL, node_free(c);
		return;
	}
	c->dir = n->dir;
	memcpy(c->dir.h[c->dir.depth++], src->name_hash, COPIES_HASH_LEN);
	c->src_only = src_only;
	c->src_gone = src_gone;
}

static int by_hash(const void *a, const void *b);

/* The memory's listing of n's directory into n (sorted); false when it
 * holds none or there is no memory. */
static bool load_memory(struct copies_walk *w, struct node *n)
{
	struct copies_listing l;

	if (!w->ops.remembered)
		return false;
	memset(&l, 0, sizeof l);
	if (w->ops.remembered(w->ops.ud, &n->dir, &l) != 1)
		return false;
	n->mem_known = true;
	memcpy(n->mem_self, l.self, COPIES_DIGEST_LEN);
	if (l.n) {
		n->me = malloc(l.n * sizeof *n->me);
		if (!n->me) {
			n->mem_known = false;
			return false;
		}
		memcpy(n->me, l.e, l.n * sizeof *n->me);
		for (size_t i = 0; i < l.n; i++)
			n->me[i].name = NULL;
		n->mn = l.n;
		qsort(n->me, n->mn, sizeof *n->me, by_hash);
	}
	return true;
}

static void count_lost(struct copies_walk *w, const struct copies_dirpath *parent,
		       const struct copies_entry *m);

/* Counts as lost what the memory holds below dir, gone from both ends with
 * it; fallback when the memory holds nothing for dir. */
static void lost_below(struct copies_walk *w, const struct copies_dirpath *dir, uint64_t fallback)
{
	struct copies_listing l;
	struct copies_entry *e = NULL;
	size_t n;

	memset(&l, 0, sizeof l);
	if (!w->ops.remembered || w->ops.remembered(w->ops.ud, dir, &l) != 1) {
		w->res.lost += fallback;
		return;
	}
	n = l.n;
	if (n && !(e = malloc(n * sizeof *e))) {
		w->res.lost += fallback;
		return;
	}
	if (n) /* l.e is valid until the next remembered() only */
		memcpy(e, l.e, n * sizeof *e);
	for (size_t i = 0; i < n; i++)
		count_lost(w, dir, &e[i]);
	free(e);
}

/* Entry m of parent's memory is at neither end: one item, or what the memory
 * holds below a directory ('M': one the destination never had). */
static void count_lost(struct copies_walk *w, const struct copies_dirpath *parent,
		       const struct copies_entry *m)
{
	struct copies_dirpath child;

	if (m->kind != 'D') {
		w->res.lost++;
		w->res.unreceived += m->kind == COPIES_KIND_MISSING;
		return;
	}
	if (parent->depth >= COPIES_DEPTH_MAX) {
		w->res.lost += m->files;
		return;
	}
	child = *parent;
	memcpy(child.h[child.depth++], m->name_hash, COPIES_HASH_LEN);
	lost_below(w, &child, m->files);
}

/* Entry m of n's memory is at neither end any more. */
static void lost_entry(struct copies_walk *w, const struct node *n, const struct copies_entry *m)
{
	struct copies_dirpath child;

	count_lost(w, &n->dir, m);
	if (m->kind != 'D')
		return;
	if (n->dir.depth < COPIES_DEPTH_MAX && w->ops.forget) {
		child = n->dir;
		memcpy(child.h[child.depth++], m->name_hash, COPIES_HASH_LEN);
		w->ops.forget(w->ops.ud, &child);
	}
}

static bool file_differs(const struct copies_walk *w, const struct copies_entry *s,
			 const struct copies_entry *d)
{
	static const uint8_t zero[COPIES_DIGEST_LEN];

	switch (w->rel.compare) {
	case COPIES_NAMES:
		return false;
	case COPIES_SIZES:
		return s->size != d->size;
	case COPIES_CONTENT:
		if (s->size != d->size)
			return true;
		/* not hashed yet at one end: not known to differ */
		if (!memcmp(s->digest, zero, sizeof zero) || !memcmp(d->digest, zero, sizeof zero))
			return false;
		return memcmp(s->digest, d->digest, COPIES_DIGEST_LEN) != 0;
	}
	return false;
}

/* A source file with no counterpart at the destination: true when it is
 * missing (past grace), false when it is young. */
static bool source_only_file(struct copies_walk *w, struct node *n, const struct copies_entry *s)
{
	if (w->now - s->birth < w->rel.grace) {
		w->res.young++;
		return false;
	}
	w->res.missing++;
	add_item(w, n, COPIES_ITEM_MISSING, s, NULL);
	return true;
}

static int by_hash(const void *a, const void *b)
{
	return memcmp(((const struct copies_entry *)a)->name_hash,
		      ((const struct copies_entry *)b)->name_hash, COPIES_HASH_LEN);
}

static int hcmp(const struct copies_entry *x, const struct copies_entry *y)
{
	if (!x)
		return y ? 1 : 0;
	if (!y)
		return -1;
	return memcmp(x->name_hash, y->name_hash, COPIES_HASH_LEN);
}

/* Both listings of n are in (and the memory's, when there is one): count
 * its files, queue its differing subdirectories, and tell the memory what
 * is at both ends now, what is missing at the destination, and what it
 * still holds at one end. */
static void compare_lists(struct copies_walk *w, struct node *n)
{
	const struct copies_entry *s = n->e[COPIES_SOURCE], *d = n->e[COPIES_DESTINATION];
	size_t ns = n->src_gone ? 0 : n->n[COPIES_SOURCE];
	size_t nd = n->src_only ? 0 : n->n[COPIES_DESTINATION];
	size_t i = 0, j = 0, k = 0, nboth = 0;
	bool track = w->ops.remembered && w->ops.remember;
	struct copies_entry *both = NULL;

	if (track) {
		load_memory(w, n);
		both = malloc((ns + nd + n->mn + 1) * sizeof *both);
		if (!both)
			track = false;
	}
	while (i < ns || j < nd || k < n->mn) {
		const struct copies_entry *si = i < ns ? &s[i] : NULL, *dj = j < nd ? &d[j] : NULL;
		const struct copies_entry *mk = k < n->mn ? &n->me[k] : NULL, *lo = si;
		/* what the memory keeps of this name: NULL for nothing */
		struct copies_entry *keep = NULL;

		/* the lowest name hash of the three goes now */
		if (hcmp(dj, lo) < 0)
			lo = dj;
		if (hcmp(mk, lo) < 0)
			lo = mk;
		si = si && !hcmp(si, lo) ? si : NULL;
		dj = dj && !hcmp(dj, lo) ? dj : NULL;
		mk = mk && !hcmp(mk, lo) ? mk : NULL;
		i += si != NULL;
		j += dj != NULL;
		k += mk != NULL;
		/* remembered from now on: at both ends, or remembered and still
		 * at one (an item leaves the memory only by being at neither) */
		if (track && ((si && dj && si->kind == dj->kind) || (mk && (si || dj)))) {
			keep = &both[nboth++];
			*keep = si ? *si : *dj;
			/* a directory whose ends differ is looked at again once
			 * they agree, so the memory below it learns what the
			 * copy received meanwhile */
			if (si && keep->kind == 'D' &&
			    (!dj || memcmp(si->digest, dj->digest, COPIES_DIGEST_LEN)))
				memset(keep->digest, 0, COPIES_DIGEST_LEN);
		}
		if (!si) {
			if (!dj && mk) /* remembered, now at neither */
				lost_entry(w, n, mk);
			else if (dj && mk && mk->kind == 'D' && dj->kind == 'D' &&
				 memcmp(dj->digest, mk->digest, COPIES_DIGEST_LEN))
				/* gone from the source, and its copy changed since:
				 * what went from the copy too is lost */
				descend(w, n, dj, false, true);
			continue; /* at the destination only: extra */
		}
		if (!dj) { /* at the source only */
			bool was_both = mk && mk->kind != COPIES_KIND_MISSING;

			if (si->kind == 'D') {
				descend(w, n, si, true, false);
				/* remembered, to find its missing items again should
				 * it leave the source (files 0: the memory below it
				 * says what counts) */
				if (track) {
					if (!keep)
						keep = &both[nboth++];
					*keep = *si;
					memset(keep->digest, 0, COPIES_DIGEST_LEN);
					if (!was_both)
						keep->files = 0;
				}
			} else if (source_only_file(w, n, si) && track && !was_both) {
				/* missing past grace: remembered as such, so its
				 * leaving the source before the copy has it counts */
				if (!keep)
					keep = &both[nboth++];
				*keep = *si;
				keep->kind = COPIES_KIND_MISSING;
			}
			continue;
		}
		if (si->kind == 'D' && dj->kind == 'D') {
			if (memcmp(si->digest, dj->digest, COPIES_DIGEST_LEN) ||
			    (track && (!mk || mk->kind != 'D' ||
				       memcmp(si->digest, mk->digest, COPIES_DIGEST_LEN))))
				descend(w, n, si, false, false);
		} else if (si->kind == 'D') { /* a file where the source has a directory */
			descend(w, n, si, true, false);
		} else if (dj->kind == 'D') {
			source_only_file(w, n, si);
		} else if (file_differs(w, si, dj)) {
			w->res.differs++;
			add_item(w, n, COPIES_ITEM_DIFFERS, si, dj);
		}
	}
	if (track) {
		static const uint8_t zero[COPIES_DIGEST_LEN];
		const uint8_t *self = n->self[COPIES_SOURCE];

		for (size_t x = 0; x < nboth; x++)
			both[x].name = NULL;
		/* the source's digest when both ends agree (zeros when not: the
		 * next walk looks again once they do); the destination's once
		 * the source is gone (what the memory is checked against then) */
		if (n->src_gone)
			self = n->self[COPIES_DESTINATION];
		else if (n->src_only || memcmp(self, n->self[COPIES_DESTINATION], COPIES_DIGEST_LEN))
			self = zero;
		w->ops.remember(w->ops.ud, &n->dir, self, both, nboth);
	}
	free(both);
}

static void finish_node(struct copies_walk *w, size_t idx);

/* Asks the queued nodes while fewer than COPIES_WALK_INFLIGHT are out; ends
 * the walk when nothing is out or queued. */
static void pump(struct copies_walk *w)
{
	if (w->in_pump || w->finished)
		return;
	w->in_pump = true;
	while (w->next < w->nnodes && w->inflight < COPIES_WALK_INFLIGHT) {
		size_t idx = w->next++;
		struct node *n = w->nodes[idx];
	
		n->sent = true;
		w->inflight++;
		for (int s = 0; s < 2; s++) {
			if ((s == COPIES_DESTINATION && n->src_only) ||
			    (s == COPIES_SOURCE && n->src_gone)) {
				n->have[s] = true;
				n->st[s] = COPIES_ANSWER_NO_DIR;
				continue;
			}
			w->res.requests++;
			if (w->ops.request(w->ops.ud, (enum copies_side)s, &n->dir, n->self_only,
					   w->names, (uint64_t)idx)) {
				n->have[s] = true;
				n->st[s] = COPIES_ANSWER_UNKNOWN;
			}
			/* an answer from within request() may have ended the node */
			if (!w->nodes[idx])
				break;
		}
		if (w->nodes[idx] && w->nodes[idx]->have[0] && w->nodes[idx]->have[1])
			finish_node(w, idx);
	}
	w->in_pump = false;
	if (!w->inflight && w->next == w->nnodes && !w->finished) {
		w->finished = true;
		if (w->res.missing || w->res.differs)
			w->res.outcome = COPIES_INCOMPLETE;
		else if (w->res.unknown_dirs)
			w->res.outcome = COPIES_UNKNOWN;
		w->ops.done(w->ops.ud, w);
	}
}

/* The root's one child node, to be walked (named "" when names are asked
 * for); NULL with the outcome unknown when it cannot be made. */
static struct node *add_root_child(struct copies_walk *w)
{
	struct node *c = add_node(w);

	if (c && (!w->names || (c->path = calloc(1, 1))))
		return c;
	w->res.outcome = COPIES_UNKNOWN;
	if (c)
		w->nodes[--w->nnodes] = NULL, node_free(c);
	return NULL;
}

/* The prefixes' SELF digests are in. */
static void finish_root_self(struct copies_walk *w, struct node *n)
{
	struct copies_result *r = &w->res;
	struct node *c;

	r->src_files = n->files[0];
	r->src_bytes = n->bytes[0];
	r->dst_files = n->files[1];
	r->dst_bytes = n->bytes[1];
	r->src_scan = n->scan[0];
	r->dst_scan = n->scan[1];
	if (n->st[0] == COPIES_ANSWER_UNKNOWN || n->st[1] == COPIES_ANSWER_UNKNOWN) {
		r->outcome = COPIES_UNKNOWN;
		return;
	}
	if (n->st[0] == COPIES_ANSWER_NO_DIR) {
		r->src_files = r->src_bytes = 0;
		/* nothing at the source: nothing to copy, but what the memory
		 * holds and the copy no longer has is lost -- unless the copy
		 * is as the memory last saw it */
		if (!w->ops.remembered || !load_memory(w, n) || !n->mn ||
		    (n->st[1] == COPIES_ANSWER_OK &&
		     !memcmp(n->mem_self, n->self[1], COPIES_DIGEST_LEN)))
			return;
		if (n->st[1] == COPIES_ANSWER_NO_DIR)
			r->dst_files = r->dst_bytes = 0;
		c = add_root_child(w);
		if (!c)
			return;
		c->src_gone = true;
		c->src_only = n->st[1] == COPIES_ANSWER_NO_DIR;
		return;
	}
	if (n->st[1] == COPIES_ANSWER_OK && !memcmp(n->self[0], n->self[1], COPIES_DIGEST_LEN) &&
	    (!w->ops.remembered || (load_memory(w, n) &&
				    !memcmp(n->mem_self, n->self[0], COPIES_DIGEST_LEN))))
		return; /* complete (and nothing at both went since the memory) */
	if (n->st[1] == COPIES_ANSWER_NO_DIR)
		r->dst_files = r->dst_bytes = 0;
	c = add_root_child(w);
	if (!c)
		return;
	c->src_only = n->st[1] == COPIES_ANSWER_NO_DIR;
}

static void finish_node(struct copies_walk *w, size_t idx)
{
	struct node *n = w->nodes[idx];

	w->inflight--;
	if (n->self_only) {
		finish_root_self(w, n);
	} else if (n->src_gone) { /* the memory against the destination */
		if (n->st[1] == COPIES_ANSWER_UNKNOWN)
			w->res.unknown_dirs++;
		else
			compare_lists(w, n);
	} else if (n->st[0] != COPIES_ANSWER_OK ||
		   (!n->src_only && n->st[1] == COPIES_ANSWER_UNKNOWN)) {
		/* nothing known here; a source directory gone meanwhile is
		 * for the next comparison */
		if (n->st[0] == COPIES_ANSWER_UNKNOWN || n->st[1] == COPIES_ANSWER_UNKNOWN)
			w->res.unknown_dirs++;
	} else if (!n->src_only && n->st[1] == COPIES_ANSWER_NO_DIR) {
		n->src_only = true; /* went at the destination between two answers */
		compare_lists(w, n);
	} else {
		compare_lists(w, n);
	}
	node_free(n);
	w->nodes[idx] = NULL;
}

static int copy_entries(struct node *n, int s, const struct copies_listing *l)
{
	if (!l->n)
		return 0;
	n->e[s] = calloc(l->n, sizeof *n->e[s]);
	if (!n->e[s])
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		n->e[s][i] = l->e[i];
		n->e[s][i].name = NULL;
		n->n[s] = i + 1;
		if (l->e[i].name && !(n->e[s][i].name = strdup(l->e[i].name)))
			return -ENOMEM;
	}
	qsort(n->e[s], n->n[s], sizeof *n->e[s], by_hash);
	return 0;
}

void copies_walk_answer(struct copies_walk *w, uint64_t tag, enum copies_side side,
			const struct copies_listing *l)
{
	struct node *n;
	int s = side == COPIES_DESTINATION;

	if (w->finished || tag >= w->nnodes || !(n = w->nodes[tag]) || !n->sent || n->have[s])
		return;
	n->have[s] = true;
	n->st[s] = l->status;
	n->scan[s] = l->scan_time;
	n->files[s] = l->files;
	n->bytes[s] = l->bytes;
	memcpy(n->self[s], l->self, COPIES_DIGEST_LEN);
	if (l->status == COPIES_ANSWER_OK && !n->self_only) {
		w->res.entries += l->n;
		if (copy_entries(n, s, l))
			n->st[s] = COPIES_ANSWER_UNKNOWN;
	}
	if (n->have[0] && n->have[1]) {
		finish_node(w, (size_t)tag);
		pump(w);
	}
}

void copies_walk_abort(struct copies_walk *w)
{
	for (size_t i = 0; i < w->nnodes && !w->finished; i++) {
		struct node *n = w->nodes[i];

		if (!n)
			continue;
		if (n->self_only)
			w->res.outcome = COPIES_UNKNOWN;
		else
			w->res.unknown_dirs++;
		if (n->sent)
			w->inflight--;
		node_free(n);
		w->nodes[i] = NULL;
	}
	w->next = w->nnodes;
	pump(w);
}

int copies_walk_start(const struct copies_relation *r, bool names, int64_t now,
		      const struct copies_walk_ops *ops, struct copies_walk **out)
{
	struct copies_walk *w = calloc(1, sizeof *w);
	struct node *root;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->rel = *r;
	w->names = names;
	w->now = now;
	w->ops = *ops;
	root = add_node(w);
	if (!root) {
		copies_walk_free(w);
		return -ENOMEM;
	}
	root->self_only = true;
	*out = w;
	pump(w);
	return 0;
}

int copies_dirpath_wire(const char *prefix, const struct copies_dirpath *dir, char *out,
			size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t pl = strlen(prefix), need = pl + dir->depth * (2 + 2 * COPIES_HASH_LEN) + 1;
	char *p = out;

	if (need > outlen)
		return -ENAMETOOLONG;
	memcpy(p, prefix, pl);
	p += pl;
	for (size_t d = 0; d < dir->depth; d++) {
		if (p != out || d)
			*p++ = '/';
		*p++ = '#';
		for (size_t k = 0; k < COPIES_HASH_LEN; k++) {
			*p++ = hex[dir->h[d][k] >> 4];
			*p++ = hex[dir->h[d][k] & 15];
		}
	}
	*p = '\0';
	return 0;
}
