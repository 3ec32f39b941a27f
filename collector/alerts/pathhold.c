/* pathhold.c - path-scoped declared deletions (see pathhold.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathhold.h"
#include "pathprefix.h"
#include "collector/ledger/ledger.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

/* One prefix asked for the held sample at the head of a store's queue. */
struct ask {
	uint64_t id;
	char prefix[LEDGER_PREFIX_MAX];
	int64_t start, end; /* the declarations' window for this prefix */
	bool done;
};

struct pathhold_store {
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	struct sw_sample q[PATHHOLD_QUEUE_MAX]; /* q[0] is the held one */
	size_t n;
	int64_t prev;  /* time of the complete sample before q[0] */
	bool asking;   /* q[0] waits for the asks below */
	int64_t deadline;
	struct ask asks[PATHHOLD_PREFIXES_MAX];
	unsigned nasks, pending;
	double explained[2]; /* bytes, objects the answers so far explain */
	struct pathhold_store *next;
};

void pathhold_init(struct pathhold *h, struct ledger *l, const struct pathhold_ops *ops)
{
	memset(h, 0, sizeof *h);
	h->ledger = l;
	h->ops = *ops;
}

void pathhold_set_sender(struct pathhold *h,
			 int (*send)(void *ud, const char *agent, const struct sw_invreq *rq),
			 void *ud)
{
	h->ops.send = send;
	h->ops.send_ud = ud;
}

/* Young removal the detector would judge: only then is an answer worth it. */
static bool has_young(const struct sw_sample *s)
{
	return (s->flags & SW_SAMPLE_EXACT) && (s->flags & SW_SAMPLE_YOUNG_SPLIT) &&
	       s->retention && s->removed_young_objects > 0 && s->status == SW_SCAN_COMPLETE;
}

struct collect {
	struct pathhold_store *hs;
	int64_t from, to; /* the held sample's removal bracket */
};

/* An active declaration of the held store with a prefix and a window that
 * overlaps the bracket: its prefix joins the asks (merged with an equal
 * one, dropped under a shorter one it starts with, replacing longer ones
 * that start with it -- so no item is counted twice). */
static int collect_one(void *ctx, const struct ledger_explain *e)
{
	struct collect *c = ctx;
	struct pathhold_store *hs = c->hs;
	size_t pl = strlen(e->prefix);
	unsigned i;

	if (!pl || strcmp(e->agent, hs->agent) || strcmp(e->store, hs->store) ||
	    e->start > c->to || e->end < c->from)
		return 0;
	for (i = 0; i < hs->nasks; i++) {
		struct ask *a = &hs->asks[i];

		if (pathprefix_covers(a->prefix, e->prefix)) {
			/* equal, or e's is under a's: a's covers it */
			if (e->start < a->start)
				a->start = e->start;
			if (e->end > a->end)
				a->end = e->end;
			return 0;
		}
		if (pathprefix_covers(e->prefix, a->prefix)) {
			/* a's is under e's: e's replaces it */
			snprintf(a->prefix, sizeof a->prefix, "%s", e->prefix);
			if (e->start < a->start)
				a->start = e->start;
			if (e->end > a->end)
				a->end = e->end;
			return 0;
		}
	}
	if (hs->nasks == PATHHOLD_PREFIXES_MAX) {
		log_warn("pathhold: '%s/%s' has more than %d declared path prefixes active; "
			 "explanation %lld is not asked for",
			 hs->agent, hs->store, PATHHOLD_PREFIXES_MAX, (long long)e->id);
		return 0;
	}
	memset(&hs->asks[hs->nasks], 0, sizeof hs->asks[0]);
	snprintf(hs->asks[hs->nasks].prefix, sizeof hs->asks[0].prefix, "%s", e->prefix);
	hs->asks[hs->nasks].start = e->start;
	hs->asks[hs->nasks].end = e->end;
	hs->nasks++;
	return 0;
}

/*
 * Asks the agent about the head sample, one INVREQ per prefix; returns how
 * many are pending (0: nothing to ask, or nothing could be sent).
 */
