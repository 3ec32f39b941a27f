/*
 * test_journal.c - the removal journal (agent/journal.h) on a real
 * directory: queries by store, window and prefix; the byte cap (oldest go
 * first, counted); expiry after removal_journal_keep; an unfinished batch
 * cut off on reopen; the rollback of a batch the manifest never committed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "agent/journal.h"
#include "scan_tree.h"
#include "shrinkwatch/log.h"

static void check(int ret)
{
	assert_int_equal(ret, 0);
}

struct seen {
	uint64_t n, bytes;
	char first[JOURNAL_PATH_MAX + 1];
	char exe[64];
	int64_t uid;
};

static int count(void *ud, const struct journal_entry *e)
{
	struct seen *s = ud;

	if (s->n++ == 0) {
		snprintf(s->first, sizeof s->first, "%.*s", (int)e->pathlen, e->path);
		snprintf(s->exe, sizeof s->exe, "%s", e->exe);
		s->uid = e->uid;
	}
	s->bytes += e->size;
	return 0;
}

static struct seen query(struct journal *j, const char *store, int64_t from, int64_t to,
			 const char *prefix)
{
	struct seen s = { 0 };

	check(journal_query(j, store, from, to, prefix, prefix ? strlen(prefix) : 0, count, &s));
	return s;
}

/* One scan's batch of n removals of store at time t. */
static void batch(struct journal *j, const char *store, int64_t t, unsigned n,
		  const char *dir)
{
	char path[256];

	for (unsigned i = 0; i < n; i++) {
		struct journal_entry e = { .store = store, .size = 100 + i, .birth = t - 1000,
					   .removed_after = t - 60, .removed_before = t,
					   .pid = 0, .uid = -1, .exe = "?" };

		snprintf(path, sizeof path, "%s/item%05u.mp4", dir, i);
		e.path = path;
		e.pathlen = strlen(path);
		check(journal_append(j, &e));
	}
	check(journal_commit(j, store, t));
}

static void test_query(void **state)
{
	char dir[1024];
	struct journal *j;
	struct seen s;
	const char hostile[] = "case\n9/\xff\x1b[31m.mp4";
	struct journal_entry e = { .store = "cases", .path = hostile, .pathlen = sizeof hostile - 1,
				   .size = 5, .birth = 1, .removed_after = 1700000000,
				   .removed_before = 1700000060, .pid = 4312, .uid = 1000,
				   .exe = "/usr/bin/rm" };
	(void)state;

	log_force_stderr(true);
	log_set_level(LOG_ERR);
	check(tree_make_root(dir, sizeof dir));
	check(journal_open(dir, JOURNAL_DEFAULT_KEEP, JOURNAL_DEFAULT_MAX, &j));
	batch(j, "bodycam", 1700000000, 10, "2021/case1");
	batch(j, "bodycam", 1700000600, 5, "2021/case2");
	check(journal_append(j, &e));
	check(journal_commit(j, "cases", 1700000060));
	s = query(j, "bodycam", 0, INT64_MAX, NULL);
	assert_int_equal(s.n, 15);
	s = query(j, "bodycam", 1700000300, INT64_MAX, NULL); /* the second scan only */
	assert_int_equal(s.n, 5);
	s = query(j, "bodycam", 0, INT64_MAX, "2021/case1/");
	assert_int_equal(s.n, 10);
	assert_string_equal(s.first, "2021/case1/item00000.mp4");
	s = query(j, "cases", 0, INT64_MAX, NULL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.first, hostile);
	assert_string_equal(s.exe, "/usr/bin/rm");
	assert_int_equal(s.uid, 1000);
	/* it survives a reopen */
	journal_close(j);
	check(journal_open(dir, JOURNAL_DEFAULT_KEEP, JOURNAL_DEFAULT_MAX, &j));
	s = query(j, "bodycam", 0, INT64_MAX, NULL);
	assert_int_equal(s.n, 15);
	journal_close(j);
	tree_remove(dir);
}

/* Over the cap the oldest segments go, counted. */
static void test_cap(void **state)
{
	char dir[1024];
	struct journal *j;
	struct seen s;
	(void)state;

	check(tree_make_root(dir, sizeof dir));
	/* 64 KiB cap: segments of 4 KiB, each ~70-byte entry */
	check(journal_open(dir, JOURNAL_DEFAULT_KEEP, 64 * 1024, &j));
	for (int i = 0; i < 40; i++)
		batch(j, "bodycam", 1700000000 + i * 60, 50, "d");
	assert_true(journal_bytes(j) <= 64 * 1024);
	assert_true(journal_dropped(j) > 0);
	s = query(j, "bodycam", 0, INT64_MAX, NULL);
	assert_int_equal(s.n + journal_dropped(j), 40 * 50);
	/* the newest are the ones kept */
	s = query(j, "bodycam", 1700000000 + 39 * 60, INT64_MAX, NULL);
	assert_int_equal(s.n, 50);
	journal_close(j);
	tree_remove(dir);
}

/* What went for space is recorded per store, and kept across a restart
 * (where journal_dropped() starts again from 0): a window reaching back to
 * it is not fully covered; a later window, or another store, is. */
