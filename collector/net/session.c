/* session.c - one agent connection (see session.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admit.h"
#include "delivery.h"
#include "ingest.h"
#include "session.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/stream.h"
#include "shrinkwatch/tls.h"
#include "shrinkwatch/banned.h"

enum session_state { S_HELLO, S_READY, S_CLOSING };

struct session {
	struct ingest *ing;
	struct admit *admit;
	const struct delivery *dl; /* NULL: the defaults */
	struct stream st;
	uv_timer_t timer; /* HELLO deadline, then idle deadline */
	int open_handles;
	enum session_state state;
	uint8_t version; /* what the agent's HELLO said: 2 takes DELETIONS */
	struct agent_rec *agent;
	struct ingest_conn *conn; /* after HELLO */
	unsigned inflight;
	char ip[INET6_ADDRSTRLEN];
	char peer[64];
	struct session *prev, *next; /* every open session, for shutdown */
};

static struct log_ratelimit refused_rl = LOG_RATELIMIT_INIT(60, 20);
static struct log_ratelimit skew_rl = LOG_RATELIMIT_INIT(300, 5);

static void close_session(struct session *s, uint16_t code, const char *why);

/* The limits in force now. */
static void limits_of(const struct session *s, struct delivery_limits *lim)
{
	if (s->dl) {
		delivery_limits(s->dl, lim);
		return;
	}
	memset(lim, 0, sizeof *lim);
	lim->handshake_ms = DELIVERY_HANDSHAKE_S * 1000;
	lim->idle_min_s = DELIVERY_IDLE_S;
	lim->max_clock_skew_s = DELIVERY_MAX_CLOCK_SKEW_S;
	lim->max_write_queue = DELIVERY_MAX_WRITE_QUEUE;
	lim->max_stores = DELIVERY_MAX_STORES;
	lim->new_stores_per_hour = DELIVERY_NEW_STORES_PER_HOUR;
	lim->min_interval_s = DELIVERY_MIN_INTERVAL_S;
	lim->max_seq_jump = DELIVERY_MAX_SEQ_JUMP;
}

static struct session *all_sessions;
static unsigned open_sessions;

static void link_session(struct session *s)
{
	s->next = all_sessions;
	if (all_sessions)
		all_sessions->prev = s;
	all_sessions = s;
	open_sessions++;
}

static void unlink_session(struct session *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		all_sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	open_sessions--;
}

unsigned session_count(void)
{
	return open_sessions;
}

void session_close_all(void)
{
	while (all_sessions)
		close_session(all_sessions, 0, NULL);
}

void session_reauthorize(void)
{
	struct session *s, *next;
	struct delivery_limits limits;
	char why[SW_TEXT_MAX];

	for (s = all_sessions; s; s = next) {
		struct tls_conn *tls = stream_tls(&s->st);

		next = s->next; /* closing unlinks s */
		if (s->state == S_CLOSING)
			continue;
		limits_of(s, &limits);
		if ((tls != NULL) != (limits.tls != NULL) || (tls && !tls->established)) {
			/* made under other TLS settings, or mid-handshake under the
			 * old ones: the agent reconnects and meets the new ones */
			log_info("session: closing %s: TLS settings changed", s->peer);
			close_session(s, 0, NULL);
		} else if (tls && tls_conn_recheck(tls, limits.tls)) {
			snprintf(why, sizeof why, "certificate no longer accepted: %.200s", tls->error);
			log_notice("session: closing %s%s%s%s: %s", s->peer,
				   s->agent ? " (agent '" : "", s->agent ? s->agent->name : "",
				   s->agent ? "')" : "", why);
			close_session(s, SW_ERR_DENIED, why);
		} else if (s->agent && limits.allow &&
			   !delivery_allowed(limits.allow, s->agent->name)) {
			snprintf(why, sizeof why, "agent '%s' is no longer on the allow-list",
				 s->agent->name);
			log_notice("session: closing %s: %s", s->peer, why);
			close_session(s, SW_ERR_DENIED, why);
		} else {
			/* stays: under the reloaded limits */
			stream_set_max_write_queue(&s->st, limits.max_write_queue);
		}
	}
}

