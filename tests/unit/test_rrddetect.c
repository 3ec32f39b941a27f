/*
 * test_rrddetect.c - the per-store detector RRD with real librrd: the file
 * has the store RRD's archives and the documented data sources; the real
 * detector's figures for a declared deletion and a purge night are written
 * by the collector's RRD writer and read back with rrd_fetch; unjudged samples are
 * unknown, old rows skipped; and the live detector (watch) writes the file
 * of a store on its own.
 */
#include <errno.h>
#include <math.h>
#include <rrd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/alerts/lifecycle.h"
#include "collector/ledger/ledger.h"
#include "collector/store/rrddetect.h"
#include "collector/store/rrdsample.h"
#include "collector/store/rrdstore.h"
#include "collector/alerts/watch.h"
#include "shrinkwatch/detect.h"
#include "testutil.h"

/* 2027-01-15 00:00 UTC: a day boundary, so purge_at 03:00 is t0 + 3 h */
static const int64_t t0 = 1800000000 - 1800000000 % 86400;

/* The value of ds in the row of path that ends at t (NAN if unknown). */
static double fetch_at(const char *path, const char *ds, int64_t t)
{
	time_t start = (time_t)(t - 60), end = (time_t)t;
	unsigned long step = 0, nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	double v = -12345;

	rrd_clear_error();
	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names, &data)) {
		fail_msg("rrd_fetch '%s': %s", path, rrd_get_error());
		return v;
	}
	assert_int_equal(step, 60);
	for (unsigned long i = 0; i < nds; i++) {
		if (strcmp(names[i], ds))
			continue;
		for (time_t rt = start + (time_t)step; rt <= end; rt += (time_t)step)
			if (rt == (time_t)t)
				v = data[(size_t)((rt - start) / (time_t)step - 1) * nds + i];
	}
	for (unsigned long i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return v;
}

/* The collector's RRD writer on a loop of its own; detector rows need no
 * loop turn, so the tests never run it until the writer stops. */
static uv_loop_t loop;

static struct rrdstore *start_writer(void)
{
	const struct rrdstore_config cfg = { .data_dir = tu_dir, .threads = 1 };
	struct rrdstore *rs = NULL;

	uv_loop_init(&loop);
	assert_int_equal(rrdstore_start(&rs, &loop, &cfg), 0);
	return rs;
}

static void stop_writer(struct rrdstore *rs)
{
	rrdstore_stop(rs);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
}

static void test_layout_matches_the_store_rrd(void **state)
{
	const char *dv[64], *sv[64];
	char ds_store[4096], ss[4096];
	int nd = rrddetect_layout(300, dv, 64, ds_store, sizeof ds_store);
	int ns = rrdsample_layout(300, sv, 64, ss, sizeof ss), nd_rra = 0, ns_rra = 0;

	(void)state;
	assert_true(nd > RRDDETECT_NDS);
	assert_true(ns > RRDSAMPLE_NDS);
	for (int i = 0; i < RRDDETECT_NDS; i++)
		assert_int_equal(strncmp(dv[i], "DS:", 3), 0);
	assert_string_equal(dv[0], "DS:removed:GAUGE:600:U:U");
	assert_string_equal(dv[1], "DS:purge_allow:GAUGE:600:0:U");
	assert_string_equal(dv[4], "DS:unexplained:GAUGE:600:U:U");
	/* the same archives, in the same order */
	for (int i = RRDSAMPLE_NDS; i < ns; i++, ns_rra++)
		assert_string_equal(dv[RRDDETECT_NDS + ns_rra], sv[i]);
	for (int i = RRDDETECT_NDS; i < nd; i++)
		nd_rra++;
	assert_int_equal(nd_rra, ns_rra);
	assert_int_equal(rrddetect_layout(300, dv, 5, ds_store, sizeof ds_store), -ENOBUFS);
}

static void test_format(void **state)
{
	struct detect_figures f;
	char line[400];

	(void)state;
	memset(&f, 0, sizeof f);
	assert_int_equal(rrddetect_format_update(1000, &f, line, sizeof line), 0);
	assert_string_equal(line, "1000:U:U:U:U:U:U:U:U:U:U");
	f.judged = true;
	f.removed[0] = 39000;
	f.purge_allow[0] = 1.5e8;
	f.unexplained[1] = -2;
	f.declared[0] = NAN;
	assert_int_equal(rrddetect_format_update(1000, &f, line, sizeof line), 0);
	assert_string_equal(line, "1000:39000:150000000:0:U:0:0:0:0:0:-2");
	assert_int_equal(rrddetect_format_update(1000, &f, line, 20), -ENOBUFS);
}

