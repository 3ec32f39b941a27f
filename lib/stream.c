/* stream.c - one framed, optionally TLS, connection (see stream.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/stream.h"
#include "shrinkwatch/banned.h"

/* Ciphertext as read from a socket, shared by every TLS stream of the
 * process: stream.h says why that is safe. */
static uint8_t cipher_buf[STREAM_CIPHER_BUF];

struct write_req {
	uv_write_t req;
	struct buf data;
};

static void tcp_closed(uv_handle_t *h)
{
	struct stream *s = h->data;

	buf_release(&s->rbuf);
	if (s->tls_on)
		tls_conn_release(&s->tls);
	s->ops->on_closed(s->ud);
}

void stream_close(struct stream *s, uint16_t code, const char *why)
{
	if (s->state == STREAM__CLOSING)
		return;
	if (code && stream_established(s)) {
		struct buf frame;

		buf_init(&frame, 512);
		if (proto_encode_error(&frame, code, why) == 0)
			stream_send(s, &frame); /* queued before the close: libuv flushes it */
		else
			buf_release(&frame);
	}
	s->state = STREAM__CLOSING;
	uv_close((uv_handle_t *)&s->tcp, tcp_closed);
}

bool stream_closing(const struct stream *s)
{
	return s->state == STREAM__CLOSING;
}

/* Reports a failure once, then closes unless the owner already did. */
static void fail(struct stream *s, enum stream_fail kind, int err, const char *why)
{
	if (s->state == STREAM__CLOSING || s->failed)
		return;
	s->failed = true;
	uv_read_stop((uv_stream_t *)&s->tcp);
	s->ops->on_error(s->ud, kind, err, why);
	stream_close(s, 0, NULL);
}

static void write_done(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct stream *s = req->handle->data;

	buf_release(&w->data);
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		fail(s, status == UV_EPIPE || status == UV_ECONNRESET ? STREAM_HANGUP : STREAM_IO,
		     status, uv_strerror(status));
}

/* Writes bytes as they are; takes ownership of data. */
static int raw_send(struct stream *s, struct buf *data)
{
	struct write_req *w = malloc(sizeof *w);
	uv_buf_t b;
	int err;

	if (!w) {
		buf_release(data);
		return -ENOMEM;
	}
	w->data = *data;
	b = uv_buf_init((char *)w->data.data, (unsigned)w->data.len);
	err = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, write_done);
	if (err) {
		buf_release(&w->data);
		free(w);
	}
	return err;
}

/* Sends the ciphertext TLS has produced.  0 or a negative errno. */
static int tls_flush(struct stream *s)
{
	struct buf out;
	int err;

	buf_init(&out, SIZE_MAX);
	err = tls_conn_output(&s->tls, &out);
	if (!err && out.len)
		return raw_send(s, &out);
	buf_release(&out);
	return err;
}

int stream_send(struct stream *s, struct buf *frame)
{
	int err;

	if (s->state == STREAM__CLOSING) {
		err = -ESHUTDOWN;
		goto out;
	}
	if (s->max_write_queue && stream_write_queue_size(s) > s->max_write_queue) {
		err = -ENOBUFS;
		goto out;
	}
	if (!s->tls_on)
		return raw_send(s, frame);
	/* nothing goes out in the clear, and nothing before the handshake */
	if (!s->tls.established) {
		err = -ENOTCONN;
		goto out;
	}
	err = tls_conn_write(&s->tls, frame->data, frame->len);
	if (!err)
		err = tls_flush(s);
out:
	buf_release(frame);
	return err;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct stream *s = h->data;
	size_t want = STREAM_CIPHER_BUF;
	(void)hint;

	if (s->tls_on) {
		*b = uv_buf_init((char *)cipher_buf, sizeof cipher_buf);
		return;
	}
	if (s->rbuf.cap - s->rbuf.len < want)
		want = s->rbuf.cap - s->rbuf.len;
	if (want == 0 || buf_reserve(&s->rbuf, want)) {
		*b = uv_buf_init(NULL, 0); /* on_read sees UV_ENOBUFS */
		return;
	}
	*b = uv_buf_init((char *)s->rbuf.data + s->rbuf.len, (unsigned)want);
}

/* Hands every whole frame in rbuf to the owner, then drops them. */
static void process_frames(struct stream *s)
{
	size_t off = 0;

	while (s->state != STREAM__CLOSING) {
		struct sw_frame f;
		long used = proto_frame_parse(s->rbuf.data + off, s->rbuf.len - off, &f);

		if (used == 0)
			break;
		if (used < 0) {
			fail(s, STREAM_FRAME, (int)used,
			     used == -EMSGSIZE ? "frame larger than the maximum"
			     : used == -EPROTONOSUPPORT ? "unsupported protocol version"
							: "not a shrinkwatch frame");
			return;
		}
		s->ops->on_frame(s->ud, &f);
		off += (size_t)used;
	}
	if (s->state != STREAM__CLOSING)
		buf_consume(&s->rbuf, off);
}

/* The read buffer is full and holds no whole frame: the peer announced a
 * frame larger than this stream takes. */
static void buffer_full(struct stream *s)
{
	fail(s, STREAM_FRAME, -ENOBUFS, "frame larger than the receive buffer");
}

