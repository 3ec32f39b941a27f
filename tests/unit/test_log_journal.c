/*
 * test_log_journal.c - where log lines go (lib/log.c): to the journal, with
 * PRIORITY=, SYSLOG_IDENTIFIER= and SHRINKWATCH_MODULE= fields, when stderr
 * is the stream systemd connected to the journal (JOURNAL_STREAM); to stderr
 * with a timestamp and the level otherwise.
 *
 * sd_journal_send() always writes to /run/systemd/journal/socket, so the
 * journal case runs in a child process with a private mount namespace and a
 * tmpfs on /run, where the test binds that socket itself and reads the
 * datagram journald would get.  That needs root (CAP_SYS_ADMIN); without it
 * the journal tests are skipped, the stderr tests still run.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_journal.h"
#include "shrinkwatch/log.h"

enum { CHILD_OK = 0, CHILD_SKIP = FAKE_JOURNAL_SKIP };

/* Makes JOURNAL_STREAM name stderr, as systemd does for StandardError=journal. */
static void stderr_is_journal_stream(void)
{
	struct stat st;
	char v[64];

	fstat(STDERR_FILENO, &st);
	snprintf(v, sizeof v, "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
}

/*
 * Runs in the child: logs through log.c with stderr marked as the journal
 * stream and checks the datagram.  Exit status: 0 pass, 77 skip, else the
 * number of the check that failed.
 */
static int journal_child(void)
{
	char msg[4096];
	ssize_t n;
	int fd = fake_journal(1);

	if (fd < 0)
		return CHILD_SKIP;
	stderr_is_journal_stream();
	log_init("test-daemon", LOG_INFO);
	log_warn("scan: cannot open '%s': %s", "/srv/evidence/bwv", "Permission denied");
	n = recv(fd, msg, sizeof msg, MSG_DONTWAIT);
	if (n <= 0)
		return 1;
	if (!fake_journal_has(msg, (size_t)n,
		       "MESSAGE=scan: cannot open '/srv/evidence/bwv': Permission denied"))
		return 2;
	if (!fake_journal_has(msg, (size_t)n, "PRIORITY=4"))
		return 3;
	if (!fake_journal_has(msg, (size_t)n, "SYSLOG_IDENTIFIER=test-daemon"))
		return 4;
	if (!fake_journal_has(msg, (size_t)n, "SHRINKWATCH_MODULE=scan"))
		return 5;

	/* a line without "module:" is filed under main; debug is filtered */
	log_debug("debug: not logged at LOG_INFO");
	log_info("starting up");
	n = recv(fd, msg, sizeof msg, MSG_DONTWAIT);
	if (n <= 0 || !fake_journal_has(msg, (size_t)n, "MESSAGE=starting up"))
		return 6;
	if (!fake_journal_has(msg, (size_t)n, "SHRINKWATCH_MODULE=main") ||
	    !fake_journal_has(msg, (size_t)n, "PRIORITY=6"))
		return 7;
	if (recv(fd, msg, sizeof msg, MSG_DONTWAIT) >= 0)
		return 8;
	return CHILD_OK;
}

static void test_journal_fields_under_systemd(void **state)
{
	(void)state;
	fake_journal_run(journal_child);
}

/* Runs fn with stderr sent to a temporary file; returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
	static char out[4096];
	char path[] = "/tmp/test_log_journal.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, out, sizeof out - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static void log_without_journal(void)
{
	unsetenv("JOURNAL_STREAM");
	log_init("test-daemon", LOG_INFO);
	log_err("ship: cannot connect to '%s': %s", "127.0.0.1:7405", "Connection refused");
	log_debug("debug: filtered");
}

static void test_stderr_when_not_under_systemd(void **state)
{
	char want[128];

	(void)state;
	const char *out = capture_stderr(log_without_journal);
	snprintf(want, sizeof want, " test-daemon[%d] error: ship: cannot connect to "
		 "'127.0.0.1:7405': Connection refused\n", (int)getpid());
	assert_non_null(strstr(out, want));
	/* 2026-11-23T00:37:56.094Z: a UTC timestamp with milliseconds first */
	assert_true(strlen(out) > 24 && out[4] == '-' && out[10] == 'T' && out[23] == 'Z');
	assert_null(strstr(out, "filtered"));
}

/* A JOURNAL_STREAM inherited from elsewhere (stderr redirected to a file)
 * does not name our stderr: the lines stay on stderr. */
static void log_with_stale_journal_stream(void)
{
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init("test-daemon", LOG_INFO);
	log_warn("agent: still on stderr");
}

static void test_stale_journal_stream_keeps_stderr(void **state)
{
	(void)state;
	assert_non_null(strstr(capture_stderr(log_with_stale_journal_stream),
			       "warning: agent: still on stderr"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_fields_under_systemd),
		cmocka_unit_test(test_stderr_when_not_under_systemd),
		cmocka_unit_test(test_stale_journal_stream_keeps_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
