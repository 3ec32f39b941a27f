/* guard.c - bounds on the time and the number of the dashboard's connections
 * (see guard.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guard.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

struct http_guard_conn {
	int fd;
	char addr[INET6_ADDRSTRLEN]; /* "?" for a family we do not know */
	uint64_t since_ms;           /* opened, or its last response sent */
	bool busy;                   /* a request is being served */
	bool shut;                   /* shut down by the guard, closing */
	struct http_guard_conn *prev, *next;
};

static struct log_ratelimit guard_rl = LOG_RATELIMIT_INIT(60, 3);

uint64_t http_guard_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int http_guard_init(struct http_guard *g, unsigned per_address, unsigned soft_total,
		    uint64_t request_timeout_ms)
{
	memset(g, 0, sizeof *g);
	g->per_address = per_address;
	g->soft_total = soft_total;
	g->request_timeout_ms = request_timeout_ms;
	return -pthread_mutex_init(&g->mu, NULL);
}

void http_guard_release(struct http_guard *g)
{
	while (g->conns) {
		struct http_guard_conn *c = g->conns;

		g->conns = c->next;
		free(c);
	}
	pthread_mutex_destroy(&g->mu);
}

/* Shuts c down (mutex held): libmicrohttpd sees the end of its stream. */
static void shut(struct http_guard *g, struct http_guard_conn *c)
{
	c->shut = true;
	g->n--;
	shutdown(c->fd, SHUT_RDWR);
}

/* The connection (from addr if not NULL) that has waited longest for its
 * request, or NULL (mutex held). */
static struct http_guard_conn *longest_waiting(struct http_guard *g, const char *addr)
{
	struct http_guard_conn *best = NULL;

	for (struct http_guard_conn *c = g->conns; c; c = c->next)
		if (!c->shut && !c->busy && (!addr || !strcmp(c->addr, addr)) &&
		    (!best || c->since_ms < best->since_ms))
			best = c;
	return best;
}

/* Makes room for new connection c if its address or the server holds too
 * many (mutex held). */
static void make_room(struct http_guard *g, struct http_guard_conn *c)
{
	unsigned same = 0;

	for (struct http_guard_conn *o = g->conns; o; o = o->next)
		same += !o->shut && !strcmp(o->addr, c->addr);
	if (same > g->per_address) {
		struct http_guard_conn *v = longest_waiting(g, c->addr);

		g->evicted++;
		log_ratelimited(&guard_rl, LOG_WARNING, "http: %s holds %u connections (at most "
				"%u: http_max_connections_per_address); closing %s that waited "
				"longest for its request", c->addr, same, g->per_address,
				v == c ? "the new one, as every other is busy, not the one"
				       : "the one");
		shut(g, v);
	}
	if (!c->shut && g->n > g->soft_total) {
		struct http_guard_conn *v = longest_waiting(g, NULL);

		g->evicted++;
		log_ratelimited(&guard_rl, LOG_WARNING, "http: %u connections open (at most %u); "
				"closing the one from %s that waited longest for its request",
				g->n, g->soft_total, v->addr);
		shut(g, v);
	}
}

void http_guard_started(struct http_guard *g, int fd, const struct sockaddr *addr, void **ctx,
			uint64_t now_ms)
{
	struct http_guard_conn *c = calloc(1, sizeof *c);

	*ctx = c;
	if (!c)
		return; /* unguarded: libmicrohttpd's own limits still hold */
	c->fd = fd;
	c->since_ms = now_ms;
	snprintf(c->addr, sizeof c->addr, "?");
	if (addr && addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, c->addr,
			  sizeof c->addr);
	else if (addr && addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, c->addr,
			  sizeof c->addr);
	pthread_mutex_lock(&g->mu);
	c->next = g->conns;
	if (g->conns)
		g->conns->prev = c;
	g->conns = c;
	g->n++;
	make_room(g, c);
	pthread_mutex_unlock(&g->mu);
}

static void set_busy(struct http_guard *g, void *ctx, bool busy, uint64_t now_ms)
{
	struct http_guard_conn *c = ctx;

	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->busy != busy)
		c->since_ms = now_ms;
	c->busy = busy;
	pthread_mutex_unlock(&g->mu);
}

void http_guard_busy(struct http_guard *g, void *ctx, uint64_t now_ms)
{
	set_busy(g, ctx, true, now_ms);
}

void http_guard_idle(struct http_guard *g, void *ctx, uint64_t now_ms)
{
	set_busy(g, ctx, false, now_ms);
}

void http_guard_closed(struct http_guard *g, void **ctx)
{
	struct http_guard_conn *c = *ctx;

	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (!c->shut)
		g->n--;
	pthread_mutex_unlock(&g->mu);
	free(c);
	*ctx = NULL;
}

void http_guard_sweep(struct http_guard *g, uint64_t now_ms)
{
	pthread_mutex_lock(&g->mu);
	for (struct http_guard_conn *c = g->conns; c; c = c->next) {
		uint64_t limit = c->busy ? (uint64_t)HTTP_GUARD_RESPONSE_S * 1000
					 : g->request_timeout_ms;

		if (c->shut || now_ms - c->since_ms < limit)
			continue;
		g->timed_out++;
		log_ratelimited(&guard_rl, LOG_INFO, "http: closing a connection from %s: %s "
				"within %llu ms", c->addr, c->busy ? "its response was not taken"
								  : "no whole request",
				(unsigned long long)limit);
		shut(g, c);
	}
	pthread_mutex_unlock(&g->mu);
}
