/*
 * allowance.c - declared deletions ("explanations").
 *
 * An operator declares that a store will lose up to some bytes and/or
 * objects inside a time window (a court-ordered deletion, a migration).  The
 * detector consumes the allowance with the unexplained residual of samples
 * inside the window, so the declared loss never reaches an alarm; an
 * explanation filed after the fact resolves the open alert it covers.  The
 * slots live in the per-store state (no pointers, DETECT_MAX_EXPLAIN of them);
 * the ledger keeps the durable copy and re-adds them after a restart.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect_int.h"
#include "shrinkwatch/banned.h"

static double remaining(double allow, double used)
{
	if (allow < 0)
		return 1e300;
	return allow > used ? allow - used : 0;
}

void detect__explain_consume(struct detect_state *st, int64_t t, const double want[2],
			     double got[2])
{
	unsigned k, i;
	double left[2] = { want[0] > 0 ? want[0] : 0, want[1] > 0 ? want[1] : 0 };

	got[0] = got[1] = 0;
	for (k = 0; k < st->nexplain && (left[0] > 0 || left[1] > 0); k++) {
		struct detect_explain *e = &st->explain[k];

		if (t < e->start || t > e->end)
			continue;
		for (i = 0; i < 2; i++) {
			double allow = i ? e->allow_objects : e->allow_bytes;
			double *used = i ? &e->used_objects : &e->used_bytes;
			double c = remaining(allow, *used);

			if (c > left[i])
				c = left[i];
			*used += c;
			left[i] -= c;
			got[i] += c;
		}
	}
}

bool detect__explain_active(const struct detect_state *st, int64_t t)
{
	unsigned k;

	for (k = 0; k < st->nexplain; k++)
		if (t >= st->explain[k].start && t <= st->explain[k].end)
			return true;
	return false;
}

bool detect_explain_covers(const struct detect_event *a, const struct detect_explain *e)
{
	if (a->kind == DETECT_SILENCE)
		return false;
	if (a->since < e->start || a->since > e->end)
		return false;
	return remaining(e->allow_bytes, e->used_bytes) >= a->lost_bytes &&
	       remaining(e->allow_objects, e->used_objects) >= a->lost_objects;
}

/* Drops explanations whose window ended before the store's last sample. */
static void expire(struct detect_state *st)
{
	unsigned k = 0;

	while (k < st->nexplain) {
		if (st->explain[k].end < st->last_time) {
			memmove(&st->explain[k], &st->explain[k + 1],
				(st->nexplain - k - 1) * sizeof st->explain[0]);
			st->nexplain--;
		} else {
			k++;
		}
	}
}

int detect_explain_add(struct detect_state *st, const struct detect_explain *e,
		       struct detect_event *ev)
{
	struct detect_explain *slot;
	struct detect_event open;
	unsigned k, i;
	int n = 0;

	if (!e->id || e->end < e->start)
		return -EINVAL;
	for (k = 0; k < st->nexplain; k++)
		if (st->explain[k].id == e->id)
			return -EEXIST;
	expire(st);
	if (st->nexplain >= DETECT_MAX_EXPLAIN)
		return -ENOSPC;
	slot = &st->explain[st->nexplain++];
	*slot = *e;
	slot->used_bytes = slot->used_objects = 0;
	if (st->open_kind >= DETECT_KIND_COUNT)
		return 0;
	memset(&open, 0, sizeof open);
	open.kind = st->open_kind;
	open.since = st->ep_since;
	open.time = st->last_time;
	open.lost_bytes = st->m[0].ep_lost;
	open.lost_objects = st->m[1].ep_lost;
	if (!detect_explain_covers(&open, slot))
		return 0;
	slot->used_bytes += open.lost_bytes;
	slot->used_objects += open.lost_objects;
	memset(ev, 0, sizeof *ev);
	ev->time = st->last_time;
	ev->since = st->ep_since;
	ev->episode = st->ep_episode[st->open_kind];
	ev->kind = st->open_kind;
	ev->state = DETECT_RESOLVED;
	ev->resolution = DETECT_RES_EXPLAINED;
	ev->lost_bytes = open.lost_bytes;
	ev->lost_objects = open.lost_objects;
	for (i = 0; i < 2; i++) {
		st->m[i].ep_lost = 0;
		st->m[i].reported = 0;
		st->m[i].fast = 0;
	}
	ev->observed_bytes = st->m[0].last - st->m[0].ep_start;
	ev->observed_objects = st->m[1].last - st->m[1].ep_start;
	ev->expected_bytes = ev->observed_bytes;
	ev->expected_objects = ev->observed_objects;
	snprintf(ev->summary, sizeof ev->summary,
		 "%s resolved: explained by declared deletion %u", detect_kind_name(ev->kind),
		 e->id);
	st->ep_episode[st->open_kind] = 0;
	st->open_kind = DETECT__NO_EPISODE;
	n = 1;
	return n;
}

int detect_explain_revoke(struct detect_state *st, uint32_t id)
{
	unsigned k;

	for (k = 0; k < st->nexplain; k++) {
		if (st->explain[k].id != id)
			continue;
		memmove(&st->explain[k], &st->explain[k + 1],
			(st->nexplain - k - 1) * sizeof st->explain[0]);
		st->nexplain--;
		return 0;
	}
	return -ENOENT;
}
