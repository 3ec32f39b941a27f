/*
 * site.h - what the web interface's handlers share: the pages, the JSON API,
 * the graphs and /metrics each get one struct http_site and read everything
 * they show from it (or through it: the board, the ledger in data_dir).
 *
 * It sits below every handler and below server.c, which owns one, fills it
 * from the loop thread and hands it to the handler a request routes to.
 * Nothing here knows libmicrohttpd, the event loop or where the counters come
 * from.
 *
 * Two kinds of threads meet here.  The loop thread writes: the counters'
 * snapshot (http_site_set_stats(), once a second) and each store's removal
 * in its last interval (http_site_note_sample(), for every stored sample).
 * The libmicrohttpd threads read copies taken under site->mu
 * (http_site_stats(), http_site_delta()) and touch no loop-thread state
 * otherwise.  The rest is safe on its own: data_dir and the graph definitions
 * do not change after http_site_init(), the board, the graph cache and the
 * change24 cache have mutexes of their own, and requests is atomic.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_SITE_H
#define SHRINKWATCH_COLLECTOR_HTTP_SITE_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "change24.h"
#include "graph.h"
#include "graphdef.h"
#include "collector/store/board.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/strmap.h"

/*
 * The loop thread's counters that /metrics shows (the metric each feeds is
 * named), as they were at the last copy.  Plain numbers, so the web interface
 * does not depend on the parts that count them; whoever starts the server
 * fills them (http_stats_fn in server.h).
 */
struct http_stats {
	/* ingest: samples from agents and the batches they are written in */
	uint64_t samples_received;    /* shrinkwatch_samples_received_total */
	uint64_t samples_stored;      /* shrinkwatch_samples_stored_total */
	uint64_t samples_duplicate;   /* shrinkwatch_samples_duplicate_total */
	uint64_t samples_dropped_old; /* shrinkwatch_samples_dropped_old_total */
	uint64_t batches;             /* shrinkwatch_rrd_batches_total */
	uint64_t batches_failed;      /* shrinkwatch_rrd_batches_failed_total */
	uint64_t write_usec_total;    /* shrinkwatch_rrd_write_seconds_total, in us */
	uint64_t write_usec_max;      /* shrinkwatch_rrd_write_max_seconds, in us */
	/* the agents' connections */
	unsigned agents_connected; /* shrinkwatch_agents_connected */
	/* the RRD writer; zero without one */
	uint64_t batches_queued;        /* shrinkwatch_rrd_batches_queued */
	uint64_t detector_rows_written; /* shrinkwatch_detector_rows_written_total */
	uint64_t detector_rows_dropped; /* shrinkwatch_detector_rows_dropped_total */
	uint64_t detector_rows_failed;  /* shrinkwatch_detector_rows_failed_total */
	uint64_t detector_rows_held;    /* shrinkwatch_detector_rows_held */
};

/* Removal in a store's last interval, from consecutive complete samples. */
struct http_delta {
	uint64_t prev_bytes, prev_objects;
	bool have_prev;
	bool have_removed;
	double removed_bytes, removed_objects;
};

struct http_site {
	char data_dir[PATH_MAX]; /* the ledger and the RRD files are under it */
	struct board *board;     /* the caller's; outlives the site */
	struct graphdefs graphs; /* read-only once loaded */
	struct graph_cache cache;
	struct change24_cache change24; /* the overview's 24-hour references */
	pthread_mutex_t mu;             /* stats, deltas */
	struct http_stats stats;
	struct strmap deltas; /* store_key() -> struct http_delta * */
	struct buf extra_metrics; /* the composition's families (http_add_metrics()) */
	uint64_t requests;    /* served; atomic (__atomic builtins) */
};

/*
 * Loads the graph definitions in dashboards into gs (graphdefs_release()
 * frees them).  A dashboards directory that is not there (not installed)
 * leaves gs empty, with a warning: the collector's job is to keep samples,
 * and pages, API and /metrics work without graphs.  A file that is there but
 * wrong is an error: -1 with a message naming the file in err.
 */
int http_site_load_graphs(const char *dashboards, struct graphdefs *gs, char *err,
			  size_t errlen);

/*
 * Sets s up for data_dir (copied) and board (kept; it must outlive s), with
 * the graphs of dashboards.  0, or -1 with a message in err and nothing to
 * release.  http_site_release() frees what it holds.
 */
int http_site_init(struct http_site *s, const char *data_dir, struct board *board,
		   const char *dashboards, char *err, size_t errlen);
/* Frees everything s holds; no thread may use s any more. */
void http_site_release(struct http_site *s);

/* The loop thread's side: a new counters' snapshot; the last sample stored
 * for a store, to compute its removal in the interval that sample ends.
 * Either takes s->mu only to copy. */
void http_site_set_stats(struct http_site *s, const struct http_stats *st);
/* Replaces the extra /metrics text with *text's, taking its storage (*text
 * is left empty). */
void http_site_set_extra_metrics(struct http_site *s, struct buf *text);
void http_site_note_sample(struct http_site *s, const char *agent, const char *store,
			   const struct sw_sample *x);

/* The HTTP threads' side: copies of the last snapshot, and of a store's
 * delta (false, with *out zeroed, if no sample of it was seen yet). */
void http_site_stats(struct http_site *s, struct http_stats *out);
/* Appends a copy of the extra /metrics text to out: 0 or a negative errno. */
int http_site_extra_metrics(struct http_site *s, struct buf *out);
bool http_site_delta(struct http_site *s, const char *agent, const char *store,
		     struct http_delta *out);

#endif
