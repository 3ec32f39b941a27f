/* reserve.c - disk space held back for the ledger (see reserve.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "reserve.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

/* Creates the file at its full size with allocated blocks (posix_fallocate:
 * a sparse file would reserve nothing).  0 or a negative errno; nothing is
 * left behind on failure. */
static int make_file(struct ledger_reserve *r)
{
	int fd, err;

	fd = open(r->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	err = -posix_fallocate(fd, 0, (off_t)r->bytes);
	close(fd);
	if (err)
		unlink(r->path);
	return err;
}

/* Whether the file system has room for the reserve and as much again: it is
 * never made out of the last free blocks (a start on a full disk would take
 * back what a release gave the ledger). */
static bool room_for(const struct ledger_reserve *r)
{
	struct statvfs sv;
	char dir[4200];
	char *slash;

	snprintf(dir, sizeof dir, "%s", r->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return statvfs(slash ? dir : ".", &sv) == 0 &&
	       (uint64_t)sv.f_bavail * (sv.f_frsize ? sv.f_frsize : sv.f_bsize) >= 2 * r->bytes;
}

/* Whether the reserve is there from a previous run, whole. */
static bool there(const struct ledger_reserve *r)
{
	struct stat sb;

	return lstat(r->path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	       (uint64_t)sb.st_size == r->bytes && (uint64_t)sb.st_blocks * 512 >= r->bytes;
}

int ledger_reserve_init(struct ledger_reserve *r, const char *data_dir, uint64_t bytes)
{
	int err = -ENOSPC;

	memset(r, 0, sizeof *r);
	r->bytes = bytes ? bytes : LEDGER_RESERVE_BYTES;
	if ((size_t)snprintf(r->path, sizeof r->path, "%s/%s", data_dir, LEDGER_RESERVE_NAME) >=
	    sizeof r->path)
		return -ENAMETOOLONG;
	if (there(r) || (room_for(r) && !(err = make_file(r)))) {
		r->held = true;
		return 0;
	}
	log_warn("ledger: cannot make the reserve '%s' (%llu bytes): %s; it is made when "
		 "there is room", r->path, (unsigned long long)r->bytes, strerror(-err));
	return 0;
}

int ledger_reserve_release(struct ledger_reserve *r)
{
	if (!r || !r->held)
		return 0;
	if (unlink(r->path) && errno != ENOENT) {
		log_err("ledger: cannot release the reserve '%s': %s", r->path, strerror(errno));
		return 0;
	}
	r->held = false;
	r->released++;
	log_warn("ledger: the disk is full: released the %llu-byte reserve '%s' so that alerts "
		 "can still be recorded; free space on that file system (docs/operations.md, "
		 "\"A full data directory\")", (unsigned long long)r->bytes, r->path);
	return 1;
}

int ledger_reserve_refill(struct ledger_reserve *r)
{
	if (!r || r->held || !r->path[0] || !room_for(r) || make_file(r))
		return 0;
	r->held = true;
	log_info("ledger: space is back: the reserve '%s' is made again", r->path);
	return 1;
}
