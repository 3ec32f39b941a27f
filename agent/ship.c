/* ship.c - the agent's connection to its collector (see ship.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/backoff.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/stream.h"
#include "ship.h"
#include "shrinkwatch/banned.h"

enum conn_state { CONN_RESOLVING, CONN_CONNECTING, CONN_TLS, CONN_HELLO, CONN_READY, CONN_CLOSING };

struct ship_conn {
	struct shipper *sh; /* NULL once detached (the shipper moved on) */
	enum conn_state state;
	uv_getaddrinfo_t gai;
	uv_connect_t connect_req;
	struct stream st; /* the framed (TLS) link, lib/stream.c */
	int tcp_open;     /* st was initialised */
	uv_timer_t hello_timer; /* handshake + HELLO deadline, then ACK deadline */
	int pending_handles;
	uint64_t sent; /* highest seq written on this connection */
	/* last seq of each SAMPLES frame not yet covered by an ACK, oldest
	 * first; the window is driven by acknowledged seqs, not by counting
	 * ACK frames, since the collector may cover several frames with one */
	uint64_t inflight_last[SHIP_WINDOW];
	unsigned inflight;
	uint64_t del_sent;     /* highest report id written on this connection */
	uint64_t del_inflight; /* last id of the DELETIONS frame unacknowledged, 0: none */
	uint64_t del_deadline; /* uv_now() by which its DELACK is due (sample ACKs
				  never move it), else it is sent again */
};

static void schedule_retry(struct shipper *sh);
static void conn_close(struct ship_conn *c, const char *why);
static void pump(struct ship_conn *c);

/* One of the connection's handles (its timer, its stream) is closed; the
 * last one frees it. */
static void conn_put(struct ship_conn *c)
{
	if (--c->pending_handles == 0)
		free(c);
}

static void handle_closed(uv_handle_t *h)
{
	conn_put(h->data);
}

static void stream_closed(void *ud)
{
	conn_put(ud);
}

/* Ends a connection attempt at whatever stage it is, once. */
static void conn_close(struct ship_conn *c, const char *why)
{
	struct shipper *sh = c->sh;

	if (c->state == CONN_CLOSING)
		return;
	if (why && sh && !sh->stopping)
		log_warn("ship: collector %s:%u: %s", sh->host, sh->port, why);
	if (sh) {
		sh->conn = NULL;
		sh->connected = 0;
		c->sh = NULL;
		if (!sh->stopping)
			schedule_retry(sh);
	}
	if (c->state == CONN_RESOLVING) {
		/* The getaddrinfo callback (called even when cancelled) sees
		 * CLOSING and releases the conn. */
		c->state = CONN_CLOSING;
		uv_cancel((uv_req_t *)&c->gai);
		return;
	}
	c->state = CONN_CLOSING;
	c->pending_handles = 1 + c->tcp_open;
	uv_close((uv_handle_t *)&c->hello_timer, handle_closed);
	if (c->tcp_open)
		stream_close(&c->st, 0, NULL);
}

/* Sends one frame (encrypted with TLS); takes ownership of frame. */
static int conn_send(struct ship_conn *c, struct buf *frame)
{
	return stream_send(&c->st, frame);
}

/* A collector that takes frames but never acknowledges them (stalled, or a
 * half-open connection) would hold the window shut forever. */
static void ack_timeout(uv_timer_t *t)
{
	conn_close(t->data, "no acknowledgement in time; reconnecting");
}

/*
 * Whether an ACK for seq may be believed (else the connection is closed,
 * logged, and nothing is acknowledged).  The collector can only have stored
 * what we sent: at most the highest seq in the spool (a batch sent on an
 * earlier connection may be acknowledged on this one), or what we already
 * believed.  In answer to HELLO it may say it has stored more than we ever
 * handed out (our state_dir was reset, or someone holding a certificate for
 * our name sent samples): we continue above it, unless it is so high that
 * continuing would run towards the end of the sequence space — there we
 * refuse, keep every sample spooled, and say what to do (docs/security.md,
 * "A stolen agent certificate").
 */
