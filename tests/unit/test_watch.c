/*
 * test_watch.c - the live detector's bookkeeping with the real ledger and
 * lifecycle: detector state saved and restored across a restart, declared
 * deletions re-applied from the ledger (missing ones added, revoked ones
 * removed, as after a kill -9 between two saves), an old state version
 * learned afresh, the silence check over stores known only from the ledger,
 * and alerts from samples.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/alerts/lifecycle.h"
#include "collector/ledger/ledger.h"
#include "collector/alerts/watch.h"
#include "collector/store/registry.h"
#include "collector/store/rrdsample.h"
#include <rrd.h>
#include <sys/stat.h>
#include "ledger_query.h"
#include "testutil.h"

static char dir[64], path[128];
static struct ledger led;
static struct alerts al;
static struct watch w;
static struct detect_config_set cfg;
static const int64_t t0 = 1800000000;

static void start(void)
{
	const struct watch_deps deps = { .ledger = &led, .cfg = &cfg, .alerts = &al };

	assert_int_equal(ledger_open(&led, path), 0);
	alert_init(&al, NULL, &led, NULL, NULL, NULL, NULL);
	assert_int_equal(watch_init(&w, NULL, NULL, &deps), 0);
}

static void stop(void)
{
	watch_stop(&w); /* saves */
	alert_stop(&al);
	ledger_close(&led);
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	tu_mkdtemp(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/ledger.db", dir);
	detect_config_init(&cfg);
	/* a known interval and purge hour: no warm-up, silence after 3 x 60 s */
	if (detect_config_key(&cfg, "detect", "interval", "60s", err, sizeof err) != 1 ||
	    detect_config_key(&cfg, "detect", "purge_at", "03:00", err, sizeof err) != 1 ||
	    detect_config_key(&cfg, "detect", "purge_window", "1m", err, sizeof err) != 1)
		return -1;
	start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop();
	detect_config_release(&cfg);
	tu_rmrf(dir);
	return 0;
}

static void sample(const char *store, int64_t t, uint64_t objects, uint64_t bytes)
{
	struct sw_sample s;

	memset(&s, 0, sizeof s);
	s.time = t;
	s.objects = objects;
	s.bytes = bytes;
	s.flags = SW_SAMPLE_HAS_ADDED;
	watch_sample(&w, "evsrv01", store, &s, t);
}

static struct ledger_explain explanation(int64_t start, int64_t end)
{
	struct ledger_explain e;

	memset(&e, 0, sizeof e);
	snprintf(e.agent, sizeof e.agent, "evsrv01");
	snprintf(e.store, sizeof e.store, "bodycam");
	e.start = start;
	e.end = end;
	e.bytes = e.objects = -1;
	snprintf(e.reason, sizeof e.reason, "test");
	snprintf(e.who, sizeof e.who, "root");
	e.created_at = start;
	return e;
}

static bool has_explain(uint32_t id)
{
	struct watch_store *ws = watch_get(&w, "evsrv01", "bodycam", false);

	for (unsigned i = 0; ws && i < ws->st.nexplain; i++)
		if (ws->st.explain[i].id == id)
			return true;
	return false;
}

static void test_state_survives_restart(void **state)
{
	struct watch_store *ws;
	uint64_t n;
	(void)state;

	for (int i = 0; i < 10; i++)
		sample("bodycam", t0 + i * 60, 1000, 1000000);
	ws = watch_get(&w, "evsrv01", "bodycam", false);
	assert_non_null(ws);
	n = ws->st.nsamples;
	assert_int_equal(n, 10);
	stop();
	start();
	ws = watch_get(&w, "evsrv01", "bodycam", false);
	assert_non_null(ws); /* known from the ledger alone */
	assert_int_equal(ws->st.nsamples, n);
	assert_int_equal(ws->st.last_time, t0 + 9 * 60);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM detector_state"), 1);
}

