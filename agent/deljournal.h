/*
 * deljournal.h - deletion reports on disk until the collectors have them.
 *
 * A deletion report names who deleted what; held only in memory it was lost
 * by a restart of the agent, and the next alert then attributed the whole
 * loss to whichever process was reported (issue 16, item 4).  The journal is
 * one append-only file, STATE_DIR/deletions.journal, of the spool's
 * checksummed records (spool_record.h), each holding a DELETIONS frame with
 * one report: a report is written (and fdatasync'ed) when it is queued, before
 * any collector sees it.  At start-up every good record is read back and the
 * reports are queued again with their ids, so they are sent again; the
 * collector stores each (agent, id) once, so a report it had already stored
 * is not counted twice.  A corrupt record is skipped with a log line; a torn
 * record at the end (a crash mid-write) is cut off.
 *
 * The file is bounded: once the reports it holds are mostly acknowledged it
 * is replaced (written aside, fsync'ed, renamed over) by the ones still
 * waiting, or emptied when none wait (delqueue.c decides when).  Only the
 * loop thread uses a journal; writes are small and rare (a report
 * aggregates a second of deletions).
 */
#ifndef SHRINKWATCH_AGENT_DELJOURNAL_H
#define SHRINKWATCH_AGENT_DELJOURNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/buf.h"
#include "shrinkwatch/proto.h"

struct deljournal {
	char path[PATH_MAX];
	int fd;          /* open for appending; -1 when closed */
	size_t records;  /* records in the file */
	uint64_t corrupt; /* corrupt records skipped when it was read */
};

/*
 * Opens (creating) the journal at path and reads back its reports into *out
 * (caller frees), *n of them, oldest first.  0, or a negative errno (logged)
 * with *out NULL.
 */
int deljournal_open(struct deljournal *j, const char *path, struct sw_deletion **out,
		    size_t *n);
void deljournal_close(struct deljournal *j);

/* Appends one report, durably.  0 or a negative errno (the file is cut back
 * to where it was). */
int deljournal_append(struct deljournal *j, const struct sw_deletion *d);

/* Appends d's record to out (for deljournal_replace()).  0 or a negative
 * errno. */
int deljournal_encode(struct buf *out, const struct sw_deletion *d);

/* Replaces the file's content by count records encoded in recs, atomically
 * (a crash leaves the old file or the new one).  0 or a negative errno. */
int deljournal_replace(struct deljournal *j, const struct buf *recs, size_t count);

#endif
