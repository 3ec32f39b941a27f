/*
 * trace.h - the CSV formats of `shrinkwatchctl replay`.
 *
 * A trace has a header line naming its columns, then one row per sample:
 *   time,store,bytes,objects[,added_bytes,added_objects]
 * Columns are found by name (any case), in any order; unknown columns are
 * ignored.  Fields may be quoted ("s1") and padded with blanks.  The store is
 * a name or "agent/store" (the key [store KEY] sections match).  Counts are
 * non-negative numbers (integers; "12.0" is accepted, as spreadsheets and
 * data frames write it), times unix seconds.  Two
 * optional columns carry what the live collector gets from the protocol:
 * status (complete, partial, missing) and mount_id.  An empty bytes or
 * objects field means the totals are unknown (a partial scan); empty added_*
 * fields mean the row has no gross ingest (net-only).
 *
 * Optional exact-accounting columns carry what a protocol-3 agent sends
 * (docs/protocol.md, "Version 3") so that a replay judges a sample as the
 * live collector does: flags (SW_SAMPLE_* bits; 8 = exact, 16 = young
 * split), removed_bytes, removed_objects, removed_young_bytes,
 * removed_young_objects, removed_min_age (seconds, empty = nothing removed)
 * and retention (seconds).  They are read only on a row whose flags has 8;
 * the same rows are refused as the collector refuses the frame: 16 without 8
 * or without a retention, 8 on a scan that is not complete, a young part
 * above its whole.  The fresh split (flags 128, docs/protocol.md "The fresh
 * split") adds fresh_age (seconds), removed_fresh_bytes,
 * removed_fresh_objects and removed_min_settled_age (seconds, empty = no
 * settled item removed), read only on an exact row with 128 and refused as
 * the collector refuses them: 128 without 8, fresh_age 0 or above the
 * young split's retention, a fresh part above the young part (the whole
 * without 16), a settled age below fresh_age.
 *
 * An explanations file has the header start,end,store,bytes,objects,reason
 * (plus optional who and filed, the time it was declared; by default its
 * start).  Empty bytes/objects mean unlimited.  The last column may contain
 * commas when it is reason.
 *
 * The parsers work on one line in memory (no I/O) and are fuzzed
 * (tests/fuzz/fuzz_replay_csv.c).  Errors name the line and the problem.
 */
#ifndef SHRINKWATCH_CTL_TRACE_H
#define SHRINKWATCH_CTL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/detect.h"
#include "shrinkwatch/sample.h"

enum {
	TRACE_COL_TIME,
	TRACE_COL_STORE,
	TRACE_COL_BYTES,
	TRACE_COL_OBJECTS,
	TRACE_COL_ADDED_BYTES,
	TRACE_COL_ADDED_OBJECTS,
	TRACE_COL_STATUS,
	TRACE_COL_MOUNT_ID,
	TRACE_COL_FLAGS,
	TRACE_COL_REMOVED_BYTES,
	TRACE_COL_REMOVED_OBJECTS,
	TRACE_COL_REMOVED_YOUNG_BYTES,
	TRACE_COL_REMOVED_YOUNG_OBJECTS,
	TRACE_COL_REMOVED_MIN_AGE,
	TRACE_COL_RETENTION,
	TRACE_COL_FRESH_AGE,
	TRACE_COL_REMOVED_FRESH_BYTES,
	TRACE_COL_REMOVED_FRESH_OBJECTS,
	TRACE_COL_REMOVED_MIN_SETTLED_AGE,
	TRACE_NCOLS,
};

enum {
	EXPL_COL_START,
	EXPL_COL_END,
	EXPL_COL_STORE,
	EXPL_COL_BYTES,
	EXPL_COL_OBJECTS,
	EXPL_COL_REASON,
	EXPL_COL_WHO,
	EXPL_COL_FILED,
	EXPL_NCOLS,
};

#define TRACE_MAX_FIELDS 64
/* A store column: "store" or "agent/store" as the collector names it. */
#define TRACE_STORE_MAX (2 * SW_NAME_MAX + 1)
_Static_assert((int)TRACE_NCOLS == 19 && (int)EXPL_NCOLS <= (int)TRACE_NCOLS,
	       "column table size");
#define TRACE_REASON_MAX 200

/* Column positions found in a header (-1 = absent). */
struct trace_header {
	int col[TRACE_NCOLS]; /* TRACE_NCOLS >= EXPL_NCOLS */
	int nfields;
};

struct trace_row {
	char store[TRACE_STORE_MAX + 1];
	struct detect_input in;
};

struct expl_row {
	char store[TRACE_STORE_MAX + 1];
	char reason[TRACE_REASON_MAX + 1];
	char who[SW_NAME_MAX + 1];
	int64_t filed;
	struct detect_explain e;
};

/* Parses a trace header line (modified in place).  0 or -EINVAL with err. */
int trace_parse_header(struct trace_header *h, char *line, char *err, size_t errlen);
/* Parses one trace row (modified in place).  0, 1 for a blank line to skip,
 * or -EINVAL with err. */
int trace_parse_row(const struct trace_header *h, char *line, struct trace_row *row, char *err,
		    size_t errlen);

int expl_parse_header(struct trace_header *h, char *line, char *err, size_t errlen);
int expl_parse_row(const struct trace_header *h, char *line, struct expl_row *row, char *err,
		   size_t errlen);

#endif
