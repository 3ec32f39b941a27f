/*
 * test_deletions.c - deletion reports on the collector: stored once per
 * (agent, report id), an alert's attribution names the processes that
 * deleted in its window (when it fires, and when reports come later), and a
 * ledger of schema version 1 is migrated without losing its alerts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "collector/alerts/lifecycle.h"
#include "collector/alerts/deletion_reports.h"
#include "collector/ledger/ledger.h"
#include "shrinkwatch/log.h"
#include "testutil.h"

static char path[256];
static struct ledger led;

static int setup(void **state)
{
	(void)state;
	log_force_stderr(true);
	log_set_level(LOG_ERR);
	tu_mkdtemp(tu_dir, sizeof tu_dir);
	snprintf(path, sizeof path, "%s/ledger.db", tu_dir);
	return ledger_open(&led, path);
}

static int teardown(void **state)
{
	(void)state;
	ledger_close(&led);
	tu_rmrf(tu_dir);
	return 0;
}

static struct sw_deletion report(uint64_t id, int64_t t, uint64_t files, uint32_t pid,
				 const char *exe, const char *dir)
{
	struct sw_deletion d;

	memset(&d, 0, sizeof d);
	d.id = id;
	snprintf(d.store, sizeof d.store, "bodycam");
	d.first = t;
	d.last = t + 1;
	d.files = files;
	d.dirs = 1;
	d.pid = pid;
	d.uid = 0;
	snprintf(d.exe, sizeof d.exe, "%s", exe);
	snprintf(d.dir, sizeof d.dir, "%s", dir);
	return d;
}

static int count_rows(void *ctx, const struct ledger_deletion *d)
{
	(void)d;
	(*(int *)ctx)++;
	return 0;
}

static void test_reports_stored_once(void **state)
{
	struct sw_deletion r[2] = { report(10, 1000, 300, 4312, "/usr/bin/rsync", "2023/08/"),
				    report(11, 1001, 112, 4312, "/usr/bin/rsync", "2023/08/") };
	struct deletions d;
	int rows = 0;
	(void)state;

	deletions_init(&d, &led, NULL, 0);
	assert_int_equal(deletions_store(&d, "evsrv01", r, 2, 2000), 0);
	/* a resend after a reconnect: known, acknowledged again, not stored twice */
	assert_int_equal(deletions_store(&d, "evsrv01", r, 2, 2001), 0);
	assert_int_equal(d.stored, 2);
	assert_int_equal(d.duplicates, 2);
	/* the same id from another agent is another report */
	assert_int_equal(deletions_store(&d, "evsrv02", r, 1, 2002), 0);
	assert_int_equal(ledger_deletion_each(&led, NULL, NULL, 100, count_rows, &rows), 0);
	assert_int_equal(rows, 3);
	rows = 0;
	assert_int_equal(ledger_deletion_each(&led, "evsrv01", "bodycam", 100, count_rows, &rows), 0);
	assert_int_equal(rows, 2);
}

/* Reports older than the keep period go, at most once an hour, the oldest
 * first; newer ones stay, and so does a newer report stored among old ones. */
static void test_old_reports_pruned(void **state)
{
	const int64_t day = 86400, now = 1000 * day;
	struct sw_deletion r[4] = { report(1, now - 500 * day, 5, 1, "/bin/rm", "a/"),
				    report(2, now - 10 * day, 5, 1, "/bin/rm", "b/"),
				    report(3, now - 450 * day, 5, 1, "/bin/rm", "c/"),
				    report(4, now - day, 5, 1, "/bin/rm", "d/") };
	struct deletions d;
	int rows = 0;
	(void)state;

	deletions_init(&d, &led, NULL, 0);
	assert_int_equal(deletions_store(&d, "evsrv01", r, 4, now - day), 0);
	assert_int_equal(d.pruned, 0); /* keep = 0: every report is kept */
	d.keep = 400 * day;
	deletions_prune(&d, now);
	assert_int_equal(d.pruned, 2);
	assert_int_equal(ledger_deletion_each(&led, "evsrv01", "bodycam", 10, count_rows, &rows), 0);
	assert_int_equal(rows, 2);
	/* within the hour nothing is pruned again, even with a shorter keep */
	d.keep = 5 * day;
	deletions_prune(&d, now + 60);
	assert_int_equal(d.pruned, 2);
	deletions_prune(&d, now + DELETIONS_PRUNE_EVERY);
	assert_int_equal(d.pruned, 3);
	rows = 0;
	assert_int_equal(ledger_deletion_each(&led, "evsrv01", "bodycam", 10, count_rows, &rows), 0);
	assert_int_equal(rows, 1);
}

