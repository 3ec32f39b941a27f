/*
 * objstore_replay.h - exact accounting for an object store: a complete
 * listing (its listing file, objstore.h) replayed into the store's manifest
 * (manifest.h) on the scan thread, as one scan.
 *
 * A bucket has keys, not directories, but a manifest keeps one record per
 * directory, so a key is split at its last '/' (at most
 * OBJSTORE_REPLAY_DEPTH levels: a deeper remainder stays in the name):
 * "2024/05/cam1.mp4" is the file "cam1.mp4" of the directory "2024/05".
 * Keys arrive sorted (S3 and Azure list in byte order), so every key under
 * "a/" comes together: a stack of open directories turns the listing into
 * one manifest_dir_update() per directory, the way a tree walk does, with
 * at most OBJSTORE_REPLAY_DEPTH directories open.  A key out of order makes
 * the replay fail (the listing is then totals only).
 *
 * An object's last-modified time is its birth and mtime; a 64-bit hash of
 * its ETag stands for the inode, so a "move" is the same content under a
 * new key.  Every current object the listing saw is recorded, even one
 * written after the listing started (which its totals leave for the next
 * listing): an object overwritten during a listing is not a removal.
 *
 * What a directory tree never has, kept exact by records whose path holds
 * a NUL byte (no key holds one: XML cannot carry it) and decoded back to
 * the key before a removal leaves this module:
 *   - a flat "directory" of a million keys: cut into records of at most
 *     OBJSTORE_REPLAY_CHUNK_MAX files (about OBJSTORE_REPLAY_CHUNK_AVG), at
 *     keys chosen by their hash alone, the next record named after the key
 *     that ended the one before: "DIR\0#HASH\0".  Memory stays flat
 *     whatever the bucket holds.  Deleting a key that ends a record (one
 *     in OBJSTORE_REPLAY_CHUNK_AVG) merges two records: their other files
 *     then count as moved (same ETag and size), never as removed;
 *   - a name longer than a file name may be (255 bytes): "DIR\0+HEAD\0"
 *     with the name's last 255 bytes as the file;
 *   - a key ending in '/' (a "folder" placeholder): "DIR\0.\0" with the
 *     file "/".
 */
#ifndef SHRINKWATCH_AGENT_OBJSTORE_REPLAY_H
#define SHRINKWATCH_AGENT_OBJSTORE_REPLAY_H

#include "scan.h"
#include "shrinkwatch/sample.h"

#define OBJSTORE_REPLAY_DEPTH 16
/* A record of a directory ends after a key whose hash is 0 modulo
 * OBJSTORE_REPLAY_CHUNK_AVG (so a deletion or upload of any other key
 * changes no record but its own), or at OBJSTORE_REPLAY_CHUNK_MAX files. */
#define OBJSTORE_REPLAY_CHUNK_AVG 1024u
#define OBJSTORE_REPLAY_CHUNK_MAX 8192u

/*
 * Replays the listing file at path, a complete listing that started at
 * opt->start (the previous one at opt->prev_start), into opt->manifest as
 * one scan, and fills s's exact figures (SW_SAMPLE_EXACT and the removal
 * figures when the manifest holds the previous listing) as scan_store()
 * does.  opt->removed (may be NULL) receives every removal with its key.
 * The caller commits (accounts_settle()) and removes the file.  s->status
 * must be the listing's (complete).  0, or a negative errno: the file could
 * not be read, or its keys were out of order (-EILSEQ); the sample then
 * carries totals only, no removal is reported, and the next listing is not
 * exact either (the manifest knows its last scan was not complete).
 */
int objstore_replay(const char *path, const struct scan_options *opt, struct sw_sample *s);

/* Turns a manifest path of this module's records back into its key in out
 * (cap bytes); returns the key's length, or 0 when it does not fit.  Exposed
 * for the tests. */
size_t objstore__replay_key(const char *path, size_t len, char *out, size_t cap);

#endif
