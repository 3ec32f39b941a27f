/*
 * detect.c - the detector's per-sample update: residuals, alarms, episodes.
 *
 * For every complete sample and metric (bytes, objects) the residual is
 *   r = previous total + added - total     (net-only: previous - total)
 * Inside a purge window only the part of the window's removal above the
 * retention allowance counts (purge.c); declared deletions consume
 * what remains (allowance.c).  The unexplained loss then feeds:
 *   - a fast accumulator F = max(0, F + u - k) with k above the learned
 *     temp-file churn; F over the drop threshold (a fraction of the store,
 *     an absolute floor and a multiple of the learned noise) raises an alarm
 *     that fires when the next sample confirms it (so a partial scan that
 *     reports a smaller total, or a file that reappears, never fires);
 *   - a slow CUSUM S = max(0, S + clamp(u - base) - k_s) with k_s half the
 *     target leak rate and each sample's weight capped, for leaks over days.
 * Learning (base, variance, purge ratio, retention lag, purge hour) happens
 * only while no statistic is raised.
 *
 * This file is the top of the detector: it calls purge.c, allowance.c,
 * state.c (defaults, the interval in use) and format.c (names), and none of
 * them calls back into it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect_int.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/banned.h"

#define NO_EPISODE DETECT__NO_EPISODE
/* base_since while the noise baseline waits for its first sample */
#define BASE_RESTART INT64_MAX

bool detect_calibrated(const struct detect_state *st, const struct detect_params *p)
{
	if (!st->nsamples || st->last_time - st->first_time < DETECT__DAY)
		return false;
	return detect__purge_hour_known(st, p) ||
	       st->last_time - st->first_time >= 2 * (int64_t)p->warmup;
}

bool detect_silent(const struct detect_state *st)
{
	return st->ep_episode[DETECT_SILENCE] != 0;
}

static struct detect_event *emit(struct detect_state *st, struct detect_event *ev, int *n,
				 unsigned kind, unsigned state, int64_t t)
{
	struct detect_event *e = &ev[*n];

	(void)st;
	memset(e, 0, sizeof *e);
	e->time = t;
	e->kind = (uint8_t)kind;
	e->state = (uint8_t)state;
	(*n)++;
	return e;
}

/* Fills the loss figures and a one-line summary of an event. */
static void describe(struct detect_event *e, const double lost[2], const double before[2],
		     const double now[2])
{
	double pct = before[0] > 0 ? 100.0 * lost[0] / before[0] : 0;
	double pco = before[1] > 0 ? 100.0 * lost[1] / before[1] : 0;
	int i;

	e->lost_bytes = lost[0] > 0 ? lost[0] : 0;
	e->lost_objects = lost[1] > 0 ? lost[1] : 0;
	e->observed_bytes = now[0] - before[0];
	e->observed_objects = now[1] - before[1];
	e->expected_bytes = e->observed_bytes + e->lost_bytes;
	e->expected_objects = e->observed_objects + e->lost_objects;
	for (i = 0; i < 2; i++)
		if (!isfinite(lost[i]))
			e->lost_bytes = e->lost_objects = 0;
	detect__summary(e, pct, pco);
	if (e->state == DETECT_RESOLVED) {
		size_t l = strlen(e->summary);
		snprintf(e->summary + l, sizeof e->summary - l, " (%s)",
			 detect_resolution_name(e->resolution));
	}
}

static bool alarmed(const struct detect_state *st)
{
	return st->open_kind != NO_EPISODE || st->ep_episode[DETECT_LEAK] ||
	       st->ep_episode[DETECT_VANISHED] || st->pending[0] || st->pending[1] ||
	       st->pending_vanish;
}

int64_t detect_silence_deadline(const struct detect_state *st, const struct detect_params *p)
{
	uint32_t iv = detect_interval(st, p);

	if (!st->nsamples || !iv || st->ep_episode[DETECT_SILENCE])
		return INT64_MAX;
	return st->last_time + (int64_t)iv * p->silence_intervals + iv / 2;
}

int detect_tick(struct detect_state *st, const struct detect_params *p, int64_t now,
		struct detect_event *ev)
{
	int n = 0;
	struct detect_event *e;
	double z[2] = { 0, 0 }, tot[2];

