/*
 * test_copies_live.c - copy checking as the collector runs it: the copies
 * module over DIGREQ/DIGESTS frames (answered from in-memory trees, several
 * frames per directory), the real ledger and alert lifecycle, and the
 * control commands copies / copy_check / copy_check_result.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "collector/alerts/copies.h"
#include "collector/alerts/lifecycle.h"
#include "collector/control/control.h"
#include "collector/ledger/copyrel.h"
#include "collector/ledger/ledger.h"
#include "copies_tree.h"
#include "ledger_query.h"
#include "shrinkwatch/jsonparse.h"
#include "testutil.h"

/* Entries per DIGESTS frame here: small, so answers span frames. */
#define FRAME_ENTRIES 7

static char dir[64];
static struct ledger led;
static struct alerts al;
static struct copies cp;
static struct control ctl;
static struct control_caller root, nobody;
static struct buf out;
static struct tnode *src, *dst;
static bool dst_down;
static int64_t now = 1800000000;

static struct {
	char agent[SW_NAME_MAX + 1];
	struct sw_digreq rq;
} queue[256];
static size_t nq;
static uint64_t sent;

static int fake_send(void *ud, const char *agent, const struct sw_digreq *rq)
{
	(void)ud;
	if (dst_down && !strcmp(agent, "b"))
		return -ENOTCONN;
	/* what the agent's decoder insists on: the request encodes */
	{
		struct buf b;

		buf_init(&b, 256);
		assert_int_equal(proto_encode_digreq(&b, rq), 0);
		buf_release(&b);
	}
	assert_true(proto_digdir_valid(rq->dir));
	assert_int_equal(!!(rq->flags & SW_DIG_BYHASH), !!strchr(rq->dir, '#'));
	assert_true(nq < 256);
	snprintf(queue[nq].agent, sizeof queue[nq].agent, "%s", agent);
	queue[nq].rq = *rq;
	nq++;
	sent++;
	return 0;
}

/* The composition's hook for the relation's RRD: what it was told last. */
static struct copyrel_rec recorded;
static unsigned nrecorded;

static void fake_recorded(void *ud, const struct copyrel_rec *r)
{
	(void)ud;
	recorded = *r;
	nrecorded++;
}

/* The destination agent misbehaves: 1 answers every listing with frames of
 * status "more" past what a directory may hold, 2 refuses with a reason
 * carrying a forged log line and a terminal escape. */
static int hostile;

static void hostile_answer(struct sw_digests *h, const struct sw_digreq *rq)
{
	static struct sw_digentry e[SW_DIGESTS_MAX];

	if (hostile == 2) {
		h->status = SW_DIG_REFUSED;
		snprintf(h->text, sizeof h->text, "no manifest\n2026-01-01 forged line\x1b[2J");
		copies_on_digests(&cp, "b", h, NULL, 0, now);
		return;
	}
	tn_digest(dst, false, h->self, &h->files, &h->bytes);
	if (rq->flags & SW_DIG_SELF) {
		h->status = SW_DIG_LAST;
		copies_on_digests(&cp, "b", h, NULL, 0, now);
		return;
	}
	h->status = SW_DIG_MORE;
	for (size_t f = 0; f < COPIES_DIR_ENTRIES_MAX / SW_DIGESTS_MAX + 4; f++) {
		for (size_t i = 0; i < SW_DIGESTS_MAX; i++) {
			memset(&e[i], 0, sizeof e[i]);
			memcpy(e[i].name_hash, &f, sizeof f);
			memcpy(e[i].name_hash + 8, &i, sizeof i);
			e[i].kind = 'F';
			snprintf(e[i].name, sizeof e[i].name, "x");
		}
		copies_on_digests(&cp, "b", h, e, SW_DIGESTS_MAX, now);
	}
	h->status = SW_DIG_LAST;
	copies_on_digests(&cp, "b", h, NULL, 0, now);
}

