/*
 * test_pathhold.c - path-scoped declared deletions wait for the agent's
 * answer (collector/alerts/pathhold.c), on a real ledger: which samples are
 * held, what is asked, what the answer explains, and that a fault (no
 * answer in time, the agent gone, nothing sent) costs only time -- the
 * sample is judged without the missing answer, so its loss alerts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "collector/alerts/pathhold.h"
#include "collector/alerts/pathprefix.h"
#include "collector/ledger/ledger.h"
#include "testutil.h"

#define T0 1796300000LL
#define RET 120

struct rec {
	struct sw_invreq sent[16];
	int nsent;
	int send_rc;
	struct {
		int64_t time;
		double explained[2];
	} judged[16];
	int njudged;
};

static struct rec R;
static struct ledger L;
static struct pathhold H;

static int fake_send(void *ud, const char *agent, const struct sw_invreq *rq)
{
	(void)ud;
	assert_string_equal(agent, "evsrv01");
	if (R.send_rc)
		return R.send_rc;
	R.sent[R.nsent++] = *rq;
	return 0;
}

static void fake_judge(void *ud, const char *agent, const char *store, const struct sw_sample *s,
		       const double explained[2], int64_t now)
{
	(void)ud;
	(void)now;
	assert_string_equal(agent, "evsrv01");
	assert_string_equal(store, "bodycam");
	R.judged[R.njudged].time = s->time;
	R.judged[R.njudged].explained[0] = explained[0];
	R.judged[R.njudged].explained[1] = explained[1];
	R.njudged++;
}

static int setup(void **state)
{
	char path[256];
	const struct pathhold_ops ops = { .send = fake_send, .judge = fake_judge };

	tu_setup_dir(state);
	snprintf(path, sizeof path, "%s/ledger.db", tu_dir);
	assert_int_equal(ledger_open(&L, path), 0);
	memset(&R, 0, sizeof R);
	pathhold_init(&H, &L, &ops);
	return 0;
}

static int teardown(void **state)
{
	pathhold_stop(&H, T0);
	ledger_close(&L);
	return tu_teardown_dir(state);
}

static void declare(const char *prefix, int64_t start, int64_t end)
{
	struct ledger_explain e;

	memset(&e, 0, sizeof e);
	snprintf(e.agent, sizeof e.agent, "evsrv01");
	snprintf(e.store, sizeof e.store, "bodycam");
	e.start = start;
	e.end = end;
	e.bytes = e.objects = -1;
	snprintf(e.reason, sizeof e.reason, "court order");
	snprintf(e.who, sizeof e.who, "root");
	snprintf(e.prefix, sizeof e.prefix, "%s", prefix);
	assert_int_equal(ledger_explain_insert(&L, &e), 0);
}

/* An exact sample at t with `young` young items removed. */
static struct sw_sample sample(int64_t t, uint64_t young)
{
	struct sw_sample s;

	memset(&s, 0, sizeof s);
	s.time = t;
	snprintf(s.store, sizeof s.store, "bodycam");
	s.status = SW_SCAN_COMPLETE;
	s.flags = SW_SAMPLE_EXACT | SW_SAMPLE_YOUNG_SPLIT;
	s.retention = RET;
	s.removed_objects = s.removed_young_objects = young;
	s.removed_bytes = s.removed_young_bytes = young * 100;
	return s;
}

static struct sw_invitem item(const char *path, uint64_t size, int64_t birth, int64_t after,
			      int64_t before)
{
	struct sw_invitem x;

	memset(&x, 0, sizeof x);
	snprintf(x.path, sizeof x.path, "%s", path);
	x.size = size;
	x.birth = birth;
	x.removed_after = after;
	x.removed_before = before;
	x.uid = -1;
	snprintf(x.exe, sizeof x.exe, "?");
	return x;
}

static void answer(uint64_t req_id, const struct sw_invitem *items, size_t n, uint8_t status)
{
	struct sw_inventory hdr = { .req_id = req_id, .status = status, .total_items = n };

	pathhold_frame(&H, "evsrv01", &hdr, items, n, T0 + 20);
}

/* Without young removal, or without a path-scoped declaration, nothing
 * waits: the caller judges at once (or it is judged inside the call). */
static void test_nothing_to_ask(void **state)
{
	struct sw_sample s = sample(T0 + 10, 0);

	(void)state;
	assert_false(pathhold_take(&H, "evsrv01", "bodycam", &s, T0, T0 + 10));
	declare("", T0, T0 + 600); /* a byte allowance is not asked about */
	s = sample(T0 + 20, 3);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 10, T0 + 20));
	assert_int_equal(R.nsent, 0);
	assert_int_equal(R.njudged, 1); /* inside the call */
	assert_true(R.judged[0].explained[1] == 0);
}