static void test_explanations_resynced(void **state)
{
	struct ledger_explain a = explanation(t0, t0 + 86400), b = explanation(t0, t0 + 86400);
	struct watch_store *ws;
	(void)state;

	sample("bodycam", t0, 1000, 1000000);
	/* filed and applied, then revoked in the ledger only (a crash before the
	 * state was saved again) */
	assert_int_equal(ledger_explain_insert(&led, &a), 0);
	ws = watch_get(&w, "evsrv01", "bodycam", false);
	struct detect_explain d;
	struct detect_event ev;
	watch_explain_to_detect(&a, &d);
	assert_true(detect_explain_add(&ws->st, &d, &ev) >= 0);
	ws->dirty = true;
	assert_int_equal(watch_save(&w, t0), 0);
	assert_int_equal(ledger_explain_revoke(&led, a.id, t0 + 1, "root", "wrong"), 0);
	/* and one filed in the ledger that the saved state never saw */
	assert_int_equal(ledger_explain_insert(&led, &b), 0);
	stop();
	start();
	assert_false(has_explain((uint32_t)a.id));
	assert_true(has_explain((uint32_t)b.id));
}

static void test_old_state_version_learned_again(void **state)
{
	struct detect_state st;
	struct watch_store *ws;
	(void)state;

	detect_state_init(&st);
	st.nsamples = 77;
	assert_int_equal(ledger_state_save(&led, "evsrv02", "cctv", DETECT_STATE_VERSION + 1, &st,
					   sizeof st, t0), 0);
	stop();
	start();
	ws = watch_get(&w, "evsrv02", "cctv", false);
	assert_non_null(ws);
	assert_int_equal(ws->st.nsamples, 0);
}

static void test_alerts_from_samples_and_silence(void **state)
{
	(void)state;

	for (int i = 0; i < 5; i++)
		sample("bodycam", t0 + i * 60, 1000, 1000000000);
	/* a fifth of the store gone, confirmed by the next sample */
	sample("bodycam", t0 + 5 * 60, 800, 800000000);
	sample("bodycam", t0 + 6 * 60, 800, 800000000);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='drop' AND "
					  "state='firing' AND lost_objects=200"), 1);
	/* the agent goes quiet; after a restart the store is still watched, and
	 * its agent gets the silence period (3.5 intervals) from the restart */
	stop();
	start();
	watch_tick(&w, t0 + 6 * 60 + 10 * 60); /* the first tick after the restart */
	watch_tick(&w, t0 + 6 * 60 + 12 * 60);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='silence'"), 0);
	watch_tick(&w, t0 + 6 * 60 + 14 * 60);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='silence' AND "
					  "state='firing'"), 1);
	watch_tick(&w, t0 + 6 * 60 + 15 * 60); /* one alert per episode */
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='silence'"), 1);
	sample("bodycam", t0 + 22 * 60, 800, 800000000);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='silence' AND "
					  "state='resolved'"), 1);
}

/* A backlog (samples stamped hours ago, arriving now, as after a collector
 * outage) is not silence: the store is judged by when samples arrive. */
static void test_backlog_is_not_silence(void **state)
{
	struct sw_sample s;
	const int64_t now = t0 + 6 * 3600;
	(void)state;

	memset(&s, 0, sizeof s);
	s.objects = 1000;
	s.bytes = 1000000000;
	s.flags = SW_SAMPLE_HAS_ADDED;
	for (int i = 0; i < 60; i++) {
		s.time = t0 + i * 60;
		watch_sample(&w, "evsrv01", "bodycam", &s, now + i / 10);
		watch_tick(&w, now + i / 10);
	}
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='silence'"), 0);
	/* when the backlog stops arriving, silence follows in 3.5 intervals */
	watch_tick(&w, now + 5 + 3 * 60);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='silence'"), 0);
	watch_tick(&w, now + 5 + 4 * 60);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='silence' AND "
					  "state='firing'"), 1);
}

