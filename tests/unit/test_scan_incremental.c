/*
 * test_scan_incremental.c - an incremental scan (agent/scan_cache.h) gives
 * the same sample as a full walk after creations, deletions, renames and
 * truncations, and really skips what did not change.
 *
 * Which scan catches a truncation: a file modified within the cache's hot_s
 * seconds of the last read keeps its directory re-read (re-stat'ed) at every
 * scan, so a recently written file that shrinks is caught by the next
 * incremental scan; an old file truncated in place in an old directory
 * moves no directory time and is caught by the periodic full scan
 * (full_interval_s), which these tests also check.
 *
 * The tree is left alone for SETTLE seconds before the scans that must trust
 * it: directories changed within the timestamp slack of a read are re-read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "agent/scan.h"
#include "agent/scan_cache.h"
#include "scan_tree.h"
#include "shrinkwatch/log.h"

#define SETTLE (SCAN_CACHE_SLACK_S + 1)

static void check(int ret)
{
	assert_int_equal(ret, 0);
}

struct run {
	char root[1024];
	struct scan_cache *cache;
	struct timespec prev;
	struct scan_stats stats;
	struct sw_sample inc;
};

static void build(struct run *r)
{
	char p[2048];
	int y, m, d, c, i;

	log_force_stderr(true);
	log_set_level(LOG_ERR);
	check(tree_make_root(r->root, sizeof(r->root)));
	for (y = 0; y < 2; y++)
		for (m = 0; m < 3; m++)
			for (d = 0; d < 3; d++)
				for (c = 0; c < 3; c++) {
					snprintf(p, sizeof(p), "202%d/%02d/%02d/case%d", y, m + 1, d + 1, c);
					check(tree_mkdir(r->root, p));
					for (i = 0; i < 8; i++) {
						snprintf(p, sizeof(p), "202%d/%02d/%02d/case%d/f%d.mp4", y,
							 m + 1, d + 1, c, i);
						check(tree_file(r->root, p, 1000u * (uint64_t)(i + 1) + (uint64_t)c));
					}
				}
	/* A hard-linked file: its directory is never trusted from the cache. */
	snprintf(p, sizeof(p), "%s/2020/01/01/case0/f0.mp4", r->root);
	{
		char q[2048];

		snprintf(q, sizeof(q), "%s/2020/01/02/case0/alias.mp4", r->root);
		check(link(p, q) < 0 ? -errno : 0);
	}
	r->cache = scan_cache_new(3600, 1);
	assert_non_null(r->cache);
}

static void destroy(struct run *r)
{
	scan_cache_free(r->cache);
	tree_remove(r->root);
}

/* One scan with the cache and one full walk without it, same window: the
 * samples must agree, and agree with find(1). */
static void scan_both(struct run *r, int full)
{
	struct scan_options opt = { .start = tree_now(), .prev_start = r->prev, .threads = 2 };
	struct sw_sample all;
	uint64_t objects, bytes;

	opt.cache = r->cache;
	opt.full = full;
	opt.stats = &r->stats;
	memset(&r->inc, 0, sizeof(r->inc));
	check(scan_store(r->root, &opt, &r->inc));
	opt.cache = NULL;
	opt.full = 0;
	opt.stats = NULL;
	memset(&all, 0, sizeof(all));
	check(scan_store(r->root, &opt, &all));
	assert_int_equal(r->inc.status, SW_SCAN_COMPLETE);
	assert_int_equal(all.status, SW_SCAN_COMPLETE);
	assert_int_equal(r->inc.objects, all.objects);
	assert_int_equal(r->inc.bytes, all.bytes);
	assert_int_equal(r->inc.added_objects, all.added_objects);
	assert_int_equal(r->inc.added_bytes, all.added_bytes);
	assert_int_equal(r->inc.flags, all.flags);
	check(tree_expect(r->root, &objects, &bytes));
	assert_int_equal(all.objects, objects);
	assert_int_equal(all.bytes, bytes);
	r->prev = opt.start;
}

