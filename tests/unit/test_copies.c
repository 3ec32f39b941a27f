/* test_copies.c - [copy] sections, and the Merkle descent of a comparison on
 * in-memory digest trees (no network): what is missing, young, differing,
 * unknown; and that matching stores cost two answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/alerts/copies_conf.h"
#include "collector/alerts/copies_walk.h"
#include "collector/config.h"
#include "copies_tree.h"
#include "testutil.h"

/* ---- the two ends, answering the walk's requests ---- */

struct end {
	struct tnode *root;
	const char *prefix;
	bool down;     /* requests fail: agent not connected */
	bool refuse;   /* answers "unknown" (refused) */
	unsigned names_depth; /* the agent's inventory_depth: no names deeper (0: any) */
};

struct world {
	struct end end[2];
	bool content;
	bool deferred; /* answers queued, delivered by deliver() */
	bool memory;   /* keep a memory (copy_lost), in mem[] */
	struct {
		uint8_t key[COPIES_DEPTH_MAX * COPIES_HASH_LEN];
		size_t klen;
		uint8_t self[COPIES_DIGEST_LEN];
		struct copies_entry e[64];
		size_t n;
	} mem[64];
	size_t nmem;
	struct copies_walk *w;
	int done;
	uint64_t requests[2], max_inflight, inflight;
	struct {
		uint64_t tag;
		int side;
		struct copies_dirpath dir;
		bool self_only, names;
	} queue[4096];
	size_t nq;
};

/* The directory the agent would find for the walk's request: through the
 * DIGREQ `dir` the collector sends (copies_dirpath_wire()). */
static struct tnode *resolve(const struct end *e, const struct copies_dirpath *dir)
{
	char wire[8192];

	assert_int_equal(copies_dirpath_wire(e->prefix, dir, wire, sizeof wire), 0);
	return tree_find_wire(e->root, wire);
}

static void answer_now(struct world *wd, int side, const struct copies_dirpath *dir,
		       bool self_only, bool names, uint64_t tag)
{
	const struct end *e = &wd->end[side];
	struct copies_listing l;
	struct copies_entry ents[4096];
	struct tnode *d;
	size_t n = 0;

	memset(&l, 0, sizeof l);
	l.scan_time = 1000;
	if (e->refuse) {
		l.status = COPIES_ANSWER_UNKNOWN;
		copies_walk_answer(wd->w, tag, (enum copies_side)side, &l);
		return;
	}
	d = resolve(e, dir);
	if (!d) {
		l.status = COPIES_ANSWER_NO_DIR;
		copies_walk_answer(wd->w, tag, (enum copies_side)side, &l);
		return;
	}
	tn_digest(d, wd->content, l.self, &l.files, &l.bytes);
	if (names && e->names_depth) {
		/* as agent/digests.c: an entry's name goes only within the depth */
		char wire[8192];
		unsigned comps;

		assert_int_equal(copies_dirpath_wire(e->prefix, dir, wire, sizeof wire), 0);
		comps = wire[0] ? 1 : 0;
		for (const char *p = wire; *p; p++)
			comps += *p == '/';
		names = comps < e->names_depth;
	}
	if (!self_only) {
		for (struct tnode *k = d->kids; k; k = k->next) {
			struct copies_entry *x = &ents[n++];

			memset(x, 0, sizeof *x);
			name_hash(k->name, x->name_hash);
			x->kind = k->dir ? 'D' : 'F';
			if (k->dir) {
				tn_digest(k, wd->content, x->digest, &x->files, &x->size);
			} else {
				x->size = k->size;
				x->birth = k->birth;
				if (wd->content)
					memcpy(x->digest, k->content, 32);
			}
			x->name = names ? k->name : NULL;
		}
	}
	l.e = ents;
	l.n = n;
	copies_walk_answer(wd->w, tag, (enum copies_side)side, &l);
}