static int count_state(void *ctx, const char *agent, const char *store, uint32_t version,
		       const void *blob, size_t len)
{
	(void)agent;
	(void)store;
	(void)blob;
	if (version == DETECT_STATE_VERSION && len == sizeof(struct detect_state))
		(*(size_t *)ctx)++;
	return 0;
}

/* More dirty stores than one chunk: watch_save() writes them all, chunk by
 * chunk, and leaves none dirty. */
static void test_save_in_chunks(void **state)
{
	const size_t nstores = 2 * WATCH_SAVE_CHUNK + 37;
	char name[32];
	size_t saved = 0;
	(void)state;

	for (size_t i = 0; i < nstores; i++) {
		struct watch_store *ws;
		snprintf(name, sizeof name, "s%zu", i);
		ws = watch_get(&w, "evsrv09", name, true);
		assert_non_null(ws);
		ws->dirty = true;
	}
	assert_int_equal(watch_save(&w, t0), 0);
	assert_int_equal(ledger_state_each(&led, count_state, &saved), 0);
	assert_true(saved >= nstores);
	for (size_t i = 0; i < nstores; i++) {
		snprintf(name, sizeof name, "s%zu", i);
		assert_false(watch_get(&w, "evsrv09", name, false)->dirty);
	}
	assert_int_equal(w.save_pos, 0);
}

/*
 * A first start: the agent scans at start-up (here 10 s before a minute
 * boundary), then on the wall-clock boundary, then every 60 s as its HELLO
 * said.  With no interval configured the detector used to learn 10 s from
 * that first spacing and called the store silent 35 s later; it takes the
 * announced interval, so silence comes only after 3.5 minutes.
 */
static void test_first_start_uses_announced_interval(void **state)
{
	const struct watch_deps deps = { .ledger = &led, .cfg = &cfg, .alerts = &al };
	struct registry reg;
	struct agent_rec *a;
	struct store_rec *st;
	struct sw_sample s;
	const int64_t boundary = t0 - t0 % 60 + 60;
	(void)state;

	/* the configuration without an interval: the detector must not guess */
	stop();
	detect_config_release(&cfg);
	detect_config_init(&cfg);
	start();
	watch_stop(&w);
	registry_init(&reg);
	a = registry_agent(&reg, "evsrv01", 1);
	assert_non_null(a);
	st = registry_store(a, "bodycam", 1);
	assert_non_null(st);
	a->interval = 60; /* HELLO's */
	assert_int_equal(watch_init(&w, NULL, &reg, &deps), 0);
	memset(&s, 0, sizeof s);
	s.objects = 1000;
	s.bytes = 1000000000;
	s.flags = SW_SAMPLE_HAS_ADDED;
	s.time = boundary - 10;
	watch_observe(&w, a, st, &s);
	s.time = boundary;
	watch_observe(&w, a, st, &s);
	((struct watch_store *)st->user)->arrived = boundary;
	for (int64_t t = boundary; t <= boundary + 3 * 60; t += 5)
		watch_tick(&w, t);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='silence'"), 0);
	watch_tick(&w, boundary + 3 * 60 + 31);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='silence' AND "
					  "state='firing'"), 1);
	assert_int_equal(detect_interval(&((struct watch_store *)st->user)->st,
					 &((struct watch_store *)st->user)->p), 60);
	registry_release(&reg); /* teardown stops the watch, which frees its states */
}

/* A store RRD of evsrv01/bodycam at a 60 s step holding (t, objects) rows. */
static void write_store_rrd(const int64_t *t, const uint64_t *objects, int n)
{
	const char *argv[64];
	char storage[4096], rpath[256], line[128];
	int argc = rrdsample_layout(60, argv, 64, storage, sizeof storage);

	assert_true(argc > 0);
	snprintf(rpath, sizeof rpath, "%s/rrd", dir);
	mkdir(rpath, 0750);
	snprintf(rpath, sizeof rpath, "%s/rrd/evsrv01", dir);
	mkdir(rpath, 0750);
	assert_int_equal(rrdsample_path(dir, "evsrv01", "bodycam", rpath, sizeof rpath), 0);
	assert_int_equal(rrd_create_r2(rpath, 60, (time_t)(t[0] - 60), 1, NULL, NULL, argc, argv),
			 0);
	for (int i = 0; i < n; i++) {
		const char *up[1] = { line };

		snprintf(line, sizeof line, "%lld:%llu:%llu:0:0:1:2:3", (long long)t[i],
			 (unsigned long long)objects[i] * 1000000, (unsigned long long)objects[i]);
		assert_int_equal(rrd_updatex_r(rpath, NULL, 0, 1, up), 0);
	}
}