/* One of the session's handles (its timer, its stream) is closed; the last
 * one frees it. */
static void session_put(struct session *s)
{
	if (--s->open_handles == 0)
		free(s);
}

static void handle_closed(uv_handle_t *h)
{
	session_put(h->data);
}

static void stream_closed(void *ud)
{
	session_put(ud);
}

static void send_frame(struct session *s, struct buf *frame)
{
	int err = stream_send(&s->st, frame);

	if (err == -ENOBUFS) {
		log_ratelimited(&refused_rl, LOG_WARNING,
				"session: dropping %s: it does not read what we send (%zu bytes "
				"queued)", s->peer, stream_write_queue_size(&s->st));
		close_session(s, 0, NULL);
	}
	/* other failures show up as a read error or EOF */
}

static void send_ack(void *ud, uint64_t seq)
{
	struct session *s = ud;
	struct buf frame;

	buf_init(&frame, 64);
	if (proto_encode_ack(&frame, seq) == 0)
		send_frame(s, &frame);
	else
		buf_release(&frame);
}

static void send_delack(void *ud, uint64_t id)
{
	struct session *s = ud;
	struct buf frame;

	buf_init(&frame, 64);
	if (proto_encode_delack(&frame, id) == 0)
		send_frame(s, &frame);
	else
		buf_release(&frame);
}

/* Version 3: the agent's stores' retention, and an inventory request. */
static int send_policy(void *ud, const struct sw_policy *p, size_t n)
{
	struct session *s = ud;
	struct buf frame;
	int err;

	buf_init(&frame, 64 + n * (SW_NAME_MAX + 10));
	err = proto_encode_policy(&frame, p, n);
	if (err) {
		buf_release(&frame);
		return err;
	}
	send_frame(s, &frame);
	return 0;
}

static int send_invreq(void *ud, const struct sw_invreq *rq)
{
	struct session *s = ud;
	struct buf frame;
	int err;

	buf_init(&frame, 128 + SW_TEXT_MAX);
	err = proto_encode_invreq(&frame, rq);
	if (err) {
		buf_release(&frame);
		return err;
	}
	send_frame(s, &frame);
	return s->state == S_CLOSING ? -ENOTCONN : 0;
}

/* Version 3: a digest request (copy checking, collector/alerts/copies.h). */
static int send_digreq(void *ud, const struct sw_digreq *rq)
{
	struct session *s = ud;
	struct buf frame;
	int err;

	buf_init(&frame, 64 + SW_NAME_MAX + SW_PATH_WIRE_MAX);
	err = proto_encode_digreq(&frame, rq);
	if (err) {
		buf_release(&frame);
		return err;
	}
	send_frame(s, &frame);
	return s->state == S_CLOSING ? -ENOTCONN : 0;
}

/* Closes the session, first sending ERROR(code, why) if code is not 0. */
static void close_session(struct session *s, uint16_t code, const char *why)
{
	if (s->state == S_CLOSING)
		return;
	if (s->conn)
		ingest_conn_gone(s->ing, s->conn);
	s->conn = NULL;
	unlink_session(s);
	s->state = S_CLOSING;
	s->open_handles = 2;
	uv_close((uv_handle_t *)&s->timer, handle_closed);
	stream_close(&s->st, code, why); /* the ERROR is flushed before the close */
}

static void conn_close(void *ud, uint16_t code, const char *why)
{
	close_session(ud, code, why);
}

/* A refusal caused by the peer: logged (rate-limited, since a peer can cause
 * it at will) and answered with ERROR before closing. */
static void refuse(struct session *s, uint16_t code, const char *why)
{
	log_ratelimited(&refused_rl, LOG_WARNING, "session: refusing %s%s%s%s: %s", s->peer,
			s->agent ? " (agent '" : "", s->agent ? s->agent->name : "",
			s->agent ? "')" : "", why);
	close_session(s, code, why);
}

static void idle_timeout(uv_timer_t *t)
{
	struct session *s = t->data;

	if (s->state == S_HELLO)
		refuse(s, SW_ERR_PROTOCOL, !stream_established(&s->st) ? "no TLS handshake in time"
									: "no HELLO in time");
	else
		close_session(s, 0, NULL);
}