	if (now < detect_silence_deadline(st, p))
		return 0;
	st->ep_episode[DETECT_SILENCE] = ++st->episode;
	e = emit(st, ev, &n, DETECT_SILENCE, DETECT_FIRING, now);
	e->episode = st->episode;
	e->since = st->last_time + detect_interval(st, p);
	tot[0] = st->m[0].last;
	tot[1] = st->m[1].last;
	describe(e, z, tot, tot);
	return n;
}

static void push_spacing(struct detect_state *st, int64_t dt)
{
	if (dt <= 0)
		return;
	st->spacing[st->nspacing % 7] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
	st->nspacing++;
}

/* Opens an episode of kind k and returns its FIRING event. */
static struct detect_event *fire(struct detect_state *st, struct detect_event *ev, int *n,
				 unsigned k, int64_t t, int64_t since)
{
	struct detect_event *e = emit(st, ev, n, k, DETECT_FIRING, t);

	st->ep_episode[k] = ++st->episode;
	e->episode = st->episode;
	e->since = since;
	return e;
}

static struct detect_event *transition(struct detect_state *st, struct detect_event *ev, int *n,
				       unsigned k, unsigned state, int64_t t, int64_t since)
{
	struct detect_event *e = emit(st, ev, n, k, state, t);

	e->episode = st->ep_episode[k];
	e->since = since;
	if (state == DETECT_RESOLVED)
		st->ep_episode[k] = 0;
	return e;
}

/*
 * Vanished: totals collapsing towards empty, or the mount changing with a
 * loss.  Like a drop it needs the next sample to confirm (a single zero
 * reading is not a vanished volume); while pending, the collapsed totals are
 * not taken as the new baseline.  Returns VANISH_NO (judge the sample
 * normally), VANISH_HOLD (pending: ignore the sample) or VANISH_TAKEN (the
 * sample belongs to a vanish episode: it becomes the baseline).
 */
enum { VANISH_NO, VANISH_HOLD, VANISH_TAKEN };

static int check_vanished(struct detect_state *st, const struct detect_params *p,
			  const struct detect_input *in, const double cur[2],
			  struct detect_event *ev, int *n)
{
	double before[2], lost[2];
	bool changed = in->mount_id && st->mount_id && in->mount_id != st->mount_id;
	bool collapse, mloss;
	struct detect_event *e;
	int i;

	if (st->ep_episode[DETECT_VANISHED]) {
		if (cur[0] >= 0.9 * st->m[0].vanish_ref && cur[1] >= 0.9 * st->m[1].vanish_ref) {
			double ref[2] = { st->m[0].vanish_ref, st->m[1].vanish_ref };
			double l2[2] = { ref[0] - cur[0], ref[1] - cur[1] };

			e = transition(st, ev, n, DETECT_VANISHED, DETECT_RESOLVED, in->time,
				       st->vanish_since);
			e->resolution = DETECT_RES_RECOVERED;
			describe(e, l2, ref, cur);
		}
		return VANISH_TAKEN;
	}
	if (st->pending_vanish) {
		st->pending_vanish = 0;
		if (cur[0] >= st->m[0].vanish_ref * (1 - p->drop_rel))
			return VANISH_NO; /* back: it was one bad reading */
		for (i = 0; i < 2; i++) {
			before[i] = st->m[i].vanish_ref;
			lost[i] = before[i] - cur[i];
		}
		e = fire(st, ev, n, DETECT_VANISHED, in->time, st->vanish_since);
		describe(e, lost, before, cur);
		snprintf(e->summary, sizeof e->summary,
			 "vanished: the store %s; %.0f of %.0f bytes and %.0f of %.0f objects gone",
			 changed ? "changed mount" : "collapsed towards empty", lost[0], before[0],
			 lost[1], before[1]);
		return VANISH_TAKEN;
	}
	before[0] = st->m[0].last;
	collapse = before[0] > p->drop_bytes && cur[0] < p->vanish_rel * before[0];
	if (st->open_kind != NO_EPISODE && st->m[0].ep_start > p->drop_bytes &&
	    cur[0] < p->vanish_rel * st->m[0].ep_start)
		collapse = true;
	mloss = changed && before[0] - cur[0] >= p->drop_rel * before[0];
	if (!collapse && !mloss)
		return VANISH_NO;
	for (i = 0; i < 2; i++)
		st->m[i].vanish_ref = st->open_kind != NO_EPISODE ? st->m[i].ep_start : st->m[i].last;
	st->vanish_since = in->time;
	st->pending_vanish = 1;
	return VANISH_HOLD;
}

