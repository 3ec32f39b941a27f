/* test_http_metrics.c - the Prometheus text of /metrics (collector/http/metrics.c)
 * and the read-only ledger views behind pages and API (collector/ledger/read.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector/ledger/read.h"
#include "collector/http/metrics.h"
#include "collector/http/view.h"
#include "shrinkwatch/html.h"
#include "testutil.h"

static char *text(struct buf *b)
{
	assert_int_equal(buf_append(b, "", 1), 0);
	b->len--;
	return (char *)b->data;
}

static void make_views(struct http_store_view v[2])
{
	memset(v, 0, 2 * sizeof *v);
	snprintf(v[0].e.agent, sizeof v[0].e.agent, "evsrv01");
	snprintf(v[0].e.store, sizeof v[0].e.store, "bodycam");
	v[0].e.have_last = true;
	v[0].e.last.time = 1700000000;
	v[0].e.last.bytes = 123456789;
	v[0].e.last.objects = 42;
	v[0].e.last.added_bytes = 1000;
	v[0].e.last.flags = SW_SAMPLE_HAS_ADDED;
	v[0].delta.have_removed = true;
	v[0].delta.removed_bytes = 5000;
	v[0].delta.removed_objects = 2;
	v[0].state = BOARD_ALERT;
	v[0].open_alerts = 1;
	/* a versioned bucket: its listing cost and what can be undone */
	v[0].e.listed = true;
	v[0].e.list_requests = 1234;
	v[0].e.last.flags |= SW_SAMPLE_LISTING | SW_SAMPLE_VERSIONED;
	v[0].e.last.noncurrent_objects = 70;
	v[0].e.last.noncurrent_bytes = 7000;
	v[0].e.last.delete_markers = 12;
	/* a store whose last scan was partial: totals unknown, so no sample */
	snprintf(v[1].e.agent, sizeof v[1].e.agent, "evsrv02");
	snprintf(v[1].e.store, sizeof v[1].e.store, "cases");
	v[1].e.have_last = true;
	v[1].e.last.time = 1700000100;
	v[1].e.last.status = SW_SCAN_PARTIAL;
	v[1].e.last.bytes = 99;
	v[1].state = BOARD_PARTIAL;
	/* listed too, but its last listing was partial: requests only */
	v[1].e.listed = true;
	v[1].e.list_requests = 5;
	v[1].e.last.flags |= SW_SAMPLE_LISTING;
}

static void test_exposition(void **state)
{
	struct http_store_view v[2];
	struct metrics_collector c;
	struct buf b;
	char *t, *line, *save = NULL, last_type[128] = "";
	(void)state;

	make_views(v);
	memset(&c, 0, sizeof c);
	c.stats.samples_received = 10;
	c.stats.samples_stored = 9;
	c.stats.write_usec_total = 1500000;
	c.stats.agents_connected = 1;
	c.stats.detector_rows_dropped = 7;
	c.agents_known = 2;
	c.outbox_rows = 3;
	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_write(&b, v, 2, &c), 0);
	t = text(&b);
	assert_non_null(strstr(t, "shrinkwatch_store_bytes{agent=\"evsrv01\",store=\"bodycam\"} "
				  "123456789\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_removed_bytes{agent=\"evsrv01\",store="
				  "\"bodycam\"} 5000\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_last_sample_timestamp_seconds{agent="
				  "\"evsrv02\",store=\"cases\"} 1700000100\n"));
	assert_null(strstr(t, "shrinkwatch_store_bytes{agent=\"evsrv02\""));
	assert_non_null(strstr(t, "shrinkwatch_store_scan_complete{agent=\"evsrv02\",store="
				  "\"cases\"} 0\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_state{agent=\"evsrv01\",store=\"bodycam\","
				  "state=\"alert\"} 1\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_state{agent=\"evsrv01\",store=\"bodycam\","
				  "state=\"ok\"} 0\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_state{agent=\"evsrv02\",store=\"cases\","
				  "state=\"partial\"} 1\n"));
	assert_non_null(strstr(t, "\nshrinkwatch_samples_received_total 10\n"));
	assert_non_null(strstr(t, "\nshrinkwatch_rrd_write_seconds_total 1.5\n"));
	assert_non_null(strstr(t, "\nshrinkwatch_notify_outbox_rows 3\n"));
	assert_non_null(strstr(t, "\nshrinkwatch_detector_rows_dropped_total 7\n"));
	assert_non_null(strstr(t, "# TYPE shrinkwatch_samples_received_total counter\n"));
	assert_non_null(strstr(t, "# TYPE shrinkwatch_store_list_requests_total counter\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_list_requests_total{agent=\"evsrv01\","
				  "store=\"bodycam\"} 1234\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_list_requests_total{agent=\"evsrv02\","
				  "store=\"cases\"} 5\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_delete_markers{agent=\"evsrv01\",store="
				  "\"bodycam\"} 12\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_noncurrent_objects{agent=\"evsrv01\","
				  "store=\"bodycam\"} 70\n"));
	assert_non_null(strstr(t, "shrinkwatch_store_noncurrent_bytes{agent=\"evsrv01\","
				  "store=\"bodycam\"} 7000\n"));
	assert_null(strstr(t, "shrinkwatch_store_delete_markers{agent=\"evsrv02\""));

	/* every sample belongs to the family announced by the last TYPE line,
	 * and counters (and only they) end in _total */
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (sscanf(line, "# TYPE %127s", name) == 1) {
			snprintf(last_type, sizeof last_type, "%s", name);
			assert_true((strstr(line, " counter") != NULL) ==
				    (strstr(name, "_total") != NULL));
			continue;
		}
		if (line[0] == '#')
			continue;
		if (strncmp(line, last_type, strlen(last_type)) ||
		    (line[strlen(last_type)] != '{' && line[strlen(last_type)] != ' '))
			fail_msg("sample '%s' outside its family '%s'", line, last_type);
	}
	buf_release(&b);

	/* without a ledger the outbox family is left out, not reported as 0 */
	c.outbox_rows = -1;
	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_write(&b, v, 2, &c), 0);
	assert_null(strstr(text(&b), "outbox"));
	buf_release(&b);
}

