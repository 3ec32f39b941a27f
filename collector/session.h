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

/* Accepts one pending connection on server; past max_sessions open at once
 * it is refused with ERROR(overload).  0 or a negative errno. */
int session_accept(uv_stream_t *server, struct ingest *ing, unsigned max_sessions);
unsigned session_count(void);
/* Closes every open session (shutdown). */
void session_close_all(void);
uint64_t session_id(const struct session *s);
const char *session_peer(const struct session *s);
/* The agent that said HELLO on s, or NULL before that. */
struct agent_rec *session_agent(const struct session *s);
/* Sends ACK(seq). */
void session_send_ack(struct session *s, uint64_t seq);
/* One of the session's batches was handed back: may resume reading. */
void session_batch_done(struct session *s);
/* The writers caught up (ingest_overloaded() no more): every session held
 * for it resumes reading. */
void session_resume_held(void);
/* Closes the session, first sending ERROR(code, why) if code is not 0. */
void session_close(struct session *s, uint16_t code, const char *why);

#endif
