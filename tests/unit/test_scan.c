/*
 * test_scan.c - the store walker (agent/scan.c) on real temporary trees,
 * against totals that find(1) computes independently.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "agent/scan.h"
#include "scan_tree.h"
#include "shrinkwatch/log.h"

struct fixture {
	char root[1024];
	char outside[1024];
};

static void check(int ret)
{
	assert_int_equal(ret, 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char p[8192];
	int i;

	log_force_stderr(true);
	log_set_level(LOG_ERR);
	check(tree_make_root(f->root, sizeof(f->root)));
	check(tree_make_root(f->outside, sizeof(f->outside)));
	/* An evidence-shaped tree with a few odd corners. */
	for (i = 0; i < 40; i++) {
		snprintf(p, sizeof(p), "2023/0%d/1%d/case%d", i % 3 + 1, i % 5, i);
		check(tree_mkdir(f->root, p));
		snprintf(p, sizeof(p), "2023/0%d/1%d/case%d/clip%d.mp4", i % 3 + 1, i % 5, i, i);
		check(tree_file(f->root, p, (uint64_t)i * 1000003u));
		snprintf(p, sizeof(p), "2023/0%d/1%d/case%d/notes.txt", i % 3 + 1, i % 5, i);
		check(tree_file(f->root, p, (uint64_t)i + 1));
	}
	check(tree_mkdir(f->root, "empty/deeper/still"));
	check(tree_file(f->root, "top.bin", 123456789));
	check(tree_file(f->root, "zero", 0));
	/* A file with three names, and a symlink to a file and to a directory
	 * full of files outside the store: neither is followed. */
	check(tree_file(f->root, "2023/01/10/case0/linked.mp4", 5000000));
	snprintf(p, sizeof(p), "%s/2023/01/10/case0/linked.mp4", f->root);
	{
		char q[8192];

		snprintf(q, sizeof(q), "%s/2023/link2.mp4", f->root);
		check(link(p, q) < 0 ? -errno : 0);
		snprintf(q, sizeof(q), "%s/link3.mp4", f->root);
		check(link(p, q) < 0 ? -errno : 0);
		snprintf(q, sizeof(q), "%s/sym.mp4", f->root);
		check(symlink(p, q) < 0 ? -errno : 0);
		snprintf(q, sizeof(q), "%s/symdir", f->root);
		check(symlink(f->outside, q) < 0 ? -errno : 0);
		snprintf(q, sizeof(q), "%s/fifo", f->root);
		check(mkfifo(q, 0644) < 0 ? -errno : 0);
	}
	for (i = 0; i < 7; i++) {
		snprintf(p, sizeof(p), "out%d", i);
		check(tree_file(f->outside, p, 1000));
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tree_remove(f->root);
	tree_remove(f->outside);
	free(f);
	return 0;
}

static void scan_now(const char *path, unsigned threads, struct sw_sample *s)
{
	struct scan_options opt = { .start = tree_now(), .threads = threads };

	memset(s, 0, sizeof(*s));
	check(scan_store(path, &opt, s));
}

static void test_totals_match_find(void **state)
{
	struct fixture *f = *state;
	uint64_t objects, bytes;
	unsigned threads[] = { 1, 2, 4, 0 };
	size_t i;

	check(tree_expect(f->root, &objects, &bytes));
	/* 40 clips + 40 notes + top.bin + zero + one inode with three names. */
	assert_int_equal(objects, 83);
	for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		struct sw_sample s;

		scan_now(f->root, threads[i], &s);
		assert_int_equal(s.status, SW_SCAN_COMPLETE);
		assert_int_equal(s.error_count, 0);
		assert_int_equal(s.objects, objects);
		assert_int_equal(s.bytes, bytes);
		assert_false(s.flags & SW_SAMPLE_HAS_ADDED);
	}
}

static void test_hard_links_once_symlinks_not_followed(void **state)
{
	struct fixture *f = *state;
	uint64_t out_objects, out_bytes;
	struct sw_sample s, t;
	char p[8192];

	scan_now(f->root, 2, &s);
	/* A fourth name for the linked file changes nothing... */
	snprintf(p, sizeof(p), "%s/link3.mp4", f->root);
	{
		char q[8192];

		snprintf(q, sizeof(q), "%s/empty/link4.mp4", f->root);
		check(link(p, q) < 0 ? -errno : 0);
		scan_now(f->root, 2, &t);
		unlink(q);
	}
	assert_int_equal(t.objects, s.objects);
	assert_int_equal(t.bytes, s.bytes);
	/* ...and the directory behind the symlink is not in the totals. */
	check(tree_expect(f->outside, &out_objects, &out_bytes));
	assert_int_equal(out_objects, 7);
	snprintf(p, sizeof(p), "%s/symdir", f->root);
	unlink(p);
	scan_now(f->root, 2, &t);
	assert_int_equal(t.objects, s.objects);
	assert_int_equal(t.bytes, s.bytes);
	check(symlink(f->outside, p) < 0 ? -errno : 0);
}

