/*
 * admit.h - what one agent may make the collector keep, and what it lost.
 *
 * Any valid agent certificate can say anything in its frames.  Unchecked,
 * one of them could fill the data disk (a SAMPLES frame names up to 2,048
 * stores, and every new store becomes RRD files of several MB), make the
 * collector sample every second, or send seq 2^64-1 once, after which the
 * genuine agent's samples all look "already accepted" for ever.  Before
 * session hands a frame to ingest, admit applies the limits of
 * delivery_limits() (delivery.h, docs/security.md "Limits"):
 *
 *   - a HELLO announcing an interval below min_interval is refused;
 *   - a SAMPLES frame whose seqs reach more than max_seq_jump above the
 *     highest seq the collector has from that agent is refused -- plus, for
 *     the time since the collector last heard of the agent, max_stores
 *     samples per min_interval, which is the most an agent can have taken
 *     (and its spool dropped) while the collector was away; an agent the
 *     collector has no seq of may start anywhere below ADMIT_SEQ_CEILING;
 *   - a sample of a store the agent does not have yet is refused once the
 *     agent has max_stores_per_agent stores, or has added
 *     max_new_stores_per_hour in the last hour (a token bucket: that many at
 *     once, then one every 3600/N s).  An agent the collector has no store
 *     of (its first connection) may add up to max_stores_per_agent at once
 *     during its first ADMIT_ESTATE_S: a genuine agent's whole estate is
 *     watched from the start, not N stores an hour with the rest blind for
 *     hours; only later growth is rate-limited, and max_stores_per_agent
 *     still bounds what one certificate can make the collector keep.  Only
 *     a refused store's samples are dropped, and the agent is acknowledged
 *     as usual: its other stores keep working and it does not resend the
 *     refused samples for ever.
 *
 * Every refusal is logged (rate-limited: a peer can cause it at will) and
 * counted per agent; the stores refused now are listed with why, so
 * `shrinkwatchctl status` names them (a refused store is not watched: a
 * loss on it raises nothing) and /metrics has their number.  admit also counts the samples an agent lost on its own
 * side: seqs that never arrive, and samples flagged SW_SAMPLE_GAP (its spool
 * overflowed), so `shrinkwatchctl status` and /metrics can say that history
 * is missing.  The counters are in memory, since start-up.
 *
 * Everything here runs on the loop thread.
 */
#ifndef SHRINKWATCH_COLLECTOR_ADMIT_H
#define SHRINKWATCH_COLLECTOR_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "collector/store/registry.h"
#include "delivery.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/strmap.h"

/* The first seq an agent the collector has no seq of may send is below
 * this (2^53: exact in JSON and in a double; an agent sending 1,000 samples
 * a second would need 285,000 years to reach it). */
#define ADMIT_SEQ_CEILING (UINT64_C(1) << 53)
/* How long an agent new to the collector may add up to max_stores at once:
 * an hour, time for a first scan round of every store of a large server. */
#define ADMIT_ESTATE_S 3600
/* A refusal's reason, at most (with its terminating NUL). */
#define ADMIT_REASON_MAX 256

/* One agent's counters since start-up. */
struct admit_counts {
	uint64_t samples_lost;     /* seqs that never arrived */
	uint64_t gaps;             /* episodes of the above, or SW_SAMPLE_GAP flags */
	uint64_t samples_refused;  /* of stores over the limits */
	uint64_t stores_refused;   /* distinct store names refused */
	uint64_t frames_refused;   /* SAMPLES frames with a seq jump */
	uint64_t hellos_refused;   /* HELLOs below min_interval */
};

struct admit_agent_stats {
	char agent[SW_NAME_MAX + 1];
	struct admit_counts c;
};

struct admit {
	struct strmap agents; /* name -> struct admit_agent (admit.c) */
	struct log_ratelimit rl, gap_rl;
};

void admit_init(struct admit *ad);
void admit_release(struct admit *ad);

/*
 * A HELLO from agent h->agent under the limits lim.  0 to go on, or -EPERM
 * with the reason in why, for the caller's log line and ERROR frame; the
 * refusal is counted.  -ENOMEM if the agent's record cannot be made.
 */
int admit_hello(struct admit *ad, const struct delivery_limits *lim, const struct sw_hello *h,
		char *why, size_t whylen);

/*
 * The n samples of one SAMPLES frame (rising seqs) from agent a, before they
 * go to ingest: either refuses the whole frame (-ERANGE, a seq jump: why
 * says so, for the caller's log line and ERROR frame), or counts the seqs
 * that never arrived (logged) and
 * drops the samples of stores over the limits from x (logged once per store), keeping the order,
 * and sets *n to what is left (maybe 0).  now is the wall clock, for the
 * new-store rate.  0, -ERANGE, or -ENOMEM.
 */
int admit_samples(struct admit *ad, const struct delivery_limits *lim,
		  const struct agent_rec *a, struct sw_sample *x, size_t *n, int64_t now,
		  char *why, size_t whylen);

/* Every agent with a counter above zero, by name; *out is malloc'ed (caller
 * frees, NULL when there is none).  The count or -ENOMEM. */
long admit_snapshot(const struct admit *ad, struct admit_agent_stats **out);

/* Appends the counters of admit_snapshot() as a JSON array of objects
 * {"agent":..., "samples_lost":..., ..., "refused_stores":[{"store":...,
 * "reason":..., "since":..., "samples":...}]} (the control socket's status;
 * refused_stores are the stores refused now, by name, with the reason of
 * the latest refusal, the first refusal's time and the samples dropped).
 * 0 or -ENOMEM. */
int admit_put_json(const struct admit *ad, struct buf *out);

/* Appends them as Prometheus families shrinkwatch_agent_*_total{agent="..."}
 * (every family with HELP and TYPE, also when no agent has a count), and
 * the gauge shrinkwatch_agent_stores_refused{agent="..."}: the stores
 * refused now, which an operator's alert rule can watch. */
int admit_put_metrics(const struct admit *ad, struct buf *out);

#endif
