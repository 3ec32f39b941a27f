/* test_notify.c - [notify NAME] parsing and validation, routing, journal fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/notify/journal.h"
#include "fake_journal.h"
#include "notify_testutil.h"


static char dir[64];

static int setup(void **state)
{
	(void)state;
	tu_mkdtemp(dir, sizeof dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	notify_stop();
	notify_config_reset();
	tu_rmrf(dir);
	return 0;
}

static int load(const char *text, uv_loop_t *loop, char *err, size_t errlen)
{
	return nt_load(dir, text, loop, err, errlen);
}

static void expect_error(const char *text, const char *needle)
{
	char err[1024] = "";

	assert_int_equal(load(text, NULL, err, sizeof err), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_good_config(void **state)
{
	char err[1024] = "";
	(void)state;

	assert_int_equal(load("[notify oncall]\n"
			      "type = exec\n"
			      "command = /bin/true --flag\n"
			      "timeout = 5s\n"
			      "min_severity = critical\n"
			      "[notify log]\n"
			      "min_severity = info\n"
			      "type = journal\n",
			      NULL, err, sizeof err),
			 0);
}

static void test_config_errors(void **state)
{
	(void)state;
	expect_error("[notify x]\ncommand = /bin/true\n", "[notify x] type: missing");
	expect_error("[notify x]\ntype = pager\n", "'pager' is not a notifier type");
	expect_error("[notify x]\ntype = exec\ntype = exec\n", "key given twice");
	expect_error("[notify x]\ntype = exec\n", "command: missing");
	expect_error("[notify x]\ntype = exec\ncommand = page-oncall\n", "absolute path");
	expect_error("[notify x]\ntype = exec\ncommand = /bin/true\ntimeout = soon\n",
		     "[notify x] timeout: 'soon' is not a duration");
	expect_error("[notify x]\ntype = exec\ncommand = /bin/true\nurl = http://x/\n",
		     "[notify x] url: unknown key for type exec");
	expect_error("[notify x]\ntype = journal\nmin_severity = loud\n",
		     "'loud' is not info, warning or critical");
	expect_error("[notify x]\ntype = journal\nstores = evsrv01\n",
		     "'evsrv01' is not an AGENT/STORE glob");
	expect_error("[notify x]\ntype = journal\nstores = a/b/c\n", "not an AGENT/STORE glob");
	expect_error("[notify ../x]\ntype = journal\n", "not a valid notifier name");
	expect_error("[notify x]\ntype = journal\ncolour = red\n", "unknown key for type journal");
}

static void test_check_config_keeps_nothing(void **state)
{
	char err[1024] = "", names[4][NOTIFY_NAME_MAX + 1];
	(void)state;

	/* Validation only starts nothing and forgets the sections. */
	assert_int_equal(load("[notify j]\ntype = journal\n", NULL, err, sizeof err), 0);
	assert_int_equal(notify_route(NOTIFY_CRITICAL, "a", "b", names, 4), 0);
}

