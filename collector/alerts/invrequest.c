/* invrequest.c - loss inventories asked of agents (see invrequest.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invrequest.h"
#include "pathprefix.h"
#include "collector/ledger/inventory.h"
#include "collector/ledger/ledger.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

struct invrequest_pending {
	int64_t id; /* the ledger row, also the INVREQ's req_id */
	char agent[SW_NAME_MAX + 1];
	int64_t started;
	uint64_t young_below;
	struct invrequest_declared declared[INVREQUEST_DECLARED_MAX]; /* left out */
	unsigned ndeclared;
	uint64_t received; /* items in the frames so far */
	size_t bytes;      /* memory the kept items take (INVREQUEST_MAX_BYTES) */
	/* the kept items until the last frame: stored at once, in the
	 * grouped order (their path and exe point into one allocation each) */
	struct inventory_item *items;
	size_t n, cap;
	struct invrequest_pending *next;
};

static void pending_free(struct invrequest_pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		free((void *)p->items[i].path);
	free(p->items);
	free(p);
}

static struct invrequest_pending **find(struct invrequests *iv, int64_t id)
{
	struct invrequest_pending **pp;

	for (pp = &iv->pending; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id)
			return pp;
	return NULL;
}

/* Takes p out of the list and ends its row. */
static void finish(struct invrequests *iv, struct invrequest_pending **pp,
		   enum inventory_state state, const char *error, int64_t now, uint64_t matched,
		   uint64_t truncated)
{
	struct invrequest_pending *p = *pp;

	*pp = p->next;
	if (inventory_finish(iv->ledger->db, p->id, state, error, now, matched, truncated))
		log_err("invrequest: cannot end inventory %lld of agent '%s' in the ledger",
			(long long)p->id, p->agent);
	if (state == INVENTORY_COMPLETE)
		iv->completed++;
	else
		iv->failed++;
	log_info("invrequest: inventory %lld of agent '%s' %s (%llu items received)%s%s",
		 (long long)p->id, p->agent, inventory_state_name(state),
		 (unsigned long long)p->received, error ? ": " : "", error ? error : "");
	pending_free(p);
}

void invrequest_init(struct invrequests *iv, struct ledger *l, const struct invrequest_ops *ops,
		     int64_t now)
{
	memset(iv, 0, sizeof *iv);
	iv->ledger = l;
	iv->ops = *ops;
	iv->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60, 10);
	if (inventory_fail_pending(l->db, "the collector restarted before the agent answered",
				   now))
		log_warn("invrequest: cannot end the inventory requests a previous run left "
			 "pending");
}

void invrequest_release(struct invrequests *iv)
{
	while (iv->pending) {
		struct invrequest_pending *p = iv->pending;

		iv->pending = p->next;
		pending_free(p);
	}
}

static const char *send_error(int err)
{
	switch (err) {
	case -ENOTCONN:
		return "the agent is not connected; ask again when it is (shrinkwatchctl status "
		       "shows when it last delivered)";
	case -EPROTONOSUPPORT:
		return "the agent speaks a protocol version below 3 and keeps no removal "
		       "journal; upgrade it to have inventories";
	default:
		return "the request could not be sent to the agent";
	}
}

