/* read.c - read-only views of the alert ledger (see read.h). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "read.h"
#include "shrinkwatch/banned.h"

int ledgerview_open(struct ledgerview *lv, const char *data_dir)
{
	char path[4200];
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc;

	memset(lv, 0, sizeof *lv);
	if ((size_t)snprintf(path, sizeof path, "%s/ledger.db", data_dir) >= sizeof path) {
		snprintf(lv->error, sizeof lv->error, "ledger: the data_dir path is too long");
		return -EIO;
	}
	if (stat(path, &sb)) {
		if (errno == ENOENT)
			return -ENOENT;
		snprintf(lv->error, sizeof lv->error, "ledger: cannot open '%.120s': %s", path,
			 strerror(errno));
		return -EIO;
	}
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

bool ledgerview_is_open(const struct ledgerview *lv)
{
	return lv->db != NULL;
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

/* Decodes the current row of st into row; 0 or -EPROTO with a sentence in why. */
typedef int (*fill_fn)(void *row, sqlite3_stmt *st, char *why, size_t whylen);

/*
 * Runs a prepared statement and hands every row to fill in a growing array
 * of elements of size sz, at most max.  Finalizes st.
 */
static int collect(struct ledgerview *lv, sqlite3_stmt *st, size_t sz, size_t max,
		   fill_fn fill, void **out, size_t *n)
{
	char *v = NULL, why[160];
	size_t cap = 0;
	int rc = SQLITE_DONE, err = 0;

	*n = 0;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char *nv = realloc(v, ncap * sz);

			if (!nv) {
				snprintf(lv->error, sizeof lv->error, "ledger: out of memory");
				err = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		if ((err = fill(v + *n * sz, st, why, sizeof why))) {
			snprintf(lv->error, sizeof lv->error, "ledger: cannot show it: %s", why);
			goto out;
		}
		(*n)++;
	}
	if (*n < max && rc != SQLITE_DONE) {
		snprintf(lv->error, sizeof lv->error, "ledger: read failed: %s",
			 sqlite3_errmsg(lv->db));
		err = rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	}
out:
	sqlite3_finalize(st);
	if (err) {
		free(v);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return err;
}

/* ?1 and ?2 of a "one store or all" query: NULL (all) unless agent is given. */
static void bind_store(sqlite3_stmt *st, const char *agent, const char *store)
{
	if (agent) {
		sqlite3_bind_text(st, 1, agent, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, store, -1, SQLITE_TRANSIENT);
	}
}

/*
 * The select list of the alert columns (codec.h) as this ledger has them:
 * a column its alerts table lacks (a ledger of another schema version, such
 * as a version 1 one without attribution) is selected as NULL, so the
 * alerts still list.  Built once per view.
 */
static int alert_cols(struct ledgerview *lv, const char **cols)
{
	bool have[LEDGER__AC_COUNT] = { false };
	sqlite3_stmt *st;
	size_t used = 0;
	int rc;

	*cols = lv->alert_cols;
	if (lv->alert_cols[0])
		return 0;
	if ((rc = prepare(lv, "PRAGMA table_info(alerts)", &st)))
		return rc;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);

		for (int i = 0; name && i < LEDGER__AC_COUNT; i++)
			if (!strcmp(name, ledger__alert_col_names[i]))
				have[i] = true;
	}
	sqlite3_finalize(st);
	for (int i = 0; i < LEDGER__AC_COUNT; i++) {
		int w = snprintf(lv->alert_cols + used, sizeof lv->alert_cols - used, "%s%s",
				 i ? ", " : "", have[i] ? ledger__alert_col_names[i] : "NULL");

		if (w < 0 || (size_t)w >= sizeof lv->alert_cols - used) {
			lv->alert_cols[0] = '\0';
			snprintf(lv->error, sizeof lv->error, "ledger: the alert columns do not fit");
			return -EPROTO;
		}
		used += (size_t)w;
	}
	return 0;
}

static int fill_alert(void *row, sqlite3_stmt *st, char *why, size_t whylen)
{
	return ledger__alert_decode(st, row, why, whylen);
}

int ledgerview_alerts(struct ledgerview *lv, const char *agent, const char *store,
		      bool open_only, size_t max, struct ledger_alert **out, size_t *n)
{
	char sql[1024];
	const char *cols;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = alert_cols(lv, &cols)))
		return rc;
	snprintf(sql, sizeof sql,
		 "SELECT %s FROM alerts"
		 " WHERE (?1 IS NULL OR (agent = ?1 AND store = ?2))"
		 "   AND (?3 = 0 OR closed_at IS NULL)"
		 " ORDER BY (closed_at IS NULL) DESC, fired_at DESC, id DESC LIMIT ?4",
		 cols);
	if ((rc = prepare(lv, sql, &st)))
		return rc;
	bind_store(st, agent, store);
	sqlite3_bind_int(st, 3, open_only);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
	return collect(lv, st, sizeof **out, max, fill_alert, (void **)out, n);
}

int ledgerview_alert(struct ledgerview *lv, int64_t id, struct ledger_alert *out)
{
	struct ledger_alert *v = NULL;
	char sql[640];
	const char *cols;
	sqlite3_stmt *st;
	size_t n;
	int rc;

	if ((rc = alert_cols(lv, &cols)))
		return rc;
	snprintf(sql, sizeof sql, "SELECT %s FROM alerts WHERE id = ?1", cols);
	if ((rc = prepare(lv, sql, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = collect(lv, st, sizeof *v, 1, fill_alert, (void **)&v, &n);
	if (!rc && n == 0)
		rc = -ENOENT;
	if (!rc)
		*out = v[0];
	free(v);
	return rc;
}

static int fill_explanation(void *row, sqlite3_stmt *st, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	ledger__explain_decode(st, row);
	return 0;
}

int ledgerview_explanations(struct ledgerview *lv, const char *agent, const char *store,
			    size_t max, struct ledger_explain **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = prepare(lv,
		     "SELECT " LEDGER__EXPL_COLS " FROM explanations"
		     " WHERE (?1 IS NULL OR (agent = ?1 AND store = ?2))"
		     " ORDER BY start DESC, id DESC LIMIT ?3",
		     &st);
	if (rc)
		return rc;
	bind_store(st, agent, store);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	return collect(lv, st, sizeof **out, max, fill_explanation, (void **)out, n);
}

static int fill_event(void *row, sqlite3_stmt *st, char *why, size_t whylen)
{
	return ledger__event_decode(st, row, why, whylen);
}

int ledgerview_events(struct ledgerview *lv, int64_t alert_id, size_t max,
		      struct ledger_event **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = prepare(lv,
		     "SELECT " LEDGER__EVENT_COLS " FROM alert_events WHERE alert_id = ?1"
		     " ORDER BY time, id LIMIT ?2",
		     &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	return collect(lv, st, sizeof **out, max, fill_event, (void **)out, n);
}

static int fill_audit(void *row, sqlite3_stmt *st, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	ledger__audit_decode(st, row);
	return 0;
}

int ledgerview_audit(struct ledgerview *lv, const char *target, size_t max,
		     struct ledger_audit **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	rc = prepare(lv,
		     "SELECT " LEDGER__AUDIT_COLS " FROM audit WHERE target = ?1"
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
	if (sqlite3_step(st) == SQLITE_ROW) {
		*rows = sqlite3_column_int64(st, 0);
	} else {
		snprintf(lv->error, sizeof lv->error, "ledger: read failed: %s",
			 sqlite3_errmsg(lv->db));
		rc = -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}
