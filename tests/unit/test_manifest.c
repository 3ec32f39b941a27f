/*
 * test_manifest.c - the per-store manifest (agent/manifest.h) on real trees:
 * the exact diff after deletions, creations, a rename of a whole folder
 * (moves, not removals), in-place truncation, the age split, incremental
 * scans, and the crash cases (an unfinished scan's tail is cut off; a torn
 * or corrupted file is detected and rebuilt).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "agent/manifest.h"
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
	char root[1024], state[1024];
	struct manifest *m;
	struct scan_cache *cache;
	struct timespec prev, now;
	uint64_t retention, fresh_age;
	struct sw_sample s;
	struct manifest_diff d;
	char removed[64][256]; /* paths the callback saw */
	size_t nremoved;
};

static int on_removed(void *ud, const struct manifest_removed *r)
{
	struct run *run = ud;

	if (run->nremoved < 64)
		snprintf(run->removed[run->nremoved], sizeof run->removed[0], "%.*s",
			 (int)r->pathlen, r->path);
	run->nremoved++;
	return 0;
}

static void build(struct run *r)
{
	char p[2048];

	memset(r, 0, sizeof *r);
	log_force_stderr(true);
	log_set_level(LOG_ERR);
	check(tree_make_root(r->root, sizeof r->root));
	check(tree_make_root(r->state, sizeof r->state));
	for (int c = 0; c < 3; c++)
		for (int i = 0; i < 10; i++) {
			snprintf(p, sizeof p, "2021/case%d/f%02d.mp4", c, i);
			check(tree_mkdir(r->root, "2021/case0"));
			snprintf(p, sizeof p, "2021/case%d", c);
			check(tree_mkdir(r->root, p));
			snprintf(p, sizeof p, "2021/case%d/f%02d.mp4", c, i);
			check(tree_file(r->root, p, 1000u + (uint64_t)i));
		}
	check(tree_file(r->root, "top.txt", 77));
	check(manifest_open(r->state, "bodycam", &r->m));
	clock_gettime(CLOCK_REALTIME, &r->now);
}

static void destroy(struct run *r)
{
	manifest_close(r->m);
	scan_cache_free(r->cache);
	tree_remove(r->root);
	tree_remove(r->state);
}

/* One scan a minute after the previous one (clock in the future, so every
 * file is born before it), committed. */
static void scan(struct run *r)
{
	struct scan_options opt = { 0 };

	r->now.tv_sec += 60;
	opt.start = r->now;
	opt.prev_start = r->prev;
	opt.cache = r->cache;
	opt.manifest = r->m;
	opt.retention = r->retention;
	opt.fresh_age = r->fresh_age;
	opt.removed = on_removed;
	opt.removed_ud = r;
	opt.diff = &r->d;
	r->nremoved = 0;
	memset(&r->s, 0, sizeof r->s);
	check(scan_store(r->root, &opt, &r->s));
	assert_int_equal(r->s.status, SW_SCAN_COMPLETE);
	check(manifest_commit(r->m));
	r->prev = opt.start;
}

static int saw_removed(const struct run *r, const char *path)
{
	for (size_t i = 0; i < r->nremoved && i < 64; i++)
		if (strcmp(r->removed[i], path) == 0)
			return 1;
	return 0;
}

static void test_first_scan_then_unchanged(void **state)
{
	struct run r;
	uint64_t dirs, files, bytes;
	(void)state;

	build(&r);
	scan(&r);
	/* the first scan builds the manifest: nothing to compare with */
	assert_false(r.s.flags & SW_SAMPLE_EXACT);
	manifest_counts(r.m, &dirs, &files, &bytes);
	assert_int_equal(files, 31);
	assert_int_equal(dirs, 4); /* root + three cases (2021 holds no file) */
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 0);
	assert_int_equal(r.s.moved_objects, 0);
	assert_int_equal(r.s.removed_min_age, UINT64_MAX);
	/* an unchanged tree appends nothing */
	{
		uint64_t d2, f2, b2;

		manifest_counts(r.m, &d2, &f2, &b2);
		assert_int_equal(b2, bytes);
	}
	destroy(&r);
}

