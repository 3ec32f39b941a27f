/*
 * stream.h - one framed, optionally TLS, connection over a uv_tcp_t.
 *
 * The agent's shipper and the collector's sessions speak the same framing
 * (proto.h) over the same kind of link: a TCP socket, with mutual TLS
 * (tls.h) unless a loopback config says insecure = yes.  This module is that
 * link, written once: it reads into a buffer capped at one maximal frame,
 * hands every whole frame to its owner, encrypts and writes the frames the
 * owner sends, and closes.  What the frames mean (HELLO, SAMPLES, ACK, the
 * timers) stays with the owner.
 *
 * The owner embeds a struct stream, calls stream_init(), then accepts or
 * connects on stream_handle() and calls stream_start().  Events come back
 * through struct stream_ops with the owner's user data, on the loop thread:
 *
 *   on_frame        one whole frame; its payload points into the stream's
 *                   read buffer and is valid only until on_frame returns.
 *   on_established  (TLS only) the handshake completed: frames may be sent.
 *                   A plaintext stream carries frames as soon as
 *                   stream_start() returned 0.
 *   on_error        the stream failed (see enum stream_fail) and reads no
 *                   more.  The owner may call stream_close() with an ERROR
 *                   to send; if it does not, the stream closes itself
 *                   without one when on_error returns.
 *   on_closed       the socket is closed and the stream has released what
 *                   it held: the owner may free the memory it lives in.
 *
 * The owner may call stream_close() from inside any callback; the stream
 * then delivers nothing more except on_closed.
 *
 * Safety rules the stream keeps so its owners cannot forget them: on a TLS
 * stream nothing is sent before the handshake completes and nothing ever in
 * the clear (stream_send() refuses with -ENOTCONN); a peer that does not read
 * what is sent is caught by the write-queue cap (stream_send() refuses with
 * -ENOBUFS, and the owner closes); a TLS failure during the handshake sends
 * the alert that says why before reporting it.
 *
 * Memory at scale: the ciphertext of every TLS stream of the process is read
 * into one shared buffer (STREAM_CIPHER_BUF bytes).  This is safe because
 * libuv calls the read callback right after the allocation callback on the
 * loop thread, and the stream hands every byte to OpenSSL before the read
 * callback returns; so thousands of idle TLS connections do not each hold a
 * read buffer of their own.  All streams of a process must therefore run on
 * one thread's loop.  A stream's own read buffer (the plaintext of frames not
 * yet whole) grows only as bytes arrive and never past one maximal frame.
 */
#ifndef SHRINKWATCH_STREAM_H
#define SHRINKWATCH_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "shrinkwatch/buf.h"
#include "shrinkwatch/proto.h"
#include "shrinkwatch/tls.h"

/* Bytes of the shared ciphertext read buffer, and the most a plaintext
 * stream reads from its socket at once. */
#define STREAM_CIPHER_BUF (64 * 1024)

/* Why a stream failed (on_error's kind). */
enum stream_fail {
	STREAM_HANGUP, /* the peer closed or reset the connection: err is the libuv code */
	STREAM_IO,     /* a read or write failed otherwise: err is the libuv code */
	STREAM_TLS,    /* the handshake or a record failed (err -EPROTO), or the peer
			* ended the TLS session (err -EPIPE); why holds OpenSSL's words */
	STREAM_FRAME,  /* the peer sent what is not an acceptable frame: err is
			* -EPROTO (not a frame), -EPROTONOSUPPORT (version), -EMSGSIZE
			* (larger than SW_FRAME_MAX) or -ENOBUFS (larger than the
			* stream's max_frame) */
	STREAM_NOMEM,  /* out of memory */
};

struct stream_ops {
	void (*on_frame)(void *ud, const struct sw_frame *f);
	void (*on_established)(void *ud); /* may be NULL */
	/* why: a short text for a log line (never NULL), valid during the call. */
	void (*on_error)(void *ud, enum stream_fail kind, int err, const char *why);
	void (*on_closed)(void *ud);
};

