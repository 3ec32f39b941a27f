/*
 * ingest.h - from decoded frames to stored samples.
 *
 * Sessions hand their agent's HELLO, SAMPLES and DELETIONS here.  Ingest drops samples
 * it has already accepted (by the agent's seq: duplicates after a reconnect or
 * a restart), hands the rest to the RRD writers as one batch, and when the
 * batch comes back stored it advances the agent's stored seq, acknowledges on
 * the agent's current connection, and tells the observers (the detector, the
 * dashboard's state) about every stored sample in order.  A batch that could
 * not be stored is not acknowledged: the agent's connection is closed with the
 * reason, and the agent sends the samples again when it reconnects.
 */
#ifndef SHRINKWATCH_COLLECTOR_INGEST_H
#define SHRINKWATCH_COLLECTOR_INGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "collector/config.h"
#include "collector/store/registry.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/proto.h"

struct board;
struct rrdstore;

#define INGEST_MAX_OBSERVERS 8
/*
 * Collector-wide backpressure: past this many samples waiting for the RRD
 * writers (about 100 MB of batches), every session stops reading until half
 * of them are stored.  The per-session cap (SESSION_MAX_INFLIGHT) bounds one
 * agent; this bounds thousands of agents together, so an overloaded
 * collector's memory stays flat instead of growing with the number of
 * connections.
 */
#define INGEST_MAX_PENDING_SAMPLES 262144

/* Called on the loop thread for every sample once it is stored. */
typedef void (*ingest_stored_fn)(void *ctx, struct agent_rec *a, struct store_rec *st,
				 const struct sw_sample *s);

/* Stores deletion reports (protocol version 2) of agent a; 0 once they are
 * on disk, or a negative errno (collector/alerts/deletion_reports.h, through
 * the composition: ingest_on_deletions()). */
typedef int (*ingest_deletions_fn)(void *ctx, struct agent_rec *a, const struct sw_deletion *d,
				   size_t n);

/*
 * Protocol version 3 (exact accounts), through the composition (main.c):
 * the retention of each store of agent a, as POLICY tells it (configured,
 * else learned, collector/alerts/policy.h): fills up to max entries of out
 * and returns how many.
 */
typedef size_t (*ingest_policy_fn)(void *ctx, struct agent_rec *a, struct sw_policy *out,
				   size_t max);
/* One INVENTORY frame of agent a (hdr and its n items, valid during the
 * call), for the inventory requests (collector/alerts/inventory.h). */
typedef void (*ingest_inventory_fn)(void *ctx, struct agent_rec *a,
				    const struct sw_inventory *hdr, const struct sw_invitem *items,
				    size_t n);
/* One DIGESTS frame of agent a (hdr and its n entries, valid during the
 * call), for the copy checking (collector/alerts/copies.h). */
typedef void (*ingest_digests_fn)(void *ctx, struct agent_rec *a, const struct sw_digests *hdr,
				  const struct sw_digentry *entries, size_t n);
/* Agent a's version-3 connection went: its unanswered requests will not be
 * answered on it. */
typedef void (*ingest_v3_gone_fn)(void *ctx, struct agent_rec *a);

struct ingest_stats {
	uint64_t hellos;
	uint64_t samples_received;
	uint64_t samples_duplicate;  /* seq already accepted */
	uint64_t samples_stored;
	uint64_t samples_dropped_old; /* not newer than the RRD's last update */
	uint64_t batches;
	uint64_t batches_failed;
	uint64_t write_usec_total, write_usec_max;
	uint64_t reports_received; /* deletion reports, resends included */
	uint64_t reports_unstored; /* reports the ledger could not take: not acknowledged */
};

struct ingest {
	uv_loop_t *loop;
	const struct collector_config *cfg;
	struct registry *reg;
	struct rrdstore *rrd; /* the caller's; outlives ingest's use of it */
	struct {
		ingest_stored_fn fn;
		void *ctx;
	} observers[INGEST_MAX_OBSERVERS];
	unsigned nobservers;
	struct ingest_stats stats;
	struct log_ratelimit old_rl, fail_rl;
	struct board *board; /* told when agents connect and go; may be NULL */
	size_t pending_samples; /* in batches handed to the writers */
	bool paused;            /* sessions were held for pending_samples */
	ingest_deletions_fn on_deletions; /* ingest_on_deletions(); NULL: refused */
	void *deletions_ctx;
	ingest_policy_fn policy;       /* ingest_on_v3(); NULL: empty POLICY */
	ingest_inventory_fn inventory; /* ingest_on_v3(); NULL: frames dropped */
	ingest_v3_gone_fn v3_gone;     /* ingest_on_v3(); may be NULL */
	void *v3_ctx;
	ingest_digests_fn digests;     /* ingest_on_digests(); NULL: frames dropped */
	void *digests_ctx;
	struct strmap current;     /* agent name -> its struct ingest_conn */
	struct ingest_conn *conns; /* every handle not yet freed */
};

/*
 * Sets ing up to hand its batches to rrd, the collector's RRD writer
 * (collector/store/rrdstore.h), which the caller started and stops with
 * rrdstore_stop() -- which hands the last batches back here -- before
 * anything ingest's observers use goes away.  board (may be NULL) is told
 * when agents connect and go.  reg, board and rrd are borrowed.  0 or a
 * negative errno.
 */
int ingest_init(struct ingest *ing, uv_loop_t *loop, const struct collector_config *cfg,
		struct registry *reg, struct board *board, struct rrdstore *rrd);
/* Adds an observer of stored samples.  0, or -ENOSPC. */
int ingest_observe(struct ingest *ing, ingest_stored_fn fn, void *ctx);
/* Gives deletion reports to fn (with ctx); until then, and with fn NULL, a
 * DELETIONS frame is refused and the agent keeps its reports. */