static unsigned ask_head(struct pathhold *h, struct pathhold_store *hs, int64_t now)
{
	const struct sw_sample *s = &hs->q[0];
	struct collect c = { .hs = hs, .from = hs->prev, .to = s->time };
	struct sw_invreq rq;
	unsigned i;
	int rc;

	hs->nasks = hs->pending = 0;
	hs->explained[0] = hs->explained[1] = 0;
	if (!has_young(s))
		return 0;
	/* the ledger says which declarations are active at the sample's time */
	if (ledger_explain_each(h->ledger, s->time, collect_one, &c)) {
		log_err("pathhold: cannot read the declarations of '%s/%s': its sample is "
			"judged without them", hs->agent, hs->store);
		return 0;
	}
	for (i = 0; i < hs->nasks; i++) {
		struct ask *a = &hs->asks[i];

		memset(&rq, 0, sizeof rq);
		a->id = PATHHOLD_REQ_BIT | ++h->next_id;
		rq.req_id = a->id;
		snprintf(rq.store, sizeof rq.store, "%s", hs->store);
		/* the removal brackets of this sample end at its time */
		rq.from = s->time;
		rq.to = s->time;
		rq.max_items = 0;
		snprintf(rq.prefix, sizeof rq.prefix, "%s", a->prefix);
		rc = h->ops.send ? h->ops.send(h->ops.send_ud, hs->agent, &rq) : -ENOTCONN;
		if (rc) {
			a->done = true;
			log_warn("pathhold: cannot ask agent '%s' which young items of store '%s' "
				 "were under the declared prefix '%s': %s; they count as unexplained",
				 hs->agent, hs->store, a->prefix, strerror(-rc));
			continue;
		}
		h->asked++;
		hs->pending++;
	}
	if (hs->pending) {
		hs->asking = true;
		hs->deadline = now + PATHHOLD_TIMEOUT_S;
		h->held++;
		log_info("pathhold: sample %lld of '%s/%s' (%llu young items removed) held for "
			 "the agent's answer on %u declared path prefixes",
			 (long long)s->time, hs->agent, hs->store,
			 (unsigned long long)s->removed_young_objects, hs->pending);
	}
	return hs->pending;
}

/* Judges the head with what was answered and moves on. */
static void judge_head(struct pathhold *h, struct pathhold_store *hs, int64_t now)
{
	h->ops.judge(h->ops.judge_ud, hs->agent, hs->store, &hs->q[0], hs->explained, now);
	if (hs->q[0].status == SW_SCAN_COMPLETE)
		hs->prev = hs->q[0].time;
	hs->n--;
	memmove(&hs->q[0], &hs->q[1], hs->n * sizeof hs->q[0]);
	hs->asking = false;
	hs->nasks = hs->pending = 0;
	hs->explained[0] = hs->explained[1] = 0;
}

/* Judges queued samples until one must wait for an answer. */
static void advance(struct pathhold *h, struct pathhold_store *hs, int64_t now)
{
	while (hs->n && !hs->asking)
		if (!ask_head(h, hs, now))
			judge_head(h, hs, now);
}

/* Frees the stores with nothing held. */
static void sweep(struct pathhold *h)
{
	struct pathhold_store **pp = &h->stores;

	while (*pp) {
		if ((*pp)->n) {
			pp = &(*pp)->next;
		} else {
			struct pathhold_store *d = *pp;

			*pp = d->next;
			free(d);
		}
	}
}

static struct pathhold_store *find(struct pathhold *h, const char *agent, const char *store)
{
	for (struct pathhold_store *hs = h->stores; hs; hs = hs->next)
		if (!strcmp(hs->agent, agent) && !strcmp(hs->store, store))
			return hs;
	return NULL;
}

bool pathhold_take(struct pathhold *h, const char *agent, const char *store,
		   const struct sw_sample *s, int64_t prev, int64_t now)
{
	struct pathhold_store *hs = find(h, agent, store);

	if (!hs) {
		if (!has_young(s))
			return false;
		hs = calloc(1, sizeof *hs);
		if (!hs) {
			log_err("pathhold: out of memory: sample of '%s/%s' judged without the "
				"declared path prefixes", agent, store);
			return false;
		}
		snprintf(hs->agent, sizeof hs->agent, "%s", agent);
		snprintf(hs->store, sizeof hs->store, "%s", store);
		hs->prev = prev;
		hs->next = h->stores;
		h->stores = hs;
	}
	if (hs->n == PATHHOLD_QUEUE_MAX) {
		log_warn("pathhold: %d samples of '%s/%s' wait behind a held one: it is judged "
			 "now, without the answers still missing", PATHHOLD_QUEUE_MAX, agent, store);
		h->unanswered++;
		judge_head(h, hs, now);
	}
	hs->q[hs->n++] = *s;
	advance(h, hs, now);
	sweep(h);
	return true;
}

