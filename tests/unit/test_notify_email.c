/*
 * test_notify_email.c - the email notifier runs a stand-in sendmail (a script
 * in a temporary directory that records its arguments and stdin) on a real
 * loop: the headers, the subject, the body, no header injection, a failing
 * MTA is RETRY, and config errors.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "collector/config.h"
#include "collector/notify.h"
#include "collector/notify_email.h"
#include "testutil.h"

static char dir[64];
static uv_loop_t loop;
static char sendmail[256];

struct outcome {
	int calls;
	enum notify_result result;
	char why[512];
};

static void on_done(void *ctx, enum notify_result result, const char *why)
{
	struct outcome *o = ctx;

	o->calls++;
	o->result = result;
	snprintf(o->why, sizeof o->why, "%s", why);
}

static int setup(void **state)
{
	char text[512];
	(void)state;

	signal(SIGPIPE, SIG_IGN);
	tu_mkdtemp(dir, sizeof dir);
	snprintf(text, sizeof text,
		 "#!/bin/sh\n"
		 "echo \"$@\" > %s/args\n"
		 "cat > %s/mail\n"
		 "[ -e %s/mta-down ] && { echo 'mta: queue full' >&2; exit 75; }\n"
		 "exit 0\n",
		 dir, dir, dir);
	tu_write(dir, "sendmail", text, sendmail, sizeof sendmail);
	chmod(sendmail, 0755);
	return uv_loop_init(&loop);
}

static int teardown(void **state)
{
	(void)state;
	notify_stop();
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop))
		return -1;
	tu_rmrf(dir);
	return 0;
}

static int load(const char *text, uv_loop_t *l, char *err, size_t errlen)
{
	struct collector_config_hook hook = { notify_config_key, NULL };
	struct collector_config cfg;
	char path[256];

	tu_write(dir, "collector.conf", text, path, sizeof path);
	notify_config_reset();
	if (collector_config_load(path, &cfg, &hook, 1, err, errlen))
		return -1;
	return notify_start(l, err, errlen);
}

static char *slurp(const char *name)
{
	static char text[65536];
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("'%s' was not written", path);
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static void attempt(const struct notify_message *m, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	assert_int_equal(notify_send("mail", m, on_done, o), 0);
	while (o->calls == 0)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(o->calls, 1);
}

static struct notify_message message(void)
{
	struct notify_message m = {
		.alert_id = 31,
		.agent = "evsrv01",
		.store = "bodycam",
		.kind = "drop",
		.severity = NOTIFY_CRITICAL,
		.state = "firing",
		.since = 1700000000,
		.time = 1700000300,
		.lost_bytes = 37200000000.0,
		.lost_objects = 4711,
		.summary = "evsrv01/bodycam: 37.2 GB and 4711 objects gone without explanation",
		.dashboard_url = "http://mon.example.org/alert/31",
		.json = "{}",
	};
	return m;
}

/* The header block (up to the blank line), for checks that must not match
 * the body. */
static void headers_of(const char *mail, char *out, size_t outlen)
{
	const char *end = strstr(mail, "\n\n");

	assert_non_null(end);
	snprintf(out, outlen, "%.*s\n", (int)(end - mail), mail);
}

