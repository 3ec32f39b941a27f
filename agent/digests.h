/*
 * digests.h - per-directory digests of a store's manifest, for copy
 * verification (issue 13; docs/protocol.md "Digests").
 *
 * A collector checking that a destination holds everything a source holds
 * asks each agent for the digest of a directory (DIGREQ), and descends only
 * into the subdirectories whose digests differ, so two matching stores of a
 * million files compare with a few kilobytes on the wire.  For a directory D
 * (path relative to the store, "" = the root):
 *
 *   names_digest(D) = SHA-256 over D's entries sorted by name bytes, each
 *     file:      'F' || name || 0x00 || size (u64 big-endian)
 *     directory: 'D' || name || 0x00 || names_digest(child)
 *
 * A digest does not depend on where D sits, so a source subtree and a
 * destination subtree under different prefixes compare directly.  Entries
 * travel known by name_hash = the first 16 bytes of SHA-256(name); names
 * only when the request says SW_DIG_NAMES, and then only down to the
 * agent's inventory_depth.  A collector descends by name
 * hash (SW_DIG_BYHASH: "#" + 32 hex digits in the path), so a continuous
 * check never needs a name below the configured prefix.
 *
 * The digests come from the manifest (agent/manifest.h) of the last
 * committed scan, never from walking the store: after a scan's commit, the
 * scan thread calls digests_refresh(), which rebuilds the store's snapshot
 * only when the manifest changed (manifest_changes()).  A snapshot keeps in
 * memory one node per directory (path, digest, totals, about 100 bytes) and
 * each directory's entries in an unlinked scratch file in
 * state_dir/digests, so memory does not grow with the number of files.
 *
 * The manifest records only directories that hold regular files (and,
 * implied by their paths, their ancestors): a directory with no file below
 * it is absent on both sides alike.
 *
 * Threads: digests_refresh() runs on the scan thread, digests_answer() on
 * the loop thread; a snapshot is swapped in under a lock.
 */
#ifndef SHRINKWATCH_AGENT_DIGESTS_H
#define SHRINKWATCH_AGENT_DIGESTS_H

#include <stdint.h>

#include "hashes.h"
#include "manifest.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/proto.h"

struct digests;

/* Prepares state_dir/digests (created 0700) for the scratch files.  depth
 * is the agent's inventory_depth (0 = no limit): an answer with names
 * (SW_DIG_NAMES) carries the names of a directory's entries only when their
 * paths stay within depth components (pathcut.h); deeper entries travel by
 * name hash alone, with an empty name, as in a continuous check, so no name
 * leaves the agent that the loss inventory would cut.  0 and *out (caller
 * frees with digests_close()), or a negative errno. */
int digests_open(const char *state_dir, unsigned depth, struct digests **out);
void digests_close(struct digests *d);

/*
 * After store's scan was committed to manifest m (scan thread): rebuilds
 * the store's digests when the manifest changed since the last build, or
 * only records the new scan's time when it did not.  h (or NULL): when it
 * hashes this store (hash_contents = yes), the build also makes the content
 * digests,
 *
 *   content_digest(D): as names_digest, with 'F' entries carrying the
 *   file's SHA-256 (32 zero bytes while not hashed yet) instead of its size
 *   and 'D' entries the child's content_digest,
 *
 * hands the hashing worker the files whose hash is missing or stale (or
 * every file when a full rehash is due), and rebuilds again when the worker
 * has new hashes.  A failure is logged;
 * the store's digests are then dropped (DIGREQ is refused, never answered
 * from a stale tree).  0 or a negative errno.
 */
int digests_refresh(struct digests *d, const char *store, struct manifest *m, struct hashes *h);

/* Takes one encoded frame (the callee owns frame's storage from then on,
 * success or not).  0 or a negative errno, which stops the answer. */
typedef int (*digests_send_fn)(void *ud, struct buf *frame);

/*
 * Answers a DIGREQ (loop thread): DIGESTS frames for r->req_id handed to
 * send, the last with SW_DIG_LAST; or one frame SW_DIG_NO_DIR (no such
 * directory in the manifest) or SW_DIG_REFUSED with the reason (no
 * committed scan since the agent started, the last scan was partial,
 * content digests asked of a store without hash_contents).  With
 * SW_DIG_CONTENT, self and every entry's digest are content digests ('F':
 * the file's SHA-256, zeros while not hashed yet).  With SW_DIG_NAMES the
 * entries carry their names unless the directory lies at or below the
 * inventory_depth given to digests_open() (then empty names: the collector
 * shows those items under the deepest path it was allowed).  0 or a
 * negative errno.
 */
int digests_answer(struct digests *d, const struct sw_digreq *r, digests_send_fn send,
		   void *ud);

#endif
