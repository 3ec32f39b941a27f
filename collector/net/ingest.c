/* ingest.c - deduplication, RRD batches and acknowledgements (see ingest.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "collector/store/board.h"
#include "ingest.h"
#include "collector/store/rrdstore.h"
#include "session.h"
#include "shrinkwatch/banned.h"

static void batch_done(struct rrd_batch *b, void *ctx)
{
	struct ingest *ing = ctx;
	struct agent_rec *a = registry_agent(ing->reg, b->agent, 0);
	struct session *owner = NULL;

	ing->stats.batches++;
	ing->pending_samples -= b->n;
	if (ing->paused && ing->pending_samples <= INGEST_MAX_PENDING_SAMPLES / 2) {
		ing->paused = false;
		session_resume_held();
	}
	ing->stats.write_usec_total += b->write_usec;
	if (b->write_usec > ing->stats.write_usec_max)
		ing->stats.write_usec_max = b->write_usec;
	if (!a)
		goto out; /* cannot happen: agents are never removed */
	if (a->session && session_id(a->session) == (uint64_t)(uintptr_t)b->owner)
		owner = a->session;

	if (b->err) {
		ing->stats.batches_failed++;
		if (b->epoch == a->write_epoch) {
			log_ratelimited(&ing->fail_rl, LOG_ERR,
					"ingest: cannot store %zu samples of agent '%s': %s; "
					"they will be sent again",
					b->n, a->name, b->errtext);
			a->write_epoch++;
			a->seq_accepted = a->seq_stored;
			if (a->session)
				session_close(a->session, SW_ERR_INTERNAL,
					      "collector cannot store samples now");
		}
		goto out;
	}

	ing->stats.samples_stored += b->stored;
	ing->stats.samples_dropped_old += b->dropped_old;
	a->samples_stored += b->stored;
	a->samples_dropped_old += b->dropped_old;
	if (b->dropped_old)
		log_ratelimited(&ing->old_rl, LOG_WARNING,
				"ingest: agent '%s': dropped %zu samples not newer than their "
				"RRD's last update (%llu so far)",
				a->name, b->dropped_old,
				(unsigned long long)a->samples_dropped_old);
	/* which seqs went where: the fault tests check from these that every
	 * seq an agent produced reached its RRD file exactly once */
	log_debug("ingest: agent '%s': seq %llu-%llu (%zu samples): %zu stored, %zu not newer "
		  "than their RRD", a->name, (unsigned long long)b->samples[0].seq,
		  (unsigned long long)b->samples[b->n - 1].seq, b->n, b->stored, b->dropped_old);
	if (b->samples[b->n - 1].seq > a->seq_stored)
		a->seq_stored = b->samples[b->n - 1].seq;
	for (size_t i = 0; i < b->n; i++) {
		const struct sw_sample *s = &b->samples[i];
		struct store_rec *st;

		if (b->dropped[i])
			continue;
		st = registry_store(a, s->store, 1);
		if (!st)
			continue;
		if (!st->first_seen)
			st->first_seen = s->time;
		st->last = *s;
		st->have_last = 1;
		st->samples++;
		for (unsigned o = 0; o < ing->nobservers; o++)
			ing->observers[o].fn(ing->observers[o].ctx, a, st, s);
	}
	if (owner)
		session_batch_done(owner);
	if (a->session)
		session_send_ack(a->session, a->seq_stored);
out:
	rrd_batch_free(b);
}

int ingest_init(struct ingest *ing, uv_loop_t *loop, const struct collector_config *cfg,
		struct registry *reg)
{
	memset(ing, 0, sizeof *ing);
	ing->loop = loop;
	ing->cfg = cfg;
	ing->reg = reg;
	ing->old_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 5);
	ing->fail_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 5);
	return rrdstore_start(&ing->rrd, loop, cfg->data_dir, cfg->rrd_threads, cfg->rrd_sync,
			      batch_done, ing);
}

int ingest_observe(struct ingest *ing, ingest_stored_fn fn, void *ctx)
{
	if (ing->nobservers >= INGEST_MAX_OBSERVERS)
		return -ENOSPC;
	ing->observers[ing->nobservers].fn = fn;
	ing->observers[ing->nobservers].ctx = ctx;
	ing->nobservers++;
	return 0;
}