static void test_delete_and_create(void **state)
{
	struct run r;
	char p[2048];
	(void)state;

	build(&r);
	scan(&r);
	snprintf(p, sizeof p, "%s/2021/case1/f03.mp4", r.root);
	check(unlink(p));
	snprintf(p, sizeof p, "%s/top.txt", r.root);
	check(unlink(p));
	check(tree_file(r.root, "2021/case2/new.mp4", 5000));
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 2);
	assert_int_equal(r.s.removed_bytes, 1003 + 77);
	assert_int_equal(r.s.moved_objects, 0);
	assert_int_equal(r.nremoved, 2);
	assert_true(saw_removed(&r, "2021/case1/f03.mp4"));
	assert_true(saw_removed(&r, "top.txt"));
	assert_int_equal(r.d.created_objects, 1);
	/* a whole folder deleted: every file in it */
	snprintf(p, sizeof p, "%s/2021/case0", r.root);
	tree_remove(p);
	scan(&r);
	assert_int_equal(r.s.removed_objects, 10);
	assert_int_equal(r.d.dirs_gone, 1);
	assert_true(saw_removed(&r, "2021/case0/f09.mp4"));
	/* and it stays gone after the manifest is reopened */
	manifest_close(r.m);
	check(manifest_open(r.state, "bodycam", &r.m));
	assert_false(manifest_rebuilt(r.m));
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 0);
	destroy(&r);
}

static void test_rename_folder_is_moves(void **state)
{
	struct run r;
	char a[2048], b[2048];
	(void)state;

	build(&r);
	scan(&r);
	snprintf(a, sizeof a, "%s/2021/case1", r.root);
	check(tree_mkdir(r.root, "archive"));
	snprintf(b, sizeof b, "%s/archive/case1-renamed", r.root);
	check(rename(a, b));
	snprintf(a, sizeof a, "%s/2021/case2/f00.mp4", r.root);
	snprintf(b, sizeof b, "%s/2021/case2/renamed.mp4", r.root);
	check(rename(a, b));
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 0);
	assert_int_equal(r.s.removed_bytes, 0);
	assert_int_equal(r.nremoved, 0);
	assert_int_equal(r.s.moved_objects, 11);
	assert_int_equal(r.s.moved_bytes, 10 * 1000 + 45 + 1000);
	destroy(&r);
}

static void test_truncate_in_place(void **state)
{
	struct run r;
	char p[2048];
	(void)state;

	build(&r);
	scan(&r);
	snprintf(p, sizeof p, "%s/2021/case2/f09.mp4", r.root);
	check(truncate(p, 9));
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.shrunk_bytes, 1009 - 9);
	assert_int_equal(r.s.removed_objects, 0);
	destroy(&r);
}

static void test_age_split(void **state)
{
	struct run r;
	char p[2048];
	(void)state;

	build(&r);
	scan(&r);
	/* the scan clock runs a minute ahead per scan: files are ~120 s old */
	r.retention = 3600;
	snprintf(p, sizeof p, "%s/2021/case1/f01.mp4", r.root);
	check(unlink(p));
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_YOUNG_SPLIT);
	assert_int_equal(r.s.retention, 3600);
	assert_int_equal(r.s.removed_young_objects, 1);
	assert_int_equal(r.s.removed_young_bytes, 1001);
	assert_true(r.s.removed_min_age >= 100 && r.s.removed_min_age < 3600);
	/* older than retention: removed, not young */
	r.retention = 30;
	snprintf(p, sizeof p, "%s/2021/case1/f02.mp4", r.root);
	check(unlink(p));
	scan(&r);
	assert_int_equal(r.s.removed_objects, 1);
	assert_int_equal(r.s.removed_young_objects, 0);
	/* no retention: exact, but no split */
	r.retention = 0;
	snprintf(p, sizeof p, "%s/2021/case1/f03.mp4", r.root);
	check(unlink(p));
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_false(r.s.flags & SW_SAMPLE_YOUNG_SPLIT);
	assert_int_equal(r.s.removed_objects, 1);
	destroy(&r);
}

