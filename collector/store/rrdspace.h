/*
 * rrdspace.h - room on the disk for a new RRD file, checked before librrd
 * tries.
 *
 * An RRD file is preallocated at creation (megabytes at a short step) and
 * never grows afterwards, so creating one is the only moment the RRD writer
 * takes space.  librrd does not say why a creation failed when the disk is
 * full (it clobbers errno: the log read "unknown error" or "cannot create
 * '...': ;"), and a failed creation fills the disk while it writes the file
 * and frees it again, which starves every other writer on that file system
 * each time it is tried.  So the writer asks statvfs(2) first, refuses with
 * "No space left on device" and the path when the file would not fit, and
 * also when it would leave less than keep bytes free: RRD growth stops
 * before the ledger (alerts, the outbox) runs out of room.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDSPACE_H
#define SHRINKWATCH_COLLECTOR_RRDSPACE_H

#include <stddef.h>
#include <stdint.h>

/* What a new RRD file leaves free at least (docs/operations.md, "A full
 * data directory"): room for the ledger to record alerts for a long time. */
#define RRDSPACE_KEEP_FREE (16ull * 1024 * 1024)

/* Bytes a file created with this layout takes on disk (argv as
 * rrd_create_r2() takes it: "DS:..." and "RRA:CF:xff:steps:rows"), an upper
 * bound: every row of every archive plus librrd's headers. */
uint64_t rrdspace_needed(const char *const *argv, int argc);

/*
 * Whether a file of need bytes fits at path, leaving keep bytes free for
 * others (the ledger).  0 if it does (or if the file system cannot say);
 * -ENOSPC with why set to "cannot create 'PATH': No space left on device (it
 * needs ... and ... must stay free for the ledger; ... free)" if not.
 */
int rrdspace_check(const char *path, uint64_t need, uint64_t keep, char *why, size_t whylen);

/* Bytes free for an unprivileged writer on path's file system (the
 * directory of path), or -1 if statvfs(2) fails. */
int64_t rrdspace_free(const char *path);

#endif
