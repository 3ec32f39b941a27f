/*
 * test_ledger.c - the SQLite ledger: the schema of docs/ledger.md (the
 * dashboard reads it), round trips of every table, transactions that fail as
 * a whole, a full disk reported as -ENOSPC without a crash, and a reopen that
 * keeps everything.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "collector/ledger/ledger.h"
#include "collector/ledger/read.h"
#include "ledger_query.h"
#include "testutil.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	tu_mkdtemp(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/ledger.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(dir);
	return 0;
}

static void sample_alert(struct ledger_alert *a, uint32_t episode)
{
	memset(a, 0, sizeof *a);
	snprintf(a->agent, sizeof a->agent, "evsrv01");
	snprintf(a->store, sizeof a->store, "bodycam");
	snprintf(a->kind, sizeof a->kind, "drop");
	a->episode = episode;
	snprintf(a->severity, sizeof a->severity, "critical");
	a->state = ALERT_FIRING;
	a->since = 1000;
	a->fired_at = 1010;
	a->updated_at = 1011;
	a->lost_bytes = 1.5e9;
	a->lost_objects = 12;
	a->expected_bytes = 10;
	a->observed_bytes = -1.5e9;
	a->have_expected = true; /* the writer stores the four numbers: they read back */
	snprintf(a->summary, sizeof a->summary, "drop: 1.4 GiB lost \"quoted\"");
}

/* The schema as docs/ledger.md fixes it: tables, columns, version, WAL. */
static void test_schema(void **state)
{
	static const char *const want[] = {
		"alerts:id,agent,store,kind,episode,severity,state,since,fired_at,updated_at,"
		"closed_at,lost_bytes,lost_objects,expected_bytes,observed_bytes,expected_objects,"
		"observed_objects,summary,ack_by,ack_at,ack_comment,explanation_id,last_notified_at,"
		"attribution",
		"alert_events:id,alert_id,time,state,detail",
		"explanations:id,agent,store,start,end,bytes,objects,reason,who,created_at,alert_id,"
		"revoked_at,revoked_by,revoke_reason,prefix",
		"audit:id,time,who,action,target,detail",
		"outbox:id,notifier,alert_id,state,payload,created_at,attempts,next_at,expires_at,"
		"last_error",
		"detector_state:agent,store,version,state,saved_at",
		"deletions:id,agent,report_id,store,first,last,files,dirs,dir,pid,uid,exe,"
		"received_at",
		"inventories:id,agent,store,alert_id,from_t,to_t,young_below,who,reason,"
		"requested_at,state,error,finished_at,matched,truncated,kept,journal_dropped",
		"inventory_items:id,inventory_id,dir,path,size,birth,removed_after,removed_before,"
		"pid,uid,exe,flags,ord,dir_items,dir_bytes",
	};
	struct ledger l;
	sqlite3 *db;
	sqlite3_stmt *s;
	char sql[128], cols[512];
	(void)state;

	assert_int_equal(ledger_open(&l, path), 0);
	ledger_close(&l);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *colon = strchr(want[i], ':');
		size_t tl = (size_t)(colon - want[i]);

		snprintf(sql, sizeof sql, "PRAGMA table_info(%.*s)", (int)tl, want[i]);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
		cols[0] = '\0';
		while (sqlite3_step(s) == SQLITE_ROW) {
			if (cols[0])
				strcat(cols, ",");
			strcat(cols, (const char *)sqlite3_column_text(s, 1));
		}
		sqlite3_finalize(s);
		assert_string_equal(cols, colon + 1);
	}
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 4);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* A version-3 ledger gets the explanations' prefix column; its declarations
 * read back without a prefix, and a new one keeps its prefix. */
