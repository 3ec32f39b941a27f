/*
 * guard.h - who may hold the dashboard's connections, and for how long.
 *
 * libmicrohttpd's own limits are not enough against a slow client: its
 * connection timeout counts inactivity, so a client that sends one byte of
 * its request every few seconds holds a connection for ever, and its
 * per-address limit turns 64 such connections into a refusal of everyone
 * else from that address -- the dashboard, the API and /metrics go dark for
 * a whole site behind a reverse proxy, where every user is one address.
 * The guard bounds both, on the server's threads:
 *
 *   - time: a connection must deliver its request within request_timeout of
 *     opening (or of its previous response, for keep-alive), and a response
 *     must be sent within HTTP_GUARD_RESPONSE_S; past that it is shut down;
 *   - room: when an address holds more than per_address connections, or the
 *     server more than soft_total, the connection that has waited longest
 *     for its request is shut down to make room.  A genuine client sends its
 *     request at once, so it is almost never the one waiting, and a new
 *     request is served even while slow clients try to hold every slot; the
 *     new connection itself goes only when every other is busy being served.
 *
 * A connection is shut down with shutdown(2) on its socket, under the
 * guard's mutex; libmicrohttpd then sees the end of the stream and closes
 * it, and tells the guard (http_guard_closed()) before it closes the socket,
 * so the guard never touches a descriptor it no longer owns.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_GUARD_H
#define SHRINKWATCH_COLLECTOR_HTTP_GUARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define HTTP_GUARD_RESPONSE_S 120

struct http_guard_conn;

struct http_guard {
	pthread_mutex_t mu;
	struct http_guard_conn *conns; /* every open connection */
	unsigned n;                    /* open, not shut down by the guard */
	unsigned per_address, soft_total;
	uint64_t request_timeout_ms;
	uint64_t evicted, timed_out;   /* shut down for room, for time */
};

/* 0, or a negative errno. */
int http_guard_init(struct http_guard *g, unsigned per_address, unsigned soft_total,
		    uint64_t request_timeout_ms);
/* After the server stopped (no callback runs any more). */
void http_guard_release(struct http_guard *g);

/* The server's callbacks, with a monotonic clock in ms.  started() keeps its
 * record in *ctx (libmicrohttpd's socket context), which the others take. */
void http_guard_started(struct http_guard *g, int fd, const struct sockaddr *addr, void **ctx,
			uint64_t now_ms);
/* A request arrived whole on the connection (being served now). */
void http_guard_busy(struct http_guard *g, void *ctx, uint64_t now_ms);
/* Its response is sent: it waits for the next request. */
void http_guard_idle(struct http_guard *g, void *ctx, uint64_t now_ms);
void http_guard_closed(struct http_guard *g, void **ctx);
/* Shuts down connections past their time (call about once a second). */
void http_guard_sweep(struct http_guard *g, uint64_t now_ms);

/* A monotonic clock in ms, for the callbacks above. */
uint64_t http_guard_now_ms(void);

#endif
