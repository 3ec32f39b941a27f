/*
 * test_notify_exec.c - the exec notifier runs a real command on a real loop:
 * the alert JSON on stdin, the fields in the environment, the exit status
 * judged, a command that hangs killed (with its children), a missing program
 * and a stopped notifier reported as "try again".
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "notify_testutil.h"

static char dir[64];
static uv_loop_t loop;

static struct notify_message msg;

static void init_msg(void)
{
	msg = nt_message(7);
	msg.dashboard_url = "http://mon/alert/7";
	msg.json = "{\"id\":7,\"agent\":\"evsrv01\",\"note\":\"$(rm -rf /) 'quoted'\"}\n";
}

static int setup(void **state)
{
	(void)state;
	init_msg();
	return nt_begin(dir, &loop);
}

static int teardown(void **state)
{
	(void)state;
	return nt_end(dir, &loop);
}

static void script(const char *name, const char *body, char *path, size_t len)
{
	tu_write(dir, name, body, path, len);
	chmod(path, 0755);
}


static void run_one(const char *notifier, struct nt_outcome *o)
{
	assert_int_equal(nt_attempt(&loop, notifier, &msg, o), 0);
}

static void test_delivers_json_and_env(void **state)
{
	char path[256], conf[1024];
	struct nt_outcome o;
	const char *env;
	(void)state;

	script("page.sh",
	       "#!/bin/sh\n"
	       "cat > \"$1/stdin\"\n"
	       "env | grep -E '^(SHRINKWATCH_|NOTIFY_SOCKET|WATCHDOG_|LISTEN_)' | sort "
	       "> \"$1/env\"\n"
	       "echo paged the on-call person\n",
	       path, sizeof path);
	snprintf(conf, sizeof conf, "[notify oncall]\ntype = exec\ncommand = %s %s\n", path, dir);
	setenv("SHRINKWATCH_STATE", "stale value from the collector's environment", 1);
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1); /* the collector's, not theirs */
	setenv("WATCHDOG_USEC", "60000000", 1);
	nt_start(dir, &loop, conf);
	run_one("oncall", &o);
	unsetenv("SHRINKWATCH_STATE");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(o.result, NOTIFY_OK);
	assert_string_equal(nt_slurp(dir, "stdin"), msg.json);
	env = nt_slurp(dir, "env");
	assert_string_equal(env, "SHRINKWATCH_AGENT=evsrv01\n"
				 "SHRINKWATCH_ALERT_ID=7\n"
				 "SHRINKWATCH_ATTRIBUTION=\n"
				 "SHRINKWATCH_DASHBOARD_URL=http://mon/alert/7\n"
				 "SHRINKWATCH_KIND=drop\n"
				 "SHRINKWATCH_LOST_BYTES=37200000000\n"
				 "SHRINKWATCH_LOST_OBJECTS=12\n"
				 "SHRINKWATCH_SEVERITY=critical\n"
				 "SHRINKWATCH_STATE=firing\n"
				 "SHRINKWATCH_STORE=bodycam\n"
				 "SHRINKWATCH_SUMMARY=evsrv01/bodycam: 37.2 GB lost\n");
}

static void test_failure_is_retry(void **state)
{
	char path[256], conf[512];
	struct nt_outcome o;
	(void)state;

	script("fail.sh", "#!/bin/sh\necho pager gateway down >&2\nexit 3\n", path, sizeof path);
	snprintf(conf, sizeof conf, "[notify oncall]\ntype = exec\ncommand = %s\n", path);
	nt_start(dir, &loop, conf);
	run_one("oncall", &o);
	assert_int_equal(o.result, NOTIFY_RETRY);
	assert_non_null(strstr(o.why, "exit status 3"));
	assert_non_null(strstr(o.why, "pager gateway down"));
}

