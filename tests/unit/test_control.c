/*
 * test_control.c - the control socket's requests, with the real ledger,
 * lifecycle and detector behind them: permission checks (root and the admin
 * group may change things, anyone may read, a refusal is audited), strict
 * request parsing, explanations ahead and after the fact through the
 * detector, and shrinkwatchctl's time syntax.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/alerts/lifecycle.h"
#include "collector/control/control.h"
#include "ctl/client.h"
#include "collector/ledger/ledger.h"
#include "collector/alerts/watch.h"
#include "shrinkwatch/jsonparse.h"
#include "ledger_query.h"
#include "testutil.h"

static char dir[64];
static struct ledger led;
static struct alerts al;
static struct watch w;
static struct detect_config_set dcfg;
static struct control ctl;
static struct control_caller root, nobody;
static struct buf out;
static const int64_t now = 1800000000;

static int setup(void **state)
{
	struct control_config cfg;
	char path[128];

	(void)state;
	tu_mkdtemp(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/ledger.db", dir);
	if (ledger_open(&led, path))
		return -1;
	alert_init(&al, NULL, &led, NULL, NULL, NULL, NULL);
	detect_config_init(&dcfg);
	if (watch_init(&w, NULL, NULL,
		       &(struct watch_deps){ .ledger = &led, .cfg = &dcfg, .alerts = &al }))
		return -1;
	control_config_default(&cfg);
	control_init(&ctl, &cfg,
		     &(struct control_deps){ .watch = &w, .alerts = &al, .ledger = &led });
	control_caller_init(&root, 0, 0, 1, ctl.cfg.admin_group);
	control_caller_init(&nobody, 65534, 65534, 2, ctl.cfg.admin_group);
	buf_init(&out, CONTROL_RESPONSE_MAX);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	control_stop(&ctl); /* frees the refusal bookkeeping */
	buf_release(&out);
	watch_stop(&w);
	alert_stop(&al);
	ledger_close(&led);
	detect_config_release(&dcfg);
	tu_rmrf(dir);
	return 0;
}

/* Sends req as who; returns whether the answer says ok, error text in err. */
static bool ask(const struct control_caller *who, const char *req, char *err, size_t errlen)
{
	struct jsonparse_tok toks[4096];
	bool ok = false;

	out.len = 0;
	control_handle(&ctl, who, req, strlen(req), now, &out);
	buf_append(&out, "", 1);
	assert_true(jsonparse((const char *)out.data, out.len - 1, toks, 4096) > 0);
	assert_int_equal(jsonparse_get_bool((const char *)out.data, toks, 0, "ok", &ok), 0);
	if (err) {
		err[0] = '\0';
		jsonparse_get_str((const char *)out.data, toks, 0, "error", err, errlen);
	}
	return ok;
}

static long count(const char *sql)
{
	return lq_count(led.db, sql);
}

/* A store the detector knows, with a firing drop alert (id 1). */
static void seed_store_with_alert(void)
{
	struct sw_sample s;
	struct watch_store *ws;

	memset(&s, 0, sizeof s);
	s.time = now - 100;
	s.objects = 1000;
	s.bytes = 1000000000;
	s.flags = SW_SAMPLE_HAS_ADDED;
	watch_sample(&w, "evsrv01", "bodycam", &s, now);
	ws = watch_get(&w, "evsrv01", "bodycam", false);
	assert_non_null(ws);
	ws->p.interval = 60;
	ws->p.purge_at = 3 * 3600;
	ws->p.purge_window = 60;
	/* steady, then a large loss over two samples (the detector confirms) */
	for (int i = 1; i <= 3; i++) {
		s.time = now - 100 + i * 10;
		if (i >= 2)
			s.objects = 900, s.bytes = 800000000;
		watch_sample(&w, "evsrv01", "bodycam", &s, now);
	}
	assert_int_equal(count("SELECT count(*) FROM alerts WHERE state='firing'"), 1);
}

