/*
 * copies_walk.h - one comparison of a copy relation, by Merkle descent.
 *
 * Each agent keeps, per directory of a store's manifest, a digest of its
 * sorted entries rolled up the tree (docs: /work/tools/copy-contract.md,
 * "Digests"); a directory's digest does not depend on where it sits, so a
 * source subtree and a destination subtree under other prefixes compare
 * directly.  A walk asks both ends for the SELF digest of their prefix;
 * equal digests mean the copy is complete, after two small answers however
 * large the stores.  Otherwise it asks both listings of the directory,
 * matches the entries by name hash, and descends only into the
 * subdirectories whose digests differ, counting on the way:
 *
 *   missing   a file at the source, older than grace (by its birth), not at
 *             the destination (a subdirectory absent at the destination is
 *             listed at the source only, its files all missing or young);
 *   young     the same, still within grace: a transfer in progress, no alarm;
 *   differs   a file at both with another size (compare = sizes) or another
 *             content hash (compare = content, both hashed);
 *   unknown   directories an end could not answer for (agent gone, refused,
 *             a failed request): their files count in nothing, so an
 *             unreachable destination is never "missing";
 *   lost      with a memory (ops->remembered): items that were at both ends
 *             when last seen and are now at neither -- evidence gone for
 *             good -- and items missing past grace when last seen that the
 *             source no longer has and the destination never received
 *             ("unreceived", also counted in lost).  The memory holds, per
 *             directory visited, the name hashes of the entries present at
 *             both ends, of the files missing (kind COPIES_KIND_MISSING) and
 *             the source's directories the destination lacks, and of those
 *             remembered and still at one end (an item leaves the memory
 *             only by being at neither), and the source's digest of the
 *             directory when both ends agreed (zeros when not, so the next
 *             walk looks again once they do); the walk also descends where
 *             the source's digest moved away from the remembered one (even
 *             when both ends still agree: both lost the same item), and
 *             hands the new state back (ops->remember).  A directory gone
 *             from the source whose copy changed since, and the whole
 *             prefix gone from the source, are checked against the memory
 *             from the destination's listings alone.  Filling an empty
 *             memory visits every directory once; after that a walk costs
 *             in proportion to what changed.
 *
 * Files only at the destination are extra, not a fault, and are not counted.
 *
 * The walk does no I/O: it asks for listings through an ops table and is
 * handed the answers with copies_walk_answer(), so the same code runs on the
 * collector's loop (collector/alerts/copies.c, through net/ by an ops
 * callback of main.c) and in the unit tests on in-memory trees.  At most
 * COPIES_WALK_INFLIGHT directories are asked at once, so a large difference
 * cannot flood an agent.
 */
#ifndef SHRINKWATCH_COLLECTOR_COPIES_WALK_H
#define SHRINKWATCH_COLLECTOR_COPIES_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "copies_conf.h"

#define COPIES_HASH_LEN 16
#define COPIES_DIGEST_LEN 32
/* Deepest directory under a prefix a walk descends into. */
#define COPIES_DEPTH_MAX 64
/* Directories asked of the agents at once. */
#define COPIES_WALK_INFLIGHT 32
/* Differing items a walk keeps (every one is counted). */
#define COPIES_WALK_ITEMS_MAX 100000u

enum copies_side { COPIES_SOURCE = 0, COPIES_DESTINATION = 1 };

/* The memory's kind of a file missing at the destination past grace (an
 * entry's kind is otherwise 'F' or 'D'). */
#define COPIES_KIND_MISSING 'M'

/* One entry of a directory's listing (a DIGESTS entry). */
struct copies_entry {
	uint8_t name_hash[COPIES_HASH_LEN];
	uint8_t kind;   /* 'F' or 'D' */
	uint64_t size;  /* file: its size; directory: the bytes under it */
	uint64_t files; /* directory: the files under it */
	int64_t birth;  /* file: when the agent first saw it */
	uint8_t digest[COPIES_DIGEST_LEN]; /* directory: its digest; file: content hash or zeros */
	const char *name; /* only when the walk asked for names, else NULL */
};

enum copies_answer_status {
	COPIES_ANSWER_OK = 0,
	COPIES_ANSWER_NO_DIR,  /* the directory does not exist at that end */
	COPIES_ANSWER_UNKNOWN, /* refused, agent gone, request failed: nothing known */
};

/* An end's answer for one directory.  e: n entries in any order (borrowed
 * for the call), none for a SELF request. */
struct copies_listing {
	enum copies_answer_status status;
	int64_t scan_time;
	uint8_t self[COPIES_DIGEST_LEN];
	uint64_t files, bytes; /* under the directory, recursively */
	const struct copies_entry *e;
	size_t n;
};