static void test_routing(void **state)
{
	uv_loop_t loop;
	char err[1024] = "", names[8][NOTIFY_NAME_MAX + 1];
	size_t n;
	(void)state;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(load("[notify all]\ntype = journal\nmin_severity = info\n"
			      "[notify default]\ntype = journal\n"
			      "[notify crit]\ntype = journal\nmin_severity = critical\n"
			      "[notify bodycam]\ntype = journal\n"
			      "stores = evsrv*/bodycam  archive/[ab]*\n",
			      &loop, err, sizeof err),
			 0);

	n = notify_route(NOTIFY_INFO, "evsrv01", "bodycam", names, 8);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "all");

	n = notify_route(NOTIFY_WARNING, "evsrv01", "bodycam", names, 8);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "all");
	assert_string_equal(names[1], "default");
	assert_string_equal(names[2], "bodycam");

	n = notify_route(NOTIFY_CRITICAL, "evsrv01", "interviews", names, 8);
	assert_int_equal(n, 3);
	assert_string_equal(names[2], "crit");

	n = notify_route(NOTIFY_WARNING, "archive", "alpha", names, 8);
	assert_int_equal(n, 3);
	n = notify_route(NOTIFY_WARNING, "archive", "gamma", names, 8);
	assert_int_equal(n, 2);
	/* The glob does not cross the slash. */
	n = notify_route(NOTIFY_WARNING, "evsrv01/x", "bodycam", names, 8);
	assert_int_equal(n, 2);
	/* max bounds the answer. */
	assert_int_equal(notify_route(NOTIFY_CRITICAL, "evsrv01", "bodycam", names, 2), 2);

	/* A reload replaces the set; a bad reload keeps it. */
	assert_int_equal(load("[notify only]\ntype = journal\n", &loop, err, sizeof err), 0);
	assert_int_equal(notify_route(NOTIFY_CRITICAL, "evsrv01", "bodycam", names, 8), 1);
	assert_string_equal(names[0], "only");
	assert_int_equal(load("[notify broken]\ntype = exec\n", &loop, err, sizeof err), -1);
	assert_int_equal(notify_route(NOTIFY_CRITICAL, "evsrv01", "bodycam", names, 8), 1);
	assert_string_equal(names[0], "only");

	notify_stop();
	assert_int_equal(notify_route(NOTIFY_CRITICAL, "evsrv01", "bodycam", names, 8), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_send_unknown_notifier(void **state)
{
	struct notify_message m = { .agent = "a", .store = "b", .kind = "drop",
				    .state = ALERT_FIRING, .summary = "s", .json = "{}" };
	(void)state;

	assert_int_equal(notify_send("nobody", &m, NULL, NULL), -ENOENT);
}

static const char *field(const struct notify_journal_fields *f, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < f->n; i++) {
		const char *s = f->iov[i].iov_base;
		if (f->iov[i].iov_len > len && !strncmp(s, name, len) && s[len] == '=')
			return s + len + 1;
	}
	return NULL;
}

static void test_journal_fields(void **state)
{
	struct notify_journal_fields f;
	struct notify_message m = nt_message(42);
	(void)state;

	m.lost_objects = 1234;
	m.dashboard_url = "http://mon:8080/alert/42";
	assert_int_equal(notify_journal_build(&m, "log", &f), 0);
	assert_string_equal(field(&f, "MESSAGE_ID"), "04757486c1ac4d639935951c3b15f541");
	assert_string_equal(field(&f, "PRIORITY"), "2");
	assert_string_equal(field(&f, "SHRINKWATCH_ALERT_ID"), "42");
	assert_string_equal(field(&f, "SHRINKWATCH_NOTIFIER"), "log");
	assert_string_equal(field(&f, "AGENT"), "evsrv01");
	assert_string_equal(field(&f, "STORE"), "bodycam");
	assert_string_equal(field(&f, "KIND"), "drop");
	assert_string_equal(field(&f, "SEVERITY"), "critical");
	assert_string_equal(field(&f, "STATE"), "firing");
	assert_string_equal(field(&f, "LOST_BYTES"), "37200000000");
	assert_string_equal(field(&f, "LOST_OBJECTS"), "1234");
	assert_string_equal(field(&f, "SINCE"), "1700000000");
	assert_string_equal(field(&f, "DASHBOARD_URL"), "http://mon:8080/alert/42");
	assert_non_null(strstr(field(&f, "MESSAGE"), "CRITICAL"));
	assert_non_null(strstr(field(&f, "MESSAGE"), "37.2 GB lost"));

	/* Kinds have distinct ids; severities their priorities; no empty URL. */
	m.kind = "leak";
	m.severity = NOTIFY_WARNING;
	m.dashboard_url = "";
	assert_int_equal(notify_journal_build(&m, "log", &f), 0);
	assert_string_equal(field(&f, "MESSAGE_ID"), "6c84faabcaec4347bee5e7792b6ae24c");
	assert_string_equal(field(&f, "PRIORITY"), "4");
	assert_null(field(&f, "DASHBOARD_URL"));
	m.severity = NOTIFY_INFO;
	assert_int_equal(notify_journal_build(&m, "log", &f), 0);
	assert_string_equal(field(&f, "PRIORITY"), "6");
	assert_string_not_equal(notify_journal_message_id("silence"),
				notify_journal_message_id("vanished"));
	assert_string_equal(notify_journal_message_id("no-such-kind"),
			    notify_journal_message_id("another"));
}

