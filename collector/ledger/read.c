/* read.c - read-only views of the alert ledger (see read.h). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "read.h"
#include "shrinkwatch/banned.h"

int ledgerview_open(struct ledgerview *lv, const char *data_dir)
{
	char path[4200];
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc;

	memset(lv, 0, sizeof *lv);
	snprintf(path, sizeof path, "%s/ledger.db", data_dir);
	if (stat(path, &sb))
		return errno == ENOENT ? -ENOENT : -EIO;
	rc = sqlite3_open_v2(path, &lv->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(lv->error, sizeof lv->error, "ledger: cannot open '%.120s': %.100s",
			 path, lv->db ? sqlite3_errmsg(lv->db) : sqlite3_errstr(rc));
		ledgerview_close(lv);
		return -EIO;
	}
	sqlite3_busy_timeout(lv->db, 2000);
	if (sqlite3_prepare_v2(lv->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		lv->user_version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

void ledgerview_close(struct ledgerview *lv)
{
	if (lv->db)
		sqlite3_close(lv->db);
	lv->db = NULL;
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, outlen, "%s", t ? (const char *)t : "");
}

static int prepare(struct ledgerview *lv, const char *sql, sqlite3_stmt **st)
{
	if (!lv->db)
		return -ENOENT;
	if (sqlite3_prepare_v2(lv->db, sql, -1, st, NULL) != SQLITE_OK) {
		snprintf(lv->error, sizeof lv->error,
			 "ledger: cannot read it (schema version %d, this reader knows %d): %s",
			 lv->user_version, LEDGERVIEW_VERSION, sqlite3_errmsg(lv->db));
		return -EPROTO;
	}
	return 0;
}

/*
 * Runs a prepared statement and hands every row to fill(row, stmt) in a
 * growing array of elements of size sz, at most max.  Finalizes st.
 */
static int collect(struct ledgerview *lv, sqlite3_stmt *st, size_t sz, size_t max,
		   void (*fill)(void *row, sqlite3_stmt *st), void **out, size_t *n)
{
	char *v = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char *nv = realloc(v, ncap * sz);

			if (!nv) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		memset(v + *n * sz, 0, sz);
		fill(v + *n * sz, st);
		(*n)++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(lv->error, sizeof lv->error, "ledger: read failed: %s",
			 sqlite3_errmsg(lv->db));
		sqlite3_finalize(st);
		free(v);
		*n = 0;
		return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	}
	sqlite3_finalize(st);
	*out = v;
	return 0;
}

/* ?1 and ?2 of a "one store or all" query: NULL (all) unless agent is given. */
static void bind_store(sqlite3_stmt *st, const char *agent, const char *store)
{
	if (agent) {
		sqlite3_bind_text(st, 1, agent, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, store, -1, SQLITE_TRANSIENT);
	}
}

#define ALERT_COLS                                                                      \
	"id, agent, store, kind, severity, state, since, fired_at, updated_at, "         \
	"closed_at, lost_bytes, lost_objects, expected_bytes, observed_bytes, "          \
	"expected_objects, observed_objects, summary, ack_by, ack_at, ack_comment, "     \
	"explanation_id"

static void fill_alert(void *row, sqlite3_stmt *st)
{
	struct lv_alert *a = row;

	a->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, a->agent, sizeof a->agent);
	col_text(st, 2, a->store, sizeof a->store);
	col_text(st, 3, a->kind, sizeof a->kind);
	col_text(st, 4, a->severity, sizeof a->severity);
	col_text(st, 5, a->state, sizeof a->state);
	a->since = sqlite3_column_int64(st, 6);
	a->fired_at = sqlite3_column_int64(st, 7);
	a->updated_at = sqlite3_column_int64(st, 8);
	a->closed_at = sqlite3_column_int64(st, 9);
	a->lost_bytes = sqlite3_column_double(st, 10);
	a->lost_objects = sqlite3_column_double(st, 11);
	a->have_expected = sqlite3_column_type(st, 12) != SQLITE_NULL &&
			   sqlite3_column_type(st, 13) != SQLITE_NULL;
	a->expected_bytes = sqlite3_column_double(st, 12);
	a->observed_bytes = sqlite3_column_double(st, 13);
	a->expected_objects = sqlite3_column_double(st, 14);
	a->observed_objects = sqlite3_column_double(st, 15);
	col_text(st, 16, a->summary, sizeof a->summary);
	col_text(st, 17, a->ack_by, sizeof a->ack_by);
	a->ack_at = sqlite3_column_int64(st, 18);
	col_text(st, 19, a->ack_comment, sizeof a->ack_comment);
	a->explanation_id = sqlite3_column_int64(st, 20);
}

/* alerts.attribution (schema 2), read apart from ALERT_COLS so that an
 * older ledger still lists its alerts: a failed query leaves it empty. */
