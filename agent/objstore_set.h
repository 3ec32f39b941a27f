/*
 * objstore_set.h - the agent's object stores as a whole: one libcurl multi
 * handle on the loop, one lister per object store (objstore.h), and the
 * hand-over of their listings to the scan rounds.
 *
 * Rounds run on the work queue while listings run on the loop, so the loop
 * thread takes a snapshot of every lister's latest listing before it queues
 * a round (objstore_set_tick), and the round reads only that snapshot
 * (objstore_set_sample): no lock, no listing state touched off the loop.
 */
#ifndef SHRINKWATCH_AGENT_OBJSTORE_SET_H
#define SHRINKWATCH_AGENT_OBJSTORE_SET_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "state.h"
#include "shrinkwatch/sample.h"

struct objstore_set;

/* Listers for cfg's object stores (none needed: a set that does nothing),
 * writing their listing files (objstore.h) in cfg's state_dir/objlist; the
 * files a previous run left there are removed (a manifest is fed only
 * listings of this run).  0 or a negative errno.  Caller frees with
 * objstore_set_free(). */
int objstore_set_new(uv_loop_t *loop, const struct agent_config *cfg, struct objstore_set **out);

/*
 * After a reload: listers for newcfg's object stores, keeping those whose
 * configuration did not change (their schedule and last listing).  0, or
 * -ENOMEM with the set unchanged.
 */
int objstore_set_update(struct objstore_set *set, const struct agent_config *newcfg);

/*
 * Loop thread, before a round: starts the listings that are due (their
 * previous start from st the first time) and snapshots every store's latest
 * listing for the round.  st must not be in use by a round.
 */
void objstore_set_tick(struct objstore_set *set, struct agent_state *st);

/*
 * Work thread, in a round: for store i of the config, -1 if it is not an
 * object store (walk it); 0 if it has no finished listing yet (no sample);
 * 1 with s filled from the snapshot (its time excepted) and, for a listing
 * delivered for the first time, prev->last_start set to its start (prev may
 * be NULL).
 */
int objstore_set_sample(struct objstore_set *set, size_t i, struct sw_sample *s,
			struct agent_state_store *prev);

/*
 * Work thread, in a round: the listing file (objstore.h) of store i's
 * snapshot when it is a complete listing delivered for the first time, and
 * *start its start (the server's clock); else NULL.  The round owns the
 * file from then on: it replays it into the manifest (objstore_replay.h)
 * and removes it, replayed or not.  The string lives as long as the
 * snapshot (until the next objstore_set_tick()).
 */
const char *objstore_set_listing(const struct objstore_set *set, size_t i, int64_t *start);

/* A short line for the agent's status: "N object stores; M noncurrent
 * versions, K delete markers" (empty when there are none). */
void objstore_set_status(const struct objstore_set *set, char *out, size_t len);

/*
 * --once: lists object store sc on a loop of its own and fills s (time
 * excepted).  prev_start is the previous listing's start (0 = none).
 * 0, or a negative errno when the listing could not run at all.
 */
int objstore_set_list_once(const struct agent_store_config *sc, int64_t prev_start,
			   struct sw_sample *s);

/* Stops every listing and frees the set (its handles close with the loop). */
void objstore_set_free(struct objstore_set *set);

#endif
