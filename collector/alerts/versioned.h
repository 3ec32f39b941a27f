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
 * markers appeared since the sample before the alert fired: "the objects are
 * recoverable as noncurrent versions" -- or that none did, when the versions
 * themselves were removed and nothing can be restored.  The summary goes to
 * the ledger and to every notification, so the investigator reads it first.
 *
 * The memory is per store and per run: after a collector restart an alert
 * still open gets the bucket's current count instead of the number that
 * appeared.  Loop thread only, like the rest of the watch.
 */
#ifndef SHRINKWATCH_COLLECTOR_VERSIONED_H
#define SHRINKWATCH_COLLECTOR_VERSIONED_H

#include <stdbool.h>
#include <stdint.h>

#include "shrinkwatch/detect.h"
#include "shrinkwatch/sample.h"

/* One store's markers; zeroed memory is the start state. */
struct versioned_track {
	bool known;            /* prev holds the markers of the previous listing */
	uint64_t prev;         /* delete markers at the previous complete listing */
	bool base_known[DETECT_KIND_COUNT]; /* per open alert kind: base holds ... */
	uint64_t base[DETECT_KIND_COUNT];   /* ... the markers before it fired */
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
