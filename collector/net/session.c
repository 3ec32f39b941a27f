/* session.c - one agent connection (see session.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delivery.h"
#include "ingest.h"
#include "session.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/tls.h"
#include "shrinkwatch/banned.h"

#define SESSION_CIPHER_BUF (64 * 1024)

/* Ciphertext as read from a socket.  One buffer serves every session: libuv
 * calls on_read() right after on_alloc() on the loop thread, and on_read()
 * hands every byte to OpenSSL before it returns, so thousands of idle TLS
 * sessions do not each hold 64 KiB. */
static uint8_t cipher_buf[SESSION_CIPHER_BUF];

enum session_state { S_HELLO, S_READY, S_CLOSING };

struct session {
	uint64_t id;
	struct ingest *ing;
	uv_tcp_t tcp;
	uv_timer_t timer; /* HELLO deadline, then idle deadline */
	int open_handles;
	enum session_state state;
	uint8_t version; /* what the agent's HELLO said: 2 takes DELETIONS */
	struct agent_rec *agent;
	struct buf rbuf;
	unsigned inflight;
	int reading;
	int tls_on;
	struct tls_conn tls;
	char ip[INET6_ADDRSTRLEN];
	char peer[64];
	struct session *prev, *next; /* every open session, for shutdown */
};

struct write_req {
	uv_write_t req;
	struct buf data;
};

static struct log_ratelimit refused_rl = LOG_RATELIMIT_INIT(60, 20);
static struct log_ratelimit skew_rl = LOG_RATELIMIT_INIT(300, 5);
static struct log_ratelimit gap_rl = LOG_RATELIMIT_INIT(60, 10);
static struct session_limits limits = {
	.handshake_ms = SESSION_HELLO_TIMEOUT_MS,
	.idle_min_s = SESSION_IDLE_MIN_S,
	.max_clock_skew_s = 300,
	.max_write_queue = 1 << 20,
};

void session_set_limits(const struct session_limits *lim)
{
	limits = *lim;
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
		session_close(all_sessions, 0, NULL);
}

void session_reauthorize(void)
{
	struct session *s, *next;
	char why[SW_TEXT_MAX];

	for (s = all_sessions; s; s = next) {
		next = s->next; /* closing unlinks s */
		if (s->state == S_CLOSING)
			continue;
		if (s->tls_on != (limits.tls != NULL) || (s->tls_on && !s->tls.established)) {
			/* made under other TLS settings, or mid-handshake under the
			 * old ones: the agent reconnects and meets the new ones */
			log_info("session: closing %s: TLS settings changed", s->peer);
			session_close(s, 0, NULL);
		} else if (s->tls_on && tls_conn_recheck(&s->tls, limits.tls)) {
			snprintf(why, sizeof why, "certificate no longer accepted: %.200s", s->tls.error);
			log_notice("session: closing %s%s%s%s: %s", s->peer,
				   s->agent ? " (agent '" : "", s->agent ? s->agent->name : "",
				   s->agent ? "')" : "", why);
			session_close(s, SW_ERR_DENIED, why);
		} else if (s->agent && limits.delivery &&
			   !delivery_allowed(limits.delivery, s->agent->name)) {
			snprintf(why, sizeof why, "agent '%s' is no longer on the allow-list",
				 s->agent->name);
			log_notice("session: closing %s: %s", s->peer, why);
			session_close(s, SW_ERR_DENIED, why);
		}
	}
}

uint64_t session_id(const struct session *s)
{
	return s->id;
}

const char *session_peer(const struct session *s)
{
	return s->peer;
}

struct agent_rec *session_agent(const struct session *s)
{
	return s->agent;
}

static void handle_closed(uv_handle_t *h)
{
	struct session *s = h->data;

	if (--s->open_handles == 0) {
		buf_release(&s->rbuf);
		if (s->tls_on)
			tls_conn_release(&s->tls);
		free(s);
	}
}

static void write_done(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	(void)status; /* a failed write shows up as a read error or EOF */

	buf_release(&w->data);
	free(w);
}

/* Writes bytes as they are; takes ownership of frame. */
static void send_raw(struct session *s, struct buf *frame)
{
	struct write_req *w;
	uv_buf_t b;

	if (s->state == S_CLOSING || !(w = malloc(sizeof *w))) {
		buf_release(frame);
		return;
	}
	w->data = *frame;
	b = uv_buf_init((char *)w->data.data, (unsigned)w->data.len);
	if (uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, write_done)) {
		buf_release(&w->data);
		free(w);
	}
}