static int w_request(void *ud, enum copies_side side, const struct copies_dirpath *dir,
		     bool self_only, bool names, uint64_t tag)
{
	struct world *wd = ud;

	if (wd->end[side].down)
		return -ENOTCONN;
	wd->requests[side]++;
	if (!wd->deferred) {
		answer_now(wd, side, dir, self_only, names, tag);
		return 0;
	}
	assert_true(wd->nq < 4096);
	wd->queue[wd->nq].tag = tag;
	wd->queue[wd->nq].side = side;
	wd->queue[wd->nq].dir = *dir;
	wd->queue[wd->nq].self_only = self_only;
	wd->queue[wd->nq].names = names;
	wd->nq++;
	if (wd->nq > wd->max_inflight)
		wd->max_inflight = wd->nq;
	return 0;
}

/* ---- an in-memory memory ---- */

static size_t m_find(struct world *wd, const struct copies_dirpath *dir)
{
	for (size_t i = 0; i < wd->nmem; i++)
		if (wd->mem[i].klen == dir->depth * COPIES_HASH_LEN &&
		    !memcmp(wd->mem[i].key, dir->h, wd->mem[i].klen))
			return i;
	return SIZE_MAX;
}

static int m_remembered(void *ud, const struct copies_dirpath *dir, struct copies_listing *out)
{
	struct world *wd = ud;
	size_t i = m_find(wd, dir);

	if (i == SIZE_MAX)
		return 0;
	memcpy(out->self, wd->mem[i].self, COPIES_DIGEST_LEN);
	out->e = wd->mem[i].e;
	out->n = wd->mem[i].n;
	return 1;
}

static void m_remember(void *ud, const struct copies_dirpath *dir,
		       const uint8_t digest[COPIES_DIGEST_LEN], const struct copies_entry *e,
		       size_t n)
{
	struct world *wd = ud;
	size_t i = m_find(wd, dir);

	if (i == SIZE_MAX) {
		assert_true(wd->nmem < 64);
		i = wd->nmem++;
	}
	assert_true(n <= 64);
	wd->mem[i].klen = dir->depth * COPIES_HASH_LEN;
	memcpy(wd->mem[i].key, dir->h, wd->mem[i].klen);
	memcpy(wd->mem[i].self, digest, COPIES_DIGEST_LEN);
	memcpy(wd->mem[i].e, e, n * sizeof *e);
	wd->mem[i].n = n;
}

static void m_forget(void *ud, const struct copies_dirpath *dir)
{
	struct world *wd = ud;
	size_t kl = dir->depth * COPIES_HASH_LEN;

	for (size_t i = 0; i < wd->nmem;)
		if (wd->mem[i].klen >= kl && !memcmp(wd->mem[i].key, dir->h, kl))
			wd->mem[i] = wd->mem[--wd->nmem];
		else
			i++;
}

static void w_done(void *ud, struct copies_walk *w)
{
	struct world *wd = ud;

	assert_ptr_equal(w, wd->w ? wd->w : w);
	wd->done++;
}

/* Delivers the answers queued so far (not those their delivery queues),
 * newest first (out of order on purpose). */
static void deliver(struct world *wd)
{
	static __typeof__(wd->queue) batch;
	size_t n = wd->nq;

	memcpy(batch, wd->queue, n * sizeof batch[0]);
	wd->nq = 0;
	while (n--)
		answer_now(wd, batch[n].side, &batch[n].dir, batch[n].self_only, batch[n].names,
			   batch[n].tag);
}

static const struct copies_result *run(struct world *wd, const struct copies_relation *r,
				       bool names, int64_t now)
{
	struct copies_walk_ops ops = { .request = w_request, .done = w_done, .ud = wd };
	struct copies_walk *w = NULL;

	if (wd->memory) {
		ops.remembered = m_remembered;
		ops.remember = m_remember;
		ops.forget = m_forget;
	}

	wd->done = 0;
	wd->requests[0] = wd->requests[1] = 0;
	wd->w = NULL;
	/* an answer from within start() needs wd->w: start deferred first */
	bool deferred = wd->deferred;

	wd->deferred = true;
	assert_int_equal(copies_walk_start(r, names, now, &ops, &w), 0);
	wd->w = w;
	wd->deferred = deferred;
	while (wd->nq)
		deliver(wd);
	assert_int_equal(wd->done, 1);
	return copies_walk_result(w);
}