/* Ciphertext arrived: advance the handshake, then decrypt and handle. */
static void tls_input(struct stream *s, const uint8_t *p, size_t n)
{
	if (tls_conn_feed(&s->tls, p, n)) {
		fail(s, STREAM_NOMEM, -ENOMEM, "out of memory");
		return;
	}
	if (!s->tls.established) {
		int r = tls_conn_handshake(&s->tls);
		int err = tls_flush(s); /* our flight, or the alert that says why not */

		if (r < 0) {
			fail(s, STREAM_TLS, r, s->tls.error);
			return;
		}
		if (err) {
			fail(s, STREAM_IO, err, uv_strerror(err));
			return;
		}
		if (r == 0)
			return;
		if (s->ops->on_established)
			s->ops->on_established(s->ud);
	}
	while (s->state != STREAM__CLOSING) {
		size_t room = s->rbuf.cap - s->rbuf.len;
		long got;

		if (room > STREAM_CIPHER_BUF)
			room = STREAM_CIPHER_BUF;
		if (room == 0) {
			buffer_full(s);
			return;
		}
		if (buf_reserve(&s->rbuf, room)) {
			fail(s, STREAM_NOMEM, -ENOMEM, "out of memory");
			return;
		}
		got = tls_conn_read(&s->tls, s->rbuf.data + s->rbuf.len, room);
		if (got == 0)
			break;
		if (got < 0) {
			fail(s, STREAM_TLS, (int)got, s->tls.error);
			return;
		}
		s->rbuf.len += (size_t)got;
		process_frames(s);
	}
	if (s->state != STREAM__CLOSING) {
		int err = tls_flush(s);

		if (err)
			fail(s, STREAM_IO, err, uv_strerror(err));
	}
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct stream *s = st->data;

	if (n == UV_ENOBUFS) {
		buffer_full(s);
		return;
	}
	if (n < 0) {
		fail(s, n == UV_EOF || n == UV_ECONNRESET ? STREAM_HANGUP : STREAM_IO, (int)n,
		     uv_strerror((int)n));
		return;
	}
	if (s->tls_on) {
		tls_input(s, (const uint8_t *)b->base, (size_t)n);
		return;
	}
	s->rbuf.len += (size_t)n;
	process_frames(s);
	if (s->state != STREAM__CLOSING && s->rbuf.len == s->rbuf.cap)
		buffer_full(s);
}

int stream_init(struct stream *s, uv_loop_t *loop, const struct stream_config *cfg,
		const struct stream_ops *ops, void *ud)
{
	size_t max_frame = cfg->max_frame ? cfg->max_frame : SW_FRAME_MAX;
	int err;

	memset(s, 0, sizeof *s);
	s->ops = ops;
	s->ud = ud;
	s->max_write_queue = cfg->max_write_queue;
	if (max_frame > SW_FRAME_MAX)
		max_frame = SW_FRAME_MAX;
	buf_init(&s->rbuf, SW_FRAME_HEADER + max_frame);
	if (cfg->tls) {
		err = tls_conn_init(&s->tls, cfg->tls, cfg->peer_host);
		if (err)
			return err;
		s->tls_on = true;
		s->tls_client = cfg->peer_host != NULL;
	}
	err = uv_tcp_init(loop, &s->tcp);
	if (err) {
		if (s->tls_on)
			tls_conn_release(&s->tls);
		return err;
	}
	s->tcp.data = s;
	return 0;
}

uv_tcp_t *stream_handle(struct stream *s)
{
	return &s->tcp;
}

int stream_start(struct stream *s)
{
	int err;

	if (s->state != STREAM__NEW)
		return -EINVAL;
	uv_tcp_nodelay(&s->tcp, 1);
	uv_tcp_keepalive(&s->tcp, 1, 60);
	err = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
	if (err)
		return err;
	s->reading = true;
	s->state = STREAM__OPEN;
	if (s->tls_on && s->tls_client) {
		/* the client speaks first */
		if (tls_conn_handshake(&s->tls) < 0)
			return -EPROTO;
		err = tls_flush(s);
		if (err)
			return err;
	}
	return 0;
}

void stream_pause(struct stream *s)
{
	if (s->state == STREAM__OPEN && s->reading)
		uv_read_stop((uv_stream_t *)&s->tcp);
	s->reading = false;
}

int stream_resume(struct stream *s)
{
	int err;

	if (s->state != STREAM__OPEN || s->failed || s->reading)
		return 0;
	err = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
	if (!err)
		s->reading = true;
	return err;
}

bool stream_paused(const struct stream *s)
{
	return !s->reading;
}

bool stream_established(const struct stream *s)
{
	return s->state == STREAM__OPEN && (!s->tls_on || s->tls.established);
}

struct tls_conn *stream_tls(struct stream *s)
{
	return s->tls_on ? &s->tls : NULL;
}

void stream_set_max_write_queue(struct stream *s, size_t bytes)
{
	s->max_write_queue = bytes;
}

size_t stream_write_queue_size(const struct stream *s)
{
	return uv_stream_get_write_queue_size((const uv_stream_t *)&s->tcp);
}
