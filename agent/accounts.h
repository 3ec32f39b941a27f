/*
 * accounts.h - the agent's exact accounts (issue 12): each store's manifest
 * (manifest.h), the removal journal (journal.h), the retention the
 * collector sends in POLICY, and the answer to an inventory request.
 *
 * The agent's scan thread calls accounts_prepare() before and
 * accounts_settle() after each store's scan; the loop thread calls
 * accounts_set_policy() when a collector sends POLICY and
 * accounts_inventory() when one sends INVREQ.  The two threads meet only
 * in the policy table (under a lock) and the journal (which allows a query
 * while a scan writes).
 *
 * Data minimisation: paths leave this module only in INVENTORY frames, on a
 * collector's request, cut to inventory_depth components when set
 * (pathcut.h); the copy digests it opens apply the same depth to names.
 */
#ifndef SHRINKWATCH_AGENT_ACCOUNTS_H
#define SHRINKWATCH_AGENT_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "delqueue.h"
#include "digests.h"
#include "journal.h"
#include "manifest.h"
#include "scan.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/proto.h"

/* Most items one inventory answer carries (the request may ask fewer). */
#define ACCOUNTS_INVENTORY_MAX 250000u

struct accounts;

/*
 * Opens the journal in state_dir/journal and the manifests in
 * state_dir/manifest (one per store, opened when the store is first
 * scanned).  keep_s and max_bytes bound the journal; depth is
 * inventory_depth (0 = full paths).  0 and *out (caller frees with
 * accounts_close()), or a negative errno.
 */
int accounts_open(const char *state_dir, uint64_t keep_s, uint64_t max_bytes, unsigned depth,
		  struct accounts **out);
void accounts_close(struct accounts *a);

/* Before a scan of store: points opt at the store's manifest, the retention
 * the collector sent and the journal.  Without a usable manifest the scan
 * runs on totals only.  The caller keeps opt as it is until
 * accounts_settle(). */
void accounts_prepare(struct accounts *a, const char *store, struct scan_options *opt);
/* accounts_prepare() for the replay of an object store's listing
 * (objstore_replay.h): opt->start is the listing's start and
 * opt->prev_start the previous listing's, but a key may vanish until the
 * listing reads its page and the sample that reports it is the round's, so
 * the removals are journaled as between the previous listing's start and
 * removed_before (the round's time, unix seconds). */
void accounts_prepare_listing(struct accounts *a, const char *store, struct scan_options *opt,
			      int64_t removed_before);
/* After the scan: commits the removals to the journal, then the manifest,
 * and sets s->journal_dropped.  A failure is logged and clears the sample's
 * exact flags (the figures would then not match the journal). */
void accounts_settle(struct accounts *a, const struct scan_options *opt, struct sw_sample *s);

/* POLICY from a collector: the retention of each store it knows. */
void accounts_set_policy(struct accounts *a, const struct sw_policy *p, size_t n);
/* The retention the last POLICY gave store (0: unknown). */
uint64_t accounts_retention(struct accounts *a, const char *store);

/* Deletion reports of the fanotify watch (delqueue.h) that arrived since the
 * last call: kept (the newest ACCOUNTS_REPORTS of them) to attribute the
 * removals a later scan finds under their directory and in their time to
 * the process, uid and executable they name.  Loop thread. */
void accounts_note_deletions(struct accounts *a, const struct delqueue *q);
#define ACCOUNTS_REPORTS 4096

/* Takes one encoded frame (the callee owns frame's storage from then on,
 * success or not).  0 or a negative errno, which stops the answer. */
typedef int (*accounts_send_fn)(void *ud, struct buf *frame);
/* Answers an INVREQ: INVENTORY frames for r->req_id, each handed to send
 * as soon as it is full, the last with status SW_INV_LAST (or a single
 * SW_INV_REFUSED saying why).  0 or a negative errno (send's, or the
 * journal's after a refusal was sent). */
int accounts_inventory(struct accounts *a, const struct sw_invreq *r, accounts_send_fn send,
		       void *ud);

/* The copy digests (digests.h), refreshed by accounts_settle() after each
 * committed scan; the loop thread answers DIGREQ from them.  Never NULL
 * after a successful accounts_open(). */
struct digests *accounts_digests(struct accounts *a);
/* The content hashes (hashes.h) of the hash_contents stores, or NULL: the
 * digests of those stores then carry content digests.  The caller keeps h
 * and closes it after accounts_close().  Call before the first scan. */
void accounts_set_hashes(struct accounts *a, struct hashes *h);

#endif
