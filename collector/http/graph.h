/*
 * graph.h - drawing a store's graph with librrd, and keeping the result
 * for a little while.
 *
 * librrd's graph code keeps global state (getopt, error buffers, font
 * caches), so every rrd_graph_v() call in the process goes through one mutex.
 * It only ever runs on the HTTP server's threads, never on the event loop
 * that ingests samples, so a slow graph delays other graphs, not agents.
 * Rendered images are cached for HTTP_GRAPH_TTL seconds keyed by graph,
 * store, range, size and format: a dashboard reloaded by several
 * administrators renders each graph once.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_GRAPH_H
#define SHRINKWATCH_COLLECTOR_HTTP_GRAPH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "graphdef.h"
#include "route.h"
#include "shrinkwatch/buf.h"

#define HTTP_GRAPH_TTL 20
#define HTTP_GRAPH_CACHE 64
#define HTTP_GRAPH_MAX_MARKS 32
#define HTTP_GRAPH_MAX_ARGS (GRAPHDEF_MAX_ELEMS + 3 * HTTP_GRAPH_MAX_MARKS + 40)
#define HTTP_GRAPH_MAX_BYTES (8u << 20)

/* What the ledger adds to a graph: alert times (VRULEs) and declared-deletion
 * windows (shaded). */
struct graph_marks {
	int64_t alerts[HTTP_GRAPH_MAX_MARKS];
	size_t nalerts;
	int64_t windows[HTTP_GRAPH_MAX_MARKS][2]; /* start, end */
	size_t nwindows;
};

struct graph_request {
	const struct graphdef *g;
	const char *rrd_path;
	/* The store's detector RRD (collector/store/rrddetect.h), for defs with file = detect;
	 * NULL while it does not exist: those series are then drawn as unknown
	 * (the graph still renders, with a note) instead of failing. */
	const char *detect_path;
	enum http_range range;
	/* 0: the graph covers the range; else it starts here (unix seconds), for
	 * a store younger than the range (graph_span.h), and says so in its title */
	int64_t start;
	unsigned width, height;
	bool svg;
	uint32_t raw_step;              /* the store's interval (replaces RAWSTEP) */
	const struct graph_marks *marks; /* may be NULL */
};

/* The rrd_graph_v argument list of a request: argv gets up to max strings,
 * each malloc'ed (free with graph_args_free()).  Returns the count or a
 * negative errno.  Exposed for tests. */
int graph_args(const struct graph_request *rq, char **argv, int max);
void graph_args_free(char **argv, int n);

/* Renders rq into out (PNG or SVG bytes).  0, or a negative errno with
 * librrd's words in err. */
int graph_render(const struct graph_request *rq, struct buf *out, char *err, size_t errlen);
/* Renders an rrd_graph_v argument list built elsewhere (the copies graph,
 * copies_page.h) under the same mutex; what names the graph in err. */
int graph_render_argv(int argc, char **argv, const char *what, struct buf *out, char *err,
		      size_t errlen);

struct graph_cache_entry {
	char key[256];
	time_t made;
	struct buf img;
};

struct graph_cache {
	pthread_mutex_t mu;
	struct graph_cache_entry e[HTTP_GRAPH_CACHE];
	unsigned next; /* round-robin victim */
};

int graph_cache_init(struct graph_cache *c);
void graph_cache_release(struct graph_cache *c);
/* Copies a fresh cached image for key into out (appending).  0, or -ENOENT. */
int graph_cache_get(struct graph_cache *c, const char *key, time_t now, struct buf *out);
void graph_cache_put(struct graph_cache *c, const char *key, time_t now, const struct buf *img);

#endif