/* Learns the mean of the clamped residual y (the slow CUSUM subtracts exactly
 * this mean, so skewed churn - temp files only ever show as removals - cannot
 * drift it) and the variance of yv, the residual clamped only at the alarm
 * threshold.  The variance must not come from y: y is clamped at a multiple
 * of the learned spread itself, so sparse churn (a few temp files vanishing
 * now and then) would shrink the spread sample after sample towards zero and
 * every later vanish would look like a loss. */
static void learn_noise(struct detect_metric *m, double y, double yv, double dt, double age)
{
	/* a running mean for the first day, then a two-week memory */
	double a = dt / (14.0 * DETECT__DAY), d = y - m->base, dv = yv - m->base;

	if (age < DETECT__DAY)
		a = age > dt ? dt / age : 1.0;
	m->base += a * d;
	m->var += a * (dv * dv - m->var);
}

static unsigned classify(const struct detect_state *st, const struct detect_params *p,
			 const bool raised[2])
{
	double rl[2];
	int i;

	for (i = 0; i < 2; i++)
		rl[i] = st->m[i].fast_start > 0 ? st->m[i].fast_sum / st->m[i].fast_start : 0;
	/* a purge deletes whole files: bytes and objects go together, so a
	 * loss of one metric alone is truncation or object loss even when it
	 * happens inside the purge window */
	if (raised[0] && !raised[1] && rl[1] < p->flat_ratio * rl[0])
		return DETECT_TRUNCATE;
	if (raised[1] && !raised[0] && rl[0] < p->flat_ratio * rl[1])
		return DETECT_OBJECT_LOSS;
	if (st->pending_purge)
		return DETECT_OVERPURGE;
	return DETECT_DROP;
}

/*
 * Opens a loss episode of kind k and returns its FIRING event: the loss the
 * fast accumulator gathered since it last left 0, plus extra (exact young
 * removal, exact.c; NULL = none), starting from the total before it.
 */
static struct detect_event *open_episode(struct detect_state *st, struct detect_event *ev,
					 int *n, unsigned k, int64_t t, int64_t since,
					 const double extra[2], const double cur[2])
{
	struct detect_event *e;
	double lost[2], before[2];
	int i;

	st->open_kind = (uint8_t)k;
	e = fire(st, ev, n, k, t, since);
	st->ep_since = since;
	st->quiet = 0;
	st->unsettled = 0;
	for (i = 0; i < 2; i++) {
		struct detect_metric *m = &st->m[i];
		/* exact young loss takes along only a statistical loss that is an
		 * alarm itself (pending), not what stayed below its threshold */
		bool gathering = !extra || st->pending[i];

		m->ep_lost = gathering && m->fast_sum > 0 ? m->fast_sum : 0;
		if (extra)
			m->ep_lost += extra[i];
		if (!st->ep_episode[DETECT_LEAK])
			m->slow = m->leak_sum = 0; /* what it saw is this episode's */
		m->ep_start = gathering ? m->fast_start : m->last;
		m->reported = m->ep_lost;
		m->fast = 0;
		m->fast_sum = 0;
		lost[i] = m->ep_lost;
		before[i] = m->ep_start;
		st->pending[i] = 0;
	}
	st->pending_purge = 0;
	describe(e, lost, before, cur);
	return e;
}

/*
 * Follows the open loss episode with this sample's loss u, or opens one when
 * the fast alarm is confirmed.  kf is the fast alarm's churn tolerance (the
 * episode resolves after resolve_after samples within it), churn the churn
 * one sample carries as learned, without the floors kf has (see
 * detect_update_figures()).
 */