static void world_free(struct world *wd)
{
	copies_walk_free(wd->w);
	wd->w = NULL;
}

static struct copies_relation rel(enum copies_compare cmp, int64_t grace)
{
	struct copies_relation r;

	memset(&r, 0, sizeof r);
	snprintf(r.name, sizeof r.name, "move");
	snprintf(r.source.agent, sizeof r.source.agent, "a");
	snprintf(r.source.store, sizeof r.source.store, "s");
	snprintf(r.destination.agent, sizeof r.destination.agent, "b");
	snprintf(r.destination.store, sizeof r.destination.store, "d");
	r.grace = grace;
	r.compare = cmp;
	return r;
}

/* 100 files over 10 directories (a migration's copy), born at 0. */
static void fill(struct tnode *t, const char *top)
{
	char p[256];

	for (int i = 0; i < 100; i++) {
		snprintf(p, sizeof p, "%s%sdir%d/clip%03d.mp4", top, *top ? "/" : "", i % 10, i);
		tree_put(t, p, 1000 + (uint64_t)i, 0, (uint8_t)i);
	}
}

static bool has_item(const struct copies_result *r, enum copies_item_kind k, const char *path)
{
	for (size_t i = 0; i < r->nitems; i++)
		if (r->items[i].kind == k && r->items[i].path && !strcmp(r->items[i].path, path))
			return true;
	return false;
}

static void test_complete_costs_two_answers(void **state)
{
	struct world wd;
	struct copies_relation r = rel(COPIES_SIZES, 3600);
	const struct copies_result *res;
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = "";
	wd.end[1].prefix = "old";
	fill(wd.end[0].root, "");
	fill(wd.end[1].root, "old");
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->outcome, COPIES_COMPLETE);
	assert_int_equal(wd.requests[0], 1);
	assert_int_equal(wd.requests[1], 1);
	assert_int_equal(res->src_files, 100);
	assert_int_equal(res->dst_files, 100);
	assert_int_equal(res->missing + res->differs + res->young, 0);
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

static void test_missing_named_descent_bounded(void **state)
{
	struct world wd;
	struct copies_relation r = rel(COPIES_SIZES, 3600);
	const struct copies_result *res;
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = wd.end[1].prefix = "";
	fill(wd.end[0].root, "");
	fill(wd.end[1].root, "");
	tree_del(wd.end[1].root, "dir3/clip013.mp4");
	tree_del(wd.end[1].root, "dir3/clip023.mp4");
	tree_del(wd.end[1].root, "dir7/clip047.mp4");
	/* an extra file at the destination is no fault */
	tree_put(wd.end[1].root, "dir5/extra.mp4", 5, 0, 1);

	res = run(&wd, &r, true, 100000);
	assert_int_equal(res->outcome, COPIES_INCOMPLETE);
	assert_int_equal(res->missing, 3);
	assert_int_equal(res->differs, 0);
	assert_int_equal(res->nitems, 3);
	assert_true(has_item(res, COPIES_ITEM_MISSING, "dir3/clip013.mp4"));
	assert_true(has_item(res, COPIES_ITEM_MISSING, "dir3/clip023.mp4"));
	assert_true(has_item(res, COPIES_ITEM_MISSING, "dir7/clip047.mp4"));
	/* self + root listing + the 3 differing directories, per end: never
	 * the 7 directories that match */
	assert_int_equal(wd.requests[0], 5);
	assert_int_equal(wd.requests[1], 5);
	world_free(&wd);

	/* without names (continuous checking): the same counts, no paths */
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->missing, 3);
	assert_null(res->items[0].path);
	assert_int_equal(res->items[0].depth, 1);
	world_free(&wd);

	/* restored: complete again */
	tree_put(wd.end[1].root, "dir3/clip013.mp4", 1013, 0, 13);
	tree_put(wd.end[1].root, "dir3/clip023.mp4", 1023, 0, 23);
	tree_put(wd.end[1].root, "dir7/clip047.mp4", 1047, 0, 47);
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->missing, 0);
	assert_int_equal(res->outcome, COPIES_COMPLETE);
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

