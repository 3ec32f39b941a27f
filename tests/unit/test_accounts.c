/*
 * test_accounts.c - the agent's exact accounts (agent/accounts.h) on a real
 * tree: scans through the manifest and the journal, POLICY's retention,
 * attribution of removals to the deletion watch's report, and the INVENTORY
 * answer (frames decoded back: items, max_items, inventory_depth, refusal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "agent/accounts.h"
#include "agent/delqueue.h"
#include "agent/journal.h"
#include "agent/pathcut.h"
#include "scan_tree.h"
#include "shrinkwatch/log.h"

static void check(int ret)
{
	assert_int_equal(ret, 0);
}

struct got {
	struct sw_inventory last;
	size_t frames, items;
	struct sw_invitem first; /* the first item seen */
	struct sw_invitem byname; /* the item whose path is "want" */
	const char *want;
};

static int collect(void *ud, struct buf *frame)
{
	static struct sw_invitem items[SW_INVENTORY_MAX];
	struct got *g = ud;
	struct sw_frame f;
	size_t n;

	assert_true(proto_frame_parse(frame->data, frame->len, &f) == (long)frame->len);
	check(proto_decode_inventory(&f, &g->last, items, SW_INVENTORY_MAX, &n));
	if (n && !g->items)
		g->first = items[0];
	for (size_t i = 0; i < n; i++)
		if (g->want && !strcmp(items[i].path, g->want))
			g->byname = items[i];
	g->items += n;
	g->frames++;
	buf_release(frame);
	return 0;
}

struct run {
	char root[1024], state[1024];
	struct accounts *acc;
	struct timespec prev, now;
	struct sw_sample s;
};

static void scan(struct run *r)
{
	struct scan_options opt = { 0 };

	r->now.tv_sec += 60;
	opt.start = r->now;
	opt.prev_start = r->prev;
	/* these scans start off any interval boundary (a clock read, not a
	 * timer): their samples' times are the nearest seconds */
	opt.time = scan_sample_time(&opt.start, 60, false);
	opt.prev_time = r->prev.tv_sec ? scan_sample_time(&r->prev, 60, false) : 0;
	accounts_prepare(r->acc, "bodycam", &opt);
	assert_non_null(opt.manifest);
	memset(&r->s, 0, sizeof r->s);
	check(scan_store(r->root, &opt, &r->s));
	accounts_settle(r->acc, &opt, &r->s);
	r->prev = opt.start;
}

static void build(struct run *r, unsigned depth)
{
	char p[256];

	memset(r, 0, sizeof *r);
	log_force_stderr(true);
	log_set_level(LOG_ERR);
	check(tree_make_root(r->root, sizeof r->root));
	check(tree_make_root(r->state, sizeof r->state));
	check(tree_mkdir(r->root, "2021/case1"));
	check(tree_mkdir(r->root, "2021/case2"));
	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof p, "2021/case1/f%d.mp4", i);
		check(tree_file(r->root, p, 100));
		snprintf(p, sizeof p, "2021/case2/f%d.mp4", i);
		check(tree_file(r->root, p, 200));
	}
	check(accounts_open(r->state, 400 * 86400, 256u << 20, depth, &r->acc));
	clock_gettime(CLOCK_REALTIME, &r->now);
	r->now.tv_nsec = 700000000; /* rounds up: a sample's second differs from tv_sec */
}

static void destroy(struct run *r)
{
	accounts_close(r->acc);
	tree_remove(r->root);
	tree_remove(r->state);
}

static void test_cut_path(void **state)
{
	(void)state;
	assert_int_equal(pathcut_cut("a/b/c.mp4", 9, 0), 9);
	assert_int_equal(pathcut_cut("a/b/c.mp4", 9, 1), 1);
	assert_int_equal(pathcut_cut("a/b/c.mp4", 9, 2), 3);
	assert_int_equal(pathcut_cut("a/b/c.mp4", 9, 3), 9);
	assert_int_equal(pathcut_cut("c.mp4", 5, 1), 5);
}