/* Answers one request as an agent would: its frames through copies_on_digests(). */
static void answer(const char *agent, const struct sw_digreq *rq)
{
	static struct sw_digentry e[4096];
	struct tnode *top = !strcmp(agent, "a") ? src : dst, *d = tree_find_wire(top, rq->dir);
	struct sw_digests h;
	size_t n = 0;

	memset(&h, 0, sizeof h);
	h.req_id = rq->req_id;
	h.scan_time = now - 10;
	if (hostile && !strcmp(agent, "b")) {
		hostile_answer(&h, rq);
		return;
	}
	if (!d) {
		h.status = SW_DIG_NO_DIR;
		copies_on_digests(&cp, agent, &h, NULL, 0, now);
		return;
	}
	tn_digest(d, rq->flags & SW_DIG_CONTENT, h.self, &h.files, &h.bytes);
	if (!(rq->flags & SW_DIG_SELF))
		for (struct tnode *k = d->kids; k; k = k->next) {
			struct sw_digentry *x = &e[n++];

			memset(x, 0, sizeof *x);
			name_hash(k->name, x->name_hash);
			x->kind = k->dir ? 'D' : 'F';
			if (k->dir) {
				tn_digest(k, rq->flags & SW_DIG_CONTENT, x->digest, &x->files,
					  &x->size);
			} else {
				x->size = k->size;
				x->birth = k->birth;
				if (rq->flags & SW_DIG_CONTENT)
					memcpy(x->digest, k->content, 32);
			}
			if (rq->flags & SW_DIG_NAMES)
				snprintf(x->name, sizeof x->name, "%s", k->name);
		}
	for (size_t i = 0;; i += FRAME_ENTRIES) {
		size_t k = n - i < FRAME_ENTRIES ? n - i : FRAME_ENTRIES;

		h.status = i + k >= n ? SW_DIG_LAST : SW_DIG_MORE;
		copies_on_digests(&cp, agent, &h, e + i, k, now);
		if (h.status == SW_DIG_LAST)
			break;
	}
}

static void deliver_all(void)
{
	while (nq) {
		static __typeof__(queue) batch;
		size_t n = nq;

		memcpy(batch, queue, n * sizeof batch[0]);
		nq = 0;
		for (size_t i = 0; i < n; i++)
			answer(batch[i].agent, &batch[i].rq);
	}
}

static bool ask(const struct control_caller *who, const char *req)
{
	struct jsonparse_tok toks[64];
	bool ok = false;

	out.len = 0;
	control_handle(&ctl, who, req, strlen(req), now, &out);
	buf_append(&out, "", 1);
	jsonparse((const char *)out.data, out.len - 1, toks, 64);
	jsonparse_get_bool((const char *)out.data, toks, 0, "ok", &ok);
	return ok;
}

static void fill(struct tnode *t)
{
	char p[256];

	for (int i = 0; i < 100; i++) {
		snprintf(p, sizeof p, "cases/dir%d/clip%03d.mp4", i % 10, i);
		tree_put(t, p, 1000 + (uint64_t)i, now - 86400, (uint8_t)i);
	}
}

static int setup(void **state)
{
	struct copies_config cfg;
	struct control_config ccfg;
	const struct copies_ops ops = { .send = fake_send, .recorded = fake_recorded };
	char path[128], err[256];
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/ledger.db", dir);
	if (ledger_open(&led, path))
		return -1;
	alert_init(&al, NULL, &led, NULL, NULL, NULL, NULL);
	copies_config_init(&cfg);
	cfg.n = 1;
	snprintf(cfg.rel[0].name, sizeof cfg.rel[0].name, "move");
	if (copies_end_parse(&cfg.rel[0].source, "a/s", err, sizeof err) ||
	    copies_end_parse(&cfg.rel[0].destination, "b/d", err, sizeof err))
		return -1;
	snprintf(cfg.rel[0].destination.prefix, sizeof cfg.rel[0].destination.prefix, "old");
	cfg.rel[0].grace = 3600;
	cfg.rel[0].compare = COPIES_SIZES;
	if (copies_init(&cp, &cfg, &led, &al, &ops))
		return -1;
	control_config_default(&ccfg);
	control_init(&ctl, &ccfg,
		     &(struct control_deps){ .alerts = &al, .ledger = &led, .copies = &cp });
	control_caller_init(&root, 0, 0, 1, ctl.cfg.admin_group);
	control_caller_init(&nobody, 65534, 65534, 2, ctl.cfg.admin_group);
	buf_init(&out, CONTROL_RESPONSE_MAX);
	src = tn_new("", 0, true);
	dst = tn_new("", 0, true);
	fill(src);
	fill(dst);
	/* the destination keeps the copy under old/ */
	{
		struct tnode *cases = dst->kids, *old = tn_new("old", 3, true);

		dst->kids = old;
		old->kids = cases;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	control_stop(&ctl);
	buf_release(&out);
	copies_release(&cp);
	alert_stop(&al);
	ledger_close(&led);
	tn_free(src);
	tn_free(dst);
	tu_rmrf(dir);
	return 0;
}

static struct copyrel_rec state_of(void)
{
	struct copyrel_rec r;

	assert_int_equal(copyrel_get(led.db, "move", &r), 0);
	return r;
}

static long open_alerts(const char *kind)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM alerts WHERE kind = '%s' AND agent = 'b' "
		 "AND store = 'd' AND closed_at IS NULL", kind);
	return lq_count(led.db, sql);
}

