/* delqueue.c - deletion reports until acknowledged (see delqueue.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delqueue.h"
#include "spool_record.h"
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
	if (q->journaled)
		deljournal_close(&q->journal);
	q->journaled = false;
	free(q->ring);
	q->ring = NULL;
	q->len = q->cap = 0;
}

static struct log_ratelimit journal_rl = LOG_RATELIMIT_INIT(60, 3);

static struct sw_deletion *at(const struct delqueue *q, size_t i)
{
	return &q->ring[(q->head + i) % q->cap];
}

/* Rewrites the journal with the reports still waiting once it holds mostly
 * acknowledged ones, so the file stays bounded (deljournal.h). */
static void compact(struct delqueue *q)
{
	struct buf recs;
	int err = 0;

	if (!q->journaled || q->journal.records <= q->len ||
	    (q->len && q->journal.records < 2 * q->len + DELQUEUE_JOURNAL_SLACK))
		return;
	buf_init(&recs, (q->len + 1) * SPOOL_RECORD_MAX);
	for (size_t i = 0; i < q->len && !err; i++)
		err = deljournal_encode(&recs, &q->ring[(q->head + i) % q->cap]);
	if (!err)
		err = deljournal_replace(&q->journal, &recs, q->len);
	if (err)
		log_ratelimited(&journal_rl, LOG_ERR, "delqueue: cannot rewrite '%s': %s",
				q->journal.path, strerror(-err));
	buf_release(&recs);
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
	compact(q);
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
	if (q->journaled && q->len && at(q, q->len - 1)->id == id) {
		int err = deljournal_append(&q->journal, d);

		if (err)
			log_ratelimited(&journal_rl, LOG_ERR,
					"delqueue: cannot write a deletion report to '%s': %s; it is "
					"kept in memory only (lost if the agent restarts before a "
					"collector has it)", q->journal.path, strerror(-err));
	}
}

int delqueue_persist(struct delqueue *q, const char *path)
{
	struct sw_deletion *old;
	size_t n, from;
	int err = deljournal_open(&q->journal, path, &old, &n);

	if (err)
		return err;
	q->journaled = true;
	from = n > q->cap ? n - q->cap : 0;
	if (from)
		log_warn("delqueue: '%s' holds %zu deletion reports, more than the %zu kept; the "
			 "oldest %zu are dropped", path, n, q->cap, from);
	for (size_t i = from; i < n; i++) {
		*at(q, q->len) = old[i];
		q->len++;
		if (old[i].id > q->last_id)
			q->last_id = old[i].id;
	}
	if (n)
		log_info("delqueue: %zu deletion reports from before the restart are sent again "
			 "('%s')", n - from, path);
	free(old);
	compact(q);
	return 0;
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