static void loss_episode(struct detect_state *st, const struct detect_params *p, int64_t t,
			 const double u[2], const double kf[2], const double churn[2],
			 const double thr[2], const double cur[2], struct detect_event *ev, int *n)
{
	struct detect_event *e;
	bool quiet = true, grew = false, settle, moving = false, tail = false, recovered = true,
	     raised[2] = { false, false };
	double lost[2], before[2], tol;
	int i;

	if (st->open_kind != NO_EPISODE) {
		for (i = 0; i < 2; i++) {
			struct detect_metric *m = &st->m[i];

			m->ep_lost += u[i];
			if (m->ep_lost < 0)
				m->ep_lost = 0;
			m->fast = 0;
			if (u[i] > kf[i])
				quiet = false;
			if (m->ep_lost >= m->reported + thr[i] / 2)
				grew = true;
			/* a unit (a byte, an object) at least: objects come whole */
			tol = churn[i] > 1 ? churn[i] : 1;
			if (u[i] >= tol)
				moving = true;
			if (m->ep_lost >= m->reported + tol)
				tail = true;
			if (m->reported > 0 && m->ep_lost > 0.2 * m->reported)
				recovered = false;
			lost[i] = m->ep_lost;
			before[i] = m->ep_start;
		}
		st->quiet = quiet ? st->quiet + 1 : 0;
		/* growth reported in steps of half the threshold keeps the
		 * ledger from following every wobble, but the alert must end
		 * up stating the whole loss: once the episode lost more than a
		 * sample's churn since its last report (the tail of a deletion
		 * cut across two scans, or one object a sample, which the
		 * fast alarm's tolerance of at least one object calls quiet),
		 * the first sample that loses no more reports it.  The churn,
		 * not kf: kf's floors (a hundredth of the threshold, one
		 * object) would hide such a tail; on a churny store the churn
		 * is large and the updates stay rare */
		settle = !moving && st->unsettled &&
			 (lost[0] >= st->m[0].reported + 1 || lost[1] >= st->m[1].reported + 1);
		st->unsettled = moving || tail;
		if (grew || settle) {
			e = transition(st, ev, n, st->open_kind, DETECT_UPDATED, t, st->ep_since);
			st->m[0].reported = lost[0];
			st->m[1].reported = lost[1];
			/* the tail was measured against the report just made */
			st->unsettled = moving;
		} else if (recovered || st->quiet >= p->resolve_after) {
			e = transition(st, ev, n, st->open_kind, DETECT_RESOLVED, t, st->ep_since);
			e->resolution = recovered ? DETECT_RES_RECOVERED : DETECT_RES_QUIET;
			st->open_kind = NO_EPISODE;
		} else {
			return;
		}
		describe(e, lost, before, cur);
		return;
	}
	for (i = 0; i < 2; i++) {
		struct detect_metric *m = &st->m[i];

		if (st->pending[i])
			raised[i] = m->fast >= thr[i] / 2;
	}
	if (!raised[0] && !raised[1]) {
		for (i = 0; i < 2; i++)
			st->pending[i] = st->m[i].fast >= thr[i];
		if (!st->pending[0] && !st->pending[1])
			st->pending_purge = 0;
		return;
	}
	open_episode(st, ev, n, classify(st, p, raised), t, st->fast_since, NULL, cur);
}

static void leak_check(struct detect_state *st, const struct detect_params *p, int64_t t,
		       const double hs[2], const double cur[2], struct detect_event *ev, int *n)
{
	bool over = st->m[0].slow >= hs[0] || st->m[1].slow >= hs[1];
	double lost[2] = { st->m[0].leak_sum, st->m[1].leak_sum };
	double before[2] = { cur[0] + lost[0], cur[1] + lost[1] };
	uint32_t iv = detect_interval(st, p);
	struct detect_event *e;

	if (!st->ep_episode[DETECT_LEAK]) {
		/* a loss building up fast is the fast path's (a drop), not a leak */
		if (!over || st->pending[0] || st->pending[1] || st->open_kind != NO_EPISODE ||
		    st->m[0].fast > 0 || st->m[1].fast > 0)
			return;
		e = fire(st, ev, n, DETECT_LEAK, t, st->leak_since);
		st->leak_quiet = 0;
	} else if (over) {
		e = transition(st, ev, n, DETECT_LEAK, DETECT_UPDATED, t, st->leak_since);
		st->leak_quiet = 0;
	} else {
		if (st->m[0].slow > 0 || st->m[1].slow > 0)
			st->leak_quiet = 0;
		else
			st->leak_quiet++;
		if (!iv || (uint64_t)st->leak_quiet * iv < DETECT__DAY)
			return;
		e = transition(st, ev, n, DETECT_LEAK, DETECT_RESOLVED, t, st->leak_since);
		e->resolution = DETECT_RES_QUIET;
		st->m[0].leak_sum = st->m[1].leak_sum = 0;
	}
	if (over)
		st->m[0].slow = st->m[1].slow = 0;
	describe(e, lost, before, cur);
}

