/*
 * ledger.h - the collector's SQLite ledger (data_dir/ledger.db).
 *
 * Alerts, their timeline, declared deletions, the audit trail, the
 * notification outbox and the detector's saved state live here, in the schema
 * docs/ledger.md fixes (the dashboard reads it: a contract).  Only the event
 * loop thread writes, through prepared statements; callers group related
 * writes into one transaction with ledger_begin()/ledger_commit(), so an alert
 * transition, its audit row and its outbox rows are stored all or nothing.
 *
 * Errors are negative errnos: -ENOSPC for a full disk (SQLITE_FULL), -EBUSY
 * for a locked database, -EIO otherwise; the message is logged here once,
 * "ledger: ...", so callers only decide whether to retry.
 */
#ifndef SHRINKWATCH_COLLECTOR_LEDGER_H
#define SHRINKWATCH_COLLECTOR_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/detect.h"
#include "shrinkwatch/sample.h"

struct sqlite3;
struct sqlite3_stmt;

/* 2: deletion reports (deletions) and alerts.attribution */
#define LEDGER_USER_VERSION 2
#define LEDGER_TEXT_MAX 1024 /* reasons, comments, details */
#define LEDGER_WHO_MAX 64

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
	bool failed; /* a write inside the transaction failed: roll back at the end */
};

/* One row of the alerts table. */
struct ledger_alert {
	int64_t id;
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	char kind[24];
	uint32_t episode;
	char severity[12];
	char state[16];
	int64_t since, fired_at, updated_at, closed_at; /* closed_at 0 = open */
	double lost_bytes, lost_objects;
	double expected_bytes, observed_bytes, expected_objects, observed_objects;
	char summary[DETECT_SUMMARY_MAX];
	char ack_by[LEDGER_WHO_MAX];
	int64_t ack_at; /* 0 = not acknowledged */
	char ack_comment[LEDGER_TEXT_MAX];
	int64_t explanation_id; /* 0 = none */
	int64_t last_notified_at;
	/* Who deleted what in the alert's window, from the agents' deletion
	 * reports ("" = none known); written by ledger_alert_set_attribution()
	 * only, never by insert/update. */
	char attribution[LEDGER_TEXT_MAX];
};

/* One row of the deletions table: a deletion report as the agent sent it
 * (proto.h struct sw_deletion), stored once per (agent, report_id). */
struct ledger_deletion {
	int64_t id;
	char agent[SW_NAME_MAX + 1];
	uint64_t report_id;
	char store[SW_NAME_MAX + 1];
	int64_t first, last;
	uint64_t files, dirs;
	char dir[LEDGER_TEXT_MAX];
	uint32_t pid;
	int64_t uid; /* -1 = unknown */
	char exe[LEDGER_TEXT_MAX];
	int64_t received_at;
};

/* One row of the explanations table.  bytes/objects < 0 = unlimited (NULL). */
struct ledger_explain {
	int64_t id;
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	int64_t start, end;
	int64_t bytes, objects;
	char reason[LEDGER_TEXT_MAX];
	char who[LEDGER_WHO_MAX];
	int64_t created_at;
	int64_t alert_id;   /* 0 = filed ahead */
	int64_t revoked_at; /* 0 = active */
	char revoked_by[LEDGER_WHO_MAX];
	char revoke_reason[LEDGER_TEXT_MAX];
};

struct ledger_audit {
	int64_t id, time;
	char who[LEDGER_WHO_MAX];
	char action[32];
	char target[2 * SW_NAME_MAX + 32];
	char detail[LEDGER_TEXT_MAX];
};

struct ledger_event {
	int64_t id, alert_id, time;
	char state[16];
	char detail[LEDGER_TEXT_MAX];
};

/* One outbox row; payload is malloc'ed by ledger_outbox_due (freed by it
 * after the callback returns). */
struct ledger_outbox {
	int64_t id;
	char notifier[SW_NAME_MAX + 1];
	int64_t alert_id;
	char state[16];
	const char *payload;
	int64_t created_at;
	int attempts;
	int64_t next_at, expires_at;
};

/*
 * Opens (creating if needed) the ledger at path: WAL, the schema of
 * docs/ledger.md, foreign keys on, prepared statements.  0 or a negative
 * errno; -EPROTO when the file's user_version is newer than this program.
 */
int ledger_open(struct ledger *l, const char *path);
void ledger_close(struct ledger *l);

