/* ingest.c - deduplication, RRD batches and acknowledgements (see ingest.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/store/board.h"
#include "ingest.h"
#include "collector/store/rrdstore.h"
#include "shrinkwatch/banned.h"

/* Outlives its connection while batches taken from it are with the writers:
 * a batch names its conn (rrd_batch.owner), so the pointer stays valid. */
struct ingest_conn {
	const struct ingest_conn_ops *ops;
	void *ud;                /* NULL once the connection is gone */
	struct agent_rec *agent;
	unsigned batches;        /* with the writers */
	uint8_t version;         /* ingest_conn_speaks(); 0 = not said */
	uint64_t policy_sum;     /* of the POLICY last sent (version 3) */
	char peer[64];
	struct ingest_conn *prev, *next; /* ing->conns */
};

static void conn_free(struct ingest *ing, struct ingest_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		ing->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/* The agent's current connection, or NULL. */
static struct ingest_conn *current_conn(struct ingest *ing, const struct agent_rec *a)
{
	return strmap_get(&ing->current, a->name);
}

static void resume_all(struct ingest *ing)
{
	struct ingest_conn *c, *next;

	for (c = ing->conns; c; c = next) {
		next = c->next;
		if (c->ud)
			c->ops->resume(c->ud);
	}
}

/* FNV-1a over the entries: whether a POLICY says anything new. */
static uint64_t policy_sum(const struct sw_policy *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++) {
		const unsigned char *s = (const unsigned char *)p[i].store;

		for (; *s; s++)
			h = (h ^ *s) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;
		for (int k = 0; k < 64; k += 8)
			h = (h ^ ((p[i].retention >> k) & 0xff)) * 1099511628211ull;
	}
	return h;
}

/* Sends c's agent its POLICY (version 3): always, or only when it changed
 * since the last one sent. */
static void send_policy(struct ingest *ing, struct ingest_conn *c, bool always)
{
	static struct sw_policy pol[SW_POLICY_MAX];
	size_t n = 0;
	uint64_t sum;

	if (c->version < SW_PROTO_VERSION_EXACT || !c->ud)
		return;
	if (ing->policy)
		n = ing->policy(ing->v3_ctx, c->agent, pol, SW_POLICY_MAX);
	sum = policy_sum(pol, n);
	if (!always && sum == c->policy_sum)
		return;
	c->policy_sum = sum;
	if (c->ops->send_policy(c->ud, pol, n))
		log_warn("ingest: cannot send agent '%s' its policy (%zu stores)", c->agent->name,
			 n);
}