static void test_filesystem_fields(void **state)
{
	struct fixture *f = *state;
	struct sw_sample s;
	struct stat st;

	scan_now(f->root, 1, &s);
	check(stat(f->root, &st));
	assert_int_equal(s.mount_id, (uint64_t)st.st_dev);
	assert_true(s.fs_size > 0);
	assert_true(s.fs_used > 0 && s.fs_used <= s.fs_size);
	assert_true(s.fs_inodes > 0);
}

static void test_missing_store(void **state)
{
	struct fixture *f = *state;
	struct sw_sample s;
	char p[8192];

	snprintf(p, sizeof(p), "%s/no/such/store", f->root);
	scan_now(p, 1, &s);
	assert_int_equal(s.status, SW_SCAN_MISSING);
	assert_int_equal(s.objects, 0);
	assert_non_null(strstr(s.first_error, "No such file or directory"));
	assert_string_equal(s.first_error, "cannot open the store's root: No such file or directory");
	/* A file where the store should be is not a store either. */
	snprintf(p, sizeof(p), "%s/top.bin", f->root);
	scan_now(p, 1, &s);
	assert_int_equal(s.status, SW_SCAN_MISSING);
}

/* Runs the scan as nobody in a child (root reads through any mode bits) and
 * sends the sample back through a pipe. */
