/*
 * ledger.c - the SQLite ledger (see ledger.h and docs/ledger.md).
 *
 * Every statement is prepared once at open.  The database runs in WAL mode
 * with synchronous=FULL: an acknowledged operator action or a
 * queued notification must survive a power cut.  Writes
 * are rare (alert transitions, operator actions, a state save a minute), so
 * the extra fsync costs nothing that matters.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "codec.h"
#include "inventory.h"
#include "ledger.h"
#include "sqlerr.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS alerts (\n"
	"  id               INTEGER PRIMARY KEY,\n"
	"  agent            TEXT NOT NULL,\n"
	"  store            TEXT NOT NULL,\n"
	"  kind             TEXT NOT NULL,\n"
	"  episode          INTEGER NOT NULL,\n"
	"  severity         TEXT NOT NULL,\n"
	"  state            TEXT NOT NULL,\n"
	"  since            INTEGER NOT NULL,\n"
	"  fired_at         INTEGER NOT NULL,\n"
	"  updated_at       INTEGER NOT NULL,\n"
	"  closed_at        INTEGER,\n"
	"  lost_bytes       REAL NOT NULL DEFAULT 0,\n"
	"  lost_objects     REAL NOT NULL DEFAULT 0,\n"
	"  expected_bytes   REAL, observed_bytes REAL,\n"
	"  expected_objects REAL, observed_objects REAL,\n"
	"  summary          TEXT NOT NULL,\n"
	"  ack_by           TEXT, ack_at INTEGER, ack_comment TEXT,\n"
	"  explanation_id   INTEGER REFERENCES explanations(id),\n"
	"  last_notified_at INTEGER,\n"
	"  attribution      TEXT,\n"
	"  UNIQUE (agent, store, kind, episode)\n"
	");\n"
	"CREATE INDEX IF NOT EXISTS alerts_open ON alerts (state) WHERE closed_at IS NULL;\n"
	"CREATE INDEX IF NOT EXISTS alerts_store ON alerts (agent, store, fired_at);\n"
	"CREATE TABLE IF NOT EXISTS alert_events (\n"
	"  id        INTEGER PRIMARY KEY,\n"
	"  alert_id  INTEGER NOT NULL REFERENCES alerts(id),\n"
	"  time      INTEGER NOT NULL,\n"
	"  state     TEXT NOT NULL,\n"
	"  detail    TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events (alert_id, time);\n"
	"CREATE TABLE IF NOT EXISTS explanations (\n"
	"  id            INTEGER PRIMARY KEY,\n"
	"  agent         TEXT NOT NULL,\n"
	"  store         TEXT NOT NULL,\n"
	"  start         INTEGER NOT NULL,\n"
	"  end           INTEGER NOT NULL,\n"
	"  bytes         INTEGER,\n"
	"  objects       INTEGER,\n"
	"  reason        TEXT NOT NULL,\n"
	"  who           TEXT NOT NULL,\n"
	"  created_at    INTEGER NOT NULL,\n"
	"  alert_id      INTEGER REFERENCES alerts(id),\n"
	"  revoked_at    INTEGER, revoked_by TEXT, revoke_reason TEXT,\n"
	"  prefix        TEXT\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS audit (\n"
	"  id      INTEGER PRIMARY KEY,\n"
	"  time    INTEGER NOT NULL,\n"
	"  who     TEXT NOT NULL,\n"
	"  action  TEXT NOT NULL,\n"
	"  target  TEXT NOT NULL,\n"
	"  detail  TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS outbox (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  notifier    TEXT NOT NULL,\n"
	"  alert_id    INTEGER NOT NULL REFERENCES alerts(id),\n"
	"  state       TEXT NOT NULL,\n"
	"  payload     TEXT NOT NULL,\n"
	"  created_at  INTEGER NOT NULL,\n"
	"  attempts    INTEGER NOT NULL DEFAULT 0,\n"
	"  next_at     INTEGER NOT NULL,\n"
	"  expires_at  INTEGER NOT NULL,\n"
	"  last_error  TEXT\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS detector_state (\n"
	"  agent    TEXT NOT NULL,\n"
	"  store    TEXT NOT NULL,\n"
	"  version  INTEGER NOT NULL,\n"
	"  state    BLOB NOT NULL,\n"
	"  saved_at INTEGER NOT NULL,\n"
	"  PRIMARY KEY (agent, store)\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS deletions (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  agent       TEXT NOT NULL,\n"
	"  report_id   INTEGER NOT NULL,\n"
	"  store       TEXT NOT NULL,\n"
	"  first       INTEGER NOT NULL,\n"
	"  last        INTEGER NOT NULL,\n"
	"  files       INTEGER NOT NULL,\n"
	"  dirs        INTEGER NOT NULL,\n"
	"  dir         TEXT NOT NULL,\n"
	"  pid         INTEGER NOT NULL,\n"
	"  uid         INTEGER,\n"
	"  exe         TEXT NOT NULL,\n"
	"  received_at INTEGER NOT NULL,\n"
	"  UNIQUE (agent, report_id)\n"
	");\n"
	"CREATE INDEX IF NOT EXISTS deletions_store ON deletions (agent, store, last);\n";

/* From schema version 1: what CREATE ... IF NOT EXISTS cannot add. */
static const char migrate_1_2[] = "ALTER TABLE alerts ADD COLUMN attribution TEXT;\n";
/* From schema versions 1 to 3: a declared deletion's path prefix (NULL = a
 * byte allowance, as before). */
