/*
 * scan_tree.h - temporary trees for the walker's tests (test_scan.c,
 * test_scan_incremental.c), and the expected totals computed independently
 * of the walker, by find(1) with hard links counted once.
 */
#ifndef SHRINKWATCH_TESTS_SCAN_TREE_H
#define SHRINKWATCH_TESTS_SCAN_TREE_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Whether nobody (the user the privilege tests drop to) can search every
 * directory from / down to dir.  Not so under libpam-tmpdir, whose TMPDIR is
 * /tmp/user/0 (mode 0700): a tree there cannot be reached once a test has
 * dropped to nobody, and the test would fail for a reason that is not its own.
 */
static inline int tree__nobody_reaches(const char *dir)
{
	const struct passwd *pw = getpwnam("nobody");
	char p[4096];
	size_t n = strlen(dir);

	if (!pw || n == 0 || n >= sizeof(p) || dir[0] != '/')
		return 0;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		struct stat st;
		char c = p[i];

		if (c != '/' && c != '\0')
			continue;
		p[i] = '\0';
		if (stat(p, &st) < 0)
			return 0;
		p[i] = c;
		if (st.st_uid == pw->pw_uid ? !(st.st_mode & S_IXUSR)
		    : st.st_gid == pw->pw_gid ? !(st.st_mode & S_IXGRP)
					      : !(st.st_mode & S_IXOTH))
			return 0;
	}
	return 1;
}

/* Makes a fresh directory under TMPDIR (or /tmp) into buf: under /tmp, with a
 * note on stderr, when nobody cannot reach TMPDIR (tree__nobody_reaches()), so
 * the tests that drop to nobody test the walker, not TMPDIR's parents. */
static inline int tree_make_root(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !tmp[0])
		tmp = "/tmp";
	if (strcmp(tmp, "/tmp") && !tree__nobody_reaches(tmp)) {
		fprintf(stderr, "note: TMPDIR '%s' cannot be searched by 'nobody' (a parent "
				"is not world-searchable, e.g. libpam-tmpdir's /tmp/user/0); test "
				"trees go under /tmp\n", tmp);
		tmp = "/tmp";
	}
	snprintf(buf, len, "%s/swscan.XXXXXX", tmp);
	if (!mkdtemp(buf))
		return -errno;
	chmod(buf, 0755);
	return 0;
}

static inline int tree__rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D || flag == FTW_DNR)
		return rmdir(p) < 0 ? 0 : 0;
	unlink(p);
	return 0;
}

/* Removes a test tree, whatever its permissions. */
static inline void tree_remove(const char *root)
{
	nftw(root, tree__rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p root/rel. */
static inline int tree_mkdir(const char *root, const char *rel)
{
	char p[10240];
	size_t i, n = (size_t)snprintf(p, sizeof(p), "%s/%s", root, rel);

	for (i = strlen(root) + 1; i <= n; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			char c = p[i];

			p[i] = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -errno;
			p[i] = c;
		}
	}
	return 0;
}

/* Creates (or replaces) root/rel with size bytes: written when small,
 * sparse when large (the walker reads sizes, not blocks). */
static inline int tree_file(const char *root, const char *rel, uint64_t size)
{
	char p[10240], chunk[512];
	int fd, ret = 0;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	memset(chunk, 'x', sizeof(chunk));
	if (size <= sizeof(chunk)) {
		if (write(fd, chunk, size) != (ssize_t)size)
			ret = -EIO;
	} else if (ftruncate(fd, (off_t)size) < 0) {
		ret = -errno;
	}
	close(fd);
	return ret;
}

static inline int tree__cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* What `find root -xdev -type f` lists, each inode once: the number of
 * files and the sum of their sizes. */
static inline int tree_expect(const char *root, uint64_t *objects, uint64_t *bytes)
{
	char cmd[10240];
	uint64_t(*rows)[2] = NULL, ino, size;
	size_t n = 0, cap = 0, i;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "find '%s' -xdev -type f -printf '%%i %%s\\n'", root);
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%lu %lu", &ino, &size) == 2) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			rows = realloc(rows, cap * sizeof(*rows));
			if (!rows) {
				pclose(f);
				return -ENOMEM;
			}
		}
		rows[n][0] = ino;
		rows[n][1] = size;
		n++;
	}
	if (pclose(f) != 0) {
		free(rows);
		return -EIO;
	}
	qsort(rows, n, sizeof(*rows), tree__cmp_u64);
	*objects = *bytes = 0;
	for (i = 0; i < n; i++) {
		if (i > 0 && rows[i][0] == rows[i - 1][0])
			continue;
		(*objects)++;
		*bytes += rows[i][1];
	}
	free(rows);
	return 0;
}

/* The statx birth time of root/rel, or -1 when the filesystem has none. */
static inline int tree_btime(const char *root, const char *rel, struct timespec *out)
{
	char p[10240];
	struct statx sx;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) < 0)
		return -errno;
	if (!(sx.stx_mask & STATX_BTIME))
		return -1;
	out->tv_sec = sx.stx_btime.tv_sec;
	out->tv_nsec = sx.stx_btime.tv_nsec;
	return 0;
}

/* Now: a scan start after everything created so far.  Birth times come
 * from the coarse clock, as the agent's scan start does, and a file born in
 * the start's own tick counts as born after it; so wait for the next tick:
 * every file made before the call is then strictly older.  Since Linux 6.13
 * (multigrain timestamps) the kernel may stamp a file later than the coarse
 * clock reads, up to a tick: also wait until the coarse clock has passed the
 * stamp of a file made now (a probe in TMPDIR; the stamps' floor is one for
 * every filesystem).  The agent needs no such wait: a file stamped after its
 * start is the next scan's addition (scan.h), never lost; but these tests
 * count against find(1). */
static inline struct timespec tree_now(void)
{
	struct timespec t0, t, stamp = { 0, 0 };
	const char *dir = getenv("TMPDIR");
	char probe[4096];
	struct stat st;
	int fd;

	snprintf(probe, sizeof probe, "%s/tree_now.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(probe);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0)
			stamp = st.st_mtim;
		close(fd);
		unlink(probe);
	}
	clock_gettime(CLOCK_REALTIME_COARSE, &t0);
	do
		clock_gettime(CLOCK_REALTIME_COARSE, &t);
	while ((t.tv_sec == t0.tv_sec && t.tv_nsec == t0.tv_nsec) || t.tv_sec < stamp.tv_sec ||
	       (t.tv_sec == stamp.tv_sec && t.tv_nsec <= stamp.tv_nsec));
	return t;
}

/* In a forked child: becomes nobody for good (tests run as root, which
 * reads through any permission).  0 or a negative errno. */
static inline int tree_become_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");

	if (!pw)
		return -ENOENT;
	if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return -errno;
	return 0;
}

#endif
