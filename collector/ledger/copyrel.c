/* copyrel.c - the copy relations' state in the ledger (see copyrel.h). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copyrel.h"
#include "sqlerr.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS copies (\n"
	"  name            TEXT PRIMARY KEY,\n"
	"  source          TEXT NOT NULL,\n"
	"  destination     TEXT NOT NULL,\n"
	"  state           TEXT NOT NULL,\n"
	"  missing         INTEGER NOT NULL,\n"
	"  differs         INTEGER NOT NULL,\n"
	"  young           INTEGER NOT NULL,\n"
	"  unknown_dirs    INTEGER NOT NULL,\n"
	"  src_files       INTEGER NOT NULL,\n"
	"  src_bytes       INTEGER NOT NULL,\n"
	"  dst_files       INTEGER NOT NULL,\n"
	"  dst_bytes       INTEGER NOT NULL,\n"
	"  since           INTEGER NOT NULL,\n"
	"  checked_at      INTEGER NOT NULL,\n"
	"  complete_at     INTEGER NOT NULL,\n"
	"  missing_episode INTEGER NOT NULL,\n"
	"  differs_episode INTEGER NOT NULL,\n"
	"  lost            INTEGER NOT NULL,\n"
	"  lost_episode    INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS copy_seen (\n"
	"  relation TEXT NOT NULL,\n"
	"  dir      BLOB NOT NULL,\n"
	"  digest   BLOB NOT NULL,\n"
	"  n        INTEGER NOT NULL,\n"
	"  entries  BLOB NOT NULL,\n"
	"  PRIMARY KEY (relation, dir)\n"
	");\n";

static const char *const state_names[] = { "never", "complete", "incomplete", "unknown" };

const char *copyrel_state_name(enum copyrel_state s)
{
	return (unsigned)s < 4 ? state_names[s] : "unknown";
}

static enum copyrel_state state_parse(const char *s)
{
	for (unsigned i = 0; i < 4; i++)
		if (s && !strcmp(s, state_names[i]))
			return (enum copyrel_state)i;
	return COPYREL_UNKNOWN;
}

int copyrel_schema(struct sqlite3 *db)
{
	int rc = sqlite3_exec(db, schema, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : ledger_sqlite_fail(db, rc, "create the copies table");
}

int copyrel_put(struct sqlite3 *db, const struct copyrel_rec *r)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO copies VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL), i = 1;

	if (rc != SQLITE_OK)
		return ledger_sqlite_fail(db, rc, "write a copy relation's state");
	sqlite3_bind_text(s, i++, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, i++, r->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, i++, r->destination, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, i++, copyrel_state_name(r->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, i++, (sqlite3_int64)r->missing);
	sqlite3_bind_int64(s, i++, (sqlite3_int64)r->differs);
	sqlite3_bind_int64(s, i++, (sqlite3_int64)r->young);
	sqlite3_bind_int64(s, i++, (sqlite3_int64)r->unknown_dirs);
	sqlite3_bind_int64(s, i++, (sqlite3_int64)r->src_files);
	sqlite3_bind_int64(s, i++, (sqlite3_int64)r->src_bytes);
	sqlite3_bind_int64(s, i++, (sqlite3_int64)r->dst_files);
	sqlite3_bind_int64(s, i++, (sqlite3_int64)r->dst_bytes);
	sqlite3_bind_int64(s, i++, r->since);
	sqlite3_bind_int64(s, i++, r->checked_at);
	sqlite3_bind_int64(s, i++, r->complete_at);
	sqlite3_bind_int64(s, i++, r->missing_episode);
	sqlite3_bind_int64(s, i++, r->differs_episode);
	sqlite3_bind_int64(s, i++, (sqlite3_int64)r->lost);
	sqlite3_bind_int64(s, i++, r->lost_episode);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : ledger_sqlite_fail(db, rc, "write a copy relation's state");
}

static void text(sqlite3_stmt *s, int col, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

static void read_rec(sqlite3_stmt *s, struct copyrel_rec *r)
{
	int i = 0;

	memset(r, 0, sizeof *r);
	text(s, i++, r->name, sizeof r->name);
	text(s, i++, r->source, sizeof r->source);
	text(s, i++, r->destination, sizeof r->destination);
	r->state = state_parse((const char *)sqlite3_column_text(s, i++));
	r->missing = (uint64_t)sqlite3_column_int64(s, i++);
	r->differs = (uint64_t)sqlite3_column_int64(s, i++);
	r->young = (uint64_t)sqlite3_column_int64(s, i++);
	r->unknown_dirs = (uint64_t)sqlite3_column_int64(s, i++);
	r->src_files = (uint64_t)sqlite3_column_int64(s, i++);
	r->src_bytes = (uint64_t)sqlite3_column_int64(s, i++);
	r->dst_files = (uint64_t)sqlite3_column_int64(s, i++);
	r->dst_bytes = (uint64_t)sqlite3_column_int64(s, i++);
	r->since = sqlite3_column_int64(s, i++);
	r->checked_at = sqlite3_column_int64(s, i++);
	r->complete_at = sqlite3_column_int64(s, i++);
	r->missing_episode = (uint32_t)sqlite3_column_int64(s, i++);
	r->differs_episode = (uint32_t)sqlite3_column_int64(s, i++);
	r->lost = (uint64_t)sqlite3_column_int64(s, i++);
	r->lost_episode = (uint32_t)sqlite3_column_int64(s, i++);
}

#define COLUMNS                                                                                \
	"name, source, destination, state, missing, differs, young, unknown_dirs, src_files, " \
	"src_bytes, dst_files, dst_bytes, since, checked_at, complete_at, missing_episode, "   \
	"differs_episode, lost, lost_episode"

int copyrel_get(struct sqlite3 *db, const char *name, struct copyrel_rec *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT " COLUMNS " FROM copies WHERE name = ?", -1, &s,
				    NULL);

	if (rc != SQLITE_OK)
		return ledger_sqlite_fail(db, rc, "read a copy relation's state");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_rec(s, out);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : ledger_sqlite_fail(db, rc, "read a copy relation's state");
}

int copyrel_list(struct sqlite3 *db, int (*fn)(void *ctx, const struct copyrel_rec *r),
		 void *ctx)
{
	sqlite3_stmt *s = NULL;
	struct copyrel_rec r;
	int rc = sqlite3_prepare_v2(db, "SELECT " COLUMNS " FROM copies ORDER BY name", -1, &s,
				    NULL), err = 0;

	if (rc != SQLITE_OK)
		return ledger_sqlite_fail(db, rc, "list the copy relations");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_rec(s, &r);
		err = fn(ctx, &r);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = ledger_sqlite_fail(db, rc, "list the copy relations");
	sqlite3_finalize(s);
	return err;
}

int copyrel_prune(struct sqlite3 *db, int (*keep)(void *ctx, const char *name), void *ctx)
{
	sqlite3_stmt *s = NULL, *del = NULL;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(db, "SELECT name FROM copies", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "DELETE FROM copies WHERE name = ?", -1, &del, NULL);
	if (rc != SQLITE_OK) {
		err = ledger_sqlite_fail(db, rc, "prune the copy relations");
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char name[COPYREL_NAME_MAX + 1];

		text(s, 0, name, sizeof name);
		if (keep(ctx, name))
			continue;
		sqlite3_reset(del);
		sqlite3_bind_text(del, 1, name, -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(del)) != SQLITE_DONE ||
		    (err = copyrel_seen_forget(db, name, NULL, 0))) {
			err = err ? err : ledger_sqlite_fail(db, rc, "prune the copy relations");
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = ledger_sqlite_fail(db, rc, "prune the copy relations");
out:
	sqlite3_finalize(s);
	sqlite3_finalize(del);
	return err;
}

int copyrel_next_episode(struct sqlite3 *db, const char *agent, const char *store,
			 const char *kind, uint32_t *episode)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(episode), 0) FROM alerts WHERE "
					"agent = ? AND store = ? AND kind = ?", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return ledger_sqlite_fail(db, rc, "number a copy alert");
	sqlite3_bind_text(s, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, store, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*episode = (uint32_t)sqlite3_column_int64(s, 0) + 1;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : ledger_sqlite_fail(db, rc, "number a copy alert");
}

int copyrel_seen_get(struct sqlite3 *db, const char *name, const uint8_t *key, size_t klen,
		     uint8_t digest[32], uint8_t **packed, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT digest, n, entries FROM copy_seen WHERE "
					"relation = ? AND dir = ?", -1, &s, NULL), err = -ENOENT;

	*packed = NULL;
	*n = 0;
	if (rc != SQLITE_OK)
		return ledger_sqlite_fail(db, rc, "read a copy's memory");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, key ? (const void *)key : "", (int)klen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		size_t dl = (size_t)sqlite3_column_bytes(s, 0), cnt = (size_t)sqlite3_column_int64(s, 1);
		const void *d = sqlite3_column_blob(s, 0), *e = sqlite3_column_blob(s, 2);

		err = -EIO; /* a row of another shape: treated as no memory by the caller */
		if (dl == 32 && (size_t)sqlite3_column_bytes(s, 2) == cnt * COPYREL_SEEN_ENTRY) {
			memcpy(digest, d, 32);
			*packed = malloc(cnt ? cnt * COPYREL_SEEN_ENTRY : 1);
			err = *packed ? 0 : -ENOMEM;
			if (*packed && cnt)
				memcpy(*packed, e, cnt * COPYREL_SEEN_ENTRY);
			*n = *packed ? cnt : 0;
		}
	} else if (rc != SQLITE_DONE) {
		err = ledger_sqlite_fail(db, rc, "read a copy's memory");
	}
	sqlite3_finalize(s);
	return err;
}