static const char migrate_3_4[] = "ALTER TABLE explanations ADD COLUMN prefix TEXT;\n";

#define STR_(x) #x
#define STR(x) STR_(x)
static const char set_version[] = "PRAGMA user_version = " STR(LEDGER_USER_VERSION);

#define ALERT_COLS LEDGER__ALERT_COLS
#define EXPL_COLS LEDGER__EXPL_COLS

#define DEL_COLS                                                                         \
	"id, agent, report_id, store, first, last, files, dirs, dir, pid, uid, exe, "     \
	"received_at"

static const char *const sql[LS_COUNT] = {
	[LS_ALERT_INSERT] = LEDGER__ALERT_INSERT,
	[LS_ALERT_UPDATE] = LEDGER__ALERT_UPDATE,
	[LS_ALERT_GET] = "SELECT " ALERT_COLS " FROM alerts WHERE id=?",
	[LS_ALERT_FIND] = "SELECT " ALERT_COLS " FROM alerts WHERE agent=? AND store=? AND "
			  "kind=? AND episode=?",
	[LS_ALERT_OPEN] = "SELECT " ALERT_COLS " FROM alerts WHERE closed_at IS NULL ORDER BY id",
	[LS_ALERT_ALL] = "SELECT " ALERT_COLS " FROM alerts ORDER BY id DESC",
	[LS_ALERT_OPEN_STORE] = "SELECT " ALERT_COLS " FROM alerts WHERE agent = ? AND store = ? "
				"AND closed_at IS NULL ORDER BY id",
	[LS_EVENT_ADD] = "INSERT INTO alert_events (alert_id, time, state, detail) VALUES (?,?,?,?)",
	[LS_EVENT_LIST] = "SELECT " LEDGER__EVENT_COLS " FROM alert_events "
			  "WHERE alert_id=? ORDER BY time, id",
	[LS_AUDIT_ADD] = "INSERT INTO audit (time, who, action, target, detail) VALUES (?,?,?,?,?)",
	[LS_AUDIT_LIST] = "SELECT " LEDGER__AUDIT_COLS " FROM audit "
			  "WHERE time >= ? ORDER BY id LIMIT ?",
	[LS_EXPL_INSERT] = "INSERT INTO explanations (agent, store, start, end, bytes, objects, "
			   "reason, who, created_at, alert_id, prefix) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[LS_EXPL_GET] = "SELECT " EXPL_COLS " FROM explanations WHERE id=?",
	[LS_EXPL_LIST] = "SELECT " EXPL_COLS " FROM explanations ORDER BY id DESC",
	[LS_EXPL_ACTIVE] = "SELECT " EXPL_COLS " FROM explanations WHERE revoked_at IS NULL AND "
			   "end >= ? ORDER BY id",
	[LS_EXPL_REVOKE] = "UPDATE explanations SET revoked_at=?, revoked_by=?, revoke_reason=? "
			   "WHERE id=? AND revoked_at IS NULL",
	[LS_OUTBOX_ADD] = "INSERT INTO outbox (notifier, alert_id, state, payload, created_at, "
			  "attempts, next_at, expires_at) VALUES (?,?,?,?,?,0,?,?)",
	[LS_OUTBOX_DUE] = "SELECT id, notifier, alert_id, state, payload, created_at, attempts, "
			  "next_at, expires_at FROM outbox WHERE next_at <= ? ORDER BY next_at, "
			  "id LIMIT ?",
	[LS_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id=?",
	[LS_OUTBOX_RETRY] = "UPDATE outbox SET attempts=?, next_at=?, last_error=? WHERE id=?",
	[LS_OUTBOX_NEXT] = "SELECT min(next_at) FROM outbox",
	[LS_OUTBOX_COUNT] = "SELECT count(*) FROM outbox",
	[LS_STATE_SAVE] = "INSERT OR REPLACE INTO detector_state (agent, store, version, state, "
			  "saved_at) VALUES (?,?,?,?,?)",
	[LS_STATE_ALL] = "SELECT agent, store, version, state FROM detector_state",
	[LS_BEGIN] = "BEGIN IMMEDIATE",
	[LS_COMMIT] = "COMMIT",
	[LS_ROLLBACK] = "ROLLBACK",
	[LS_DEL_ADD] = "INSERT OR IGNORE INTO deletions (agent, report_id, store, first, last, "
		       "files, dirs, dir, pid, uid, exe, received_at) "
		       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
	[LS_DEL_RANGE] = "SELECT " DEL_COLS " FROM deletions WHERE agent=? AND store=? AND "
			 "last >= ? AND first <= ? ORDER BY first, id LIMIT ?",
	[LS_DEL_LIST] = "SELECT " DEL_COLS " FROM deletions WHERE (?1 IS NULL OR agent=?1) AND "
			"(?2 IS NULL OR store=?2) ORDER BY id DESC LIMIT ?3",
	/* the oldest rows first: reports arrive roughly in time order, so the
	 * scan stops at the first chunk instead of reading the whole table */
	[LS_DEL_PRUNE] = "DELETE FROM deletions WHERE id IN (SELECT id FROM deletions ORDER BY id "
			 "LIMIT ?2) AND last < ?1",
	[LS_ALERT_ATTRIB] = "UPDATE alerts SET attribution=? WHERE id=?",
};

static int fail(struct ledger *l, int rc, const char *what)
{
	int err = ledger_sqlite_errno(rc);

	if (err == -ENOSPC)
		log_err("ledger: cannot %s: the disk is full (will retry)", what);
	else
		log_err("ledger: cannot %s: %s", what, l->db ? sqlite3_errmsg(l->db) : "no database");
	if (l->depth && !l->failed)
		l->failed = err;
	return err;
}

static sqlite3_stmt *stmt(struct ledger *l, enum ledger_stmt_id id)
{
	sqlite3_stmt *s = l->st[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void bind_text_nn(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/* 0 binds NULL: ids and times of the schema are never 0 when set. */
static void bind_opt_i64(sqlite3_stmt *s, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

/* Runs a statement that returns no rows. */
static int exec_stmt(struct ledger *l, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return fail(l, rc, what);
	return 0;
}

static int exec_sql(struct ledger *l, const char *text, const char *what)
{
	int rc = sqlite3_exec(l->db, text, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(l, rc, what);
}

/* Whether table has column: an older file may lack a table entirely (the
 * schema then creates it whole, column included). */
static bool has_column(struct ledger *l, const char *table, const char *column)
{
	char q[96];
	sqlite3_stmt *s;
	bool found = false;

	snprintf(q, sizeof q, "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(l->db, q, -1, &s, NULL) != SQLITE_OK)
		return false;
	while (!found && sqlite3_step(s) == SQLITE_ROW)
		found = !strcmp((const char *)sqlite3_column_text(s, 1), column);
	sqlite3_finalize(s);
	return found;
}

static int user_version(struct ledger *l, int *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return fail(l, rc, "read the schema version");
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : fail(l, rc, "read the schema version");
}

/*
 * SQLite, when it runs as root, fchown()s the journal and WAL files it creates
 * to the database's owner.  The collector's unit never runs it as root and
 * refuses @chown (SystemCallFilter=~@privileged), so under the unit that call
 * would fail with EPERM, which SQLite ignores.  Fail it the same way
 * everywhere, so the collector makes the same system calls under the unit,
 * in the tests and when started by hand (a collector run as root on the
 * service's data_dir leaves root-owned RRD files anyway: operations.md says
 * to chown -R after such work).
 */
static int no_fchown(int fd, uid_t uid, gid_t gid)
{
	(void)fd;
	(void)uid;
	(void)gid;
	errno = EPERM;
	return -1;
}

static void vfs_no_fchown(void)
{
	sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);

	if (vfs && vfs->iVersion >= 3 && vfs->xSetSystemCall &&
	    vfs->xGetSystemCall(vfs, "fchown"))
		vfs->xSetSystemCall(vfs, "fchown", (sqlite3_syscall_ptr)(void (*)(void))no_fchown);
}

int ledger_open(struct ledger *l, const char *path)
{
	int rc, err, v;

	memset(l, 0, sizeof *l);
	vfs_no_fchown();
	rc = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		err = ledger_sqlite_errno(rc);
		log_err("ledger: cannot open '%s': %s", path,
			l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(l->db, 5000);
	if ((err = exec_sql(l, "PRAGMA journal_mode = WAL", "switch to WAL")) ||
	    (err = exec_sql(l, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
			    "set pragmas")) ||
	    (err = user_version(l, &v)))
		goto out;
	if (v > LEDGER_USER_VERSION) {
		log_err("ledger: '%s' has schema version %d, newer than this collector's %d", path,
			v, LEDGER_USER_VERSION);
		err = -EPROTO;
		goto out;
	}
	if ((err = exec_sql(l, "BEGIN", "create the schema")))
		goto schema_done;
	if ((v == 1 && (err = exec_sql(l, migrate_1_2, "migrate the schema to version 2"))) ||
	    (err = exec_sql(l, schema, "create the schema")) ||
	    (v >= 1 && v <= 3 && !has_column(l, "explanations", "prefix") &&
	     (err = exec_sql(l, migrate_3_4, "migrate the schema to version 4"))) ||
	    (err = inventory_schema(l->db)) ||
	    (err = exec_sql(l, set_version, "set the schema version"))) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		goto schema_done;
	}
	err = exec_sql(l, "COMMIT", "create the schema");
	if (err)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
schema_done:
	/* a full disk cannot stop a start when the schema is there already:
	 * alerts are then kept in memory until the ledger can write */
	if (err == -ENOSPC && v == LEDGER_USER_VERSION) {
		log_warn("ledger: '%s' is on a full disk: opened as it is", path);
		err = 0;
	}
	if (err)
		goto out;
	for (int i = 0; i < LS_COUNT; i++) {
		rc = sqlite3_prepare_v3(l->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->st[i],
					NULL);
		if (rc != SQLITE_OK) {
			err = fail(l, rc, "prepare a statement");
			goto out;
		}
	}
	err = 0;
out:
	if (err)
		ledger_close(l);
	return err;
}

void ledger_close(struct ledger *l)
{
	for (int i = 0; i < LS_COUNT; i++) {
		sqlite3_finalize(l->st[i]);
		l->st[i] = NULL;
	}
	if (l->db)
		sqlite3_close(l->db);
	l->db = NULL;
}

int ledger_begin(struct ledger *l)
{
	int err;

	if (l->depth++)
		return 0;
	l->failed = 0;
	err = exec_stmt(l, stmt(l, LS_BEGIN), "begin a transaction");
	if (err)
		l->depth = 0;
	return err;
}

int ledger_commit(struct ledger *l)
{
	int err;

	if (!l->depth)
		return -EINVAL;
	if (--l->depth)
		return 0;
	if (l->failed) {
		err = l->failed;
		l->failed = 0;
		exec_stmt(l, stmt(l, LS_ROLLBACK), "roll back");
		return err;
	}
	err = exec_stmt(l, stmt(l, LS_COMMIT), "commit");
	if (err && sqlite3_get_autocommit(l->db) == 0)
		exec_stmt(l, stmt(l, LS_ROLLBACK), "roll back");
	return err;
}

void ledger_rollback(struct ledger *l)
{
	if (!l->depth)
		return;
	if (--l->depth) {
		/* a nested part gave up: the whole group must */
		if (!l->failed)
			l->failed = -ECANCELED;
		return;
	}
	l->failed = 0;
	if (sqlite3_get_autocommit(l->db) == 0)
		exec_stmt(l, stmt(l, LS_ROLLBACK), "roll back");
}

/* ---- alerts ------------------------------------------------------------ */

/* Binds the columns LEDGER__ALERT_INSERT and LEDGER__ALERT_UPDATE write,
 * parameter i being column i of enum ledger__alert_col. */
static void bind_alert(sqlite3_stmt *s, const struct ledger_alert *a)
{
	bind_text_nn(s, LEDGER__AC_AGENT, a->agent);
	bind_text_nn(s, LEDGER__AC_STORE, a->store);
	bind_text_nn(s, LEDGER__AC_KIND, a->kind);
	sqlite3_bind_int64(s, LEDGER__AC_EPISODE, a->episode);
	bind_text_nn(s, LEDGER__AC_SEVERITY, a->severity);
	bind_text_nn(s, LEDGER__AC_STATE, alert_state_name(a->state));
	sqlite3_bind_int64(s, LEDGER__AC_SINCE, a->since);
	sqlite3_bind_int64(s, LEDGER__AC_FIRED_AT, a->fired_at);
	sqlite3_bind_int64(s, LEDGER__AC_UPDATED_AT, a->updated_at);
	bind_opt_i64(s, LEDGER__AC_CLOSED_AT, a->closed_at);
	sqlite3_bind_double(s, LEDGER__AC_LOST_BYTES, a->lost_bytes);
	sqlite3_bind_double(s, LEDGER__AC_LOST_OBJECTS, a->lost_objects);
	sqlite3_bind_double(s, LEDGER__AC_EXPECTED_BYTES, a->expected_bytes);
	sqlite3_bind_double(s, LEDGER__AC_OBSERVED_BYTES, a->observed_bytes);
	sqlite3_bind_double(s, LEDGER__AC_EXPECTED_OBJECTS, a->expected_objects);
	sqlite3_bind_double(s, LEDGER__AC_OBSERVED_OBJECTS, a->observed_objects);
	bind_text_nn(s, LEDGER__AC_SUMMARY, a->summary);
	bind_text(s, LEDGER__AC_ACK_BY, a->ack_by);
	bind_opt_i64(s, LEDGER__AC_ACK_AT, a->ack_at);
	bind_text(s, LEDGER__AC_ACK_COMMENT, a->ack_comment);
	bind_opt_i64(s, LEDGER__AC_EXPLANATION_ID, a->explanation_id);
	bind_opt_i64(s, LEDGER__AC_LAST_NOTIFIED_AT, a->last_notified_at);
}

/* Decodes the current alert row; a row this program cannot represent is
 * logged and answered with -EPROTO. */
static int read_alert(sqlite3_stmt *s, struct ledger_alert *a)
{
	char why[128];
	int err = ledger__alert_decode(s, a, why, sizeof why);

	if (err)
		log_err("ledger: cannot read an alert: %s", why);
	return err;
}

int ledger_alert_insert(struct ledger *l, struct ledger_alert *a)
{
	sqlite3_stmt *s = stmt(l, LS_ALERT_INSERT);
	int err;

	bind_alert(s, a);
	err = exec_stmt(l, s, "insert an alert");
	if (!err)
		a->id = sqlite3_last_insert_rowid(l->db);
	return err;
}

int ledger_alert_update(struct ledger *l, const struct ledger_alert *a)
{
	sqlite3_stmt *s = stmt(l, LS_ALERT_UPDATE);

	bind_alert(s, a);
	sqlite3_bind_int64(s, LEDGER__AC_ATTRIBUTION, a->id); /* WHERE id = ? */
	return exec_stmt(l, s, "update an alert");
}

/* Steps a single-row query: 0 with the row read, -ENOENT, or an error. */
static int one_alert(struct ledger *l, sqlite3_stmt *s, struct ledger_alert *out)
{
	int rc = sqlite3_step(s), err = 0;

	if (rc == SQLITE_ROW)
		err = read_alert(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return err;
	return rc == SQLITE_DONE ? -ENOENT : fail(l, rc, "read an alert");
}

int ledger_alert_get(struct ledger *l, int64_t id, struct ledger_alert *out)
{
	sqlite3_stmt *s = stmt(l, LS_ALERT_GET);

	sqlite3_bind_int64(s, 1, id);
	return one_alert(l, s, out);
}

int ledger_alert_find(struct ledger *l, const char *agent, const char *store, const char *kind,
		      uint32_t episode, struct ledger_alert *out)
{
	sqlite3_stmt *s = stmt(l, LS_ALERT_FIND);

	bind_text_nn(s, 1, agent);
	bind_text_nn(s, 2, store);
	bind_text_nn(s, 3, kind);
	sqlite3_bind_int64(s, 4, episode);
	return one_alert(l, s, out);
}

static int alert_walk(struct ledger *l, sqlite3_stmt *s, ledger_alert_fn fn, void *ctx)
{
	struct ledger_alert *a = malloc(sizeof *a);
	int rc, r = 0;

	if (!a) {
		sqlite3_reset(s);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = read_alert(s, a)) || (r = fn(ctx, a)))
			break;
	}
	sqlite3_reset(s);
	free(a);
	if (r)
		return r;
	return rc == SQLITE_DONE ? 0 : fail(l, rc, "list alerts");
}

int ledger_alert_each(struct ledger *l, bool all, ledger_alert_fn fn, void *ctx)
{
	return alert_walk(l, stmt(l, all ? LS_ALERT_ALL : LS_ALERT_OPEN), fn, ctx);
}

int ledger_alert_each_open_of(struct ledger *l, const char *agent, const char *store,
			      ledger_alert_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(l, LS_ALERT_OPEN_STORE);

	bind_text_nn(s, 1, agent);
	bind_text_nn(s, 2, store);
	return alert_walk(l, s, fn, ctx);
}

/* ---- alert events and audit ------------------------------------------- */

int ledger_event_add(struct ledger *l, int64_t alert_id, int64_t time, enum alert_event kind,
		     const char *detail)
{
	sqlite3_stmt *s = stmt(l, LS_EVENT_ADD);

	sqlite3_bind_int64(s, 1, alert_id);
	sqlite3_bind_int64(s, 2, time);
	bind_text_nn(s, 3, alert_event_name(kind));
	bind_text_nn(s, 4, detail);
	return exec_stmt(l, s, "add an alert event");
}

int ledger_event_each(struct ledger *l, int64_t alert_id, ledger_event_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(l, LS_EVENT_LIST);
	struct ledger_event e;
	char why[128];
	int rc, r = 0;

	sqlite3_bind_int64(s, 1, alert_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = ledger__event_decode(s, &e, why, sizeof why))) {
			log_err("ledger: cannot read an alert event: %s", why);
			break;
		}
		if ((r = fn(ctx, &e)))
			break;
	}
	sqlite3_reset(s);
	if (r)
		return r;
	return rc == SQLITE_DONE ? 0 : fail(l, rc, "list alert events");
}

int ledger_audit_add(struct ledger *l, int64_t time, const char *who, const char *action,
		     const char *target, const char *detail)
{
	sqlite3_stmt *s = stmt(l, LS_AUDIT_ADD);

	sqlite3_bind_int64(s, 1, time);
	bind_text_nn(s, 2, who);
	bind_text_nn(s, 3, action);
	bind_text_nn(s, 4, target);
	bind_text_nn(s, 5, detail);
	return exec_stmt(l, s, "add an audit row");
}

int ledger_audit_each(struct ledger *l, int64_t since, int limit, ledger_audit_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(l, LS_AUDIT_LIST);
	struct ledger_audit a;
	int rc, r = 0;

	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int(s, 2, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ledger__audit_decode(s, &a);
		if ((r = fn(ctx, &a)))
			break;
	}
	sqlite3_reset(s);
	if (r)
		return r;
	return rc == SQLITE_DONE ? 0 : fail(l, rc, "list the audit log");
}

/* ---- explanations ------------------------------------------------------ */

int ledger_explain_insert(struct ledger *l, struct ledger_explain *e)
{
	sqlite3_stmt *s = stmt(l, LS_EXPL_INSERT);
	int err;

	bind_text_nn(s, 1, e->agent);
	bind_text_nn(s, 2, e->store);
	sqlite3_bind_int64(s, 3, e->start);
	sqlite3_bind_int64(s, 4, e->end);
	if (e->bytes >= 0)
		sqlite3_bind_int64(s, 5, e->bytes);
	if (e->objects >= 0)
		sqlite3_bind_int64(s, 6, e->objects);
	bind_text_nn(s, 7, e->reason);
	bind_text_nn(s, 8, e->who);
	sqlite3_bind_int64(s, 9, e->created_at);
	bind_opt_i64(s, 10, e->alert_id);
	if (e->prefix[0])
		bind_text_nn(s, 11, e->prefix);
	err = exec_stmt(l, s, "insert an explanation");
	if (!err)
		e->id = sqlite3_last_insert_rowid(l->db);
	return err;
}

int ledger_explain_get(struct ledger *l, int64_t id, struct ledger_explain *out)
{
	sqlite3_stmt *s = stmt(l, LS_EXPL_GET);
	int rc;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ledger__explain_decode(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : fail(l, rc, "read an explanation");
}

int ledger_explain_revoke(struct ledger *l, int64_t id, int64_t when, const char *who,
			  const char *reason)
{
	sqlite3_stmt *s = stmt(l, LS_EXPL_REVOKE);
	int err;

	sqlite3_bind_int64(s, 1, when);
	bind_text_nn(s, 2, who);
	bind_text_nn(s, 3, reason);
	sqlite3_bind_int64(s, 4, id);
	err = exec_stmt(l, s, "revoke an explanation");
	if (!err && sqlite3_changes(l->db) == 0)
		return -ENOENT;
	return err;
}

int ledger_explain_each(struct ledger *l, int64_t active_now, ledger_explain_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(l, active_now ? LS_EXPL_ACTIVE : LS_EXPL_LIST);
	struct ledger_explain *e = malloc(sizeof *e);
	int rc, r = 0;

	if (!e)
		return -ENOMEM;
	if (active_now)
		sqlite3_bind_int64(s, 1, active_now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ledger__explain_decode(s, e);
		if ((r = fn(ctx, e)))
			break;
	}
	sqlite3_reset(s);
	free(e);
	if (r)
		return r;
	return rc == SQLITE_DONE ? 0 : fail(l, rc, "list explanations");
}

/* ---- outbox ------------------------------------------------------------ */

/*
 * outbox.state: the name of the state notified, or "repeated" for a firing
 * alert notified again (the same word its timeline entry has).
 */
static const char *notice_name(enum alert_state state, bool repeat)
{
	return repeat ? alert_event_name(ALERT_EVENT_REPEATED) : alert_state_name(state);
}

static int notice_parse(const char *text, enum alert_state *state, bool *repeat)
{
	enum alert_event e;

	if (alert_event_parse(text, &e))
		return -EPROTO;
	*repeat = e == ALERT_EVENT_REPEATED;
	if (*repeat)
		*state = ALERT_FIRING; /* only a firing alert is repeated */
	else if ((unsigned)e < ALERT_STATE_COUNT)
		*state = (enum alert_state)e;
	else
		return -EPROTO;
	return 0;
}

int ledger_outbox_add(struct ledger *l, const char *notifier, int64_t alert_id,
		      enum alert_state state, bool repeat, const char *payload,
		      int64_t created_at, int64_t next_at, int64_t expires_at)
{
	sqlite3_stmt *s = stmt(l, LS_OUTBOX_ADD);

	bind_text_nn(s, 1, notifier);
	sqlite3_bind_int64(s, 2, alert_id);
	bind_text_nn(s, 3, notice_name(state, repeat));
	bind_text_nn(s, 4, payload);
	sqlite3_bind_int64(s, 5, created_at);
	sqlite3_bind_int64(s, 6, next_at);
	sqlite3_bind_int64(s, 7, expires_at);
	return exec_stmt(l, s, "queue a notification");
}

int ledger_outbox_due(struct ledger *l, int64_t now, int limit, ledger_outbox_fn fn, void *ctx)
{
	struct ledger_outbox *rows;
	char **payloads;
	sqlite3_stmt *s = stmt(l, LS_OUTBOX_DUE);
	int rc, r = 0, n = 0, i;

	if (limit <= 0)
		return 0;
	rows = calloc((size_t)limit, sizeof *rows);
	payloads = calloc((size_t)limit, sizeof *payloads);
	if (!rows || !payloads) {
		r = -ENOMEM;
		goto out;
	}
	/* read everything first: the callbacks may write to the outbox */
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, limit);
	while (n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_outbox *o = &rows[n];
		const unsigned char *p = sqlite3_column_text(s, 4);

		o->id = sqlite3_column_int64(s, 0);
		ledger__col_text(s, 1, o->notifier, sizeof o->notifier);
		o->alert_id = sqlite3_column_int64(s, 2);
		if (notice_parse((const char *)sqlite3_column_text(s, 3), &o->state,
				 &o->repeat)) {
			log_err("ledger: skipping outbox row %lld of alert %lld: its state is "
				"unknown",
				(long long)o->id, (long long)o->alert_id);
			continue;
		}
		payloads[n] = strdup(p ? (const char *)p : "");
		if (!payloads[n]) {
			r = -ENOMEM;
			break;
		}
		o->payload = payloads[n];
		o->created_at = sqlite3_column_int64(s, 5);
		o->attempts = sqlite3_column_int(s, 6);
		o->next_at = sqlite3_column_int64(s, 7);
		o->expires_at = sqlite3_column_int64(s, 8);
		n++;
	}
	if (!r && n < limit && rc != SQLITE_DONE)
		r = fail(l, rc, "read the outbox");
	sqlite3_reset(s);
	for (i = 0; !r && i < n; i++)
		r = fn(ctx, &rows[i]);
out:
	if (payloads)
		for (i = 0; i < n; i++)
			free(payloads[i]);
	free(payloads);
	free(rows);
	return r;
}

int ledger_outbox_delete(struct ledger *l, int64_t id)
{
	sqlite3_stmt *s = stmt(l, LS_OUTBOX_DELETE);

	sqlite3_bind_int64(s, 1, id);
	return exec_stmt(l, s, "delete a delivered notification");
}

int ledger_outbox_retry(struct ledger *l, int64_t id, int attempts, int64_t next_at,
			const char *error)
{
	sqlite3_stmt *s = stmt(l, LS_OUTBOX_RETRY);

	sqlite3_bind_int(s, 1, attempts);
	sqlite3_bind_int64(s, 2, next_at);
	bind_text(s, 3, error);
	sqlite3_bind_int64(s, 4, id);
	return exec_stmt(l, s, "reschedule a notification");
}

static int one_i64(struct ledger *l, enum ledger_stmt_id id, int64_t null_value, int64_t *out,
		   const char *what)
{
	sqlite3_stmt *s = stmt(l, id);
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_type(s, 0) == SQLITE_NULL ? null_value
								: sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : fail(l, rc, what);
}

int ledger_outbox_next(struct ledger *l, int64_t *next_at)
{
	return one_i64(l, LS_OUTBOX_NEXT, INT64_MAX, next_at, "read the outbox");
}

long ledger_outbox_count(struct ledger *l)
{
	int64_t n = 0;
	int err = one_i64(l, LS_OUTBOX_COUNT, 0, &n, "count the outbox");

	return err ? err : (long)n;
}

/* ---- deletion reports --------------------------------------------------- */

int ledger_deletion_add(struct ledger *l, const char *agent, const struct ledger_deletion *d,
			int64_t received_at)
{
	sqlite3_stmt *s = stmt(l, LS_DEL_ADD);
	int err;

	bind_text_nn(s, 1, agent);
	sqlite3_bind_int64(s, 2, (int64_t)d->report_id);
	bind_text_nn(s, 3, d->store);
	sqlite3_bind_int64(s, 4, d->first);
	sqlite3_bind_int64(s, 5, d->last);
	sqlite3_bind_int64(s, 6, (int64_t)d->files);
	sqlite3_bind_int64(s, 7, (int64_t)d->dirs);
	bind_text_nn(s, 8, d->dir);
	sqlite3_bind_int64(s, 9, d->pid);
	if (d->uid >= 0)
		sqlite3_bind_int64(s, 10, d->uid);
	else
		sqlite3_bind_null(s, 10);
	bind_text_nn(s, 11, d->exe);
	sqlite3_bind_int64(s, 12, received_at);
	err = exec_stmt(l, s, "store a deletion report");
	return err ? err : sqlite3_changes(l->db) > 0;
}

long ledger_deletion_prune(struct ledger *l, int64_t before, int limit)
{
	sqlite3_stmt *s = stmt(l, LS_DEL_PRUNE);
	int err;

	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, limit);
	err = exec_stmt(l, s, "prune old deletion reports");
	return err ? err : (long)sqlite3_changes(l->db);
}

static void read_deletion(sqlite3_stmt *s, struct ledger_deletion *d)
{
	memset(d, 0, sizeof *d);
	d->id = sqlite3_column_int64(s, 0);
	ledger__col_text(s, 1, d->agent, sizeof d->agent);
	d->report_id = (uint64_t)sqlite3_column_int64(s, 2);
	ledger__col_text(s, 3, d->store, sizeof d->store);
	d->first = sqlite3_column_int64(s, 4);
	d->last = sqlite3_column_int64(s, 5);
	d->files = (uint64_t)sqlite3_column_int64(s, 6);
	d->dirs = (uint64_t)sqlite3_column_int64(s, 7);
	ledger__col_text(s, 8, d->dir, sizeof d->dir);
	d->pid = (uint32_t)sqlite3_column_int64(s, 9);
	d->uid = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 10);
	ledger__col_text(s, 11, d->exe, sizeof d->exe);
	d->received_at = sqlite3_column_int64(s, 12);
}

static int deletion_walk(struct ledger *l, sqlite3_stmt *s, ledger_deletion_fn fn, void *ctx)
{
	struct ledger_deletion *d = malloc(sizeof *d);
	int rc = SQLITE_DONE, ret = 0;

	if (!d) {
		sqlite3_reset(s);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_deletion(s, d);
		ret = fn(ctx, d);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = fail(l, rc, "read deletion reports");
	sqlite3_reset(s);
	free(d);
	return ret;
}

int ledger_deletion_range(struct ledger *l, const char *agent, const char *store, int64_t from,
			  int64_t to, int limit, ledger_deletion_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(l, LS_DEL_RANGE);

	bind_text_nn(s, 1, agent);
	bind_text_nn(s, 2, store);
	sqlite3_bind_int64(s, 3, from);
	sqlite3_bind_int64(s, 4, to);
	sqlite3_bind_int(s, 5, limit);
	return deletion_walk(l, s, fn, ctx);
}

int ledger_deletion_each(struct ledger *l, const char *agent, const char *store, int limit,
			 ledger_deletion_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(l, LS_DEL_LIST);

	bind_text(s, 1, agent);
	bind_text(s, 2, store);
	sqlite3_bind_int(s, 3, limit);
	return deletion_walk(l, s, fn, ctx);
}

int ledger_alert_set_attribution(struct ledger *l, int64_t id, const char *text)
{
	sqlite3_stmt *s = stmt(l, LS_ALERT_ATTRIB);

	bind_text(s, 1, text);
	sqlite3_bind_int64(s, 2, id);
	return exec_stmt(l, s, "attribute an alert");
}

/* ---- detector state ---------------------------------------------------- */

int ledger_state_save(struct ledger *l, const char *agent, const char *store, uint32_t version,
		      const void *blob, size_t len, int64_t saved_at)
{
	sqlite3_stmt *s = stmt(l, LS_STATE_SAVE);

	bind_text_nn(s, 1, agent);
	bind_text_nn(s, 2, store);
	sqlite3_bind_int64(s, 3, version);
	sqlite3_bind_blob(s, 4, blob, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, saved_at);
	return exec_stmt(l, s, "save detector state");
}

int ledger_state_each(struct ledger *l, ledger_state_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(l, LS_STATE_ALL);
	char agent[SW_NAME_MAX + 1], store[SW_NAME_MAX + 1];
	int rc, r = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ledger__col_text(s, 0, agent, sizeof agent);
		ledger__col_text(s, 1, store, sizeof store);
		r = fn(ctx, agent, store, (uint32_t)sqlite3_column_int64(s, 2),
		       sqlite3_column_blob(s, 3), (size_t)sqlite3_column_bytes(s, 3));
		if (r)
			break;
	}
	sqlite3_reset(s);
	if (r)
		return r;
	return rc == SQLITE_DONE ? 0 : fail(l, rc, "read detector state");
}