static void test_permissions(void **state)
{
	char err[512];
	(void)state;

	assert_true(root.admin);
	assert_false(nobody.admin);
	assert_string_equal(root.user, "root");
	assert_string_equal(nobody.user, "nobody");
	seed_store_with_alert();
	/* anyone may read */
	assert_true(ask(&nobody, "{\"cmd\":\"alerts\"}", err, sizeof err));
	assert_non_null(strstr((const char *)out.data, "\"kind\":\"drop\""));
	assert_true(ask(&nobody, "{\"cmd\":\"audit\"}", err, sizeof err));
	/* only admins change anything; refusals are audited */
	assert_false(ask(&nobody, "{\"cmd\":\"ack\",\"id\":1,\"comment\":\"x\"}", err, sizeof err));
	assert_non_null(strstr(err, "permission denied"));
	assert_false(ask(&nobody, "{\"cmd\":\"revoke\",\"id\":1,\"reason\":\"x\"}", err,
			 sizeof err));
	assert_false(ask(&nobody, "{\"cmd\":\"explain\",\"alert\":1,\"reason\":\"x\"}", err,
			 sizeof err));
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action='refused' AND "
			       "who='nobody'"), 3);
	assert_int_equal(count("SELECT count(*) FROM alerts WHERE state='firing'"), 1);
	assert_true(ask(&root, "{\"cmd\":\"ack\",\"id\":1,\"comment\":\"mine\"}", err, sizeof err));
	assert_int_equal(count("SELECT count(*) FROM alerts WHERE state='acknowledged' AND "
			       "ack_by='root'"), 1);
	/* membership of admin_group counts: nobody's own group as the admin group */
	struct group *g = getgrgid(65534);
	struct control_caller member;

	assert_non_null(g);
	control_caller_init(&member, 65534, 65534, 3, g->gr_name);
	assert_true(member.admin);
	control_caller_init(&member, 65534, 65534, 3, "no-such-group-here");
	assert_false(member.admin);
}

/* ack --not-a-loss: the alert closes as not-a-loss, audited with who and
 * the comment, and the store's detector learns the loss. */
static void test_ack_not_a_loss(void **state)
{
	struct watch_store *ws;
	char err[512];
	(void)state;

	seed_store_with_alert();
	ws = watch_get(&w, "evsrv01", "bodycam", false);
	assert_non_null(ws);
	assert_true(ws->st.ep_episode[DETECT_DROP] != 0);
	assert_false(ask(&nobody, "{\"cmd\":\"ack\",\"id\":1,\"not_a_loss\":true,"
				  "\"comment\":\"x\"}", err, sizeof err));
	assert_false(ask(&root, "{\"cmd\":\"ack\",\"id\":1,\"not_a_loss\":true}", err,
			 sizeof err));
	assert_non_null(strstr(err, "'comment' is required"));
	assert_true(ask(&root, "{\"cmd\":\"ack\",\"id\":1,\"not_a_loss\":true,"
			       "\"comment\":\"nightly re-index job, ticket 4711\"}", err, sizeof err));
	assert_int_equal(count("SELECT count(*) FROM alerts WHERE id=1 AND state='not-a-loss' "
			       "AND ack_by='root' AND ack_at=1800000000 AND closed_at IS NOT NULL "
			       "AND ack_comment='nightly re-index job, ticket 4711'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action='not-a-loss' AND "
			       "who='root' AND target='alert 1' AND time=1800000000 AND "
			       "detail LIKE '%nightly re-index job, ticket 4711%'"), 1);
	assert_int_equal(count("SELECT count(*) FROM alert_events WHERE alert_id=1 AND "
			       "state='not-a-loss'"), 1);
	/* the detector closed its episode and learned the drop */
	assert_int_equal(ws->st.ep_episode[DETECT_DROP], 0);
	assert_true(ws->st.fb.drop[0] > 0 && ws->st.fb.since > 0);
	assert_true(ws->dirty);
	/* shown as such; said once */
	assert_true(ask(&nobody, "{\"cmd\":\"alerts\",\"all\":true}", err, sizeof err));
	assert_non_null(strstr((const char *)out.data, "\"state\":\"not-a-loss\""));
	assert_false(ask(&root, "{\"cmd\":\"ack\",\"id\":1,\"not_a_loss\":true,"
				"\"comment\":\"again\"}", err, sizeof err));
	assert_non_null(strstr(err, "already not-a-loss"));
	assert_false(ask(&root, "{\"cmd\":\"ack\",\"id\":1,\"comment\":\"plain\"}", err,
			 sizeof err));
	assert_false(ask(&root, "{\"cmd\":\"ack\",\"id\":9,\"not_a_loss\":true,"
				"\"comment\":\"x\"}", err, sizeof err));
	assert_non_null(strstr(err, "no alert 9"));
}

