/*
 * test_delwatch_run.c - the agent's deletion watch on a real event loop:
 * files deleted under a watched store become reports in the delivery queue
 * and kick the shippers; deletion_watch = no watches nothing; yes on a
 * store that cannot be watched refuses to start, auto carries on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "agent/delwatch_run.h"
#include "scan_tree.h"
#include "shrinkwatch/log.h"

struct kick_ctx {
	uv_loop_t *loop;
	struct delqueue *q;
	int kicks;
};

static void kicked(void *ctx)
{
	struct kick_ctx *k = ctx;

	k->kicks++;
	uv_stop(k->loop);
}

static void give_up(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the loop until the flush timer has kicked once; a deadline ends a
 * broken run with a failure, not a hang. */
static void run_until_kicked(uv_loop_t *loop, uv_timer_t *deadline, struct kick_ctx *k)
{
	uv_timer_init(loop, deadline);
	uv_timer_start(deadline, give_up, 20000, 0);
	while (k->kicks == 0 && uv_timer_get_due_in(deadline) > 0 && uv_run(loop, UV_RUN_DEFAULT))
		;
	assert_int_equal(k->kicks, 1);
}

static void finish(uv_loop_t *loop, uv_timer_t *deadline, struct delwatch_run *r,
		   struct delqueue *q)
{
	delwatch_run_stop(r);
	uv_close((uv_handle_t *)deadline, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(loop), 0);
	delqueue_release(q);
}

static void one_store(struct agent_config *cfg, struct agent_store_config *sc, const char *path,
		      enum agent_delwatch mode)
{
	memset(cfg, 0, sizeof *cfg);
	memset(sc, 0, sizeof *sc);
	snprintf(sc->name, sizeof sc->name, "bodycam");
	snprintf(sc->path, sizeof sc->path, "%s", path);
	sc->deletion_watch = mode;
	cfg->stores = sc;
	cfg->nstores = 1;
}

static void test_deletions_reach_the_queue(void **state)
{
	struct agent_config cfg;
	struct agent_store_config sc;
	struct delwatch_run *r;
	struct delqueue q;
	struct sw_deletion out[8];
	struct kick_ctx k;
	uv_loop_t loop;
	uv_timer_t deadline;
	char root[1024], p[2048], err[512] = "";
	size_t n;
	int ret;
	(void)state;

	log_force_stderr(true);
	log_set_level(LOG_ERR);
	assert_int_equal(tree_make_root(root, sizeof root), 0);
	assert_int_equal(tree_mkdir(root, "2023/08/01"), 0);
	for (int i = 0; i < 6; i++) {
		snprintf(p, sizeof p, "2023/08/01/clip%d.mp4", i);
		assert_int_equal(tree_file(root, p, 100), 0);
	}
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(delqueue_init(&q, 16, 1), 0);
	k = (struct kick_ctx){ .loop = &loop, .q = &q };
	one_store(&cfg, &sc, root, AGENT_DELWATCH_YES);
	ret = delwatch_run_start(&r, &loop, &cfg, &q, kicked, &k, err, sizeof err);
	if (ret == -EPERM || ret == -EINVAL || ret == -ENOSYS) {
		assert_non_null(strstr(err, "deletion_watch = yes"));
		tree_remove(root);
		uv_loop_close(&loop);
		delqueue_release(&q);
		skip(); /* no fanotify here: the agent scans alone */
	}
	assert_int_equal(ret, 0);
	assert_int_equal(delwatch_run_count(r), 1);
	for (int i = 0; i < 6; i++) {
		snprintf(p, sizeof p, "%s/2023/08/01/clip%d.mp4", root, i);
		assert_int_equal(unlink(p), 0);
	}
	run_until_kicked(&loop, &deadline, &k);
	n = delqueue_read(&q, 0, out, 8);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].store, "bodycam");
	assert_string_equal(out[0].dir, "2023/08/");
	assert_int_equal(out[0].files, 6);
	assert_int_equal(out[0].pid, getpid());
	assert_int_equal(out[0].uid, getuid());
	assert_false(delwatch_run_take_rescan(r, "bodycam"));
	finish(&loop, &deadline, r, &q);
	tree_remove(root);
}