static void tls_flush(struct session *s)
{
	struct buf out;

	buf_init(&out, SIZE_MAX);
	if (tls_conn_output(&s->tls, &out) == 0 && out.len)
		send_raw(s, &out);
	else
		buf_release(&out);
}

static void send_frame(struct session *s, struct buf *frame)
{
	if (s->state != S_CLOSING &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&s->tcp) > limits.max_write_queue) {
		log_ratelimited(&refused_rl, LOG_WARNING,
				"session: dropping %s: it does not read what we send (%zu bytes "
				"queued)", s->peer,
				uv_stream_get_write_queue_size((uv_stream_t *)&s->tcp));
		buf_release(frame);
		session_close(s, 0, NULL);
		return;
	}
	if (!s->tls_on) {
		send_raw(s, frame);
		return;
	}
	/* nothing goes out in the clear, and nothing before the handshake */
	if (s->tls.established && tls_conn_write(&s->tls, frame->data, frame->len) == 0)
		tls_flush(s);
	buf_release(frame);
}

void session_send_ack(struct session *s, uint64_t seq)
{
	struct buf frame;

	buf_init(&frame, 64);
	if (proto_encode_ack(&frame, seq) == 0)
		send_frame(s, &frame);
	else
		buf_release(&frame);
}

void session_send_delack(struct session *s, uint64_t id)
{
	struct buf frame;

	buf_init(&frame, 64);
	if (proto_encode_delack(&frame, id) == 0)
		send_frame(s, &frame);
	else
		buf_release(&frame);
}

void session_close(struct session *s, uint16_t code, const char *why)
{
	if (s->state == S_CLOSING)
		return;
	if (code) {
		struct buf frame;
		buf_init(&frame, 512);
		if (proto_encode_error(&frame, code, why) == 0)
			send_frame(s, &frame); /* queued before the close: libuv flushes it */
		else
			buf_release(&frame);
	}
	ingest_session_gone(s->ing, s);
	unlink_session(s);
	s->state = S_CLOSING;
	s->open_handles = 2;
	uv_close((uv_handle_t *)&s->timer, handle_closed);
	uv_close((uv_handle_t *)&s->tcp, handle_closed);
}

/* A refusal caused by the peer: logged (rate-limited, since a peer can cause
 * it at will) and answered with ERROR before closing. */
static void refuse(struct session *s, uint16_t code, const char *why)
{
	log_ratelimited(&refused_rl, LOG_WARNING, "session: refusing %s%s%s%s: %s", s->peer,
			s->agent ? " (agent '" : "", s->agent ? s->agent->name : "",
			s->agent ? "')" : "", why);
	session_close(s, code, why);
}

static void idle_timeout(uv_timer_t *t)
{
	struct session *s = t->data;

	if (s->state == S_HELLO)
		refuse(s, SW_ERR_PROTOCOL, s->tls_on && !s->tls.established
						   ? "no TLS handshake in time"
						   : "no HELLO in time");
	else
		session_close(s, 0, NULL);
}

static void arm_idle(struct session *s)
{
	uint64_t secs = limits.idle_min_s;

	if (s->agent && (uint64_t)s->agent->interval * SESSION_IDLE_INTERVALS > secs)
		secs = (uint64_t)s->agent->interval * SESSION_IDLE_INTERVALS;
	uv_timer_start(&s->timer, idle_timeout, secs * 1000, 0);
}

static void handle_hello(struct session *s, const struct sw_frame *f)
{
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
	if (s->tls_on && !tls_conn_peer_is(&s->tls, h.agent)) {
		char cn[128], why[400];

		tls_conn_peer_cn(&s->tls, cn, sizeof cn);
		snprintf(why, sizeof why, "HELLO for agent '%s' but the certificate names '%s'",
			 h.agent, cn);
		refuse(s, SW_ERR_DENIED, why);
		return;
	}
	if (limits.delivery && !delivery_allowed(limits.delivery, h.agent)) {
		char why[200];

		snprintf(why, sizeof why, "agent '%s' is not on the allow-list", h.agent);
		refuse(s, SW_ERR_DENIED, why);
		return;
	}
	err = ingest_hello(s->ing, s, &h, &s->agent, &ack);
	if (err) {
		refuse(s, err == -ENOMEM ? SW_ERR_INTERNAL : SW_ERR_DENIED,
		       err == -ENOMEM ? "out of memory" : "agent refused");
		return;
	}
	s->state = S_READY;
	s->version = f->version;
	log_info("session: agent '%s' connected from %s (%s, interval %u s, protocol %u); "
		 "stored up to seq %llu", h.agent, s->peer, h.software, h.interval,
		 (unsigned)s->version, (unsigned long long)ack);
	session_send_ack(s, ack);
	arm_idle(s);
}

