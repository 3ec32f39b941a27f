/* testutil.h - small helpers shared by the unit tests (header-only). */
#ifndef SHRINKWATCH_TESTUTIL_H
#define SHRINKWATCH_TESTUTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shrinkwatch/log.h"

/* Makes a temporary directory; path gets its name (at least 64 bytes). */
static inline void tu_mkdtemp(char *path, size_t len)
{
	snprintf(path, len, "/tmp/swtest.XXXXXX");
	if (!mkdtemp(path))
		abort();
}

/* Writes text to dir/name and puts the full path in out. */
static inline void tu_write(const char *dir, const char *name, const char *text, char *out,
			    size_t outlen)
{
	FILE *f;

	snprintf(out, outlen, "%s/%s", dir, name);
	f = fopen(out, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* rm -rf dir (tests only ever pass their own mkdtemp directory). */
static inline void tu_rmrf(const char *dir)
{
	char cmd[512];

	if (strncmp(dir, "/tmp/swtest.", 12) != 0)
		abort();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

/* The common fixture: a fresh temporary directory, tu_dir, removed after.
 * Usable as a group or a per-test setup/teardown pair. */
static char tu_dir[128] __attribute__((unused));

static inline int tu_setup_dir(void **state)
{
	(void)state;
	tu_mkdtemp(tu_dir, sizeof tu_dir);
	return 0;
}

static inline int tu_teardown_dir(void **state)
{
	(void)state;
	tu_rmrf(tu_dir);
	return 0;
}

/* What the log said at LOG_INFO and above while fn(arg) ran, into out
 * (NUL-terminated, cut at len - 1): stderr goes to tu_dir/log meanwhile,
 * so the test sees the lines an operator would.  Call log_force_stderr(true)
 * first. */
static inline void tu_logged(void (*fn)(void *), void *arg, char *out, size_t len)
{
	char file[300];
	int fd, saved, level = log_get_level();
	ssize_t got;

	snprintf(file, sizeof file, "%s/log", tu_dir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (saved < 0 || fd < 0)
		abort();
	dup2(fd, STDERR_FILENO);
	log_set_level(LOG_INFO);
	fn(arg);
	log_set_level(level);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	got = pread(fd, out, len - 1, 0);
	close(fd);
	out[got > 0 ? got : 0] = '\0';
}

#endif