static void test_explain_prefix_migrates(void **state)
{
	struct ledger l;
	struct ledger_explain e, got;
	sqlite3 *db;
	(void)state;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE explanations (id INTEGER PRIMARY KEY, agent "
				      "TEXT NOT NULL, store TEXT NOT NULL, start INTEGER NOT NULL, "
				      "end INTEGER NOT NULL, bytes INTEGER, objects INTEGER, reason "
				      "TEXT NOT NULL, who TEXT NOT NULL, created_at INTEGER NOT NULL, "
				      "alert_id INTEGER, revoked_at INTEGER, revoked_by TEXT, "
				      "revoke_reason TEXT);"
				      "INSERT INTO explanations (agent, store, start, end, reason, who, "
				      "created_at) VALUES ('a', 's', 1, 2, 'old', 'root', 1);"
				      "PRAGMA user_version = 3;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ledger_open(&l, path), 0);
	assert_int_equal(ledger_explain_get(&l, 1, &got), 0);
	assert_string_equal(got.reason, "old");
	assert_string_equal(got.prefix, "");
	memset(&e, 0, sizeof e);
	snprintf(e.agent, sizeof e.agent, "a");
	snprintf(e.store, sizeof e.store, "s");
	e.start = 10;
	e.end = 20;
	e.bytes = e.objects = -1;
	snprintf(e.reason, sizeof e.reason, "case closed");
	snprintf(e.who, sizeof e.who, "root");
	snprintf(e.prefix, sizeof e.prefix, "2021/case4411/");
	assert_int_equal(ledger_explain_insert(&l, &e), 0);
	assert_int_equal(ledger_explain_get(&l, e.id, &got), 0);
	assert_string_equal(got.prefix, "2021/case4411/");
	assert_true(got.bytes == -1 && got.objects == -1);
	ledger_close(&l);
}

static int count_alerts(void *ctx, const struct ledger_alert *a)
{
	(void)a;
	(*(int *)ctx)++;
	return 0;
}

static void test_alert_round_trip(void **state)
{
	struct ledger l;
	struct ledger_alert a, b;
	int n = 0;
	(void)state;

	assert_int_equal(ledger_open(&l, path), 0);
	sample_alert(&a, 1);
	assert_int_equal(ledger_alert_insert(&l, &a), 0);
	assert_true(a.id > 0);
	assert_int_equal(ledger_alert_get(&l, a.id, &b), 0);
	assert_memory_equal(&a, &b, sizeof a);
	/* one alert per (agent, store, kind, episode) */
	sample_alert(&b, 1);
	assert_int_equal(ledger_alert_insert(&l, &b), -EEXIST);
	assert_int_equal(ledger_alert_find(&l, "evsrv01", "bodycam", "drop", 1, &b), 0);
	assert_int_equal(b.id, a.id);
	assert_int_equal(ledger_alert_find(&l, "evsrv01", "bodycam", "drop", 2, &b), -ENOENT);
	/* acknowledged and closed fields come back */
	a.state = ALERT_ACKNOWLEDGED;
	snprintf(a.ack_by, sizeof a.ack_by, "alice");
	snprintf(a.ack_comment, sizeof a.ack_comment, "on it");
	a.ack_at = 2000;
	a.closed_at = 2100;
	a.explanation_id = 0;
	a.last_notified_at = 1500;
	assert_int_equal(ledger_alert_update(&l, &a), 0);
	ledger_close(&l);
	assert_int_equal(ledger_open(&l, path), 0); /* reopen: survives */
	assert_int_equal(ledger_alert_get(&l, a.id, &b), 0);
	assert_memory_equal(&a, &b, sizeof a);
	assert_int_equal(ledger_alert_each(&l, false, count_alerts, &n), 0);
	assert_int_equal(n, 0); /* closed */
	assert_int_equal(ledger_alert_each(&l, true, count_alerts, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ledger_alert_get(&l, 999, &b), -ENOENT);
	ledger_close(&l);
}

static int collect_ids(void *ctx, const struct ledger_alert *a)
{
	int64_t *ids = ctx;

	ids[++ids[0]] = a->id;
	return ids[0] == 7 ? 1 : 0;
}

/* One store's open alerts: not another store's, not another agent's (with
 * the same store name), not a closed one; in id order; the walk stops when
 * the callback says so. */
static void test_alert_each_open_of(void **state)
{
	struct ledger l;
	struct ledger_alert a;
	int64_t want[3], ids[8] = { 0 };
	(void)state;

	assert_int_equal(ledger_open(&l, path), 0);
	for (uint32_t ep = 1; ep <= 9; ep++) {
		sample_alert(&a, ep);
		if (ep % 3 == 1)
			snprintf(a.store, sizeof a.store, "other");
		if (ep % 3 == 2)
			snprintf(a.agent, sizeof a.agent, "evsrv02");
		if (ep == 9)
			a.closed_at = 2000;
		assert_int_equal(ledger_alert_insert(&l, &a), 0);
		if (ep % 3 == 0 && ep < 9)
			want[ep / 3 - 1] = a.id;
	}
	assert_int_equal(ledger_alert_each_open_of(&l, "evsrv01", "bodycam", collect_ids, ids), 0);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], want[0]);
	assert_int_equal(ids[2], want[1]);
	ids[0] = 0;
	assert_int_equal(ledger_alert_each_open_of(&l, "evsrv03", "bodycam", collect_ids, ids), 0);
	assert_int_equal(ids[0], 0);
	/* the walk stops at the callback's word and says so */
	for (uint32_t ep = 10; ep < 20; ep++) {
		sample_alert(&a, ep);
		assert_int_equal(ledger_alert_insert(&l, &a), 0);
	}
	ids[0] = 0;
	assert_int_equal(ledger_alert_each_open_of(&l, "evsrv01", "bodycam", collect_ids, ids), 1);
	assert_int_equal(ids[0], 7);
	ledger_close(&l);
}