static void batch_done(struct rrd_batch *b, void *ctx)
{
	struct ingest *ing = ctx;
	struct agent_rec *a = registry_agent(ing->reg, b->agent, 0);
	struct ingest_conn *owner = b->owner, *cur;

	ing->stats.batches++;
	ing->pending_samples -= b->n;
	if (ing->paused && ing->pending_samples <= INGEST_MAX_PENDING_SAMPLES / 2) {
		ing->paused = false;
		resume_all(ing);
	}
	ing->stats.write_usec_total += b->write_usec;
	if (b->write_usec > ing->stats.write_usec_max)
		ing->stats.write_usec_max = b->write_usec;
	if (!a)
		goto out; /* cannot happen: agents are never removed */

	if (b->err) {
		ing->stats.batches_failed++;
		if (b->epoch == a->write_epoch) {
			log_ratelimited(&ing->fail_rl, LOG_ERR,
					"ingest: cannot store %zu samples of agent '%s': %s; "
					"they will be sent again",
					b->n, a->name, b->errtext);
			a->write_epoch++;
			a->seq_accepted = a->seq_stored;
			if ((cur = current_conn(ing, a)))
				cur->ops->close(cur->ud, SW_ERR_INTERNAL,
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
	if (b->already)
		log_info("ingest: agent '%s': %zu samples sent again were in their RRD already "
			 "(written before a restart that did not record their seq)",
			 a->name, b->already);
	log_debug("ingest: agent '%s': seq %llu-%llu (%zu samples): %zu stored, %zu not newer "
		  "than their RRD, %zu there already", a->name,
		  (unsigned long long)b->samples[0].seq,
		  (unsigned long long)b->samples[b->n - 1].seq, b->n, b->stored, b->dropped_old,
		  b->already);
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
	if (owner->ud)
		owner->ops->batch_done(owner->ud);
	if ((cur = current_conn(ing, a))) {
		send_policy(ing, cur, false); /* a new store, a learned retention */
		cur->ops->send_ack(cur->ud, a->seq_stored);
	}
out:
	/* Counted until here: closing the connection above (a failed batch) or
	 * a failed ACK ends in ingest_conn_gone(), which must not free owner
	 * while this batch still uses it. */
	owner->batches--;
	if (!owner->ud && !owner->batches)
		conn_free(ing, owner);
	rrd_batch_free(b);
}

int ingest_init(struct ingest *ing, uv_loop_t *loop, const struct collector_config *cfg,
		struct registry *reg, struct board *board, struct rrdstore *rrd)
{
	memset(ing, 0, sizeof *ing);
	ing->loop = loop;
	ing->cfg = cfg;
	ing->reg = reg;
	ing->board = board;
	ing->old_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 5);
	ing->fail_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 5);
	ing->rrd = rrd;
	strmap_init(&ing->current);
	return 0;
}

void ingest_on_deletions(struct ingest *ing, ingest_deletions_fn fn, void *ctx)
{
	ing->on_deletions = fn;
	ing->deletions_ctx = ctx;
}

void ingest_on_v3(struct ingest *ing, ingest_policy_fn policy, ingest_inventory_fn inventory,
		  ingest_v3_gone_fn gone, void *ctx)
{
	ing->policy = policy;
	ing->inventory = inventory;
	ing->v3_gone = gone;
	ing->v3_ctx = ctx;
}

void ingest_on_digests(struct ingest *ing, ingest_digests_fn fn, void *ctx)
{
	ing->digests = fn;
	ing->digests_ctx = ctx;
}

void ingest_conn_speaks(struct ingest *ing, struct ingest_conn *c, uint8_t version)
{
	c->version = version;
	send_policy(ing, c, true);
}

void ingest_policy_changed(struct ingest *ing)
{
	for (struct ingest_conn *c = ing->conns; c; c = c->next)
		send_policy(ing, c, true);
}

int ingest_invreq(struct ingest *ing, const char *agent, const struct sw_invreq *rq)
{
	struct ingest_conn *c = strmap_get(&ing->current, agent);

	if (!c || !c->ud)
		return -ENOTCONN;
	if (c->version < SW_PROTO_VERSION_EXACT)
		return -EPROTONOSUPPORT;
	return c->ops->send_invreq(c->ud, rq);
}

int ingest_digreq(struct ingest *ing, const char *agent, const struct sw_digreq *rq)
{
	struct ingest_conn *c = strmap_get(&ing->current, agent);

	if (!c || !c->ud)
		return -ENOTCONN;
	if (c->version < SW_PROTO_VERSION_EXACT || !c->ops->send_digreq)
		return -EPROTONOSUPPORT;
	return c->ops->send_digreq(c->ud, rq);
}

int ingest_digests(struct ingest *ing, struct ingest_conn *c, const struct sw_digests *hdr,
		   const struct sw_digentry *entries, size_t n)
{
	c->agent->last_seen = (int64_t)time(NULL);
	if (ing->digests)
		ing->digests(ing->digests_ctx, c->agent, hdr, entries, n);
	return 0;
}

int ingest_inventory(struct ingest *ing, struct ingest_conn *c, const struct sw_inventory *hdr,
		     const struct sw_invitem *items, size_t n)
{
	c->agent->last_seen = (int64_t)time(NULL);
	if (ing->inventory)
		ing->inventory(ing->v3_ctx, c->agent, hdr, items, n);
	return 0;
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

int ingest_hello(struct ingest *ing, const struct sw_hello *h, const struct ingest_conn_ops *ops,
		 void *ud, const char *peer, struct ingest_conn **conn, struct agent_rec **agent,
		 uint64_t *ack)
{
	struct agent_rec *a = registry_agent(ing->reg, h->agent, 1);
	struct ingest_conn *c, *old;

	if (!a)
		return -ENOMEM;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->ops = ops;
	c->ud = ud;
	c->agent = a;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	ing->stats.hellos++;
	if ((old = current_conn(ing, a))) {
		log_info("ingest: agent '%s' reconnected from %s; closing its older connection "
			 "from %s", a->name, c->peer, old->peer);
		old->ops->close(old->ud, 0, NULL); /* calls ingest_conn_gone(old) */
	}
	if (strmap_put(&ing->current, a->name, c)) {
		free(c);
		return -ENOMEM;
	}
	c->next = ing->conns;
	if (ing->conns)
		ing->conns->prev = c;
	ing->conns = c;
	if (a->interval && a->interval != h->interval)
		log_notice("ingest: agent '%s' changed its interval from %u s to %u s; existing "
			   "RRD files keep their step", a->name, a->interval, h->interval);
	if (ing->board)
		board_set_connected(ing->board, a->name, true);
	a->interval = h->interval;
	a->instance_id = h->instance_id;
	snprintf(a->software, sizeof a->software, "%s", h->software);
	a->last_seen = (int64_t)time(NULL);
	*conn = c;
	*agent = a;
	*ack = a->seq_stored;
	return 0;
}

int ingest_samples(struct ingest *ing, struct ingest_conn *c, const struct sw_sample *x,
		   size_t n)
{
	struct agent_rec *a = c->agent;
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
			c->ops->send_ack(c->ud, a->seq_stored);
		return 0;
	}
	b = rrd_batch_new(a->name, a->interval, fresh);
	if (!b) {
		c->ops->close(c->ud, SW_ERR_INTERNAL, "collector out of memory");
		return -ENOMEM;
	}
	memcpy(b->samples, x + first, fresh * sizeof *x);
	b->owner = c;
	c->batches++;
	b->epoch = a->write_epoch;
	a->seq_accepted = x[n - 1].seq;
	ing->pending_samples += fresh;
	rrdstore_submit(ing->rrd, b, batch_done, ing);
	return 1;
}

int ingest_deletions(struct ingest *ing, struct ingest_conn *c, const struct sw_deletion *d,
		     size_t n)
{
	struct agent_rec *a = c->agent;
	int err = ing->on_deletions ? ing->on_deletions(ing->deletions_ctx, a, d, n) : -ENOSYS;

	ing->stats.reports_received += n;
	a->last_seen = (int64_t)time(NULL);
	if (err) {
		/* Not acknowledged, but the link stays: the samples behind the
		 * reports must still arrive (a full ledger must not blind the
		 * detector).  The agent keeps the reports and sends them again
		 * on this link once they have waited SHIP_DELACK_TIMEOUT_MS for
		 * a DELACK (agent/ship.h), however busy the samples keep it. */
		ing->stats.reports_unstored += n;
		log_ratelimited(&ing->fail_rl, LOG_ERR,
				"ingest: cannot store %zu deletion reports of agent '%s': %s; "
				"not acknowledged: the agent keeps them and sends them again",
				n, a->name, strerror(-err));
		return err;
	}
	c->ops->send_delack(c->ud, d[n - 1].id);
	return 0;
}

void ingest_conn_gone(struct ingest *ing, struct ingest_conn *c)
{
	struct agent_rec *a = c->agent;

	if (current_conn(ing, a) == c) {
		strmap_del(&ing->current, a->name);
		if (ing->board)
			board_set_connected(ing->board, a->name, false);
		if (c->version >= SW_PROTO_VERSION_EXACT && ing->v3_gone)
			ing->v3_gone(ing->v3_ctx, a);
	}
	c->ud = NULL;
	if (!c->batches)
		conn_free(ing, c);
}

void ingest_release(struct ingest *ing)
{
	ing->rrd = NULL;
	while (ing->conns)
		conn_free(ing, ing->conns);
	strmap_release(&ing->current);
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
