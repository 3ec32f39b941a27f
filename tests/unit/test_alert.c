/*
 * test_alert.c - the alert lifecycle and the outbox on crafted detector
 * events, with the real ledger and a real exec notifier on a real loop:
 * one alert per episode, ack, resolve, explain, repeats while firing and
 * unacknowledged, events refused by a full ledger applied later, and the
 * outbox's retries with backoff, its expiry and its at-least-once delivery
 * under a fake clock.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <unistd.h>

#include "collector/alerts/lifecycle.h"
#include "collector/config.h"
#include "collector/ledger/ledger.h"
#include "collector/notify/notify.h"
#include "collector/alerts/outbox.h"
#include "ledger_query.h"
#include "testutil.h"

static char dir[64];
static uv_loop_t loop;
static struct ledger led;
static struct outbox ob;
static struct alerts al;
static int64_t fake_now = 1800000000;

static int64_t fake_clock(void)
{
	return fake_now;
}

/* A notifier script: appends "STATE ID" to deliveries; fails while the file
 * "fail" holds a positive count (decremented per attempt). */
static const char script_text[] =
	"#!/bin/sh\n"
	"d=$(dirname \"$0\")\n"
	"n=$(cat \"$d/fail\" 2>/dev/null || echo 0)\n"
	"if [ \"$n\" -gt 0 ]; then echo $((n - 1)) >\"$d/fail\"; exit 1; fi\n"
	"cat >/dev/null\n"
	"echo \"$SHRINKWATCH_STATE $SHRINKWATCH_ALERT_ID\" >>\"$d/deliveries\"\n";

static void start_notifier(void)
{
	struct collector_config_hook hook = { notify_config_key, NULL };
	struct collector_config cfg;
	char path[256], conf[1024], err[1024] = "", script[256];

	tu_write(dir, "notify.sh", script_text, script, sizeof script);
	chmod(script, 0755);
	snprintf(conf, sizeof conf,
		 "[collector]\ndata_dir = %s\n[notify pager]\ntype = exec\ncommand = %s\n"
		 "min_severity = warning\n",
		 dir, script);
	tu_write(dir, "collector.conf", conf, path, sizeof path);
	notify_config_reset();
	if (collector_config_load(path, &cfg, &hook, 1, err, sizeof err) ||
	    notify_start(&loop, err, sizeof err))
		fail_msg("config: %s", err);
}

static int setup(void **state)
{
	char path[128];
	struct alert_config cfg;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	tu_mkdtemp(dir, sizeof dir);
	if (uv_loop_init(&loop))
		return -1;
	snprintf(path, sizeof path, "%s/ledger.db", dir);
	if (ledger_open(&led, path))
		return -1;
	start_notifier();
	outbox_init(&ob, NULL, &led, 3600);
	ob.clock = fake_clock;
	alert_config_default(&cfg);
	cfg.repeat_interval = 600;
	alert_init(&al, NULL, &led, NULL, NULL, &ob, &cfg);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	alert_stop(&al);
	outbox_stop(&ob);
	notify_stop();
	uv_run(&loop, UV_RUN_DEFAULT);
	ledger_close(&led);
	if (uv_loop_close(&loop))
		return -1;
	tu_rmrf(dir);
	return 0;
}

static struct detect_event event(unsigned kind, unsigned transition, uint32_t episode,
				 double lost_bytes)
{
	struct detect_event e;

	memset(&e, 0, sizeof e);
	e.time = fake_now;
	e.since = fake_now - 60;
	e.episode = episode;
	e.kind = (uint8_t)kind;
	e.state = (uint8_t)transition;
	e.resolution = transition == DETECT_RESOLVED ? DETECT_RES_QUIET : DETECT_RES_NONE;
	e.lost_bytes = lost_bytes;
	e.lost_objects = 3;
	snprintf(e.summary, sizeof e.summary, "%s: %.0f bytes lost", detect_kind_name(kind),
		 lost_bytes);
	return e;
}

static long count(const char *sql)
{
	return lq_count(led.db, sql);
}