static void path(const struct run *r, char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", r->root, rel);
}

/* A settled tree, a full scan that fills the cache, and one rescan that
 * trusts it. */
static void start_trusted(struct run *r)
{
	build(r);
	sleep(SETTLE);
	scan_both(r, 0);
	scan_both(r, 0);
	assert_int_equal(r->stats.full, 0);
}

static void test_unchanged_tree_is_not_read(void **state)
{
	struct run r = { 0 };

	(void)state;
	build(&r);
	sleep(SETTLE);
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 1);
	assert_int_equal(r.inc.objects, 2 * 3 * 3 * 3 * 8 + 0); /* the alias is one inode */
	assert_int_equal(r.stats.cache_dirs, 1 + 2 + 6 + 18 + 54);
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);
	/* Only the hard link's two directories are read again. */
	assert_int_equal(r.stats.dirs_read, 2);
	assert_int_equal(r.stats.dirs_unchanged, 79);
	assert_int_equal(r.inc.added_objects, 0);
	destroy(&r);
}

static void test_creations_deletions_renames(void **state)
{
	struct run r = { 0 };
	char a[2048], b[2048];

	(void)state;
	start_trusted(&r);

	/* Creations: in an existing directory, and a new subtree. */
	check(tree_file(r.root, "2021/03/03/case2/new.mp4", 4242));
	check(tree_mkdir(r.root, "2021/03/04/case9/sub"));
	check(tree_file(r.root, "2021/03/04/case9/sub/n1.mp4", 10));
	check(tree_file(r.root, "2021/03/04/case9/n2.mp4", 20));
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);
	assert_int_equal(r.inc.added_objects, 3);
	assert_int_equal(r.inc.added_bytes, 4272);

	/* Deletions: one file, and a whole case. */
	path(&r, a, sizeof(a), "2020/02/02/case1/f3.mp4");
	check(unlink(a));
	path(&r, a, sizeof(a), "2020/02/03/case2");
	tree_remove(a);
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);

	/* Renames: a file to another day, a case directory to another month,
	 * and a directory replaced by a new one of the same name. */
	path(&r, a, sizeof(a), "2021/01/01/case0/f1.mp4");
	path(&r, b, sizeof(b), "2021/02/02/case1/moved.mp4");
	check(rename(a, b));
	path(&r, a, sizeof(a), "2020/03/01/case0");
	path(&r, b, sizeof(b), "2021/01/03/case7");
	check(rename(a, b));
	path(&r, a, sizeof(a), "2020/03/02/case0");
	tree_remove(a);
	check(tree_mkdir(r.root, "2020/03/02/case0"));
	check(tree_file(r.root, "2020/03/02/case0/again.mp4", 1));
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);

	/* Settled again: everything is trusted except the hard link's homes. */
	sleep(SETTLE);
	scan_both(&r, 0);
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);
	assert_int_equal(r.stats.dirs_read, 2);
	destroy(&r);
}

static void test_truncations(void **state)
{
	struct run r = { 0 };
	char a[2048];
	uint64_t before;

	(void)state;
	build(&r);
	/* A recording still being written when the cache reads its directory
	 * (a minute counts as recent here; the tree itself is older than
	 * SETTLE, so its directories' times alone would be trusted). */
	r.cache->hot_s = 60;
	sleep(SETTLE);
	scan_both(&r, 0);
	check(tree_file(r.root, "2021/02/02/case2/live.mp4", 900000));
	sleep(SETTLE);
	scan_both(&r, 0);
	path(&r, a, sizeof(a), "2021/02/02/case2/live.mp4");
	check(truncate(a, 10));
	/* Its directory did not change, but the file was hot: re-stat'ed. */
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);
	r.cache->hot_s = 1;

	/* An old file in an old directory shrinks in place: only the
	 * periodic full scan can see it. */
	sleep(SETTLE);
	scan_both(&r, 0);
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);
	assert_int_equal(r.stats.dirs_read, 2); /* the hard link's homes */
	before = r.inc.bytes;
	path(&r, a, sizeof(a), "2020/01/03/case1/f7.mp4");
	check(truncate(a, 0));
	r.cache->full_interval_s = 1;
	sleep(1);
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 1);
	assert_int_equal(r.inc.bytes, before - 8001);
	destroy(&r);
}