static int ack_believable(struct ship_conn *c, uint64_t seq)
{
	struct shipper *sh = c->sh;
	uint64_t ours = spool_last_seq(sh->spool);
	char why[512];

	if (c->state != CONN_HELLO && sh->acked > ours)
		ours = sh->acked;

	if (seq <= ours || (c->state == CONN_HELLO && seq <= SHIP_SEQ_TRUST_MAX))
		return 1;
	if (c->state == CONN_HELLO)
		log_err("ship: collector %s:%u says it has stored seq %llu for agent '%s', far above "
			"the highest this agent ever handed out (%llu): someone else with a "
			"certificate for '%s' sent it.  Not believed: nothing is acknowledged and "
			"every sample stays in the spool until the collector's record is corrected "
			"(revoke that certificate, then see docs/security.md, \"A stolen agent "
			"certificate\")",
			sh->host, sh->port, (unsigned long long)seq, sh->hello.agent,
			(unsigned long long)ours, sh->hello.agent);
	snprintf(why, sizeof why, "acknowledged seq %llu, above the highest this agent sent "
				  "(%llu); not believed, reconnecting",
		 (unsigned long long)seq, (unsigned long long)ours);
	conn_close(c, why);
	return 0;
}

static void on_ack(struct ship_conn *c, uint64_t seq)
{
	struct shipper *sh = c->sh;

	if (!ack_believable(c, seq))
		return;
	sh->acks++;
	if (seq > sh->acked)
		sh->acked = seq;
	spool_ack(sh->spool, sh->reader, sh->acked);
	if (c->state == CONN_HELLO) {
		uv_timer_stop(&c->hello_timer);
		c->state = CONN_READY;
		sh->connected = 1;
		sh->backoff_ms = 0;
		c->sent = sh->acked;
		if (sh->delq)
			c->del_sent = delqueue_acked(sh->delq, sh->reader);
		log_info("ship: connected to collector %s:%u%s, it has stored up to seq %llu; "
			 "%llu samples to send",
			 sh->host, sh->port, stream_tls(&c->st) ? " (TLS)" : " (plaintext)",
			 (unsigned long long)seq,
			 (unsigned long long)spool_pending(sh->spool, sh->reader));
		if (sh->on_collector_seq)
			sh->on_collector_seq(sh->ctx, seq);
	}
	/* a batch sent on an earlier connection, stored since: not resent */
	if (c->state == CONN_READY && sh->acked > c->sent)
		c->sent = sh->acked;
	while (c->inflight && c->inflight_last[0] <= sh->acked) {
		memmove(c->inflight_last, c->inflight_last + 1,
			(c->inflight - 1) * sizeof c->inflight_last[0]);
		c->inflight--;
	}
	/* progress: the deadline restarts, or ends with nothing in flight */
	if (c->inflight || c->del_inflight)
		uv_timer_start(&c->hello_timer, ack_timeout, SHIP_ACK_TIMEOUT_MS, 0);
	else
		uv_timer_stop(&c->hello_timer);
	pump(c);
}

/* The collector stored our reports up to id (a DELACK). */
static void on_delack(struct ship_conn *c, uint64_t id)
{
	struct shipper *sh = c->sh;

	if (sh->delq)
		delqueue_ack(sh->delq, sh->reader, id);
	if (c->del_inflight && id >= c->del_inflight)
		c->del_inflight = 0;
	if (c->inflight || c->del_inflight)
		uv_timer_start(&c->hello_timer, ack_timeout, SHIP_ACK_TIMEOUT_MS, 0);
	else
		uv_timer_stop(&c->hello_timer);
	pump(c);
}

/* A collector refused our HELLO's version: say HELLO again one version
 * lower (3, 2, 1), keeping to ourselves what it does not speak (exact
 * figures below 3, deletion reports below 2). */