/* Runs the outbox at fake_now and the loop until no attempt is in flight. */
static int deliver(void)
{
	int started = outbox_run(&ob, fake_now);

	while (ob.inflight)
		uv_run(&loop, UV_RUN_ONCE);
	return started;
}

static int deliveries(void)
{
	char path[128], line[128];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/deliveries", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		n++;
	fclose(f);
	return n;
}

static bool has_delivery(const char *want)
{
	char path[128], line[128];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "%s/deliveries", dir);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof line, f))
		found = !strncmp(line, want, strlen(want)) && line[strlen(want)] == '\n';
	if (f)
		fclose(f);
	return found;
}

static void test_one_alert_per_episode(void **state)
{
	struct detect_event e = event(DETECT_DROP, DETECT_FIRING, 1, 1000);
	struct ledger_alert a;
	(void)state;

	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), 0);
	e = event(DETECT_DROP, DETECT_UPDATED, 1, 5000);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now + 1), 0);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now + 2), 0);
	assert_int_equal(count("SELECT count(*) FROM alerts"), 1);
	assert_int_equal(ledger_alert_find(&led, "evsrv01", "bodycam", "drop", 1, &a), 0);
	assert_int_equal(a.state, ALERT_FIRING);
	assert_string_equal(a.severity, "critical");
	assert_true(a.lost_bytes == 5000);
	assert_int_equal(count("SELECT count(*) FROM alert_events WHERE state='updated'"), 2);
	/* firing: one audit row, one notification; updates notify nobody */
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action='alert-fired'"), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE state='firing'"), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox"), 1);
	/* a new episode is a new alert; a leak is a warning */
	e = event(DETECT_LEAK, DETECT_FIRING, 2, 10);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), 0);
	assert_int_equal(ledger_alert_find(&led, "evsrv01", "bodycam", "leak", 2, &a), 0);
	assert_string_equal(a.severity, "warning");
	assert_int_equal(deliver(), 2);
	assert_int_equal(deliveries(), 2);
	assert_int_equal(count("SELECT count(*) FROM outbox"), 0);
}

static void test_ack_resolve_explain(void **state)
{
	struct detect_event e = event(DETECT_VANISHED, DETECT_FIRING, 3, 1e6);
	struct ledger_alert a, b;
	struct ledger_explain x;
	char err[256];
	(void)state;

	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), 0);
	assert_int_equal(ledger_alert_find(&led, "evsrv01", "bodycam", "vanished", 3, &a), 0);
	assert_int_equal(alert_ack(&al, a.id, "alice", "checking the mount", fake_now + 5, err,
				   sizeof err), 0);
	assert_int_equal(alert_ack(&al, a.id, "bob", "me too", fake_now + 6, err, sizeof err),
			 -EALREADY);
	assert_int_equal(alert_ack(&al, 9999, "bob", "x", fake_now, err, sizeof err), -ENOENT);
	assert_int_equal(ledger_alert_get(&led, a.id, &b), 0);
	assert_int_equal(b.state, ALERT_ACKNOWLEDGED);
	assert_string_equal(b.ack_by, "alice");
	assert_string_equal(b.ack_comment, "checking the mount");
	assert_int_equal(b.ack_at, fake_now + 5);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action='ack' AND who='alice'"), 1);
	/* the condition clears */
	e = event(DETECT_VANISHED, DETECT_RESOLVED, 3, 1e6);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now + 10), 0);
	assert_int_equal(ledger_alert_get(&led, a.id, &b), 0);
	assert_int_equal(b.state, ALERT_RESOLVED);
	assert_int_equal(b.closed_at, fake_now);
	assert_int_equal(alert_ack(&al, a.id, "bob", "late", fake_now + 20, err, sizeof err),
			 -ESTALE);
	/* transitions notified: firing, acknowledged, resolved */
	assert_int_equal(count("SELECT count(*) FROM outbox"), 3);
	assert_int_equal(count("SELECT count(*) FROM alert_events WHERE alert_id=1"), 3);

	/* a detector resolution by a declared deletion: explained */
	e = event(DETECT_DROP, DETECT_FIRING, 4, 100);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), 0);
	memset(&x, 0, sizeof x);
	snprintf(x.agent, sizeof x.agent, "evsrv01");
	snprintf(x.store, sizeof x.store, "bodycam");
	x.start = fake_now - 100;
	x.end = fake_now + 100;
	x.bytes = x.objects = -1;
	snprintf(x.reason, sizeof x.reason, "planned");
	snprintf(x.who, sizeof x.who, "root");
	assert_int_equal(ledger_explain_insert(&led, &x), 0);
	e = event(DETECT_DROP, DETECT_RESOLVED, 4, 100);
	e.resolution = DETECT_RES_EXPLAINED;
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, x.id, fake_now + 1), 0);
	assert_int_equal(ledger_alert_find(&led, "evsrv01", "bodycam", "drop", 4, &b), 0);
	assert_int_equal(b.state, ALERT_EXPLAINED);
	assert_int_equal(b.explanation_id, x.id);
	/* the detector catching up on a closed alert changes nothing */
	e = event(DETECT_DROP, DETECT_UPDATED, 4, 999);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now + 2), 0);
	assert_int_equal(ledger_alert_get(&led, b.id, &a), 0);
	assert_int_equal(a.state, ALERT_EXPLAINED);
	assert_true(a.lost_bytes == 100);
}

