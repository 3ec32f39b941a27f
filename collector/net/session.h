/*
 * session.h - one agent connection on the collector.
 *
 * A session reads frames into a buffer capped at one maximal frame, expects
 * HELLO first (within SESSION_HELLO_TIMEOUT_MS), then SAMPLES.  Anything
 * malformed or out of order closes it with an ERROR frame and a log line that
 * names the peer and the reason; the collector itself carries on.  At most
 * SESSION_MAX_INFLIGHT batches of one session wait for the RRD writers: past
 * that the session stops reading, so a fast agent cannot make the collector
 * queue without bound (TCP pushes back to the agent).
 *
 * With TLS (session_set_limits(), from delivery.h) a session first completes
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

#define SESSION_HELLO_TIMEOUT_MS 10000
#define SESSION_MAX_INFLIGHT 4
/* An agent silent for this many of its intervals (at least the minimum) is
 * disconnected; it reconnects when it has something to say. */
#define SESSION_IDLE_INTERVALS 5
#define SESSION_IDLE_MIN_S 300

struct ingest;
struct session;
struct tls_ctx;
struct delivery_config;

struct session_limits {
	struct tls_ctx *tls;                     /* NULL: plaintext */
	const struct delivery_config *delivery; /* allow-list; may be NULL */
	unsigned max_per_address;                /* 0: no limit */
	uint64_t handshake_ms;
	uint64_t idle_min_s;
	uint64_t max_clock_skew_s;
	uint64_t max_write_queue; /* bytes */
};

/* Sets TLS and the limits for sessions accepted from now on.  Before any
 * call: plaintext, the defaults above, no per-address limit. */
void session_set_limits(const struct session_limits *lim);

/* Accepts one pending connection on server; past max_sessions open at once
 * it is refused with ERROR(overload).  0 or a negative errno. */
int session_accept(uv_stream_t *server, struct ingest *ing, unsigned max_sessions);
unsigned session_count(void);
/* Closes every open session (shutdown). */
void session_close_all(void);
/* After session_set_limits() with new TLS settings or allow-list: closes
 * every session the new ones would not have let in (a revoked or no longer
 * trusted certificate, an agent taken off the allow-list) and those made
 * under other TLS settings or still in their handshake, which reconnect.
 * Agents keep their samples in their spool, so nothing is lost. */
void session_reauthorize(void);
uint64_t session_id(const struct session *s);
const char *session_peer(const struct session *s);
/* The agent that said HELLO on s, or NULL before that. */
struct agent_rec *session_agent(const struct session *s);
/* Sends ACK(seq). */
void session_send_ack(struct session *s, uint64_t seq);
/* Sends DELACK(id): the agent's deletion reports up to id are stored. */
void session_send_delack(struct session *s, uint64_t id);
/* One of the session's batches was handed back: may resume reading. */
void session_batch_done(struct session *s);
/* The writers caught up (ingest_overloaded() no more): every session held
 * for it resumes reading. */
void session_resume_held(void);
/* Closes the session, first sending ERROR(code, why) if code is not 0. */
void session_close(struct session *s, uint16_t code, const char *why);

#endif
