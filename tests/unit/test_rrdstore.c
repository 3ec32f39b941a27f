/* test_rrdstore.c - the RRD layout read back with librrd, values written by
 * the writer threads, dropped duplicates, failure epochs, and the two kinds
 * of rows of the one writer at stop. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <rrd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/store/rrddetect.h"
#include "collector/store/rrdsample.h"
#include "collector/store/rrdspace.h"
#include "collector/store/rrdstore.h"
#include "testutil.h"

static char dir[64];
#define MAXDONE 16
static struct rrd_batch *done_batches[MAXDONE];
static int ndone;

static int setup(void **state)
{
	(void)state;
	tu_mkdtemp(dir, sizeof dir);
	ndone = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < ndone; i++)
		rrd_batch_free(done_batches[i]);
	tu_rmrf(dir);
	return 0;
}

static void on_done(struct rrd_batch *b, void *ctx)
{
	(void)ctx;
	assert_true(ndone < MAXDONE);
	done_batches[ndone++] = b;
}

static struct sw_sample sample(uint64_t seq, int64_t t, const char *store, uint64_t bytes)
{
	struct sw_sample s;

	memset(&s, 0, sizeof s);
	s.seq = seq;
	s.time = t;
	snprintf(s.store, sizeof s.store, "%s", store);
	s.bytes = bytes;
	s.objects = bytes / 100;
	s.added_bytes = 10;
	s.added_objects = 1;
	s.flags = SW_SAMPLE_HAS_ADDED;
	s.fs_used = 5000;
	s.fs_size = 90000;
	s.fs_inodes = 77;
	return s;
}

/* Submits batches and runs the loop until each is handed back. */
static void run_batches(struct rrd_batch **b, int n, bool sync)
{
	uv_loop_t loop;
	struct rrdstore *rs;
	int want = ndone + n;
	const struct rrdstore_config cfg = { .data_dir = dir, .threads = 2, .sync = sync };

	uv_loop_init(&loop);
	assert_int_equal(rrdstore_start(&rs, &loop, &cfg), 0);
	for (int i = 0; i < n; i++)
		rrdstore_submit(rs, b[i], on_done, NULL);
	while (ndone < want)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(rrdstore_pending(rs), 0);
	rrdstore_stop(rs);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
}

static const char *info_str(rrd_info_t *info, const char *key)
{
	for (rrd_info_t *i = info; i; i = i->next)
		if (!strcmp(i->key, key))
			return i->type == RD_I_STR ? i->value.u_str : "";
	return NULL;
}

static long info_cnt(rrd_info_t *info, const char *key)
{
	for (rrd_info_t *i = info; i; i = i->next)
		if (!strcmp(i->key, key))
			return i->type == RD_I_CNT ? (long)i->value.u_cnt : -1;
	return -2;
}

static void free_lastupdate(unsigned long nds, char **names, char **values)
{
	for (unsigned long i = 0; i < nds; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(values[i]);
	}
	rrd_freemem(names);
	rrd_freemem(values);
}