/* The held sample is asked about under the prefix, for its own bracket;
 * later samples wait behind it; the answer's young items under the prefix
 * in the bracket and the declaration's window are explained, nothing else. */
static void test_held_then_answered(void **state)
{
	struct sw_sample s1 = sample(T0 + 10, 4), s2 = sample(T0 + 11, 0);
	struct sw_invitem it[5];

	(void)state;
	declare("2021/case4411/", T0, T0 + 600);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s1, T0 + 9, T0 + 10));
	assert_int_equal(R.njudged, 0);
	assert_int_equal(R.nsent, 1);
	assert_string_equal(R.sent[0].prefix, "2021/case4411/");
	assert_string_equal(R.sent[0].store, "bodycam");
	assert_true(R.sent[0].from == T0 + 10 && R.sent[0].to == T0 + 10);
	assert_true(R.sent[0].req_id & PATHHOLD_REQ_BIT);
	/* the next sample waits: the detector takes samples in order */
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s2, T0 + 9, T0 + 11));
	assert_int_equal(R.njudged, 0);

	it[0] = item("2021/case4411/a.mp4", 100, T0, T0 + 9, T0 + 10);
	it[1] = item("2021/case4411/b.mp4", 100, T0, T0 + 9, T0 + 10);
	/* removed in an earlier bracket: not this sample's */
	it[2] = item("2021/case4411/c.mp4", 100, T0, T0 + 8, T0 + 9);
	/* over the retention at removal: not young */
	it[3] = item("2021/case4411/d.mp4", 100, T0 - 500, T0 + 9, T0 + 10);
	/* not under the prefix (the agent filters; checked again here) */
	it[4] = item("2021/case4412/e.mp4", 100, T0, T0 + 9, T0 + 10);
	answer(R.sent[0].req_id, it, 2, SW_INV_MORE);
	assert_int_equal(R.njudged, 0);
	answer(R.sent[0].req_id, it + 2, 3, SW_INV_LAST);
	assert_int_equal(R.njudged, 2);
	assert_true(R.judged[0].time == T0 + 10);
	assert_true(R.judged[0].explained[1] == 2 && R.judged[0].explained[0] == 200);
	assert_true(R.judged[1].time == T0 + 11 && R.judged[1].explained[1] == 0);
	/* a late duplicate answer changes nothing */
	answer(R.sent[0].req_id, it, 2, SW_INV_LAST);
	assert_int_equal(R.njudged, 2);
}

/* No answer in time: judged without it (the loss alerts), never dropped. */
static void test_timeout_judges_without(void **state)
{
	struct sw_sample s = sample(T0 + 10, 2);

	(void)state;
	declare("2021/", T0, T0 + 600);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 9, T0 + 10));
	pathhold_expire(&H, T0 + 10 + PATHHOLD_TIMEOUT_S - 1);
	assert_int_equal(R.njudged, 0);
	pathhold_expire(&H, T0 + 10 + PATHHOLD_TIMEOUT_S);
	assert_int_equal(R.njudged, 1);
	assert_true(R.judged[0].explained[1] == 0);
	assert_int_equal(H.unanswered, 1);
}

/* The agent disconnects, refuses, or cannot be reached: judged at once. */
static void test_faults_judge_at_once(void **state)
{
	struct sw_sample s = sample(T0 + 10, 2);
	struct sw_invitem why = item("journal unavailable", 0, 0, 0, 0);

	(void)state;
	declare("2021/", T0, T0 + 600);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 9, T0 + 10));
	pathhold_agent_gone(&H, "evsrv01", T0 + 11);
	assert_int_equal(R.njudged, 1);

	s = sample(T0 + 20, 2);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 10, T0 + 20));
	answer(R.sent[1].req_id, &why, 1, SW_INV_REFUSED);
	assert_int_equal(R.njudged, 2);
	assert_true(R.judged[1].explained[1] == 0);

	R.send_rc = -ENOTCONN;
	s = sample(T0 + 30, 2);
	pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 20, T0 + 30);
	assert_int_equal(R.njudged, 3);
	assert_true(R.judged[2].explained[1] == 0);
}

/* Nested prefixes are asked once, under the shorter, so no item counts
 * twice; a declaration whose window misses the bracket is not asked. */
static void test_nested_prefixes_once(void **state)
{
	struct sw_sample s = sample(T0 + 10, 2);

	(void)state;
	declare("2021/case4411/", T0, T0 + 600);
	declare("2021/", T0, T0 + 600);
	declare("2022/", T0 + 1000, T0 + 2000);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 9, T0 + 10));
	assert_int_equal(R.nsent, 1);
	assert_string_equal(R.sent[0].prefix, "2021/");
}

