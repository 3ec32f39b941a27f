/*
 * sample.h - the data contract between agent and collector.
 *
 * One sample describes one store at one scan.  The agent fills it in, the
 * protocol carries it, the collector stores it in RRD and feeds it to the
 * detector.  Field meanings are specified in docs/protocol.md; the most
 * important rule is that a partial scan is never a smaller total: a sample
 * whose status is not SW_SCAN_COMPLETE carries totals the collector must
 * treat as unknown.
 */
#ifndef SHRINKWATCH_SAMPLE_H
#define SHRINKWATCH_SAMPLE_H

#include <stdint.h>

/* Longest agent or store name, in bytes, without the terminating NUL. */
#define SW_NAME_MAX 64
/* Longest error text carried in a sample, without the terminating NUL. */
#define SW_ERRTEXT_MAX 200

enum sw_scan_status {
	SW_SCAN_COMPLETE = 0, /* every entry under the store was read */
	SW_SCAN_PARTIAL = 1,  /* some entries could not be read: totals unknown */
	SW_SCAN_MISSING = 2,  /* the store's path is gone or is not a directory */
	SW_SCAN_STATUS_MAX = SW_SCAN_MISSING,
};

/* Sample flags. */
enum {
	/* added_objects/added_bytes are meaningful (not the first scan). */
	SW_SAMPLE_HAS_ADDED = 1u << 0,
	/* "born" was decided by statx birth time (else by ctime). */
	SW_SAMPLE_BTIME = 1u << 1,
	/* The agent had to drop older samples before this one (spool full). */
	SW_SAMPLE_GAP = 1u << 2,
	/* The agent's manifest covered this scan and the previous delivered one,
	 * so the removal figures (removed_*, shrunk_bytes, moved_*) are exact.
	 * A partial scan never carries it.  Protocol version 3 only. */
	SW_SAMPLE_EXACT = 1u << 3,
	/* removed_young_* were split against a known retention (the retention
	 * field, non-zero).  Only together with SW_SAMPLE_EXACT. */
	SW_SAMPLE_YOUNG_SPLIT = 1u << 4,
	/* The store is an object store (S3 bucket, Azure container) listed by
	 * the agent: the sample carries `requests` (and the versioned figures
	 * below) at the end of its version-3 encoding.  Protocol version 3. */
	SW_SAMPLE_LISTING = 1u << 5,
	/* The listing was of a versioned bucket (ListObjectVersions) and was
	 * complete: noncurrent_* and delete_markers mean something.  A deletion
	 * in such a bucket leaves a delete marker and keeps the object as a
	 * noncurrent version: it can be undone.  Only with SW_SAMPLE_LISTING. */
	SW_SAMPLE_VERSIONED = 1u << 6,
	/* removed_fresh_* split off the removal younger than fresh_age (the
	 * agent's settle age, non-zero), and removed_min_settled_age is the
	 * youngest age at or over it: a file deleted minutes after it appeared
	 * is most often an aborted upload, so the collector judges that part
	 * apart from the rest.  Carried in a tail at the very end of the
	 * version-3 encoding, only with this flag (records spooled before it
	 * existed decode unchanged).  Only together with SW_SAMPLE_EXACT. */
	SW_SAMPLE_FRESH_SPLIT = 1u << 7,
	/* The flags a version-1 SAMPLES frame may carry. */
	SW_SAMPLE_FLAGS_V1 = (1u << 3) - 1,
	SW_SAMPLE_FLAGS_KNOWN = (1u << 8) - 1,
};

struct sw_sample {
	uint64_t seq;          /* per-agent, monotonic, survives restarts */
	int64_t time;          /* unix seconds at which the scan started */
	char store[SW_NAME_MAX + 1];
	uint64_t objects;       /* regular files born before the scan started */
	uint64_t bytes;         /* sum of their st_size, hard links once */
	uint64_t added_objects; /* files born in [previous scan start, this start) */
	uint64_t added_bytes;
	uint64_t fs_used;   /* filesystem bytes in use (statfs) */
	uint64_t fs_size;   /* filesystem size in bytes */
	uint64_t fs_inodes; /* filesystem inodes in use */
	uint64_t mount_id;  /* st_dev of the store's root: changes if the mount does */
	uint32_t flags;     /* SW_SAMPLE_* */
	uint8_t status;     /* enum sw_scan_status */
	uint32_t error_count;
	char first_error[SW_ERRTEXT_MAX + 1];
	uint32_t scan_ms; /* how long the scan took */

	/* Exact accounts (protocol version 3), meaningful only with
	 * SW_SAMPLE_EXACT; a version-1 frame leaves them zero.  They come from
	 * the agent's manifest diff between the previous delivered scan and
	 * this one (docs/protocol.md, "Version 3"). */
	uint64_t removed_objects; /* files gone since the previous scan (moves excluded) */
	uint64_t removed_bytes;   /* their sizes as last seen */
	uint64_t removed_young_objects; /* the part younger than retention at scan start */
	uint64_t removed_young_bytes;
	uint64_t removed_min_age; /* smallest age (s) among removed, UINT64_MAX: none */
	uint64_t shrunk_bytes;    /* sum of max(0, old - new) over files in both scans */
	uint64_t moved_objects;   /* renames inside the store, matched by (inode, size) */
	uint64_t moved_bytes;
	uint64_t retention;       /* seconds the young split used, 0 = unknown */
	uint64_t journal_dropped; /* journal entries dropped for space since start */

	/* Object store listings (protocol version 3, SW_SAMPLE_LISTING; zero
	 * otherwise).  requests counts the listing requests (pages, retries
	 * included) the agent sent for this sample: 0 on the rounds that repeat
	 * the last listing (list_interval), so their sum is what the store's
	 * listings cost.  The others need SW_SAMPLE_VERSIONED and, like the
	 * totals, describe the listing at `time`. */
	uint64_t requests;
	uint64_t noncurrent_objects; /* versions that are not the current one */
	uint64_t noncurrent_bytes;
	uint64_t delete_markers; /* delete markers listed: deletions that can be undone */

	/* The fresh split (protocol version 3, SW_SAMPLE_FRESH_SPLIT; zero
	 * otherwise): of the removal, the part younger than fresh_age seconds
	 * at scan start -- within removed_young_* when the sample has a young
	 * split (fresh_age is then at most the retention), within removed_*
	 * otherwise -- and the smallest age among the removed items at or over
	 * fresh_age (UINT64_MAX: none), which a temp file deleted minutes after
	 * its upload cannot pull down. */
	uint64_t fresh_age; /* seconds, > 0 */
	uint64_t removed_fresh_objects;
	uint64_t removed_fresh_bytes;
	uint64_t removed_min_settled_age;
};

/* Human-readable name of a scan status ("complete", "partial", "missing"). */
const char *sample_status_name(unsigned status);

struct buf;
/* Appends the sample as one JSON object (every field, the status by name;
 * agent may be NULL to leave it out).  0 or a negative errno. */
int sample_to_json(struct buf *b, const char *agent, const struct sw_sample *s);

#endif