/*
 * How much the operator's false-alarm rate moves the thresholds, as a factor
 * of ln(ARL): a store sampled every dt seconds gives N = a year / dt samples
 * a year, and an expected `false_alerts_year` alerts means an average run
 * length of N / rate samples between false alarms.  CUSUM's threshold grows
 * with ln(ARL) (Siegmund: ARL ~ exp(2 k h / var)), a one-sample z-threshold
 * with its square root.  The built-in multiples (noise_multiple, and 10 for
 * the slow CUSUM) were calibrated by the evaluation at 0.1 a year, so the
 * factor is ln(N / rate) / ln(N / 0.1): 1 at the default.
 */
static double fa_factor(const struct detect_params *p, double dt)
{
	double n = 365.0 * DETECT__DAY / (dt > 1 ? dt : 1), rate = p->false_alerts_year;

	if (!(rate > 0))
		rate = 0.1;
	if (n <= 0.1 || n <= rate)
		return 1;
	return log(n / rate) / log(n / 0.1);
}

/*
 * How many of the store's usual intervals a sample of length dt covers (1 for
 * a sample on time or early).  The churn's mean and spread are learned per
 * interval; a sample after a gap carries the churn of every interval it
 * covers: on a store of few files, temp files of a few objects each, born
 * and gone across a 100-minute gap, add up to more than the drop threshold,
 * and the residual is no loss.  The mean grows with the span, the spread
 * with its square root (independent intervals).
 *
 * Up to two hours' worth of intervals only: churn that vanishes across a
 * gap is what stood at the scan before it (a file born and gone inside the
 * gap never shows in the totals), and a file that stood for more than two
 * hours is no temp file (the settle age of exact.c).  Without the bound a
 * week without a complete scan would tolerate a week of churn at once: a
 * loss of that size during the gap would raise nothing.
 */
#define SPAN_MAX_SECONDS 7200.0

static double sample_span(const struct detect_state *st, const struct detect_params *p, double dt)
{
	uint32_t iv = detect_interval(st, p);
	double span, most;

	if (!iv || dt <= iv)
		return 1;
	span = dt / iv;
	most = SPAN_MAX_SECONDS / iv > 1 ? SPAN_MAX_SECONDS / iv : 1;
	return span < most ? span : most;
}

int detect_update(struct detect_state *st, const struct detect_params *p,
		  const struct detect_input *in, struct detect_event *ev)
{
	return detect_update_figures(st, p, in, ev, NULL);
}

/* Fills fig for a judged sample: r removal, u what reached the alarms before
 * declared deletions took got. */
static void figures(struct detect_figures *fig, const struct detect_state *st, bool inw,
		    const double r[2], const double u[2], const double got[2])
{
	if (!fig)
		return;
	fig->judged = true;
	fig->in_purge = inw;
	for (int i = 0; i < 2; i++) {
		fig->removed[i] = r[i];
		fig->purge_allow[i] = inw ? st->m[i].purge_allow : 0;
		fig->purge_done[i] = inw ? st->m[i].purge_cur : 0;
		fig->declared[i] = got[i];
		fig->unexplained[i] = u[i] - got[i];
	}
}

int detect_update_figures(struct detect_state *st, const struct detect_params *p,
			  const struct detect_input *in, struct detect_event *ev,
			  struct detect_figures *fig)
{
	double cur[2] = { in->bytes, in->objects }, r[2], xl[2], ingest[2];
	double u[2], want[2], got[2], kf[2], thr[2], hs[2], dt, rel[2], fa, zmult, young[2],
		ygot[2], span, mean[2], ky[2], churn[2], ivs;
	double floors[2] = { p->drop_bytes, p->drop_objects };
	bool learn, inw, was_in, was_known, leak_on, was_zero, whole_files, pl[2], early, aged;
	struct detect_event *e;
	int64_t pday;
	int n = 0, i;

