/*
 * read.h - reading the alert ledger (docs/ledger.md) for the
 * dashboard, read-only.
 *
 * The collector's loop thread is the ledger's only writer; the HTTP threads
 * open their own read-only connection per request (SQLITE_OPEN_READONLY, WAL
 * readers never block the writer), so no connection is shared between
 * threads.  A missing ledger is normal (no alert yet): ledgerview_open()
 * says -ENOENT and the pages show "no alerts".  A ledger of another
 * user_version is read as far as its columns allow; a query that fails
 * returns -EPROTO with SQLite's words in lv->error so the page can say what
 * it cannot show.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_LEDGER_H
#define SHRINKWATCH_COLLECTOR_HTTP_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/sample.h"

#define LEDGERVIEW_VERSION 2 /* the user_version this reader was written for */
#define LEDGERVIEW_MAX_ROWS 500

struct sqlite3;

struct ledgerview {
	struct sqlite3 *db;
	int user_version;
	char error[256];
};

struct lv_alert {
	int64_t id;
	char agent[SW_NAME_MAX + 1], store[SW_NAME_MAX + 1];
	char kind[24], severity[16], state[16];
	int64_t since, fired_at, updated_at, closed_at; /* closed_at 0: open */
	double lost_bytes, lost_objects;
	double expected_bytes, observed_bytes, expected_objects, observed_objects;
	bool have_expected; /* expected/observed columns not NULL */
	char summary[512];
	char ack_by[64], ack_comment[256];
	int64_t ack_at, explanation_id;
	/* who deleted, from the agents' deletion reports (schema 2; "" when
	 * none or the ledger is older) */
	char attribution[512];
};

struct lv_explanation {
	int64_t id;
	char agent[SW_NAME_MAX + 1], store[SW_NAME_MAX + 1];
	int64_t start, end, created_at, alert_id, revoked_at;
	int64_t bytes, objects; /* -1: unlimited */
	char reason[512], who[64], revoked_by[64];
};

struct lv_event {
	int64_t time;
	char state[24], detail[512];
};

struct lv_audit {
	int64_t time;
	char who[64], action[32], target[96], detail[512];
};

/* Opens data_dir/ledger.db read-only.  0, -ENOENT if there is none, or
 * -EIO with a message in lv->error. */
int ledgerview_open(struct ledgerview *lv, const char *data_dir);
void ledgerview_close(struct ledgerview *lv);

/*
 * Alerts, newest first, at most max: of one store (agent and store not NULL)
 * or all; open ones only (closed_at IS NULL) if open_only.  *out is malloc'ed
 * (caller frees), *n the count.  0 or a negative errno.
 */
int ledgerview_alerts(struct ledgerview *lv, const char *agent, const char *store,
		      bool open_only, size_t max, struct lv_alert **out, size_t *n);
/* One alert: 0, -ENOENT, or a negative errno. */
int ledgerview_alert(struct ledgerview *lv, int64_t id, struct lv_alert *out);
/* Declared deletions, newest first (of one store, or all). */
int ledgerview_explanations(struct ledgerview *lv, const char *agent, const char *store,
			    size_t max, struct lv_explanation **out, size_t *n);
/* The timeline of an alert, oldest first. */
int ledgerview_events(struct ledgerview *lv, int64_t alert_id, size_t max,
		      struct lv_event **out, size_t *n);
/* Audit rows about target ("alert 12", "agent/store"), oldest first. */
int ledgerview_audit(struct ledgerview *lv, const char *target, size_t max,
		     struct lv_audit **out, size_t *n);
/* Rows in the notification outbox. */
int ledgerview_outbox_rows(struct ledgerview *lv, int64_t *rows);

#endif
