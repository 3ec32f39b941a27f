/*
 * datalock.c - one collector per data directory (see datalock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "datalock.h"
#include "shrinkwatch/banned.h"

/* The pid written in the lock file, 0 if it holds none. */
static pid_t read_holder(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	long v;
	char *end;

	if (n <= 0)
		return 0;
	text[n] = '\0';
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || v <= 0 || v > INT_MAX)
		return 0;
	return (pid_t)v;
}

int datalock_take(struct datalock *l, const char *data_dir, pid_t *holder)
{
	char path[PATH_MAX], text[32];
	int fd, err = 0, len;

	l->fd = -1;
	if (holder)
		*holder = 0;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", data_dir, DATALOCK_NAME) >= sizeof path)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		if (holder && err == -EWOULDBLOCK)
			*holder = read_holder(fd);
		goto out;
	}
	len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
	/* a full disk leaves the file without the pid: the lock holds all the same */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)len, 0) != len && ftruncate(fd, 0))
		errno = 0;
	l->fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return err;
}

void datalock_release(struct datalock *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