static void test_scan_journal_inventory(void **state)
{
	struct run r;
	struct sw_policy pol = { .retention = 3600 };
	struct sw_invreq req = { .req_id = 9, .from = 0, .to = INT64_MAX };
	struct delqueue q;
	struct sw_deletion d;
	struct got g = { .want = "2021/case1/f3.mp4" };
	char p[2048];
	(void)state;

	build(&r, 0);
	snprintf(pol.store, sizeof pol.store, "bodycam");
	accounts_set_policy(r.acc, &pol, 1);
	assert_int_equal(accounts_retention(r.acc, "bodycam"), 3600);
	scan(&r);
	scan(&r);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_true(r.s.flags & SW_SAMPLE_YOUNG_SPLIT);
	/* the deletion watch saw rm under 2021/case1/ within this window */
	check(delqueue_init(&q, 16, 1));
	memset(&d, 0, sizeof d);
	snprintf(d.store, sizeof d.store, "bodycam");
	snprintf(d.dir, sizeof d.dir, "2021/case1/");
	snprintf(d.exe, sizeof d.exe, "/usr/bin/rm");
	d.pid = 4312;
	d.uid = 1000;
	d.first = d.last = r.now.tv_sec + 30;
	d.files = 4;
	delqueue_push(&q, &d);
	accounts_note_deletions(r.acc, &q);
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/2021/case1/f%d.mp4", r.root, i);
		check(unlink(p));
	}
	for (int i = 0; i < 6; i++) {
		snprintf(p, sizeof p, "%s/2021/case2/f%d.mp4", r.root, i);
		check(unlink(p));
	}
	scan(&r);
	assert_int_equal(r.s.removed_objects, 10);
	assert_int_equal(r.s.removed_young_objects, 10);
	assert_int_equal(r.s.removed_bytes, 4 * 100 + 6 * 200);
	assert_int_equal(r.s.journal_dropped, 0);
	/* the whole inventory */
	snprintf(req.store, sizeof req.store, "bodycam");
	check(accounts_inventory(r.acc, &req, collect, &g));
	assert_int_equal(g.last.status, SW_INV_LAST);
	assert_int_equal(g.last.req_id, 9);
	assert_int_equal(g.last.total_items, 10);
	assert_int_equal(g.last.truncated, 0);
	assert_int_equal(g.items, 10);
	/* attributed where the watch saw it, unknown elsewhere */
	assert_int_equal(g.byname.pid, 4312);
	assert_int_equal(g.byname.uid, 1000);
	assert_string_equal(g.byname.exe, "/usr/bin/rm");
	assert_int_equal(g.byname.size, 100);
	assert_int_equal(g.byname.removed_before - g.byname.removed_after, 60);
	/* the bracket is the two samples' times (scan_sample_time()), not the
	 * scans' start seconds: take starts just past the half second */
	assert_int_equal(g.byname.removed_before, scan_sample_time(&r.prev, 60, false));
	memset(&g, 0, sizeof g);
	g.want = "2021/case2/f0.mp4";
	check(accounts_inventory(r.acc, &req, collect, &g));
	assert_int_equal(g.byname.pid, 0);
	assert_int_equal(g.byname.uid, -1);
	assert_string_equal(g.byname.exe, "?");
	/* max_items and a prefix */
	memset(&g, 0, sizeof g);
	req.max_items = 4;
	check(accounts_inventory(r.acc, &req, collect, &g));
	assert_int_equal(g.items, 4);
	assert_int_equal(g.last.total_items, 10);
	assert_int_equal(g.last.truncated, 6);
	memset(&g, 0, sizeof g);
	req.max_items = 0;
	snprintf(req.prefix, sizeof req.prefix, "2021/case2/");
	check(accounts_inventory(r.acc, &req, collect, &g));
	assert_int_equal(g.items, 6);
	/* a window before the removal: nothing */
	memset(&g, 0, sizeof g);
	req.prefix[0] = '\0';
	req.to = scan_sample_time(&r.prev, 60, false) - 61;
	check(accounts_inventory(r.acc, &req, collect, &g));
	assert_int_equal(g.items, 0);
	assert_int_equal(g.last.status, SW_INV_LAST);
	/* a store this agent never scanned: refused, with the reason */
	memset(&g, 0, sizeof g);
	snprintf(req.store, sizeof req.store, "other");
	check(accounts_inventory(r.acc, &req, collect, &g));
	assert_int_equal(g.last.status, SW_INV_REFUSED);
	assert_non_null(strstr(g.first.path, "unknown store"));
	delqueue_release(&q);

	/* inventory_depth = 2: paths cut, flagged; several share one */
	accounts_close(r.acc);
	check(accounts_open(r.state, 400 * 86400, 256u << 20, 2, &r.acc));
	scan(&r); /* the agent knows the store after its first scan */
	memset(&g, 0, sizeof g);
	g.want = "2021/case1";
	snprintf(req.store, sizeof req.store, "bodycam");
	req.to = INT64_MAX;
	check(accounts_inventory(r.acc, &req, collect, &g));
	assert_int_equal(g.items, 10);
	assert_string_equal(g.byname.path, "2021/case1");
	assert_int_equal(g.byname.flags, SW_INV_CUT);
	assert_int_equal(g.first.flags, SW_INV_CUT);
	destroy(&r);
}

