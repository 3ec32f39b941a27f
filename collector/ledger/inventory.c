/* inventory.c - loss inventories in the ledger (see inventory.h). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "sqlerr.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS inventories (\n"
	"  id              INTEGER PRIMARY KEY,\n"
	"  agent           TEXT NOT NULL,\n"
	"  store           TEXT NOT NULL,\n"
	"  alert_id        INTEGER REFERENCES alerts(id),\n"
	"  from_t          INTEGER NOT NULL,\n"
	"  to_t            INTEGER NOT NULL,\n"
	"  young_below     INTEGER,\n"
	"  who             TEXT NOT NULL,\n"
	"  reason          TEXT NOT NULL,\n"
	"  requested_at    INTEGER NOT NULL,\n"
	"  state           TEXT NOT NULL,\n"
	"  error           TEXT,\n"
	"  finished_at     INTEGER,\n"
	"  matched         INTEGER NOT NULL DEFAULT 0,\n"
	"  truncated       INTEGER NOT NULL DEFAULT 0,\n"
	"  kept            INTEGER NOT NULL DEFAULT 0,\n"
	"  journal_dropped INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX IF NOT EXISTS inventories_alert ON inventories (alert_id, id);\n"
	"CREATE TABLE IF NOT EXISTS inventory_items (\n"
	"  id             INTEGER PRIMARY KEY,\n"
	"  inventory_id   INTEGER NOT NULL REFERENCES inventories(id) ON DELETE CASCADE,\n"
	"  dir            BLOB NOT NULL,\n"
	"  path           BLOB NOT NULL,\n"
	"  size           INTEGER NOT NULL,\n"
	"  birth          INTEGER NOT NULL,\n"
	"  removed_after  INTEGER NOT NULL,\n"
	"  removed_before INTEGER NOT NULL,\n"
	"  pid            INTEGER NOT NULL,\n"
	"  uid            INTEGER NOT NULL,\n"
	"  exe            BLOB NOT NULL,\n"
	"  flags          INTEGER NOT NULL,\n"
	"  ord            INTEGER,\n"
	"  dir_items      INTEGER,\n"
	"  dir_bytes      INTEGER\n"
	");\n"
	"CREATE INDEX IF NOT EXISTS inventory_items_ord ON inventory_items (inventory_id, ord);\n";

#define REC_COLS                                                                          \
	"id, agent, store, alert_id, from_t, to_t, young_below, who, reason, requested_at, " \
	"state, error, finished_at, matched, truncated, kept, journal_dropped"

static const char *const state_names[] = { "pending", "complete", "refused", "failed" };

const char *inventory_state_name(enum inventory_state s)
{
	return (unsigned)s < 4 ? state_names[s] : "unknown";
}

static int state_parse(const char *s, enum inventory_state *out)
{
	for (unsigned i = 0; i < 4; i++)
		if (s && !strcmp(s, state_names[i])) {
			*out = (enum inventory_state)i;
			return 0;
		}
	return -EPROTO;
}

int inventory_schema(struct sqlite3 *db)
{
	int rc = sqlite3_exec(db, schema, NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		log_err("ledger: cannot create the inventory tables: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	return 0;
}

size_t inventory_dir_len(const char *path, size_t len)
{
	while (len > 0 && path[len - 1] != '/')
		len--;
	return len ? len - 1 : 0;
}

/* A statement of the writer: prepared once per call (inventories are rare
 * and asked for by hand), finalized by the caller. */
static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **s, const char *what)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, s, NULL);

	return rc == SQLITE_OK ? 0 : ledger_sqlite_fail(db, rc, what);
}

static int step_done(sqlite3 *db, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	return rc == SQLITE_DONE ? 0 : ledger_sqlite_fail(db, rc, what);
}