/* A prefix is a path, compared by component: 2021/case44 covers itself
 * and what is under 2021/case44/, never 2021/case4411/ nor
 * 2021/case44-old/ (a loss there is not the declared one). */
static void test_prefix_by_component(void **state)
{
	(void)state;
	assert_true(pathprefix_covers("2021/case44", "2021/case44/a.mp4"));
	assert_true(pathprefix_covers("2021/case44", "2021/case44"));
	assert_true(pathprefix_covers("2021/case44/", "2021/case44/x/a.mp4"));
	assert_true(pathprefix_covers("2021/case44/a", "2021/case44/a"));
	assert_true(pathprefix_covers("", "anything"));
	assert_false(pathprefix_covers("2021/case44", "2021/case4411/a.mp4"));
	assert_false(pathprefix_covers("2021/case44", "2021/case44-old/a.mp4"));
	assert_false(pathprefix_covers("2021/case44/", "2021/case44"));
	assert_false(pathprefix_covers("2021/case44/a", "2021/case44/a.mp4"));
	assert_false(pathprefix_covers("2021/case44", "2021/case4"));
}

/* The agent filters by bytes; the collector counts only the declared
 * folder's items, and keeps sibling declarations apart when it asks. */
static void test_sibling_folder_not_explained(void **state)
{
	struct sw_sample s = sample(T0 + 10, 4);
	struct sw_invitem it[4];

	(void)state;
	declare("2021/case44", T0, T0 + 600);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 9, T0 + 10));
	assert_int_equal(R.nsent, 1);
	it[0] = item("2021/case44/a.mp4", 100, T0, T0 + 9, T0 + 10);
	it[1] = item("2021/case44", 100, T0, T0 + 9, T0 + 10);
	it[2] = item("2021/case4411/b.mp4", 100, T0, T0 + 9, T0 + 10);
	it[3] = item("2021/case44-old/c.mp4", 100, T0, T0 + 9, T0 + 10);
	answer(R.sent[0].req_id, it, 4, SW_INV_LAST);
	assert_int_equal(R.njudged, 1);
	assert_true(R.judged[0].explained[1] == 2 && R.judged[0].explained[0] == 200);

	/* two sibling declarations are two questions, not one under the
	 * shorter; a prefix with its slash merges with the one without */
	declare("2021/case4411/", T0, T0 + 600);
	declare("2021/case44/", T0, T0 + 600);
	s = sample(T0 + 20, 4);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 10, T0 + 20));
	assert_int_equal(R.nsent, 3);
	assert_string_equal(R.sent[1].prefix, "2021/case44");
	assert_string_equal(R.sent[2].prefix, "2021/case4411/");
}

struct refusal {
	uint64_t id;
};

static void refuse(void *arg)
{
	struct refusal *rf = arg;
	struct sw_invitem why = item("\x1b[2J\x1b[Hall fine\nfake: line", 0, 0, 0, 0);

	answer(rf->id, &why, 1, SW_INV_REFUSED);
}

/* The agent's refusal text reaches the log with its control characters
 * replaced: it cannot rewrite the operator's terminal or forge a line. */
static void test_refusal_logged_escaped(void **state)
{
	struct sw_sample s = sample(T0 + 10, 2);
	struct refusal rf;
	char log[4096];

	(void)state;
	log_force_stderr(true);
	declare("2021/", T0, T0 + 600);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 9, T0 + 10));
	rf.id = R.sent[0].req_id;
	tu_logged(refuse, &rf, log, sizeof log);
	assert_non_null(strstr(log, "refused to list store 'bodycam' under '2021/': "
				    "?[2J?[Hall fine?fake: line; its young removal"));
	assert_null(strchr(log, '\x1b'));
	assert_int_equal(R.njudged, 1);
}

/* At shutdown a held sample is judged with what was answered. */
static void test_stop_judges_held(void **state)
{
	struct sw_sample s = sample(T0 + 10, 2);

	(void)state;
	declare("2021/", T0, T0 + 600);
	assert_true(pathhold_take(&H, "evsrv01", "bodycam", &s, T0 + 9, T0 + 10));
	pathhold_stop(&H, T0 + 12);
	assert_int_equal(R.njudged, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_to_ask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_then_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_judges_without, setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults_judge_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_prefixes_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_judges_held, setup, teardown),
		cmocka_unit_test(test_prefix_by_component),
		cmocka_unit_test_setup_teardown(test_sibling_folder_not_explained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_logged_escaped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