static void test_attribution_text(void **state)
{
	struct sw_deletion r[4] = { report(1, 1000, 300, 4312, "/usr/bin/rsync", "2023/08/"),
				    report(2, 1001, 112, 4312, "/usr/bin/rsync", "2023/08/"),
				    report(3, 1002, 5, 77, "/bin/rm", "2023/09/"),
				    report(4, 9000, 9, 78, "/bin/rm", "2024/01/") };
	struct deletions d;
	char text[LEDGER_TEXT_MAX];
	(void)state;

	deletions_init(&d, &led, NULL, 0);
	assert_int_equal(deletions_store(&d, "evsrv01", r, 2, 2000), 0);
	/* one process: the scans' bytes go with it */
	assert_int_equal(deletions_attribution(&led, "evsrv01", "bodycam", 900, 1100,
					       37.2 * 1024 * 1024 * 1024, 412, text, sizeof text),
			 0);
	assert_string_equal(text, "412 files, 37.2 GiB deleted under 2023/08/ by pid 4312 "
				  "/usr/bin/rsync uid 0");
	assert_int_equal(deletions_store(&d, "evsrv01", r + 2, 2, 2000), 0);
	/* two processes, largest first; the report at 9000 is outside */
	assert_int_equal(deletions_attribution(&led, "evsrv01", "bodycam", 900, 1100, 2048, 0,
					       text, sizeof text),
			 0);
	assert_string_equal(text, "412 files deleted under 2023/08/ by pid 4312 /usr/bin/rsync "
				  "uid 0; 5 files deleted under 2023/09/ by pid 77 /bin/rm uid 0 "
				  "(2.0 KiB gone in all)");
	/* nothing reported in a window: no attribution */
	assert_int_equal(deletions_attribution(&led, "evsrv01", "bodycam", 3000, 4000, 1, 1, text,
					       sizeof text),
			 0);
	assert_string_equal(text, "");
	assert_int_equal(deletions_attribution(&led, "evsrv01", "other", 0, 99999, 1, 1, text,
					       sizeof text),
			 0);
	assert_string_equal(text, "");
}

/*
 * Reports that cover only part of a loss (the agent restarted and lost the
 * others, or another process went unseen) attribute only what they cover:
 * "40 of 65 files", the unreported rest named, and the scans' bytes given
 * for the whole loss, never as the reported process's.
 */
static void test_attribution_covers_part(void **state)
{
	struct sw_deletion r[2] = { report(1, 1000, 40, 4312, "/usr/bin/rsync", "2023/08/"),
				    report(2, 1001, 5, 77, "/bin/rm", "2023/09/") };
	struct deletions d;
	char text[LEDGER_TEXT_MAX];
	(void)state;

	deletions_init(&d, &led, NULL, 0);
	assert_int_equal(deletions_store(&d, "evsrv01", r, 1, 2000), 0);
	assert_int_equal(deletions_attribution(&led, "evsrv01", "bodycam", 900, 1100,
					       1.5 * 1024 * 1024, 65, text, sizeof text),
			 0);
	assert_string_equal(text, "40 of 65 files deleted under 2023/08/ by pid 4312 "
				  "/usr/bin/rsync uid 0; 25 of 65 files lost without a deletion "
				  "report (1.5 MiB gone in all)");
	/* two processes, still short of the loss */
	assert_int_equal(deletions_store(&d, "evsrv01", r + 1, 1, 2000), 0);
	assert_int_equal(deletions_attribution(&led, "evsrv01", "bodycam", 900, 1100,
					       1.5 * 1024 * 1024, 65, text, sizeof text),
			 0);
	assert_string_equal(text, "40 of 65 files deleted under 2023/08/ by pid 4312 "
				  "/usr/bin/rsync uid 0; 5 of 65 files deleted under 2023/09/ by "
				  "pid 77 /bin/rm uid 0; 20 of 65 files lost without a deletion "
				  "report (1.5 MiB gone in all)");
	/* reports of as many files as were lost cover it: the bytes go with them */
	assert_int_equal(deletions_attribution(&led, "evsrv01", "bodycam", 900, 1000,
					       800 * 1024, 40, text, sizeof text),
			 0);
	assert_string_equal(text, "40 files, 800.0 KiB deleted under 2023/08/ by pid 4312 "
				  "/usr/bin/rsync uid 0");
}

/* An alert fires: its row, its JSON (notifications, ctl) name who deleted;
 * a report arriving later for the open alert updates it. */