static void test_label_escaping(void **state)
{
	struct buf b;
	(void)state;

	buf_init(&b, 256);
	assert_int_equal(metrics_put_label(&b, "a\"b\\c\nd"), 0);
	assert_string_equal(text(&b), "a\\\"b\\\\c\\nd");
	buf_release(&b);
}

static void sql(const char *db, const char *script)
{
	char cmd[4096];

	snprintf(cmd, sizeof cmd, "sqlite3 '%s' \"%s\" >/dev/null", db, script);
	if (system(cmd) != 0)
		fail_msg("sqlite3 failed: %s", script);
}

static void test_ledger_absent_and_other_versions(void **state)
{
	char dir[64], db[128];
	struct ledgerview lv;
	struct ledger_alert *a = NULL;
	struct ledger_explain *e = NULL;
	struct http_store_view v[2];
	int64_t rows;
	size_t n;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	assert_int_equal(ledgerview_open(&lv, dir), -ENOENT);
	ledgerview_close(&lv);

	/* a later schema with an extra column still reads */
	snprintf(db, sizeof db, "%s/ledger.db", dir);
	sql(db, "PRAGMA user_version = 3;"
		"CREATE TABLE alerts (id INTEGER PRIMARY KEY, agent TEXT, store TEXT, kind TEXT,"
		" episode INT, severity TEXT, state TEXT, since INT, fired_at INT, updated_at INT,"
		" closed_at INT, lost_bytes REAL, lost_objects REAL, expected_bytes REAL,"
		" observed_bytes REAL, expected_objects REAL, observed_objects REAL, summary TEXT,"
		" ack_by TEXT, ack_at INT, ack_comment TEXT, explanation_id INT, new_col TEXT);"
		"INSERT INTO alerts (id, agent, store, kind, severity, state, since, fired_at,"
		" updated_at, lost_bytes, lost_objects, summary) VALUES (7, 'evsrv01', 'bodycam',"
		" 'drop', 'critical', 'firing', 1, 2, 3, 100, 1, 'gone');"
		"INSERT INTO alerts (id, agent, store, kind, severity, state, since, fired_at,"
		" updated_at, closed_at, lost_bytes, lost_objects, summary) VALUES (8, 'evsrv01',"
		" 'bodycam', 'leak', 'warning', 'resolved', 1, 1, 3, 4, 1, 1, 'old');"
		"CREATE TABLE explanations (id INTEGER PRIMARY KEY, agent TEXT);");
	assert_int_equal(ledgerview_open(&lv, dir), 0);
	assert_int_equal(lv.user_version, 3);
	assert_int_equal(ledgerview_alerts(&lv, NULL, NULL, true, 10, &a, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].id, 7);
	assert_false(a[0].have_expected);
	assert_int_equal(a[0].closed_at, 0);
	free(a);
	assert_int_equal(ledgerview_alerts(&lv, "evsrv01", "bodycam", false, 10, &a, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].id, 7); /* open first */

	/* open alerts from the ledger turn a store's state to alert */
	make_views(v);
	v[0].state = BOARD_OK;
	v[0].open_alerts = 0;
	http_view_merge_alerts(v, 2, a, n);
	assert_int_equal(v[0].state, BOARD_ALERT);
	assert_int_equal(v[0].open_alerts, 1);
	assert_string_equal(v[0].worst_kind, "drop");
	assert_int_equal(v[1].state, BOARD_PARTIAL);
	free(a);

	/* an older table without the columns: an error that says so, not a crash */
	assert_int_equal(ledgerview_explanations(&lv, NULL, NULL, 10, &e, &n), -EPROTO);
	assert_non_null(strstr(lv.error, "schema version 3"));
	assert_null(e);
	assert_int_equal(ledgerview_outbox_rows(&lv, &rows), -EPROTO);
	{
		struct ledger_alert one;

		assert_int_equal(ledgerview_alert(&lv, 99, &one), -ENOENT);
		assert_int_equal(ledgerview_alert(&lv, 8, &one), 0);
		assert_string_equal(one.summary, "old");
	}
	ledgerview_close(&lv);
	tu_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exposition),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_ledger_absent_and_other_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
