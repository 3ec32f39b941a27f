/*
 * test_inventory.c - loss inventories: the requests (collector/alerts/
 * invrequest.c), their rows (collector/ledger/inventory.c) and their JSON and
 * CSV (collector/ledger/inventory_json.c, lib/csv.c), with a real SQLite
 * ledger and an ops table standing in for the agent's session.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "collector/alerts/invrequest.h"
#include "collector/ledger/inventory.h"
#include "collector/ledger/inventory_json.h"
#include "collector/ledger/ledger.h"
#include "shrinkwatch/csv.h"
#include "shrinkwatch/log.h"
#include "testutil.h"

static char path[256];
static struct ledger led;

/* What the stand-in for the agent's session saw, and what it answers. */
static struct {
	int sent, answer;
	struct sw_invreq last;
	char agent[SW_NAME_MAX + 1];
} wire;

static int fake_send(void *ud, const char *agent, const struct sw_invreq *rq)
{
	(void)ud;
	wire.sent++;
	wire.last = *rq;
	snprintf(wire.agent, sizeof wire.agent, "%s", agent);
	return wire.answer;
}

static int setup(void **state)
{
	(void)state;
	log_force_stderr(true);
	log_set_level(LOG_ERR);
	memset(&wire, 0, sizeof wire);
	tu_mkdtemp(tu_dir, sizeof tu_dir);
	snprintf(path, sizeof path, "%s/ledger.db", tu_dir);
	return ledger_open(&led, path);
}

static int teardown(void **state)
{
	(void)state;
	ledger_close(&led);
	tu_rmrf(tu_dir);
	return 0;
}

static struct sw_invitem item(const char *p, uint64_t size, int64_t birth, int64_t removed)
{
	struct sw_invitem it;

	memset(&it, 0, sizeof it);
	snprintf(it.path, sizeof it.path, "%s", p);
	it.size = size;
	it.birth = birth;
	it.removed_after = removed - 60;
	it.removed_before = removed;
	it.uid = -1;
	snprintf(it.exe, sizeof it.exe, "?");
	return it;
}

struct collect {
	char paths[16][128];
	uint64_t dir_items[16], dir_bytes[16];
	int n;
};

static int collect_item(void *ctx, const struct inventory_item *it)
{
	struct collect *c = ctx;

	snprintf(c->paths[c->n], sizeof c->paths[0], "%.*s", (int)it->path_len, it->path);
	c->dir_items[c->n] = it->dir_items;
	c->dir_bytes[c->n] = it->dir_bytes;
	c->n++;
	return 0;
}