static void sample(const char *agent, const char *store)
{
	copies_on_sample(&cp, agent, store, 60, now);
	deliver_all();
}

static void test_lifecycle(void **state)
{
	struct copyrel_rec r;
	uint64_t before;
	(void)state;

	/* complete: two SELF answers, whatever the size */
	sample("a", "s");
	r = state_of();
	assert_int_equal(r.state, COPYREL_COMPLETE);
	assert_int_equal(r.src_files, 100);
	assert_int_equal(r.dst_files, 100);
	assert_int_equal(sent, 2);
	assert_true(ask(&nobody, "{\"cmd\":\"copies\"}"));
	assert_non_null(strstr((const char *)out.data, "\"state\":\"complete\""));

	/* three deleted at the destination: not looked at before the interval */
	tree_del(dst, "old/cases/dir3/clip013.mp4");
	tree_del(dst, "old/cases/dir3/clip023.mp4");
	tree_del(dst, "old/cases/dir7/clip047.mp4");
	now += 10;
	before = sent;
	sample("b", "d");
	assert_int_equal(sent, before);
	now += 60;
	sample("b", "d");
	r = state_of();
	assert_int_equal(r.state, COPYREL_INCOMPLETE);
	assert_int_equal(r.missing, 3);
	assert_int_equal(r.since, now);
	assert_int_equal(open_alerts("copy_missing"), 1);
	assert_int_equal(recorded.missing, 3);
	assert_int_equal(recorded.checked_at, now);
	assert_int_equal(lq_count(led.db, "SELECT COUNT(*) FROM alerts WHERE kind='copy_missing'"
				  " AND severity='warning' AND lost_objects=3"), 1);

	/* one altered: copy_differs besides, the missing alert unchanged */
	tree_put(dst, "old/cases/dir5/clip055.mp4", 1, now - 86400, 55);
	now += 60;
	sample("a", "s");
	r = state_of();
	assert_int_equal(r.missing, 3);
	assert_int_equal(r.differs, 1);
	assert_int_equal(open_alerts("copy_missing"), 1);
	assert_int_equal(open_alerts("copy_differs"), 1);

	/* the destination agent is down: unknown, never resolved nor "missing more" */
	dst_down = true;
	now += 60;
	before = nrecorded;
	sample("a", "s");
	r = state_of();
	assert_int_equal(r.state, COPYREL_UNKNOWN);
	assert_int_equal(r.missing, 3);
	assert_int_equal(nrecorded, before); /* no point drawn from an unknown comparison */
	assert_int_equal(open_alerts("copy_missing"), 1);
	dst_down = false;

	/* restored: both resolve */
	tree_put(dst, "old/cases/dir3/clip013.mp4", 1013, now - 86400, 13);
	tree_put(dst, "old/cases/dir3/clip023.mp4", 1023, now - 86400, 23);
	tree_put(dst, "old/cases/dir7/clip047.mp4", 1047, now - 86400, 47);
	tree_put(dst, "old/cases/dir5/clip055.mp4", 1055, now - 86400, 55);
	now += 60;
	sample("a", "s");
	r = state_of();
	assert_int_equal(r.state, COPYREL_COMPLETE);
	assert_int_equal(open_alerts("copy_missing"), 0);
	assert_int_equal(open_alerts("copy_differs"), 0);
	assert_int_equal(lq_count(led.db, "SELECT COUNT(*) FROM alerts WHERE kind LIKE 'copy_%'"),
			 2);

	/* missing again: a new alert (a new episode), not the old one reopened */
	tree_del(dst, "old/cases/dir1/clip011.mp4");
	now += 60;
	sample("a", "s");
	assert_int_equal(open_alerts("copy_missing"), 1);
	assert_int_equal(lq_count(led.db, "SELECT COUNT(*) FROM alerts WHERE "
				  "kind='copy_missing'"), 2);

	/* gone from both ends: copy_lost, critical, and it stays open */
	tree_del(src, "cases/dir9/clip099.mp4");
	tree_del(dst, "old/cases/dir9/clip099.mp4");
	now += 60;
	sample("a", "s");
	assert_int_equal(open_alerts("copy_lost"), 1);
	assert_int_equal(lq_count(led.db, "SELECT COUNT(*) FROM alerts WHERE kind='copy_lost' "
				  "AND severity='critical' AND lost_objects=1"), 1);
	assert_true(lq_count(led.db, "SELECT COUNT(*) FROM copy_seen WHERE relation='move'") > 0);
	now += 60;
	sample("a", "s");
	assert_int_equal(open_alerts("copy_lost"), 1);
	tree_del(src, "cases/dir9/clip089.mp4");
	tree_del(dst, "old/cases/dir9/clip089.mp4");
	now += 60;
	sample("a", "s");
	assert_int_equal(lq_count(led.db, "SELECT COUNT(*) FROM alerts WHERE kind='copy_lost' "
				  "AND lost_objects=2"), 1);
	assert_int_equal(state_of().lost, 2);
}