static void test_grace_young_and_absent_subtree(void **state)
{
	struct world wd;
	struct copies_relation r = rel(COPIES_SIZES, 3600);
	const struct copies_result *res;
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = wd.end[1].prefix = "";
	fill(wd.end[0].root, "");
	fill(wd.end[1].root, "");
	/* a transfer in progress: new files at the source, born 10 min ago */
	tree_put(wd.end[0].root, "incoming/a/new1.mp4", 7, 100000 - 600, 1);
	tree_put(wd.end[0].root, "incoming/a/new2.mp4", 7, 100000 - 600, 2);
	tree_put(wd.end[0].root, "dir1/new3.mp4", 7, 100000 - 600, 3);
	res = run(&wd, &r, true, 100000);
	assert_int_equal(res->missing, 0);
	assert_int_equal(res->young, 3);
	assert_int_equal(res->outcome, COPIES_COMPLETE);
	world_free(&wd);

	/* two hours later they are still not there: missing, the two in a
	 * directory the destination lacks altogether included */
	res = run(&wd, &r, true, 100000 + 7200);
	assert_int_equal(res->missing, 3);
	assert_int_equal(res->young, 0);
	assert_true(has_item(res, COPIES_ITEM_MISSING, "incoming/a/new1.mp4"));
	assert_true(has_item(res, COPIES_ITEM_MISSING, "incoming/a/new2.mp4"));
	assert_true(has_item(res, COPIES_ITEM_MISSING, "dir1/new3.mp4"));
	world_free(&wd);

	/* the whole destination prefix is absent: every source file missing */
	wd.end[1].prefix = "nowhere";
	res = run(&wd, &r, false, 100000 + 7200);
	assert_int_equal(res->missing, 103);
	assert_int_equal(res->outcome, COPIES_INCOMPLETE);
	assert_int_equal(wd.requests[1], 1); /* asked once, then not again */
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

static void test_differs_sizes_and_content(void **state)
{
	struct world wd;
	struct copies_relation r = rel(COPIES_NAMES, 3600);
	const struct copies_result *res;
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = wd.end[1].prefix = "";
	fill(wd.end[0].root, "");
	fill(wd.end[1].root, "");
	tree_put(wd.end[1].root, "dir4/clip004.mp4", 1, 0, 4); /* truncated copy */

	/* names: the same name is enough */
	res = run(&wd, &r, true, 100000);
	assert_int_equal(res->differs, 0);
	assert_int_equal(res->outcome, COPIES_COMPLETE);
	world_free(&wd);

	r.compare = COPIES_SIZES;
	res = run(&wd, &r, true, 100000);
	assert_int_equal(res->differs, 1);
	assert_true(has_item(res, COPIES_ITEM_DIFFERS, "dir4/clip004.mp4"));
	assert_int_equal(res->items[0].size, 1004);
	assert_int_equal(res->items[0].dst_size, 1);
	world_free(&wd);

	/* content: one byte corrupted, same size */
	tree_put(wd.end[1].root, "dir4/clip004.mp4", 1004, 0, 4);
	tree_put(wd.end[1].root, "dir8/clip018.mp4", 1018, 0, 99);
	r.compare = COPIES_SIZES;
	wd.content = false;
	res = run(&wd, &r, true, 100000);
	assert_int_equal(res->differs, 0); /* sizes cannot see it */
	world_free(&wd);
	r.compare = COPIES_CONTENT;
	wd.content = true;
	res = run(&wd, &r, true, 100000);
	assert_int_equal(res->differs, 1);
	assert_true(has_item(res, COPIES_ITEM_DIFFERS, "dir8/clip018.mp4"));
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

static void test_unknown_never_missing(void **state)
{
	struct world wd;
	struct copies_relation r = rel(COPIES_SIZES, 3600);
	const struct copies_result *res;
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = wd.end[1].prefix = "";
	fill(wd.end[0].root, "");
	/* the destination agent is down */
	wd.end[1].down = true;
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->outcome, COPIES_UNKNOWN);
	assert_int_equal(res->missing, 0);
	world_free(&wd);
	/* it refuses (no manifest) */
	wd.end[1].down = false;
	wd.end[1].refuse = true;
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->outcome, COPIES_UNKNOWN);
	assert_int_equal(res->missing, 0);
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

static void test_abort_and_inflight_cap(void **state)
{
	struct world wd;
	struct copies_relation r = rel(COPIES_SIZES, 0);
	const struct copies_walk_ops ops = { .request = w_request, .done = w_done, .ud = &wd };
	struct copies_walk *w;
	char p[256];
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = wd.end[1].prefix = "";
	for (int i = 0; i < 200; i++) {
		snprintf(p, sizeof p, "d%03d/f.mp4", i);
		tree_put(wd.end[0].root, p, 1, 0, 1);
	}
	tree_put(wd.end[1].root, "other.mp4", 1, 0, 1);
	/* the source's 200 directories are absent at the destination: the
	 * walk asks at most COPIES_WALK_INFLIGHT of them at once */
	wd.deferred = true;
	assert_int_equal(copies_walk_start(&r, false, 10, &ops, &w), 0);
	wd.w = w;
	while (wd.nq)
		deliver(&wd);
	assert_true(wd.max_inflight <= COPIES_WALK_INFLIGHT);
	assert_int_equal(wd.done, 1);
	assert_int_equal(copies_walk_result(w)->missing, 200);
	world_free(&wd);

	/* aborted halfway: done once, the rest unknown, nothing invented */
	wd.done = 0;
	assert_int_equal(copies_walk_start(&r, false, 10, &ops, &w), 0);
	wd.w = w;
	deliver(&wd); /* the prefixes' digests differ: root listings asked */
	deliver(&wd); /* 200 source directories queued, 32 asked */
	assert_int_equal(wd.done, 0);
	wd.nq = 0; /* their answers never come */
	copies_walk_abort(w);
	assert_int_equal(wd.done, 1);
	assert_int_equal(copies_walk_result(w)->missing, 0);
	assert_int_equal(copies_walk_result(w)->unknown_dirs, 200);
	assert_int_equal(copies_walk_result(w)->outcome, COPIES_UNKNOWN);
	/* a late answer is ignored */
	answer_now(&wd, 0, &(struct copies_dirpath){ .depth = 0 }, true, false, 0);
	assert_int_equal(wd.done, 1);
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

static void test_lost_needs_memory(void **state)
{
	static struct world wd;
	struct copies_relation r = rel(COPIES_SIZES, 3600);
	const struct copies_result *res;
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.memory = true;
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = wd.end[1].prefix = "";
	fill(wd.end[0].root, "");
	fill(wd.end[1].root, "");
	/* an empty memory: every directory visited once to fill it */
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->outcome, COPIES_COMPLETE);
	assert_int_equal(res->lost, 0);
	assert_int_equal(wd.requests[0], 12);
	assert_int_equal(wd.nmem, 11);
	world_free(&wd);
	/* then two answers again */
	res = run(&wd, &r, false, 100000);
	assert_int_equal(wd.requests[0] + wd.requests[1], 2);
	world_free(&wd);

	/* gone from both: the ends still agree, the memory sees the loss, and
	 * only the directory concerned is listed */
	tree_del(wd.end[0].root, "dir3/clip013.mp4");
	tree_del(wd.end[1].root, "dir3/clip013.mp4");
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->lost, 1);
	assert_int_equal(res->missing, 0);
	assert_int_equal(res->outcome, COPIES_COMPLETE);
	assert_int_equal(wd.requests[0], 3);
	world_free(&wd);
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->lost, 0); /* counted once */
	world_free(&wd);

	/* first at the destination (missing), later at the source: lost then */
	tree_del(wd.end[1].root, "dir4/clip014.mp4");
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->missing, 1);
	assert_int_equal(res->lost, 0);
	world_free(&wd);
	tree_del(wd.end[0].root, "dir4/clip014.mp4");
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->missing, 0);
	assert_int_equal(res->lost, 1);
	world_free(&wd);

	/* a whole directory from both: its remembered files, and it is forgotten */
	for (int i = 8; i < 100; i += 10) {
		char p[64];

		snprintf(p, sizeof p, "dir8/clip%03d.mp4", i);
		tree_del(wd.end[0].root, p);
		tree_del(wd.end[1].root, p);
	}
	tree_del(wd.end[0].root, "dir8");
	tree_del(wd.end[1].root, "dir8");
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->lost, 10);
	assert_int_equal(wd.nmem, 10);
	world_free(&wd);

	/* without a memory nothing is lost (the ends agree) */
	tree_del(wd.end[0].root, "dir1/clip001.mp4");
	tree_del(wd.end[1].root, "dir1/clip001.mp4");
	wd.memory = false;
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->lost, 0);
	assert_int_equal(res->outcome, COPIES_COMPLETE);
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