/* A case folder deleted together with a file that appeared seconds
 * before: the fresh split counts the fresh file apart, and the settled
 * minimum age is the folder's, which the fresh file cannot pull down. */
static void test_fresh_split(void **state)
{
	struct run r;
	char p[2048];
	int64_t built, at;
	(void)state;

	build(&r);
	built = r.now.tv_sec; /* every file of build() is born by now */
	scan(&r);
	sleep(3); /* the decoy is born at least two seconds after them */
	check(tree_file(r.root, "2021/case2/upload.part", 4242));
	scan(&r);
	assert_false(r.s.flags & SW_SAMPLE_FRESH_SPLIT); /* no fresh_age: no split */
	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof p, "%s/2021/case0/f%02d.mp4", r.root, i);
		check(unlink(p));
	}
	snprintf(p, sizeof p, "%s/2021/case2/upload.part", r.root);
	check(unlink(p));
	at = r.now.tv_sec + 60; /* the next scan's time */
	r.retention = 30 * 86400;
	r.fresh_age = (uint64_t)(at - built - 1);
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_true(r.s.flags & SW_SAMPLE_YOUNG_SPLIT);
	assert_true(r.s.flags & SW_SAMPLE_FRESH_SPLIT);
	assert_int_equal(r.s.fresh_age, r.fresh_age);
	assert_int_equal(r.s.removed_objects, 11);
	assert_int_equal(r.s.removed_young_objects, 11);
	assert_int_equal(r.s.removed_fresh_objects, 1);
	assert_int_equal(r.s.removed_fresh_bytes, 4242);
	assert_true(r.s.removed_min_age < r.fresh_age);
	assert_true(r.s.removed_min_settled_age >= (uint64_t)(at - built));
	assert_true(r.s.removed_min_settled_age != UINT64_MAX);
	/* without a retention the fresh part is split off the whole; a
	 * removal of fresh files only has no settled age */
	check(tree_file(r.root, "2021/case2/upload2.part", 10));
	scan(&r);
	snprintf(p, sizeof p, "%s/2021/case2/upload2.part", r.root);
	check(unlink(p));
	r.retention = 0;
	r.fresh_age = 3600;
	scan(&r);
	assert_false(r.s.flags & SW_SAMPLE_YOUNG_SPLIT);
	assert_true(r.s.flags & SW_SAMPLE_FRESH_SPLIT);
	assert_int_equal(r.s.removed_objects, 1);
	assert_int_equal(r.s.removed_fresh_objects, 1);
	assert_int_equal(r.s.removed_fresh_bytes, 10);
	assert_int_equal(r.s.removed_min_settled_age, UINT64_MAX);
	destroy(&r);
}

/* Two hours, at most an eighth of a known retention. */
static void test_fresh_age_default(void **state)
{
	(void)state;
	assert_int_equal(manifest_fresh_age(0), 7200);
	assert_int_equal(manifest_fresh_age(31 * 86400), 7200);
	assert_int_equal(manifest_fresh_age(120), 15);
	assert_int_equal(manifest_fresh_age(7), 0);
}

/* With the scan cache: an incremental scan reads only the changed
 * directories and still sees every removal; a gone folder too. */
static void test_incremental(void **state)
{
	struct run r;
	char p[2048];
	(void)state;

	build(&r);
	r.cache = scan_cache_new(3600, 1);
	assert_non_null(r.cache);
	sleep(SETTLE);
	scan(&r);
	scan(&r);
	snprintf(p, sizeof p, "%s/2021/case1/f05.mp4", r.root);
	check(unlink(p));
	snprintf(p, sizeof p, "%s/2021/case2", r.root);
	tree_remove(p);
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 11);
	assert_true(saw_removed(&r, "2021/case1/f05.mp4"));
	assert_true(saw_removed(&r, "2021/case2/f00.mp4"));
	destroy(&r);
}