static int first_explain(void *ctx, const struct ledger_explain *e)
{
	memcpy(ctx, e, sizeof *e);
	return 1; /* stop */
}

static void test_explanations(void **state)
{
	struct ledger l;
	struct ledger_explain e, got;
	(void)state;

	assert_int_equal(ledger_open(&l, path), 0);
	memset(&e, 0, sizeof e);
	snprintf(e.agent, sizeof e.agent, "evsrv01");
	snprintf(e.store, sizeof e.store, "bodycam");
	e.start = 100;
	e.end = 200;
	e.bytes = -1; /* unlimited: NULL */
	e.objects = 30;
	snprintf(e.reason, sizeof e.reason, "case 17");
	snprintf(e.who, sizeof e.who, "root");
	e.created_at = 90;
	assert_int_equal(ledger_explain_insert(&l, &e), 0);
	assert_int_equal(ledger_explain_get(&l, e.id, &got), 0);
	assert_memory_equal(&e, &got, sizeof e);
	/* active at 150, not at 201 */
	memset(&got, 0, sizeof got);
	assert_int_equal(ledger_explain_each(&l, 150, first_explain, &got), 1);
	assert_int_equal(got.id, e.id);
	memset(&got, 0, sizeof got);
	assert_int_equal(ledger_explain_each(&l, 201, first_explain, &got), 0);
	assert_int_equal(got.id, 0);
	assert_int_equal(ledger_explain_revoke(&l, e.id, 160, "bob", "wrong case"), 0);
	assert_int_equal(ledger_explain_revoke(&l, e.id, 161, "bob", "again"), -ENOENT);
	assert_int_equal(ledger_explain_get(&l, e.id, &got), 0);
	assert_int_equal(got.revoked_at, 160);
	assert_string_equal(got.revoked_by, "bob");
	assert_string_equal(got.revoke_reason, "wrong case");
	memset(&got, 0, sizeof got);
	assert_int_equal(ledger_explain_each(&l, 150, first_explain, &got), 0); /* revoked */
	ledger_close(&l);
}

struct rows {
	int n;
	int64_t ids[8];
	char payload[8][64];
	enum alert_state state[8];
	bool repeat[8];
};