/* One attempt through the journal notifier "log" on loop. */
static enum notify_result journal_attempt(uv_loop_t *loop, const struct notify_message *m)
{
	struct nt_outcome o;

	return nt_attempt(loop, "log", m, &o) ? (enum notify_result)-1 : o.result;
}

/*
 * In a child with its own journald socket: the notifier delivers the fields,
 * and with no journald at all it reports RETRY.  0 pass, 77 skip, else the
 * failed check.
 */
static int journal_child(void)
{
	struct notify_message m = { .alert_id = 42, .agent = "evsrv01", .store = "bodycam",
				    .kind = "vanished", .severity = NOTIFY_CRITICAL,
				    .state = ALERT_FIRING, .summary = "evsrv01/bodycam vanished",
				    .dashboard_url = "", .json = "{}" };
	char msg[8192], err[1024];
	uv_loop_t loop;
	ssize_t n;
	int fd = fake_journal(1);

	if (fd < 0)
		return FAKE_JOURNAL_SKIP;
	if (uv_loop_init(&loop) || load("[notify log]\ntype = journal\n", &loop, err, sizeof err))
		return 1;
	if (journal_attempt(&loop, &m) != NOTIFY_OK)
		return 2;
	n = recv(fd, msg, sizeof msg, MSG_DONTWAIT);
	if (n <= 0)
		return 3;
	if (!fake_journal_has(msg, (size_t)n, "MESSAGE_ID=e4db748bc7c84e3b8a5c8889d3919005") ||
	    !fake_journal_has(msg, (size_t)n, "PRIORITY=2") ||
	    !fake_journal_has(msg, (size_t)n, "SHRINKWATCH_ALERT_ID=42") ||
	    !fake_journal_has(msg, (size_t)n, "AGENT=evsrv01") ||
	    !fake_journal_has(msg, (size_t)n, "STORE=bodycam") ||
	    !fake_journal_has(msg, (size_t)n, "KIND=vanished") ||
	    !fake_journal_has(msg, (size_t)n, "STATE=firing"))
		return 4;
	/* notify_stop() reports a result still waiting for the loop at once */
	{
		struct nt_outcome o = { 0 };

		if (notify_send("log", &m, nt_on_done, &o) || o.calls)
			return 7;
		notify_stop();
		if (o.calls != 1 || o.result != NOTIFY_OK)
			return 8;
		recv(fd, msg, sizeof msg, MSG_DONTWAIT);
		if (load("[notify log]\ntype = journal\n", &loop, err, sizeof err))
			return 9;
	}
	/* journald gone: try again later */
	close(fd);
	unlink(FAKE_JOURNAL_SOCKET);
	if (journal_attempt(&loop, &m) != NOTIFY_RETRY)
		return 5;
	notify_stop();
	uv_run(&loop, UV_RUN_DEFAULT);
	return uv_loop_close(&loop) ? 6 : 0;
}

static void test_journal_delivery(void **state)
{
	(void)state;
	fake_journal_run(journal_child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_config_keeps_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
		cmocka_unit_test(test_send_unknown_notifier),
		cmocka_unit_test(test_journal_fields),
		cmocka_unit_test_setup_teardown(test_journal_delivery, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
