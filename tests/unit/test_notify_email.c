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

#include "collector/notify/email.h"
#include "notify_testutil.h"

static char dir[64];
static uv_loop_t loop;
static char sendmail[256];

static int setup(void **state)
{
	char text[512];
	int e;
	(void)state;

	e = nt_begin(dir, &loop);
	snprintf(text, sizeof text,
		 "#!/bin/sh\n"
		 "echo \"$@\" > %s/args\n"
		 "cat > %s/mail\n"
		 "[ -e %s/mta-down ] && { echo 'mta: queue full' >&2; exit 75; }\n"
		 "exit 0\n",
		 dir, dir, dir);
	tu_write(dir, "sendmail", text, sendmail, sizeof sendmail);
	chmod(sendmail, 0755);
	return e;
}

static int teardown(void **state)
{
	(void)state;
	return nt_end(dir, &loop);
}

static int load(const char *text, uv_loop_t *l, char *err, size_t errlen)
{
	return nt_load(dir, text, l, err, errlen);
}

static void attempt(const struct notify_message *m, struct nt_outcome *o)
{
	assert_int_equal(nt_attempt(&loop, "mail", m, o), 0);
}

static struct notify_message message(void)
{
	struct notify_message m = nt_message(31);

	m.lost_objects = 4711;
	m.summary = "evsrv01/bodycam: 37.2 GB and 4711 objects gone without explanation";
	m.dashboard_url = "http://mon.example.org/alert/31";
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
	struct nt_outcome o;
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
	assert_string_equal(nt_slurp(dir, "args"), "-t -oi\n");
	mail = nt_slurp(dir, "mail");
	headers_of(mail, headers, sizeof headers);
	assert_non_null(strstr(headers, "From: shrinkwatch@mon.example.org\n"));
	assert_non_null(
		strstr(headers, "To: oncall@example.org, team@example.org, chief@example.org\n"));
	assert_non_null(strstr(headers,
			       "Subject: [shrinkwatch] CRITICAL drop on evsrv01/bodycam: 34.6 GiB "
			       "lost\n"));
	assert_non_null(strstr(headers, "\nDate: "));
	assert_non_null(strstr(headers, "\nMessage-ID: <shrinkwatch.31.firing.1700000300."));
	assert_non_null(strstr(headers, "Content-Type: text/plain; charset=utf-8\n"));
	assert_non_null(strstr(mail, "\n\nevsrv01/bodycam: 37.2 GB and 4711 objects gone"));
	assert_non_null(strstr(mail, "Dashboard:     http://mon.example.org/alert/31\n"));
	assert_non_null(strstr(mail, "shrinkwatchctl ack 31 --comment TEXT"));
	assert_null(strchr(mail, '\r'));

	/* Resolved: the state leads the subject; no instructions to act. */
	m.state = ALERT_RESOLVED;
	attempt(&m, &o);
	assert_int_equal(o.result, NOTIFY_OK);
	mail = nt_slurp(dir, "mail");
	assert_non_null(strstr(mail, "Subject: [shrinkwatch] resolved: CRITICAL drop on "
				     "evsrv01/bodycam: 34.6 GiB lost\n"));
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
					"evsrv01/bodycam  Bcc: thief@example.org: 34.6 GiB lost\n"));
	assert_null(strchr((char *)b.data, '\r'));
	assert_non_null(strstr((char *)b.data, "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"));
	buf_release(&b);
}

static void test_mta_failure_is_retry(void **state)
{
	char conf[1024], err[1024] = "", path[256];
	struct notify_message m = message();
	struct nt_outcome o;
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