/* A sample from the future would become its RRD file's last update and make
 * every honest sample after it "not newer": clamp it to our clock instead,
 * and say so.  (The seq still counts, so the agent's window moves on.) */
static void clamp_future(struct session *s, struct sw_sample *x, size_t n)
{
	int64_t now = (int64_t)time(NULL), limit = now + (int64_t)limits.max_clock_skew_s;

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

/* Seqs that will never arrive are history the collector does not have: the
 * agent's spool overflowed (it says so with SW_SAMPLE_GAP), or records were
 * lost or removed on the agent's side.  Either way an operator should know. */
static void note_gaps(struct session *s, const struct sw_sample *x, size_t n)
{
	uint64_t expect = s->agent->seq_accepted + 1;

	for (size_t i = 0; i < n; i++) {
		if (x[i].seq <= s->agent->seq_accepted)
			continue; /* a resend */
		if (x[i].flags & SW_SAMPLE_GAP)
			log_ratelimited(&gap_rl, LOG_WARNING,
					"session: agent '%s': its spool overflowed: samples before "
					"seq %llu were dropped on the agent",
					s->agent->name, (unsigned long long)x[i].seq);
		else if (s->agent->seq_accepted && x[i].seq > expect)
			log_ratelimited(&gap_rl, LOG_WARNING,
					"session: agent '%s': seqs %llu-%llu never arrived (lost or "
					"removed on the agent)",
					s->agent->name, (unsigned long long)expect,
					(unsigned long long)(x[i].seq - 1));
		expect = x[i].seq + 1;
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
	note_gaps(s, scratch, n);
	if (ingest_samples(s->ing, s, s->agent, scratch, n) == 1) {
		/* handed to the writers: hold reading when too much is queued,
		 * by this agent or by all of them */
		int held = ingest_overloaded(s->ing);

		if ((++s->inflight >= SESSION_MAX_INFLIGHT || held) && s->reading) {
			uv_read_stop((uv_stream_t *)&s->tcp);
			s->reading = 0;
		}
		if (held)
			ingest_hold(s->ing);
	}
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
	ingest_deletions(s->ing, s, s->agent, scratch, n);
	if (s->state != S_CLOSING)
		arm_idle(s);
}

static void handle_frame(struct session *s, const struct sw_frame *f)
{
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
	case SW_MSG_ERROR: {
		struct sw_error e;
		if (proto_decode_error(f, &e) == 0)
			log_warn("session: %s says: %s (code %u)", s->peer, e.text, e.code);
		session_close(s, 0, NULL);
		return;
	}
	default:
		refuse(s, SW_ERR_PROTOCOL, "unexpected message type");
		return;
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct session *s = h->data;
	size_t want = 64 * 1024;
	(void)hint;

	if (s->tls_on) {
		*b = uv_buf_init((char *)cipher_buf, sizeof cipher_buf);
		return;
	}
	if (s->rbuf.cap - s->rbuf.len < want)
		want = s->rbuf.cap - s->rbuf.len;
	if (want == 0 || buf_reserve(&s->rbuf, want)) {
		*b = uv_buf_init(NULL, 0);
		return;
	}
	*b = uv_buf_init((char *)s->rbuf.data + s->rbuf.len, (unsigned)want);
}

/* Handles every whole frame in rbuf. */
static void process_frames(struct session *s)
{
	size_t off = 0;

	while (s->state != S_CLOSING) {
		struct sw_frame f;
		long used = proto_frame_parse(s->rbuf.data + off, s->rbuf.len - off, &f);

		if (used == 0)
			break;
		if (used < 0) {
			refuse(s, used == -EPROTONOSUPPORT ? SW_ERR_VERSION : SW_ERR_PROTOCOL,
			       used == -EMSGSIZE	   ? "frame larger than the maximum"
			       : used == -EPROTONOSUPPORT ? "unsupported protocol version"
							  : "not a shrinkwatch frame");
			return;
		}
		handle_frame(s, &f);
		off += (size_t)used;
	}
	if (s->state != S_CLOSING)
		buf_consume(&s->rbuf, off);
}

/* Ciphertext arrived: advance the handshake, then decrypt and handle. */
static void tls_input(struct session *s, const uint8_t *p, size_t n)
{
	if (tls_conn_feed(&s->tls, p, n)) {
		session_close(s, 0, NULL);
		return;
	}
	if (!s->tls.established) {
		int r = tls_conn_handshake(&s->tls);

		tls_flush(s); /* our flight, or the alert that says why not */
		if (r < 0) {
			log_ratelimited(&refused_rl, LOG_WARNING, "session: refusing %s: %s",
					s->peer, s->tls.error);
			session_close(s, 0, NULL);
			return;
		}
		if (r == 0)
			return;
	}
	while (s->state != S_CLOSING) {
		size_t room = s->rbuf.cap - s->rbuf.len;
		long got;

		if (room > SESSION_CIPHER_BUF)
			room = SESSION_CIPHER_BUF;
		if (room == 0 || buf_reserve(&s->rbuf, room)) {
			refuse(s, SW_ERR_PROTOCOL, "frame larger than the maximum");
			return;
		}
		got = tls_conn_read(&s->tls, s->rbuf.data + s->rbuf.len, room);
		if (got == 0)
			break;
		if (got < 0) {
			if (got != -EPIPE)
				log_info("session: %s: %s", s->peer, s->tls.error);
			session_close(s, 0, NULL);
			return;
		}
		s->rbuf.len += (size_t)got;
		process_frames(s);
	}
	if (s->state != S_CLOSING)
		tls_flush(s);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct session *s = st->data;

	if (n < 0) {
		if (n != UV_EOF && n != UV_ECONNRESET)
			log_info("session: %s: %s", s->peer, uv_strerror((int)n));
		else if (s->state == S_HELLO && s->tls_on && !s->tls.established)
			log_ratelimited(&refused_rl, LOG_WARNING,
					"session: %s hung up during the TLS handshake (it did not "
					"accept our certificate?)", s->peer);
		session_close(s, 0, NULL);
		return;
	}
	if (s->tls_on) {
		tls_input(s, (const uint8_t *)b->base, (size_t)n);
		return;
	}
	s->rbuf.len += (size_t)n;
	process_frames(s);
}

void session_batch_done(struct session *s)
{
	if (s->state == S_CLOSING)
		return;
	if (s->inflight)
		s->inflight--;
	if (!s->reading && s->inflight < SESSION_MAX_INFLIGHT && !ingest_overloaded(s->ing)) {
		if (uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read) == 0)
			s->reading = 1;
	}
}

void session_resume_held(void)
{
	for (struct session *s = all_sessions; s; s = s->next)
		if (s->state == S_READY && !s->reading && s->inflight < SESSION_MAX_INFLIGHT &&
		    uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read) == 0)
			s->reading = 1;
}

