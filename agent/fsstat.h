/*
 * fsstat.h - what the filesystem under a store says about itself.
 *
 * The used bytes and inodes of the whole filesystem are a cross-check on the
 * walk (a deletion shows in both), and the mount identity tells the
 * collector when the directory it watches is suddenly a different
 * filesystem (an unmounted share leaves an empty mount point behind).
 */
#ifndef SHRINKWATCH_AGENT_FSSTAT_H
#define SHRINKWATCH_AGENT_FSSTAT_H

#include "shrinkwatch/sample.h"

/* Fills out->fs_used, fs_size, fs_inodes (fstatfs) and mount_id (st_dev)
 * from an open directory fd.  Returns 0 or a negative errno. */
int fsstat_fill(int fd, struct sw_sample *out);

#endif
