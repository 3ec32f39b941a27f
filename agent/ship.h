/*
 * ship.h - sending spooled samples to one collector.
 *
 * The shipper owns one TCP connection at a time.  With TLS (the default) it
 * first completes a mutual-TLS handshake (tls.h), checking that the
 * collector's certificate names the address dialled; then it sends HELLO
 * and waits for the collector's ACK, which says the highest seq already
 * stored for this agent; it acknowledges that much as its spool reader and
 * sends the rest in SAMPLES frames, at most SHIP_WINDOW frames
 * unacknowledged at once (so a long backlog after an outage flows at the
 * collector's pace, not all at once).  Every ACK advances its reader, and the
 * spool deletes what every collector has acknowledged.  An ACK above the
 * highest seq the agent has made is not believed (ack_believable() in
 * ship.c): the connection is closed and nothing is acknowledged, so a forged
 * seq cannot empty the spool or make the agent's seqs wrap.  Any error closes the
 * connection and a timer reconnects with exponential backoff (1 s doubling to
 * 60 s, with +-20% jitter drawn per process, backoff.h).  The transport (TLS,
 * framing, buffers) is lib/stream.c; this file is the protocol.  Several collectors are several shippers, one spool
 * reader each.
 *
 * Nothing here blocks: name resolution, connect, reads and writes are libuv
 * requests on the agent's loop.
 */
#ifndef SHRINKWATCH_AGENT_SHIP_H
#define SHRINKWATCH_AGENT_SHIP_H

#include <stdint.h>
#include <uv.h>

#include "shrinkwatch/proto.h"
#include "shrinkwatch/tls.h"
#include "accounts.h"
#include "delqueue.h"
#include "spool.h"

#define SHIP_WINDOW 4        /* SAMPLES frames in flight */
#define SHIP_BATCH 512       /* samples per frame */
#define SHIP_DEL_BATCH 64    /* deletion reports per frame */
#define SHIP_VERSION_RETRY_MS 3600000 /* version 1 collector: try 2 again after */
#define SHIP_HELLO_TIMEOUT_MS 10000
/* Frames in flight with no ACK for this long: the collector is stalled or the
 * connection half-open; reconnect.  Generous, since an ACK waits for the
 * collector's RRD writes (and fdatasync). */
#define SHIP_ACK_TIMEOUT_MS 120000
/* A DELETIONS frame with no DELACK for this long is sent again on the same
 * link, from the last DELACK, whatever the samples do: a collector whose
 * ledger refuses reports keeps the link (and acknowledges samples), so only
 * this deadline, which sample ACKs never restart, brings the reports back. */
#define SHIP_DELACK_TIMEOUT_MS 120000
#define SHIP_BACKOFF_MAX_MS 60000
/* The highest seq a collector's answer to HELLO may make the agent continue
 * above (2^48: 2,048 stores sampled every second for over 4,000 years), so
 * that a forged "stored up to 2^64-1" can never make it wrap. */
#define SHIP_SEQ_TRUST_MAX (1ull << 48)
/* The most one read buffer holds: the collector sends ACK, DELACK, ERROR
 * and INVREQ, all small, and POLICY (version 3), at most SW_POLICY_MAX
 * stores of 74 bytes. */
#define SHIP_RECV_MAX (256 * 1024)

struct ship_conn;

struct shipper {
	uv_loop_t *loop;
	char host[256];
	uint16_t port;
	struct sw_hello hello;
	struct spool *spool;
	unsigned reader;     /* this collector's reader in the spool */
	struct tls_ctx *tls; /* NULL: plaintext (insecure = yes) */
	/* Called when the collector reports a stored seq above what the queue
	 * knows (the agent's state was reset): the agent continues above it. */
	void (*on_collector_seq)(void *ctx, uint64_t seq);
	void *ctx;

	/* Deletion reports (protocol version 2), or NULL for none.  The shipper
	 * says HELLO in version 2; a collector that answers ERROR 2 (version) is
	 * said HELLO again in version 1 and gets no reports; once an hour
	 * (SHIP_VERSION_RETRY_MS) a new connection tries version 2 again, so an
	 * upgraded collector gets reports without an agent restart.  One
	 * DELETIONS frame is in flight at a time; each DELACK
	 * acknowledges this reader's reports up to an id, and a reconnect sends
	 * the unacknowledged ones again, as does the same link once a frame
	 * has waited delack_timeout_ms for its DELACK (logged). */
	struct delqueue *delq;
	/* SHIP_DELACK_TIMEOUT_MS from shipper_init(); a test may shorten it
	 * before shipper_start(). */
	unsigned delack_timeout_ms;
	uint8_t version; /* HELLO's version: SW_PROTO_VERSION_MAX, or lower */
	/* Exact accounts (protocol version 3), or NULL: POLICY goes to it and
	 * INVREQ is answered from it; a version-3 collector gets version-3
	 * SAMPLES, an older one totals only (each refusal of a HELLO steps
	 * down one version: 3, 2, 1). */
	struct accounts *acc;
	uint64_t version1_at; /* uv_now() of the fall-back to version 1 */
	unsigned version1_count; /* fall-backs so far (only the first warns) */

	struct ship_conn *conn; /* current connection attempt, or NULL */
	uv_timer_t retry;
	unsigned backoff_ms;
	uint64_t acked;  /* highest seq the collector confirmed stored */
	int stopping;

	/* counters for STATUS= and logs */
	uint64_t frames_sent, samples_sent, acks, reports_sent;
	int connected;
};

/* Prepares the shipper; the caller owns spool and tls (NULL for plaintext)
 * and keeps them alive until shipper_stop(). */
int shipper_init(struct shipper *sh, uv_loop_t *loop, const char *host, uint16_t port,
		 const struct sw_hello *hello, struct spool *spool, unsigned reader,
		 struct tls_ctx *tls);
/* Starts connecting (now). */
void shipper_start(struct shipper *sh);
/* New samples were queued: send them if connected. */
void shipper_kick(struct shipper *sh);
/* Closes the connection and the timer; the loop can then finish. */
void shipper_stop(struct shipper *sh);

#endif