	if (fig)
		memset(fig, 0, sizeof *fig);
	if (st->nsamples && in->time <= st->last_time)
		return 0;
	if (st->ep_episode[DETECT_SILENCE]) {
		double z[2] = { 0, 0 }, tot[2] = { st->m[0].last, st->m[1].last };

		e = transition(st, ev, &n, DETECT_SILENCE, DETECT_RESOLVED, in->time,
			       st->last_time + detect_interval(st, p));
		e->resolution = DETECT_RES_SAMPLE;
		describe(e, z, tot, tot);
	}
	if (st->nsamples)
		push_spacing(st, in->time - st->last_time);
	else
		st->first_time = in->time;
	st->last_time = in->time;
	st->nsamples++;

	if (in->status == SW_SCAN_MISSING) {
		if (!st->ep_episode[DETECT_VANISHED] && st->has_prev) {
			double lost[2] = { st->m[0].last, st->m[1].last }, z[2] = { 0, 0 };

			st->m[0].vanish_ref = st->m[0].last;
			st->m[1].vanish_ref = st->m[1].last;
			st->vanish_since = in->time;
			e = fire(st, ev, &n, DETECT_VANISHED, in->time, in->time);
			describe(e, lost, lost, z);
			snprintf(e->summary, sizeof e->summary,
				 "vanished: the store's path is missing (had %.0f bytes, %.0f objects)",
				 lost[0], lost[1]);
		}
		return n;
	}
	if (in->status != SW_SCAN_COMPLETE || !isfinite(cur[0]) || !isfinite(cur[1]))
		return n; /* totals unknown: never a loss */
	if (!st->has_prev) {
		st->m[0].last = cur[0];
		st->m[1].last = cur[1];
		st->mount_id = in->mount_id;
		st->has_prev = 1;
		st->last_complete = in->time;
		st->base_since = in->time;
		detect__purge_begin(st, p, in->time, true, false);
		return n;
	}
	switch (check_vanished(st, p, in, cur, ev, &n)) {
	case VANISH_HOLD:
		return n;
	case VANISH_TAKEN:
		goto rebase;
	default:
		break;
	}

	/* a night with a declared deletion under way is no normal purge to
	 * learn from: what it removed would widen every later allowance */
	learn = !alarmed(st) && !detect__explain_active(st, in->time);
	for (i = 0; i < 2; i++) {
		double added = in->has_added ? (i ? in->added_objects : in->added_bytes) : 0;

		r[i] = st->m[i].last + added - cur[i];
		ingest[i] = in->has_added ? added : (cur[i] > st->m[i].last ? cur[i] - st->m[i].last : 0);
		xl[i] = in->has_added ? r[i] : (r[i] > 0 ? r[i] : 0);
	}
	/* exact accounting: young removal leaves the statistical residual */
	early = detect__exact_take(st, p, in, r, xl, young, ygot, &aged);
	was_in = st->in_purge;
	was_known = detect__purge_hour_known(st, p);
	/* "still deleting" is a rate (0.02% of the store an hour), not a
	 * per-sample amount: a three-hour purge seen every minute removes less
	 * per sample than any fixed fraction that a sample every 15 min needs */
	dt = (double)(in->time - st->last_complete);
	pday = st->purge_day;
	inw = detect__purge_begin(st, p, in->time, learn,
				  r[0] > 2e-4 * st->m[0].last * dt / 3600 ||
					  r[1] > 2e-4 * st->m[1].last * dt / 3600);
	if (inw && (!was_in || st->purge_day != pday))
		detect__feedback_window(st, in->time); /* a window opened */
	detect__exact_learn(st, in, inw);
	if (!was_known && detect__purge_hour_known(st, p)) {
		/* until the purge hour was known every sample was learned, purges
		 * included: their removal is no baseline.  The slow CUSUM subtracts
		 * the baseline, so a purge-sized one would hide every leak for the
		 * two weeks it takes to forget it: start it again from zero. */
		st->m[0].base = st->m[1].base = 0;
		/* the spread too: the warm-up's purges inflated it fifty-fold,
		 * and with a two-week memory it kept the slow CUSUM's threshold
		 * (var / k) that much too high for weeks -- leaks of 0.05% a
		 * day went unseen.  The running mean restarts at the next
		 * sample learned from (the window that opens now is not), that
		 * sample taken whole */
		st->m[0].var = st->m[1].var = 0;
		st->base_since = BASE_RESTART;
	}
	if (was_in && !inw && st->open_kind == NO_EPISODE) {
		/* what stayed below the overpurge threshold was the purge's own
		 * tolerance: it must not count against the tighter drop threshold */
		for (i = 0; i < 2; i++) {
			st->m[i].fast = st->m[i].fast_sum = 0;
			st->pending[i] = 0;
		}
		st->pending_purge = 0;
	}
	detect__purge_account(st, in->time, ingest, r);
	fa = fa_factor(p, dt);
	/* the interval the learned spread is per (this sample's dt while
	 * none is known) */
	ivs = detect_interval(st, p) ? (double)detect_interval(st, p) : (dt > 0 ? dt : 1);
	zmult = p->noise_mult * sqrt(fa);
	span = sample_span(st, p, dt);
	/* a purge deletes whole files: both metrics fall, in proportion */
	rel[0] = st->m[0].last > 0 ? r[0] / st->m[0].last : 0;
	rel[1] = st->m[1].last > 0 ? r[1] / st->m[1].last : 0;
	whole_files = rel[0] > 0 && rel[1] > 0 && rel[0] >= p->flat_ratio * rel[1] &&
		      rel[1] >= p->flat_ratio * rel[0];

