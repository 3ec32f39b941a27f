/*
 * queue.h - samples waiting for the collector's acknowledgement.
 *
 * A bounded FIFO in memory, ordered by seq.  The shipper reads from it at
 * any seq (after a reconnect it resends from the collector's ack) and trims it
 * when the collector acknowledges.  When it is full the oldest sample is
 * dropped, loudly, and the oldest sample still queued carries SW_SAMPLE_GAP so
 * the collector knows history has a hole before it.  (The on-disk spool of the trustworthy
 * delivery work replaces this behind the same calls.)
 */
#ifndef SHRINKWATCH_AGENT_QUEUE_H
#define SHRINKWATCH_AGENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/sample.h"

struct sample_queue {
	struct sw_sample *ring;
	size_t cap, head, count;
	uint64_t dropped; /* samples dropped because the queue was full */
};

int queue_init(struct sample_queue *q, size_t cap);
void queue_release(struct sample_queue *q);
/* Appends a copy of s (seq must be above every queued seq).  Returns 1 if an
 * old sample had to be dropped to make room, else 0. */
int queue_push(struct sample_queue *q, const struct sw_sample *s);
/* Drops every sample with seq <= acked. */
void queue_trim(struct sample_queue *q, uint64_t acked);
/* Copies up to max samples with seq > after into out; returns how many. */
size_t queue_read(const struct sample_queue *q, uint64_t after, struct sw_sample *out,
		  size_t max);
size_t queue_count(const struct sample_queue *q);

#endif
