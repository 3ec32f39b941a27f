/* listen.c - accepting agent connections (see listen.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "listen.h"
#include "session.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

static void on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	int err;

	if (status < 0) {
		log_warn("listen: accept on %s failed: %s", l->where, uv_strerror(status));
		return;
	}
	err = session_accept(server, l->ing, l->admit, l->dl, l->max_sessions);
	if (err)
		log_warn("listen: cannot accept on %s: %s", l->where, uv_strerror(err));
}

static int bound_port(uv_tcp_t *tcp)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;

	if (uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int listener_start(struct listener *l, uv_loop_t *loop, const char *host, uint16_t port,
		   struct ingest *ing, struct admit *admit, const struct delivery *dl,
		   unsigned max_sessions)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char portstr[8];
	int err, nfds;

	memset(l, 0, sizeof *l);
	l->ing = ing;
	l->admit = admit;
	l->dl = dl;
	l->max_sessions = max_sessions;
	uv_tcp_init(loop, &l->tcp);
	l->tcp.data = l;
	l->open = 1;

	nfds = sd_listen_fds(1);
	if (nfds > 0 && sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) > 0) {
		err = uv_tcp_open(&l->tcp, SD_LISTEN_FDS_START);
		snprintf(l->where, sizeof l->where, "socket activation (fd %d)",
			 SD_LISTEN_FDS_START);
		if (err)
			goto fail;
	} else {
		snprintf(portstr, sizeof portstr, "%u", port);
		err = getaddrinfo(host, portstr, &hints, &ai);
		if (err) {
			log_err("listen: cannot resolve '%s': %s", host, gai_strerror(err));
			return -EINVAL;
		}
		snprintf(l->where, sizeof l->where, "%s:%u", host, port);
		err = uv_tcp_bind(&l->tcp, ai->ai_addr, 0);
		freeaddrinfo(ai);
		if (err)
			goto fail;
	}
	err = uv_listen((uv_stream_t *)&l->tcp, 1024, on_connection);
	if (err)
		goto fail;
	l->port = (uint16_t)bound_port(&l->tcp);
	return 0;
fail:
	log_err("listen: cannot listen on %s: %s", l->where, uv_strerror(err));
	return err;
}

void listener_set_max_sessions(struct listener *l, unsigned max_sessions)
{
	l->max_sessions = max_sessions;
}

void listener_stop(struct listener *l)
{
	if (l->open && !uv_is_closing((uv_handle_t *)&l->tcp))
		uv_close((uv_handle_t *)&l->tcp, NULL);
	l->open = 0;
}
