/*
 * server.h - the collector's read-only web interface: dashboard pages, RRD
 * graphs, a JSON API and /metrics (docs/api.md).
 *
 * This is the top of collector/http: the libmicrohttpd daemon, its
 * configuration, start and stop, and request dispatch (route.h says what a
 * request asks for; pages.h, api.h and metrics.h answer it from the shared
 * struct http_site of site.h).  libmicrohttpd runs it on its own thread pool,
 * so neither a slow browser nor graph rendering ever stalls the event loop
 * that ingests samples.  What the HTTP threads read is shared safely (site.h):
 * per-store status from the board (its own mutex), the ledger through their
 * own read-only SQLite connections, and the loop's counters through a
 * snapshot the loop copies once a second (HTTP_STATS_MS).  Only GET and HEAD
 * are served; nothing changes state.
 *
 * The server does not know where the counters come from nor which samples
 * are stored: the composition supplies an http_stats_fn to http_start() and
 * connects http_observe_sample() to the samples it stores.
 *
 * Configuration, in [collector] (owned here through a config hook):
 *   http = 127.0.0.1:7406 | off
 *   dashboards = /usr/share/shrinkwatch/dashboards   (graph definitions)
 *   http_threads = 4
 *   http_max_connections_per_address = 32   (guard.h)
 *   http_request_timeout = 10s              (guard.h)
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_H
#define SHRINKWATCH_COLLECTOR_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "collector/store/board.h"
#include "collector/config.h"
#include "guard.h"
#include "site.h"
#include "shrinkwatch/sample.h"

struct agent_rec;
struct store_rec;

#define HTTP_DEFAULT_LISTEN "127.0.0.1:7406"
#define HTTP_DEFAULT_DASHBOARDS "/usr/share/shrinkwatch/dashboards"
#define HTTP_STATS_MS 1000
/* The most text http_add_metrics()'s function may add to /metrics. */
#define HTTP_EXTRA_METRICS_MAX (4u << 20)
#define HTTP_MAX_RESPONSE (16u << 20)
#define HTTP_RAW_URI_MAX 2048 /* path and query, before decoding */
#define HTTP_MAX_CONNECTIONS 256u /* libmicrohttpd's hard limit */
/* The guard (guard.h) makes room before libmicrohttpd's hard limit is met. */
#define HTTP_SOFT_CONNECTIONS 224u
#define HTTP_DEFAULT_PER_ADDRESS 32
#define HTTP_DEFAULT_REQUEST_TIMEOUT_S 10

struct http_config {
	bool enabled;
	char host[256];
	uint16_t port;
	char dashboards[PATH_MAX];
	unsigned threads;
	unsigned per_address;       /* http_max_connections_per_address */
	uint64_t request_timeout_s; /* http_request_timeout */
	unsigned seen; /* keys given (each at most once) */
};

/* Resets cfg to the defaults; called before every (re)load of the file. */
void http_config_defaults(struct http_config *cfg);
/* collector_config_section_fn for the keys above (ctx: struct http_config). */
int http_config_hook(void *ctx, const char *section, const char *key, const char *value,
		     char *err, size_t errlen);
/* Resets cfg to the defaults and registers its hook on ccfg
 * (collector_config_register()): 0 or its negative errno.  Call it for every
 * load. */
int http_config_register(struct http_config *cfg, struct collector_config *ccfg);

/*
 * Fills *out with the loop thread's counters now (every field; zero what
 * does not exist).  Called on the loop thread by the server's stats timer,
 * on the loop's first turn after http_start() and then every HTTP_STATS_MS;
 * ud is the user data given to http_start().  The server copies the result
 * into its site under the site's mutex.
 */
typedef void (*http_stats_fn)(void *ud, struct http_stats *out);

/*
 * Appends more Prometheus families (with HELP and TYPE) to out, on the loop
 * thread, for /metrics: what the composition counts and the server does
 * not know (the agents' lost and refused samples, collector/net/admit.h).
 * 0 or a negative errno (the last text is kept).
 */
typedef int (*http_metrics_fn)(void *ud, struct buf *out);

struct http_server {
	struct http_config cfg;
	struct http_site site; /* what the handlers read (site.h) */
	http_stats_fn stats;   /* the caller's counters, and their user data */
	void *stats_ud;
	http_metrics_fn metrics; /* http_add_metrics() */
	void *metrics_ud;
	uv_timer_t stats_timer; /* also sweeps the guard */
	bool timer_started;
	struct http_guard guard; /* the connections' time and room (guard.h) */
	struct MHD_Daemon *mhd; /* NULL: not serving (off, or could not listen) */
	char where[300]; /* "127.0.0.1:7406" once listening */
};

/*
 * Loads the graph definitions (without starting anything): for
 * --check-config.  A 'dashboards' directory given in the file must hold them;
 * the default one may be missing (a source build: logged as a warning that
 * names the key to set).  0, or -1 with a message naming the file in err.
 */
int http_check(const struct http_config *cfg, char *err, size_t errlen);

/*
 * Loads the graphs, starts the server's threads on ccfg's data_dir and board
 * (which must outlive the server) and, on loop, the stats copy: stats(stats_ud)
 * is called on the loop thread until http_stop(), and whatever it reads must
 * stay valid that long (stats NULL: the counters /metrics shows stay 0).  Call on the
 * loop thread.  Does nothing if the config says off; an address it cannot
 * listen on leaves the dashboard off with an error logged (agents matter
 * more).  0, or -1 with a message in err.
 */
int http_start(struct http_server *h, const struct http_config *cfg,
	       const struct collector_config *ccfg, uv_loop_t *loop, struct board *board,
	       http_stats_fn stats, void *stats_ud, char *err, size_t errlen);
/* Has fn(ud) called with the stats (same thread, same period) and its text
 * appended to /metrics.  ud must stay valid until http_stop(). */
void http_add_metrics(struct http_server *h, http_metrics_fn fn, void *ud);
/* Stops the threads (waiting for requests in progress) and frees everything. */
void http_stop(struct http_server *h);

/*
 * An observer of stored samples (collector/net/ingest.h's ingest_stored_fn,
 * h: the struct http_server), for the composition to connect: keeps the
 * removal of each store's last interval, which pages, API and /metrics show.
 * Called on the loop thread; does nothing while the server is not serving,
 * so it may be connected whether the dashboard is on or not.
 */
void http_observe_sample(void *h, struct agent_rec *a, struct store_rec *st,
			 const struct sw_sample *s);

#endif