static void test_layout_and_values(void **state)
{
	struct rrd_batch *b = rrd_batch_new("evsrv01", 60, 3);
	char path[256], key[64];
	rrd_info_t *info;
	time_t last;
	unsigned long nds;
	char **names, **values;
	(void)state;

	b->samples[0] = sample(1, 1700000000, "bodycam", 100000);
	b->samples[1] = sample(2, 1700000000, "cases", 5000);
	b->samples[2] = sample(3, 1700000060, "bodycam", 90000);
	run_batches(&b, 1, true);
	assert_int_equal(b->err, 0);
	assert_int_equal(b->stored, 3);

	rrdsample_path(dir, "evsrv01", "bodycam", path, sizeof path);
	info = rrd_info_r(path);
	assert_non_null(info);
	assert_int_equal(info_cnt(info, "step"), 60);
	for (int i = 0; i < RRDSAMPLE_NDS; i++) {
		snprintf(key, sizeof key, "ds[%s].type", rrdsample_ds_names[i]);
		assert_string_equal(info_str(info, key), "GAUGE");
		snprintf(key, sizeof key, "ds[%s].minimal_heartbeat", rrdsample_ds_names[i]);
		assert_int_equal(info_cnt(info, key), 120);
	}
	/* 4 tiers x AVERAGE, MIN, MAX */
	assert_string_equal(info_str(info, "rra[0].cf"), "AVERAGE");
	assert_string_equal(info_str(info, "rra[1].cf"), "MIN");
	assert_string_equal(info_str(info, "rra[2].cf"), "MAX");
	assert_int_equal(info_cnt(info, "rra[0].pdp_per_row"), 1);
	assert_int_equal(info_cnt(info, "rra[0].rows"), 3 * 1440);
	assert_int_equal(info_cnt(info, "rra[3].pdp_per_row"), 5);
	assert_int_equal(info_cnt(info, "rra[6].pdp_per_row"), 60);
	assert_int_equal(info_cnt(info, "rra[9].pdp_per_row"), 1440);
	assert_int_equal(info_cnt(info, "rra[11].rows"), 3660);
	assert_null(info_str(info, "rra[12].cf"));
	rrd_info_free(info);

	assert_int_equal(rrd_lastupdate_r(path, &last, &nds, &names, &values), 0);
	assert_int_equal(last, 1700000060);
	assert_int_equal(nds, RRDSAMPLE_NDS);
	assert_string_equal(names[0], "bytes");
	assert_string_equal(values[0], "90000");
	assert_string_equal(values[1], "900");
	assert_string_equal(values[6], "77");
	free_lastupdate(nds, names, values);
	assert_int_equal(rrdsample_read_agent_seq(dir, "evsrv01"), 3);
}

static void test_partial_is_unknown_and_old_dropped(void **state)
{
	struct rrd_batch *b[2] = { rrd_batch_new("a1", 60, 1), rrd_batch_new("a1", 60, 2) };
	char path[256], line[256];
	time_t last;
	unsigned long nds;
	char **names, **values;
	(void)state;

	b[0]->samples[0] = sample(1, 1700000000, "s", 1000);
	b[1]->samples[0] = sample(2, 1700000000, "s", 999); /* same time: dropped */
	b[1]->samples[1] = sample(3, 1700000060, "s", 10);
	b[1]->samples[1].status = SW_SCAN_PARTIAL;
	run_batches(b, 2, false);
	assert_int_equal(b[1]->err, 0);
	assert_int_equal(b[1]->stored, 1);
	assert_int_equal(b[1]->dropped_old, 1);
	assert_int_equal(b[1]->dropped[0], 1);
	assert_int_equal(b[1]->dropped[1], 0);

	rrdsample_path(dir, "a1", "s", path, sizeof path);
	assert_int_equal(rrd_lastupdate_r(path, &last, &nds, &names, &values), 0);
	assert_int_equal(last, 1700000060);
	assert_string_equal(values[0], "U"); /* a partial total is never a number */
	assert_string_equal(values[4], "5000"); /* the filesystem figures still are */
	free_lastupdate(nds, names, values);

	rrdsample_format_update(&b[1]->samples[1], line, sizeof line);
	assert_string_equal(line, "1700000060:U:U:U:U:5000:90000:77");
}

/* A sample sent again after the collector died between writing the file
 * and recording the seq is in the file already: counted as such, never as
 * dropped; a different sample of the same second still is dropped. */
static void test_sample_sent_again_is_there_already(void **state)
{
	struct rrd_batch *b[3] = { rrd_batch_new("a2", 60, 1), rrd_batch_new("a2", 60, 1),
				   rrd_batch_new("a2", 60, 1) };
	(void)state;

	b[0]->samples[0] = sample(1, 1700000000, "s", 1000);
	b[1]->samples[0] = sample(1, 1700000000, "s", 1000); /* the same, again */
	b[2]->samples[0] = sample(2, 1700000000, "s", 999);  /* another, same second */
	run_batches(b, 1, false);
	run_batches(b + 1, 2, false); /* after a restart */
	assert_int_equal(b[0]->stored, 1);
	assert_int_equal(b[1]->stored, 0);
	assert_int_equal(b[1]->already, 1);
	assert_int_equal(b[1]->dropped_old, 0);
	assert_int_equal(b[1]->dropped[0], 1);
	assert_int_equal(b[2]->already, 0);
	assert_int_equal(b[2]->dropped_old, 1);
}

/* Batches of two agents submitted together (a writer merges what is queued
 * for one agent into one update per file): each batch's outcome is its own,
 * a sample not newer than one of an earlier batch is dropped in the batch
 * that carried it, and each agent.seq ends at its last batch. */