static void test_request_parsing(void **state)
{
	static const struct {
		const char *req, *error;
	} bad[] = {
		{ "", "malformed" },
		{ "not json", "malformed" },
		{ "[1]", "malformed" },
		{ "{\"cmd\":1}", "'cmd' must be a string" },
		{ "{}", "'cmd' is required" },
		{ "{\"cmd\":\"reboot\"}", "unknown command 'reboot'" },
		{ "{\"cmd\":\"ack\",\"comment\":\"x\"}", "'id' is required" },
		{ "{\"cmd\":\"ack\",\"id\":\"1\",\"comment\":\"x\"}", "'id' must be an integer" },
		{ "{\"cmd\":\"ack\",\"id\":1,\"comment\":\"\"}", "a comment is required" },
		{ "{\"cmd\":\"ack\",\"id\":77,\"comment\":\"x\"}", "no alert 77" },
		{ "{\"cmd\":\"explain\",\"store\":\"evsrv01/bodycam\",\"from\":1,\"to\":2}",
		  "'reason' is required" },
		{ "{\"cmd\":\"explain\",\"store\":\"a/../b\",\"from\":1,\"to\":2,\"reason\":\"r\"}",
		  "not a valid AGENT/STORE" },
		{ "{\"cmd\":\"explain\",\"store\":\"evsrv01/nope\",\"from\":1,\"to\":2,\"reason\":"
		  "\"r\"}",
		  "unknown store 'evsrv01/nope'" },
		{ "{\"cmd\":\"explain\",\"store\":\"evsrv01/bodycam\",\"from\":5,\"to\":2,"
		  "\"reason\":\"r\"}",
		  "ends before it starts" },
		{ "{\"cmd\":\"explain\",\"store\":\"evsrv01/bodycam\",\"from\":1,\"to\":2,"
		  "\"bytes\":-5,\"reason\":\"r\"}",
		  "must not be negative" },
		{ "{\"cmd\":\"explain\",\"store\":\"evsrv01/bodycam\",\"from\":1,\"to\":2,"
		  "\"path\":\"2021/\",\"bytes\":5,\"reason\":\"r\"}",
		  "takes no byte or object allowance" },
		{ "{\"cmd\":\"explain\",\"store\":\"evsrv01/bodycam\",\"from\":1,\"to\":2,"
		  "\"path\":\"/2021/\",\"reason\":\"r\"}",
		  "drop the leading '/'" },
		{ "{\"cmd\":\"explain\",\"alert\":1,\"path\":\"2021/\",\"reason\":\"r\"}",
		  "'path' declares ahead" },
		{ "{\"cmd\":\"revoke\",\"id\":9,\"reason\":\"r\"}", "no explanation 9" },
		{ "{\"cmd\":\"audit\",\"limit\":0}", "'limit' must be" },
	};
	char err[512], longreq[3000];
	(void)state;

	seed_store_with_alert();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (ask(&root, bad[i].req, err, sizeof err))
			fail_msg("accepted '%s'", bad[i].req);
		if (!strstr(err, bad[i].error))
			fail_msg("'%s': error '%s', want '%s'", bad[i].req, err, bad[i].error);
	}
	/* a reason longer than the ledger keeps is refused, not cut */
	snprintf(longreq, sizeof longreq, "{\"cmd\":\"ack\",\"id\":1,\"comment\":\"%02000d\"}", 0);
	assert_false(ask(&root, longreq, err, sizeof err));
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action != 'alert-fired'"), 0);
}