static int version_fallback(struct ship_conn *c, const struct sw_error *e)
{
	struct shipper *sh = c->sh;

	if (e->code != SW_ERR_VERSION || c->state != CONN_HELLO || sh->version <= 1)
		return 0;
	sh->version--;
	log_msg(sh->version1_count++ ? LOG_INFO : LOG_WARNING,
		"ship: collector %s:%u refused protocol version %u (%s): trying version %u, "
		"without %s; version %d is tried again in an hour", sh->host, sh->port,
		sh->version + 1u, e->text, (unsigned)sh->version,
		sh->version >= 2 ? "exact accounts" : "exact accounts and deletion reports",
		SW_PROTO_VERSION_MAX);
	sh->version1_at = uv_now(sh->loop);
	if (sh->delq && sh->version < 2)
		delqueue_set_reader(sh->delq, sh->reader, false);
	sh->backoff_ms = 0;
	conn_close(c, NULL);
	return 1;
}

/* After SHIP_VERSION_RETRY_MS in version 1, the next HELLO tries version 2
 * again: the collector may have been upgraded meanwhile. */
static void version_retry(struct shipper *sh)
{
	if (sh->version >= SW_PROTO_VERSION_MAX ||
	    uv_now(sh->loop) - sh->version1_at < SHIP_VERSION_RETRY_MS)
		return;
	log_info("ship: collector %s:%u: trying protocol version %d again", sh->host, sh->port,
		 SW_PROTO_VERSION_MAX);
	sh->version = SW_PROTO_VERSION_MAX;
	if (sh->delq)
		delqueue_set_reader(sh->delq, sh->reader, true);
}

static int send_encoded(struct ship_conn *c, struct buf *frame, int encode_err);

static int send_inventory(void *ud, struct buf *frame)
{
	return conn_send(ud, frame);
}

/* Version 3, copy verification: DIGREQ is answered from the digests the
 * accounts keep (agent/digests.h). */
static void on_digreq(struct ship_conn *c, const struct sw_frame *f)
{
	struct shipper *sh = c->sh;
	static struct sw_digreq r;

	if (sh->version < SW_PROTO_VERSION_EXACT || c->state != CONN_READY ||
	    proto_decode_digreq(f, &r)) {
		conn_close(c, "malformed or early DIGREQ");
		return;
	}
	if (!sh->acc) {
		struct sw_digests hdr = { .req_id = r.req_id, .status = SW_DIG_REFUSED };
		struct buf frame;

		snprintf(hdr.text, sizeof hdr.text, "this agent keeps no manifest");
		buf_init(&frame, SW_FRAME_HEADER + SW_FRAME_MAX);
		send_encoded(c, &frame, proto_encode_digests(&frame, &hdr, NULL, 0));
		return;
	}
	if (digests_answer(accounts_digests(sh->acc), &r, send_inventory, c) < 0)
		conn_close(c, "cannot send digests");
}

/* Version 3: POLICY feeds the accounts; INVREQ is answered from them. */
static void on_accounts(struct ship_conn *c, const struct sw_frame *f)
{
	static struct sw_policy policy[SW_POLICY_MAX];
	struct shipper *sh = c->sh;
	struct sw_invreq r;
	size_t n;

	if (sh->version < SW_PROTO_VERSION_EXACT) {
		conn_close(c, "version-3 message on a link that is not version 3");
		return;
	}
	if (f->type == SW_MSG_POLICY) {
		if (proto_decode_policy(f, policy, SW_POLICY_MAX, &n)) {
			conn_close(c, "malformed POLICY");
			return;
		}
		if (sh->acc)
			accounts_set_policy(sh->acc, policy, n);
		return;
	}
	if (c->state != CONN_READY || proto_decode_invreq(f, &r)) {
		conn_close(c, "malformed or early INVREQ");
		return;
	}
	if (!sh->acc) {
		struct sw_invitem why = { .uid = -1 };
		struct sw_inventory hdr = { .req_id = r.req_id, .status = SW_INV_REFUSED };
		struct buf frame;

		snprintf(why.path, sizeof why.path, "this agent keeps no removal journal");
		snprintf(why.exe, sizeof why.exe, "?");
		buf_init(&frame, SW_FRAME_HEADER + SW_FRAME_MAX);
		send_encoded(c, &frame, proto_encode_inventory(&frame, &hdr, &why, 1));
		return;
	}
	if (accounts_inventory(sh->acc, &r, send_inventory, c) < 0)
		conn_close(c, "cannot send an inventory");
}

