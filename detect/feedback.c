/*
 * feedback.c - operator feedback: "this alert was not a loss".
 *
 * An operator who knows that an alert was a normal event (a known surge of
 * deletions, a new purge job, a retention change that was intended) says
 * so with `shrinkwatchctl ack ID --not-a-loss`.  The detector then does two
 * things (docs/detection.md, "Not a loss"):
 *
 *   - it credits the loss like a declared deletion filed after the fact:
 *     the open episode closes (resolution "not-a-loss") and the statistics
 *     that held it (the fast accumulator, the slow CUSUM, the pending
 *     confirmations) start again from zero;
 *   - it learns what learning skipped while the alarm was raised (learning
 *     freezes while any statistic is raised, so an alarm never teaches the
 *     baseline by itself):
 *       overpurge: the purge window's allowance is raised to the night
 *         that was acknowledged (its whole removal), weighted by age;
 *       drop, truncate, object_loss: the fast alarm's threshold is raised
 *         to the acknowledged loss per metric, weighted by age (not the noise
 *         spread: the spread also sets the per-sample churn tolerance and
 *         the leak threshold, so widening it for one surge would hide
 *         leaks for weeks);
 *       leak: the noise baseline moves by the leak's mean rate per sample,
 *         so the slow CUSUM measures from the new normal; the baseline's own
 *         two-week memory forgets it if the leak stops.
 *
 * The age weight is 1.5 when the feedback is given (a night or surge the
 * same size passes with room), halves every 7 days and is dropped after 28
 * days: one acknowledgement covers the same event for about four days,
 * half of it for eleven, and never blinds the store for good.  Thrice the
 * acknowledged size always alarms.  Only the latest feedback per store is
 * kept (a new one replaces the figures of its kind).
 *
 * Pure like the rest of the detector: times are sample times.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect_int.h"
#include "shrinkwatch/banned.h"

#define FB_GAIN 1.5
#define FB_HALF_LIFE (7.0 * DETECT__DAY)
#define FB_FORGET (28 * (int64_t)DETECT__DAY)

double detect_feedback_weight(const struct detect_state *st, int64_t t)
{
	int64_t age;

	if (!st->fb.since)
		return 0;
	age = t - st->fb.since;
	if (age < 0)
		age = 0;
	if (age >= FB_FORGET)
		return 0;
	return FB_GAIN * exp2(-(double)age / FB_HALF_LIFE);
}

void detect__feedback_window(struct detect_state *st, int64_t t)
{
	double w = detect_feedback_weight(st, t);
	int i;

	st->fb.win_open = t;
	for (i = 0; i < 2 && w > 0; i++) {
		double allow = w * st->fb.night[i];

		if (st->m[i].purge_allow < allow)
			st->m[i].purge_allow = allow;
	}
}

double detect__feedback_floor(const struct detect_state *st, int i, int64_t t, double h)
{
	double f = detect_feedback_weight(st, t) * st->fb.drop[i];

	return f > h ? f : h;
}

/* Closes the open episode of kind k: the statistics that held it start from
 * zero, as after a declared deletion filed after the fact. */
static void close_episode(struct detect_state *st, unsigned k, struct detect_event *ev)
{
	int i;

	memset(ev, 0, sizeof *ev);
	ev->time = st->last_time;
	ev->episode = st->ep_episode[k];
	ev->kind = (uint8_t)k;
	ev->state = DETECT_RESOLVED;
	ev->resolution = DETECT_RES_NOT_A_LOSS;
	if (k == DETECT_LEAK) {
		ev->since = st->leak_since;
		ev->lost_bytes = st->m[0].leak_sum > 0 ? st->m[0].leak_sum : 0;
		ev->lost_objects = st->m[1].leak_sum > 0 ? st->m[1].leak_sum : 0;
		for (i = 0; i < 2; i++)
			st->m[i].slow = st->m[i].leak_sum = 0;
		st->leak_quiet = 0;
	} else if (k == DETECT_VANISHED) {
		ev->since = st->vanish_since;
		ev->lost_bytes = st->m[0].vanish_ref - st->m[0].last;
		ev->lost_objects = st->m[1].vanish_ref - st->m[1].last;
	} else {
		ev->since = st->ep_since;
		ev->lost_bytes = st->m[0].ep_lost;
		ev->lost_objects = st->m[1].ep_lost;
		ev->observed_bytes = st->m[0].last - st->m[0].ep_start;
		ev->observed_objects = st->m[1].last - st->m[1].ep_start;
		for (i = 0; i < 2; i++) {
			struct detect_metric *m = &st->m[i];

			m->ep_lost = m->reported = 0;
			m->fast = m->fast_sum = 0;
			st->pending[i] = 0;
		}
		st->pending_purge = 0;
		st->open_kind = DETECT__NO_EPISODE;
	}
	if (ev->lost_bytes < 0)
		ev->lost_bytes = 0;
	if (ev->lost_objects < 0)
		ev->lost_objects = 0;
	ev->expected_bytes = ev->observed_bytes;
	ev->expected_objects = ev->observed_objects;
	snprintf(ev->summary, sizeof ev->summary,
		 "%s resolved: an operator said it was not a loss; the baseline learns it",
		 detect_kind_name(k));
	st->ep_episode[k] = 0;
}

/* What an acknowledged loss teaches, by kind (see the top of this file). */
static void learn(struct detect_state *st, const struct detect_params *p,
		  const struct detect_event *a)
{
	double lost[2] = { a->lost_bytes > 0 ? a->lost_bytes : 0,
			   a->lost_objects > 0 ? a->lost_objects : 0 };
	uint32_t iv = detect_interval(st, p);
	int i;

	switch (a->kind) {
	case DETECT_OVERPURGE:
		/* the night's whole removal: the allowance it had plus what went
		 * over it, or what the window removed so far if it is that night's */
		for (i = 0; i < 2; i++) {
			double night = st->m[i].purge_allow + lost[i];

			if (a->since >= st->fb.win_open && st->m[i].purge_cur > night)
				night = st->m[i].purge_cur;
			st->fb.night[i] = (float)night;
			st->fb.drop[i] = 0;
		}
		break;
	case DETECT_DROP:
	case DETECT_TRUNCATE:
	case DETECT_OBJECT_LOSS:
		for (i = 0; i < 2; i++) {
			st->fb.drop[i] = (float)lost[i];
			st->fb.night[i] = 0;
		}
		break;
	case DETECT_LEAK:
		/* the leak's mean rate per sample becomes part of the baseline */
		if (iv && a->time > a->since) {
			for (i = 0; i < 2; i++) {
				double per = lost[i] * iv / (double)(a->time - a->since);

				st->m[i].base += per;
			}
		}
		return; /* nothing that decays: the baseline's memory does */
	default:
		return; /* vanished: the totals are the baseline already */
	}
	st->fb.since = st->last_time;
}

int detect_not_a_loss(struct detect_state *st, const struct detect_params *p,
		      const struct detect_event *a, struct detect_event *ev)
{
	unsigned k = a->kind;
	struct detect_event closed;
	bool open;

	if (k >= DETECT_KIND_COUNT || k == DETECT_SILENCE)
		return -EINVAL;
	open = st->ep_episode[k] && st->ep_episode[k] == a->episode &&
	       (k == DETECT_LEAK || k == DETECT_VANISHED || st->open_kind == k);
	if (!open) {
		learn(st, p, a);
		return 0;
	}
	/* the detector's own figures of the episode are the freshest */
	close_episode(st, k, &closed);
	closed.time = st->last_time;
	learn(st, p, &closed);
	*ev = closed;
	return 1;
}
