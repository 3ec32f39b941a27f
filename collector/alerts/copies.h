/*
 * copies.h - continuous checking of copy relations ([copy NAME]).
 *
 * After a new sample from either end of a relation (at most once per the
 * source agent's interval, and never two comparisons of one relation at
 * once), the collector compares the two ends' digest trees with a walk
 * (copies_walk.h) over DIGREQ/DIGESTS.  What it finds goes to the ledger
 * (collector/ledger/copyrel.h: state, counts, since when) and through the
 * normal alert lifecycle (lifecycle.h) as alerts of kind copy_missing and
 * copy_differs on the destination store, fired, updated as the counts
 * change and resolved when nothing is missing any more ("recovered" when
 * the copy received the items, "source-removed" when some left the source
 * first); and, once the copy was complete or found items missing,
 * copy_lost for items that are now at neither end: that were at both, or
 * that were missing and left the source before the copy received them
 * (critical; it stays open until acknowledged, as the loss does not
 * heal).  The memory behind copy_lost (copyrel.h, copy_seen) and the
 * relation's state are written once per comparison, in one transaction,
 * and only then are its alerts raised (each in its own transaction, kept
 * for a retry by the lifecycle when the ledger refuses it); when the ledger
 * refuses the state, the state in memory goes back to what it was, so the
 * next comparison decides and raises the same again.  An end that does
 * not answer makes the relation "unknown", never "missing": silence alerts
 * cover the agent.  Continuous checking ships name hashes only.
 *
 * An administrator's copy-check (`shrinkwatchctl copy-check`) runs the same
 * walk with names (SW_DIG_NAMES), audited with who and why when it starts;
 * its result (the differing items with their paths) is kept in memory for
 * the asker to fetch, the last COPIES_CHECKS_KEEP checks, never in the
 * ledger or a log.
 *
 * Runs on the loop thread.  The agents are reached through an ops callback
 * handed in by the composition (collector/main.c: ingest_digreq()), never an
 * include of net/.
 */
#ifndef SHRINKWATCH_COLLECTOR_COPIES_H
#define SHRINKWATCH_COLLECTOR_COPIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/alerts/copies_conf.h"
#include "collector/alerts/copies_walk.h"
#include "shrinkwatch/proto.h"

struct alerts;
struct copyrel_rec;
struct ledger;

/* A directory not answered within this many seconds is unknown. */
#define COPIES_REQUEST_TIMEOUT_S 120
/* Administrator's checks kept for fetching. */
#define COPIES_CHECKS_KEEP 16
/* Comparisons of one relation at most once per source interval, and never
 * more often than this, whatever the samples. */
#define COPIES_MIN_INTERVAL_S 2
/* Items the memory behind copy_lost holds per relation at most (57 bytes
 * each in the ledger); a larger relation is checked without copy_lost. */
#define COPIES_SEEN_MAX 2000000u
/* Entries of one directory's answer the collector holds at most (about 90
 * bytes each), and bytes of their names (administrator's checks): past
 * either the directory is unknown, so an agent that never ends an answer
 * (DIGESTS frames of status "more" without end) cannot exhaust the
 * collector.  A directory of more than a million items is not compared. */
#define COPIES_DIR_ENTRIES_MAX (1u << 20)
#define COPIES_DIR_NAME_BYTES_MAX (64u << 20)

struct copies_ops {
	/* Sends rq to agent: 0, -ENOTCONN, -EPROTONOSUPPORT, or another
	 * negative errno (the directory is then unknown). */
	int (*send)(void *ud, const char *agent, const struct sw_digreq *rq);
	/* A relation's comparison ended and r is its new state (for its RRD,
	 * collector/store/rrdcopies.h, through the composition); may be NULL. */
	void (*recorded)(void *ud, const struct copyrel_rec *r);
	void *ud;
};

enum copies_check_state { COPIES_CHECK_RUNNING = 0, COPIES_CHECK_DONE };

/* An administrator's copy-check. */
struct copies_check {
	uint64_t id; /* 0 = free slot */
	struct copies_relation rel;
	char who[64];
	char reason[512];
	int64_t started, finished;
	enum copies_check_state state;
	struct copies_walk *walk; /* its result once done; owned */
	struct copies_walker *walker;
};

struct copies_rel_state;
struct copies_pending;

struct copies {
	struct copies_config cfg;
	struct copies_rel_state *st; /* cfg.n */
	struct alerts *alerts;       /* may be NULL (tests): no alerts raised */
	struct ledger *ledger;
	struct copies_ops ops;
	struct copies_pending *pending; /* requests waiting for DIGESTS */
	uint64_t next_req;
	uint64_t next_check;
	struct copies_check checks[COPIES_CHECKS_KEEP];
	int64_t now; /* the time of the call in progress, for the requests it sends */
	uint64_t comparisons, requests, frames;
};

/*
 * Sets c up with the relations of cfg (copied), the ledger l and alerts al
 * (borrowed; al may be NULL) and ops (copied): creates the ledger's copies
 * table, forgets the rows of relations no longer configured, and takes up
 * the open alerts' episodes of the others.  0 or a negative errno.
 */
int copies_init(struct copies *c, const struct copies_config *cfg, struct ledger *l,
		struct alerts *al, const struct copies_ops *ops);
/* Forgets every walk and request (shutdown, or before a reload's init). */
void copies_release(struct copies *c);

/* A sample of agent/store was stored at now (ingest's observer, through
 * main.c) with the agent's interval: starts the comparisons it makes due. */
void copies_on_sample(struct copies *c, const char *agent, const char *store,
		      uint32_t interval, int64_t now);
/* Starts the comparison of relation name now, due or not (tests, and a
 * relation's first comparison).  0, -ENOENT, -EBUSY (one is running). */
int copies_compare_now(struct copies *c, const char *name, int64_t now);

/* One DIGESTS frame of agent (ingest's hook, through main.c). */
void copies_on_digests(struct copies *c, const char *agent, const struct sw_digests *hdr,
		       const struct sw_digentry *entries, size_t n, int64_t now);
/* Agent's connection went: its outstanding directories are unknown. */
void copies_agent_gone(struct copies *c, const char *agent, int64_t now);
/* Ends as unknown the directories asked more than COPIES_REQUEST_TIMEOUT_S
 * ago (a timer of the composition calls it). */
void copies_tick(struct copies *c, int64_t now);

/*
 * Starts an administrator's check of relation r (a configured one, or a
 * one-shot relation built from --source/--destination), with names,
 * audited with who and reason in the same transaction.  *id names it for
 * copies_check_get().  0, or a negative errno with a sentence in err.
 */
int copies_check_start(struct copies *c, const struct copies_relation *r, const char *who,
		       const char *reason, int64_t now, uint64_t *id, char *err, size_t errlen);
/* The check id, or NULL when it is not (or no longer) kept. */
const struct copies_check *copies_check_get(const struct copies *c, uint64_t id);

#endif