static int audit_count(const char *action)
{
	sqlite3_stmt *s;
	int n = -1;

	sqlite3_prepare_v2(led.db, "SELECT count(*) FROM audit WHERE action=?", -1, &s, NULL);
	sqlite3_bind_text(s, 1, action, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* An alert's request: audited before it is sent, young items kept, in the
 * grouped order (largest directory first, its items largest first), over
 * several frames; then paged. */
static void test_request_young_grouped(void **state)
{
	const struct invrequest_ops ops = { .send = fake_send };
	struct invrequest_query q = { .agent = "evsrv01", .store = "cam", .alert_id = 0,
				      .from = 1000, .to = 2000, .young_below = 120 };
	struct invrequests iv;
	struct sw_invitem a[3], b[2];
	struct sw_inventory h = { 0 };
	struct inventory_rec r;
	struct collect c = { 0 };
	char err[256];
	int64_t id;
	(void)state;

	invrequest_init(&iv, &led, &ops, 900);
	assert_int_equal(invrequest_start(&iv, &q, "jsmith", "case 4411", 1500, &id, err,
					  sizeof err), 0);
	assert_true(id > 0);
	assert_int_equal(wire.sent, 1);
	assert_int_equal(wire.last.req_id, (uint64_t)id);
	assert_string_equal(wire.last.store, "cam");
	assert_int_equal(audit_count("inventory"), 1);

	a[0] = item("2021/case1/small.mp4", 10, 1470, 1500);
	a[1] = item("2020/old.mp4", 999999, 100, 1500); /* purged: old */
	a[2] = item("2021/case2/big.mp4", 500, 1450, 1500);
	h.req_id = (uint64_t)id;
	h.status = SW_INV_MORE;
	invrequest_frame(&iv, "evsrv01", &h, a, 3, 1501);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_PENDING);
	b[0] = item("2021/case1/large.mp4", 300, 1460, 1500);
	b[1] = item("top\nlevel.mp4", 1, 1490, 1500);
	h.status = SW_INV_LAST;
	h.total_items = 5;
	invrequest_frame(&iv, "evsrv01", &h, b, 2, 1502);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_COMPLETE);
	assert_int_equal(r.matched, 5);
	assert_int_equal(r.kept, 4);
	assert_string_equal(r.who, "jsmith");

	assert_int_equal(inventory_items(led.db, id, 0, 0, collect_item, &c), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.paths[0], "2021/case2/big.mp4"); /* 500 bytes */
	assert_string_equal(c.paths[1], "2021/case1/large.mp4"); /* 310 in its dir */
	assert_string_equal(c.paths[2], "2021/case1/small.mp4");
	assert_string_equal(c.paths[3], "top\nlevel.mp4");
	assert_int_equal(c.dir_items[1], 2);
	assert_int_equal(c.dir_bytes[1], 310);
	/* a page from position 2 */
	memset(&c, 0, sizeof c);
	assert_int_equal(inventory_items(led.db, id, 2, 1, collect_item, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.paths[0], "2021/case1/small.mp4");
	assert_int_equal(inventory_latest_for_alert(led.db, 77, &r), -ENOENT);
	invrequest_release(&iv);
}

/* An agent that is not connected (or too old): a clear error, the request
 * kept as failed, nothing pending; a refusal and a timeout end requests;
 * frames of another agent or request are dropped. */
static void test_failures(void **state)
{
	const struct invrequest_ops ops = { .send = fake_send };
	struct invrequest_query q = { .agent = "a1", .store = "s", .from = 0, .to = 10 };
	struct invrequests iv;
	struct inventory_rec r;
	struct sw_invitem why = item("store 's' is unknown", 0, 0, 0);
	struct sw_inventory h = { .status = SW_INV_REFUSED };
	char err[256];
	int64_t id;
	(void)state;

	invrequest_init(&iv, &led, &ops, 0);
	wire.answer = -EPROTONOSUPPORT;
	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 5, &id, err, sizeof err),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "protocol version below 3"));
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_FAILED);
	assert_null(iv.pending);

	wire.answer = 0;
	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 5, &id, err, sizeof err), 0);
	h.req_id = (uint64_t)id;
	invrequest_frame(&iv, "other", &h, &why, 1, 6); /* not this agent's */
	assert_non_null(iv.pending);
	invrequest_frame(&iv, "a1", &h, &why, 1, 6);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_REFUSED);
	assert_non_null(strstr(r.error, "store 's' is unknown"));

	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 100, &id, err, sizeof err), 0);
	invrequest_expire(&iv, 100 + INVREQUEST_TIMEOUT_S);
	assert_non_null(iv.pending);
	invrequest_expire(&iv, 101 + INVREQUEST_TIMEOUT_S);
	assert_null(iv.pending);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_FAILED);
	assert_non_null(strstr(r.error, "did not answer in time"));

	/* the agent's connection goes: its requests end at once, others stay */
	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 150, &id, err, sizeof err), 0);
	invrequest_agent_gone(&iv, "someone-else", 151);
	assert_non_null(iv.pending);
	invrequest_agent_gone(&iv, "a1", 151);
	assert_null(iv.pending);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_FAILED);
	assert_non_null(strstr(r.error, "disconnected"));

	/* a restart ends what a previous run left pending */
	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 200, &id, err, sizeof err), 0);
	invrequest_release(&iv);
	invrequest_init(&iv, &led, &ops, 300);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_FAILED);
	invrequest_release(&iv);
}

/* An alert's inventory leaves out the items a path-scoped declaration
 * explained: under its prefix by path component, so a sibling folder that
 * only starts with the same bytes is listed (it is the loss). */