struct stream_config {
	struct tls_ctx *tls;   /* NULL: plaintext; only used by stream_init()
				* (the TLS connection holds its own reference to
				* the OpenSSL context) */
	const char *peer_host; /* TLS client: the name the peer's certificate must
				* carry; NULL for a server */
	size_t max_frame;      /* largest payload accepted; 0: SW_FRAME_MAX */
	size_t max_write_queue; /* bytes queued to the peer past which
				 * stream_send() refuses; 0: no cap */
};

enum stream_state { STREAM__NEW, STREAM__OPEN, STREAM__CLOSING };

/* Opaque to owners: use the functions below. */
struct stream {
	uv_tcp_t tcp;
	const struct stream_ops *ops;
	void *ud;
	enum stream_state state;
	bool tls_on;
	bool tls_client; /* speaks first in the handshake */
	bool reading; /* the owner wants to read (not paused) */
	bool failed;  /* on_error was called */
	size_t max_write_queue;
	struct buf rbuf; /* plaintext not yet a whole frame */
	struct tls_conn tls;
};

/*
 * Prepares s on loop with cfg (copied) and the owner's ops and ud; with
 * cfg->tls it also starts a TLS connection (a client one if peer_host is
 * set).  After 0 the owner must eventually call stream_close() and wait for
 * on_closed before freeing s.  0, or -ENOMEM / -EINVAL (TLS could not start,
 * e.g. peer_host is not a usable name) or a libuv error; after a failure
 * nothing is left to close and no callback is ever called.
 */
int stream_init(struct stream *s, uv_loop_t *loop, const struct stream_config *cfg,
		const struct stream_ops *ops, void *ud);
/* The TCP handle, for uv_accept(), uv_tcp_connect() and the peer's address.
 * The owner must not read, write or close it directly. */
uv_tcp_t *stream_handle(struct stream *s);
/*
 * Once the socket is connected (or accepted): sets TCP_NODELAY and
 * keepalive, starts reading, and for a TLS client sends the first handshake
 * flight.  0 or a negative errno (on failure nothing was called back; close
 * the stream).
 */
int stream_start(struct stream *s);
/*
 * Sends one whole frame; takes ownership of frame's storage whatever the
 * result.  0, -ENOTCONN (TLS handshake not complete: nothing was sent),
 * -ENOBUFS (more than max_write_queue bytes are already queued: the peer
 * does not read), -ESHUTDOWN (closing), or another negative errno.  A
 * failure never calls back: the owner decides whether to close.
 */
int stream_send(struct stream *s, struct buf *frame);
/* Stops reading from the socket (frames already read are still delivered),
 * so a peer that sends faster than the owner can take is pushed back by TCP. */
void stream_pause(struct stream *s);
/* Reads again after stream_pause().  0 or a libuv error. */
int stream_resume(struct stream *s);
bool stream_paused(const struct stream *s);
/*
 * Closes s once; later calls do nothing.  If code is not 0 an ERROR(code,
 * why) frame is queued first and libuv writes it before the socket closes --
 * unless the stream cannot carry it (TLS handshake not complete, or the
 * write queue is over its cap).  on_closed follows from the loop.
 */
void stream_close(struct stream *s, uint16_t code, const char *why);
bool stream_closing(const struct stream *s);
/* Whether frames can be sent: a started plaintext stream, or a TLS stream
 * whose handshake completed. */
bool stream_established(const struct stream *s);
/* The TLS connection (peer certificate checks), or NULL for plaintext. */
struct tls_conn *stream_tls(struct stream *s);
/* Bytes written but not yet taken by the kernel. */
size_t stream_write_queue_size(const struct stream *s);
/* Changes the cap stream_send() enforces (0: none), e.g. after a reload of
 * the limits; what is queued already stays queued. */
void stream_set_max_write_queue(struct stream *s, size_t bytes);

#endif
