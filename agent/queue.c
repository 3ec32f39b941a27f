/* queue.c - the bounded, seq-ordered queue of unacknowledged samples. */
#include <errno.h>
#include <stdlib.h>

#include "queue.h"

int queue_init(struct sample_queue *q, size_t cap)
{
	q->ring = calloc(cap, sizeof *q->ring);
	if (!q->ring)
		return -ENOMEM;
	q->cap = cap;
	q->head = q->count = 0;
	q->dropped = 0;
	return 0;
}

void queue_release(struct sample_queue *q)
{
	free(q->ring);
	q->ring = NULL;
	q->cap = q->count = 0;
}

static struct sw_sample *at(const struct sample_queue *q, size_t i)
{
	return &q->ring[(q->head + i) % q->cap];
}

int queue_push(struct sample_queue *q, const struct sw_sample *s)
{
	int dropped = 0;

	if (q->count == q->cap) {
		q->head = (q->head + 1) % q->cap;
		q->count--;
		q->dropped++;
		dropped = 1;
	}
	*at(q, q->count) = *s;
	q->count++;
	/* The hole sits just before the oldest sample still queued: that one
	 * tells the collector that history is missing before it. */
	if (dropped)
		at(q, 0)->flags |= SW_SAMPLE_GAP;
	return dropped;
}

void queue_trim(struct sample_queue *q, uint64_t acked)
{
	while (q->count && at(q, 0)->seq <= acked) {
		q->head = (q->head + 1) % q->cap;
		q->count--;
	}
}

size_t queue_read(const struct sample_queue *q, uint64_t after, struct sw_sample *out,
		  size_t max)
{
	size_t i = 0, n = 0;

	/* Seqs rise along the ring, so skip the acknowledged prefix first. */
	while (i < q->count && at(q, i)->seq <= after)
		i++;
	for (; i < q->count && n < max; i++)
		out[n++] = *at(q, i);
	return n;
}

size_t queue_count(const struct sample_queue *q)
{
	return q->count;
}