static void test_declared_prefix_component(void **state)
{
	const struct invrequest_ops ops = { .send = fake_send };
	struct invrequest_query q = { .agent = "a1", .store = "s", .from = 1000, .to = 2000,
				      .ndeclared = 1 };
	struct sw_inventory h = { .status = SW_INV_LAST, .total_items = 4 };
	struct invrequests iv;
	struct inventory_rec r;
	struct collect c = { 0 };
	struct sw_invitem x[4];
	char err[256];
	int64_t id;
	(void)state;

	snprintf(q.declared[0].prefix, sizeof q.declared[0].prefix, "2021/case44");
	q.declared[0].start = 1000;
	q.declared[0].end = 2000;
	invrequest_init(&iv, &led, &ops, 900);
	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 1500, &id, err, sizeof err), 0);
	x[0] = item("2021/case44/a.mp4", 10, 1400, 1500);
	x[1] = item("2021/case4411/b.mp4", 20, 1400, 1500);
	x[2] = item("2021/case44-old/c.mp4", 30, 1400, 1500);
	x[3] = item("2021/case44", 40, 1400, 1500);
	h.req_id = (uint64_t)id;
	invrequest_frame(&iv, "a1", &h, x, 4, 1501);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_COMPLETE);
	assert_int_equal(r.kept, 2);
	assert_int_equal(inventory_items(led.db, id, 0, 0, collect_item, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.paths[0], "2021/case44-old/c.mp4");
	assert_string_equal(c.paths[1], "2021/case4411/b.mp4");
	invrequest_release(&iv);
}

/* An agent that answers one request with SW_INV_MORE frames for ever: the
 * request fails once it brings more items than asked for, or more memory
 * than INVREQUEST_MAX_BYTES, or runs past its timeout -- a frame cannot
 * keep it alive. */
static void test_endless_answer(void **state)
{
	const struct invrequest_ops ops = { .send = fake_send };
	struct invrequest_query q = { .agent = "a1", .store = "s", .from = 0, .to = 10 };
	struct sw_inventory h = { .status = SW_INV_MORE };
	struct invrequests iv;
	struct inventory_rec r;
	struct sw_invitem *x = calloc(SW_INVENTORY_MAX, sizeof *x);
	char err[256];
	int64_t id;
	int frames;
	(void)state;

	assert_non_null(x);
	invrequest_init(&iv, &led, &ops, 0);

	/* items the request does not keep (over retention age) cost no memory,
	 * but their count is bounded: max_items asked, no more */
	q.young_below = 60;
	for (size_t i = 0; i < SW_INVENTORY_MAX; i++)
		x[i] = item("2020/old.mp4", 1, 0, 5000);
	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 5000, &id, err, sizeof err), 0);
	assert_int_equal(wire.last.max_items, INVREQUEST_MAX_ITEMS);
	h.req_id = (uint64_t)id;
	for (frames = 0; iv.pending && frames < 1000; frames++)
		invrequest_frame(&iv, "a1", &h, x, SW_INVENTORY_MAX, 5001);
	assert_null(iv.pending);
	assert_int_equal(frames, INVREQUEST_MAX_ITEMS / SW_INVENTORY_MAX + 1);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_FAILED);
	assert_non_null(strstr(r.error, "more items than the collector asked for"));

	/* kept items with long paths: failed at the memory bound */
	q.young_below = 0;
	for (size_t i = 0; i < SW_INVENTORY_MAX; i++) {
		memset(x[i].path, 'p', SW_PATH_WIRE_MAX);
		x[i].path[SW_PATH_WIRE_MAX] = '\0';
	}
	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 6000, &id, err, sizeof err), 0);
	h.req_id = (uint64_t)id;
	for (frames = 0; iv.pending && frames < 1000; frames++)
		invrequest_frame(&iv, "a1", &h, x, SW_INVENTORY_MAX, 6001);
	assert_null(iv.pending);
	assert_true((size_t)frames * SW_INVENTORY_MAX * SW_PATH_WIRE_MAX > INVREQUEST_MAX_BYTES / 2);
	assert_true((size_t)(frames - 1) * SW_INVENTORY_MAX * SW_PATH_WIRE_MAX <=
		    INVREQUEST_MAX_BYTES);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_FAILED);
	assert_non_null(strstr(r.error, "memory bound for one inventory (256 MiB)"));

	/* a frame past the request's timeout ends it */
	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 7000, &id, err, sizeof err), 0);
	h.req_id = (uint64_t)id;
	invrequest_frame(&iv, "a1", &h, x, 1, 7000 + INVREQUEST_TIMEOUT_S);
	assert_non_null(iv.pending);
	invrequest_frame(&iv, "a1", &h, x, 1, 7001 + INVREQUEST_TIMEOUT_S);
	assert_null(iv.pending);
	assert_int_equal(inventory_get(led.db, id, &r), 0);
	assert_int_equal(r.state, INVENTORY_FAILED);
	assert_non_null(strstr(r.error, "did not finish its answer in time"));
	invrequest_release(&iv);
	free(x);
}