int ingest_hello(struct ingest *ing, struct session *s, const struct sw_hello *h,
		 struct agent_rec **agent, uint64_t *ack)
{
	struct agent_rec *a = registry_agent(ing->reg, h->agent, 1);

	if (!a)
		return -ENOMEM;
	ing->stats.hellos++;
	if (a->session && a->session != s) {
		log_info("ingest: agent '%s' reconnected from %s; closing its older connection "
			 "from %s", a->name, session_peer(s), session_peer(a->session));
		session_close(a->session, 0, NULL);
	}
	if (a->interval && a->interval != h->interval)
		log_notice("ingest: agent '%s' changed its interval from %u s to %u s; existing "
			   "RRD files keep their step", a->name, a->interval, h->interval);
	a->session = s;
	if (ing->board)
		board_set_connected(ing->board, a->name, true);
	a->interval = h->interval;
	a->instance_id = h->instance_id;
	snprintf(a->software, sizeof a->software, "%s", h->software);
	a->last_seen = (int64_t)time(NULL);
	*agent = a;
	*ack = a->seq_stored;
	return 0;
}

int ingest_samples(struct ingest *ing, struct session *s, struct agent_rec *a,
		   const struct sw_sample *x, size_t n)
{
	size_t first = 0, fresh;
	struct rrd_batch *b;

	ing->stats.samples_received += n;
	a->last_seen = (int64_t)time(NULL);
	while (first < n && x[first].seq <= a->seq_accepted)
		first++;
	ing->stats.samples_duplicate += first;
	fresh = n - first;
	if (fresh == 0) {
		/* all seen before: acknowledge now if they are stored, otherwise
		 * the batch carrying them acknowledges when it is */
		if (a->seq_stored >= x[n - 1].seq)
			session_send_ack(s, a->seq_stored);
		return 0;
	}
	b = rrd_batch_new(a->name, a->interval, fresh);
	if (!b) {
		session_close(s, SW_ERR_INTERNAL, "collector out of memory");
		return -ENOMEM;
	}
	memcpy(b->samples, x + first, fresh * sizeof *x);
	b->owner = (void *)(uintptr_t)session_id(s);
	b->epoch = a->write_epoch;
	a->seq_accepted = x[n - 1].seq;
	ing->pending_samples += fresh;
	rrdstore_submit(ing->rrd, b);
	return 1;
}

int ingest_deletions(struct ingest *ing, struct session *s, struct agent_rec *a,
		     const struct sw_deletion *d, size_t n)
{
	int err = ing->on_deletions ? ing->on_deletions(ing->deletions_ctx, a, d, n) : -ENOSYS;

	ing->stats.reports_received += n;
	a->last_seen = (int64_t)time(NULL);
	if (err) {
		log_ratelimited(&ing->fail_rl, LOG_ERR,
				"ingest: cannot store %zu deletion reports of agent '%s': %s; "
				"they will be sent again", n, a->name, strerror(-err));
		session_close(s, SW_ERR_INTERNAL, "collector cannot store deletion reports now");
		return err;
	}
	session_send_delack(s, d[n - 1].id);
	return 0;
}

void ingest_session_gone(struct ingest *ing, struct session *s)
{
	(void)ing;
	/* find the agent whose current session this is: sessions know theirs */
	struct agent_rec *a = session_agent(s);

	if (a && a->session == s) {
		a->session = NULL;
		if (ing->board)
			board_set_connected(ing->board, a->name, false);
	}
}

void ingest_stop(struct ingest *ing)
{
	if (ing->rrd)
		rrdstore_stop(ing->rrd);
	ing->rrd = NULL;
}

bool ingest_overloaded(const struct ingest *ing)
{
	return ing->pending_samples > INGEST_MAX_PENDING_SAMPLES;
}

void ingest_hold(struct ingest *ing)
{
	static struct log_ratelimit hold_rl = LOG_RATELIMIT_INIT(60, 1);

	if (!ing->paused)
		log_ratelimited(&hold_rl, LOG_INFO,
				"ingest: %zu samples wait for the RRD writers; holding every "
				"agent's connection until half are stored",
				ing->pending_samples);
	ing->paused = true;
}

size_t ingest_pending(const struct ingest *ing)
{
	return ing->rrd ? rrdstore_pending(ing->rrd) : 0;
}
