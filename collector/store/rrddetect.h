/*
 * rrddetect.h - the per-store detector RRD: what the detector expected and
 * saw for every sample it judged, kept where a graph can read it.
 *
 * The store RRD (rrdstore.h) holds what the agent measured; the detector's
 * expectation -- how much tonight's retention purge may remove, how much of
 * a loss declared deletions explained, how much was left unexplained -- is
 * learned state that no graph could otherwise show.  One file per (agent,
 * store) at data_dir/detect/<agent>/<store>.rrd (apart from data_dir/rrd,
 * which the registry reads as the list of stores, and because store names
 * may contain '.'), created on first use with the store RRD's step and
 * archives (rrdstore_layout()).  Data sources (GAUGE, per sample; "_obj" the
 * same for objects):
 *
 *   removed, removed_obj          previous + added - now (negative: growth
 *                                 nothing added, e.g. a file renamed in)
 *   purge_allow, purge_allow_obj  the retention allowance of the purge window
 *                                 the sample lies in (for the whole window;
 *                                 0 outside a window)
 *   purge_done, purge_done_obj    removal so far in that window (0 outside)
 *   declared, declared_obj        loss consumed by declared deletions
 *   unexplained, unexplained_obj  what the alarms were fed
 *
 * and removed = purge part + declared + unexplained, so the part the purge
 * explained is a CDEF.  A sample the detector did not judge (partial scan,
 * first sample, vanished store) is a row of unknowns.
 *
 * Writes never block the event loop: rows go into a bounded queue that one
 * writer thread empties.  It holds a quiet store's rows (nothing removed)
 * for up to RRDDETECT_HOLD_S seconds and writes them with one rrd update
 * call, and writes a row with anything in it at once (rrddetect.c,
 * "Holding"): a quiet store costs one call per RRDDETECT_HOLD_ROWS rows
 * instead of one per sample, and its graph lags by at most that long.  A full queue drops the row (counted, logged at
 * most once a minute); a failed write is logged the same way.  Neither ever
 * touches ingest: the samples themselves are already stored in the store RRD.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDDETECT_H
#define SHRINKWATCH_COLLECTOR_RRDDETECT_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/detect.h"

#define RRDDETECT_NDS 10
/* Rows waiting at most; beyond this a row is dropped (a graph gap). */
#define RRDDETECT_QUEUE_MAX 65536
/* A quiet store's rows are written together after this long or this many. */
#define RRDDETECT_HOLD_S 300
#define RRDDETECT_HOLD_ROWS 16
/* The writer thread's nice value: it yields the CPU to the store writers. */
#define RRDDETECT_NICE 19
/* How often the writer looks for held rows that have waited long enough. */
#define RRDDETECT_SWEEP_S 10

/* Data sources in file order; the update string follows this order. */
extern const char *const rrddetect_ds_names[RRDDETECT_NDS];

struct rrddetect;

struct rrddetect_stats {
	uint64_t queued;  /* rows accepted */
	uint64_t written; /* rows written */
	uint64_t skipped; /* rows not newer than their file */
	uint64_t dropped; /* rows refused: queue full */
	uint64_t failed;  /* rows whose write failed */
	uint64_t held;    /* rows of quiet stores waiting to be written together */
	uint64_t turns;   /* times the writer took the queue */
};

/* Starts the writer thread for data_dir.  0 or a negative errno. */
int rrddetect_start(struct rrddetect **out, const char *data_dir);
/*
 * Queues the row of one judged (or unjudged) sample of agent/store at time t;
 * step is the store's interval (used when the file is created).  Never
 * blocks on I/O.  0, or -ENOBUFS when the queue is full (the row is dropped).
 */
int rrddetect_submit(struct rrddetect *d, const char *agent, const char *store,
		     uint32_t step, int64_t t, const struct detect_figures *fig);
/* Returns once every row queued before the call is written (or failed),
 * held rows included. */
void rrddetect_flush(struct rrddetect *d);
void rrddetect_get_stats(struct rrddetect *d, struct rrddetect_stats *out);
/* Writes what is queued, stops the thread and frees d (NULL-safe). */
void rrddetect_stop(struct rrddetect *d);

/* data_dir/detect/<agent>/<store>.rrd; 0 or -ENAMETOOLONG. */
int rrddetect_path(const char *data_dir, const char *agent, const char *store, char *out,
		   size_t outlen);
/* The creation arguments (DS and RRA) as rrdstore_layout() does them. */
int rrddetect_layout(unsigned long step, const char **argv, int max, char *storage,
		     size_t len);
/* "t:v1:...:v10" (unknowns as U when !fig->judged).  0 or -ENOBUFS. */
int rrddetect_format_update(int64_t t, const struct detect_figures *fig, char *out,
			    size_t outlen);

#endif