static void test_check_names_audited(void **state)
{
	char req[256];
	int64_t id = 0;
	struct jsonparse_tok toks[512];
	(void)state;

	tree_del(dst, "old/cases/dir2/clip002.mp4");
	tree_put(dst, "old/cases/dir4/clip004.mp4", 7, now - 86400, 4);
	/* names need an administrator and a reason */
	assert_false(ask(&nobody, "{\"cmd\":\"copy_check\",\"name\":\"move\",\"reason\":\"x\"}"));
	assert_false(ask(&root, "{\"cmd\":\"copy_check\",\"name\":\"move\"}"));
	assert_non_null(strstr((const char *)out.data, "reason"));
	assert_false(ask(&root, "{\"cmd\":\"copy_check\",\"name\":\"nope\",\"reason\":\"x\"}"));
	assert_true(ask(&root, "{\"cmd\":\"copy_check\",\"name\":\"move\",\"reason\":"
			       "\"migration sign-off #42\"}"));
	jsonparse((const char *)out.data, out.len - 1, toks, 512);
	assert_int_equal(jsonparse_get_i64((const char *)out.data, toks, 0, "check", &id), 0);
	assert_int_equal(lq_count(led.db, "SELECT COUNT(*) FROM audit WHERE action='copy-check' "
				  "AND target='copy move' AND detail LIKE '%sign-off #42%'"),
			 1);
	snprintf(req, sizeof req, "{\"cmd\":\"copy_check_result\",\"check\":%lld}",
		 (long long)id);
	assert_true(ask(&root, req));
	assert_non_null(strstr((const char *)out.data, "\"state\":\"running\""));
	deliver_all();
	assert_true(ask(&root, req));
	assert_non_null(strstr((const char *)out.data, "\"state\":\"incomplete\""));
	assert_non_null(strstr((const char *)out.data,
			       "\"kind\":\"missing\",\"path\":\"cases/dir2/clip002.mp4\""));
	assert_non_null(strstr((const char *)out.data,
			       "\"kind\":\"differs\",\"path\":\"cases/dir4/clip004.mp4\""));
	assert_non_null(strstr((const char *)out.data, "\"destination_size\":7"));
	assert_false(ask(&nobody, req));

	/* one-shot, without a section: the same pair given by hand */
	assert_true(ask(&root, "{\"cmd\":\"copy_check\",\"source\":\"a/s\",\"destination\":"
			       "\"b/d\",\"destination_prefix\":\"old\",\"reason\":\"ad hoc\"}"));
	jsonparse((const char *)out.data, out.len - 1, toks, 512);
	assert_int_equal(jsonparse_get_i64((const char *)out.data, toks, 0, "check", &id), 0);
	deliver_all();
	snprintf(req, sizeof req, "{\"cmd\":\"copy_check_result\",\"check\":%lld,\"limit\":1}",
		 (long long)id);
	assert_true(ask(&root, req));
	assert_non_null(strstr((const char *)out.data, "\"missing\":2")); /* clip011 too */
	assert_non_null(strstr((const char *)out.data, "\"next\":1"));
	assert_false(ask(&root, "{\"cmd\":\"copy_check\",\"source\":\"a\",\"reason\":\"x\"}"));
	assert_false(ask(&root, "{\"cmd\":\"copy_check\",\"source\":\"a/s\",\"destination\":"
				"\"a/s\",\"reason\":\"x\"}"));
	assert_non_null(strstr((const char *)out.data, "the same directory"));
}