/* Items missing past grace are remembered as such: when they leave the
 * source before the copy has them, they are lost ("unreceived"), not
 * recovered; and with the whole source prefix gone the memory is still
 * checked against the copy. */
static void test_missing_then_source_removed(void **state)
{
	static struct world wd;
	struct copies_relation r = rel(COPIES_SIZES, 3600);
	const struct copies_result *res;
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.memory = true;
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = wd.end[1].prefix = "";
	fill(wd.end[0].root, "");
	fill(wd.end[1].root, "");
	/* a migration that missed two files and a whole directory */
	tree_del(wd.end[1].root, "dir3/clip013.mp4");
	tree_del(wd.end[1].root, "dir3/clip023.mp4");
	tree_put(wd.end[0].root, "incoming/x/a.mp4", 5, 0, 1);
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->missing, 3);
	assert_int_equal(res->lost, 0);
	world_free(&wd);

	/* the source deletes one of them (declared there): lost, never received */
	tree_del(wd.end[0].root, "dir3/clip013.mp4");
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->missing, 2);
	assert_int_equal(res->lost, 1);
	assert_int_equal(res->unreceived, 1);
	world_free(&wd);
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->lost, 0); /* counted once */
	world_free(&wd);

	/* the copy gains one: nothing lost */
	tree_put(wd.end[1].root, "dir3/clip023.mp4", 1023, 0, 23);
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->missing, 1);
	assert_int_equal(res->lost, 0);
	world_free(&wd);

	/* the directory the copy never had leaves the source: complete, but
	 * its missing file is lost */
	tree_del(wd.end[0].root, "incoming/x/a.mp4");
	tree_del(wd.end[0].root, "incoming/x");
	tree_del(wd.end[0].root, "incoming");
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->outcome, COPIES_COMPLETE);
	assert_int_equal(res->missing, 0);
	assert_int_equal(res->lost, 1);
	assert_int_equal(res->unreceived, 1);
	world_free(&wd);

	/* one more never copied, then the whole source prefix goes, and the
	 * copy loses a file it had: both lost, the memory checked without a
	 * source */
	tree_put(wd.end[0].root, "dir6/new.mp4", 5, 0, 2);
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->missing, 1);
	world_free(&wd);
	wd.end[0].prefix = "gone";
	tree_del(wd.end[1].root, "dir5/clip015.mp4");
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->outcome, COPIES_COMPLETE);
	assert_int_equal(res->missing, 0);
	assert_int_equal(res->lost, 2);
	assert_int_equal(res->unreceived, 1);
	world_free(&wd);
	/* nothing changed since: the two SELF answers again, nothing lost */
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->lost, 0);
	assert_int_equal(wd.requests[0] + wd.requests[1], 2);
	world_free(&wd);
	/* the copy goes too: what it still held is lost */
	wd.end[1].prefix = "gone";
	res = run(&wd, &r, false, 100000);
	assert_int_equal(res->lost, 98);
	assert_int_equal(res->unreceived, 0);
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

