/*
 * delqueue.h - deletion reports waiting for the collectors' acknowledgement.
 *
 * Reports are few (one per process and directory prefix per second at most)
 * but each is evidence of who deleted what, so a report stays here until
 * every collector that takes reports (protocol version 2) has said it stored
 * it (DELACK), and is sent again after a reconnect.  The queue is bounded:
 * when it is full the oldest report is dropped with a log line, since a
 * collector that has been away that long is better served by the newest.
 * With delqueue_persist() every report is also written to a journal on disk
 * (deljournal.h) before any collector sees it, and read back at the next
 * start, so a restart between a report and its acknowledgement loses
 * nothing; without it (or if the journal cannot be written, logged) reports
 * not yet acknowledged when the agent stops are lost.
 *
 * Each report gets an id from the wall clock in microseconds, kept rising
 * within a process and above every id read back from the journal: ids never
 * repeat across restarts unless the clock steps back, so the collector can
 * store each (agent, id) once, and a report sent again after a restart is
 * not counted twice.  Only the loop thread uses a queue.
 */
#ifndef SHRINKWATCH_AGENT_DELQUEUE_H
#define SHRINKWATCH_AGENT_DELQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deljournal.h"
#include "shrinkwatch/proto.h"

#define DELQUEUE_DEFAULT_MAX 4096
#define DELQUEUE_MAX_READERS 8

struct delqueue {
	struct sw_deletion *ring; /* cap entries, oldest at head */
	size_t cap, head, len;
	uint64_t last_id;
	uint64_t acked[DELQUEUE_MAX_READERS]; /* per collector */
	bool off[DELQUEUE_MAX_READERS];       /* collector takes no reports */
	unsigned nreaders;
	uint64_t dropped; /* reports dropped because the queue was full */
	struct deljournal journal; /* valid when journaled */
	bool journaled;
};

/* The journal is rewritten once it holds this many more records than twice
 * the reports still waiting (or emptied when none wait). */
#define DELQUEUE_JOURNAL_SLACK 64

/* 0 or -ENOMEM/-EINVAL.  Release with delqueue_release(). */
int delqueue_init(struct delqueue *q, size_t cap, unsigned nreaders);
void delqueue_release(struct delqueue *q);
/*
 * Keeps the queue on disk in the journal at path (deljournal.h): the reports
 * it holds from before are queued again (the newest cap of them), with their
 * ids, and every report pushed from now on is written there first.  Call it
 * once, after delqueue_init() and before any push.  0, or a negative errno
 * (logged) with the queue still working in memory only.
 */
int delqueue_persist(struct delqueue *q, const char *path);
/* Queues a copy of d with a fresh id (written back to d->id).  Drops the
 * oldest report, with a log line, when full. */
void delqueue_push(struct delqueue *q, struct sw_deletion *d);
/* Copies up to max reports with an id above after into out, oldest first;
 * returns how many. */
size_t delqueue_read(const struct delqueue *q, uint64_t after, struct sw_deletion *out,
		     size_t max);
/* Collector reader stored every report up to id; reports every reader has
 * stored are forgotten. */
void delqueue_ack(struct delqueue *q, unsigned reader, uint64_t id);
/* Whether reader takes reports (false: its collector speaks version 1 only,
 * and holding reports for it would only fill the queue). */
void delqueue_set_reader(struct delqueue *q, unsigned reader, bool takes_reports);
/* The highest id reader has acknowledged. */
uint64_t delqueue_acked(const struct delqueue *q, unsigned reader);
/* Reports some reader still waits for. */
size_t delqueue_pending(const struct delqueue *q);

#endif