/* The ledger refuses a comparison's state (SQLite's full disk, made here by
 * a trigger on the relation's row): nothing is half recorded, and the next
 * comparison raises the alerts, copy_lost included, once the ledger takes
 * them again. */
static void test_refused_state_raised_again(void **state)
{
	struct copyrel_rec r;
	long lost_before;
	(void)state;

	/* from a complete copy (test_check_names_audited's changes undone) */
	tree_put(dst, "old/cases/dir2/clip002.mp4", 1002, now - 86400, 2);
	tree_put(dst, "old/cases/dir4/clip004.mp4", 1004, now - 86400, 4);
	tree_put(dst, "old/cases/dir1/clip011.mp4", 1011, now - 86400, 11);
	now += 60;
	sample("a", "s");
	assert_int_equal(state_of().state, COPYREL_COMPLETE);
	assert_int_equal(open_alerts("copy_missing"), 0);
	lost_before = (long)state_of().lost;

	assert_int_equal(sqlite3_exec(led.db, "CREATE TEMP TRIGGER full BEFORE INSERT ON copies "
				      "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
				      NULL, NULL, NULL), SQLITE_OK);
	tree_del(dst, "old/cases/dir6/clip016.mp4");
	tree_del(src, "cases/dir6/clip026.mp4");
	tree_del(dst, "old/cases/dir6/clip026.mp4");
	now += 60;
	sample("a", "s");
	r = state_of();
	assert_int_equal(r.state, COPYREL_COMPLETE); /* the old row, whole */
	assert_int_equal(open_alerts("copy_missing"), 0);

	assert_int_equal(sqlite3_exec(led.db, "DROP TRIGGER full", NULL, NULL, NULL), SQLITE_OK);
	now += 60;
	sample("a", "s");
	r = state_of();
	assert_int_equal(r.state, COPYREL_INCOMPLETE);
	assert_int_equal(r.missing, 1);
	assert_int_equal(open_alerts("copy_missing"), 1);
	assert_int_equal((long)r.lost, lost_before + 1);
	assert_int_equal(open_alerts("copy_lost"), 1);
	assert_int_equal(lq_count(led.db, "SELECT MAX(lost_objects) FROM alerts WHERE "
				  "kind='copy_lost' AND closed_at IS NULL"), lost_before + 1);
}

/* An agent that never ends a directory's answer is cut off at
 * COPIES_DIR_ENTRIES_MAX: the directory is unknown, never compared (nor
 * "complete"); a refusal's reason is logged printable only. */