/* kill -9 during a scan leaves records past the committed length: they are
 * cut off and the manifest is as the last committed scan left it. */
static void test_unfinished_scan_tail(void **state)
{
	struct run r;
	char path[2048], p[2048];
	struct stat st;
	int fd;
	(void)state;

	build(&r);
	scan(&r);
	snprintf(path, sizeof path, "%s/bodycam.swm", r.state);
	check(stat(path, &st));
	/* a scan that appended (half) a record and was killed */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\0\0\1\0garbage-half-record", 23), 23);
	close(fd);
	manifest_close(r.m);
	check(manifest_open(r.state, "bodycam", &r.m));
	assert_false(manifest_rebuilt(r.m));
	{
		struct stat st2;

		check(stat(path, &st2));
		assert_int_equal(st2.st_size, st.st_size);
	}
	snprintf(p, sizeof p, "%s/2021/case1/f03.mp4", r.root);
	check(unlink(p));
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 1);
	destroy(&r);
}

static void damage_and_reopen(struct run *r, int how)
{
	char path[2048];
	struct stat st;

	snprintf(path, sizeof path, "%s/bodycam.swm", r->state);
	check(stat(path, &st));
	manifest_close(r->m);
	if (how == 0) {
		/* torn: shorter than its header says */
		check(truncate(path, st.st_size - 5));
	} else {
		/* a flipped byte inside a record */
		int fd = open(path, O_RDWR);
		uint8_t c;

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &c, 1, 64 + 20), 1);
		c ^= 0x40;
		assert_int_equal(pwrite(fd, &c, 1, 64 + 20), 1);
		close(fd);
	}
	check(manifest_open(r->state, "bodycam", &r->m));
	assert_true(manifest_rebuilt(r->m));
	assert_int_equal(manifest_last_scan(r->m), 0);
	snprintf(path, sizeof path, "%s/bodycam.swm.damaged", r->state);
	check(stat(path, &st));
}

static void test_damaged_is_rebuilt(void **state)
{
	for (int how = 0; how < 2; how++) {
		struct run r;
		char p[2048];
		(void)state;

		build(&r);
		scan(&r);
		damage_and_reopen(&r, how);
		/* the rebuild: no false loss, no exact figures */
		snprintf(p, sizeof p, "%s/2021/case1/f03.mp4", r.root);
		check(unlink(p));
		scan(&r);
		assert_false(r.s.flags & SW_SAMPLE_EXACT);
		assert_int_equal(r.s.removed_objects, 0);
		assert_int_equal(r.nremoved, 0);
		/* and the scan after it is exact again */
		snprintf(p, sizeof p, "%s/2021/case1/f04.mp4", r.root);
		check(unlink(p));
		scan(&r);
		assert_true(r.s.flags & SW_SAMPLE_EXACT);
		assert_int_equal(r.s.removed_objects, 1);
		destroy(&r);
	}
}

/* Hostile names survive the manifest byte for byte. */
static void test_hostile_names(void **state)
{
	struct run r;
	char name[300], p[2048];
	(void)state;

	build(&r);
	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(p, sizeof p, "2021/case0/%s", name);
	check(tree_file(r.root, p, 1));
	check(tree_file(r.root, "2021/case0/line\nbreak\xff\x1b[2J", 2));
	scan(&r);
	snprintf(p, sizeof p, "%s/2021/case0/line\nbreak\xff\x1b[2J", r.root);
	check(unlink(p));
	snprintf(p, sizeof p, "%s/2021/case0/%s", r.root, name);
	check(unlink(p));
	scan(&r);
	assert_int_equal(r.s.removed_objects, 2);
	assert_true(saw_removed(&r, "2021/case0/line\nbreak\xff\x1b[2J"));
	destroy(&r);
}

/* A scan that never reaches the manifest (the store is missing) leaves it
 * as the scan before left it; when the store is back nothing is lost. */