/* The journal dropped entries for space before the agent (re)started: an
 * inventory reaching back to them says it is incomplete (truncated counts
 * them), though nothing was dropped since the start; a window after them
 * is complete. */
static void test_inventory_not_covered_after_restart(void **state)
{
	struct run r;
	struct sw_invreq req = { .req_id = 11, .to = INT64_MAX };
	struct journal *j;
	struct got g = { 0 };
	char jdir[1100], p[64];
	uint64_t lost;
	int64_t gone, t0;
	(void)state;

	build(&r, 0);
	accounts_close(r.acc);
	/* an earlier run of the agent, with a small removal_journal_max, ten
	 * days ago (well within removal_journal_keep) */
	t0 = r.now.tv_sec - 10 * 86400;
	snprintf(jdir, sizeof jdir, "%s/journal", r.state);
	check(journal_open(jdir, 400 * 86400, 64 * 1024, &j));
	for (int b = 0; b < 40; b++) {
		for (int i = 0; i < 50; i++) {
			struct journal_entry e = { .store = "bodycam", .size = 1, .uid = -1,
						   .exe = "?", .removed_after = t0 + b * 60,
						   .removed_before = t0 + 60 + b * 60 };

			snprintf(p, sizeof p, "old/%d/%d.mp4", b, i);
			e.path = p;
			e.pathlen = strlen(p);
			check(journal_append(j, &e));
		}
		check(journal_commit(j, "bodycam", t0 + 60 + b * 60));
	}
	assert_true(journal_dropped(j) > 0);
	gone = journal_coverage(j, "bodycam", 0, &lost);
	assert_true(gone > 0 && lost == journal_dropped(j));
	journal_close(j);
	/* the agent restarts (the default cap) and scans */
	check(accounts_open(r.state, 400 * 86400, 256u << 20, 0, &r.acc));
	scan(&r);
	assert_int_equal(r.s.journal_dropped, 0); /* since this start: says nothing */
	snprintf(req.store, sizeof req.store, "bodycam");
	check(accounts_inventory(r.acc, &req, collect, &g));
	assert_int_equal(g.last.status, SW_INV_LAST);
	assert_int_equal(g.last.truncated, lost);
	assert_int_equal(g.items, g.last.total_items);
	/* a window after what went: complete */
	memset(&g, 0, sizeof g);
	req.from = gone + 1;
	check(accounts_inventory(r.acc, &req, collect, &g));
	assert_int_equal(g.last.status, SW_INV_LAST);
	assert_int_equal(g.last.truncated, 0);
	assert_true(g.items > 0);
	destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_path),
		cmocka_unit_test(test_scan_journal_inventory),
		cmocka_unit_test(test_inventory_not_covered_after_restart),
	};
	return cmocka_run_group_tests_name("accounts", tests, NULL, NULL);
}
