/*
 * spool.h - the agent's on-disk spool of samples not yet acknowledged.
 *
 * Every sample is appended here, durably (as the fsync policy says), before
 * any collector sees it, so neither a collector outage nor an agent crash
 * loses one (DESIGN.md, "No sample is lost").  The spool is a directory of
 * append-only segment files, STATE_DIR/spool/<first seq>.seg, of checksummed
 * records (spool_record.h).  Each collector the agent sends to is a reader
 * with its own acknowledged seq; a segment is deleted once every reader has
 * acknowledged all of it (the newest segment stays, so the last seq survives
 * a restart even when everything was delivered).
 *
 * The spool is bounded by size: past max_bytes the oldest segment is dropped
 * even if unacknowledged, with a loud log line, and the oldest sample kept
 * carries SW_SAMPLE_GAP (remembered in STATE_DIR/spool/gap across restarts)
 * so the collector knows history has a hole.  A corrupt record is skipped
 * with a log line and the rest survives; a torn record at the end of the
 * newest segment (a crash mid-append) is cut off when the spool is opened.
 *
 * Thread-safe: the scan thread appends while the loop thread reads and trims.
 */
#ifndef SHRINKWATCH_AGENT_SPOOL_H
#define SHRINKWATCH_AGENT_SPOOL_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/sample.h"

#define SPOOL_MAX_READERS 8
#define SPOOL_DEFAULT_MAX (256ull << 20)

enum spool_fsync {
	SPOOL_FSYNC_ALWAYS,   /* fdatasync after every append (the default) */
	SPOOL_FSYNC_INTERVAL, /* at most once a second */
	SPOOL_FSYNC_NEVER,    /* leave it to the kernel */
};

struct spool_segment {
	uint64_t id;          /* its file name: the first seq it was started for */
	uint64_t first, last; /* seqs of its first and last good record */
	uint64_t bytes;
	uint32_t count;
};

/* Where a reader stopped last time, so a long backlog is read in one pass
 * rather than from the start of a segment on every batch. */
struct spool_cursor {
	uint64_t seg_id; /* segment, by its id */
	uint64_t off;       /* file offset just after seq */
	uint64_t seq;
};

struct spool {
	pthread_mutex_t lock;
	char dir[PATH_MAX];
	enum spool_fsync fsync_policy;
	uint64_t max_bytes, segment_max;
	struct spool_segment *segs; /* oldest first */
	size_t nsegs, segcap;
	int fd; /* the newest segment, open for appending; -1 if none */
	uint64_t total_bytes;
	uint64_t last_seq; /* highest seq ever appended (0: none) */
	uint64_t gap_seq;  /* sample carrying SW_SAMPLE_GAP, 0 if none */
	uint64_t acked[SPOOL_MAX_READERS];
	struct spool_cursor cursor[SPOOL_MAX_READERS];
	unsigned nreaders;
	int64_t last_sync_ms;
	uint64_t dropped; /* samples dropped by the size bound */
	uint64_t corrupt; /* corrupt records skipped */
};

/* Parses "always", "interval", "never".  0 or -EINVAL. */
int spool_fsync_parse(const char *s, enum spool_fsync *out);

/*
 * Opens (creating) the spool in dir for nreaders readers (1..
 * SPOOL_MAX_READERS), scanning every segment: corrupt records are counted
 * and logged, a torn tail is cut off.  0 or a negative errno (logged).
 */
int spool_open(struct spool *sp, const char *dir, enum spool_fsync policy, uint64_t max_bytes,
	       unsigned nreaders);
void spool_close(struct spool *sp);

/*
 * Appends n samples (rising seqs above every seq in the spool) and makes them
 * durable as the policy says.  Returns 0, or a negative errno with nothing
 * appended (a failed write is cut back off; logged at debug level only: the
 * caller reports it, once per outage, spool_outage.h).  May drop the oldest segment to
 * respect the size bound (logged).
 */
int spool_append(struct spool *sp, const struct sw_sample *s, size_t n);

/* Copies up to max samples with seq > after, in order, into out for reader;
 * returns how many (0 when none or on a read error, which is logged). */
size_t spool_read(struct spool *sp, unsigned reader, uint64_t after, struct sw_sample *out,
		  size_t max);

/* Reader acknowledged everything <= seq: deletes the segments every reader
 * has acknowledged. */
void spool_ack(struct spool *sp, unsigned reader, uint64_t seq);

/* How many samples reader has not had acknowledged (from the seqs; an
 * estimate when the spool holds a gap). */
uint64_t spool_pending(struct spool *sp, unsigned reader);
/* The highest seq ever appended, 0 if the spool is empty. */
uint64_t spool_last_seq(struct spool *sp);

/* Internal, shared with the deletion journal (deljournal.c): reads the file
 * at path from offset off to its end into *data (caller frees; NULL and 0
 * when there is nothing).  0 or a negative errno. */
int spool__read_from(const char *path, uint64_t off, uint8_t **data, size_t *len);

#endif