/* Counts the frame's items that the held sample's declaration explains. */
static void count_items(struct pathhold_store *hs, const struct ask *a,
			const struct sw_invitem *items, size_t n)
{
	const struct sw_sample *s = &hs->q[0];

	for (size_t i = 0; i < n; i++) {
		const struct sw_invitem *x = &items[i];

		/* a path cut to inventory_depth may not show the prefix: not
		 * provably under it, so not explained; nor is a sibling that
		 * only starts with the same bytes (2021/case4411 for 2021/case44) */
		if (!pathprefix_covers(a->prefix, x->path))
			continue;
		/* removed in this sample's bracket, inside the declaration */
		if (x->removed_before <= hs->prev || x->removed_before > s->time ||
		    x->removed_before < a->start || x->removed_after > a->end)
			continue;
		/* young at removal, as the agent split it */
		if (x->removed_before - x->birth >= (int64_t)s->retention)
			continue;
		hs->explained[0] += (double)x->size;
		hs->explained[1] += 1;
	}
}

void pathhold_frame(struct pathhold *h, const char *agent, const struct sw_inventory *hdr,
		    const struct sw_invitem *items, size_t n, int64_t now)
{
	struct pathhold_store *hs;
	struct ask *a = NULL;

	for (hs = h->stores; hs && !a; hs = hs->next) {
		if (!hs->asking || strcmp(hs->agent, agent))
			continue;
		for (unsigned i = 0; i < hs->nasks && !a; i++)
			if (hs->asks[i].id == hdr->req_id && !hs->asks[i].done)
				a = &hs->asks[i];
		if (a)
			break;
	}
	if (!a) {
		log_info("pathhold: agent '%s' answered request %llu, which is not pending "
			 "(timed out?): dropped", agent, (unsigned long long)(hdr->req_id &
									 ~PATHHOLD_REQ_BIT));
		return;
	}
	if (hdr->status == SW_INV_REFUSED) {
		char why[301], prefix[LEDGER_PREFIX_MAX];

		/* the agent's words (and an operator's prefix) are hostile text
		 * for the log: control characters replaced */
		name_printable(n && items[0].path[0] ? items[0].path : "?", why, sizeof why);
		name_printable(a->prefix, prefix, sizeof prefix);
		log_warn("pathhold: agent '%s' refused to list store '%s' under '%s': %s; its "
			 "young removal counts as unexplained", agent, hs->store, prefix, why);
	} else {
		count_items(hs, a, items, n);
		if (hdr->status != SW_INV_LAST)
			return;
		if (hdr->truncated)
			log_warn("pathhold: agent '%s' left %u items of '%s' under '%s' out of its "
				 "answer; they count as unexplained",
				 agent, hdr->truncated, hs->store, a->prefix);
	}
	a->done = true;
	if (--hs->pending)
		return;
	h->answered++;
	log_info("pathhold: sample %lld of '%s/%s': %.0f of %llu young items removed were "
		 "under declared path prefixes", (long long)hs->q[0].time, hs->agent, hs->store,
		 hs->explained[1], (unsigned long long)hs->q[0].removed_young_objects);
	judge_head(h, hs, now);
	advance(h, hs, now);
	sweep(h);
}

/* Judges the held head of hs without the answers still missing. */
static void give_up(struct pathhold *h, struct pathhold_store *hs, const char *why,
		    int64_t now)
{
	log_warn("pathhold: sample %lld of '%s/%s' judged without %u answers of the agent "
		 "(%s): the young items they would cover count as unexplained",
		 (long long)hs->q[0].time, hs->agent, hs->store, hs->pending, why);
	h->unanswered++;
	judge_head(h, hs, now);
	advance(h, hs, now);
}

void pathhold_agent_gone(struct pathhold *h, const char *agent, int64_t now)
{
	for (struct pathhold_store *hs = h->stores; hs; hs = hs->next)
		if (hs->asking && !strcmp(hs->agent, agent))
			give_up(h, hs, "the agent disconnected", now);
	sweep(h);
}

void pathhold_expire(struct pathhold *h, int64_t now)
{
	for (struct pathhold_store *hs = h->stores; hs; hs = hs->next)
		while (hs->asking && now >= hs->deadline)
			give_up(h, hs, "no answer in time", now);
	sweep(h);
}

void pathhold_stop(struct pathhold *h, int64_t now)
{
	for (struct pathhold_store *hs = h->stores; hs; hs = hs->next) {
		if (hs->asking) {
			log_warn("pathhold: sample %lld of '%s/%s' judged without %u answers of "
				 "the agent (the collector stops)",
				 (long long)hs->q[0].time, hs->agent, hs->store, hs->pending);
			h->unanswered++;
		}
		/* nothing more is asked: the later ones explain nothing by path */
		while (hs->n)
			judge_head(h, hs, now);
	}
	sweep(h);
}