static void arm_idle(struct session *s)
{
	struct delivery_limits limits;
	uint64_t secs;

	limits_of(s, &limits);
	secs = limits.idle_min_s;
	if (s->agent && (uint64_t)s->agent->interval * SESSION_IDLE_INTERVALS > secs)
		secs = (uint64_t)s->agent->interval * SESSION_IDLE_INTERVALS;
	uv_timer_start(&s->timer, idle_timeout, secs * 1000, 0);
}

static void batch_done(void *ud);
static void resume(void *ud);

static const struct ingest_conn_ops conn_ops = {
	.send_ack = send_ack,
	.send_delack = send_delack,
	.close = conn_close,
	.batch_done = batch_done,
	.resume = resume,
	.send_policy = send_policy,
	.send_invreq = send_invreq,
	.send_digreq = send_digreq,
};

static void handle_hello(struct session *s, const struct sw_frame *f)
{
	struct delivery_limits limits;
	struct tls_conn *tls = stream_tls(&s->st);
	struct sw_hello h;
	uint64_t ack;
	int err;

	if (s->state != S_HELLO) {
		refuse(s, SW_ERR_PROTOCOL, "HELLO sent twice");
		return;
	}
	err = proto_decode_hello(f, &h);
	if (err == -EINVAL) {
		char why[160], shown[SW_NAME_MAX + 1];
		name_printable(h.agent, shown, sizeof shown);
		if (!name_valid(h.agent))
			snprintf(why, sizeof why, "agent name '%s' is not acceptable (allowed: "
				 "1-64 of A-Z a-z 0-9 . _ -)", shown);
		else
			snprintf(why, sizeof why, "interval %u s is out of range (1..86400)",
				 h.interval);
		refuse(s, SW_ERR_NAME, why);
		return;
	}
	if (err) {
		refuse(s, SW_ERR_PROTOCOL, "malformed HELLO");
		return;
	}
	if (tls && !tls_conn_peer_is(tls, h.agent)) {
		char cn[128], why[400];

		tls_conn_peer_cn(tls, cn, sizeof cn);
		snprintf(why, sizeof why, "HELLO for agent '%s' but the certificate names '%s'",
			 h.agent, cn);
		refuse(s, SW_ERR_DENIED, why);
		return;
	}
	limits_of(s, &limits);
	if (limits.allow && !delivery_allowed(limits.allow, h.agent)) {
		char why[200];

		snprintf(why, sizeof why, "agent '%s' is not on the allow-list", h.agent);
		refuse(s, SW_ERR_DENIED, why);
		return;
	}
	{
		char why[400];

		err = admit_hello(s->admit, &limits, &h, why, sizeof why);
		if (err) {
			refuse(s, err == -ENOMEM ? SW_ERR_INTERNAL : SW_ERR_DENIED,
			       err == -ENOMEM ? "out of memory" : why);
			return;
		}
	}
	err = ingest_hello(s->ing, &h, &conn_ops, s, s->peer, &s->conn, &s->agent, &ack);
	if (err) {
		refuse(s, err == -ENOMEM ? SW_ERR_INTERNAL : SW_ERR_DENIED,
		       err == -ENOMEM ? "out of memory" : "agent refused");
		return;
	}
	s->state = S_READY;
	s->version = f->version;
	ingest_conn_speaks(s->ing, s->conn, s->version); /* v3: POLICY first */
	log_info("session: agent '%s' connected from %s (%s, interval %u s, protocol %u); "
		 "stored up to seq %llu", h.agent, s->peer, h.software, h.interval,
		 (unsigned)s->version, (unsigned long long)ack);
	send_ack(s, ack);
	arm_idle(s);
}

/* A sample from the future would become its RRD file's last update and make
 * every honest sample after it "not newer": clamp it to our clock instead,
 * and say so.  (The seq still counts, so the agent's window moves on.) */