/* Names compare byte for byte (docs/operations.md): an NFD or upper-case
 * copy of an NFC name is another item. */
static void test_names_byte_for_byte(void **state)
{
	struct world wd;
	struct copies_relation r = rel(COPIES_NAMES, 0);
	const struct copies_result *res;
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = wd.end[1].prefix = "";
	tree_put(wd.end[0].root, "caf\xc3\xa9/clip.mp4", 10, 0, 1); /* NFC */
	tree_put(wd.end[1].root, "cafe\xcc\x81/clip.mp4", 10, 0, 1); /* NFD */
	tree_put(wd.end[0].root, "Case1.MP4", 10, 0, 1);
	tree_put(wd.end[1].root, "case1.mp4", 10, 0, 1);
	res = run(&wd, &r, true, 100);
	assert_int_equal(res->missing, 2);
	assert_true(has_item(res, COPIES_ITEM_MISSING, "caf\xc3\xa9/clip.mp4"));
	assert_true(has_item(res, COPIES_ITEM_MISSING, "Case1.MP4"));
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

/* The item of the agent's inventory_depth (agent/digests.c): entries of a
 * directory at or below the depth come without names; a copy-check shows
 * them under the deepest path it was given, flagged names_withheld, and
 * compares them exactly as with names. */
static void test_names_withheld_by_depth(void **state)
{
	struct world wd;
	struct copies_relation r = rel(COPIES_SIZES, 3600);
	const struct copies_result *res;
	bool deep = false, shallow = false;
	(void)state;

	memset(&wd, 0, sizeof wd);
	wd.end[0].root = tn_new("", 0, true);
	wd.end[1].root = tn_new("", 0, true);
	wd.end[0].prefix = wd.end[1].prefix = "";
	wd.end[0].names_depth = wd.end[1].names_depth = 2;
	fill(wd.end[0].root, "");
	fill(wd.end[1].root, "");
	tree_put(wd.end[0].root, "dir3/case9/deep/clip.mp4", 9, 0, 9);
	tree_del(wd.end[1].root, "dir7/clip047.mp4");
	res = run(&wd, &r, true, 100000);
	assert_int_equal(res->outcome, COPIES_INCOMPLETE);
	assert_int_equal(res->missing, 2);
	assert_int_equal(res->nitems, 2);
	for (size_t i = 0; i < res->nitems; i++) {
		const struct copies_item *it = &res->items[i];

		assert_non_null(it->path);
		if (it->names_withheld) {
			/* dir3/case9/deep/clip.mp4: named down to dir3/case9 */
			assert_string_equal(it->path, "dir3/case9");
			assert_int_equal(it->size, 9);
			deep = true;
		} else {
			assert_string_equal(it->path, "dir7/clip047.mp4");
			shallow = true;
		}
	}
	assert_true(deep && shallow);
	world_free(&wd);
	tn_free(wd.end[0].root);
	tn_free(wd.end[1].root);
}

static void test_dirpath_wire(void **state)
{
	struct copies_dirpath d;
	char out[256];
	(void)state;

	memset(&d, 0, sizeof d);
	assert_int_equal(copies_dirpath_wire("cases/2024", &d, out, sizeof out), 0);
	assert_string_equal(out, "cases/2024");
	d.depth = 2;
	memset(d.h[0], 0xab, 16);
	memset(d.h[1], 0x01, 16);
	assert_int_equal(copies_dirpath_wire("", &d, out, sizeof out), 0);
	assert_string_equal(out, "#abababababababababababababababab/"
				 "#01010101010101010101010101010101");
	assert_int_equal(copies_dirpath_wire("x", &d, out, sizeof out), 0);
	assert_string_equal(out, "x/#abababababababababababababababab/"
				 "#01010101010101010101010101010101");
	assert_int_equal(copies_dirpath_wire("x", &d, out, 40), -ENAMETOOLONG);
}

/* ---- configuration ---- */

static int load(const char *text, struct copies_config *c, char *err, size_t len)
{
	struct collector_config cfg;
	struct collector_config_hook hook = { copies_config_key, c };
	char path[256];

	copies_config_init(c);
	tu_write(tu_dir, "collector.conf", text, path, sizeof path);
	if (collector_config_load(path, &cfg, &hook, 1, err, len))
		return -1;
	return copies_config_finish(c, err, len);
}

static void test_config(void **state)
{
	static struct copies_config c;
	char err[1024];
	(void)state;

	assert_int_equal(load("[copy move]\nsource = ev1/videos\ndestination = ev2/videos\n"
			      "destination_prefix = old/2019/\ngrace = 2h\ncompare = content\n"
			      "[copy replica]\nsource = ev1/videos\ndestination = ev3/v\n",
			      &c, err, sizeof err),
			 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.rel[0].name, "move");
	assert_string_equal(c.rel[0].source.agent, "ev1");
	assert_string_equal(c.rel[0].source.store, "videos");
	assert_string_equal(c.rel[0].destination.agent, "ev2");
	assert_string_equal(c.rel[0].destination.prefix, "old/2019");
	assert_string_equal(c.rel[0].source.prefix, "");
	assert_int_equal(c.rel[0].grace, 7200);
	assert_int_equal(c.rel[0].compare, COPIES_CONTENT);
	assert_int_equal(c.rel[1].grace, COPIES_DEFAULT_GRACE);
	assert_int_equal(c.rel[1].compare, COPIES_SIZES);
	assert_non_null(copies_config_find(&c, "replica"));
	assert_null(copies_config_find(&c, "nope"));

	assert_int_equal(load("[copy m]\nsource = ev1/videos\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "needs both source"));
	assert_int_equal(load("[copy m]\nsource = ev1\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "AGENT/STORE"));
	assert_int_equal(load("[copy m]\nsource = a/s\ndestination = a/s\n", &c, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "the same directory"));
	assert_int_equal(load("[copy m]\ngrace = soon\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "duration"));
	assert_int_equal(load("[copy m]\ncompare = bytes\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "names, sizes or content"));
	assert_int_equal(load("[copy m]\nsource_prefix = /abs\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "relative"));
	assert_int_equal(load("[copy m]\nsource_prefix = a/../b\n", &c, err, sizeof err), -1);
	assert_int_equal(load("[copy m]\nsurce = a/b\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown key"));
	assert_int_equal(load("[copy]\nsource = a/b\n", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "[copy NAME]"));
	/* other sections are not ours */
	assert_int_equal(load("[collector]\nlisten = 127.0.0.1:1\n", &c, err, sizeof err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_costs_two_answers),
		cmocka_unit_test(test_missing_named_descent_bounded),
		cmocka_unit_test(test_grace_young_and_absent_subtree),
		cmocka_unit_test(test_differs_sizes_and_content),
		cmocka_unit_test(test_unknown_never_missing),
		cmocka_unit_test(test_abort_and_inflight_cap),
		cmocka_unit_test(test_lost_needs_memory),
		cmocka_unit_test(test_missing_then_source_removed),
		cmocka_unit_test(test_names_byte_for_byte),
		cmocka_unit_test(test_names_withheld_by_depth),
		cmocka_unit_test(test_dirpath_wire),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests_name("copies", tests, tu_setup_dir, tu_teardown_dir);
}
