/*
 * session.h - one agent connection on the collector.
 *
 * A session reads frames into a buffer capped at one maximal frame, expects
 * HELLO first (within handshake_timeout, delivery.h), then SAMPLES.  Anything
 * malformed or out of order closes it with an ERROR frame and a log line that
 * names the peer and the reason; the collector itself carries on.  At most
 * SESSION_MAX_INFLIGHT batches of one session wait for the RRD writers: past
 * that the session stops reading, so a fast agent cannot make the collector
 * queue without bound (TCP pushes back to the agent).  The transport (framing,
 * TLS, the read buffer, the write-queue cap) is lib/stream.c; this file is
 * the protocol.
 *
 * With TLS (delivery.h) a session first completes
 * a mutual-TLS handshake, and HELLO is refused unless the agent's
 * certificate names the agent (and the allow-list, if any, lists it).  The
 * handshake and HELLO share one deadline; a peer that stops reading what the
 * collector writes is dropped past max_write_queue bytes; a peer may hold at
 * most max_per_address connections at once.  A sample stamped further in the
 * future than max_clock_skew is logged (rate-limited) and clamped to the
 * collector's clock, so a wrong or hostile clock cannot push an RRD file's
 * last update into the future and blind it (docs/security.md).
 */
#ifndef SHRINKWATCH_COLLECTOR_SESSION_H
#define SHRINKWATCH_COLLECTOR_SESSION_H

#include <stdint.h>
#include <uv.h>

#define SESSION_MAX_INFLIGHT 4
/* An agent silent for this many of its intervals (at least the idle
 * timeout of delivery.h) is disconnected; it reconnects when it has
 * something to say. */
#define SESSION_IDLE_INTERVALS 5

struct admit;
struct ingest;
struct delivery;

/*
 * Accepts one pending connection on server; past max_sessions open at once
 * it is refused with ERROR(overload).  Its frames go to ing, after admit
 * checked them against the per-agent limits (admit.h); TLS and the limits
 * come from dl (delivery_limits(), read again whenever a limit is needed, so
 * a reload applies to open sessions; NULL: plaintext and the defaults of
 * delivery.h).  ing, admit and dl outlive every session.  0 or a negative
 * errno.
 */
int session_accept(uv_stream_t *server, struct ingest *ing, struct admit *admit,
		   const struct delivery *dl, unsigned max_sessions);
unsigned session_count(void);
/* Closes every open session (shutdown). */
void session_close_all(void);
/* After delivery_reload() put new TLS settings or a new allow-list in
 * force: closes every session the new ones would not have let in (a revoked
 * or no longer trusted certificate, an agent taken off the allow-list) and
 * those made under other TLS settings or still in their handshake, which
 * reconnect.  Agents keep their samples in their spool, so nothing is lost. */
void session_reauthorize(void);

#endif