static void scan_as_nobody(const char *path, struct sw_sample *s)
{
	int pfd[2], status;
	pid_t pid;

	check(pipe(pfd));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sw_sample c;
		struct scan_options opt = { .start = tree_now(), .threads = 2 };

		close(pfd[0]);
		if (tree_become_nobody() < 0)
			_exit(2);
		memset(&c, 0, sizeof(c));
		if (scan_store(path, &opt, &c) != 0)
			_exit(3);
		_exit(write(pfd[1], &c, sizeof(c)) == (ssize_t)sizeof(c) ? 0 : 4);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], s, sizeof(*s)), (ssize_t)sizeof(*s));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_unreadable_directory_is_partial(void **state)
{
	struct fixture *f = *state;
	struct sw_sample s, whole;
	char p[8192];

	check(tree_mkdir(f->root, "2023/02/locked"));
	check(tree_file(f->root, "2023/02/locked/hidden.mp4", 777));
	scan_as_nobody(f->root, &whole);
	assert_int_equal(whole.status, SW_SCAN_COMPLETE);
	snprintf(p, sizeof(p), "%s/2023/02/locked", f->root);
	check(chmod(p, 0));
	scan_as_nobody(f->root, &s);
	chmod(p, 0755);
	assert_int_equal(s.status, SW_SCAN_PARTIAL);
	assert_int_equal(s.error_count, 1);
	/* the sample names no path inside the store (names, dates of birth):
	 * what failed, how deep, and why */
	assert_string_equal(s.first_error, "cannot open an entry at depth 3: Permission denied "
					   "(the path is in the agent's log)");
	assert_null(strstr(s.first_error, "locked"));
	/* What it could read is still there: it is not reported as complete. */
	assert_int_equal(s.objects, whole.objects - 1);
	snprintf(p, sizeof(p), "%s/2023/02/locked/hidden.mp4", f->root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/2023/02/locked", f->root);
	rmdir(p);
}

/* Under libpam-tmpdir TMPDIR is /tmp/user/0, mode 0700: nobody cannot reach
 * a tree made there, so the tests that drop to nobody failed with a bare
 * "0x1 != 0".  tree_make_root() places the tree where nobody can reach it. */
static void test_tree_reachable_from_a_private_tmpdir(void **state)
{
	char priv[1024], sub[1100], root[1024];
	const char *old = getenv("TMPDIR");
	char *saved = old ? strdup(old) : NULL;
	struct sw_sample s;

	(void)state;
	snprintf(priv, sizeof(priv), "/tmp/swscan-user.XXXXXX");
	assert_non_null(mkdtemp(priv));
	check(chmod(priv, 0700) < 0 ? -errno : 0);
	snprintf(sub, sizeof(sub), "%s/0", priv);
	check(mkdir(sub, 0700) < 0 ? -errno : 0);
	setenv("TMPDIR", sub, 1);
	check(tree_make_root(root, sizeof(root)));
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	check(tree_file(root, "clip.mp4", 1000));
	scan_as_nobody(root, &s);
	assert_int_equal(s.status, SW_SCAN_COMPLETE);
	assert_int_equal(s.objects, 1);
	tree_remove(root);
	tree_remove(priv);
}

/* Nesting past SCAN_MAX_DEPTH (256) is reported, not walked with ever more
 * buffers. */
static void test_too_deep_is_partial(void **state)
{
	char dir[1024], rel[1024];
	struct sw_sample s;
	size_t i;

	(void)state;
	check(tree_make_root(dir, sizeof(dir)));
	for (i = 0; i < 300; i++)
		memcpy(rel + 2 * i, "d/", 2);
	rel[2 * 300 - 1] = '\0';
	check(tree_mkdir(dir, rel));
	check(tree_file(dir, "d/top.mp4", 1));
	scan_now(dir, 2, &s);
	assert_int_equal(s.status, SW_SCAN_PARTIAL);
	assert_int_equal(s.error_count, 1);
	assert_non_null(strstr(s.first_error, "cannot descend into an entry at depth "));
	assert_null(strstr(s.first_error, "d/d"));
	assert_non_null(strstr(s.first_error, "File name too long"));
	assert_int_equal(s.objects, 1);
	tree_remove(dir);
}

static void test_added_window(void **state)
{
	struct fixture *f = *state;
	struct timespec b1, b2, before, start;
	struct scan_options opt = { .threads = 2 };
	struct sw_sample s;
	char dir[1024];
	int ret;

	(void)f;
	check(tree_make_root(dir, sizeof(dir)));
	check(tree_file(dir, "old.mp4", 100));
	ret = tree_btime(dir, "old.mp4", &b1);
	if (ret == -1) {
		tree_remove(dir);
		skip(); /* no birth times on this filesystem */
	}
	check(ret);
	/* Distinct birth times: wait until the coarse clock has moved on. */
	do {
		char q[2048];

		snprintf(q, sizeof(q), "%s/new.mp4", dir);
		unlink(q); /* a new inode each time: O_TRUNC keeps the birth time */
		check(tree_file(dir, "new.mp4", 20));
		check(tree_btime(dir, "new.mp4", &b2));
	} while (b2.tv_sec == b1.tv_sec && b2.tv_nsec == b1.tv_nsec);
	before = b1;
	before.tv_sec -= 10;

	/* [b2, now): new.mp4 is added, both are in the totals. */
	opt.prev_start = b2;
	opt.start = start = tree_now();
	check(scan_store(dir, &opt, &s));
	assert_int_equal(s.status, SW_SCAN_COMPLETE);
	assert_int_equal(s.objects, 2);
	assert_int_equal(s.bytes, 120);
	assert_int_equal(s.added_objects, 1);
	assert_int_equal(s.added_bytes, 20);
	assert_true(s.flags & SW_SAMPLE_HAS_ADDED);
	assert_true(s.flags & SW_SAMPLE_BTIME);
	assert_int_equal(s.time, (int64_t)start.tv_sec);

	/* A scan that started at b2: new.mp4 was born during it and is in
	 * neither count; old.mp4, born at the window's start, is added. */
	opt.prev_start = b1;
	opt.start = b2;
	check(scan_store(dir, &opt, &s));
	assert_int_equal(s.objects, 1);
	assert_int_equal(s.bytes, 100);
	assert_int_equal(s.added_objects, 1);
	assert_int_equal(s.added_bytes, 100);

	/* A window before both: nothing added. */
	opt.prev_start = before;
	opt.start = b1;
	check(scan_store(dir, &opt, &s));
	assert_int_equal(s.objects, 0);
	assert_int_equal(s.added_objects, 0);
	tree_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_totals_match_find),
		cmocka_unit_test(test_hard_links_once_symlinks_not_followed),
		cmocka_unit_test(test_filesystem_fields),
		cmocka_unit_test(test_missing_store),
		cmocka_unit_test(test_unreadable_directory_is_partial),
		cmocka_unit_test(test_too_deep_is_partial),
		cmocka_unit_test(test_tree_reachable_from_a_private_tmpdir),
		cmocka_unit_test(test_added_window),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