static void describe_peer(struct session *s)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&ss, &len) == 0) {
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

	if (uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss, &len))
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

int session_accept(uv_stream_t *server, struct ingest *ing, unsigned max_sessions)
{
	static uint64_t next_id = 1;
	struct session *s = calloc(1, sizeof *s);
	int err;

	if (!s)
		return -ENOMEM;
	s->id = next_id++;
	s->ing = ing;
	buf_init(&s->rbuf, SW_FRAME_HEADER + SW_FRAME_MAX);
	uv_tcp_init(server->loop, &s->tcp);
	uv_timer_init(server->loop, &s->timer);
	s->tcp.data = s->timer.data = s;
	err = uv_accept(server, (uv_stream_t *)&s->tcp);
	if (err) {
		s->state = S_CLOSING;
		s->open_handles = 2;
		uv_close((uv_handle_t *)&s->timer, handle_closed);
		uv_close((uv_handle_t *)&s->tcp, handle_closed);
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
	if (!limits.tls && limits.delivery && !arrived_on_loopback(s)) {
		refuse(s, SW_ERR_DENIED, "plaintext (insecure = yes) is served on loopback only");
		return 0;
	}
	if (limits.tls) {
		if (tls_conn_init(&s->tls, limits.tls, NULL)) {
			session_close(s, 0, NULL);
			return -ENOMEM;
		}
		s->tls_on = 1;
	}
	uv_tcp_nodelay(&s->tcp, 1);
	uv_tcp_keepalive(&s->tcp, 1, 60);
	uv_timer_start(&s->timer, idle_timeout, limits.handshake_ms, 0);
	err = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
	if (err) {
		session_close(s, 0, NULL);
		return err;
	}
	s->reading = 1;
	return 0;
}