static void test_repeats(void **state)
{
	struct detect_event e = event(DETECT_DROP, DETECT_FIRING, 1, 1000);
	struct ledger_alert a;
	char err[128];
	(void)state;

	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), 0);
	e = event(DETECT_SILENCE, DETECT_FIRING, 2, 0);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), 0);
	alert_tick(&al, fake_now + 599);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE state='repeated'"), 0);
	alert_tick(&al, fake_now + 600);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE state='repeated'"), 2);
	alert_tick(&al, fake_now + 900); /* not again before another interval */
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE state='repeated'"), 2);
	/* acknowledged: no more repeats */
	assert_int_equal(ledger_alert_find(&led, "evsrv01", "bodycam", "drop", 1, &a), 0);
	assert_int_equal(alert_ack(&al, a.id, "root", "mine", fake_now + 901, err, sizeof err), 0);
	alert_tick(&al, fake_now + 1200);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE state='repeated'"), 3);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE state='repeated' AND "
			       "alert_id=1"), 1);
	/* the repeats reach the notifier */
	fake_now += 1200;
	assert_int_equal(deliver(), 6);
	fake_now -= 1200;
	assert_int_equal(count("SELECT count(*) FROM outbox"), 0);
	assert_int_equal(deliveries(), 6);
}

static void test_full_ledger_retried(void **state)
{
	struct detect_event e = event(DETECT_DROP, DETECT_FIRING, 9, 1000);
	char big[LEDGER_TEXT_MAX];
	int i, err = 0;
	(void)state;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sqlite3_exec(led.db, "PRAGMA max_page_count = 40", NULL, NULL, NULL);
	for (i = 0; i < 10000 && !err; i++)
		err = ledger_audit_add(&led, i, "test", "fill", "t", big);
	assert_int_equal(err, -ENOSPC);
	/* fill the last page's corners too: no audit row fits any more */
	for (err = 0; i < 20000 && !err; i++)
		err = ledger_audit_add(&led, i, "", "", "", "");
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), -ENOSPC);
	assert_int_equal(count("SELECT count(*) FROM alerts"), 0);
	assert_int_equal(al.nretry, 1);
	assert_true(alert_pending(&al, "evsrv01", "bodycam"));
	assert_false(alert_pending(&al, "evsrv01", "other"));
	/* the local notifier hears of it at once, without an alert id (not yet
	 * recorded), and only once however often it is retried */
	assert_true(al.retry[0].told);
	for (int spins = 0; spins < 2000 && deliveries() < 1; spins++)
		uv_run(&loop, UV_RUN_NOWAIT), usleep(1000);
	assert_int_equal(deliveries(), 1);
	assert_true(has_delivery("firing 0"));
	alert_tick(&al, fake_now + 2); /* still full: kept, tried again after a backoff */
	assert_int_equal(al.nretry, 1);
	assert_true(al.retry_failures >= 1);
	sqlite3_exec(led.db, "PRAGMA max_page_count = 1000000", NULL, NULL, NULL);
	alert_tick(&al, fake_now + 100);
	assert_int_equal(al.nretry, 0);
	assert_false(alert_pending(&al, "evsrv01", "bodycam"));
	assert_int_equal(count("SELECT count(*) FROM alerts WHERE state='firing'"), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox"), 1);
	/* then notified as recorded, with its id */
	fake_now += 100;
	assert_int_equal(deliver(), 1);
	fake_now -= 100;
	assert_true(has_delivery("firing 1"));
	assert_int_equal(deliveries(), 2);
}

