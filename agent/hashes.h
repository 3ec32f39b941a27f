/*
 * hashes.h - SHA-256 content hashes of the files of `hash_contents = yes`
 * stores, for copy verification by content (issue 13, compare = content;
 * docs/operations.md "Content hashes").
 *
 * The agent hashes file contents in the background, on one worker thread
 * for the whole agent, never faster than hash_rate bytes a second, so a
 * store is never saturated.  Files are opened O_RDONLY | O_NOATIME (without
 * O_NOATIME when the kernel refuses it: a file the agent does not own) and
 * never written.  Which files to hash comes from the manifest, not from a
 * walk: after each committed scan the copy digests' build (digests.h) looks
 * every file up here and hands the worker those whose size or mtime changed
 * since they were hashed (a job).  A file altered in place with its size
 * and mtime restored keeps its old hash until the full rehash that runs
 * every rehash_interval (every file again): only then does it show.
 *
 * Hashes live in memory (a table keyed by the first 16 bytes of SHA-256 of
 * the path, 72 bytes a file) and in a side file per store,
 * state_dir/hashes/STORE.swh (mode 0600): a header with its own CRC32C and
 * one over the entries, written whole to a temporary file, fsync'ed and
 * renamed, after each job and every few minutes during a long one.  A side
 * file that does not check out is logged, set aside as STORE.swh.damaged
 * and rebuilt: every file is hashed again.  A pending job is a file too
 * (STORE.todo), so a restart resumes it.
 *
 * Threads: the scan thread builds jobs and looks hashes up (under the
 * table's lock), the worker hashes; hashes_close() stops the worker
 * between two reads.
 */
#ifndef SHRINKWATCH_AGENT_HASHES_H
#define SHRINKWATCH_AGENT_HASHES_H

#include <stddef.h>
#include <stdint.h>

#define HASHES_DEFAULT_RATE (20ull << 20)          /* bytes a second */
#define HASHES_DEFAULT_REHASH (30ull * 86400)      /* seconds */
#define HASHES_LEN 32

struct hashes;

/* The rate cap of one hashing thread: at most rate bytes a second over each
 * busy stretch.  stop, when it becomes non-zero, cuts a wait short. */
struct hashes_rate {
	uint64_t rate;      /* bytes a second, > 0 */
	double t0;          /* start of the busy stretch (monotonic seconds), 0: idle */
	uint64_t bytes;     /* read since t0 */
	const volatile int *stop;
};

/*
 * Hashes the regular file at path (SHA-256, read-only, O_NOATIME when
 * allowed), waiting as needed to stay under r's rate.  Fills out, and the
 * size and mtime (unix seconds) the file had while it was read.  0;
 * -EAGAIN when the file changed while it was read (hash it later);
 * -ECANCELED when *r->stop was set; -EINVAL for something that is not a
 * regular file; or a negative errno from open/read.
 */
int hashes_file(struct hashes_rate *r, const char *path, uint8_t out[HASHES_LEN],
		uint64_t *size, int64_t *mtime);

/* Opens state_dir/hashes (created 0700).  rate: bytes a second for the
 * whole agent; rehash_s: seconds between full rehashes.  0 and *out
 * (caller frees with hashes_close()), or a negative errno. */
int hashes_open(const char *state_dir, uint64_t rate, uint64_t rehash_s, struct hashes **out);
/* Adds a store to hash (before hashes_start()): loads its side file (or
 * sets a damaged one aside) and any job a previous run left.  root is the
 * store's directory.  0 or a negative errno. */
int hashes_add_store(struct hashes *h, const char *store, const char *root);
/* Starts the worker thread.  0 or a negative errno. */
int hashes_start(struct hashes *h);
/* Stops the worker (between two reads), saves every store's hashes, frees. */
void hashes_close(struct hashes *h);

/* Whether store is hashed here (hash_contents = yes). */
int hashes_enabled(struct hashes *h, const char *store);
/* Moves whenever a store's hashes change (a job finished, a file hashed and
 * saved), so the digests know to rebuild their content digests. */
uint64_t hashes_generation(struct hashes *h, const char *store);
/* Whether a full rehash should be queued for store now: rehash_interval
 * since the last full one ended (or none yet), and no job of the store
 * queued or under way. */
int hashes_rehash_due(struct hashes *h, const char *store);

/* The recorded hash of store's file path (len bytes, relative to the
 * store) when it was hashed at this size and mtime: 1 and hash; else 0 and
 * zeros.  Scan thread only. */
int hashes_lookup(struct hashes *h, const char *store, const char *path, size_t len,
		  uint64_t size, int64_t mtime, uint8_t hash[HASHES_LEN]);

/*
 * A job: the files of one committed scan of store that the worker should
 * hash.  Scan thread: hashes_job_begin() (-EBUSY while a job of the store
 * is queued or under way: it covers most, and the scan after it ends adds
 * the rest), hashes_job_file() for every file of the manifest with what
 * hashes_lookup() said (a known file is queued only for a full rehash), then
 * hashes_job_submit() (or hashes_job_abort()).  The job goes through a file
 * in state_dir/hashes, so memory does not grow with it.
 */
struct hashes_job;
int hashes_job_begin(struct hashes *h, const char *store, struct hashes_job **out);
/* 0, or a negative errno (then submit fails and drops the job). */
int hashes_job_file(struct hashes_job *j, const char *path, size_t len, uint64_t size,
		    int64_t mtime, int known);
int hashes_job_submit(struct hashes_job *j);
void hashes_job_abort(struct hashes_job *j);

/* For tests and the benchmark: waits up to timeout_ms until no job is
 * pending or running.  0, or -ETIMEDOUT. */
int hashes_wait_idle(struct hashes *h, int timeout_ms);

#endif
