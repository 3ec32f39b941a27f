/*
 * manifest.h - the per-store manifest of regular files, and the exact diff
 * between two scans (issue 12, docs/operations.md "Manifest").
 *
 * For every directory of a store that holds regular files the manifest keeps
 * one record: the directory's path relative to the store and its files,
 * sorted by name, each with size, birth time (statx btime, else ctime),
 * inode and mtime.  Names are front-coded and numbers are varints, so a
 * million files take about 30 bytes each on disk.  In memory the agent keeps
 * only an index of directories (a 64-bit hash of the path -> where the
 * directory's latest record is, about 32 bytes per directory), never the
 * file names: a scan reads one directory's old record back with pread() when
 * it re-reads that directory, so memory stays flat whatever the store holds.
 *
 * File format (state_dir/manifest/STORE.swm, mode 0600): a 64-byte header
 * (magic, version, the committed length, the last committed scan's time and
 * whether it was complete, its own CRC32C), then records appended in scan
 * order, each "u32 length, u32 crc32c(payload), payload".  A newer record of
 * a directory supersedes the older one; a record with no files is a
 * tombstone.  When superseded records take more than the live ones, the file
 * is rewritten (to a temporary file, fsync, rename).
 *
 * Crash safety: a scan appends records past the committed length and the
 * commit (manifest_commit()) rewrites the header with the new committed
 * length (one 64-byte pwrite; not synced: after a power cut, records the
 * header counts but the disk lost fail their CRC and the file is rebuilt).  On open, bytes past the committed length belong
 * to a scan that did not finish and are cut off; a header or any record
 * before the committed length that does not check out means the file is
 * damaged: it is logged, set aside and the next scan rebuilds the manifest
 * from scratch (that scan is then not exact).
 *
 * Use by one scan: manifest_begin(); the walker threads call
 * manifest_dir_update() for every directory they read completely and
 * manifest_dir_seen() for every directory they trust unchanged or could not
 * read; manifest_finish() then works out what left the store (directories
 * not seen at all are gone, with all their files), matches removals against
 * creations by (inode, size) as moves, and hands each real removal to the
 * caller's callback; manifest_commit() makes the scan durable.  Only
 * manifest_dir_update() and manifest_dir_seen() may run on several threads
 * at once.
 */
#ifndef SHRINKWATCH_AGENT_MANIFEST_H
#define SHRINKWATCH_AGENT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "manifest_codec.h"

struct manifest;

/* What one removed file was: path relative to the store. */
struct manifest_removed {
	const char *path;
	size_t pathlen;
	uint64_t size, ino;
	int64_t birth;
};

/* Called by manifest_finish() for each file that left the store (moves
 * excluded).  A non-zero return stops manifest_finish(), which returns it. */
typedef int (*manifest_removed_fn)(void *ud, const struct manifest_removed *r);

/* The exact figures of one scan against the previous committed one. */
struct manifest_diff {
	int exact; /* 1: the previous scan was in the manifest and this one is complete */
	uint64_t removed_objects, removed_bytes;
	uint64_t removed_young_objects, removed_young_bytes;
	uint64_t removed_min_age; /* UINT64_MAX: nothing removed */
	/* The fresh split (manifest_finish_split() with fresh_age > 0): the
	 * removals younger than fresh_age, and the smallest age among the
	 * others (UINT64_MAX: none). */
	uint64_t fresh_age;
	uint64_t removed_fresh_objects, removed_fresh_bytes;
	uint64_t removed_min_settled_age;
	uint64_t shrunk_bytes;
	uint64_t moved_objects, moved_bytes;
	uint64_t created_objects; /* files not in the previous scan (moves included) */
	uint64_t dirs_gone;
};

/* Most new files one scan matches against removals as possible moves; a
 * scan that creates more is still recorded but is not exact. */
#define MANIFEST_CREATED_MAX (1u << 20)

/*
 * Opens (or creates) the manifest of store in dir (created 0700 if needed),
 * reading its index.  A damaged file is logged, renamed to STORE.swm.damaged
 * and replaced by an empty manifest; then manifest_rebuilt() is true.
 * Returns 0 and *out (caller frees with manifest_close()), or a negative
 * errno when the directory or file cannot be used at all.
 */
int manifest_open(const char *dir, const char *store, struct manifest **out);
void manifest_close(struct manifest *m);