static void test_explain_ahead_and_after(void **state)
{
	char err[512], req[512];
	struct watch_store *ws;
	(void)state;

	seed_store_with_alert();
	/* the open alert's loss: 100 objects, 200 MB; a too small allowance fails */
	assert_false(ask(&root, "{\"cmd\":\"explain\",\"alert\":1,\"bytes\":1000,\"reason\":\"x\"}",
			 err, sizeof err));
	assert_non_null(strstr(err, "does not cover"));
	assert_true(ask(&root, "{\"cmd\":\"explain\",\"alert\":1,\"reason\":\"court order\"}", err,
			sizeof err));
	assert_int_equal(count("SELECT count(*) FROM alerts WHERE state='explained' AND "
			       "explanation_id=1"), 1);
	assert_int_equal(count("SELECT count(*) FROM explanations WHERE alert_id=1 AND "
			       "bytes IS NULL"), 1);
	assert_false(ask(&root, "{\"cmd\":\"explain\",\"alert\":1,\"reason\":\"again\"}", err,
			 sizeof err));
	assert_non_null(strstr(err, "already explained"));
	/* ahead: lands in the detector's state */
	snprintf(req, sizeof req,
		 "{\"cmd\":\"explain\",\"store\":\"evsrv01/bodycam\",\"from\":%lld,\"to\":%lld,"
		 "\"bytes\":5000000,\"objects\":50,\"reason\":\"retention job\"}",
		 (long long)now, (long long)now + 3600);
	assert_true(ask(&root, req, err, sizeof err));
	/* the audit trail says when in ISO 8601 (UTC), not in Unix seconds */
	{
		char t0[32], t1[32], q[256];
		time_t a = (time_t)now, b = (time_t)now + 3600;
		struct tm tm;

		strftime(t0, sizeof t0, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&a, &tm));
		strftime(t1, sizeof t1, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&b, &tm));
		snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE action='explain' AND "
			 "detail LIKE 'explanation 2: %s..%s, bytes 5000000, objects 50: %%'",
			 t0, t1);
		assert_int_equal(count(q), 1);
	}
	ws = watch_get(&w, "evsrv01", "bodycam", false);
	bool found = false;
	for (unsigned i = 0; i < ws->st.nexplain; i++)
		found |= ws->st.explain[i].id == 2 && ws->st.explain[i].allow_objects == 50;
	assert_true(found);
	assert_true(ask(&nobody, "{\"cmd\":\"explanations\"}", err, sizeof err));
	assert_non_null(strstr((const char *)out.data, "\"reason\":\"retention job\""));
	/* revoke: gone from the detector, kept in the ledger as revoked */
	assert_true(ask(&root, "{\"cmd\":\"revoke\",\"id\":2,\"reason\":\"done\"}", err,
			sizeof err));
	for (unsigned i = 0; i < ws->st.nexplain; i++)
		assert_int_not_equal(ws->st.explain[i].id, 2);
	assert_false(ask(&root, "{\"cmd\":\"revoke\",\"id\":2,\"reason\":\"done\"}", err,
			 sizeof err));
	assert_non_null(strstr(err, "revoked by root already"));
	assert_int_equal(count("SELECT count(*) FROM audit WHERE who='root' AND action IN "
			       "('explain','revoke','alert-explained')"), 4);
	/* path-scoped: the prefix in the ledger, the listing and the audit
	 * trail; the detector gets an explanation allowing nothing by totals */
	snprintf(req, sizeof req,
		 "{\"cmd\":\"explain\",\"store\":\"evsrv01/bodycam\",\"from\":%lld,\"to\":%lld,"
		 "\"path\":\"2021/case4411/\",\"reason\":\"court order 17\"}",
		 (long long)now, (long long)now + 3600);
	assert_true(ask(&root, req, err, sizeof err));
	assert_int_equal(count("SELECT count(*) FROM explanations WHERE id=3 AND "
			       "prefix='2021/case4411/' AND bytes IS NULL AND objects IS NULL"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE who='root' AND "
			       "action='explain' AND detail LIKE "
			       "'%path prefix ''2021/case4411/'' (item for item): court order 17'"),
			 1);
	found = false;
	for (unsigned i = 0; i < ws->st.nexplain; i++)
		found |= ws->st.explain[i].id == 3 && ws->st.explain[i].allow_bytes == 0 &&
			 ws->st.explain[i].allow_objects == 0;
	assert_true(found);
	assert_true(ask(&nobody, "{\"cmd\":\"explanations\"}", err, sizeof err));
	assert_non_null(strstr((const char *)out.data, "\"path\":\"2021/case4411/\""));
}

/* Talks to a real control socket on a real loop: the caller is identified
 * by the kernel, answers come one per line, an oversized request is refused. */