static void fill_attribution(struct ledgerview *lv, struct lv_alert *a, size_t n)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(lv->db, "SELECT attribution FROM alerts WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, a[i].id);
		if (sqlite3_step(st) == SQLITE_ROW)
			col_text(st, 0, a[i].attribution, sizeof a[i].attribution);
	}
	sqlite3_finalize(st);
}

int ledgerview_alerts(struct ledgerview *lv, const char *agent, const char *store,
		      bool open_only, size_t max, struct lv_alert **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = prepare(lv,
		     "SELECT " ALERT_COLS " FROM alerts"
		     " WHERE (?1 IS NULL OR (agent = ?1 AND store = ?2))"
		     "   AND (?3 = 0 OR closed_at IS NULL)"
		     " ORDER BY (closed_at IS NULL) DESC, fired_at DESC, id DESC LIMIT ?4",
		     &st);
	if (rc)
		return rc;
	bind_store(st, agent, store);
	sqlite3_bind_int(st, 3, open_only);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
	rc = collect(lv, st, sizeof **out, max, fill_alert, (void **)out, n);
	if (!rc)
		fill_attribution(lv, *out, *n);
	return rc;
}

int ledgerview_alert(struct ledgerview *lv, int64_t id, struct lv_alert *out)
{
	struct lv_alert *v = NULL;
	sqlite3_stmt *st;
	size_t n;
	int rc;

	rc = prepare(lv, "SELECT " ALERT_COLS " FROM alerts WHERE id = ?1", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = collect(lv, st, sizeof *v, 1, fill_alert, (void **)&v, &n);
	if (!rc && n == 0)
		rc = -ENOENT;
	if (!rc) {
		fill_attribution(lv, v, 1);
		*out = v[0];
	}
	free(v);
	return rc;
}

static void fill_explanation(void *row, sqlite3_stmt *st)
{
	struct lv_explanation *e = row;

	e->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, e->agent, sizeof e->agent);
	col_text(st, 2, e->store, sizeof e->store);
	e->start = sqlite3_column_int64(st, 3);
	e->end = sqlite3_column_int64(st, 4);
	e->bytes = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5);
	e->objects = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
								    sqlite3_column_int64(st, 6);
	col_text(st, 7, e->reason, sizeof e->reason);
	col_text(st, 8, e->who, sizeof e->who);
	e->created_at = sqlite3_column_int64(st, 9);
	e->alert_id = sqlite3_column_int64(st, 10);
	e->revoked_at = sqlite3_column_int64(st, 11);
	col_text(st, 12, e->revoked_by, sizeof e->revoked_by);
}

int ledgerview_explanations(struct ledgerview *lv, const char *agent, const char *store,
			    size_t max, struct lv_explanation **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = prepare(lv,
		     "SELECT id, agent, store, start, \"end\", bytes, objects, reason, who,"
		     " created_at, alert_id, revoked_at, revoked_by FROM explanations"
		     " WHERE (?1 IS NULL OR (agent = ?1 AND store = ?2))"
		     " ORDER BY start DESC, id DESC LIMIT ?3",
		     &st);
	if (rc)
		return rc;
	bind_store(st, agent, store);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	return collect(lv, st, sizeof **out, max, fill_explanation, (void **)out, n);
}

static void fill_event(void *row, sqlite3_stmt *st)
{
	struct lv_event *e = row;

	e->time = sqlite3_column_int64(st, 0);
	col_text(st, 1, e->state, sizeof e->state);
	col_text(st, 2, e->detail, sizeof e->detail);
}

int ledgerview_events(struct ledgerview *lv, int64_t alert_id, size_t max,
		      struct lv_event **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = prepare(lv,
		     "SELECT time, state, detail FROM alert_events WHERE alert_id = ?1"
		     " ORDER BY time, id LIMIT ?2",
		     &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	return collect(lv, st, sizeof **out, max, fill_event, (void **)out, n);
}

static void fill_audit(void *row, sqlite3_stmt *st)
{
	struct lv_audit *a = row;

	a->time = sqlite3_column_int64(st, 0);
	col_text(st, 1, a->who, sizeof a->who);
	col_text(st, 2, a->action, sizeof a->action);
	col_text(st, 3, a->target, sizeof a->target);
	col_text(st, 4, a->detail, sizeof a->detail);
}

int ledgerview_audit(struct ledgerview *lv, const char *target, size_t max,
		     struct lv_audit **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = prepare(lv,
		     "SELECT time, who, action, target, detail FROM audit WHERE target = ?1"
		     " ORDER BY time, id LIMIT ?2",
		     &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	return collect(lv, st, sizeof **out, max, fill_audit, (void **)out, n);
}

int ledgerview_outbox_rows(struct ledgerview *lv, int64_t *rows)
{
	sqlite3_stmt *st;
	int rc;

	*rows = 0;
	rc = prepare(lv, "SELECT count(*) FROM outbox", &st);
	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*rows = sqlite3_column_int64(st, 0);
	else
		rc = -EIO;
	sqlite3_finalize(st);
	return rc;
}
