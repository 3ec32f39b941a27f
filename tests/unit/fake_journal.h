/*
 * fake_journal.h - a stand-in for journald in unit tests (header-only).
 *
 * sd_journal_send() always writes to /run/systemd/journal/socket, so a test
 * that wants to see what reaches the journal runs in a child process with a
 * private mount namespace and a tmpfs on /run, binds that socket itself and
 * reads the datagram journald would get.  That needs root (CAP_SYS_ADMIN);
 * callers skip when fake_journal() fails.  Include it after <cmocka.h>.
 */
#ifndef SHRINKWATCH_FAKE_JOURNAL_H
#define SHRINKWATCH_FAKE_JOURNAL_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_JOURNAL_SOCKET "/run/systemd/journal/socket"

/*
 * In a child: a private, empty /run; with bind_socket, journald's socket in
 * it.  Returns the bound datagram socket (or 0 without bind_socket), or a
 * negative errno.
 */
static inline int fake_journal(int bind_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0)
		return -errno;
	if (!bind_socket)
		return 0;
	if (mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/journal", 0755) < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", FAKE_JOURNAL_SOCKET);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -errno;
	return fd;
}

/* Whether the journal datagram msg (n bytes, one FIELD=value per line)
 * holds exactly the line FIELD=value. */
static inline int fake_journal_has(const char *msg, size_t n, const char *field)
{
	size_t len = strlen(field);
	const char *p = msg, *end = msg + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l == len && memcmp(p, field, len) == 0)
			return 1;
		p += l + 1;
	}
	return 0;
}

/* Exit status of a child that could not set up its fake journal. */
#define FAKE_JOURNAL_SKIP 77

/*
 * Runs child() in a forked process (it sets up its fake journal, checks, and
 * returns 0 on success, FAKE_JOURNAL_SKIP to skip, else the number of the
 * check that failed) and turns its exit status into the test's verdict.
 */
static inline void fake_journal_run(int (*child)(void))
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == FAKE_JOURNAL_SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

#endif
