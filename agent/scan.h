/*
 * scan.h - walking one store and measuring it (the agent's data contract).
 *
 * The walk is read-only: directories are opened O_RDONLY|O_DIRECTORY|
 * O_NOFOLLOW (with O_NOATIME where permitted), entries are read with
 * getdents64 and stat'ed with statx relative to their directory; symbolic
 * links are never followed and the walk never leaves the store's filesystem.
 * It blocks for as long as the tree takes, so callers run it off the event
 * loop (agent/main.c uses the libuv work queue).
 *
 * Counting rule (docs/protocol.md): a regular file is "born" at its statx
 * birth time, or at its ctime where the filesystem has no birth time.
 *   objects/bytes         regular files born before opt->start (hard links once)
 *   added_objects/bytes   regular files born in [opt->prev_start, opt->start)
 * so that   removed = previous total + added - total   is exactly what was
 * deleted or truncated between the two scans, with no double counting of
 * files created while a scan runs.
 *
 * A directory or file that cannot be read makes the scan partial (status,
 * error_count, first_error); the totals of a partial scan are not a smaller
 * truth and the collector treats them as unknown.  A store whose path is
 * missing, or is not a directory, has status SW_SCAN_MISSING.
 */
#ifndef SHRINKWATCH_AGENT_SCAN_H
#define SHRINKWATCH_AGENT_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "shrinkwatch/sample.h"

#include "manifest.h"

struct scan_cache; /* per-store memory between scans: scan_cache.h */

/* What a scan did, for the agent's debug log and for benchmarks. */
struct scan_stats {
	int full;                /* 1: every directory was read */
	uint64_t dirs_read;      /* directories whose entries were read */
	uint64_t dirs_unchanged; /* directories trusted from the cache */
	uint64_t files_statted;  /* statx calls on non-directories */
	uint64_t cache_dirs;     /* directories the cache holds afterwards */
	unsigned threads;        /* walker threads used */
};

struct scan_options {
	struct timespec start;      /* when this scan started (CLOCK_REALTIME) */
	struct timespec prev_start; /* previous scan's start; {0,0} if none */
	int64_t time, prev_time;    /* their samples' times (scan_sample_time()); 0: none */
	unsigned threads;           /* walker threads; 0 = choose */
	/* Optional (NULL = always a full walk): the store's cache.  With a
	 * cache the walk re-reads only directories that changed since the
	 * cache last saw them, and falls back to a full walk whenever it
	 * cannot be sure (see scan_cache.h).  One cache belongs to one store
	 * and is used by one scan at a time. */
	struct scan_cache *cache;
	int full;                 /* 1: read every directory, even with a cache */
	struct scan_stats *stats; /* optional output */
	/* Optional (NULL = totals only): the store's manifest (manifest.h).
	 * The scan keeps it current and diffs each directory it reads against
	 * it; a manifest that holds no scan yet makes the scan a full one.
	 * retention (seconds, 0 = unknown) splits removals by age; removed
	 * (may be NULL) is called for each removal, with removed_ud; the
	 * caller commits the manifest (manifest_commit()) once it has kept
	 * the removals, and diff (optional) receives the figures. */
	struct manifest *manifest;
	uint64_t retention;
	/* The fresh split's boundary (seconds, manifest_fresh_age()); 0 = no
	 * fresh split. */
	uint64_t fresh_age;
	manifest_removed_fn removed;
	void *removed_ud;
	struct manifest_diff *diff;
};

/*
 * Walks the tree at path and fills in out: objects, bytes, added_objects,
 * added_bytes, fs_used, fs_size, fs_inodes, mount_id, flags (SW_SAMPLE_HAS_ADDED
 * when prev_start is set, SW_SAMPLE_BTIME when birth times were available),
 * status, error_count, first_error, scan_ms, and time (= start, in seconds).
 * With a manifest, also the exact figures (removed_*, shrunk_bytes, moved_*,
 * retention) and SW_SAMPLE_EXACT / SW_SAMPLE_YOUNG_SPLIT when the manifest
 * holds the scan that started at prev_start and this scan is complete.
 * Does not touch out->seq, out->store or out->journal_dropped.  Returns 0 (the outcome, including a
 * partial or missing store, is in out->status), or a negative errno when the
 * walk itself could not run (out of memory).
 */
int scan_store(const char *path, const struct scan_options *opt, struct sw_sample *out);

/*
 * A sample's time.  A scheduled scan takes the interval boundary it was
 * scheduled for: the last one at or before its start, with 100 ms for a
 * timer that fires a hair early.  Rounding the start to the nearest second
 * instead gave a scan that started late (a loaded machine) the next second,
 * which is that of the next boundary's scan at a 1 s interval (the collector
 * then dropped one of the two as not newer than its RRD), or put two samples
 * more than the RRD's heartbeat apart at 2 s (a point left unknown).  The
 * start-up scan (scheduled false) is on no boundary: the nearest second.
 * The removal journal's brackets use the same times (scan_options.time),
 * so an investigator reads a removal between the two samples that show it.
 */
int64_t scan_sample_time(const struct timespec *start, uint32_t interval, bool scheduled);

/* Ends a scan's use of opt->manifest (begun with manifest_begin() at
 * opt->start): manifest_finish() with the caller's removed(), complete when
 * out->status is and man_failed is not, then out's exact figures and flags
 * when the diff is exact and covers_prev (the manifest held the scan that
 * started at opt->prev_start).  Shared with objstore_replay.c, which feeds
 * the manifest from a listing instead of a walk. */
void scan__manifest_finish(const struct scan_options *opt, struct sw_sample *out,
			   int man_failed, int covers_prev);

#endif