struct refusal {
	struct invrequests *iv;
	int64_t id;
};

static void refuse(void *arg)
{
	struct refusal *rf = arg;
	struct sw_invitem why = item("\x1b]0;pwned\x07\x1b[2Jall fine\nfake: line", 0, 0, 0);
	struct sw_inventory h = { .status = SW_INV_REFUSED, .req_id = (uint64_t)rf->id };

	invrequest_frame(rf->iv, "a1", &h, &why, 1, 6);
}

/* An agent's refusal text reaches the log and the ledger with its control
 * characters replaced: it cannot rewrite the operator's terminal or forge
 * a log line. */
static void test_refusal_escaped(void **state)
{
	const struct invrequest_ops ops = { .send = fake_send };
	struct invrequest_query q = { .agent = "a1", .store = "s", .from = 0, .to = 10 };
	struct invrequests iv;
	struct inventory_rec r;
	struct refusal rf = { .iv = &iv };
	char err[256], log[4096];
	(void)state;

	invrequest_init(&iv, &led, &ops, 0);
	assert_int_equal(invrequest_start(&iv, &q, "root", "r", 5, &rf.id, err, sizeof err), 0);
	tu_logged(refuse, &rf, log, sizeof log);
	assert_non_null(strstr(log, "the agent refused: ?]0;pwned??[2Jall fine?fake: line"));
	assert_null(strchr(log, '\x1b'));
	assert_int_equal(inventory_get(led.db, rf.id, &r), 0);
	assert_int_equal(r.state, INVENTORY_REFUSED);
	assert_null(strchr(r.error, '\x1b'));
	assert_null(strchr(r.error, '\n'));
	invrequest_release(&iv);
}

/* Hostile names in JSON (escaped, exact bytes in hex when not UTF-8) and in
 * CSV (quoted, formulas defused, invalid bytes replaced). */
static void test_hostile_names_json_csv(void **state)
{
	struct inventory_item it = { 0 };
	const char *p = "d\xff/=cmd|' -C calc'!A0\n\"x\".mp4";
	struct buf b;
	(void)state;

	it.path = p;
	it.path_len = strlen(p);
	it.dir = p;
	it.dir_len = inventory_dir_len(p, it.path_len);
	assert_int_equal(it.dir_len, 2);
	it.exe = "/bin/rm";
	it.exe_len = 7;
	it.uid = -1;
	buf_init(&b, 1 << 16);
	assert_int_equal(inventory_item_json(&b, &it), 0);
	buf_append(&b, "", 1);
	assert_non_null(strstr((char *)b.data, "\"path\":\"d\\ufffd/=cmd|' -C calc'!A0\\n\\\"x\\\".mp4\""));
	assert_non_null(strstr((char *)b.data, "\"path_hex\":\"64ff2f"));
	assert_non_null(strstr((char *)b.data, "\"uid\":null"));
	b.len = 0;
	assert_int_equal(inventory_item_csv(&b, &it), 0);
	buf_append(&b, "", 1);
	assert_non_null(strstr((char *)b.data, "\"d\xef\xbf\xbd/=cmd|' -C calc'!A0\n\"\"x\"\".mp4\""));
	b.len = 0;
	assert_int_equal(csv_put_field(&b, "=HYPERLINK(\"http://x\")"), 0);
	buf_append(&b, "", 1);
	assert_string_equal((char *)b.data, "\"'=HYPERLINK(\"\"http://x\"\")\"");
	buf_release(&b);
	assert_int_equal(inventory_dir_len("top.mp4", 7), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_young_grouped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endless_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_declared_prefix_component, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_escaped, setup, teardown),
		cmocka_unit_test(test_hostile_names_json_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
