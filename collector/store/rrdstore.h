/*
 * rrdstore.h - the collector's one RRD writer, off the event loop: the
 * samples agents sent (store RRDs) and what the detector made of them
 * (detector RRDs, collector/store/rrddetect.h) are two kinds of rows that go
 * through the same queues, worker threads, file-creation path, last-update
 * cache (rrdlast.h) and counters.  The files' formats are rrdsample.h's and
 * rrddetect.h's.
 *
 * Sample rows.  Sample writers, each owning the agents hashed to it (so one
 * file is only ever written by one thread and a per-thread cache of last
 * update times is enough to drop samples that are not newer than the file),
 * take every batch queued for them at once and write the batches of one
 * agent together, with one rrd_updatex_r call per file carrying the samples
 * of all of them (under load, frames that piled up while the thread was busy
 * cost one file update, not one each), optionally made durable with syncfs,
 * and hand them back to the loop thread through a uv_async with their
 * outcome; the loop then acknowledges and runs the detector.  The highest
 * stored seq per agent is kept in data_dir/rrd/<agent>/agent.seq so a
 * restarted collector knows where each agent stands.
 *
 * Detector rows.  One more worker of the same kind writes them, at nice
 * RRDSTORE_FIGURES_NICE (Linux nice is per thread).  Why a low-priority
 * worker and not "sample batches first" inside the sample writers: a worker
 * cannot be interrupted once it has started an update, and a detector row
 * can cost a file creation (a preallocated 5.6 MB file at a 300 s step), so
 * strict ordering inside one thread would still make a batch that arrives
 * meanwhile wait for it; the kernel preempts a nice-19 thread as soon as a
 * sample writer is runnable, so detector rows take only CPU nobody else
 * wants (A/B runs of the ingest bench: 79k durable samples/s with this worker
 * at normal priority, 129-137k at nice 19; docs/performance.md).  Under a
 * backlog its bounded queue fills and drops rows (counted, logged at most
 * once a minute) rather than slowing ingest; a failed write is logged the
 * same way.  Neither ever touches a sample or an acknowledgement: detector
 * rows are for graphs.  It holds a quiet store's rows (nothing removed) for
 * up to RRDSTORE_HOLD_S seconds and writes them with one rrd update call,
 * and writes a row with anything in it at once with the rows held before it
 * (rrdstore.c, "Holding"): a quiet store costs one call per
 * RRDSTORE_HOLD_ROWS rows instead of one per sample, and its graph lags by
 * at most that long.  Detector rows are written into their files directly,
 * also with rrdcached (see rrdstore_start()): the daemon would only hold them
 * in memory until a flush, and nothing is acknowledged on them.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDSTORE_H
#define SHRINKWATCH_COLLECTOR_RRDSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "shrinkwatch/detect.h"
#include "shrinkwatch/sample.h"


struct rrd_batch;
/* Runs on the loop thread for a batch the writer is done with, successfully or
 * not (b->err); the callee owns the batch afterwards (rrd_batch_free()). */
typedef void (*rrdstore_done_fn)(struct rrd_batch *b, void *ctx);

struct rrd_batch {
	struct rrd_batch *next; /* queue link, owned by rrdstore */
	char agent[SW_NAME_MAX + 1];
	uint32_t interval;
	struct sw_sample *samples; /* n samples, rising seq; owned by the batch */
	size_t n;
	/* Which failure epoch of its agent the batch belongs to: once a batch
	 * fails, the writer fails every later batch of the same agent and epoch
	 * without writing, so the stored seq never jumps over a hole.  The loop
	 * starts a new epoch when it sees the failure (and the agent resends). */
	uint32_t epoch;
	/* outcome, filled by the writer */
	int err;              /* 0, or the first negative errno (nothing acked then) */
	char errtext[256];    /* librrd's or the system's words for err */
	size_t stored;        /* samples written */
	size_t dropped_old;   /* samples older than their file's last update */
	/* samples whose time is the file's last update: sent again after the
	 * collector died between writing the file and recording the seq, so
	 * already there (a duplicate, never a loss) */
	size_t already;
	unsigned char *dropped; /* per sample: 1 if it was one of those two */
	uint64_t write_usec;  /* time spent writing the batch */
	void *owner;          /* for the caller */
	/* set by rrdstore_submit() */
	rrdstore_done_fn done;
	void *done_ctx;
};

/* Detector rows waiting at most; beyond this a row is dropped (a graph gap). */
#define RRDSTORE_FIGURES_QUEUE_MAX 65536
/* A quiet store's detector rows are written together after this long or
 * this many. */