static void test_missing_store_keeps_manifest(void **state)
{
	struct run r;
	struct scan_options opt = { 0 };
	char moved[1100];
	int64_t last;
	(void)state;

	build(&r);
	scan(&r);
	scan(&r);
	last = manifest_last_scan(r.m);
	snprintf(moved, sizeof moved, "%s.away", r.root);
	check(rename(r.root, moved));
	r.now.tv_sec += 60;
	opt.start = r.now;
	opt.prev_start = r.prev;
	opt.manifest = r.m;
	memset(&r.s, 0, sizeof r.s);
	check(scan_store(r.root, &opt, &r.s));
	assert_int_equal(r.s.status, SW_SCAN_MISSING);
	assert_false(r.s.flags & SW_SAMPLE_EXACT);
	check(manifest_commit(r.m));
	assert_int_equal(manifest_last_scan(r.m), last);
	r.prev = opt.start;
	check(rename(moved, r.root));
	scan(&r);
	assert_false(r.s.flags & SW_SAMPLE_EXACT); /* the window is not the manifest's */
	assert_int_equal(r.nremoved, 0);
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 0);
	destroy(&r);
}

/* Superseded records are rewritten away once they outweigh the live ones
 * (by 1 MB): the compacted file is small, reopens cleanly and still diffs. */
static void test_compaction(void **state)
{
	struct run r;
	char p[2048];
	struct stat st;
	uint64_t dirs, files, bytes, most = 0, before = 0;
	int shrank = 0;
	(void)state;

	build(&r);
	check(tree_mkdir(r.root, "big"));
	for (int i = 0; i < 5000; i++) {
		snprintf(p, sizeof p, "big/a-rather-long-file-name-for-the-record-%05d.mp4", i);
		check(tree_file(r.root, p, (uint64_t)i));
	}
	scan(&r);
	for (int k = 0; k < 20; k++) {
		snprintf(p, sizeof p, "big/new-%02d.mp4", k);
		check(tree_file(r.root, p, 1));
		scan(&r);
		manifest_counts(r.m, &dirs, &files, &bytes);
		if (bytes > most)
			most = bytes;
		if (before && bytes < before / 4)
			shrank = 1; /* compacted: the live records only */
		before = bytes;
	}
	assert_int_equal(files, 31 + 5000 + 20);
	/* it grew past 1 MB of superseded records and was cut back */
	assert_true(most > (1u << 20));
	assert_true(shrank);
	assert_true(bytes < most);
	snprintf(p, sizeof p, "%s/bodycam.swm", r.state);
	check(stat(p, &st));
	assert_int_equal((uint64_t)st.st_size, bytes);
	manifest_close(r.m);
	check(manifest_open(r.state, "bodycam", &r.m));
	assert_false(manifest_rebuilt(r.m));
	snprintf(p, sizeof p, "%s/big/new-07.mp4", r.root);
	check(unlink(p));
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 1);
	assert_true(saw_removed(&r, "big/new-07.mp4"));
	destroy(&r);
}

/* The file lives under state_dir with mode 0600. */
static void test_file_mode(void **state)
{
	struct run r;
	char path[2048];
	struct stat st;
	(void)state;

	build(&r);
	scan(&r);
	snprintf(path, sizeof path, "%s/bodycam.swm", r.state);
	check(stat(path, &st));
	assert_int_equal(st.st_mode & 0777, 0600);
	destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_scan_then_unchanged),
		cmocka_unit_test(test_delete_and_create),
		cmocka_unit_test(test_rename_folder_is_moves),
		cmocka_unit_test(test_truncate_in_place),
		cmocka_unit_test(test_age_split),
		cmocka_unit_test(test_fresh_split),
		cmocka_unit_test(test_fresh_age_default),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_unfinished_scan_tail),
		cmocka_unit_test(test_damaged_is_rebuilt),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_missing_store_keeps_manifest),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_file_mode),
	};
	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