int inventory_insert(struct sqlite3 *db, struct inventory_rec *r)
{
	sqlite3_stmt *s = NULL;
	int err = prepare(db,
			  "INSERT INTO inventories (agent, store, alert_id, from_t, to_t, "
			  "young_below, who, reason, requested_at, state, journal_dropped) "
			  "VALUES (?,?,?,?,?,?,?,?,?,'pending',?)",
			  &s, "add an inventory request");

	if (err)
		return err;
	sqlite3_bind_text(s, 1, r->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->store, -1, SQLITE_STATIC);
	if (r->alert_id)
		sqlite3_bind_int64(s, 3, r->alert_id);
	sqlite3_bind_int64(s, 4, r->from);
	sqlite3_bind_int64(s, 5, r->to);
	if (r->young_below)
		sqlite3_bind_int64(s, 6, (int64_t)r->young_below);
	sqlite3_bind_text(s, 7, r->who, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, r->requested_at);
	sqlite3_bind_int64(s, 10, (int64_t)(r->journal_dropped > INT64_MAX ? INT64_MAX
									  : r->journal_dropped));
	err = step_done(db, s, "add an inventory request");
	if (!err) {
		r->id = sqlite3_last_insert_rowid(db);
		r->state = INVENTORY_PENDING;
	}
	sqlite3_finalize(s);
	return err;
}

/* The grouped order: directories by their bytes, largest first (then by
 * name), each directory's items largest first (then as they came). */
static int grouped_cmp(const void *a, const void *b)
{
	const struct inventory_item *x = *(const struct inventory_item *const *)a;
	const struct inventory_item *y = *(const struct inventory_item *const *)b;
	size_t n = x->dir_len < y->dir_len ? x->dir_len : y->dir_len;
	int c;

	if (x->dir_bytes != y->dir_bytes)
		return x->dir_bytes > y->dir_bytes ? -1 : 1;
	c = memcmp(x->dir, y->dir, n);
	if (c || x->dir_len != y->dir_len)
		return c ? c : x->dir_len < y->dir_len ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* Fills each item's dir and its directory's totals (dir_bytes is 0 while
 * the first sort groups by name only). */
static void group_totals(struct inventory_item **v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i = j) {
		uint64_t items = 0, bytes = 0;

		for (j = i; j < n && v[j]->dir_len == v[i]->dir_len &&
			    !memcmp(v[j]->dir, v[i]->dir, v[i]->dir_len); j++) {
			items++;
			bytes += v[j]->size;
		}
		for (size_t k = i; k < j; k++) {
			v[k]->dir_items = items;
			v[k]->dir_bytes = bytes;
		}
	}
}