static void clamp_future(struct session *s, struct sw_sample *x, size_t n)
{
	struct delivery_limits limits;
	int64_t now = (int64_t)time(NULL), limit;

	limits_of(s, &limits);
	limit = now + (int64_t)limits.max_clock_skew_s;
	for (size_t i = 0; i < n; i++) {
		if (x[i].time <= limit)
			continue;
		log_ratelimited(&skew_rl, LOG_WARNING,
				"session: agent '%s' (%s): sample seq %llu of store '%s' is %lld s "
				"ahead of the collector's clock (limit %llu s): clock skew; stored "
				"at the collector's time",
				s->agent->name, s->peer, (unsigned long long)x[i].seq, x[i].store,
				(long long)(x[i].time - now),
				(unsigned long long)limits.max_clock_skew_s);
		x[i].time = now;
	}
}

static void handle_samples(struct session *s, const struct sw_frame *f)
{
	static struct sw_sample scratch[SW_SAMPLES_MAX];
	size_t n;
	int err;

	if (s->state != S_READY) {
		refuse(s, SW_ERR_PROTOCOL, "SAMPLES before HELLO");
		return;
	}
	if (f->version >= SW_PROTO_VERSION_EXACT && s->version < SW_PROTO_VERSION_EXACT) {
		refuse(s, SW_ERR_PROTOCOL, "version-3 SAMPLES after a lower-version HELLO");
		return;
	}
	err = proto_decode_samples(f, scratch, SW_SAMPLES_MAX, &n);
	if (err == -EINVAL) {
		char why[200], shown[SW_NAME_MAX + 1];
		name_printable(scratch[n].store, shown, sizeof shown);
		if (!name_valid(scratch[n].store))
			snprintf(why, sizeof why, "store name '%s' is not acceptable (allowed: "
				 "1-64 of A-Z a-z 0-9 . _ -)", shown);
		else
			snprintf(why, sizeof why, "sample seq %llu has an invalid time, seq, "
				 "status or flag", (unsigned long long)scratch[n].seq);
		refuse(s, SW_ERR_NAME, why);
		return;
	}
	if (err) {
		refuse(s, SW_ERR_PROTOCOL, "malformed SAMPLES frame");
		return;
	}
	clamp_future(s, scratch, n);
	{
		struct delivery_limits limits;
		char why[400];

		limits_of(s, &limits);
		err = admit_samples(s->admit, &limits, s->agent, scratch, &n, (int64_t)time(NULL),
				    why, sizeof why);
		if (err) {
			refuse(s, err == -ERANGE ? SW_ERR_PROTOCOL : SW_ERR_INTERNAL,
			       err == -ERANGE ? why : "out of memory");
			return;
		}
	}
	/* n == 0: every sample was of a refused store (admit.h); the agent's
	 * next stored sample acknowledges them */
	if (n && ingest_samples(s->ing, s->conn, scratch, n) == 1) {
		/* handed to the writers: hold reading when too much is queued,
		 * by this agent or by all of them */
		int held = ingest_overloaded(s->ing);

		if (++s->inflight >= SESSION_MAX_INFLIGHT || held)
			stream_pause(&s->st);
		if (held)
			ingest_hold(s->ing);
	}
	if (s->state != S_CLOSING)
		arm_idle(s);
}

static void handle_deletions(struct session *s, const struct sw_frame *f)
{
	static struct sw_deletion scratch[SW_DELETIONS_MAX];
	size_t n;
	int err;

	if (s->state != S_READY || s->version < 2) {
		refuse(s, SW_ERR_PROTOCOL, "DELETIONS before a version-2 HELLO");
		return;
	}
	err = proto_decode_deletions(f, scratch, SW_DELETIONS_MAX, &n);
	if (err == -EINVAL) {
		char why[200], shown[SW_NAME_MAX + 1];

		name_printable(scratch[n].store, shown, sizeof shown);
		snprintf(why, sizeof why, "deletion report for store '%s' has an invalid name, id, "
			 "time or uid", shown);
		refuse(s, SW_ERR_NAME, why);
		return;
	}
	if (err) {
		refuse(s, SW_ERR_PROTOCOL, "malformed DELETIONS frame");
		return;
	}
	ingest_deletions(s->ing, s->conn, scratch, n);
	if (s->state != S_CLOSING)
		arm_idle(s);
}

/* INVENTORY (version 3): an answer to an INVREQ of ours.  The items of one
 * frame (up to SW_INVENTORY_MAX, ~4.4 KB each) go in a buffer allocated on
 * first use and kept: inventories are rare, and pages never touched cost
 * nothing. */
