/*
 * listen.h - the collector's listening socket for agents.
 *
 * Under systemd socket activation (shrinkwatch-collector.socket) the first
 * passed stream socket is used as is; otherwise the collector binds the
 * configured address itself.  Each accepted connection becomes a session.
 */
#ifndef SHRINKWATCH_COLLECTOR_LISTEN_H
#define SHRINKWATCH_COLLECTOR_LISTEN_H

#include <stdint.h>
#include <uv.h>

struct admit;
struct ingest;
struct delivery;

struct listener {
	uv_tcp_t tcp;
	struct ingest *ing;
	struct admit *admit;
	const struct delivery *dl;
	unsigned max_sessions;
	char where[300]; /* "127.0.0.1:7405" or "socket activation (fd 3)" */
	uint16_t port;   /* the bound port (useful with port 0) */
	int open;
};

/* Listens on host:port, or on the socket systemd passed; every connection
 * becomes a session feeding ing through admit under the TLS settings and
 * limits of dl (session_accept()).  0 or -errno, with the reason logged. */
int listener_start(struct listener *l, uv_loop_t *loop, const char *host, uint16_t port,
		   struct ingest *ing, struct admit *admit, const struct delivery *dl,
		   unsigned max_sessions);
/* A reload's max_connections: applies to the next connection accepted (open
 * sessions past the new limit stay). */
void listener_set_max_sessions(struct listener *l, unsigned max_sessions);
void listener_stop(struct listener *l);

#endif
