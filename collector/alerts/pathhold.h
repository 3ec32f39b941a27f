/*
 * pathhold.h - path-scoped declared deletions: the agent's answer before the
 * detector judges.
 *
 * `shrinkwatchctl explain AGENT/STORE --from T --to T --path 2021/case4411/`
 * declares that items under a prefix will be deleted; it covers exactly
 * those items, not a number of bytes.  Only the agent knows which items a
 * sample's removal was (paths never leave it unasked), so when an exact
 * sample shows removal of items younger than the retention on a store with
 * an active path-scoped declaration, the collector holds the sample back
 * from the detector and asks the agent (INVREQ, over the agent's mutual-TLS
 * session) for the journal entries of that sample's removal bracket under
 * each declared prefix -- the agent filters by prefix, so no other path
 * leaves it.  A prefix covers items by path component (pathprefix.h):
 * 2021/case44 explains nothing in 2021/case4411/.  The answer's young items, counted here and never stored, are
 * handed to the detector as the sample's explained_young (detect.h), which
 * counts exactly them as declared and the rest of the young removal as
 * unexplained: items deleted outside the prefix in the same minute alert.
 *
 * Holding costs timeliness only, never the alert: a sample waits at most
 * PATHHOLD_TIMEOUT_S for the answer (a timer checks, pathhold_expire()); an
 * agent that is not connected, refuses, disconnects or does not answer in
 * time has its sample judged with what was answered -- an unanswered prefix
 * explains nothing, so the young loss alerts.  Later samples of the same
 * store wait behind a held one (the detector takes a store's samples in
 * time order), at most PATHHOLD_QUEUE_MAX; at shutdown every held sample is
 * judged with what was answered so far.
 *
 * The detector stays pure: it gets the count as an input.  The requests are
 * logged; the declaration (with its prefix and who filed it) is in the audit
 * trail (explanations.h).  Their req_ids have PATHHOLD_REQ_BIT set, so the
 * composition (collector/main.c) routes INVENTORY frames here instead of to
 * the administrators' inventories (invrequest.h, whose ids are ledger rows).
 *
 * Runs on the loop thread.
 */
#ifndef SHRINKWATCH_COLLECTOR_PATHHOLD_H
#define SHRINKWATCH_COLLECTOR_PATHHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/proto.h"
#include "shrinkwatch/sample.h"

struct ledger;

/* A held sample is judged without the missing answers after this long. */
#define PATHHOLD_TIMEOUT_S 30
/* Samples of one store waiting behind a held one; past it the held one is
 * judged at once with what was answered. */
#define PATHHOLD_QUEUE_MAX 64
/* Distinct prefixes asked for one sample (more active declarations are
 * asked for in the order they were filed; the rest explain nothing). */
#define PATHHOLD_PREFIXES_MAX 8
/* The req_id bit of these requests (invrequest.h's ids are ledger rows). */
#define PATHHOLD_REQ_BIT (UINT64_C(1) << 62)

struct pathhold_ops {
	/* Sends rq to agent: 0, or a negative errno (not connected, agent below
	 * version 3, ...).  May be NULL until set: then nothing is asked. */
	int (*send)(void *ud, const char *agent, const struct sw_invreq *rq);
	void *send_ud;
	/* Judges sample s of agent/store with explained[0] bytes and
	 * explained[1] objects of young removal explained by path: the caller's
	 * detector feed.  Required. */
	void (*judge)(void *ud, const char *agent, const char *store, const struct sw_sample *s,
		      const double explained[2], int64_t now);
	void *judge_ud;
};

struct pathhold_store;

struct pathhold {
	struct ledger *ledger; /* borrowed: the active declarations */
	struct pathhold_ops ops;
	struct pathhold_store *stores; /* stores with held samples */
	uint64_t next_id;
	uint64_t held, asked, answered, unanswered; /* counters, for logs and tests */
};

/* Sets h up on ledger l (borrowed) with ops (copied). */
void pathhold_init(struct pathhold *h, struct ledger *l, const struct pathhold_ops *ops);
/* Sets the sender (the composition knows the agents' sessions). */
void pathhold_set_sender(struct pathhold *h,
			 int (*send)(void *ud, const char *agent, const struct sw_invreq *rq),
			 void *ud);

/*
 * Takes sample s of agent/store whose previous complete sample (as the
 * detector saw it) had time prev: returns true when it holds it (it will be
 * judged through ops.judge later, maybe from this very call when nothing
 * could be sent), false when the caller judges it now with nothing
 * explained by path (no young removal, no path-scoped declaration, or
 * nothing held before it).
 */
bool pathhold_take(struct pathhold *h, const char *agent, const char *store,
		   const struct sw_sample *s, int64_t prev, int64_t now);

/* An INVENTORY frame whose req_id has PATHHOLD_REQ_BIT, from agent. */
void pathhold_frame(struct pathhold *h, const char *agent, const struct sw_inventory *hdr,
		    const struct sw_invitem *items, size_t n, int64_t now);
/* Agent's connection went: its held samples are judged with what came. */
void pathhold_agent_gone(struct pathhold *h, const char *agent, int64_t now);
/* Judges every held sample waiting longer than PATHHOLD_TIMEOUT_S. */
void pathhold_expire(struct pathhold *h, int64_t now);
/* Judges every held sample with what was answered, and frees everything
 * (shutdown: call while the detector can still judge). */
void pathhold_stop(struct pathhold *h, int64_t now);

#endif