int invrequest_start(struct invrequests *iv, const struct invrequest_query *q,
		     const char *who, const char *reason, int64_t now, int64_t *id, char *err,
		     size_t errlen)
{
	struct inventory_rec r;
	struct invrequest_pending *p;
	struct sw_invreq rq;
	char target[2 * SW_NAME_MAX + 32], detail[LEDGER_TEXT_MAX];
	int rc;

	*id = 0;
	memset(&r, 0, sizeof r);
	snprintf(r.agent, sizeof r.agent, "%s", q->agent);
	snprintf(r.store, sizeof r.store, "%s", q->store);
	r.alert_id = q->alert_id;
	r.from = q->from;
	r.to = q->to;
	r.young_below = q->young_below;
	r.journal_dropped = q->journal_dropped;
	snprintf(r.who, sizeof r.who, "%s", who);
	snprintf(r.reason, sizeof r.reason, "%s", reason);
	r.requested_at = now;
	if (q->alert_id)
		snprintf(target, sizeof target, "alert %lld", (long long)q->alert_id);
	else
		snprintf(target, sizeof target, "%s/%s", q->agent, q->store);
	snprintf(detail, sizeof detail, "loss inventory of '%s/%s' removed in [%lld, %lld]%s: %s",
		 q->agent, q->store, (long long)q->from, (long long)q->to,
		 q->young_below ? " (items younger than the retention)" : "", reason);
	p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = ledger_begin(iv->ledger);
	if (!rc) {
		inventory_insert(iv->ledger->db, &r);
		ledger_audit_add(iv->ledger, now, who, "inventory", target, detail);
		rc = r.id ? ledger_commit(iv->ledger) : (ledger_rollback(iv->ledger), -EIO);
	}
	if (rc) {
		free(p);
		snprintf(err, errlen, "the ledger cannot record the request: %s", strerror(-rc));
		return rc;
	}
	*id = r.id;
	p->id = r.id;
	snprintf(p->agent, sizeof p->agent, "%s", q->agent);
	p->started = now;
	p->young_below = q->young_below;
	p->ndeclared = q->ndeclared < INVREQUEST_DECLARED_MAX ? q->ndeclared
							      : INVREQUEST_DECLARED_MAX;
	memcpy(p->declared, q->declared, p->ndeclared * sizeof p->declared[0]);
	p->next = iv->pending;
	iv->pending = p;
	iv->requested++;

	memset(&rq, 0, sizeof rq);
	rq.req_id = (uint64_t)r.id;
	snprintf(rq.store, sizeof rq.store, "%s", q->store);
	rq.from = q->from;
	rq.to = q->to;
	rq.max_items = INVREQUEST_MAX_ITEMS;
	rc = iv->ops.send ? iv->ops.send(iv->ops.ud, q->agent, &rq) : -ENOTCONN;
	if (rc) {
		snprintf(err, errlen, "%s", send_error(rc));
		finish(iv, find(iv, r.id), INVENTORY_FAILED, err, now, 0, 0);
		return rc;
	}
	log_info("invrequest: asked agent '%s' for the inventory of store '%s' (request %lld, "
		 "by %s)", q->agent, q->store, (long long)r.id, who);
	return 0;
}

/* Whether a path-scoped declaration of p explained item x. */
static bool declared(const struct invrequest_pending *p, const struct sw_invitem *x)
{
	for (unsigned i = 0; i < p->ndeclared; i++) {
		const struct invrequest_declared *d = &p->declared[i];

		if (pathprefix_covers(d->prefix, x->path) &&
		    x->removed_before >= d->start && x->removed_after <= d->end)
			return true;
	}
	return false;
}

/* Copies the frame's items into p, keeping the young ones when asked to
 * and leaving out what declared path prefixes explained.  0, -ENOMEM, or
 * -E2BIG when the kept items would take more than INVREQUEST_MAX_BYTES. */
static int keep_items(struct invrequest_pending *p, const struct sw_invitem *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct sw_invitem *x = &items[i];
		size_t pl = strnlen(x->path, SW_PATH_WIRE_MAX), el = strnlen(x->exe, SW_TEXT_MAX);
		struct inventory_item *o;
		char *mem;

		if (p->young_below && x->removed_before - x->birth >= (int64_t)p->young_below)
			continue; /* at or over retention age: the purge's, not the loss */
		if (declared(p, x))
			continue; /* declared by path: explained, not the loss */
		/* the record, its share of the array's doubling, and the text */
		p->bytes += 2 * sizeof *p->items + pl + el + 2;
		if (p->bytes > INVREQUEST_MAX_BYTES)
			return -E2BIG;
		if (p->n == p->cap) {
			size_t cap = p->cap ? 2 * p->cap : 1024;
			struct inventory_item *more = realloc(p->items, cap * sizeof *more);

			if (!more)
				return -ENOMEM;
			p->items = more;
			p->cap = cap;
		}
		mem = malloc(pl + el + 2);
		if (!mem)
			return -ENOMEM;
		memcpy(mem, x->path, pl);
		mem[pl] = '\0';
		memcpy(mem + pl + 1, x->exe, el);
		mem[pl + 1 + el] = '\0';
		o = &p->items[p->n++];
		memset(o, 0, sizeof *o);
		o->path = mem;
		o->path_len = pl;
		o->exe = mem + pl + 1;
		o->exe_len = el;
		o->size = x->size;
		o->birth = x->birth;
		o->removed_after = x->removed_after;
		o->removed_before = x->removed_before;
		o->pid = x->pid;
		o->uid = x->uid;
		o->flags = x->flags;
	}
	return 0;
}

