/*
 * read.h - reading the alert ledger (docs/ledger.md) for the dashboard,
 * read-only.
 *
 * The collector's loop thread is the ledger's only writer (ledger.h); the
 * HTTP threads open their own read-only connection per request
 * (SQLITE_OPEN_READONLY; WAL readers never block the writer), so no
 * connection is shared between threads.  Rows come back as the structs of
 * rows.h, decoded by the same codec the writer uses, so the dashboard and the
 * collector cannot disagree on what a row says.  collector/http reads the
 * ledger through this API only.
 *
 * A missing ledger is normal (no alert yet): ledgerview_open() says -ENOENT
 * and the pages show "no alerts".  A ledger of another user_version is read
 * as far as its columns allow: an alerts column it lacks reads as NULL (an
 * older ledger's alerts have no attribution), and any other query it cannot
 * answer fails with -EPROTO.  Every failure leaves a sentence in lv->error
 * (SQLite's words where SQLite failed) so a page can say what it cannot show.
 */
#ifndef SHRINKWATCH_COLLECTOR_LEDGER_READ_H
#define SHRINKWATCH_COLLECTOR_LEDGER_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/ledger/rows.h"

#define LEDGERVIEW_VERSION LEDGER_USER_VERSION /* the user_version this reader knows */
#define LEDGERVIEW_MAX_ROWS 500

struct sqlite3;

struct ledgerview {
	struct sqlite3 *db;
	int user_version; /* of the file, read at open; 0 if it could not be read */
	char error[256];
	/* the select list of the alerts columns this file has (built on first
	 * use: an absent column is selected as NULL) */
	char alert_cols[512];
};

/*
 * Opens data_dir/ledger.db read-only.  Returns 0; -ENOENT if there is no
 * ledger (lv->error stays empty); or -EIO with a sentence in lv->error.
 * Call ledgerview_close() in every case.
 */
int ledgerview_open(struct ledgerview *lv, const char *data_dir);
/* Closes the connection; safe on a view that failed to open or was closed. */
void ledgerview_close(struct ledgerview *lv);
/* Whether lv has an open connection (ledgerview_open() returned 0). */
bool ledgerview_is_open(const struct ledgerview *lv);

/*
 * The queries below return 0, or: -ENOENT when lv is not open (or, for
 * ledgerview_alert(), there is no such alert); -EPROTO when this ledger
 * cannot answer the query (its schema, or a row with a state name this
 * program does not know); -EIO when SQLite failed while reading; -ENOMEM.
 * Except for -ENOENT, lv->error then says what went wrong.  The lists are
 * malloc'ed into *out (caller frees, also when *n is 0; NULL on failure),
 * with their count in *n.
 */

/* Alerts, open ones first, then newest fired first, at most max: of one store
 * (agent and store not NULL) or of all; open ones only (closed_at IS NULL) if
 * open_only. */
int ledgerview_alerts(struct ledgerview *lv, const char *agent, const char *store,
		      bool open_only, size_t max, struct ledger_alert **out, size_t *n);
/* One alert into *out. */
int ledgerview_alert(struct ledgerview *lv, int64_t id, struct ledger_alert *out);
/* Declared deletions, the latest start first, at most max (of one store, or
 * all). */
int ledgerview_explanations(struct ledgerview *lv, const char *agent, const char *store,
			    size_t max, struct ledger_explain **out, size_t *n);
/* The timeline of an alert, oldest first, at most max. */
int ledgerview_events(struct ledgerview *lv, int64_t alert_id, size_t max,
		      struct ledger_event **out, size_t *n);
/* Audit rows about target ("alert 12", "agent/store"), oldest first, at most
 * max. */
int ledgerview_audit(struct ledgerview *lv, const char *target, size_t max,
		     struct ledger_audit **out, size_t *n);
/* The number of rows in the notification outbox, into *rows (0 on failure). */
int ledgerview_outbox_rows(struct ledgerview *lv, int64_t *rows);

#endif