static void handle_inventory(struct session *s, const struct sw_frame *f)
{
	static struct sw_invitem *items;
	struct sw_inventory hdr;
	size_t n = 0;
	int err;

	if (s->state != S_READY || s->version < SW_PROTO_VERSION_EXACT) {
		refuse(s, SW_ERR_PROTOCOL, "INVENTORY before a version-3 HELLO");
		return;
	}
	if (!items && !(items = malloc(SW_INVENTORY_MAX * sizeof *items))) {
		close_session(s, SW_ERR_INTERNAL, "collector out of memory");
		return;
	}
	err = proto_decode_inventory(f, &hdr, items, SW_INVENTORY_MAX, &n);
	if (err) {
		refuse(s, SW_ERR_PROTOCOL, err == -EINVAL ? "INVENTORY item with an invalid status, "
				   "flag, removal bracket or uid" : "malformed INVENTORY frame");
		return;
	}
	ingest_inventory(s->ing, s->conn, &hdr, items, n);
	if (s->state != S_CLOSING)
		arm_idle(s);
}

/* DIGESTS (version 3): an answer to a DIGREQ of ours; the entries of one
 * frame in a buffer allocated on first use and kept, as for INVENTORY. */
static void handle_digests(struct session *s, const struct sw_frame *f)
{
	static struct sw_digentry *entries;
	struct sw_digests hdr;
	size_t n = 0;
	int err;

	if (s->state != S_READY || s->version < SW_PROTO_VERSION_EXACT) {
		refuse(s, SW_ERR_PROTOCOL, "DIGESTS before a version-3 HELLO");
		return;
	}
	if (!entries && !(entries = malloc(SW_DIGESTS_MAX * sizeof *entries))) {
		close_session(s, SW_ERR_INTERNAL, "collector out of memory");
		return;
	}
	err = proto_decode_digests(f, &hdr, entries, SW_DIGESTS_MAX, &n);
	if (err) {
		refuse(s, SW_ERR_PROTOCOL, "malformed DIGESTS frame");
		return;
	}
	ingest_digests(s->ing, s->conn, &hdr, entries, n);
	if (s->state != S_CLOSING)
		arm_idle(s);
}

static void handle_frame(void *ud, const struct sw_frame *f)
{
	struct session *s = ud;

	switch (f->type) {
	case SW_MSG_HELLO:
		handle_hello(s, f);
		return;
	case SW_MSG_SAMPLES:
		handle_samples(s, f);
		return;
	case SW_MSG_DELETIONS:
		handle_deletions(s, f);
		return;
	case SW_MSG_INVENTORY:
		handle_inventory(s, f);
		return;
	case SW_MSG_DIGESTS:
		handle_digests(s, f);
		return;
	case SW_MSG_ERROR: {
		struct sw_error e;
		if (proto_decode_error(f, &e) == 0)
			log_warn("session: %s says: %s (code %u)", s->peer, e.text, e.code);
		close_session(s, 0, NULL);
		return;
	}
	default:
		refuse(s, SW_ERR_PROTOCOL, "unexpected message type");
		return;
	}
}

/* The transport failed: say why in the words the collector always used. */
static void stream_failed(void *ud, enum stream_fail kind, int err, const char *why)
{
	struct session *s = ud;

	switch (kind) {
	case STREAM_HANGUP:
		if (s->state == S_HELLO && stream_tls(&s->st) && !stream_established(&s->st))
			log_ratelimited(&refused_rl, LOG_WARNING,
					"session: %s hung up during the TLS handshake (it did not "
					"accept our certificate?)", s->peer);
		break;
	case STREAM_IO:
		log_info("session: %s: %s", s->peer, why);
		break;
	case STREAM_TLS:
		if (!stream_established(&s->st))
			log_ratelimited(&refused_rl, LOG_WARNING, "session: refusing %s: %s",
					s->peer, why);
		else if (err != -EPIPE)
			log_info("session: %s: %s", s->peer, why);
		break;
	case STREAM_FRAME:
		refuse(s, err == -EPROTONOSUPPORT ? SW_ERR_VERSION : SW_ERR_PROTOCOL,
		       err == -EMSGSIZE || err == -ENOBUFS ? "frame larger than the maximum"
		       : err == -EPROTONOSUPPORT	  ? "unsupported protocol version"
							  : "not a shrinkwatch frame");
		return;
	case STREAM_NOMEM:
		break;
	}
	close_session(s, 0, NULL);
}

