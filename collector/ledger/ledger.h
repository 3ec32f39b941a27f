/*
 * ledger.h - the collector's SQLite ledger (data_dir/ledger.db), the writer.
 *
 * Alerts, their timeline, declared deletions, the audit trail, the
 * notification outbox and the detector's saved state live here, in the schema
 * docs/ledger.md fixes (the dashboard reads it through read.h: a contract).
 * Only the event loop thread writes, through statements prepared once at
 * open; callers group related writes into one transaction with
 * ledger_begin()/ledger_commit(), so an alert transition, its audit row and
 * its outbox rows are stored all or nothing.  The rows are the structs of
 * rows.h, decoded by the codec the read-only API shares (codec.h).
 *
 * Every function that can fail returns 0 (or a count, where it says so) or a
 * negative errno.  A failure of SQLite itself is logged here once, as
 * "ledger: cannot <what>: <SQLite's words>", and mapped: -ENOSPC for a full
 * disk (SQLITE_FULL), -EBUSY for a busy or locked database, -ENOMEM when
 * SQLite ran out of memory, -EEXIST for a broken constraint (a duplicate
 * alert episode, a dangling reference), -EACCES for a read-only or forbidden
 * file, and -EIO for anything else; so callers only decide whether to retry.
 * Besides these: -ENOENT means "no such row" and is not logged, -EPROTO a
 * ledger this program cannot read (a newer schema at open, or a row with a
 * state name it does not know, logged), -ENOMEM a failed allocation of this
 * module (not logged), and -EINVAL a ledger_commit() without ledger_begin().
 *
 * A walk (the *_each functions) calls its callback once per row and stops at
 * the first nonzero return, which it returns as is; callbacks should
 * therefore return a negative errno, or a positive value of their own, to
 * stop.  The struct a callback gets is valid during the call only.
 */
#ifndef SHRINKWATCH_COLLECTOR_LEDGER_H
#define SHRINKWATCH_COLLECTOR_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rows.h"

struct sqlite3;
struct sqlite3_stmt;

enum ledger_stmt_id {
	LS_ALERT_OPEN_STORE,
	LS_ALERT_INSERT, LS_ALERT_UPDATE, LS_ALERT_GET, LS_ALERT_FIND, LS_ALERT_OPEN,
	LS_ALERT_ALL, LS_EVENT_ADD, LS_EVENT_LIST, LS_AUDIT_ADD, LS_AUDIT_LIST,
	LS_EXPL_INSERT, LS_EXPL_GET, LS_EXPL_LIST, LS_EXPL_ACTIVE, LS_EXPL_REVOKE,
	LS_OUTBOX_ADD, LS_OUTBOX_DUE, LS_OUTBOX_DELETE, LS_OUTBOX_RETRY, LS_OUTBOX_NEXT,
	LS_OUTBOX_COUNT, LS_STATE_SAVE, LS_STATE_ALL, LS_BEGIN, LS_COMMIT, LS_ROLLBACK,
	LS_DEL_ADD, LS_DEL_RANGE, LS_DEL_LIST, LS_DEL_PRUNE, LS_ALERT_ATTRIB,
	LS_COUNT,
};

struct ledger {
	struct sqlite3 *db;
	struct sqlite3_stmt *st[LS_COUNT];
	int depth; /* nested ledger_begin() calls; one real transaction */
	/* the first error inside the transaction (a failed write, or a nested
	 * ledger_rollback()); the outermost ledger_commit() rolls back and
	 * returns it */
	int failed;
};

/*
 * Opens (creating if needed) the ledger at path: WAL, synchronous=FULL,
 * foreign keys on, the schema of docs/ledger.md (migrating an older file in
 * one transaction) and every statement prepared.  Returns 0, -EPROTO when the
 * file's user_version is newer than LEDGER_USER_VERSION (the file is left
 * alone), or another negative errno as above; on failure l is closed again.
 */
int ledger_open(struct ledger *l, const char *path);
/* Finalizes the statements and closes the database.  Safe on a ledger that
 * failed to open or was closed already. */
void ledger_close(struct ledger *l);

/*
 * Transactions.  ledger_begin() starts one (BEGIN IMMEDIATE, so a second
 * writer is refused now rather than at commit) or, when one is open, joins
 * it: nested begin/commit pairs make one transaction, committed by the
 * outermost ledger_commit().  If a write inside failed, or a nested part
 * called ledger_rollback(), the outermost commit rolls everything back and
 * returns the first such error (-ECANCELED for a nested rollback), so a
 * caller can retry the whole group later.  A nested ledger_commit() returns
 * 0; ledger_commit() without an open transaction returns -EINVAL; a COMMIT
 * that SQLite refuses is rolled back and its error returned.
 */
int ledger_begin(struct ledger *l);
int ledger_commit(struct ledger *l);
/* Gives up the transaction: the outermost call rolls back now; a nested one
 * only closes its level and makes the outermost commit roll back.  Without an
 * open transaction it does nothing. */
void ledger_rollback(struct ledger *l);

/* Alerts.  insert stores every field but id and attribution, then fills
 * a->id.  update stores the same fields of row a->id; an id that is not
 * stored changes nothing and is not an error. */
int ledger_alert_insert(struct ledger *l, struct ledger_alert *a);
int ledger_alert_update(struct ledger *l, const struct ledger_alert *a);
/* The alert of id into *out: 0, -ENOENT, or an error. */
int ledger_alert_get(struct ledger *l, int64_t id, struct ledger_alert *out);
/* The alert of one detector episode ((agent, store, kind, episode) is unique),
 * into *out: 0, -ENOENT, or an error. */
int ledger_alert_find(struct ledger *l, const char *agent, const char *store, const char *kind,
		      uint32_t episode, struct ledger_alert *out);