int copyrel_seen_put(struct sqlite3 *db, const char *name, const uint8_t *key, size_t klen,
		     const uint8_t digest[32], const uint8_t *packed, size_t n)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO copy_seen VALUES (?,?,?,?,?)", -1,
				    &s, NULL);

	if (rc != SQLITE_OK)
		return ledger_sqlite_fail(db, rc, "write a copy's memory");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, key ? (const void *)key : "", (int)klen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, digest, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)n);
	sqlite3_bind_blob(s, 5, n ? (const void *)packed : "", (int)(n * COPYREL_SEEN_ENTRY),
			  SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : ledger_sqlite_fail(db, rc, "write a copy's memory");
}

int copyrel_seen_forget(struct sqlite3 *db, const char *name, const uint8_t *key, size_t klen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "DELETE FROM copy_seen WHERE relation = ? AND "
					"substr(dir, 1, ?) = ?", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return ledger_sqlite_fail(db, rc, "forget a copy's memory");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)klen);
	sqlite3_bind_blob(s, 3, key ? (const void *)key : "", (int)klen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : ledger_sqlite_fail(db, rc, "forget a copy's memory");
}

int copyrel_seen_count(struct sqlite3 *db, const char *name, uint64_t *n)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT COALESCE(SUM(n), 0) FROM copy_seen WHERE "
					"relation = ?", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return ledger_sqlite_fail(db, rc, "count a copy's memory");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : ledger_sqlite_fail(db, rc, "count a copy's memory");
}