	for (i = 0; i < 2; i++) {
		struct detect_metric *m = &st->m[i];
		/* the churn of every interval this sample covers */
		double sd = sqrt(m->var * span), h = p->drop_rel * m->last;

		mean[i] = m->base > 0 ? m->base * span : 0;
		if (h < floors[i])
			h = floors[i];
		if (h < zmult * sd)
			h = zmult * sd;
		churn[i] = mean[i] + 3 * sd;
		kf[i] = churn[i];
		if (kf[i] < h / 100)
			kf[i] = h / 100;
		ky[i] = kf[i];
		/* objects come whole: a spread learned below one object a
		 * sample (a few samples since the baseline restarted, none
		 * with a temp file) tolerates no temp file at all (the slow
		 * CUSUM's clamp, ky, stays the learned one) */
		if (i == 1 && kf[i] < 1)
			kf[i] = 1;
		/* an acknowledged loss raises the alarm, not the churn tolerance */
		h = detect__feedback_floor(st, i, in->time, h);
		/* a purge deletes whole files: a metric that falls while the
		 * other does not (bytes truncated in place, objects emptied) is
		 * no purge, whatever the hour (with added_* only: without them
		 * concurrent ingest can hide the other metric's removal) */
		pl[i] = inw && (!in->has_added || r[i] <= 0 || r[1 - i] > 0 || r[i] <= kf[i]);
		if (pl[i]) {
			/* the churn's mean is no purge: it must not eat the
			 * allowance (or, while warming up, exceed it) */
			u[i] = detect__purge_excess(m, r[i] - mean[i]);
			thr[i] = p->overpurge_rel * m->last;
			if (thr[i] < floors[i])
				thr[i] = floors[i];
			if (thr[i] < zmult * sd)
				thr[i] = zmult * sd;
			want[i] = u[i] > 0 ? u[i] : 0;
		} else {
			u[i] = r[i] - (whole_files ? detect__purge_late(st, p, m, in->time,
									r[i] - kf[i], aged)
						   : 0);
			thr[i] = h;
			/* the whole residual: what a declared deletion explains must
			 * not leave the churn tolerance of every sample in its
			 * window to the slow CUSUM (a leak alert hours into a
			 * declared deletion) */
			want[i] = u[i] > 0 ? u[i] : 0;
		}
	}
	detect__exact_spare(in, thr, want);
	detect__explain_consume(st, in->time, want, got);
	figures(fig, st, inw, r, u, got);
	detect__exact_figures(fig, young, ygot);

