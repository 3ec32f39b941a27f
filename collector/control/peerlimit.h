/*
 * peerlimit.h - how much one local user may ask of the control socket, and
 * how its refusals reach the audit trail.
 *
 * Anyone who can connect to the control socket may send requests as fast as
 * the kernel carries them; each refused change used to be one audit row and
 * one log line, so an unprivileged user wrote 112,905 rows (12 MB of ledger)
 * in 20 s.  Two rules, per peer uid (SO_PEERCRED, never the request):
 *
 *   - requests: a token bucket of PEERLIMIT_BURST requests refilling at
 *     PEERLIMIT_RATE a second; a request past it is answered with an error
 *     and not carried out (shrinkwatchctl sends one request per run, so no
 *     operator meets it);
 *   - refusals (a change asked by someone who may not change anything): the
 *     first of a burst (per uid and command) is audited on its own row; the
 *     ones that follow are
 *     counted, and once the burst ends (PEERLIMIT_WINDOW_S without a refusal)
 *     or has lasted PEERLIMIT_WINDOW_S, one more row says how many there were
 *     and between which times.
 *
 * Pure bookkeeping with the caller's clock, so the unit tests drive it.
 */
#ifndef SHRINKWATCH_COLLECTOR_PEERLIMIT_H
#define SHRINKWATCH_COLLECTOR_PEERLIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shrinkwatch/strmap.h"

#define PEERLIMIT_RATE 20   /* requests a second, per uid */
#define PEERLIMIT_BURST 100 /* requests at once, per uid */
#define PEERLIMIT_WINDOW_S 60

struct peerlimit {
	struct strmap peers; /* uid in decimal -> struct peerlimit_peer (peerlimit.c) */
	unsigned rate, burst, window_s;
};

/* A burst of refusals that ended: count refusals after the first one (which
 * has its own row), the first and last refusal times, the last command. */
struct peerlimit_summary {
	uid_t uid;
	const char *user;
	const char *cmd;
	uint64_t count;
	int64_t first, last;
};

/* Called by peerlimit_flush() for each burst to summarise. */
typedef void (*peerlimit_summary_fn)(void *ctx, const struct peerlimit_summary *s);

void peerlimit_init(struct peerlimit *pl, unsigned rate, unsigned burst, unsigned window_s);
void peerlimit_release(struct peerlimit *pl);

/* Whether uid may have one more request carried out at now_ms (a
 * monotonic clock in milliseconds).  false also when out of memory (a
 * request is then refused rather than left unbounded). */
bool peerlimit_take(struct peerlimit *pl, uid_t uid, uint64_t now_ms);

/*
 * A refused change of uid (user names it in the audit) at now (wall clock,
 * seconds): true if it is the first of a burst and gets its own audit row
 * and log line, false if it is only counted for the burst's summary row.
 */
bool peerlimit_refused(struct peerlimit *pl, uid_t uid, const char *user, const char *cmd,
		       int64_t now);

/* Hands fn every burst of refusals that ended by now (or every one that has
 * refusals to tell, if all: at shutdown), and forgets peers idle for long
 * (now_ms: the clock of peerlimit_take()). */
void peerlimit_flush(struct peerlimit *pl, int64_t now, uint64_t now_ms, bool all,
		     peerlimit_summary_fn fn, void *ctx);

#endif
