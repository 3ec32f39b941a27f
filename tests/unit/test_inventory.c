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
		cmocka_unit_test(test_hostile_names_json_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