void ingest_on_deletions(struct ingest *ing, ingest_deletions_fn fn, void *ctx);

/* Gives version-3 agents their stores' retention (POLICY, from policy),
 * their INVENTORY frames to inventory, and says when an agent's version-3
 * connection goes (gone, may be NULL), all with ctx. */
void ingest_on_v3(struct ingest *ing, ingest_policy_fn policy, ingest_inventory_fn inventory,
		  ingest_v3_gone_fn gone, void *ctx);
/* Gives the DIGESTS frames of version-3 agents to fn, with ctx. */
void ingest_on_digests(struct ingest *ing, ingest_digests_fn fn, void *ctx);

/*
 * How ingest answers the connection an agent's frames came on.  Ingest does
 * not know what a connection is: the session layer hands these with its own
 * user data at HELLO, and ingest calls them on the loop thread.
 */
struct ingest_conn_ops {
	/* Send ACK(seq): everything up to seq is stored. */
	void (*send_ack)(void *ud, uint64_t seq);
	/* Send DELACK(id): the deletion reports up to id are stored. */
	void (*send_delack)(void *ud, uint64_t id);
	/* Close the connection, first sending ERROR(code, why) if code is not
	 * 0.  The session calls ingest_conn_gone() while closing. */
	void (*close)(void *ud, uint16_t code, const char *why);
	/* One batch ingest_samples() took from this connection came back
	 * stored: the connection may read again (flow control). */
	void (*batch_done)(void *ud);
	/* The writers caught up after ingest_overloaded(): a connection that
	 * stopped reading for it may read again. */
	void (*resume)(void *ud);
	/* Version 3 only (ingest_conn_speaks()): send POLICY (n entries, n may
	 * be 0) and INVREQ.  0 or a negative errno. */
	int (*send_policy)(void *ud, const struct sw_policy *p, size_t n);
	int (*send_invreq)(void *ud, const struct sw_invreq *rq);
	int (*send_digreq)(void *ud, const struct sw_digreq *rq);
};

/* Ingest's handle on one connection that said HELLO (opaque). */
struct ingest_conn;

/*
 * An agent said HELLO on a connection (ops and ud answer it; peer names it
 * in log lines and is copied): registers the agent, closes an older
 * connection of the same agent, and gives the handle for the frames that
 * follow (*conn), the agent's record (*agent) and the seq to acknowledge
 * (*ack).  0, or -ENOMEM with nothing registered.  The caller hands *conn
 * back with ingest_conn_gone() when the connection closes.
 */
int ingest_hello(struct ingest *ing, const struct sw_hello *h, const struct ingest_conn_ops *ops,
		 void *ud, const char *peer, struct ingest_conn **conn, struct agent_rec **agent,
		 uint64_t *ack);
/*
 * The protocol version the agent's HELLO on conn was accepted in (the
 * session calls it right after ingest_hello(), before it sends anything):
 * from version 3 on, the agent's POLICY goes out first, and again whenever
 * a retention it was told changes (a store heard of, a retention learned)
 * or ingest_policy_changed() says so.
 */
void ingest_conn_speaks(struct ingest *ing, struct ingest_conn *conn, uint8_t version);
/* Sends POLICY again to every version-3 connection (after a reload). */
void ingest_policy_changed(struct ingest *ing);
/*
 * Asks agent's current connection for an inventory (INVREQ).  0, -ENOTCONN
 * when the agent is not connected, -EPROTONOSUPPORT when it speaks a
 * version below 3 (it keeps no removal journal), or the send's error.
 */
int ingest_invreq(struct ingest *ing, const char *agent, const struct sw_invreq *rq);
/* Asks agent's current connection for digests (DIGREQ); errors as
 * ingest_invreq(). */
int ingest_digreq(struct ingest *ing, const char *agent, const struct sw_digreq *rq);
/* A DIGESTS frame that came on conn: to the digests hook.  0. */
int ingest_digests(struct ingest *ing, struct ingest_conn *conn, const struct sw_digests *hdr,
		   const struct sw_digentry *entries, size_t n);
/* An INVENTORY frame that came on conn: to the inventory hook.  0. */
int ingest_inventory(struct ingest *ing, struct ingest_conn *conn,
		     const struct sw_inventory *hdr, const struct sw_invitem *items, size_t n);

/*
 * Samples that came on conn (n >= 1, rising seq).  Returns 1 if a batch
 * went to the writers (the connection counts it for flow control until
 * ops->batch_done), 0 if every sample was a duplicate (acknowledged now or
 * by a batch in flight), or -ENOMEM after closing the connection.
 */
int ingest_samples(struct ingest *ing, struct ingest_conn *conn, const struct sw_sample *x,
		   size_t n);
/* Deletion reports that came on conn (n >= 1, rising ids): stored, then
 * acknowledged with DELACK; if they cannot be stored the connection is
 * closed with ERROR(internal) and the agent sends them again.  0 or a
 * negative errno. */
int ingest_deletions(struct ingest *ing, struct ingest_conn *conn, const struct sw_deletion *d,
		     size_t n);
/* The connection behind conn is closing: ingest calls its ops no more and
 * frees conn once its batches are back. */
void ingest_conn_gone(struct ingest *ing, struct ingest_conn *conn);
/* Frees every connection handle; call after rrdstore_stop(), which hands the
 * last batches back here, and after every session closed. */
void ingest_release(struct ingest *ing);
size_t ingest_pending(const struct ingest *ing);
/* Whether connections should stop reading (INGEST_MAX_PENDING_SAMPLES); a
 * connection that does so calls ingest_hold(), and every connection's
 * ops->resume is called once the writers caught up. */
bool ingest_overloaded(const struct ingest *ing);
void ingest_hold(struct ingest *ing);

#endif