	was_zero = st->m[0].fast <= 0 && st->m[1].fast <= 0;
	/* the slow CUSUM rests while a loss episode owns the losses, and for
	 * a day after the baseline it subtracts (re)started: its threshold
	 * comes from a spread of a few samples then (0 with sparse churn) */
	leak_on = !inw && st->base_since != BASE_RESTART &&
		  in->time - st->base_since >= DETECT__DAY && st->nsamples > 100 &&
		  st->open_kind == NO_EPISODE;
	for (i = 0; i < 2; i++) {
		struct detect_metric *m = &st->m[i];
		double v = u[i] - got[i] - (pl[i] ? 0 : kf[i]), ks, x;
		double y = xl[i] - got[i], yv = y;

		if (yv > thr[i] / 4)
			yv = thr[i] / 4;
		if (yv < -thr[i] / 4)
			yv = -thr[i] / 4;
		if (y > ky[i])
			y = ky[i];
		if (y < -ky[i])
			y = -ky[i];

		if (m->fast <= 0 && v > 0) {
			m->fast_sum = 0;
			m->fast_start = m->last;
		}
		m->fast = m->fast + v > 0 ? m->fast + v : 0;
		if (m->fast > 0)
			m->fast_sum += u[i] - got[i];
		else
			m->fast_sum = 0;
		if (pl[i] && m->fast >= thr[i])
			st->pending_purge = 1;

		ks = p->leak_rate / 2 * m->last * dt / DETECT__DAY;
		hs[i] = p->leak_h * m->last;
		if (ks > 0) {
			/* the baseline's own error eats into the drift: size the
			 * threshold for the drift that is left (CUSUM false-alarm
			 * rate ~ exp(-2 k h / var)).  var is a sample interval's,
			 * so the drift is too: sized with this sample's dt, a
			 * sample after a gap (a partial scan, a missed sample)
			 * dropped the threshold to its floor under a statistic
			 * built up against one forty times higher (a leak alert
			 * from temp-file churn) */
			double kn = ks * ivs / (dt > 0 ? dt : 1);
			double neff = 14.0 * DETECT__DAY / ivs, keff;

			if ((double)st->nsamples < neff)
				neff = (double)st->nsamples;
			keff = kn - 2 * sqrt(m->var / (neff > 1 ? neff : 1));
			if (keff < kn / 4)
				keff = kn / 4;
			if (hs[i] < 10 * fa * m->var / (2 * keff))
				hs[i] = 10 * fa * m->var / (2 * keff);
		}
		if (hs[i] < floors[i])
			hs[i] = floors[i];
		if (leak_on) {
			x = y - m->base * span;
			if (m->slow <= 0 && x - ks > 0 && !st->ep_episode[DETECT_LEAK]) {
				m->leak_sum = 0;
				if (st->m[0].slow <= 0 && st->m[1].slow <= 0)
					st->leak_since = in->time;
			}
			m->slow = m->slow + x - ks > 0 ? m->slow + x - ks : 0;
			if (m->slow > 0 || st->ep_episode[DETECT_LEAK])
				m->leak_sum += x;
			else
				m->leak_sum = 0;
		}
		if (learn && (!inw || (st->in_purge && !detect__purge_hour_known(st, p))) &&
		    m->fast < thr[i] / 2 && m->slow < hs[i] / 2) {
			if (st->base_since == BASE_RESTART)
				st->base_since = in->time - (int64_t)dt;
			learn_noise(m, y / span, m->base + (yv - m->base * span) / sqrt(span), dt,
				    (double)(in->time - st->base_since));
		}
	}
	if (was_zero && (st->m[0].fast > 0 || st->m[1].fast > 0))
		st->fast_since = in->time;

	for (i = 0; i < 2; i++)
		u[i] -= got[i] - young[i];
	if (early && st->open_kind == NO_EPISODE) {
		/* young removal is never a purge: no confirmation, no threshold;
		 * inside a known purge window it is the purge that went too far
		 * (the warm-up's window is a guess: a drop there) */
		bool purging = inw && detect__purge_hour_known(st, p);

		e = open_episode(st, ev, &n, detect__exact_kind(p, in, cur, purging), in->time,
				 st->pending[0] || st->pending[1] ? st->fast_since : in->time,
				 young, cur);
		detect__exact_describe(e, in, young, purging);
	} else {
		loss_episode(st, p, in->time, u, kf, churn, thr, cur, ev, &n);
	}
	/* the window's night is not learned, whenever the alarm resolves */
	if (inw && (alarmed(st) || st->pending_purge))
		st->window_alarm = 1;
	if (leak_on)
		leak_check(st, p, in->time, hs, cur, ev, &n);
rebase:
	st->m[0].last = cur[0];
	st->m[1].last = cur[1];
	if (in->mount_id)
		st->mount_id = in->mount_id;
	st->last_complete = in->time;
	return n;
}

_Static_assert(sizeof(struct detect_state) <= 2048, "detector state must stay within 2 KB");
