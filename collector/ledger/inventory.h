/*
 * inventory.h - loss inventories in the ledger: which items left a store.
 *
 * An administrator asks for the inventory of an alert or of a window
 * (`shrinkwatchctl lost`, docs/control.md); the collector asks the agent for
 * its removal journal over the mutual-TLS session (protocol version 3,
 * INVREQ/INVENTORY) and keeps what came back here, so the inventory
 * outlives the agent's journal (removal_journal_keep).  Two tables
 * (docs/ledger.md): `inventories`, one row per request -- who asked, why,
 * for what, and how it went -- and `inventory_items`, one row per removed
 * item with its directory (the path up to its last '/') kept beside it so
 * the grouped view ("largest directory first") is one query.
 *
 * Paths and executables are the agent's bytes (any byte but NUL: hostile
 * names travel as they are, newlines and invalid UTF-8 included) and are
 * stored as BLOBs; every output escapes them (JSON, CSV, HTML, terminal).
 *
 * Every function takes a connection: the writers the collector's ledger's
 * (ledger.h, l->db, loop thread only, inside ledger_begin()/commit when
 * several writes belong together), the readers any, so the dashboard's
 * read-only view (read.h, lv->db) reads the same rows through the same
 * code.  Return
 * values as in ledger.h: 0 or a negative errno, -ENOENT for no such row.
 */
#ifndef SHRINKWATCH_COLLECTOR_LEDGER_INVENTORY_H
#define SHRINKWATCH_COLLECTOR_LEDGER_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/ledger/rows.h"

struct sqlite3;

/* Longest path or executable kept, in bytes (the wire's limit). */
#define INVENTORY_PATH_MAX 4096

enum inventory_state {
	INVENTORY_PENDING = 0, /* asked; frames may still come */
	INVENTORY_COMPLETE,    /* the agent's last frame came */
	INVENTORY_REFUSED,     /* the agent refused (unknown store, no journal) */
	INVENTORY_FAILED,      /* not connected, disconnected, timed out, not stored */
};

/* One request (a row of `inventories`). */
struct inventory_rec {
	int64_t id;
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	int64_t alert_id;      /* 0 = a window asked for by itself */
	int64_t from, to;      /* removal brackets overlapping [from, to] */
	uint64_t young_below;  /* only items younger than this (s) are kept; 0 = all */
	char who[LEDGER_WHO_MAX];
	char reason[LEDGER_TEXT_MAX];
	int64_t requested_at, finished_at; /* finished_at 0 = pending */
	enum inventory_state state;
	char error[LEDGER_TEXT_MAX];
	uint64_t matched;   /* items the agent's journal matched */
	uint64_t truncated; /* left out by the agent (its max_items) */
	uint64_t kept;      /* rows stored (matched minus the old ones filtered out) */
	uint64_t journal_dropped; /* the agent's journal dropped entries for space */
};

/* One removed item.  path and exe point at bytes (not NUL-terminated
 * when read back: use the lengths). */
struct inventory_item {
	const char *path;
	size_t path_len;
	uint64_t size;
	int64_t birth;
	int64_t removed_after, removed_before; /* the two scans bracketing it */
	uint32_t pid;  /* 0 = no deletion watch saw it */
	int64_t uid;   /* -1 = unknown */
	const char *exe;
	size_t exe_len;
	uint8_t flags; /* SW_INV_* as sent */
	/* filled by the readers: the directory's share, and the item's
	 * position in the grouped order (inventory_items()) */
	const char *dir;
	size_t dir_len;
	uint64_t dir_items, dir_bytes;
	uint64_t ord;
};

/* One directory of the grouped view. */
struct inventory_group {
	const char *dir;
	size_t dir_len;
	uint64_t items, bytes;
};

const char *inventory_state_name(enum inventory_state s);

/*
 * Creates the two tables if they are missing (ledger_open() runs it in its
 * schema transaction: the ledger's migrations).  0 or a negative errno.
 */
int inventory_schema(struct sqlite3 *db);

/* A new pending request (r->state ignored, r->id set; r->journal_dropped
 * is the store's last sample's).  0 or an errno. */
int inventory_insert(struct sqlite3 *db, struct inventory_rec *r);
/*
 * Stores the n items of request id, all at once, in the grouped order
 * (inventory_items()): fills each item's dir, dir_items, dir_bytes and ord
 * from the paths and sizes, so a page of a large inventory is an index
 * range, never a sort.  Call it once per request, inside
 * ledger_begin()/commit (100,000 items take a few tenths of a second).
 */
int inventory_add_items(struct sqlite3 *db, int64_t id, struct inventory_item *it, size_t n);
/* Ends request id: its state, error text (may be NULL) and the agent's
 * counts; counts the rows kept. */
int inventory_finish(struct sqlite3 *db, int64_t id, enum inventory_state state,
		     const char *error, int64_t now, uint64_t matched, uint64_t truncated);
/* Ends every pending request as failed with error (a restart: their
 * frames will not come). */
int inventory_fail_pending(struct sqlite3 *db, const char *error, int64_t now);

/* Request id into *out (-ENOENT if there is none). */
int inventory_get(struct sqlite3 *db, int64_t id, struct inventory_rec *out);
/* The newest complete request for alert_id into *out (-ENOENT: none). */
int inventory_latest_for_alert(struct sqlite3 *db, int64_t alert_id,
			       struct inventory_rec *out);

/* Called per item; nonzero stops the walk and is returned. */
typedef int (*inventory_item_fn)(void *ctx, const struct inventory_item *it);
typedef int (*inventory_group_fn)(void *ctx, const struct inventory_group *g);

/*
 * The items of a request in the grouped order: directories by their total
 * bytes, largest first, then each directory's items largest first (put in
 * that order once, by inventory_add_items(), so a page is an index range
 * whatever the size); offset (a position in that order) and
 * limit page through them (limit 0 = all).  Each item carries its
 * directory's totals.  A pending request has no items yet.
 */
int inventory_items(struct sqlite3 *db, int64_t id, uint64_t offset, uint64_t limit,
		    inventory_item_fn fn, void *ctx);
/* The directories of request id, largest first, at most limit (0 = all). */
int inventory_groups(struct sqlite3 *db, int64_t id, uint64_t limit, inventory_group_fn fn,
		     void *ctx);

/* The directory part of path (up to and without its last '/'; "" for an
 * item at the top of the store), as a length of path. */
size_t inventory_dir_len(const char *path, size_t len);

#endif