static void handle_frame(void *ud, const struct sw_frame *f)
{
	struct ship_conn *c = ud;
	struct sw_error e;
	uint64_t seq;

	switch (f->type) {
	case SW_MSG_DELACK:
		if (c->state != CONN_READY || proto_decode_delack(f, &seq)) {
			conn_close(c, "malformed or early DELACK");
			return;
		}
		on_delack(c, seq);
		return;
	case SW_MSG_ACK:
		if (proto_decode_ack(f, &seq)) {
			conn_close(c, "malformed ACK");
			return;
		}
		on_ack(c, seq);
		return;
	case SW_MSG_ERROR:
		if (proto_decode_error(f, &e)) {
			conn_close(c, "malformed ERROR");
			return;
		}
		if (version_fallback(c, &e))
			return;
		log_err("ship: collector %s:%u refused us (code %u): %s", c->sh->host, c->sh->port,
			e.code, e.text);
		conn_close(c, NULL);
		return;
	case SW_MSG_POLICY:
	case SW_MSG_INVREQ:
		on_accounts(c, f);
		return;
	case SW_MSG_DIGREQ:
		on_digreq(c, f);
		return;
	default:
		conn_close(c, "unexpected message from the collector");
		return;
	}
}

static void send_hello(struct ship_conn *c);

/* The TLS handshake completed: say HELLO. */
static void established(void *ud)
{
	send_hello(ud);
}

/* The transport failed: say why, in the agent's words. */
static void stream_failed(void *ud, enum stream_fail kind, int err, const char *why)
{
	struct ship_conn *c = ud;

	if (kind == STREAM_HANGUP && err == UV_EOF)
		why = "connection closed by the collector";
	else if (kind == STREAM_FRAME)
		why = err == -ENOBUFS ? "collector sent more than the receive buffer holds"
				      : "malformed frame from the collector";
	conn_close(c, why);
}

static const struct stream_ops stream_ops = {
	.on_frame = handle_frame,
	.on_established = established,
	.on_error = stream_failed,
	.on_closed = stream_closed,
};

/* Sends a frame the caller has just encoded (encode_err: the encoder's
 * result), or releases it; on failure the connection is closed.  0 or the
 * error. */
static int send_encoded(struct ship_conn *c, struct buf *frame, int encode_err)
{
	int err = encode_err;

	if (!err)
		err = conn_send(c, frame);
	else
		buf_release(frame);
	if (err)
		conn_close(c, err < 0 ? strerror(-err) : "cannot send");
	return err;
}

/*
 * The DELETIONS frame in flight is overdue: its DELACK did not come by its
 * deadline.  A collector that cannot store reports (its ledger refuses
 * them) keeps the link for the samples and acknowledges those, so the
 * connection never looks stalled; the reports are sent again from the last
 * DELACK (the collector stores each report once, by id).
 */
static void deletions_overdue(struct ship_conn *c)
{
	struct shipper *sh = c->sh;
	uint64_t from = delqueue_acked(sh->delq, sh->reader);

	log_warn("ship: collector %s:%u: no DELACK for deletion reports up to id %llu in %.1f s "
		 "(its ledger may be refusing them); sending again every report after id %llu, "
		 "the last it acknowledged",
		 sh->host, sh->port, (unsigned long long)c->del_inflight,
		 sh->delack_timeout_ms / 1000.0, (unsigned long long)from);
	c->del_sent = from;
	c->del_inflight = 0;
}

/* Sends the next DELETIONS frame if none is in flight, or the one in
 * flight again once it is overdue. */