static void test_coverage_survives_restart(void **state)
{
	char dir[1024];
	struct journal *j;
	struct seen s;
	uint64_t lost = 0, dropped;
	int64_t before;
	(void)state;

	check(tree_make_root(dir, sizeof dir));
	check(journal_open(dir, JOURNAL_DEFAULT_KEEP, 64 * 1024, &j));
	assert_int_equal(journal_coverage(j, "bodycam", 0, &lost), 0);
	batch(j, "other", 1699990000, 1, "o");
	for (int i = 0; i < 40; i++)
		batch(j, "bodycam", 1700000000 + i * 60, 50, "d");
	dropped = journal_dropped(j);
	assert_true(dropped > 0);
	before = journal_coverage(j, "bodycam", 0, &lost);
	assert_true(before >= 1700000000 && before < 1700000000 + 39 * 60);
	/* the other store's one entry went with the first segment too */
	assert_int_equal(lost + 1, dropped);
	/* everything up to `before` went, everything after is here */
	s = query(j, "bodycam", 0, before - 60, NULL); /* brackets ending by before */
	assert_int_equal(s.n, 0);
	s = query(j, "bodycam", before + 1, INT64_MAX, NULL);
	assert_int_equal(s.n + lost, 40 * 50);
	assert_int_equal(journal_coverage(j, "bodycam", before + 1, NULL), 0);
	assert_int_equal(journal_coverage(j, "bodycam", before, NULL), before);
	assert_int_equal(journal_coverage(j, "other", 0, &lost), 1699990000);
	assert_int_equal(lost, 1);
	assert_int_equal(journal_coverage(j, "never", 0, NULL), 0);
	journal_close(j);
	/* a restart: nothing dropped since it, the coverage still known */
	check(journal_open(dir, JOURNAL_DEFAULT_KEEP, 64 * 1024, &j));
	assert_int_equal(journal_dropped(j), 0);
	assert_int_equal(journal_coverage(j, "bodycam", 0, &lost), before);
	assert_int_equal(lost + 1, dropped);
	assert_int_equal(journal_coverage(j, "bodycam", before + 1, NULL), 0);
	journal_close(j);
	tree_remove(dir);
}

/* Entries older than keep go at a later commit; not counted as dropped. */
static void test_expiry(void **state)
{
	char dir[1024];
	struct journal *j;
	struct seen s;
	uint64_t lost;
	(void)state;

	check(tree_make_root(dir, sizeof dir));
	check(journal_open(dir, 86400, 4096 * 16, &j));
	batch(j, "bodycam", 1700000000, 100, "old"); /* ~7 KB: fills a segment */
	batch(j, "bodycam", 1700000000 + 3 * 86400, 1, "new");
	s = query(j, "bodycam", 0, INT64_MAX, NULL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.first, "new/item00000.mp4");
	assert_int_equal(journal_dropped(j), 0);
	/* but a window reaching back to them is not covered */
	assert_int_equal(journal_coverage(j, "bodycam", 0, &lost), 1700000000);
	assert_int_equal(lost, 100);
	assert_int_equal(journal_coverage(j, "bodycam", 1700000001, NULL), 0);
	journal_close(j);
	tree_remove(dir);
}

/* kill -9 in the middle of a batch: the batch is cut off on reopen; a batch
 * committed here but not in the manifest is taken back. */
static void test_crash_cases(void **state)
{
	char dir[1024], seg[1200];
	struct journal *j;
	struct seen s;
	struct stat st;
	int fd;
	(void)state;

	check(tree_make_root(dir, sizeof dir));
	check(journal_open(dir, JOURNAL_DEFAULT_KEEP, JOURNAL_DEFAULT_MAX, &j));
	batch(j, "bodycam", 1700000000, 3, "a");
	journal_close(j);
	snprintf(seg, sizeof seg, "%s/00000001.jnl", dir);
	check(stat(seg, &st));
	fd = open(seg, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\0\0\0\x10torn-entry", 14), 14);
	close(fd);
	check(journal_open(dir, JOURNAL_DEFAULT_KEEP, JOURNAL_DEFAULT_MAX, &j));
	{
		struct stat st2;

		check(stat(seg, &st2));
		assert_int_equal(st2.st_size, st.st_size);
	}
	s = query(j, "bodycam", 0, INT64_MAX, NULL);
	assert_int_equal(s.n, 3);
	/* the manifest committed 1700000000: nothing to take back */
	assert_int_equal(journal_rollback(j, "bodycam", 1700000000), 0);
	batch(j, "bodycam", 1700000060, 4, "b");
	/* another store's manifest: not this batch */
	assert_int_equal(journal_rollback(j, "cases", 0), 0);
	/* the manifest still says 1700000000: the batch of ...60 is taken back */
	assert_int_equal(journal_rollback(j, "bodycam", 1700000000), 4);
	s = query(j, "bodycam", 0, INT64_MAX, NULL);
	assert_int_equal(s.n, 3);
	journal_close(j);
	tree_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_coverage_survives_restart),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_crash_cases),
	};
	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