static void test_late_born_files_are_next_scans_addition(void **state)
{
	struct run r = { 0 };
	struct scan_options opt = { .threads = 1 };
	struct timespec born;

	(void)state;
	build(&r);
	sleep(1); /* a birth time after every file of the tree */
	check(tree_file(r.root, "2020/01/03/case2/late.mp4", 77));
	if (tree_btime(r.root, "2020/01/03/case2/late.mp4", &born) == -1) {
		destroy(&r);
		skip();
	}
	sleep(SETTLE);
	/* A scan that started the moment late.mp4 was born: not counted... */
	opt.start = born;
	opt.cache = r.cache;
	opt.stats = &r.stats;
	check(scan_store(r.root, &opt, &r.inc));
	assert_int_equal(r.inc.objects, 2 * 3 * 3 * 3 * 8);
	/* ...so the next one, which trusts its directory, adds it. */
	r.prev = born;
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);
	assert_int_equal(r.stats.dirs_read, 2); /* the hard link's */
	assert_int_equal(r.inc.objects, 2 * 3 * 3 * 3 * 8 + 1);
	assert_int_equal(r.inc.added_objects, 1);
	assert_int_equal(r.inc.added_bytes, 77);
	destroy(&r);
}

/* A directory with more subdirectories than SCAN_INDEX_MIN: a re-read finds
 * the cached ones through the sorted index. */
static void test_wide_directory(void **state)
{
	struct run r = { 0 };
	char p[2048];
	int i;

	(void)state;
	build(&r);
	for (i = 0; i < 40; i++) {
		snprintf(p, sizeof(p), "wide/d%02d", i);
		check(tree_mkdir(r.root, p));
		snprintf(p, sizeof(p), "wide/d%02d/f.mp4", i);
		check(tree_file(r.root, p, (uint64_t)i));
	}
	sleep(SETTLE);
	scan_both(&r, 0);
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);
	/* Remove some, add some, replace one: the wide directory is re-read
	 * and its unchanged subdirectories are still trusted. */
	for (i = 0; i < 40; i += 7) {
		snprintf(p, sizeof(p), "%s/wide/d%02d", r.root, i);
		tree_remove(p);
	}
	check(tree_mkdir(r.root, "wide/d99"));
	check(tree_file(r.root, "wide/d99/g.mp4", 5));
	check(tree_mkdir(r.root, "wide/d07"));
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 0);
	assert_true(r.stats.dirs_unchanged >= 30);
	assert_int_equal(r.stats.cache_dirs, 1 + 2 + 6 + 18 + 54 + 1 + 40 - 6 + 2);
	destroy(&r);
}

static void test_window_mismatch_forces_full(void **state)
{
	struct run r = { 0 };

	(void)state;
	start_trusted(&r);
	/* The caller lost a scan (say it failed): prev_start is not the
	 * cache's last start, so the cache's late counts cannot be used. */
	r.prev.tv_sec -= 1;
	scan_both(&r, 0);
	assert_int_equal(r.stats.full, 1);
	scan_both(&r, 1);
	assert_int_equal(r.stats.full, 1);
	destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unchanged_tree_is_not_read),
		cmocka_unit_test(test_creations_deletions_renames),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_late_born_files_are_next_scans_addition),
		cmocka_unit_test(test_wide_directory),
		cmocka_unit_test(test_window_mismatch_forces_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