typedef int (*ledger_alert_fn)(void *ctx, const struct ledger_alert *a);
/* The open alerts (closed_at NULL) oldest first, or every alert newest first
 * when all. */
int ledger_alert_each(struct ledger *l, bool all, ledger_alert_fn fn, void *ctx);
/* The open alerts of one store, oldest first, through the (agent, store)
 * index: the alert board recounts a store on each of its alert events, and
 * walking every open alert there made a burst of events (thousands of stores
 * catching up after an outage) cost the square of their number. */
int ledger_alert_each_open_of(struct ledger *l, const char *agent, const char *store,
			      ledger_alert_fn fn, void *ctx);
/* Sets alert id's attribution text ("" or NULL stores NULL).  An id that is
 * not stored changes nothing and is not an error. */
int ledger_alert_set_attribution(struct ledger *l, int64_t id, const char *text);

/* Adds an entry of kind to alert_id's timeline (detail: one line for people). */
int ledger_event_add(struct ledger *l, int64_t alert_id, int64_t time, enum alert_event kind,
		     const char *detail);
typedef int (*ledger_event_fn)(void *ctx, const struct ledger_event *e);
/* The timeline of alert_id, oldest first. */
int ledger_event_each(struct ledger *l, int64_t alert_id, ledger_event_fn fn, void *ctx);

/* Adds an audit row: who did action to target (see docs/ledger.md). */
int ledger_audit_add(struct ledger *l, int64_t time, const char *who, const char *action,
		     const char *target, const char *detail);
typedef int (*ledger_audit_fn)(void *ctx, const struct ledger_audit *a);
/* Audit rows with time >= since, oldest first, at most limit. */
int ledger_audit_each(struct ledger *l, int64_t since, int limit, ledger_audit_fn fn, void *ctx);

/* Explanations.  insert stores e (not its revocation) and fills e->id. */
int ledger_explain_insert(struct ledger *l, struct ledger_explain *e);
/* The explanation of id into *out: 0, -ENOENT, or an error. */
int ledger_explain_get(struct ledger *l, int64_t id, struct ledger_explain *out);
/* Revokes explanation id: 0, or -ENOENT when there is no such explanation or
 * it was revoked already (the first revocation stands). */
int ledger_explain_revoke(struct ledger *l, int64_t id, int64_t when, const char *who,
			  const char *reason);
typedef int (*ledger_explain_fn)(void *ctx, const struct ledger_explain *e);
/* All explanations (newest first), or only the active ones (not revoked,
 * end >= now; oldest first) when active_now is nonzero. */
int ledger_explain_each(struct ledger *l, int64_t active_now, ledger_explain_fn fn, void *ctx);

/* The outbox.  add queues the notification of alert_id entering state (or,
 * with repeat, of the firing alert notified again) for notifier, due at
 * next_at and dropped at expires_at. */
int ledger_outbox_add(struct ledger *l, const char *notifier, int64_t alert_id,
		      enum alert_state state, bool repeat, const char *payload,
		      int64_t created_at, int64_t next_at, int64_t expires_at);
typedef int (*ledger_outbox_fn)(void *ctx, const struct ledger_outbox *o);
/*
 * Rows with next_at <= now, oldest due first, at most limit.  They are all
 * read before the first callback, so a callback may write to the outbox.  A
 * row whose state this program cannot read (only a damaged ledger has one) is
 * logged and skipped; it stays in the table.
 */
int ledger_outbox_due(struct ledger *l, int64_t now, int limit, ledger_outbox_fn fn, void *ctx);
/* Deletes (delete) or reschedules (retry) outbox row id; an id no longer
 * stored changes nothing and is not an error. */
int ledger_outbox_delete(struct ledger *l, int64_t id);
int ledger_outbox_retry(struct ledger *l, int64_t id, int attempts, int64_t next_at,
			const char *error);
/* The earliest next_at into *next_at (INT64_MAX when the outbox is empty). */
int ledger_outbox_next(struct ledger *l, int64_t *next_at);
/* The number of rows in the outbox, or a negative errno. */
long ledger_outbox_count(struct ledger *l);

/* Deletion reports.  add returns 1 when the report was new, 0 when
 * (agent, report_id) was stored before (a resend), or a negative errno. */
int ledger_deletion_add(struct ledger *l, const char *agent, const struct ledger_deletion *d,
			int64_t received_at);
/* Deletes up to limit of the oldest-stored reports whose last deletion is
 * before `before`; returns how many, or a negative errno.  A report among
 * them that is newer stays (and stops nothing). */
long ledger_deletion_prune(struct ledger *l, int64_t before, int limit);
typedef int (*ledger_deletion_fn)(void *ctx, const struct ledger_deletion *d);
/* Reports of agent/store whose [first, last] meets [from, to], oldest
 * first, at most limit. */
int ledger_deletion_range(struct ledger *l, const char *agent, const char *store, int64_t from,
			  int64_t to, int limit, ledger_deletion_fn fn, void *ctx);
/* The newest reports, at most limit, newest first; agent and store, when
 * not NULL, each keep only the reports of that agent or store name. */
int ledger_deletion_each(struct ledger *l, const char *agent, const char *store, int limit,
			 ledger_deletion_fn fn, void *ctx);

/* Detector state blobs: save replaces the blob of agent/store. */
int ledger_state_save(struct ledger *l, const char *agent, const char *store, uint32_t version,
		      const void *blob, size_t len, int64_t saved_at);
typedef int (*ledger_state_fn)(void *ctx, const char *agent, const char *store,
			       uint32_t version, const void *blob, size_t len);
/* Every saved blob, in no particular order; blob is valid during the call only. */
int ledger_state_each(struct ledger *l, ledger_state_fn fn, void *ctx);

#endif
