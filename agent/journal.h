/*
 * journal.h - the removal journal: every file that left a store, kept on the
 * agent for removal_journal_keep in at most removal_journal_max bytes, so
 * that an administrator can ask for a loss inventory (docs/operations.md,
 * "Removal journal"; protocol INVREQ/INVENTORY).
 *
 * The journal is a directory (state_dir/journal, 0700) of segment files
 * NNNNNNNN.jnl (0600), written in order.  A record is "u32 length, u32
 * crc32c(payload), payload"; a scan's removals are one batch of ENTRY
 * records closed by one COMMIT record (store, scan time, count), written
 * and synced by journal_commit() before the scan's manifest is committed.
 * On open, records after a segment's last COMMIT belong to a scan that did
 * not finish and are cut off; a record that does not check out ends its
 * segment there (logged, counted).  If the agent died between a journal
 * commit and the manifest commit, journal_rollback() takes that last batch
 * back, so the next scan's diff does not list the same removals twice.
 *
 * Space: segments rotate at a sixteenth of the cap; when the journal holds
 * more than removal_journal_max bytes the oldest segments go, their entries
 * counted in journal_dropped() and logged; segments whose newest entry is
 * older than removal_journal_keep go at the next commit.
 *
 * Coverage: before a segment goes (for space or age), the journal records
 * per store the newest removed_before of the entries it held, and how many,
 * in dir/coverage (written atomically, kept across restarts): an inventory
 * whose window starts at or before that time may miss entries, and says so
 * (journal_coverage()), even after the agent restarted.
 *
 * Threads: the scan thread appends and commits; the loop thread queries.
 * Both may run at once: a query reads only committed bytes.
 */
#ifndef SHRINKWATCH_AGENT_JOURNAL_H
#define SHRINKWATCH_AGENT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_DEFAULT_KEEP (400u * 86400u)
#define JOURNAL_DEFAULT_MAX (256ull << 20)
/* Longest path and exe kept (longer ones are cut: the inventory says so). */
#define JOURNAL_PATH_MAX 4096
#define JOURNAL_EXE_MAX 256

struct journal;

/* One removed file.  Strings need not be NUL-terminated: lengths rule. */
struct journal_entry {
	const char *store;
	const char *path;
	size_t pathlen;
	uint64_t size;
	int64_t birth;
	int64_t removed_after, removed_before; /* the scans bracketing the removal */
	uint32_t pid;                          /* 0: not seen by the deletion watch */
	int64_t uid;                           /* -1: unknown */
	const char *exe;                       /* "?" when unknown */
};

/* Opens (creating) the journal in dir.  keep_s: seconds an entry is kept;
 * max_bytes: the cap.  0 and *out (caller frees with journal_close()), or a
 * negative errno. */
int journal_open(const char *dir, uint64_t keep_s, uint64_t max_bytes, struct journal **out);
void journal_close(struct journal *j);

/* Adds one entry to the current batch.  0 or a negative errno (the batch is
 * then lost at journal_commit(), which returns the error). */
int journal_append(struct journal *j, const struct journal_entry *e);
/* Closes the batch of store's scan at scan_time: writes its COMMIT, syncs,
 * then applies expiry (relative to scan_time) and the cap.  0 or a
 * negative errno. */
int journal_commit(struct journal *j, const char *store, int64_t scan_time);
/* Forgets the current batch (the scan failed before its commit). */
void journal_abort(struct journal *j);
/* If the journal's last committed batch is store's and newer than
 * manifest_time (the manifest never committed that scan), takes it back.
 * Returns how many entries were taken back. */
uint64_t journal_rollback(struct journal *j, const char *store, int64_t manifest_time);

/* Whether store's entries are all still here back to from: 0 when they
 * are; else the newest removed_before among the store's entries that went
 * (for space or age, since the journal was made, across restarts) with
 * *lost (may be NULL) set to how many of them went.  A window starting at
 * or before that time may miss entries. */
int64_t journal_coverage(struct journal *j, const char *store, int64_t from, uint64_t *lost);

/* Entries dropped for space since open (monotone). */
uint64_t journal_dropped(const struct journal *j);
/* Bytes the journal holds. */
uint64_t journal_bytes(const struct journal *j);

/* Called by journal_query() for each matching entry (strings valid during
 * the call only); a non-zero return stops the query and is returned. */
typedef int (*journal_query_fn)(void *ud, const struct journal_entry *e);
/* Entries of store whose removal bracket overlaps [from, to] and whose path
 * starts with prefix (plen bytes, 0 = all), oldest first.  0, the
 * callback's return, or a negative errno. */
int journal_query(struct journal *j, const char *store, int64_t from, int64_t to,
		  const char *prefix, size_t plen, journal_query_fn fn, void *ud);

#endif