static void test_timeout_kills_the_group(void **state)
{
	char path[256], conf[512];
	struct nt_outcome o;
	(void)state;

	/* The grandchild (sleep) holds stdout open: it must be killed too. */
	script("hang.sh", "#!/bin/sh\nsleep 300\n", path, sizeof path);
	snprintf(conf, sizeof conf, "[notify oncall]\ntype = exec\ncommand = %s\ntimeout = 1s\n",
		 path);
	nt_start(dir, &loop, conf);
	run_one("oncall", &o);
	assert_int_equal(o.result, NOTIFY_RETRY);
	assert_non_null(strstr(o.why, "timed out"));
}

static void test_missing_program_is_retry(void **state)
{
	char conf[512];
	struct nt_outcome o;
	(void)state;

	snprintf(conf, sizeof conf, "[notify oncall]\ntype = exec\ncommand = %s/absent\n", dir);
	nt_start(dir, &loop, conf);
	run_one("oncall", &o);
	assert_int_equal(o.result, NOTIFY_RETRY);
	assert_non_null(strstr(o.why, "cannot run"));
}

static void test_at_most_four_at_once(void **state)
{
	char path[256], conf[512];
	struct nt_outcome o[10] = { 0 };
	const char *log;
	int now = 0, most = 0, ok = 0;
	(void)state;

	/* Each run notes its start and end; overlapping runs show in between. */
	script("slow-ok.sh", "#!/bin/sh\necho start >> \"$1/runs\"\nsleep 0.2\n"
			     "echo end >> \"$1/runs\"\n",
	       path, sizeof path);
	snprintf(conf, sizeof conf, "[notify oncall]\ntype = exec\ncommand = %s %s\n", path, dir);
	nt_start(dir, &loop, conf);
	for (int i = 0; i < 10; i++)
		assert_int_equal(notify_send("oncall", &msg, nt_on_done, &o[i]), 0);
	for (int i = 0; i < 10; i++)
		while (!o[i].calls)
			uv_run(&loop, UV_RUN_ONCE);
	for (int i = 0; i < 10; i++)
		ok += o[i].calls == 1 && o[i].result == NOTIFY_OK;
	assert_int_equal(ok, 10);
	log = nt_slurp(dir, "runs");
	for (const char *p = log; *p; p = strchr(p, '\n') + 1) {
		now += !strncmp(p, "start", 5) ? 1 : -1;
		most = now > most ? now : most;
	}
	assert_int_equal(now, 0);
	assert_true(most >= 1 && most <= 4);
}

static void test_stop_reports_waiting(void **state)
{
	char path[256], conf[512];
	struct nt_outcome o[6] = { 0 };
	(void)state;

	script("slow.sh", "#!/bin/sh\nsleep 300\n", path, sizeof path);
	snprintf(conf, sizeof conf, "[notify oncall]\ntype = exec\ncommand = %s\n", path);
	nt_start(dir, &loop, conf);
	for (int i = 0; i < 6; i++) /* four run, two wait */
		assert_int_equal(notify_send("oncall", &msg, nt_on_done, &o[i]), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	notify_stop();
	for (int i = 0; i < 6; i++) {
		assert_int_equal(o[i].calls, 1);
		assert_int_equal(o[i].result, NOTIFY_RETRY);
		assert_string_equal(o[i].why, "notifier stopped");
	}
}

static void test_stop_reports_pending(void **state)
{
	char path[256], conf[512];
	struct nt_outcome o = { 0 };
	(void)state;

	script("slow.sh", "#!/bin/sh\nsleep 300\n", path, sizeof path);
	snprintf(conf, sizeof conf, "[notify oncall]\ntype = exec\ncommand = %s\n", path);
	nt_start(dir, &loop, conf);
	assert_int_equal(notify_send("oncall", &msg, nt_on_done, &o), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	notify_stop();
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.result, NOTIFY_RETRY);
	assert_string_equal(o.why, "notifier stopped");
	uv_run(&loop, UV_RUN_DEFAULT); /* the killed child is reaped, handles closed */
	assert_int_equal(o.calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delivers_json_and_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_is_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills_the_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_program_is_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_reports_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_at_most_four_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_reports_waiting, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
