/*
 * scan_cache.h - what a store looked like at earlier scans, so that the next
 * scan can skip the directories that did not change.
 *
 * Creating, deleting or renaming an entry moves its directory's mtime and
 * ctime, so a directory whose times (and inode) are those the cache recorded
 * when it last read it still holds the same names, and the cache's per-
 * directory totals stand in for reading it again.  Three things would make
 * that wrong, and the cache handles each by reading the directory again:
 *   - timestamp granularity: a change in the same clock tick as the read
 *     leaves the times equal, so a directory whose times were within
 *     SCAN_CACHE_SLACK_S of the moment it was read is read again next time;
 *   - files written in place do not touch their directory: a directory
 *     holding a file modified within hot_s seconds of the read (a video still
 *     being uploaded) is read again next time, which re-stats its files;
 *   - hard links (the set of counted inodes is per scan) and directories that
 *     could not be read completely.
 * A file that shrinks in place long after it was written (truncate of an old
 * file) moves no directory and is not re-stat'ed: the full scan that runs
 * every full_interval_s seconds reconciles it.  Without birth times, or when
 * the caller's prev_start is not the start of the cache's last scan, the
 * next scan is a full one.
 *
 * Memory: one node per directory (about 100 bytes plus the name), none per
 * file.
 */
#ifndef SHRINKWATCH_AGENT_SCAN_CACHE_H
#define SHRINKWATCH_AGENT_SCAN_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/stat.h>
#include <time.h>

/* Seconds of timestamp granularity allowed for (2 s: FAT's; ext4 and xfs
 * are finer, but a coarse kernel clock lags by a tick). */
#define SCAN_CACHE_SLACK_S 2

enum {
	SCAN_NODE_VALID = 1u << 0,    /* totals are those of a complete read */
	SCAN_NODE_VOLATILE = 1u << 1, /* read it again at the next scan */
};

struct scan_node {
	struct scan_node *children; /* first subdirectory */
	struct scan_node *next;     /* next sibling */
	uint64_t ino;
	struct statx_timestamp mtime, ctime; /* the directory's, before the read */
	struct timespec read_start;          /* start of the scan that read it */
	uint64_t objects, bytes;             /* its regular files, any birth */
	uint64_t late_objects, late_bytes;   /* those born at/after read_start */
	uint64_t gen;                        /* last read of its parent that saw it */
	uint32_t flags;
	uint32_t nchildren;
	size_t namelen;
	char name[]; /* NUL-terminated */
};

struct scan_cache {
	struct scan_node *root;
	uint64_t root_dev;
	uint64_t gen;
	struct timespec last_start; /* start of the last scan; {0,0}: none */
	struct timespec last_full;  /* start of the last full scan */
	int btime_ok;               /* the last scan had birth times throughout */
	unsigned full_interval_s;
	unsigned hot_s;
	uint64_t ndirs; /* nodes held */
};

/* A cache for one store: a full scan at least every full_interval_s
 * seconds (0 = every scan), directories with files modified within hot_s
 * seconds of a read are read again.  Returns NULL when out of memory.
 * Caller frees with scan_cache_free(). */
struct scan_cache *scan_cache_new(unsigned full_interval_s, unsigned hot_s);
void scan_cache_free(struct scan_cache *c);
/* Forgets everything: the next scan is a full one. */
void scan_cache_reset(struct scan_cache *c);

/* For the walker (scan.c). */
struct scan_node *scan_node_new(const char *name, size_t namelen);
/* Frees n (already unlinked from its siblings: n->next is ignored) and
 * every node under it; returns how many it freed. */
uint64_t scan_node_free_tree(struct scan_node *n);

#endif