static void test_queued_batches_merge(void **state)
{
	struct rrd_batch *b[8];
	char path[256];
	time_t last;
	unsigned long nds;
	char **names, **values;
	size_t stored = 0;
	(void)state;

	for (int k = 0; k < 8; k++) {
		const char *agent = k % 2 ? "m2" : "m1";
		uint64_t seq = (uint64_t)(k / 2) * 2;
		int64_t t = 1700000000 + (k / 2) * 60;

		b[k] = rrd_batch_new(agent, 60, 2);
		b[k]->samples[0] = sample(seq + 1, t, "x", 1000 + (uint64_t)k);
		b[k]->samples[1] = sample(seq + 2, t, "y", 2000 + (uint64_t)k);
	}
	/* m1's third batch repeats the time of its second for store y */
	b[4]->samples[1].time = 1700000060;
	run_batches(b, 8, true);
	for (int k = 0; k < 8; k++) {
		assert_int_equal(b[k]->err, 0);
		stored += b[k]->stored;
	}
	assert_int_equal(stored, 15);
	assert_int_equal(b[4]->dropped_old, 1);
	assert_int_equal(b[4]->dropped[1], 1);
	assert_int_equal(b[4]->dropped[0], 0);
	assert_int_equal(rrdsample_read_agent_seq(dir, "m1"), 8);
	assert_int_equal(rrdsample_read_agent_seq(dir, "m2"), 8);

	rrdsample_path(dir, "m2", "y", path, sizeof path);
	assert_int_equal(rrd_lastupdate_r(path, &last, &nds, &names, &values), 0);
	assert_int_equal(last, 1700000180);
	assert_string_equal(values[0], "2007");
	free_lastupdate(nds, names, values);
}

static void test_failure_poisons_epoch(void **state)
{
	struct rrd_batch *b[3] = { rrd_batch_new("bad", 60, 1), rrd_batch_new("bad", 60, 1),
				   rrd_batch_new("bad", 60, 1) };
	char path[256], tmp[400];
	(void)state;

	/* the agent's directory is a file: nothing can be created under it */
	snprintf(path, sizeof path, "%s/rrd", dir);
	mkdir(path, 0750);
	tu_write(path, "bad", "not a directory", tmp, sizeof tmp);
	b[0]->samples[0] = sample(1, 1700000000, "s", 1);
	b[1]->samples[0] = sample(2, 1700000060, "s", 1);
	b[2]->samples[0] = sample(3, 1700000120, "s", 1);
	b[2]->epoch = 1; /* submitted after the loop saw the failure */
	run_batches(b, 3, false);
	assert_int_not_equal(b[0]->err, 0);
	assert_non_null(strstr(b[0]->errtext, "bad/s.rrd"));
	assert_int_equal(b[1]->err, -ECANCELED);
	assert_int_not_equal(b[2]->err, -ECANCELED); /* a new epoch is tried for real */
	assert_int_not_equal(b[2]->err, 0);
	assert_int_equal(rrdsample_read_agent_seq(dir, "bad"), 0);
}

static void test_layout_coarse_step(void **state)
{
	const char *argv[64];
	char storage[4096];
	int argc;
	(void)state;

	/* an hourly agent: the 5-minute and hourly tiers merge into the raw
	 * one, which keeps the hourly tier's 400 days */
	argc = rrdsample_layout(3600, argv, 64, storage, sizeof storage);
	assert_int_equal(argc, RRDSAMPLE_NDS + 2 * 3);
	assert_string_equal(argv[0], "DS:bytes:GAUGE:7200:0:U");
	assert_string_equal(argv[RRDSAMPLE_NDS], "RRA:AVERAGE:0.5:1:9600");
	assert_string_equal(argv[RRDSAMPLE_NDS + 3], "RRA:AVERAGE:0.5:24:3660");
	assert_int_equal(rrdsample_layout(60, argv, 5, storage, sizeof storage), -ENOBUFS);
}

/* Stores in no fixed order within a batch (and more of them than a writer's
 * first guess holds): each file still gets its own samples, in time order. */
