/*
 * versioned.h - an alert on a versioned bucket says whether the loss can be
 * undone.
 *
 * Deleting an object from a versioned S3 bucket leaves a delete marker and
 * keeps the object as a noncurrent version: the store lost it, yet an
 * administrator can restore it.  The agent reports the markers of every
 * complete listing of such a bucket (SW_SAMPLE_VERSIONED, delete_markers).
 * The live detector (watch.c) runs each store's samples through
 * versioned_note(), which remembers the previous listing's markers and adds
 * to the summary of every loss event of a versioned bucket how many delete
 * markers appeared since the listing before the loss started (the event's
 * `since`): "the objects are
 * recoverable as noncurrent versions" -- or that none did, when the versions
 * themselves were removed and nothing can be restored.  The summary goes to
 * the ledger and to every notification, so the investigator reads it first.
 *
 * The memory is per store and per run, VERSIONED_HISTORY listings deep:
 * after a collector restart, or for a loss that started before the oldest
 * listing remembered, the note gives the bucket's current count instead of
 * the number that appeared.  Loop thread only, like the rest of the watch.
 */
#ifndef SHRINKWATCH_COLLECTOR_VERSIONED_H
#define SHRINKWATCH_COLLECTOR_VERSIONED_H

#include <stdbool.h>
#include <stdint.h>

#include "shrinkwatch/detect.h"
#include "shrinkwatch/sample.h"

/* Listings remembered per store: an episode fires a few samples after its
 * loss started (the detector confirms it), and its base is the listing
 * before that start. */
#define VERSIONED_HISTORY 32

/* One store's markers; zeroed memory is the start state. */
struct versioned_track {
	unsigned n, head;                      /* ring of the latest listings */
	int64_t time[VERSIONED_HISTORY];       /* sample times, oldest first from head */
	uint64_t markers[VERSIONED_HISTORY];   /* their delete markers */
	bool base_known[DETECT_KIND_COUNT];    /* per open alert kind: base holds ... */
	uint64_t base[DETECT_KIND_COUNT];      /* ... the markers before its loss started */
};

/*
 * Adds the recoverability note to the summaries of the n events ev that the
 * sample s produced (firing and updated loss events; silence excepted), when
 * s is a complete listing of a versioned bucket, then remembers s's
 * markers.  Events of other stores' samples are untouched; a note that does
 * not fit is cut at DETECT_SUMMARY_MAX like any summary.
 */
void versioned_note(struct versioned_track *t, const struct sw_sample *s,
		    struct detect_event *ev, int n);

#endif