static void pump_deletions(struct ship_conn *c)
{
	static struct sw_deletion batch[SHIP_DEL_BATCH];
	struct shipper *sh = c->sh;
	struct buf frame;
	size_t n;

	if (c->state != CONN_READY || !sh->delq || sh->version < 2)
		return;
	if (c->del_inflight && uv_now(sh->loop) >= c->del_deadline)
		deletions_overdue(c);
	if (c->del_inflight)
		return;
	n = delqueue_read(sh->delq, c->del_sent, batch, SHIP_DEL_BATCH);
	if (n == 0)
		return;
	buf_init(&frame, SW_FRAME_HEADER + SW_FRAME_MAX);
	if (send_encoded(c, &frame, proto_encode_deletions(&frame, batch, n)))
		return;
	c->del_sent = c->del_inflight = batch[n - 1].id;
	c->del_deadline = uv_now(sh->loop) + sh->delack_timeout_ms;
	if (!c->inflight)
		uv_timer_start(&c->hello_timer, ack_timeout, SHIP_ACK_TIMEOUT_MS, 0);
	sh->reports_sent += n;
}

static void pump(struct ship_conn *c)
{
	static struct sw_sample batch[SHIP_BATCH];
	struct shipper *sh = c->sh;

	pump_deletions(c);
	while (c->state == CONN_READY && c->inflight < SHIP_WINDOW) {
		size_t n = spool_read(sh->spool, sh->reader, c->sent, batch, SHIP_BATCH);
		struct buf frame;

		if (n == 0)
			return;
		buf_init(&frame, SW_FRAME_HEADER + SW_FRAME_MAX);
		if (send_encoded(c, &frame,
				 proto_encode_samples_version(&frame, batch, n, sh->version)))
			return;
		c->sent = batch[n - 1].seq;
		if (c->inflight == 0)
			uv_timer_start(&c->hello_timer, ack_timeout, SHIP_ACK_TIMEOUT_MS, 0);
		c->inflight_last[c->inflight++] = c->sent;
		sh->frames_sent++;
		sh->samples_sent += n;
	}
}

static void hello_timeout(uv_timer_t *t)
{
	conn_close(t->data, "no answer to HELLO in time");
}

static void send_hello(struct ship_conn *c)
{
	struct buf frame;
	int err;

	c->state = CONN_HELLO;
	version_retry(c->sh);
	buf_init(&frame, 4096);
	err = proto_encode_hello_version(&frame, &c->sh->hello, c->sh->version);
	if (!err)
		err = conn_send(c, &frame);
	else
		buf_release(&frame);
	if (err)
		conn_close(c, "cannot send HELLO");
}

static void on_connect(uv_connect_t *req, int status)
{
	struct ship_conn *c = req->data;
	struct tls_conn *tls = stream_tls(&c->st);
	int err;

	if (c->state == CONN_CLOSING)
		return;
	if (status < 0) {
		conn_close(c, uv_strerror(status));
		return;
	}
	/* the handshake and the answer to HELLO share one deadline */
	uv_timer_start(&c->hello_timer, hello_timeout, SHIP_HELLO_TIMEOUT_MS, 0);
	if (tls)
		c->state = CONN_TLS;
	err = stream_start(&c->st);
	if (err) {
		conn_close(c, !tls ? uv_strerror(err) : tls->error[0] ? tls->error
								     : "cannot start TLS");
		return;
	}
	if (!tls)
		send_hello(c);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
	struct ship_conn *c = req->data;
	struct stream_config sc;
	int err;

	if (c->state == CONN_CLOSING) {
		/* closed while resolving: only the timer is open */
		uv_freeaddrinfo(ai);
		c->pending_handles = 1;
		uv_close((uv_handle_t *)&c->hello_timer, handle_closed);
		return;
	}
	if (status < 0 || !ai) {
		uv_freeaddrinfo(ai);
		c->state = CONN_CONNECTING; /* nothing open yet: close just the timer */
		conn_close(c, status < 0 ? uv_strerror(status) : "no address");
		return;
	}
	c->state = CONN_CONNECTING;
	memset(&sc, 0, sizeof sc);
	sc.tls = c->sh->tls;
	sc.peer_host = c->sh->tls ? c->sh->host : NULL;
	sc.max_frame = SHIP_RECV_MAX - SW_FRAME_HEADER; /* see SHIP_RECV_MAX */
	err = stream_init(&c->st, c->sh->loop, &sc, &stream_ops, c);
	if (err) {
		uv_freeaddrinfo(ai);
		conn_close(c, c->sh->tls ? "cannot start TLS (is the collector's address a valid "
					   "name?)" : uv_strerror(err));
		return;
	}
	c->tcp_open = 1;
	c->connect_req.data = c;
	err = uv_tcp_connect(&c->connect_req, stream_handle(&c->st), ai->ai_addr, on_connect);
	uv_freeaddrinfo(ai);
	if (err)
		conn_close(c, uv_strerror(err));
}

