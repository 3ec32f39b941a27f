/*
 * invrequest.h - asking an agent which items left a store (loss inventory).
 *
 * Paths never leave the evidence server unasked: only an administrator's
 * request (`shrinkwatchctl lost`, with a required reason) makes the
 * collector send INVREQ to the agent over its mutual-TLS session; the
 * request, the asker and the reason go into the audit trail in the same
 * transaction as the request's row, and what the agent's INVENTORY frames
 * bring is kept in the ledger (collector/ledger/inventory.h) so it outlives
 * the agent's removal journal.
 *
 * For an alert of a store with exact accounting the collector keeps only
 * the items younger than the store's retention at their removal (the ones
 * the alert is about: a purge's old items in the same minute are not the
 * loss); for a window, or a store without a known retention, every item.
 *
 * Runs on the loop thread.  The agent is reached through an ops callback
 * handed in by the composition (collector/main.c: ingest_invreq()), never
 * an include of net/.
 */
#ifndef SHRINKWATCH_COLLECTOR_INVREQUEST_H
#define SHRINKWATCH_COLLECTOR_INVREQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/log.h"
#include "shrinkwatch/proto.h"

struct ledger;

/* A request not answered completely within this many seconds fails. */
#define INVREQUEST_TIMEOUT_S 60
/* Most items asked of an agent for one request.  An agent that sends more
 * (a hostile or broken one) fails the request: the items are held in memory
 * until the last frame, and nothing else would end the stream. */
#define INVREQUEST_MAX_ITEMS 1000000u
/* Most memory the items kept for one request may take (paths, programs and
 * their records) before the last frame; past it the request fails and asks
 * for a shorter window.  256 MiB: a million items of about 100-byte paths. */
#define INVREQUEST_MAX_BYTES (256u << 20)
/* Declared path prefixes an alert's inventory leaves out, at most. */
#define INVREQUEST_DECLARED_MAX 8

struct invrequest_ops {
	/* Sends rq to agent: 0, -ENOTCONN (not connected), -EPROTONOSUPPORT
	 * (the agent speaks a version below 3), or another negative errno. */
	int (*send)(void *ud, const char *agent, const struct sw_invreq *rq);
	void *ud;
};

struct invrequest_query {
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	int64_t alert_id;     /* 0 = a window */
	int64_t from, to;     /* removal brackets overlapping [from, to] */
	uint64_t young_below; /* keep only items younger than this (s); 0 = all */
	/* the store's last sample's journal_dropped: the inventory may be
	 * incomplete when it is not 0 */
	uint64_t journal_dropped;
	/* An alert's inventory leaves out the items path-scoped declared
	 * deletions explained (pathhold.h): under one of these prefixes and
	 * removed inside its window.  ndeclared 0 = none. */
	struct invrequest_declared {
		char prefix[SW_TEXT_MAX + 1];
		int64_t start, end;
	} declared[INVREQUEST_DECLARED_MAX];
	unsigned ndeclared;
};

struct invrequest_pending;

struct invrequests {
	struct ledger *ledger;
	struct invrequest_ops ops;
	struct invrequest_pending *pending; /* requests waiting for frames */
	uint64_t requested, completed, failed;
	struct log_ratelimit rl; /* frames of requests not pending: an agent's at will */
};

/*
 * Sets iv up on ledger l (borrowed) with ops (copied), and ends as failed
 * every request a previous run left pending (its frames will not come).
 */
void invrequest_init(struct invrequests *iv, struct ledger *l, const struct invrequest_ops *ops,
		     int64_t now);
/* Forgets the pending requests (shutdown); the ledger keeps them pending
 * until the next invrequest_init(). */
void invrequest_release(struct invrequests *iv);

/*
 * Records the request (who and reason in the audit trail, one transaction)
 * and sends it.  *id is the request's ledger row (set whenever the row was
 * written).  Returns 0 when it was sent, or a negative errno with a
 * sentence in err: the agent not connected or too old (the row is then
 * finished as failed, with that sentence), or the ledger's failure.
 */
int invrequest_start(struct invrequests *iv, const struct invrequest_query *q,
		     const char *who, const char *reason, int64_t now, int64_t *id, char *err,
		     size_t errlen);

/* One INVENTORY frame of agent (ingest's inventory hook, through main.c):
 * its items to the ledger; the last frame (or a refusal) ends the request.
 * Frames of a request not pending (a previous run's) are dropped, logged
 * rate-limited.  A frame past the request's INVREQUEST_TIMEOUT_S, or one
 * that brings the request past INVREQUEST_MAX_ITEMS items or its kept items
 * past INVREQUEST_MAX_BYTES, fails the request with a sentence the asker
 * sees (an agent's endless SW_INV_MORE frames cannot exhaust memory).  A
 * refusal's text from the agent is logged and stored with its control
 * characters replaced (name_printable()). */
void invrequest_frame(struct invrequests *iv, const char *agent, const struct sw_inventory *hdr,
		      const struct sw_invitem *items, size_t n, int64_t now);

/* Agent's connection went: ends its pending requests as failed (their
 * frames would come on that connection), so nobody waits for the timeout. */
void invrequest_agent_gone(struct invrequests *iv, const char *agent, int64_t now);
/* Ends as failed every pending request older than INVREQUEST_TIMEOUT_S.
 * The composition calls it from a periodic timer (collector/main.c's status
 * tick), so a request ends on time when nobody asks about it; the control
 * commands call it too, before they read a request. */
void invrequest_expire(struct invrequests *iv, int64_t now);

#endif