static void test_mail_sent(void **state)
{
	char conf[1024], err[1024] = "", headers[8192];
	struct notify_message m = message();
	struct outcome o;
	const char *mail;
	(void)state;

	snprintf(conf, sizeof conf,
		 "[notify mail]\ntype = email\nsendmail = %s\n"
		 "to = oncall@example.org, team@example.org\nto = chief@example.org\n"
		 "from = shrinkwatch@mon.example.org\n",
		 sendmail);
	assert_int_equal(load(conf, &loop, err, sizeof err), 0);
	attempt(&m, &o);
	assert_int_equal(o.result, NOTIFY_OK);
	assert_string_equal(slurp("args"), "-t -oi\n");
	mail = slurp("mail");
	headers_of(mail, headers, sizeof headers);
	assert_non_null(strstr(headers, "From: shrinkwatch@mon.example.org\n"));
	assert_non_null(
		strstr(headers, "To: oncall@example.org, team@example.org, chief@example.org\n"));
	assert_non_null(strstr(headers,
			       "Subject: [shrinkwatch] CRITICAL drop on evsrv01/bodycam: 37.2 GB "
			       "lost\n"));
	assert_non_null(strstr(headers, "\nDate: "));
	assert_non_null(strstr(headers, "\nMessage-ID: <shrinkwatch.31.firing.1700000300."));
	assert_non_null(strstr(headers, "Content-Type: text/plain; charset=utf-8\n"));
	assert_non_null(strstr(mail, "\n\nevsrv01/bodycam: 37.2 GB and 4711 objects gone"));
	assert_non_null(strstr(mail, "Dashboard:     http://mon.example.org/alert/31\n"));
	assert_non_null(strstr(mail, "shrinkwatchctl ack 31 --comment TEXT"));
	assert_null(strchr(mail, '\r'));

	/* Resolved: the state leads the subject; no instructions to act. */
	m.state = "resolved";
	attempt(&m, &o);
	assert_int_equal(o.result, NOTIFY_OK);
	mail = slurp("mail");
	assert_non_null(strstr(mail, "Subject: [shrinkwatch] resolved: CRITICAL drop on "
				     "evsrv01/bodycam: 37.2 GB lost\n"));
	assert_null(strstr(mail, "shrinkwatchctl ack"));
}

static void test_no_header_injection(void **state)
{
	char headers[8192];
	struct notify_message m = message();
	char *to[] = { "oncall@example.org" };
	struct buf b;
	(void)state;

	m.store = "bodycam\r\nBcc: thief@example.org";
	m.kind = "drop\nX-Evil: 1";
	m.summary = "line one\r\nBcc: also-not-a-header@example.org";
	buf_init(&b, 1 << 16);
	assert_int_equal(notify_email_build(&m, "a@b", to, 1, 1700000000, "mon", &b), 0);
	buf_put_u8(&b, 0);
	headers_of((char *)b.data, headers, sizeof headers);
	assert_null(strstr(headers, "\nBcc:"));
	assert_null(strstr(headers, "\nX-Evil:"));
	assert_non_null(strstr(headers, "Subject: [shrinkwatch] CRITICAL drop X-Evil: 1 on "
					"evsrv01/bodycam  Bcc: thief@example.org: 37.2 GB lost\n"));
	assert_null(strchr((char *)b.data, '\r'));
	assert_non_null(strstr((char *)b.data, "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"));
	buf_release(&b);
}

static void test_mta_failure_is_retry(void **state)
{
	char conf[1024], err[1024] = "", path[256];
	struct notify_message m = message();
	struct outcome o;
	(void)state;

	tu_write(dir, "mta-down", "", path, sizeof path);
	snprintf(conf, sizeof conf, "[notify mail]\ntype = email\nsendmail = %s\nto = a@b.org\n",
		 sendmail);
	assert_int_equal(load(conf, &loop, err, sizeof err), 0);
	attempt(&m, &o);
	assert_int_equal(o.result, NOTIFY_RETRY);
	assert_non_null(strstr(o.why, "exit status 75"));
	assert_non_null(strstr(o.why, "mta: queue full"));
}

static void test_config_errors(void **state)
{
	char conf[1024], err[1024] = "";
	(void)state;

	assert_int_equal(load("[notify mail]\ntype = email\n", NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "to: missing"));
	assert_int_equal(load("[notify mail]\ntype = email\nto = \"x\"@y\n", NULL, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "not a plain mail address"));
	assert_int_equal(load("[notify mail]\ntype = email\nto = nobody\n", NULL, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "not a plain mail address"));
	snprintf(conf, sizeof conf, "[notify mail]\ntype = email\nto = a@b\nsendmail = %s/none\n",
		 dir);
	assert_int_equal(load(conf, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "not an executable file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mail_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_header_injection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mta_failure_is_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