/* Reads the queued-events limit (16384 by default); 0 if unknown. */
static long max_queued(void)
{
	FILE *f = fopen("/proc/sys/fs/fanotify/max_queued_events", "re");
	long v = 0;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* More deletions than the kernel queues while the loop is away: the watch
 * says so once and asks for one full rescan of the store. */
static void test_overflow_asks_for_a_rescan(void **state)
{
	struct agent_config cfg;
	struct agent_store_config sc;
	struct delwatch_run *r;
	struct delqueue q;
	struct kick_ctx k;
	uv_loop_t loop;
	uv_timer_t deadline;
	char root[1024], p[2048], err[512] = "";
	long n = max_queued() + 500;
	int ret;
	(void)state;

	if (n <= 500 || n > 200000)
		skip(); /* an unknown or huge queue limit: not worth the files */
	assert_int_equal(tree_make_root(root, sizeof root), 0);
	assert_int_equal(tree_mkdir(root, "flood"), 0);
	for (long i = 0; i < n; i++) {
		snprintf(p, sizeof p, "flood/f%ld", i);
		assert_int_equal(tree_file(root, p, 0), 0);
	}
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(delqueue_init(&q, 16, 1), 0);
	k = (struct kick_ctx){ .loop = &loop, .q = &q };
	one_store(&cfg, &sc, root, AGENT_DELWATCH_AUTO);
	ret = delwatch_run_start(&r, &loop, &cfg, &q, kicked, &k, err, sizeof err);
	assert_int_equal(ret, 0);
	if (delwatch_run_count(r) == 0) {
		delwatch_run_stop(r);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		delqueue_release(&q);
		tree_remove(root);
		skip();
	}
	/* the loop does not run while these happen: the kernel queue fills */
	for (long i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/flood/f%ld", root, i);
		assert_int_equal(unlink(p), 0);
	}
	run_until_kicked(&loop, &deadline, &k);
	assert_true(delwatch_run_take_rescan(r, "bodycam"));
	assert_false(delwatch_run_take_rescan(r, "bodycam")); /* once per overflow */
	finish(&loop, &deadline, r, &q);
	tree_remove(root);
}

static void test_modes(void **state)
{
	struct agent_config cfg;
	struct agent_store_config sc;
	struct delwatch_run *r;
	struct delqueue q;
	uv_loop_t loop;
	char err[512] = "";
	(void)state;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(delqueue_init(&q, 4, 1), 0);
	/* no: nothing opened even where it could be */
	one_store(&cfg, &sc, "/", AGENT_DELWATCH_NO);
	assert_int_equal(delwatch_run_start(&r, &loop, &cfg, &q, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(delwatch_run_count(r), 0);
	delwatch_run_stop(r);
	/* a store that is not there: auto carries on, yes refuses */
	one_store(&cfg, &sc, "/nonexistent/store", AGENT_DELWATCH_AUTO);
	assert_int_equal(delwatch_run_start(&r, &loop, &cfg, &q, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(delwatch_run_count(r), 0);
	delwatch_run_stop(r);
	sc.deletion_watch = AGENT_DELWATCH_YES;
	assert_int_equal(delwatch_run_start(&r, &loop, &cfg, &q, NULL, NULL, err, sizeof err),
			 -ENOENT);
	assert_null(r);
	assert_non_null(strstr(err, "store 'bodycam': deletion_watch = yes, but "
				    "'/nonexistent/store' cannot be watched"));
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	delqueue_release(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deletions_reach_the_queue),
		cmocka_unit_test(test_overflow_asks_for_a_rescan),
		cmocka_unit_test(test_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
