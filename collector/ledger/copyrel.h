/*
 * copyrel.h - the state of each copy relation in the ledger (`copies` table).
 *
 * The collector compares the two ends of every [copy NAME] relation after
 * their samples (collector/alerts/copies.h) and keeps here, one row per
 * relation, what the last comparison found: complete, missing or
 * differing items, or unknown; since when that has been so; and the
 * episode of the copy_missing / copy_differs alert it keeps open.  In the
 * ledger rather than in memory so `shrinkwatchctl copies`, the dashboard
 * (read-only view) and a restarted collector see the same state, and an
 * alert open before a restart is updated or resolved, never opened twice.
 *
 * Counts only: names of differing items are never stored (they leave the
 * agents only for an administrator's copy-check, audited).  Bounded: one
 * row per configured relation.
 *
 * Beside it, `copy_seen`: the memory behind copy_lost, per relation and
 * directory (keyed by the name hashes of its path below the source prefix,
 * never names), the source's digest of the directory and the packed
 * entries that were at both ends (name hash, kind, files, digest: 57 bytes
 * each).  Bounded by the caller (COPIES_SEEN_MAX items a relation).
 *
 * Connections as in inventory.h: writers take the collector's ledger
 * connection (loop thread), readers any.  0 or a negative errno, -ENOENT for
 * no such row.
 */
#ifndef SHRINKWATCH_COLLECTOR_LEDGER_COPYREL_H
#define SHRINKWATCH_COLLECTOR_LEDGER_COPYREL_H

#include <stdint.h>

#include "collector/ledger/rows.h"

struct sqlite3;

#define COPYREL_NAME_MAX 64
#define COPYREL_END_MAX (2 * SW_NAME_MAX + 1100)

/* What the last comparison of a relation said. */
enum copyrel_state {
	COPYREL_NEVER = 0,  /* not compared yet */
	COPYREL_COMPLETE,   /* everything past grace is at the destination */
	COPYREL_INCOMPLETE, /* missing or differing items */
	COPYREL_UNKNOWN,    /* an end did not answer (agent down, no manifest) */
};

struct copyrel_rec {
	char name[COPYREL_NAME_MAX + 1];
	char source[COPYREL_END_MAX];      /* "AGENT/STORE[:PREFIX]" as configured */
	char destination[COPYREL_END_MAX];
	enum copyrel_state state;
	uint64_t missing, differs, young, unknown_dirs;
	uint64_t lost; /* items gone from both ends while the copy_lost alert is open */
	uint64_t src_files, src_bytes, dst_files, dst_bytes;
	int64_t since;       /* the state (and counts' kind) holds since then */
	int64_t checked_at;  /* the last comparison that ended */
	int64_t complete_at; /* the last comparison that found it complete, 0 = never */
	/* the open alerts' episodes, 0 = none open */
	uint32_t missing_episode, differs_episode, lost_episode;
};

/* Bytes of one packed copy_seen entry. */
#define COPYREL_SEEN_ENTRY 57

/* Creates the table if needed (the collector's connection). */
int copyrel_schema(struct sqlite3 *db);

/* "never", "complete", "incomplete", "unknown". */
const char *copyrel_state_name(enum copyrel_state s);

/* Inserts or replaces the row of r->name. */
int copyrel_put(struct sqlite3 *db, const struct copyrel_rec *r);
/* The row of name into *out; -ENOENT when there is none. */
int copyrel_get(struct sqlite3 *db, const char *name, struct copyrel_rec *out);
/* Calls fn for every row, by name; stops at fn's first non-zero return and
 * returns it. */
int copyrel_list(struct sqlite3 *db, int (*fn)(void *ctx, const struct copyrel_rec *r),
		 void *ctx);
/* Deletes the rows whose name is not accepted by keep (a relation removed
 * from the configuration); keep returns non-zero to keep. */
int copyrel_prune(struct sqlite3 *db, int (*keep)(void *ctx, const char *name), void *ctx);

/*
 * The next alert episode for (agent, store, kind): one past the highest in
 * the alerts table, so two relations onto one destination store (other
 * prefixes) never share an alert.  0 with *episode set, or an error.
 */
int copyrel_next_episode(struct sqlite3 *db, const char *agent, const char *store,
			 const char *kind, uint32_t *episode);

/*
 * The memory of relation name for directory key (klen bytes: 16 per level,
 * 0 = the prefix): its digest into digest and its packed entries into
 * *packed (caller frees) with *n entries.  0, -ENOENT, or an error.
 */
int copyrel_seen_get(struct sqlite3 *db, const char *name, const uint8_t *key, size_t klen,
		     uint8_t digest[32], uint8_t **packed, size_t *n);
/* Replaces the memory of that directory (n packed entries). */
int copyrel_seen_put(struct sqlite3 *db, const char *name, const uint8_t *key, size_t klen,
		     const uint8_t digest[32], const uint8_t *packed, size_t n);
/* Forgets that directory and every one below it (klen 0 with key NULL: the
 * relation's whole memory). */
int copyrel_seen_forget(struct sqlite3 *db, const char *name, const uint8_t *key, size_t klen);
/* Entries the memory of relation name holds, into *n. */
int copyrel_seen_count(struct sqlite3 *db, const char *name, uint64_t *n);

#endif
