/*
 * objstore.h - measuring a store that is not a directory: an S3 bucket or
 * an Azure Blob container, listed page by page on the agent's loop.
 *
 * A listing is the standard paginated one (S3 ListObjectsV2 or
 * ListObjectVersions, Azure List Blobs) through libcurl's multi interface on
 * the loop (shrinkwatch/curl_uv.h), one page at a time, at most
 * requests_per_second requests a second, each page retried with backoff on a
 * throttle (503 SlowDown, 429), a 5xx or a broken connection.  It produces
 * the same figures as a tree walk (scan.h), with the object's last-modified
 * time standing for its birth:
 *   objects/bytes         current objects last modified before the start
 *   added_objects/bytes   those last modified in [previous start, start)
 * where the start is the server's clock (the Date of the first page), so an
 * agent whose clock is off counts the same.  A listing cut short (a page
 * that still fails after its retries, a timeout, refused credentials) is
 * PARTIAL with the first error, never a smaller total; a bucket or container
 * that does not exist is MISSING.
 *
 * Listing costs money and loads the grid, so a full listing runs at most
 * every list_interval; the agent's rounds in between repeat the last
 * listing's totals with added_* = 0 (exact: nothing is known to have been
 * added since), or its partial status.  Every sample of an object store
 * says SW_SAMPLE_LISTING and carries the listing's request count (the first
 * round that takes a listing; 0 on the rounds that repeat it); a complete
 * listing of a versioned bucket (versions = yes) also says
 * SW_SAMPLE_VERSIONED with its noncurrent versions and delete markers, so
 * the collector can tell that a deletion there is recoverable.
 *
 * Every record of a listing (key, size, ETag, last-modified, kind) passes
 * through one function, objstore.c's on_record(), which counts it and, when
 * the lister has a spool directory, appends each current object to the
 * listing's "listing file" (spool_dir/STORE.ID, mode 0600, one per listing,
 * so a listing that starts while a round still reads the one before never
 * touches it).  The bucket is never held in memory: the file is what the
 * scan thread replays into the store's manifest (objstore_replay.h) for
 * exact accounting.  A record in it is
 *   u16 key length, key bytes, u64 size, u64 objstore__hash64(ETag),
 *   i64 last-modified (unix seconds)       (big-endian)
 * in listing order.  Only a complete listing keeps its file (the result's
 * `listing`); the reader removes it once replayed.
 *
 * Loop thread only.
 */
#ifndef SHRINKWATCH_AGENT_OBJSTORE_H
#define SHRINKWATCH_AGENT_OBJSTORE_H

#include <stdint.h>
#include <time.h>
#include <curl/curl.h>
#include <uv.h>

#include "config.h"
#include "objstore_xml.h"
#include "shrinkwatch/sample.h"

struct curl_uv;

/* Longest path of a listing file; longest key a listing file holds (a
 * longer one makes the listing totals only: S3 and Azure keys are at most
 * 1,024 bytes). */
#define OBJSTORE_SPILL_PATH_MAX 4200
#define OBJSTORE_KEY_MAX 4096

/* What one listing found. */
struct objstore_result {
	int64_t start;          /* unix seconds, the server's clock */
	int has_added;          /* there was a previous start: added_* mean something */
	uint64_t objects, bytes, added_objects, added_bytes;
	int versioned;          /* listed with versions = yes: the next three mean something */
	uint64_t noncurrent_objects, noncurrent_bytes, delete_markers;
	uint64_t requests, retries, pages;
	uint8_t status;         /* enum sw_scan_status */
	uint32_t error_count;
	char first_error[SW_ERRTEXT_MAX + 1];
	uint32_t ms;            /* how long the listing took */
	char listing[OBJSTORE_SPILL_PATH_MAX]; /* a complete listing's file, "" if none */
};

/* Retry schedule and timeouts, tunable for tests (objstore_new() takes the
 * defaults: 4 retries from 250 ms to 8 s, 30 s without a byte, 5 min a page). */
struct objstore_tuning {
	unsigned retries;
	uint64_t backoff_min_ms, backoff_max_ms;
	long stall_s, page_timeout_s;
};

struct objstore;

/*
 * A lister for the object store sc (type s3 or azure; copied), using cu for
 * its transfers.  spool_dir (created 0700 when needed; NULL: none, as for
 * --once) is where its listing files go.  0, -ENAMETOOLONG or -ENOMEM.
 * Caller frees with objstore_free(), which also removes the file of a
 * listing no one took.
 */
int objstore_new(uv_loop_t *loop, struct curl_uv *cu, const struct agent_store_config *sc,
		 const char *spool_dir, struct objstore **out);

/* Replaces the retry schedule and timeouts (before a listing starts). */
void objstore_set_tuning(struct objstore *os, const struct objstore_tuning *t);

/*
 * Starts a listing if none runs and one is due (never listed, list_interval
 * since the last one started, or a quarter of it after a failed one).
 * prev_start (unix seconds, 0 = unknown) seeds the previous start the first
 * time, from the agent's saved state.  done, if not NULL, is called on the
 * loop when the listing ends.  Returns 1 when a listing started, 0 when none
 * was due, or a negative errno (no listing runs; done is not called).
 */
int objstore_tick(struct objstore *os, int64_t prev_start,
		  void (*done)(void *ctx, const struct objstore_result *r), void *ctx);

/*
 * The latest finished listing, for a sample: 0 when there is none yet, else
 * 1 with *out filled and *fresh 1 the first time this listing is taken (its
 * added_* are then real; later takes report added_* = 0).
 */
int objstore_take(struct objstore *os, struct objstore_result *out, int *fresh);

/* A sample from a listing taken with objstore_take(): the fields a tree
 * walk fills (scan.h), the time excepted, and the listing's own (flags
 * SW_SAMPLE_LISTING, SW_SAMPLE_VERSIONED; requests, noncurrent_*,
 * delete_markers). */
void objstore_fill_sample(const struct objstore_result *r, int fresh, struct sw_sample *s);

/* 1 while a listing runs. */
int objstore_running(const struct objstore *os);

/* Stops a running listing (nothing is reported) and frees os once libuv has
 * closed its timer.  NULL is fine. */
void objstore_free(struct objstore *os);

/* A 64-bit hash (FNV-1a, then mixed) of n bytes: an object's ETag stands
 * for its inode in the manifest, so a "move" is the same content under a
 * new key (object stores have no rename). */
uint64_t objstore__hash64(const void *p, size_t n);

/* ---- what the two kinds provide (objstore_s3.c, objstore_azure.c) ---- */

/* One page's request: the URL and headers for easy, from the store's
 * config, its credentials and the markers of the previous page (NULL on
 * the first).  Sets authentication on easy.  hdrs is the caller's to free.
 * 0, or -1 with a message in err (never a secret). */
struct objstore_cred;
int objstore__s3_request(const struct agent_store_config *sc, const struct objstore_cred *cred,
			 const char *next, const char *next_version, CURL *easy,
			 struct curl_slist **hdrs, char *err, size_t errlen);
int objstore__azure_request(const struct agent_store_config *sc,
			    const struct objstore_cred *cred, const char *next, CURL *easy,
			    struct curl_slist **hdrs, char *err, size_t errlen);

/* The Azure SharedKey signature of string_to_sign with the base64 key:
 * base64(HMAC-SHA256(key, string_to_sign)) into out.  0 or -1.  Exposed for
 * the tests (a known vector). */
int objstore__azure_sign(const char *key_b64, const char *string_to_sign, char *out,
			 size_t outlen);

#endif