static void connect_now(struct shipper *sh)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	char port[8];
	struct ship_conn *c = calloc(1, sizeof *c);
	int err;

	if (!c) {
		schedule_retry(sh);
		return;
	}
	c->sh = sh;
	c->state = CONN_RESOLVING;
	uv_timer_init(sh->loop, &c->hello_timer);
	c->hello_timer.data = c;
	c->gai.data = c;
	sh->conn = c;
	snprintf(port, sizeof port, "%u", sh->port);
	err = uv_getaddrinfo(sh->loop, &c->gai, on_resolved, sh->host, port, &hints);
	if (err) {
		c->state = CONN_CONNECTING;
		conn_close(c, uv_strerror(err));
	}
}

static void retry_fired(uv_timer_t *t)
{
	struct shipper *sh = t->data;

	if (!sh->stopping && !sh->conn)
		connect_now(sh);
}

static void schedule_retry(struct shipper *sh)
{
	/* 1 s doubling to SHIP_BACKOFF_MAX_MS, +-20% jitter so a fleet does not
	 * reconnect in lockstep (the jitter is drawn per process, backoff.h) */
	static const struct backoff_policy policy = {
		.min = 1000, .max = SHIP_BACKOFF_MAX_MS, .below_pct = 20, .above_pct = 20,
	};
	unsigned ms;

	sh->backoff_ms = sh->backoff_ms ? sh->backoff_ms * 2 : 1000;
	if (sh->backoff_ms > SHIP_BACKOFF_MAX_MS)
		sh->backoff_ms = SHIP_BACKOFF_MAX_MS;
	ms = (unsigned)backoff_jitter(&policy, sh->backoff_ms, NULL);
	log_info("ship: reconnecting to %s:%u in %u ms", sh->host, sh->port, ms);
	uv_timer_start(&sh->retry, retry_fired, ms, 0);
}

int shipper_init(struct shipper *sh, uv_loop_t *loop, const char *host, uint16_t port,
		 const struct sw_hello *hello, struct spool *spool, unsigned reader,
		 struct tls_ctx *tls)
{
	memset(sh, 0, sizeof *sh);
	sh->loop = loop;
	snprintf(sh->host, sizeof sh->host, "%s", host);
	sh->port = port;
	sh->hello = *hello;
	sh->spool = spool;
	sh->reader = reader;
	sh->tls = tls;
	sh->version = SW_PROTO_VERSION_MAX;
	sh->delack_timeout_ms = SHIP_DELACK_TIMEOUT_MS;
	uv_timer_init(loop, &sh->retry);
	sh->retry.data = sh;
	return 0;
}

void shipper_start(struct shipper *sh)
{
	connect_now(sh);
}

void shipper_kick(struct shipper *sh)
{
	if (sh->conn && sh->conn->state == CONN_READY)
		pump(sh->conn);
}

void shipper_stop(struct shipper *sh)
{
	sh->stopping = 1;
	if (sh->conn)
		conn_close(sh->conn, NULL);
	uv_close((uv_handle_t *)&sh->retry, NULL);
}