/* One complete sample of a store of 1e9 bytes, 10,000 objects, minus
 * what was removed so far. */
static struct detect_input input(int64_t t, double bytes, double objects)
{
	struct detect_input in;

	memset(&in, 0, sizeof in);
	in.time = t;
	in.bytes = bytes;
	in.objects = objects;
	in.has_added = true;
	in.status = 0; /* SW_SCAN_COMPLETE */
	return in;
}

/*
 * The real detector: 01:01 loses 5 MB inside a declared deletion, 03:01
 * (inside the 03:00 purge window) loses 20 MB, which the first night's
 * allowance (10% of the store) explains.  The figures go through the writer
 * and come back from the file.
 */
static void test_detector_figures_read_back(void **state)
{
	struct detect_params p;
	struct detect_state st;
	struct detect_event ev[DETECT_MAX_EVENTS];
	struct detect_figures f, f_decl = { 0 }, f_purge = { 0 };
	struct detect_explain e = { .id = 7, .start = t0 + 3600, .end = t0 + 4200,
				    .allow_bytes = 6e6, .allow_objects = -1 };
	struct rrdstore *d;
	struct rrdstore_stats s;
	double bytes = 1e9, objects = 1e4;
	char path[256];

	(void)state;
	detect_params_default(&p);
	p.interval = 60;
	p.purge_at = 3 * 3600;
	p.purge_window = 3600;
	detect_state_init(&st);
	assert_int_equal(detect_explain_add(&st, &e, ev), 0);
	d = start_writer();
	for (int64_t t = t0; t <= t0 + 3 * 3600 + 300; t += 60) {
		if (t == t0 + 3660) {
			bytes -= 5e6;
			objects -= 50;
		}
		if (t == t0 + 3 * 3600 + 60) {
			bytes -= 2e7;
			objects -= 200;
		}
		struct detect_input in = input(t, bytes, objects);

		detect_update_figures(&st, &p, &in, ev, &f);
		if (t == t0)
			assert_false(f.judged); /* the first sample has nothing to compare */
		else
			assert_true(f.judged);
		if (t == t0 + 3660)
			f_decl = f;
		if (t == t0 + 3 * 3600 + 60)
			f_purge = f;
		assert_int_equal(rrdstore_submit_figures(d, "evsrv01", "body.cam", 60, t, &f), 0);
	}
	/* an unjudged (partial) sample is a row of unknowns */
	memset(&f, 0, sizeof f);
	assert_int_equal(rrdstore_submit_figures(d, "evsrv01", "body.cam", 60, t0 + 3 * 3600 + 360, &f),
			 0);
	/* not newer than the file: skipped */
	assert_int_equal(rrdstore_submit_figures(d, "evsrv01", "body.cam", 60, t0 + 600, &f_decl), 0);
	rrdstore_flush_figures(d);
	rrdstore_get_stats(d, &s);
	assert_int_equal(s.rows_failed, 0);
	assert_int_equal(s.rows_dropped, 0);
	assert_int_equal(s.rows_skipped, 1);
	assert_int_equal(s.rows_written, s.rows_queued - 1);

	/* the declared deletion: outside a purge window, consumed by the
	 * declaration except the churn tolerance the alarms allow anyway */
	assert_true(f_decl.judged && !f_decl.in_purge);
	assert_true(f_decl.removed[0] == 5e6);
	assert_true(f_decl.declared[0] > 4.5e6 && f_decl.declared[0] <= 5e6);
	assert_true(fabs(f_decl.removed[0] - f_decl.declared[0] - f_decl.unexplained[0]) < 1e-6);
	assert_true(f_decl.purge_allow[0] == 0);
	/* the purge: inside the window, explained by the allowance */
	assert_true(f_purge.in_purge);
	assert_true(f_purge.removed[0] == 2e7);
	/* 10% of the store (at the window's start) on the first night */
	assert_true(f_purge.purge_allow[0] == 0.1 * (1e9 - 5e6));
	assert_true(f_purge.purge_done[0] == 2e7);
	assert_true(f_purge.unexplained[0] == 0 && f_purge.declared[0] == 0);
	assert_true(f_purge.removed[1] == 200 && f_purge.purge_allow[1] == 0.1 * (1e4 - 50));

	assert_int_equal(rrddetect_path(tu_dir, "evsrv01", "body.cam", path, sizeof path), 0);
	assert_true(strstr(path, "/detect/evsrv01/body.cam.rrd") != NULL);
	assert_true(fetch_at(path, "removed", t0 + 3660) == 5e6);
	assert_true(fetch_at(path, "declared", t0 + 3660) == f_decl.declared[0]);
	assert_true(fetch_at(path, "unexplained", t0 + 3660) == f_decl.unexplained[0]);
	assert_true(fetch_at(path, "removed_obj", t0 + 3660) == 50);
	assert_true(fetch_at(path, "removed", t0 + 3 * 3600 + 60) == 2e7);
	assert_true(fetch_at(path, "purge_allow", t0 + 3 * 3600 + 60) == f_purge.purge_allow[0]);
	assert_true(fetch_at(path, "purge_done", t0 + 3 * 3600 + 120) == 2e7);
	assert_true(fetch_at(path, "purge_allow_obj", t0 + 3 * 3600 + 60) == f_purge.purge_allow[1]);
	assert_true(fetch_at(path, "purge_allow", t0 + 3600) == 0); /* outside the window */
	assert_true(isnan(fetch_at(path, "removed", t0 + 3 * 3600 + 360)));
	stop_writer(d);
}