static void test_stores_in_any_order(void **state)
{
	static const char *const order[] = { "z", "x", "z", "y", "x", "s3", "s4", "s5", "s6",
					     "s7", "s8", "s9", "s10", "s11", "s12", "s13",
					     "s14", "s15", "s16", "y", "z", "s16" };
	const size_t n = sizeof order / sizeof order[0];
	struct rrd_batch *b = rrd_batch_new("mix", 60, n);
	char path[256];
	time_t last;
	unsigned long nds;
	char **names, **values;
	(void)state;

	for (size_t k = 0; k < n; k++)
		b->samples[k] = sample(k + 1, 1700000000 + (int64_t)k * 60, order[k], 1000 + k);
	run_batches(&b, 1, true);
	assert_int_equal(b->err, 0);
	assert_int_equal(b->stored, n);
	assert_int_equal(b->dropped_old, 0);
	rrdsample_path(dir, "mix", "z", path, sizeof path);
	assert_int_equal(rrd_lastupdate_r(path, &last, &nds, &names, &values), 0);
	assert_int_equal(last, 1700000000 + 20 * 60);
	assert_string_equal(values[0], "1020");
	free_lastupdate(nds, names, values);
	rrdsample_path(dir, "mix", "s16", path, sizeof path);
	assert_int_equal(rrd_lastupdate_r(path, &last, &nds, &names, &values), 0);
	assert_int_equal(last, 1700000000 + 21 * 60);
	assert_string_equal(values[0], "1021");
	free_lastupdate(nds, names, values);
}

/* The hand-written formatter says what printf would, at the edges of every
 * field's range, and refuses a buffer too small instead of cutting a value. */
static void test_format_update_digits(void **state)
{
	static const uint64_t vals[] = { 0, 1, 9, 10, 99, 100, 4294967295u, 4294967296u,
					 1000000000000000000u, UINT64_MAX - 1, UINT64_MAX };
	char line[256], want[256];
	(void)state;

	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		struct sw_sample s = sample(1, (int64_t)(vals[i] >> 1), "s", vals[i]);

		s.objects = vals[i];
		s.added_bytes = vals[(i + 1) % 11];
		s.added_objects = vals[(i + 2) % 11];
		s.fs_used = vals[(i + 3) % 11];
		s.fs_size = vals[(i + 4) % 11];
		s.fs_inodes = vals[(i + 5) % 11];
		s.flags |= SW_SAMPLE_HAS_ADDED;
		s.status = SW_SCAN_COMPLETE;
		snprintf(want, sizeof want,
			 "%" PRId64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64
			 ":%" PRIu64 ":%" PRIu64,
			 s.time, s.bytes, s.objects, s.added_bytes, s.added_objects, s.fs_used,
			 s.fs_size, s.fs_inodes);
		assert_int_equal(rrdsample_format_update(&s, line, sizeof line), 0);
		assert_string_equal(line, want);
	}
	{
		struct sw_sample s = sample(1, -5, "s", 7);

		s.status = SW_SCAN_MISSING;
		assert_int_equal(rrdsample_format_update(&s, line, sizeof line), 0);
		assert_string_equal(line, "-5:U:U:U:U:U:U:U");
		assert_int_equal(rrdsample_format_update(&s, line, 199), -ENOBUFS);
	}
}

/* What the detector does with a stored batch: one detector row per stored
 * sample, queued from the done callback on the loop thread. */
struct figures_ctx {
	struct rrdstore *rs;
	int batches;
};

static void on_done_figures(struct rrd_batch *b, void *ctx)
{
	struct figures_ctx *fc = ctx;
	struct detect_figures f = { .judged = true };

	fc->batches++;
	assert_int_equal(b->err, 0);
	for (size_t i = 0; i < b->n; i++) {
		f.removed[0] = (double)b->samples[i].seq;
		assert_int_equal(rrdstore_submit_figures(fc->rs, b->agent, b->samples[i].store,
							 b->interval, b->samples[i].time, &f),
				 0);
	}
	rrd_batch_free(b);
}

/*
 * One writer, both kinds of rows: a batch still queued when the writer stops
 * is written and handed back during rrdstore_stop(), and the detector rows
 * its done callback queues then are written before the threads end -- the
 * order the collector's shutdown relies on.  The counters say so.
 */