/*
 * After a restart the store RRD holds samples newer than the saved detector
 * state (a kill -9 between two saves, or a restart while the ledger could
 * not write): they are read back and judged before anything new, so the
 * drop among them is alerted.  The agent never sends them again: they were
 * stored.
 */
static void test_restart_judges_stored_samples_the_state_missed(void **state)
{
	const struct watch_deps deps = { .data_dir = dir, .ledger = &led, .cfg = &cfg,
					 .alerts = &al };
	int64_t t[14];
	uint64_t objects[14];
	(void)state;

	for (int i = 0; i < 14; i++) {
		t[i] = t0 + i * 60;
		objects[i] = i < 12 ? 1000 : 800;
	}
	/* the detector saw (and saved) the first ten only */
	for (int i = 0; i < 10; i++)
		sample("bodycam", t[i], objects[i], objects[i] * 1000000);
	stop();
	write_store_rrd(t, objects, 14);
	assert_int_equal(ledger_open(&led, path), 0);
	alert_init(&al, NULL, &led, NULL, NULL, NULL, NULL);
	assert_int_equal(watch_init(&w, NULL, NULL, &deps), 0);
	assert_int_equal(w.replayed, 0);
	watch_replay(&w, t0 + 14 * 60);
	assert_int_equal(w.replayed, 4);
	assert_int_equal(watch_get(&w, "evsrv01", "bodycam", false)->st.last_time, t[13]);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM alerts WHERE kind='drop' AND "
					  "state='firing' AND lost_objects=200"), 1);
}

/* While a store's events wait in memory for the ledger, its detector state
 * is not saved: the saved state stays behind them, and a restart derives
 * them again from the stored samples. */
static void test_state_not_saved_while_events_wait(void **state)
{
	uint64_t before;
	(void)state;

	for (int i = 0; i < 5; i++)
		sample("bodycam", t0 + i * 60, 1000, 1000000000);
	assert_int_equal(watch_save(&w, t0), 0);
	before = watch_get(&w, "evsrv01", "bodycam", false)->st.nsamples;
	/* an event of the store waits for the ledger */
	al.retry = calloc(ALERT_RETRY_MAX, sizeof *al.retry);
	assert_non_null(al.retry);
	snprintf(al.retry[0].agent, sizeof al.retry[0].agent, "evsrv01");
	snprintf(al.retry[0].store, sizeof al.retry[0].store, "bodycam");
	al.nretry = 1;
	sample("bodycam", t0 + 5 * 60, 1000, 1000000000);
	assert_int_equal(watch_save(&w, t0 + 5 * 60), 0);
	assert_true(watch_get(&w, "evsrv01", "bodycam", false)->dirty);
	assert_int_equal(lq_count(led.db, "SELECT count(*) FROM detector_state"), 1);
	al.nretry = 0; /* recorded: the state is saved again */
	assert_int_equal(watch_save(&w, t0 + 6 * 60), 0);
	assert_false(watch_get(&w, "evsrv01", "bodycam", false)->dirty);
	stop();
	start();
	assert_int_equal(watch_get(&w, "evsrv01", "bodycam", false)->st.nsamples, before + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_state_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explanations_resynced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_state_version_learned_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_from_samples_and_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_is_not_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_in_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_start_uses_announced_interval, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restart_judges_stored_samples_the_state_missed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_not_saved_while_events_wait, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