/* A file that cannot be written (a file where the agent directory should
 * be) fails the rows, counted, and the writer goes on with other stores. */
static void test_failed_write_is_counted(void **state)
{
	struct detect_figures f;
	struct rrdstore *d;
	struct rrdstore_stats s;
	char dir[200], path[300];

	(void)state;
	memset(&f, 0, sizeof f);
	f.judged = true;
	snprintf(dir, sizeof dir, "%s/detect", tu_dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	tu_write(dir, "blocked", "not a directory", path, sizeof path);
	d = start_writer();
	assert_int_equal(rrdstore_submit_figures(d, "blocked", "s", 60, t0, &f), 0);
	assert_int_equal(rrdstore_submit_figures(d, "fine", "s", 60, t0, &f), 0);
	f.removed[0] = 42;
	assert_int_equal(rrdstore_submit_figures(d, "fine", "s", 60, t0 + 60, &f), 0);
	rrdstore_flush_figures(d);
	rrdstore_get_stats(d, &s);
	assert_int_equal(s.rows_failed, 1);
	assert_int_equal(s.rows_written, 2);
	stop_writer(d);
	snprintf(path, sizeof path, "%s/detect/fine/s.rrd", tu_dir);
	assert_true(fetch_at(path, "removed", t0 + 60) == 42);
}

/* Waits (up to 10 s: the writer is a thread) until the writer has taken
 * every accepted row: written, skipped, failed or held. */
static void wait_taken(struct rrdstore *d, struct rrdstore_stats *s)
{
	for (int i = 0; i < 1000; i++) {
		rrdstore_get_stats(d, s);
		if (s->rows_written + s->rows_skipped + s->rows_failed + s->rows_held == s->rows_queued)
			return;
		usleep(10000);
	}
	fail_msg("the detector RRD writer did not take its queue");
}

/* A quiet store's rows (nothing removed) are held and written together; a
 * row with a removal is written at once, with the held rows before it, and
 * the file holds every row in order. */
static void test_quiet_rows_are_held(void **state)
{
	struct detect_figures quiet = { .judged = true }, loss = { .judged = true };
	struct rrdstore *d;
	struct rrdstore_stats s;
	char path[300];

	(void)state;
	loss.removed[0] = 4096;
	loss.unexplained[0] = 4096;
	assert_int_equal(rrddetect_path(tu_dir, "evsrv01", "quiet", path, sizeof path), 0);
	d = start_writer();
	for (int i = 0; i < 3; i++)
		assert_int_equal(rrdstore_submit_figures(d, "evsrv01", "quiet", 60, t0 + 60 * i, &quiet), 0);
	wait_taken(d, &s);
	assert_int_equal(s.rows_held, 3);
	assert_int_equal(s.rows_written, 0);
	assert_int_equal(access(path, F_OK), -1); /* nothing written yet */

	assert_int_equal(rrdstore_submit_figures(d, "evsrv01", "quiet", 60, t0 + 180, &loss), 0);
	wait_taken(d, &s);
	assert_int_equal(s.rows_held, 0);
	assert_int_equal(s.rows_written, 4);
	assert_true(fetch_at(path, "removed", t0 + 60) == 0);
	assert_true(fetch_at(path, "removed", t0 + 120) == 0);
	assert_true(fetch_at(path, "removed", t0 + 180) == 4096);
	assert_true(fetch_at(path, "unexplained", t0 + 180) == 4096);

	/* RRDSTORE_HOLD_ROWS quiet rows are written without waiting */
	for (int i = 0; i < RRDSTORE_HOLD_ROWS; i++)
		assert_int_equal(rrdstore_submit_figures(d, "evsrv01", "quiet", 60, t0 + 240 + 60 * i,
						  &quiet), 0);
	wait_taken(d, &s);
	assert_int_equal(s.rows_held, 0);
	assert_int_equal(s.rows_written, 4 + RRDSTORE_HOLD_ROWS);

	/* a flush writes what is held */
	assert_int_equal(rrdstore_submit_figures(d, "evsrv01", "quiet", 60, t0 + 240 + 60 * RRDSTORE_HOLD_ROWS,
					  &quiet), 0);
	wait_taken(d, &s);
	assert_int_equal(s.rows_held, 1);
	rrdstore_flush_figures(d);
	rrdstore_get_stats(d, &s);
	assert_int_equal(s.rows_held, 0);
	assert_int_equal(s.rows_written, 5 + RRDSTORE_HOLD_ROWS);
	assert_true(fetch_at(path, "removed", t0 + 240 + 60 * RRDSTORE_HOLD_ROWS) == 0);
	stop_writer(d);
}

/* The live detector writes every sample's figures on its own. */
static void test_watch_writes_the_detector_rrd(void **state)
{
	struct detect_config_set cfg;
	struct ledger led;
	struct alerts al;
	struct watch w;
	struct watch_deps deps = { .ledger = &led, .cfg = &cfg, .alerts = &al };
	struct rrdstore *rrd;
	struct sw_sample smp;
	char ledger_path[256], err[256], path[256];
	uint64_t bytes = 1000000000;

	(void)state;
	snprintf(ledger_path, sizeof ledger_path, "%s/ledger.db", tu_dir);
	detect_config_init(&cfg);
	assert_int_equal(detect_config_key(&cfg, "detect", "interval", "60s", err, sizeof err), 1);
	assert_int_equal(ledger_open(&led, ledger_path), 0);
	alert_init(&al, NULL, &led, NULL, NULL, NULL, NULL);
	rrd = start_writer();
	deps.rrd = rrd;
	assert_int_equal(watch_init(&w, NULL, NULL, &deps), 0);
	for (int i = 0; i < 5; i++) {
		memset(&smp, 0, sizeof smp);
		smp.time = t0 + 60 * i;
		if (i == 3)
			bytes -= 39000; /* warming up: the whole day is a purge window */
		smp.bytes = bytes;
		smp.objects = 1000;
		smp.flags = SW_SAMPLE_HAS_ADDED;
		watch_sample(&w, "it01", "alpha", &smp, smp.time);
	}
	rrdstore_flush_figures(rrd);
	stop_writer(rrd);
	snprintf(path, sizeof path, "%s/detect/it01/alpha.rrd", tu_dir);
	assert_true(fetch_at(path, "removed", t0 + 180) == 39000);
	assert_true(fetch_at(path, "purge_allow", t0 + 180) > 39000);
	assert_true(fetch_at(path, "purge_done", t0 + 180) == 39000);
	assert_true(fetch_at(path, "unexplained", t0 + 180) == 0);
	assert_true(fetch_at(path, "removed", t0 + 120) == 0);
	watch_stop(&w);
	alert_stop(&al);
	ledger_close(&led);
	detect_config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_matches_the_store_rrd),
		cmocka_unit_test(test_format),
		cmocka_unit_test_setup_teardown(test_detector_figures_read_back, tu_setup_dir,
						tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_quiet_rows_are_held, tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_failed_write_is_counted, tu_setup_dir,
						tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_watch_writes_the_detector_rrd, tu_setup_dir,
						tu_teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