/* A directory under an end's prefix: the name hashes from the prefix down. */
struct copies_dirpath {
	uint8_t h[COPIES_DEPTH_MAX][COPIES_HASH_LEN];
	size_t depth;
};

enum copies_item_kind { COPIES_ITEM_MISSING = 0, COPIES_ITEM_DIFFERS };

/* A file that is not (the same) at the destination. */
struct copies_item {
	enum copies_item_kind kind;
	uint8_t name_hash[COPIES_HASH_LEN];
	size_t depth; /* of its directory under the source prefix */
	uint64_t size, dst_size;
	int64_t birth;
	char *path; /* relative to the source prefix, with names only; else NULL */
	bool names_withheld; /* path is the deepest the agent's inventory_depth allowed:
				the item lies below it, its own name withheld */
};

enum copies_outcome {
	COPIES_COMPLETE = 0, /* every source item older than grace is at the destination */
	COPIES_INCOMPLETE,   /* missing or differing items (counts say which) */
	COPIES_UNKNOWN,      /* an end could not answer for the prefix, or for a
				directory under it, and nothing is missing elsewhere */
};

struct copies_result {
	enum copies_outcome outcome;
	uint64_t missing, young, differs, lost;
	uint64_t unreceived; /* of lost: missing items that left the source uncopied */
	uint64_t unknown_dirs; /* directories under the prefixes nothing is known of */
	uint64_t src_files, src_bytes, dst_files, dst_bytes; /* the prefixes' totals */
	int64_t src_scan, dst_scan;
	uint64_t requests, entries; /* asked of the agents: directories, entries received */
	struct copies_item *items;  /* up to COPIES_WALK_ITEMS_MAX; the walk owns them */
	size_t nitems;
	bool items_truncated;
};

struct copies_walk;

struct copies_walk_ops {
	/*
	 * Asks side's end for directory dir under its prefix: its SELF digest
	 * only (self_only), else its whole listing, with names when the walk
	 * was started with names.  The answer comes back later (or from
	 * within this call) through copies_walk_answer() with tag.  0, or a
	 * negative errno: the directory is then unknown, and the answer must
	 * not come.
	 */
	int (*request)(void *ud, enum copies_side side, const struct copies_dirpath *dir,
		       bool self_only, bool names, uint64_t tag);
	/* The walk is over (its result is in copies_walk_result()).  Called
	 * once, maybe from within copies_walk_start() or _answer(); it must
	 * not free the walk (the owner frees it after that call returned, on
	 * its next turn of the loop). */
	void (*done)(void *ud, struct copies_walk *w);
	/*
	 * The memory, or NULL for none (no copy_lost).  remembered: what the
	 * memory holds for dir (digest in out->self, entries in out->e/n,
	 * valid until the next call), 1, or 0 when it holds nothing for it.
	 * remember: the entries now at both ends of dir (n may be 0), with
	 * the source's digest of it, replacing what it held.  forget: dir
	 * and everything the memory holds below it went from both ends.
	 */
	int (*remembered)(void *ud, const struct copies_dirpath *dir, struct copies_listing *out);
	void (*remember)(void *ud, const struct copies_dirpath *dir,
			 const uint8_t digest[COPIES_DIGEST_LEN], const struct copies_entry *e,
			 size_t n);
	void (*forget)(void *ud, const struct copies_dirpath *dir);
	void *ud;
};

/*
 * Starts a comparison under relation r's grace and compare setting, at
 * wall-clock now, asking names when names (the administrator's copy-check
 * only).  *out is the walk (caller frees it with copies_walk_free(), after
 * done).  0, or -ENOMEM (then done is never called).
 */
int copies_walk_start(const struct copies_relation *r, bool names, int64_t now,
		      const struct copies_walk_ops *ops, struct copies_walk **out);

/* side's answer for the request tagged tag; an unknown tag, or a second
 * answer, is ignored.  Entries are copied. */
void copies_walk_answer(struct copies_walk *w, uint64_t tag, enum copies_side side,
			const struct copies_listing *l);

/* Every outstanding request failed (shutdown, or the relation's timeout):
 * their directories are unknown, and done is called. */
void copies_walk_abort(struct copies_walk *w);

/* The counts so far (final once done was called).  Borrowed from w. */
const struct copies_result *copies_walk_result(const struct copies_walk *w);

void copies_walk_free(struct copies_walk *w);

/*
 * The DIGREQ `dir` of dir under prefix, sent with SW_DIG_BYHASH when dir
 * is below the prefix: the prefix's names, then "/#" and 32 lowercase hex
 * digits per name hash (with an empty prefix the first component has no
 * leading '/').  0, or
 * -ENAMETOOLONG when it does not fit outlen.
 */
int copies_dirpath_wire(const char *prefix, const struct copies_dirpath *dir, char *out,
			size_t outlen);

#endif