static void socket_exchange(const char *sock, const char *req, size_t len, char *ans,
			    size_t anslen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t got = 0, sent = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	while (!memchr(ans, '\n', got)) {
		ssize_t n;

		if (sent < len) {
			n = send(fd, req + sent, len - sent, MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
		uv_run(ctl.loop, UV_RUN_NOWAIT);
		n = recv(fd, ans + got, anslen - 1 - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		assert_true(got < anslen - 1);
	}
	ans[got] = '\0';
	close(fd);
}

static void test_socket(void **state)
{
	struct control_config cfg;
	uv_loop_t loop;
	char *big, ans[4096];
	const char *req;
	size_t n = CONTROL_REQUEST_MAX + 100;
	(void)state;

	assert_int_equal(uv_loop_init(&loop), 0);
	control_config_default(&cfg);
	snprintf(cfg.path, sizeof cfg.path, "%s/control.sock", dir);
	/* the same parts as setup(), on a socket in the test's directory */
	control_init(&ctl, &cfg,
		     &(struct control_deps){ .watch = &w, .alerts = &al, .ledger = &led });
	assert_int_equal(control_start(&ctl, &loop), 0);
	req = "{\"cmd\":\"alerts\"}\n{\"cmd\":\"nope\"}\n";
	socket_exchange(cfg.path, req, strlen(req), ans, sizeof ans);
	assert_non_null(strstr(ans, "{\"ok\":true,\"alerts\":[]}\n"));
	big = malloc(n);
	memset(big, 'x', n);
	socket_exchange(cfg.path, big, n, ans, sizeof ans);
	assert_string_equal(ans, "{\"ok\":false,\"error\":\"request too long\"}\n");
	free(big);
	/* as root (the test's uid), a change goes through: identity from the kernel */
	req = "{\"cmd\":\"ack\",\"id\":5,\"comment\":\"x\"}\n";
	socket_exchange(cfg.path, req, strlen(req), ans, sizeof ans);
	if (getuid() == 0)
		assert_non_null(strstr(ans, "no alert 5"));
	else
		assert_non_null(strstr(ans, "permission denied"));
	control_stop(&ctl);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(access(cfg.path, F_OK), -1); /* removed */
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Sends n copies of req at once on one connection and reads the n answers
 * into ans (malloc'ed, caller frees). */
static char *socket_burst(const char *sock, const char *req, unsigned n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(req), total = len * n, sent = 0, got = 0, cap = 1 << 20;
	char *all = malloc(total), *ans = malloc(cap);
	unsigned lines = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_non_null(all);
	assert_non_null(ans);
	for (unsigned i = 0; i < n; i++)
		memcpy(all + i * len, req, len);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	while (lines < n) {
		ssize_t k;

		if (sent < total) {
			k = send(fd, all + sent, total - sent, MSG_DONTWAIT);
			if (k > 0)
				sent += (size_t)k;
		}
		uv_run(ctl.loop, UV_RUN_NOWAIT);
		k = recv(fd, ans + got, cap - 1 - got, MSG_DONTWAIT);
		if (k == 0)
			break;
		for (ssize_t i = 0; i < k; i++)
			lines += ans[got + (size_t)i] == '\n';
		if (k > 0)
			got += (size_t)k;
		assert_true(got < cap - 1);
	}
	ans[got] = '\0';
	close(fd);
	free(all);
	return ans;
}

static unsigned occurrences(const char *s, const char *what)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* One local user cannot flood the audit trail: 1,000 refused changes are one
 * row for the first and one summary row; and past its request budget, a uid's
 * requests are answered without being carried out. */
static void test_refusal_flood(void **state)
{
	struct control_config cfg;
	uv_loop_t loop;
	char *ans;
	(void)state;

	seed_store_with_alert();
	for (int i = 0; i < 1000; i++)
		assert_false(ask(&nobody, "{\"cmd\":\"ack\",\"id\":1,\"comment\":\"x\"}", NULL,
				 0));
	assert_false(ask(&nobody, "{\"cmd\":\"revoke\",\"id\":1,\"reason\":\"x\"}", NULL, 0));
	/* the first of each command's burst has its row; nothing more yet */
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action='refused'"), 2);
	control_flush_refusals(&ctl, now + 30, false);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action='refused'"), 2);
	/* the burst ended (a minute without a refusal): one summary row */
	control_flush_refusals(&ctl, now + 61, false);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action='refused'"), 3);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action='refused' AND "
			       "who='nobody' AND target='ack' AND detail='999 more ''ack'' "
			       "requests refused from uid 65534 between 2027-01-15T08:00:00Z and "
			       "2027-01-15T08:00:00Z (the first of the burst has its own row)'"),
			 1);
	/* a new burst starts with its own row again */
	assert_false(ask(&nobody, "{\"cmd\":\"ack\",\"id\":1,\"comment\":\"x\"}", NULL, 0));
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action='refused'"), 4);
	control_stop(&ctl);

	/* the request budget, on the socket: 150 requests at once from one uid,
	 * the first PEERLIMIT_BURST carried out */
	assert_int_equal(uv_loop_init(&loop), 0);
	control_config_default(&cfg);
	snprintf(cfg.path, sizeof cfg.path, "%s/control.sock", dir);
	control_init(&ctl, &cfg,
		     &(struct control_deps){ .watch = &w, .alerts = &al, .ledger = &led });
	assert_int_equal(control_start(&ctl, &loop), 0);
	ans = socket_burst(cfg.path, "{\"cmd\":\"explanations\"}\n", 150);
	assert_int_equal(occurrences(ans, "{\"ok\":true,"), PEERLIMIT_BURST);
	assert_int_equal(occurrences(ans, "too many requests from uid"), 150 - PEERLIMIT_BURST);
	free(ans);
	control_stop(&ctl);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_peerlimit_budget(void **state)
{
	struct peerlimit pl;
	unsigned ok = 0;
	(void)state;

	peerlimit_init(&pl, 20, 100, 60);
	for (int i = 0; i < 150; i++)
		ok += peerlimit_take(&pl, 1000, 5000);
	assert_int_equal(ok, 100);
	assert_true(peerlimit_take(&pl, 1001, 5000)); /* another uid has its own */
	assert_false(peerlimit_take(&pl, 1000, 5049));
	assert_true(peerlimit_take(&pl, 1000, 5050)); /* 20 a second: one per 50 ms */
	assert_false(peerlimit_take(&pl, 1000, 5050));
	peerlimit_release(&pl);
}

static void test_parse_time(void **state)
{
	int64_t t;
	(void)state;

	assert_int_equal(ctl_parse_time("1700000000", now, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(ctl_parse_time("now", now, &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(ctl_parse_time("-2h", now, &t), 0);
	assert_int_equal(t, now - 7200);
	assert_int_equal(ctl_parse_time("+30m", now, &t), 0);
	assert_int_equal(t, now + 1800);
	assert_int_equal(ctl_parse_time("2026-11-23T02:00:00Z", now, &t), 0);
	assert_int_equal(t, 1795399200);
	assert_int_equal(ctl_parse_time("2026-11-23T02:00", now, &t), 0);
	assert_int_equal(t, 1795399200);
	assert_int_equal(ctl_parse_time("2026-11-23 03:00+01:00", now, &t), 0);
	assert_int_equal(t, 1795399200);
	assert_int_equal(ctl_parse_time("2026-11-23", now, &t), 0);
	assert_int_equal(t, 1795392000);
	assert_int_equal(ctl_parse_time("2026-11-23T02:00:00Zjunk", now, &t), -EINVAL);
	assert_int_equal(ctl_parse_time("yesterday", now, &t), -EINVAL);
	assert_int_equal(ctl_parse_time("-2x", now, &t), -EINVAL);
	assert_int_equal(ctl_parse_time("", now, &t), -EINVAL);
}

static void test_hoist_globals(void **state)
{
	char *argv[] = { "shrinkwatchctl", "--socket", "/s", "--json", "alerts", "--all", NULL };
	char *argv2[] = { "shrinkwatchctl", "alerts", "--socket", "/s", NULL };
	(void)state;

	ctl_hoist_globals(6, argv);
	assert_string_equal(argv[1], "alerts");
	assert_string_equal(argv[2], "--socket");
	assert_string_equal(argv[3], "/s");
	assert_string_equal(argv[4], "--json");
	assert_string_equal(argv[5], "--all");
	ctl_hoist_globals(4, argv2);
	assert_string_equal(argv2[1], "alerts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_not_a_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_parsing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_ahead_and_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_flood, setup, teardown),
		cmocka_unit_test(test_peerlimit_budget),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_hoist_globals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