/*
 * Transactions.  Nested begin/commit pairs join the outermost one; if any
 * write inside failed, the outermost commit rolls everything back and
 * returns that error, so a caller can retry the whole group later.
 */
int ledger_begin(struct ledger *l);
int ledger_commit(struct ledger *l);
void ledger_rollback(struct ledger *l);

/* Alerts.  insert fills a->id. */
int ledger_alert_insert(struct ledger *l, struct ledger_alert *a);
int ledger_alert_update(struct ledger *l, const struct ledger_alert *a);
/* 0, or -ENOENT. */
int ledger_alert_get(struct ledger *l, int64_t id, struct ledger_alert *out);
int ledger_alert_find(struct ledger *l, const char *agent, const char *store, const char *kind,
		      uint32_t episode, struct ledger_alert *out);
typedef int (*ledger_alert_fn)(void *ctx, const struct ledger_alert *a);
/* Open alerts (closed_at NULL), or every alert newest first when all; the
 * callback's nonzero return stops the walk and is returned. */
int ledger_alert_each(struct ledger *l, bool all, ledger_alert_fn fn, void *ctx);
/* The open alerts of one store, through the (agent, store) index: the alert
 * board recounts a store on each of its alert events, and walking every open
 * alert there made a burst of events (thousands of stores catching up after
 * an outage) cost the square of their number. */
int ledger_alert_each_open_of(struct ledger *l, const char *agent, const char *store,
			      ledger_alert_fn fn, void *ctx);

int ledger_event_add(struct ledger *l, int64_t alert_id, int64_t time, const char *state,
		     const char *detail);
typedef int (*ledger_event_fn)(void *ctx, const struct ledger_event *e);
int ledger_event_each(struct ledger *l, int64_t alert_id, ledger_event_fn fn, void *ctx);

int ledger_audit_add(struct ledger *l, int64_t time, const char *who, const char *action,
		     const char *target, const char *detail);
typedef int (*ledger_audit_fn)(void *ctx, const struct ledger_audit *a);
/* Audit rows with time >= since, oldest first, at most limit. */
int ledger_audit_each(struct ledger *l, int64_t since, int limit, ledger_audit_fn fn, void *ctx);

/* Explanations.  insert fills e->id. */
int ledger_explain_insert(struct ledger *l, struct ledger_explain *e);
int ledger_explain_get(struct ledger *l, int64_t id, struct ledger_explain *out);
int ledger_explain_revoke(struct ledger *l, int64_t id, int64_t when, const char *who,
			  const char *reason);
typedef int (*ledger_explain_fn)(void *ctx, const struct ledger_explain *e);
/* All explanations (newest first), or only the active ones (not revoked,
 * end >= now; oldest first) when active_now is nonzero. */
int ledger_explain_each(struct ledger *l, int64_t active_now, ledger_explain_fn fn, void *ctx);

/* The outbox. */
int ledger_outbox_add(struct ledger *l, const char *notifier, int64_t alert_id,
		      const char *state, const char *payload, int64_t created_at,
		      int64_t next_at, int64_t expires_at);
typedef int (*ledger_outbox_fn)(void *ctx, const struct ledger_outbox *o);
/* Rows with next_at <= now, oldest first, at most limit. */
int ledger_outbox_due(struct ledger *l, int64_t now, int limit, ledger_outbox_fn fn, void *ctx);
int ledger_outbox_delete(struct ledger *l, int64_t id);
int ledger_outbox_retry(struct ledger *l, int64_t id, int attempts, int64_t next_at,
			const char *error);
/* The earliest next_at (INT64_MAX when empty). */
int ledger_outbox_next(struct ledger *l, int64_t *next_at);
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
/* The newest reports, optionally of one agent (and store), newest first. */
int ledger_deletion_each(struct ledger *l, const char *agent, const char *store, int limit,
			 ledger_deletion_fn fn, void *ctx);
/* Sets alert id's attribution text ("" clears it). */
int ledger_alert_set_attribution(struct ledger *l, int64_t id, const char *text);

/* Detector state blobs. */
int ledger_state_save(struct ledger *l, const char *agent, const char *store, uint32_t version,
		      const void *blob, size_t len, int64_t saved_at);
typedef int (*ledger_state_fn)(void *ctx, const char *agent, const char *store,
			       uint32_t version, const void *blob, size_t len);
int ledger_state_each(struct ledger *l, ledger_state_fn fn, void *ctx);

#endif