static void test_hostile_destination(void **state)
{
	char path[128], logged[4096];
	int saved, fd;
	ssize_t len;
	(void)state;

	tree_del(dst, "old/cases/dir6/clip036.mp4"); /* the roots' digests differ */
	hostile = 1;
	now += 60;
	sample("a", "s");
	assert_int_equal(state_of().state, COPYREL_UNKNOWN);
	assert_true(state_of().unknown_dirs >= 1);
	assert_null(cp.pending);

	/* the refusal's reason goes to the log without control bytes */
	hostile = 2;
	snprintf(path, sizeof path, "%s/stderr", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	now += 60;
	sample("a", "s");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	hostile = 0;
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	len = read(fd, logged, sizeof logged - 1);
	close(fd);
	assert_true(len > 0);
	logged[len] = '\0';
	assert_non_null(strstr(logged, "refused the digests of copy 'move': no manifest?2026"));
	assert_null(strchr(logged, '\x1b'));
	assert_null(strstr(logged, "\n2026-01-01 forged"));
	assert_int_equal(state_of().state, COPYREL_UNKNOWN);
}

/* A missing item the source deletes before the copy has it: copy_missing
 * resolves "source-removed", not "recovered", and copy_lost counts it. */
static void test_missing_left_source(void **state)
{
	uint64_t lost;
	(void)state;

	tree_put(dst, "old/cases/dir6/clip016.mp4", 1016, now - 86400, 16);
	tree_put(dst, "old/cases/dir6/clip036.mp4", 1036, now - 86400, 36);
	tree_put(src, "cases/dir0/late.mp4", 7, now - 86400, 1); /* never copied */
	now += 60;
	sample("a", "s");
	assert_int_equal(state_of().missing, 1);
	assert_int_equal(open_alerts("copy_missing"), 1);
	lost = state_of().lost;

	tree_del(src, "cases/dir0/late.mp4");
	now += 60;
	sample("a", "s");
	assert_int_equal(state_of().state, COPYREL_COMPLETE);
	assert_int_equal(open_alerts("copy_missing"), 0);
	assert_int_equal(lq_count(led.db, "SELECT COUNT(*) FROM alert_events e JOIN alerts a ON "
				  "a.id = e.alert_id WHERE a.kind = 'copy_missing' AND e.detail "
				  "LIKE 'source-removed: %'"), 1);
	assert_int_equal(state_of().lost, lost + 1);
	assert_int_equal(open_alerts("copy_lost"), 1);
}

/* The ledger takes no alert for a while (they wait in the lifecycle's
 * queue): a copy_missing that fires, resolves and fires again gets a new
 * episode, not the waiting one's, and both are recorded once it takes them. */
static void test_waiting_alerts_new_episode(void **state)
{
	uint32_t first;
	(void)state;

	assert_int_equal(open_alerts("copy_missing"), 0);
	assert_int_equal(sqlite3_exec(led.db, "CREATE TEMP TRIGGER full BEFORE INSERT ON alerts "
				      "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
				      NULL, NULL, NULL), SQLITE_OK);
	tree_del(dst, "old/cases/dir8/clip018.mp4");
	now += 60;
	sample("a", "s");
	first = state_of().missing_episode;
	assert_true(first > 0);
	assert_true(alert_pending(&al, "b", "d"));
	tree_put(dst, "old/cases/dir8/clip018.mp4", 1018, now - 86400, 18);
	now += 60;
	sample("a", "s");
	assert_int_equal(state_of().missing_episode, 0);
	tree_del(dst, "old/cases/dir8/clip028.mp4");
	now += 60;
	sample("a", "s");
	assert_true(state_of().missing_episode > first);

	assert_int_equal(sqlite3_exec(led.db, "DROP TRIGGER full", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(alert_retry_run(&al, now + 3600), 0);
	assert_int_equal(open_alerts("copy_missing"), 1);
	assert_int_equal(lq_count(led.db, "SELECT COUNT(*) FROM alerts WHERE kind='copy_missing' "
				  "AND closed_at IS NOT NULL AND episode = (SELECT MAX(episode) - 1 "
				  "FROM alerts WHERE kind='copy_missing')"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_check_names_audited),
		cmocka_unit_test(test_refused_state_raised_again),
		cmocka_unit_test(test_hostile_destination),
		cmocka_unit_test(test_missing_left_source),
		cmocka_unit_test(test_waiting_alerts_new_episode),
	};
	return cmocka_run_group_tests_name("copies_live", tests, setup, teardown);
}