static void test_stop_writes_rows_queued_by_done(void **state)
{
	uv_loop_t loop;
	struct rrdstore_stats st;
	struct figures_ctx fc = { 0 };
	const struct rrdstore_config cfg = { .data_dir = dir, .threads = 1, .sync = false };
	struct rrd_batch *b = rrd_batch_new("both", 60, 3);
	char path[256];
	(void)state;

	uv_loop_init(&loop);
	assert_int_equal(rrdstore_start(&fc.rs, &loop, &cfg), 0);
	for (int i = 0; i < 3; i++)
		b->samples[i] = sample((uint64_t)i + 1, 1700000000 + 60 * i, "s", 1000);
	rrdstore_submit(fc.rs, b, on_done_figures, &fc);
	rrdstore_get_stats(fc.rs, &st);
	assert_int_equal(st.batches_queued, 1);
	rrdstore_stop(fc.rs); /* without ever running the loop */
	assert_int_equal(fc.batches, 1);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	rrdsample_path(dir, "both", "s", path, sizeof path);
	assert_int_equal(rrd_last_r(path), 1700000120);
	snprintf(path, sizeof path, "%s/detect/both/s.rrd", dir);
	assert_int_equal(rrd_last_r(path), 1700000120);
}

/*
 * A disk without room for a new RRD file (here: more to keep free than the
 * file system has): the creation is refused before librrd tries, the reason
 * names the path and "No space left on device" (librrd's own text was
 * "unknown error" or empty), and the detector RRD's creation is not tried
 * again on every row but after a backoff.
 */
static void test_full_disk_named_and_creation_backs_off(void **state)
{
	uv_loop_t loop;
	struct rrdstore *rs;
	struct rrdstore_stats st;
	struct detect_figures f = { .judged = true };
	const struct rrdstore_config cfg = { .data_dir = dir, .threads = 1,
					     .keep_free = UINT64_C(1) << 60 };
	struct rrd_batch *b = rrd_batch_new("full", 1, 1);
	char path[256];
	(void)state;

	uv_loop_init(&loop);
	assert_int_equal(rrdstore_start(&rs, &loop, &cfg), 0);
	b->samples[0] = sample(1, 1700000000, "s", 1000);
	rrdstore_submit(rs, b, on_done, NULL);
	while (ndone < 1)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(b->err, -ENOSPC);
	rrdsample_path(dir, "full", "s", path, sizeof path);
	assert_non_null(strstr(b->errtext, path));
	assert_non_null(strstr(b->errtext, "No space left on device"));
	for (int i = 0; i < 5; i++) {
		f.removed[0] = i;
		assert_int_equal(rrdstore_submit_figures(rs, "full", "s", 1, 1700000000 + i, &f), 0);
		rrdstore_flush_figures(rs);
	}
	rrdstore_get_stats(rs, &st);
	assert_int_equal(st.rows_failed, 5);
	assert_int_equal(st.rows_create_failed, 1); /* then it waits */
	rrdstore_stop(rs);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	assert_int_equal(access(path, F_OK), -1);
}

/* rrdspace_needed() is an upper bound of the file librrd makes, and a tight
 * one (it decides whether the disk has room). */
static void test_space_needed_bounds_the_file(void **state)
{
	const unsigned long steps[] = { 1, 60, 300 };
	(void)state;

	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		const char *argv[64];
		char storage[4096], path[256];
		struct stat sb;
		int argc = rrddetect_layout(steps[k], argv, 64, storage, sizeof storage);
		uint64_t need;

		assert_true(argc > 0);
		need = rrdspace_needed(argv, argc);
		snprintf(path, sizeof path, "%s/d%lu.rrd", dir, steps[k]);
		assert_int_equal(rrd_create_r2(path, steps[k], 1700000000, 1, NULL, NULL, argc, argv),
				 0);
		assert_int_equal(stat(path, &sb), 0);
		assert_true(need >= (uint64_t)sb.st_size);
		assert_true(need <= (uint64_t)sb.st_size + (uint64_t)sb.st_size / 50 + 16384);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_and_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_is_unknown_and_old_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sample_sent_again_is_there_already, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_queued_batches_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_poisons_epoch, setup, teardown),
		cmocka_unit_test(test_layout_coarse_step),
		cmocka_unit_test(test_format_update_digits),
		cmocka_unit_test_setup_teardown(test_stores_in_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_writes_rows_queued_by_done, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_disk_named_and_creation_backs_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_space_needed_bounds_the_file, setup, teardown),
	};
	return cmocka_run_group_tests_name("rrdstore", tests, NULL, NULL);
}
