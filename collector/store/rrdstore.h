/*
 * rrdstore.h - keeping samples in RRD files, off the event loop.
 *
 * Layout (DESIGN.md, docs/operations.md): one file per (agent, store) at
 * data_dir/rrd/<agent>/<store>.rrd, created on the first sample with
 * step = the agent's interval and heartbeat = 2 x step; data sources bytes,
 * objects, added_bytes, added_objects, fs_used, fs_size, fs_inodes (GAUGE);
 * AVERAGE, MIN and MAX archives at full resolution for 3 days, 5-minute points
 * for 5 weeks, hourly points for 400 days and daily points for 10 years.  MIN
 * is kept because it is what still shows a drop after consolidation.  Totals
 * of a partial or missing scan are written as unknown, never as a number.
 *
 * Writes run on writer threads, each owning the agents hashed to it (so one
 * file is only ever written by one thread and a per-thread cache of last
 * update times is enough to drop samples that are not newer than the file).
 * A writer takes every batch queued for it at once and writes the batches of
 * one agent together, with one rrd_updatex_r call per file carrying the
 * samples of all of them (under load, frames that piled up while the thread
 * was busy cost one file update, not one each), optionally made durable
 * with fdatasync, and hands them back to the loop thread through a uv_async
 * with their outcome; the loop then
 * acknowledges and runs the detector.  The highest stored seq per agent is
 * kept in data_dir/rrd/<agent>/agent.seq so a restarted collector knows
 * where each agent stands.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDSTORE_H
#define SHRINKWATCH_COLLECTOR_RRDSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "shrinkwatch/sample.h"

/* Data sources in file order; the update string follows this order. */
#define RRDSTORE_NDS 7
extern const char *const rrdstore_ds_names[RRDSTORE_NDS];

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
	size_t dropped_old;   /* samples not newer than their file's last update */
	unsigned char *dropped; /* per sample: 1 if it was one of those */
	uint64_t write_usec;  /* time spent writing the batch */
	void *owner;          /* for the caller */
};

struct rrdstore;

typedef void (*rrdstore_done_fn)(struct rrd_batch *b, void *ctx);

/*
 * Starts `threads` writer threads for data_dir.  done(batch, ctx) runs on
 * loop's thread for every submitted batch, in submission order per agent;
 * it owns the batch afterwards (rrd_batch_free()).  0 or a negative errno.
 */
int rrdstore_start(struct rrdstore **out, uv_loop_t *loop, const char *data_dir,
		   unsigned threads, bool sync, rrdstore_done_fn done, void *ctx);
/*
 * Sends every later update through rrdcached at address ("unix:/path" or
 * "host:port") instead of writing the files directly; call it right after
 * rrdstore_start(), before the first batch.  The files are still created by
 * the writers (rrdcached only updates existing files), so the daemon must be
 * able to write data_dir/rrd.  What "stored" means then depends on sync: with
 * sync, each file a batch touched is flushed by the daemon (FLUSH returns
 * once it is written) and fdatasync'ed before the batch is acknowledged; without
 * it, a batch is acknowledged once rrdcached accepted it, which survives a
 * collector crash and, with rrdcached's journal (-j), a restart of the daemon,
 * but not a machine crash (rrdcached does not fsync its journal).
 * 0, or -ENAMETOOLONG.
 */
int rrdstore_use_daemon(struct rrdstore *rs, const char *address);
/* Queues a batch; never blocks. */
void rrdstore_submit(struct rrdstore *rs, struct rrd_batch *b);
/* Batches submitted and not yet handed back. */
size_t rrdstore_pending(const struct rrdstore *rs);
/* Writes everything queued, stops the threads, hands back the last batches
 * and frees rs. */
void rrdstore_stop(struct rrdstore *rs);

struct rrd_batch *rrd_batch_new(const char *agent, uint32_t interval, size_t n);
void rrd_batch_free(struct rrd_batch *b);

/* Path of a store's RRD file (NUL-terminated in out). */
int rrdstore_path(const char *data_dir, const char *agent, const char *store, char *out,
		  size_t outlen);

/*
 * The RRD creation arguments (DS and RRA definitions) for a step in seconds:
 * fills argv with up to max strings in storage (caller's buffer of len bytes)
 * and returns the count, or -ENOBUFS.  Exposed for tests and tooling.
 */
int rrdstore_layout(unsigned long step, const char **argv, int max, char *storage, size_t len);

/*
 * Formats one sample as an rrd update string "time:v1:...:v7" (unknown
 * totals as U).  Exposed for tests.
 */
int rrdstore_format_update(const struct sw_sample *s, char *out, size_t outlen);

/* Reads data_dir/rrd/<agent>/agent.seq (0 if absent). */
uint64_t rrdstore_read_agent_seq(const char *data_dir, const char *agent);

#endif