static void set_failures(int n)
{
	char path[128], text[16];

	snprintf(text, sizeof text, "%d\n", n);
	tu_write(dir, "fail", text, path, sizeof path);
}

static void test_outbox_backoff_and_retry(void **state)
{
	struct detect_event e = event(DETECT_DROP, DETECT_FIRING, 1, 1000);
	int64_t next, t0 = fake_now;
	(void)state;

	for (int k = 1; k <= 12; k++) {
		int64_t d = outbox_backoff(k), base = 5;

		for (int j = 1; j < k; j++)
			base = base * 2 > 600 ? 600 : base * 2;
		assert_true(d >= base && d <= base + base / 4);
	}
	set_failures(2);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), 0);
	assert_int_equal(deliver(), 1); /* attempt 1 fails */
	assert_int_equal(count("SELECT attempts FROM outbox"), 1);
	assert_int_equal(ledger_outbox_next(&led, &next), 0);
	assert_true(next >= t0 + 5 && next <= t0 + 6);
	assert_int_equal(deliver(), 0); /* not due yet */
	fake_now = next;
	assert_int_equal(deliver(), 1); /* attempt 2 fails */
	assert_int_equal(ledger_outbox_next(&led, &next), 0);
	assert_true(next >= fake_now + 10 && next <= fake_now + 12);
	assert_int_equal(deliveries(), 0);
	fake_now = next;
	assert_int_equal(deliver(), 1); /* attempt 3 delivers */
	assert_int_equal(deliveries(), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox"), 0);
	assert_int_equal(ob.stats.retried, 2);
	assert_int_equal(ob.stats.delivered, 1);
	fake_now = t0;
}

static void test_outbox_expiry(void **state)
{
	struct detect_event e = event(DETECT_DROP, DETECT_FIRING, 1, 1000);
	int64_t next, t0 = fake_now;
	int attempts = 0;
	(void)state;

	set_failures(1000000);
	ob.expiry = 120;
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), 0);
	while (count("SELECT count(*) FROM outbox") > 0 && attempts < 50) {
		attempts += deliver();
		if (ledger_outbox_next(&led, &next) || next == INT64_MAX)
			break;
		fake_now = next;
	}
	/* 5+10+20+40 s of backoff fit in 120 s; the next one would not */
	assert_int_equal(count("SELECT count(*) FROM outbox"), 0);
	assert_true(attempts >= 4 && attempts <= 6);
	assert_int_equal(ob.stats.expired, 1);
	assert_int_equal(deliveries(), 0);
	ob.expiry = 3600;
	fake_now = t0;
}

/* A collector killed between delivery and deletion delivers again: the row
 * is still due after a reopen (at-least-once). */
static void test_outbox_survives_reopen(void **state)
{
	struct detect_event e = event(DETECT_DROP, DETECT_FIRING, 1, 1000);
	char path[128];
	(void)state;

	set_failures(1);
	assert_int_equal(alert_on_event(&al, "evsrv01", "bodycam", &e, 0, fake_now), 0);
	assert_int_equal(deliver(), 1); /* fails once */
	ledger_close(&led);
	snprintf(path, sizeof path, "%s/ledger.db", dir);
	assert_int_equal(ledger_open(&led, path), 0);
	assert_int_equal(count("SELECT count(*) FROM outbox"), 1);
	fake_now += 60;
	assert_int_equal(deliver(), 1);
	assert_int_equal(deliveries(), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox"), 0);
	fake_now -= 60;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_alert_per_episode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_resolve_explain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_ledger_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_backoff_and_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_survives_reopen, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