static void test_alert_attribution(void **state)
{
	struct sw_deletion r1 = report(1, 1700000000, 40, 4312, "/usr/bin/rsync", "2023/08/");
	struct sw_deletion r2 = report(2, 1700000003, 7, 99, "/bin/rm", "2023/09/");
	struct alert_config cfg;
	struct ledger_alert a;
	struct detect_event ev;
	struct deletions d;
	struct alerts al;
	struct buf json;
	(void)state;

	deletions_init(&d, &led, NULL, 0);
	assert_int_equal(deletions_store(&d, "evsrv01", &r1, 1, 1700000001), 0);
	alert_config_default(&cfg);
	alert_init(&al, NULL, &led, NULL, NULL, NULL, &cfg);
	memset(&ev, 0, sizeof ev);
	ev.time = 1700000010;
	ev.since = 1700000010;
	ev.kind = DETECT_DROP;
	ev.state = DETECT_FIRING;
	ev.episode = 1;
	ev.lost_bytes = 800 * 1024;
	ev.lost_objects = 40;
	snprintf(ev.summary, sizeof ev.summary, "drop firing");
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &ev, 0, 1700000011), 0);
	assert_int_equal(ledger_alert_find(&led, "evsrv01", "bodycam", "drop", 1, &a), 0);
	assert_string_equal(a.attribution, "40 files, 800.0 KiB deleted under 2023/08/ by pid "
					   "4312 /usr/bin/rsync uid 0");
	buf_init(&json, 1 << 16);
	assert_int_equal(alert_to_json(&json, &a, ALERT_JSON_ROW), 0);
	assert_int_equal(buf_append(&json, "", 1), 0);
	assert_non_null(strstr((char *)json.data, "\"attribution\":\"40 files, 800.0 KiB deleted"));
	buf_release(&json);
	/* a later report for the store of the open alert */
	assert_int_equal(deletions_store(&d, "evsrv01", &r2, 1, 1700000020), 0);
	assert_int_equal(ledger_alert_find(&led, "evsrv01", "bodycam", "drop", 1, &a), 0);
	assert_non_null(strstr(a.attribution, "7 files deleted under 2023/09/ by pid 99 /bin/rm"));
	assert_non_null(strstr(a.attribution, "40 files deleted under 2023/08/ by pid 4312"));
	alert_stop(&al);
}

/* A ledger from before deletion reports opens, keeps its alerts and gains
 * the new table and column. */
static void test_migration_from_v1(void **state)
{
	struct ledger_alert a;
	sqlite3 *db;
	int rows = 0;
	(void)state;

	ledger_close(&led);
	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE alerts (id INTEGER PRIMARY KEY, agent TEXT NOT NULL, store TEXT NOT NULL,"
		" kind TEXT NOT NULL, episode INTEGER NOT NULL, severity TEXT NOT NULL,"
		" state TEXT NOT NULL, since INTEGER NOT NULL, fired_at INTEGER NOT NULL,"
		" updated_at INTEGER NOT NULL, closed_at INTEGER, lost_bytes REAL NOT NULL DEFAULT 0,"
		" lost_objects REAL NOT NULL DEFAULT 0, expected_bytes REAL, observed_bytes REAL,"
		" expected_objects REAL, observed_objects REAL, summary TEXT NOT NULL, ack_by TEXT,"
		" ack_at INTEGER, ack_comment TEXT, explanation_id INTEGER, last_notified_at INTEGER,"
		" UNIQUE (agent, store, kind, episode));"
		"INSERT INTO alerts (agent, store, kind, episode, severity, state, since, fired_at,"
		" updated_at, summary) VALUES ('evsrv01', 'bodycam', 'drop', 1, 'critical', 'firing',"
		" 1, 2, 3, 'old alert');"
		"PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ledger_open(&led, path), 0);
	assert_int_equal(ledger_alert_find(&led, "evsrv01", "bodycam", "drop", 1, &a), 0);
	assert_string_equal(a.summary, "old alert");
	assert_string_equal(a.attribution, "");
	assert_int_equal(ledger_alert_set_attribution(&led, a.id, "by pid 1"), 0);
	assert_int_equal(ledger_alert_get(&led, a.id, &a), 0);
	assert_string_equal(a.attribution, "by pid 1");
	assert_int_equal(ledger_deletion_each(&led, NULL, NULL, 10, count_rows, &rows), 0);
	/* a second open finds version 2 and changes nothing */
	ledger_close(&led);
	assert_int_equal(ledger_open(&led, path), 0);
	assert_int_equal(ledger_alert_get(&led, a.id, &a), 0);
	assert_string_equal(a.attribution, "by pid 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reports_stored_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_reports_pruned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attribution_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_attribution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attribution_covers_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_v1, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