/* Whether open found the file damaged (and started again). */
int manifest_rebuilt(const struct manifest *m);
/* Time of the last committed scan (0: none) and whether it was complete. */
int64_t manifest_last_scan(const struct manifest *m);
int manifest_last_complete(const struct manifest *m);
/* Directories and files the manifest holds, bytes on disk. */
void manifest_counts(const struct manifest *m, uint64_t *dirs, uint64_t *files,
		     uint64_t *disk_bytes);

/* Starts a scan at scan_time (unix seconds).  0 or a negative errno (the
 * scan then runs without the manifest). */
int manifest_begin(struct manifest *m, int64_t scan_time);
/* A directory read completely: replaces its record and diffs it against the
 * old one.  relpath (relen bytes, "" for the store's root) is relative to the
 * store.  Sorts b in place.  Thread-safe.  0 or a negative errno (the scan
 * then cannot be exact: manifest_finish() says so). */
int manifest_dir_update(struct manifest *m, const char *relpath, size_t relen,
			struct manifest_dirbuf *b);
/* A directory trusted unchanged, or not read completely: its record stays. */
void manifest_dir_seen(struct manifest *m, const char *relpath, size_t relen);
/*
 * Ends the scan's walk.  complete: every directory was read or trusted (a
 * partial scan keeps the records of directories it did not see rather than
 * taking them for gone).  retention (seconds, 0 = unknown) splits removals
 * by age at scan_time.  Calls removed() for every removal, then fills *out.
 * 0 or a negative errno / the callback's return.
 */
int manifest_finish(struct manifest *m, int complete, uint64_t retention,
		    manifest_removed_fn removed, void *ud, struct manifest_diff *out);
/* manifest_finish() that also splits off the removals younger than
 * fresh_age seconds (0: no fresh split, as manifest_finish()): a file
 * deleted minutes after it appeared is most often an aborted upload or a
 * temp file, which the collector judges apart from settled removals
 * (docs/protocol.md, "The fresh split"). */
int manifest_finish_split(struct manifest *m, int complete, uint64_t retention,
			  uint64_t fresh_age, manifest_removed_fn removed, void *ud,
			  struct manifest_diff *out);

/* The agent's settle age, the fresh split's boundary (seconds): two hours
 * (an upload in flight or a temp file is gone well within them), but at
 * most an eighth of a known retention (0 = unknown), as the collector's
 * detector caps its own (detect/exact.c): with the minutes of retention
 * tests use, seconds.  0 when that leaves nothing (a retention below 8 s). */
#define MANIFEST_FRESH_AGE 7200u
uint64_t manifest_fresh_age(uint64_t retention);
/* Makes the scan the committed one (the header names its end), and rewrites
 * the file when superseded records outweigh live ones.  Without a
 * manifest_finish() since manifest_begin() (the scan stopped early, a
 * missing store) it does nothing: the manifest still holds the scan before.
 * 0 or a negative errno (the manifest is then marked for a rebuild). */
int manifest_commit(struct manifest *m);

/* For the copy digests (agent/digests.h), which are built from the last
 * committed scan: call these on the scan thread, between a
 * manifest_commit() and the next manifest_begin(), when the index is the
 * committed scan's.
 *
 * manifest_changes(): a counter that moves whenever a directory's record is
 * written, dropped or the whole index is reset, so a cache built from the
 * manifest knows whether it is still current. */
uint64_t manifest_changes(const struct manifest *m);
/* Calls fn for every directory record (a directory holding files), in no
 * order, with the record's path (relative to the store, not NUL-terminated)
 * and file count.  A non-zero return stops the walk and is returned; else 0
 * or a negative errno (-EBADMSG for a record that does not decode). */
typedef int (*manifest_dir_fn)(void *ud, const char *relpath, size_t relen, uint32_t nfiles);
int manifest_foreach_dir(struct manifest *m, manifest_dir_fn fn, void *ud);
/* Reads directory relpath's record into *buf (grown as needed, *cap its
 * size; caller frees) and prepares r to read its files.  0, -ENOENT when the
 * manifest holds no files in that directory, or a negative errno. */
int manifest_dir_read(struct manifest *m, const char *relpath, size_t relen, uint8_t **buf,
		      size_t *cap, struct mcodec_reader *r);

#endif