static int collect_outbox(void *ctx, const struct ledger_outbox *o)
{
	struct rows *r = ctx;

	r->ids[r->n] = o->id;
	snprintf(r->payload[r->n], sizeof r->payload[0], "%s", o->payload);
	r->state[r->n] = o->state;
	r->repeat[r->n] = o->repeat;
	r->n++;
	return 0;
}

static void test_outbox_rows(void **state)
{
	struct ledger l;
	struct ledger_alert a;
	struct rows r = { 0 };
	int64_t next;
	(void)state;

	assert_int_equal(ledger_open(&l, path), 0);
	sample_alert(&a, 1);
	assert_int_equal(ledger_alert_insert(&l, &a), 0);
	assert_int_equal(ledger_outbox_next(&l, &next), 0);
	assert_true(next == INT64_MAX);
	assert_int_equal(ledger_outbox_add(&l, "am", a.id, ALERT_FIRING, false, "{\"a\":1}", 100,
					   100, 500),
			 0);
	assert_int_equal(ledger_outbox_add(&l, "hook", a.id, ALERT_FIRING, true, "{\"b\":2}", 100,
					   50, 500),
			 0);
	assert_int_equal(ledger_outbox_count(&l), 2);
	assert_int_equal(ledger_outbox_due(&l, 60, 10, collect_outbox, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.payload[0], "{\"b\":2}");
	/* a repeat is stored as the word its timeline uses, and read back as one */
	assert_int_equal(lq_count(l.db, "SELECT count(*) FROM outbox WHERE state = 'repeated'"), 1);
	assert_int_equal(r.state[0], ALERT_FIRING);
	assert_true(r.repeat[0]);
	assert_int_equal(ledger_outbox_retry(&l, r.ids[0], 1, 300, "HTTP 503"), 0);
	assert_int_equal(ledger_outbox_next(&l, &next), 0);
	assert_int_equal(next, 100);
	r.n = 0;
	assert_int_equal(ledger_outbox_due(&l, 300, 10, collect_outbox, &r), 0);
	assert_int_equal(r.n, 2); /* oldest next_at first */
	assert_string_equal(r.payload[0], "{\"a\":1}");
	assert_int_equal(r.state[0], ALERT_FIRING);
	assert_false(r.repeat[0]);
	assert_int_equal(ledger_outbox_delete(&l, r.ids[0]), 0);
	assert_int_equal(ledger_outbox_count(&l), 1);
	ledger_close(&l);
}

static int check_state(void *ctx, const char *agent, const char *store, uint32_t version,
		       const void *blob, size_t len)
{
	struct detect_state *want = ctx;

	assert_string_equal(agent, "evsrv01");
	assert_string_equal(store, "bodycam");
	assert_int_equal(version, DETECT_STATE_VERSION);
	assert_int_equal(len, sizeof *want);
	assert_memory_equal(blob, want, sizeof *want);
	want->version = 0xdead; /* mark: seen */
	return 0;
}

static void test_state_and_transactions(void **state)
{
	struct ledger l;
	struct detect_state st;
	struct ledger_alert a;
	int n = 0;
	(void)state;

	assert_int_equal(ledger_open(&l, path), 0);
	detect_state_init(&st);
	st.episode = 7;
	st.nsamples = 12345;
	assert_int_equal(ledger_state_save(&l, "evsrv01", "bodycam", DETECT_STATE_VERSION, &st,
					   sizeof st, 100), 0);
	st.nsamples++; /* replaces */
	assert_int_equal(ledger_state_save(&l, "evsrv01", "bodycam", DETECT_STATE_VERSION, &st,
					   sizeof st, 101), 0);
	assert_int_equal(ledger_state_each(&l, check_state, &st), 0);
	assert_int_equal(st.version, 0xdead);

	/* a failed write inside nested transactions undoes the whole group */
	assert_int_equal(ledger_begin(&l), 0);
	sample_alert(&a, 5);
	assert_int_equal(ledger_alert_insert(&l, &a), 0);
	assert_int_equal(ledger_begin(&l), 0);
	assert_int_equal(ledger_alert_insert(&l, &a), -EEXIST);
	assert_int_equal(ledger_commit(&l), 0); /* inner: joins the outer */
	assert_int_equal(ledger_commit(&l), -EEXIST); /* the write's own error */
	assert_int_equal(ledger_alert_each(&l, true, count_alerts, &n), 0);
	assert_int_equal(n, 0);
	/* so does a nested part that gives up: the outer commit rolls back */
	assert_int_equal(ledger_begin(&l), 0);
	assert_int_equal(ledger_alert_insert(&l, &a), 0);
	assert_int_equal(ledger_begin(&l), 0);
	ledger_rollback(&l);
	assert_int_equal(ledger_commit(&l), -ECANCELED);
	assert_int_equal(ledger_alert_each(&l, true, count_alerts, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ledger_commit(&l), -EINVAL); /* no transaction open */
	/* and a good group commits */
	assert_int_equal(ledger_begin(&l), 0);
	assert_int_equal(ledger_alert_insert(&l, &a), 0);
	assert_int_equal(ledger_audit_add(&l, 10, "collector", "alert-fired", "alert 1", "x"), 0);
	assert_int_equal(ledger_commit(&l), 0);
	assert_int_equal(ledger_alert_each(&l, true, count_alerts, &n), 0);
	assert_int_equal(n, 1);
	ledger_close(&l);
}

/* A full disk: SQLITE_FULL must come back as -ENOSPC, not a crash, and the
 * ledger must work again once there is room. */
static void test_full_disk(void **state)
{
	struct ledger l;
	char big[LEDGER_TEXT_MAX];
	int err = 0, i;
	(void)state;

	assert_int_equal(ledger_open(&l, path), 0);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	/* cap the file at its current size plus a few pages */
	assert_int_equal(sqlite3_exec(l.db, "PRAGMA max_page_count = 40", NULL, NULL, NULL),
			 SQLITE_OK);
	for (i = 0; i < 10000 && !err; i++)
		err = ledger_audit_add(&l, i, "collector", "test", "t", big);
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(sqlite3_exec(l.db, "PRAGMA max_page_count = 100000", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(ledger_audit_add(&l, i, "collector", "test", "t", big), 0);
	ledger_close(&l);
}

static int copy_event(void *ctx, const struct ledger_event *e)
{
	struct ledger_event *out = ctx;

	out[e->id - 1] = *e;
	return 0;
}

/* The writer and the dashboard's read-only API decode a row alike (one
 * codec), and the state and event names are stored as docs/ledger.md says. */
static void test_read_api_same_rows(void **state)
{
	static const struct {
		enum alert_event kind;
		const char *name;
	} kinds[] = {
		{ ALERT_EVENT_FIRING, "firing" },	  { ALERT_EVENT_UPDATED, "updated" },
		{ ALERT_EVENT_ATTRIBUTED, "attributed" }, { ALERT_EVENT_REPEATED, "repeated" },
		{ ALERT_EVENT_ACKNOWLEDGED, "acknowledged" }, { ALERT_EVENT_RESOLVED, "resolved" },
		{ ALERT_EVENT_EXPLAINED, "explained" },
	};
	struct ledger_event written[8], *ev = NULL;
	struct ledger_alert a, b, c, *list = NULL;
	struct ledgerview lv;
	char sql[128];
	struct ledger l;
	size_t n, i;
	(void)state;

	assert_int_equal(ledger_open(&l, path), 0);
	sample_alert(&a, 1);
	a.state = ALERT_ACKNOWLEDGED;
	snprintf(a.ack_by, sizeof a.ack_by, "alice");
	memset(a.ack_comment, 'c', sizeof a.ack_comment - 1); /* longer than any cut */
	a.ack_at = 1020;
	a.last_notified_at = 1015;
	assert_int_equal(ledger_alert_insert(&l, &a), 0);
	assert_int_equal(ledger_alert_set_attribution(&l, a.id, "rm by uid 0"), 0);
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		assert_int_equal(ledger_event_add(&l, a.id, 2000 + (int64_t)i, kinds[i].kind, "d"), 0);
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM alert_events WHERE state = '%s'",
			 kinds[i].name);
		assert_int_equal(lq_count(l.db, sql), 1);
	}
	assert_int_equal(lq_count(l.db, "SELECT count(*) FROM alerts WHERE state = 'acknowledged'"),
			 1);
	assert_int_equal(ledger_alert_get(&l, a.id, &b), 0);
	assert_string_equal(b.attribution, "rm by uid 0");
	assert_int_equal(ledger_event_each(&l, a.id, copy_event, written), 0);

	assert_int_equal(ledgerview_open(&lv, dir), 0);
	assert_true(ledgerview_is_open(&lv));
	assert_int_equal(ledgerview_alert(&lv, a.id, &c), 0);
	assert_memory_equal(&b, &c, sizeof b);
	assert_int_equal(ledgerview_alerts(&lv, NULL, NULL, true, 10, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(&b, &list[0], sizeof b);
	free(list);
	assert_int_equal(ledgerview_events(&lv, a.id, 10, &ev, &n), 0);
	assert_int_equal(n, sizeof kinds / sizeof kinds[0]);
	for (i = 0; i < n; i++) {
		assert_int_equal(ev[i].kind, kinds[i].kind);
		assert_memory_equal(&ev[i], &written[i], sizeof ev[i]);
	}
	free(ev);

	/* a state this program does not know: an error naming the row, no guess */
	assert_int_equal(sqlite3_exec(l.db, "UPDATE alerts SET state = 'snoozed'", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(ledger_alert_get(&l, a.id, &b), -EPROTO);
	assert_int_equal(ledgerview_alert(&lv, a.id, &c), -EPROTO);
	assert_non_null(strstr(lv.error, "unknown state 'snoozed'"));
	assert_int_equal(ledgerview_alerts(&lv, NULL, NULL, false, 10, &list, &n), -EPROTO);
	assert_null(list);
	assert_int_equal(n, 0);
	ledgerview_close(&lv);
	ledgerview_close(&lv); /* twice is harmless */
	assert_false(ledgerview_is_open(&lv));
	ledger_close(&l);
}

/* The names are the contract of docs/ledger.md; parse takes exactly them. */
static void test_state_names(void **state)
{
	enum alert_state s = ALERT_RESOLVED;
	enum alert_event e = ALERT_EVENT_UPDATED;
	(void)state;

	for (int i = 0; i < ALERT_STATE_COUNT; i++) {
		assert_int_equal(alert_state_parse(alert_state_name((enum alert_state)i), &s), 0);
		assert_int_equal(s, i);
	}
	for (int i = 0; i < ALERT_EVENT_COUNT; i++) {
		assert_int_equal(alert_event_parse(alert_event_name((enum alert_event)i), &e), 0);
		assert_int_equal(e, i);
	}
	assert_string_equal(alert_state_name(ALERT_EXPLAINED), "explained");
	assert_string_equal(alert_event_name(alert_event_entered(ALERT_FIRING)), "firing");
	assert_int_equal(alert_state_parse("repeated", &s), -EINVAL); /* not a state */
	assert_int_equal(alert_state_parse("Firing", &s), -EINVAL);
	assert_int_equal(alert_state_parse(NULL, &s), -EINVAL);
	assert_string_equal(alert_state_name(ALERT_STATE_COUNT), "?");
	assert_true(alert_state_closed(ALERT_RESOLVED) && alert_state_closed(ALERT_EXPLAINED));
	assert_false(alert_state_closed(ALERT_FIRING) || alert_state_closed(ALERT_ACKNOWLEDGED));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_prefix_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_api_same_rows, setup, teardown),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test_setup_teardown(test_alert_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_each_open_of, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explanations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_and_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
