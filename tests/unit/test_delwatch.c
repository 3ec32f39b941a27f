/*
 * test_delwatch.c - deletions under a store are reported with the process
 * that made them (agent/delwatch.c), deletions elsewhere on the same
 * filesystem are not, and an unprivileged agent is told no.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "agent/delwatch.h"
#include "scan_tree.h"
#include "shrinkwatch/log.h"

static void check(int ret)
{
	assert_int_equal(ret, 0);
}

/* Reads events until want files are reported or nothing comes for a
 * while (the test then fails on the counts, it does not hang). */
static size_t collect(struct delwatch *dw, struct delwatch_report *r, size_t max, uint64_t want)
{
	size_t n = 0, i;
	uint64_t files = 0;
	int idle = 0;

	while (files < want && idle < 50) {
		struct pollfd p = { .fd = delwatch_fd(dw), .events = POLLIN };

		if (poll(&p, 1, 100) <= 0) {
			idle++;
			continue;
		}
		check(delwatch_read(dw));
		n += delwatch_take(dw, r + n, max - n);
		for (files = 0, i = 0; i < n; i++)
			files += r[i].files;
	}
	return n;
}

static void test_deletions_are_attributed(void **state)
{
	char root[1024], other[1024], p[2048], exe[512];
	struct delwatch_report r[DELWATCH_MAX_REPORTS];
	struct delwatch *dw;
	int go[2], done[2], status, ret, i;
	ssize_t n;
	size_t nr;
	pid_t pid;
	char c;

	(void)state;
	log_force_stderr(true);
	log_set_level(LOG_ERR);
	check(tree_make_root(root, sizeof(root)));
	check(tree_make_root(other, sizeof(other)));
	check(tree_mkdir(root, "2023/08/01/case1"));
	for (i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "2023/08/01/case1/f%d.mp4", i);
		check(tree_file(root, p, 10));
		snprintf(p, sizeof(p), "x%d", i);
		check(tree_file(other, p, 10));
	}
	ret = delwatch_open(&dw, root, 2);
	if (ret == -EPERM || ret == -EINVAL || ret == -ENOSYS) {
		tree_remove(root);
		tree_remove(other);
		skip(); /* no CAP_SYS_ADMIN or an old kernel: the agent scans instead */
	}
	check(ret);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';

	/* A child deletes, then waits until its events were read, so that
	 * its executable and uid can still be looked up. */
	check(pipe(go));
	check(pipe(done));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char q[2048];

		/* Only the parent's ends stay open there: if it fails, this
		 * read sees end-of-file and the child leaves. */
		close(go[0]);
		close(done[1]);
		for (i = 0; i < 5; i++) {
			snprintf(q, sizeof(q), "%s/2023/08/01/case1/f%d.mp4", root, i);
			unlink(q);
			snprintf(q, sizeof(q), "%s/x%d", other, i);
			unlink(q);
		}
		snprintf(q, sizeof(q), "%s/2023/08/01/case1", root);
		rmdir(q);
		if (write(go[1], "x", 1) != 1)
			_exit(1);
		_exit(read(done[0], &c, 1) == 1 ? 0 : 1);
	}
	close(go[1]);
	close(done[0]);
	assert_int_equal(read(go[0], &c, 1), 1);
	close(go[0]);
	nr = collect(dw, r, DELWATCH_MAX_REPORTS, 5);
	assert_int_equal(write(done[1], "x", 1), 1);
	close(done[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);

	/* One line: the five files and the case directory, under 2023/08/. */
	assert_int_equal(nr, 1);
	assert_int_equal(r[0].pid, pid);
	assert_int_equal(r[0].files, 5);
	assert_int_equal(r[0].dirs, 1);
	assert_string_equal(r[0].dir, "2023/08/");
	assert_string_equal(r[0].exe, exe);
	assert_int_equal(r[0].uid, (int64_t)getuid());
	{
		char line[600], want[1200];

		delwatch_format(&r[0], line, sizeof(line));
		snprintf(want, sizeof(want),
			 "5 files, 1 directories deleted under 2023/08/ by pid %d %s uid %d",
			 (int)pid, exe, (int)getuid());
		assert_string_equal(line, want);
	}
	delwatch_close(dw);
	tree_remove(root);
	tree_remove(other);
}

/* More deletions than the kernel queues (16384 events by default) before
 * the agent reads: the watcher says events were lost, so the agent rescans. */
static void test_overflow_asks_for_a_rescan(void **state)
{
	char root[1024], p[2048];
	struct delwatch *dw;
	int ret, i, n = 20000;

	(void)state;
	check(tree_make_root(root, sizeof(root)));
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "f%d", i);
		check(tree_file(root, p, 0));
	}
	ret = delwatch_open(&dw, root, 1);
	if (ret == -EPERM || ret == -EINVAL || ret == -ENOSYS) {
		tree_remove(root);
		skip();
	}
	check(ret);
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/f%d", root, i);
		check(unlink(p));
	}
	assert_int_equal(delwatch_read(dw), -EOVERFLOW);
	delwatch_close(dw);
	tree_remove(root);
}

static void test_unprivileged_is_refused(void **state)
{
	char root[1024];
	int status;
	pid_t pid;

	(void)state;
	check(tree_make_root(root, sizeof(root)));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct delwatch *dw;
		int ret;

		if (tree_become_nobody() < 0)
			_exit(2);
		ret = delwatch_open(&dw, root, 2);
		_exit(ret == -EPERM && dw == NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	tree_remove(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deletions_are_attributed),
		cmocka_unit_test(test_overflow_asks_for_a_rescan),
		cmocka_unit_test(test_unprivileged_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