static const struct stream_ops stream_ops = {
	.on_frame = handle_frame,
	.on_error = stream_failed,
	.on_closed = stream_closed,
};

static void batch_done(void *ud)
{
	struct session *s = ud;

	if (s->state == S_CLOSING)
		return;
	if (s->inflight)
		s->inflight--;
	if (stream_paused(&s->st) && s->inflight < SESSION_MAX_INFLIGHT &&
	    !ingest_overloaded(s->ing))
		stream_resume(&s->st);
}

static void resume(void *ud)
{
	struct session *s = ud;

	if (s->state == S_READY && stream_paused(&s->st) && s->inflight < SESSION_MAX_INFLIGHT)
		stream_resume(&s->st);
}

static void describe_peer(struct session *s)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (uv_tcp_getpeername(stream_handle(&s->st), (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			uv_ip4_name(in, host, sizeof host);
			port = ntohs(in->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			uv_ip6_name(in6, host, sizeof host);
			port = ntohs(in6->sin6_port);
		}
	}
	snprintf(s->ip, sizeof s->ip, "%s", host);
	snprintf(s->peer, sizeof s->peer, "%s:%u", host, port);
}

/* Whether s arrived at a loopback address of ours.  Plaintext is served
 * only there: under socket activation the socket systemd passes may listen
 * on every address whatever the config's listen line says. */
static int arrived_on_loopback(struct session *s)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "";

	if (uv_tcp_getsockname(stream_handle(&s->st), (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET)
		uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof host);
	else if (ss.ss_family == AF_INET6)
		uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof host);
	return host[0] && tls_host_is_loopback(host);
}

/* Open sessions from s's address, s included. */
static unsigned from_same_address(const struct session *s)
{
	unsigned n = 0;

	for (const struct session *o = all_sessions; o; o = o->next)
		n += !strcmp(o->ip, s->ip);
	return n;
}

int session_accept(uv_stream_t *server, struct ingest *ing, struct admit *admit,
		   const struct delivery *dl, unsigned max_sessions)
{
	struct session *s = calloc(1, sizeof *s);
	struct delivery_limits limits;
	struct stream_config sc;
	int err;

	if (!s)
		return -ENOMEM;
	s->ing = ing;
	s->admit = admit;
	s->dl = dl;
	limits_of(s, &limits);
	memset(&sc, 0, sizeof sc);
	sc.tls = limits.tls;
	sc.max_frame = SW_FRAME_MAX;
	sc.max_write_queue = limits.max_write_queue;
	err = stream_init(&s->st, server->loop, &sc, &stream_ops, s);
	if (err) {
		free(s);
		return err;
	}
	uv_timer_init(server->loop, &s->timer);
	s->timer.data = s;
	err = uv_accept(server, (uv_stream_t *)stream_handle(&s->st));
	if (!err)
		err = stream_start(&s->st);
	if (err) {
		s->state = S_CLOSING;
		s->open_handles = 2;
		uv_close((uv_handle_t *)&s->timer, handle_closed);
		stream_close(&s->st, 0, NULL);
		return err;
	}
	describe_peer(s);
	link_session(s);
	if (open_sessions > max_sessions) {
		/* over the connection limit: say why, then go */
		refuse(s, SW_ERR_OVERLOAD, "too many connections");
		return 0;
	}
	if (limits.max_per_address && from_same_address(s) > limits.max_per_address) {
		refuse(s, SW_ERR_OVERLOAD, "too many connections from this address");
		return 0;
	}
	if (!limits.tls && limits.allow && !arrived_on_loopback(s)) {
		refuse(s, SW_ERR_DENIED, "plaintext (insecure = yes) is served on loopback only");
		return 0;
	}
	uv_timer_start(&s->timer, idle_timeout, limits.handshake_ms, 0);
	return 0;
}
