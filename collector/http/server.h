/*
 * server.h - the collector's read-only web interface: dashboard pages, RRD
 * graphs, a JSON API and /metrics (docs/api.md).
 *
 * libmicrohttpd runs it on its own thread pool, so neither a slow browser nor
 * graph rendering ever stalls the event loop that ingests samples.  What the
 * HTTP threads read is shared safely: per-store status from the board (its
 * own mutex), the ledger through their own read-only SQLite connections, and
 * the loop's counters through a snapshot the loop copies under h->mu once a
 * second (HTTP_STATS_MS).  Only GET and HEAD are served; nothing changes
 * state.
 *
 * Configuration, in [collector] (owned here through a config hook):
 *   http = 127.0.0.1:7406 | off
 *   dashboards = /usr/share/shrinkwatch/dashboards   (graph definitions)
 *   http_threads = 4
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_H
#define SHRINKWATCH_COLLECTOR_HTTP_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "collector/store/board.h"
#include "collector/config.h"
#include "change24.h"
#include "graph.h"
#include "graphdef.h"
#include "collector/net/ingest.h"
#include "collector/store/rrdstore.h"
#include "shrinkwatch/strmap.h"

#define HTTP_DEFAULT_LISTEN "127.0.0.1:7406"
#define HTTP_DEFAULT_DASHBOARDS "/usr/share/shrinkwatch/dashboards"
#define HTTP_STATS_MS 1000
#define HTTP_MAX_RESPONSE (16u << 20)
#define HTTP_RAW_URI_MAX 2048 /* path and query, before decoding */

struct http_config {
	bool enabled;
	char host[256];
	uint16_t port;
	char dashboards[PATH_MAX];
	unsigned threads;
	unsigned seen; /* keys given (each at most once) */
};

/* Resets cfg to the defaults; called before every (re)load of the file. */
void http_config_defaults(struct http_config *cfg);
/* collector_config_section_fn for the keys above (ctx: struct http_config). */
int http_config_hook(void *ctx, const char *section, const char *key, const char *value,
		     char *err, size_t errlen);

/* What the loop thread's counters said at the last copy. */
struct http_stats {
	struct ingest_stats ingest;
	unsigned agents_connected;
	struct rrdstore_stats rrd; /* the RRD writer's; zero without one */
};

/* Removal in a store's last interval, from consecutive complete samples. */
struct http_delta {
	uint64_t prev_bytes, prev_objects;
	bool have_prev;
	bool have_removed;
	double removed_bytes, removed_objects;
};

struct http_server {
	struct http_config cfg;
	char data_dir[PATH_MAX];
	struct board *board;
	struct ingest *ingest;
	struct rrdstore *rrd; /* the RRD writer, for its counters (NULL: none) */
	uv_timer_t stats_timer;
	bool timer_started;
	pthread_mutex_t mu; /* stats, deltas */
	struct http_stats stats;
	struct strmap deltas; /* "agent/store" -> struct http_delta * */
	struct graphdefs graphs;
	struct graph_cache cache;
	struct change24_cache change24; /* the overview's 24-hour references */
	struct MHD_Daemon *mhd;
	char where[300]; /* "127.0.0.1:7406" once listening */
	uint64_t requests;  /* atomic */
};

/*
 * Loads the graph definitions (without starting anything): for
 * --check-config.  0, or -1 with a message naming the file in err.
 */
int http_check(const struct http_config *cfg, char *err, size_t errlen);

/*
 * Loads the graphs, starts the server's threads and, on loop, the stats copy
 * (ingest's counters and those of rrd, the collector's RRD writer, which may
 * be NULL and must outlive the loop's last run) and an ingest observer.
 * Call on the loop thread.  Does nothing if the config says off.  0, or -1
 * with a message in err.
 */
int http_start(struct http_server *h, const struct http_config *cfg,
	       const struct collector_config *ccfg, uv_loop_t *loop, struct board *board,
	       struct ingest *ing, struct rrdstore *rrd, char *err, size_t errlen);
/* Stops the threads (waiting for requests in progress) and frees everything. */
void http_stop(struct http_server *h);

/* Ingest observer: keeps the removal of each store's last interval. */
void http_observe_sample(void *h, struct agent_rec *a, struct store_rec *st,
			 const struct sw_sample *s);

#endif