void invrequest_frame(struct invrequests *iv, const char *agent, const struct sw_inventory *hdr,
		      const struct sw_invitem *items, size_t n, int64_t now)
{
	struct invrequest_pending **pp = find(iv, (int64_t)hdr->req_id), *p;
	int rc;

	if (!pp || strcmp((*pp)->agent, agent)) {
		log_ratelimited(&iv->rl, LOG_INFO, "invrequest: agent '%s' answered request %llu, "
				"which is not pending (timed out, failed, or asked before a "
				"restart): dropped", agent, (unsigned long long)hdr->req_id);
		return;
	}
	p = *pp;
	if (hdr->status == SW_INV_REFUSED) {
		char why[LEDGER_TEXT_MAX], shown[900];

		/* the agent's own words: hostile text for the log and terminals */
		name_printable(n && items[0].path[0] ? items[0].path : "no reason given", shown,
			       sizeof shown);
		snprintf(why, sizeof why, "the agent refused: %s", shown);
		finish(iv, pp, INVENTORY_REFUSED, why, now, 0, 0);
		return;
	}
	if (now - p->started > INVREQUEST_TIMEOUT_S) {
		finish(iv, pp, INVENTORY_FAILED, "the agent did not finish its answer in time; ask "
		       "again, for a shorter window if it is large", now, 0, 0);
		return;
	}
	p->received += n;
	if (p->received > INVREQUEST_MAX_ITEMS) {
		finish(iv, pp, INVENTORY_FAILED, "the agent sent more items than the collector "
		       "asked for (a broken or hostile agent); nothing was kept", now, 0, 0);
		return;
	}
	rc = keep_items(p, items, n);
	if (rc) {
		char why[256];

		if (rc == -E2BIG)
			snprintf(why, sizeof why, "the items passed the collector's memory bound for "
				 "one inventory (%u MiB); ask for a shorter window with "
				 "shrinkwatchctl lost --from/--to", INVREQUEST_MAX_BYTES >> 20);
		else
			snprintf(why, sizeof why, "the collector ran out of memory for the items");
		finish(iv, pp, INVENTORY_FAILED, why, now, 0, 0);
		return;
	}
	if (hdr->status != SW_INV_LAST)
		return;
	/* the whole answer: stored at once, in the grouped order */
	rc = ledger_begin(iv->ledger);
	if (!rc) {
		if (inventory_add_items(iv->ledger->db, p->id, p->items, p->n))
			ledger_rollback(iv->ledger);
		rc = ledger_commit(iv->ledger);
	}
	if (rc)
		finish(iv, pp, INVENTORY_FAILED, "the ledger could not store the items", now, 0, 0);
	else
		finish(iv, pp, INVENTORY_COMPLETE, NULL, now, hdr->total_items, hdr->truncated);
}

void invrequest_agent_gone(struct invrequests *iv, const char *agent, int64_t now)
{
	struct invrequest_pending **pp = &iv->pending;

	while (*pp) {
		if (!strcmp((*pp)->agent, agent))
			finish(iv, pp, INVENTORY_FAILED,
			       "the agent disconnected before it answered; ask again when it is "
			       "back", now, 0, 0);
		else
			pp = &(*pp)->next;
	}
}

void invrequest_expire(struct invrequests *iv, int64_t now)
{
	struct invrequest_pending **pp = &iv->pending;

	while (*pp) {
		if (now - (*pp)->started > INVREQUEST_TIMEOUT_S)
			finish(iv, pp, INVENTORY_FAILED,
			       "the agent did not answer in time (disconnected?); ask again", now, 0,
			       0);
		else
			pp = &(*pp)->next;
	}
}
