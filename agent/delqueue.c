/* delqueue.c - deletion reports until acknowledged (see delqueue.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delqueue.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

int delqueue_init(struct delqueue *q, size_t cap, unsigned nreaders)
{
	memset(q, 0, sizeof *q);
	if (cap == 0 || nreaders == 0 || nreaders > DELQUEUE_MAX_READERS)
		return -EINVAL;
	q->ring = calloc(cap, sizeof *q->ring);
	if (!q->ring)
		return -ENOMEM;
	q->cap = cap;
	q->nreaders = nreaders;
	return 0;
}

void delqueue_release(struct delqueue *q)
{
	free(q->ring);
	q->ring = NULL;
	q->len = q->cap = 0;
}

static struct sw_deletion *at(const struct delqueue *q, size_t i)
{
	return &q->ring[(q->head + i) % q->cap];
}

/* Forgets the reports every reader that takes reports has stored. */
static void trim(struct delqueue *q)
{
	uint64_t floor = UINT64_MAX;

	for (unsigned r = 0; r < q->nreaders; r++)
		if (!q->off[r] && q->acked[r] < floor)
			floor = q->acked[r];
	while (q->len && at(q, 0)->id <= floor) {
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
}

void delqueue_push(struct delqueue *q, struct sw_deletion *d)
{
	struct timespec now;
	uint64_t id;

	clock_gettime(CLOCK_REALTIME, &now);
	id = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	if (id <= q->last_id)
		id = q->last_id + 1;
	q->last_id = d->id = id;
	if (q->len == q->cap) {
		q->dropped++;
		log_warn("delwatch: %zu deletion reports wait for the collector; dropping the "
			 "oldest (store '%s', %llu files under '%s'); %llu dropped so far",
			 q->len, at(q, 0)->store, (unsigned long long)at(q, 0)->files, at(q, 0)->dir,
			 (unsigned long long)q->dropped);
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
	*at(q, q->len) = *d;
	q->len++;
	trim(q); /* with no reader taking reports, nothing is kept */
}

size_t delqueue_read(const struct delqueue *q, uint64_t after, struct sw_deletion *out,
		     size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < q->len && n < max; i++)
		if (at(q, i)->id > after)
			out[n++] = *at(q, i);
	return n;
}

void delqueue_ack(struct delqueue *q, unsigned reader, uint64_t id)
{
	if (reader >= q->nreaders)
		return;
	if (id > q->acked[reader])
		q->acked[reader] = id;
	trim(q);
}

void delqueue_set_reader(struct delqueue *q, unsigned reader, bool takes_reports)
{
	if (reader >= q->nreaders)
		return;
	q->off[reader] = !takes_reports;
	trim(q);
}

uint64_t delqueue_acked(const struct delqueue *q, unsigned reader)
{
	return reader < q->nreaders ? q->acked[reader] : 0;
}

size_t delqueue_pending(const struct delqueue *q)
{
	return q->len;
}