int inventory_add_items(struct sqlite3 *db, int64_t id, struct inventory_item *it, size_t n)
{
	struct inventory_item **v = n ? calloc(n, sizeof *v) : NULL;
	sqlite3_stmt *s = NULL;
	int err;

	if (n && !v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		it[i].path_len = it[i].path_len > INVENTORY_PATH_MAX ? INVENTORY_PATH_MAX
								     : it[i].path_len;
		it[i].dir = it[i].path;
		it[i].dir_len = inventory_dir_len(it[i].path, it[i].path_len);
		it[i].dir_bytes = 0;
		it[i].ord = i;
		v[i] = &it[i];
	}
	qsort(v, n, sizeof *v, grouped_cmp); /* by directory name */
	group_totals(v, n);
	qsort(v, n, sizeof *v, grouped_cmp); /* the grouped order */
	err = prepare(db,
		      "INSERT INTO inventory_items (inventory_id, dir, path, size, birth, "
		      "removed_after, removed_before, pid, uid, exe, flags, ord, dir_items, "
		      "dir_bytes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		      &s, "add inventory items");
	for (size_t i = 0; !err && i < n; i++) {
		struct inventory_item *x = v[i];
		size_t el = x->exe_len > INVENTORY_PATH_MAX ? INVENTORY_PATH_MAX : x->exe_len;

		x->ord = i;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_blob(s, 2, x->path, (int)x->dir_len, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, x->path, (int)x->path_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, x->size > INT64_MAX ? INT64_MAX : (int64_t)x->size);
		sqlite3_bind_int64(s, 5, x->birth);
		sqlite3_bind_int64(s, 6, x->removed_after);
		sqlite3_bind_int64(s, 7, x->removed_before);
		sqlite3_bind_int64(s, 8, x->pid);
		sqlite3_bind_int64(s, 9, x->uid);
		sqlite3_bind_blob(s, 10, x->exe ? x->exe : "", (int)el, SQLITE_STATIC);
		sqlite3_bind_int64(s, 11, x->flags);
		sqlite3_bind_int64(s, 12, (int64_t)i);
		sqlite3_bind_int64(s, 13, (int64_t)x->dir_items);
		sqlite3_bind_int64(s, 14, x->dir_bytes > INT64_MAX ? INT64_MAX
								   : (int64_t)x->dir_bytes);
		err = step_done(db, s, "add inventory items");
	}
	sqlite3_finalize(s);
	free(v);
	return err;
}

int inventory_finish(struct sqlite3 *db, int64_t id, enum inventory_state state,
		     const char *error, int64_t now, uint64_t matched, uint64_t truncated)
{
	sqlite3_stmt *s = NULL;
	int err = prepare(db,
			  "UPDATE inventories SET state=?, error=?, finished_at=?, matched=?, "
			  "truncated=?, kept=(SELECT count(*) FROM inventory_items WHERE "
			  "inventory_id=?6) WHERE id=?6",
			  &s, "finish an inventory request");

	if (err)
		return err;
	sqlite3_bind_text(s, 1, inventory_state_name(state), -1, SQLITE_STATIC);
	if (error && *error)
		sqlite3_bind_text(s, 2, error, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, (int64_t)(matched > INT64_MAX ? INT64_MAX : matched));
	sqlite3_bind_int64(s, 5, (int64_t)(truncated > INT64_MAX ? INT64_MAX : truncated));
	sqlite3_bind_int64(s, 6, id);
	err = step_done(db, s, "finish an inventory request");
	sqlite3_finalize(s);
	return err;
}

int inventory_fail_pending(struct sqlite3 *db, const char *error, int64_t now)
{
	sqlite3_stmt *s = NULL;
	int err = prepare(db,
			  "UPDATE inventories SET state='failed', error=?, finished_at=? WHERE "
			  "state='pending'",
			  &s, "end pending inventory requests");

	if (err)
		return err;
	sqlite3_bind_text(s, 1, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	err = step_done(db, s, "end pending inventory requests");
	sqlite3_finalize(s);
	return err;
}

/* Readers: any connection, errors as read.h says (no log: the caller
 * shows them). */
static int read_err(sqlite3 *db, int rc)
{
	(void)db;
	return rc == SQLITE_ERROR ? -EPROTO : -EIO; /* SQLITE_ERROR: no such table */
}

static void col_text(sqlite3_stmt *s, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

static int read_rec(sqlite3_stmt *s, struct inventory_rec *r)
{
	char state[16];

	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, r->agent, sizeof r->agent);
	col_text(s, 2, r->store, sizeof r->store);
	r->alert_id = sqlite3_column_int64(s, 3);
	r->from = sqlite3_column_int64(s, 4);
	r->to = sqlite3_column_int64(s, 5);
	r->young_below = (uint64_t)sqlite3_column_int64(s, 6);
	col_text(s, 7, r->who, sizeof r->who);
	col_text(s, 8, r->reason, sizeof r->reason);
	r->requested_at = sqlite3_column_int64(s, 9);
	col_text(s, 10, state, sizeof state);
	col_text(s, 11, r->error, sizeof r->error);
	r->finished_at = sqlite3_column_int64(s, 12);
	r->matched = (uint64_t)sqlite3_column_int64(s, 13);
	r->truncated = (uint64_t)sqlite3_column_int64(s, 14);
	r->kept = (uint64_t)sqlite3_column_int64(s, 15);
	r->journal_dropped = (uint64_t)sqlite3_column_int64(s, 16);
	return state_parse(state, &r->state);
}

static int one_rec(sqlite3 *db, const char *sql, int64_t key, struct inventory_rec *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL), err;

	if (rc != SQLITE_OK)
		return read_err(db, rc);
	sqlite3_bind_int64(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		err = read_rec(s, out);
	else
		err = rc == SQLITE_DONE ? -ENOENT : read_err(db, rc);
	sqlite3_finalize(s);
	return err;
}

int inventory_get(struct sqlite3 *db, int64_t id, struct inventory_rec *out)
{
	return one_rec(db, "SELECT " REC_COLS " FROM inventories WHERE id=?", id, out);
}

int inventory_latest_for_alert(struct sqlite3 *db, int64_t alert_id,
			       struct inventory_rec *out)
{
	return one_rec(db,
		       "SELECT " REC_COLS " FROM inventories WHERE alert_id=? AND "
		       "state='complete' ORDER BY id DESC LIMIT 1",
		       alert_id, out);
}

/* Runs s (its parameters bound) and hands every row to row(). */
static int walk(sqlite3 *db, sqlite3_stmt *s, int (*row)(sqlite3_stmt *, void *), void *ctx)
{
	int rc, r = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((r = row(s, ctx)))
			break;
	if (!r && rc != SQLITE_DONE)
		r = read_err(db, rc);
	sqlite3_finalize(s);
	return r;
}

struct item_walk {
	inventory_item_fn fn;
	void *ctx;
};

static int item_row(sqlite3_stmt *s, void *ctx)
{
	struct item_walk *w = ctx;
	struct inventory_item it;

	memset(&it, 0, sizeof it);
	it.path = sqlite3_column_blob(s, 0);
	it.path_len = (size_t)sqlite3_column_bytes(s, 0);
	it.size = (uint64_t)sqlite3_column_int64(s, 1);
	it.birth = sqlite3_column_int64(s, 2);
	it.removed_after = sqlite3_column_int64(s, 3);
	it.removed_before = sqlite3_column_int64(s, 4);
	it.pid = (uint32_t)sqlite3_column_int64(s, 5);
	it.uid = sqlite3_column_int64(s, 6);
	it.exe = sqlite3_column_blob(s, 7);
	it.exe_len = (size_t)sqlite3_column_bytes(s, 7);
	it.flags = (uint8_t)sqlite3_column_int(s, 8);
	it.dir = sqlite3_column_blob(s, 9);
	it.dir_len = (size_t)sqlite3_column_bytes(s, 9);
	it.dir_items = (uint64_t)sqlite3_column_int64(s, 10);
	it.dir_bytes = (uint64_t)sqlite3_column_int64(s, 11);
	it.ord = (uint64_t)sqlite3_column_int64(s, 12);
	if (!it.path)
		it.path = "";
	if (!it.exe)
		it.exe = "";
	if (!it.dir)
		it.dir = "";
	return w->fn(w->ctx, &it);
}

int inventory_items(struct sqlite3 *db, int64_t id, uint64_t offset, uint64_t limit,
		    inventory_item_fn fn, void *ctx)
{
	struct item_walk w = { fn, ctx };
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(
		db,
		"SELECT path, size, birth, removed_after, removed_before, pid, uid, exe, flags, dir, "
		"dir_items, dir_bytes, ord FROM inventory_items WHERE inventory_id=?1 AND ord >= ?3 "
		"ORDER BY ord LIMIT ?2",
		-1, &s, NULL);

	if (rc != SQLITE_OK)
		return read_err(db, rc);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, limit && limit < INT64_MAX ? (int64_t)limit : -1);
	sqlite3_bind_int64(s, 3, offset < INT64_MAX ? (int64_t)offset : INT64_MAX);
	return walk(db, s, item_row, &w);
}

struct group_walk {
	inventory_group_fn fn;
	void *ctx;
};

static int group_row(sqlite3_stmt *s, void *ctx)
{
	struct group_walk *w = ctx;
	struct inventory_group g;

	g.dir = sqlite3_column_blob(s, 0);
	g.dir_len = (size_t)sqlite3_column_bytes(s, 0);
	if (!g.dir)
		g.dir = "";
	g.items = (uint64_t)sqlite3_column_int64(s, 1);
	g.bytes = (uint64_t)sqlite3_column_int64(s, 2);
	return w->fn(w->ctx, &g);
}

int inventory_groups(struct sqlite3 *db, int64_t id, uint64_t limit, inventory_group_fn fn,
		     void *ctx)
{
	struct group_walk w = { fn, ctx };
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT dir, count(*), sum(size) FROM inventory_items WHERE "
				    "inventory_id=? GROUP BY dir ORDER BY sum(size) DESC, dir "
				    "LIMIT ?",
				    -1, &s, NULL);

	if (rc != SQLITE_OK)
		return read_err(db, rc);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, limit && limit < INT64_MAX ? (int64_t)limit : -1);
	return walk(db, s, group_row, &w);
}