#define RRDSTORE_HOLD_S 300
#define RRDSTORE_HOLD_ROWS 16
/* The detector rows' worker's nice value: it yields the CPU to the sample
 * writers. */
#define RRDSTORE_FIGURES_NICE 19
/* How often that worker looks for held rows that have waited long enough. */
#define RRDSTORE_SWEEP_S 10

struct rrdstore;

struct rrdstore_config {
	const char *data_dir;
	unsigned threads; /* sample writers (0 = 1); the detector rows' worker is one more */
	bool sync;        /* rrd_sync: acknowledge only what is durable */
	/*
	 * NULL or "": write the store RRDs directly.  Otherwise every sample update
	 * goes through rrdcached at this address ("unix:/path" or "host:port").
	 * The files are still created by the writers (rrdcached only updates
	 * existing files), so the daemon must be able to write data_dir/rrd.
	 * What "stored" means then depends on sync: with sync, each file a batch
	 * touched is flushed by the daemon (FLUSH returns once it is written)
	 * and the file system synced before the batch is acknowledged; without
	 * it, a batch is acknowledged once rrdcached accepted it, which survives
	 * a collector crash and, with rrdcached's journal (-j), a restart of the
	 * daemon, but not a machine crash (rrdcached does not fsync its journal).
	 */
	const char *daemon;
	/* Bytes a new RRD file must leave free on data_dir's file system
	 * (collector/store/rrdspace.h); 0 = RRDSPACE_KEEP_FREE. */
	uint64_t keep_free;
};

/*
 * The writer's counters, one set for both kinds of rows.  Sample batches are
 * also counted by their owner as they come back (collector/net/ingest.h);
 * here is what only the writer knows.
 */
struct rrdstore_stats {
	uint64_t batches_queued; /* sample batches submitted and not handed back */
	/* detector rows */
	uint64_t rows_queued;  /* accepted */
	uint64_t rows_written; /* written */
	uint64_t rows_skipped; /* not newer than their file */
	uint64_t rows_dropped; /* refused: queue full */
	uint64_t rows_failed;  /* their write failed */
	uint64_t rows_held;    /* of quiet stores, waiting to be written together */
	uint64_t rows_turns;   /* times the worker took its queue */
	/* creations of a detector RRD that failed; the next try waits (10 s
	 * to 10 minutes, rrdstore.c) so a full disk is not filled again by
	 * every row */
	uint64_t rows_create_failed;
};

/*
 * Starts the writer for cfg->data_dir (creating data_dir/rrd): cfg->threads
 * sample writers and the detector rows' worker.  Hands batches back on
 * loop's thread.  Call on the loop thread; everything below except
 * rrdstore_submit_figures() and rrdstore_flush_figures() is for the loop
 * thread only.  0, or a negative errno (-ENAMETOOLONG: an address or data_dir
 * too long).
 */
int rrdstore_start(struct rrdstore **out, uv_loop_t *loop, const struct rrdstore_config *cfg);
/*
 * Queues a batch of samples; never blocks.  done(b, ctx) runs on the loop
 * thread once it is written or failed, in submission order per agent, and
 * owns b from then on.
 */
void rrdstore_submit(struct rrdstore *rs, struct rrd_batch *b, rrdstore_done_fn done, void *ctx);
/* Batches submitted and not yet handed back. */
size_t rrdstore_pending(const struct rrdstore *rs);
/*
 * Queues the detector row of one judged (or unjudged) sample of agent/store
 * at time t; step is the store's interval (used when the file is created).
 * Never blocks on I/O.  0, or -ENOBUFS when the queue is full (the row is
 * dropped, counted and logged), or -ENOMEM.
 */
int rrdstore_submit_figures(struct rrdstore *rs, const char *agent, const char *store,
			    uint32_t step, int64_t t, const struct detect_figures *fig);
/* Returns once every detector row queued before the call is written (or
 * failed), held rows included: for tests and tools that read the files. */
void rrdstore_flush_figures(struct rrdstore *rs);
void rrdstore_get_stats(struct rrdstore *rs, struct rrdstore_stats *out);
/*
 * Writes every queued batch and hands it back (done() runs here, and may
 * still queue detector rows), then writes every detector row, held ones
 * included, stops the threads and frees rs (NULL-safe).
 */
void rrdstore_stop(struct rrdstore *rs);

struct rrd_batch *rrd_batch_new(const char *agent, uint32_t interval, size_t n);
void rrd_batch_free(struct rrd_batch *b);

#endif
