/*
 * versioned.c - the recoverability note of an alert on a versioned bucket
 * (see versioned.h).
 */
#include <stdio.h>
#include <string.h>

#include "versioned.h"
#include "shrinkwatch/banned.h"

static void append(struct detect_event *e, const char *fmt, unsigned long long a)
{
	size_t len = strnlen(e->summary, sizeof e->summary);

	if (len + 1 < sizeof e->summary)
		snprintf(e->summary + len, sizeof e->summary - len, fmt, a);
}

/* The markers of the latest remembered listing before time since: 1, or 0
 * when none is remembered. */
static int markers_before(const struct versioned_track *t, int64_t since, uint64_t *out)
{
	for (unsigned i = t->n; i-- > 0;) {
		unsigned at = (t->head + i) % VERSIONED_HISTORY;

		if (t->time[at] < since) {
			*out = t->markers[at];
			return 1;
		}
	}
	return 0;
}

static void remember(struct versioned_track *t, int64_t time, uint64_t markers)
{
	unsigned at = (t->head + t->n) % VERSIONED_HISTORY;

	if (t->n == VERSIONED_HISTORY) {
		at = t->head;
		t->head = (t->head + 1) % VERSIONED_HISTORY;
	} else {
		t->n++;
	}
	t->time[at] = time;
	t->markers[at] = markers;
}

/* The note for one loss event of kind k at the sample's markers now. */
static void note_one(struct versioned_track *t, struct detect_event *e, uint64_t now)
{
	unsigned k = e->kind;

	if (e->state == DETECT_FIRING) /* a new episode: its base is the listing before it */
		t->base_known[k] = markers_before(t, e->since, &t->base[k]) == 1;
	if (!t->base_known[k] || now < t->base[k]) {
		/* no sample before this alert in this run, or markers were
		 * cleaned up since: what the bucket holds now */
		append(e, "; versioned bucket: %llu delete markers: deleted objects may be "
			  "recoverable as noncurrent versions", (unsigned long long)now);
	} else if (now > t->base[k]) {
		append(e, "; versioned bucket: %llu delete markers appeared: the objects are "
			  "recoverable as noncurrent versions",
		       (unsigned long long)(now - t->base[k]));
	} else {
		append(e, "; versioned bucket, yet no delete marker appeared: versions were "
			  "removed for good (%llu markers)", (unsigned long long)now);
	}
}

void versioned_note(struct versioned_track *t, const struct sw_sample *s,
		    struct detect_event *ev, int n)
{
	bool versioned = (s->flags & SW_SAMPLE_VERSIONED) && s->status == SW_SCAN_COMPLETE;

	for (int i = 0; i < n; i++) {
		struct detect_event *e = &ev[i];

		if (e->kind >= DETECT_KIND_COUNT)
			continue;
		if (e->state == DETECT_RESOLVED) {
			t->base_known[e->kind] = false;
			continue;
		}
		if (versioned && e->kind != DETECT_SILENCE)
			note_one(t, e, s->delete_markers);
	}
	if (versioned)
		remember(t, s->time, s->delete_markers);
	else if (s->status == SW_SCAN_COMPLETE)
		t->n = t->head = 0; /* a complete listing without versions */
}
