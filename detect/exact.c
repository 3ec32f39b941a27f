/*
 * exact.c - exact accounting: what the agent's manifest says went.
 *
 * An agent speaking protocol version 3 keeps a manifest of every file of a
 * store and sends, with SW_SAMPLE_EXACT, how many files (and bytes) left
 * since its previous sample, and how many of them were younger than the
 * store's retention (SW_SAMPLE_YOUNG_SPLIT).  A retention purge only ever
 * deletes items at or over retention age, so the young part is never a
 * purge: what no declared deletion covers is unexplained loss at once,
 * whatever the hour, inside a purge window (an overpurge: the purge deleted
 * what it must keep) and before the detector has learned anything (no
 * warm-up blindness).  One exception: an item younger than the settle age
 * (two hours, six sample intervals at least) may be an aborted upload.  An
 * agent that splits its removal at its own settle age (the fresh split)
 * says how much of it was that young: that part goes to the statistical
 * model and the settled young part fires as above.  Without the split,
 * removal that includes such an item is judged whole by the statistical
 * model, as totals are.  The rest of the residual (old removal, in-place
 * shrink, churn) goes on through the statistical model of detect.c and
 * purge.c unchanged, and a store whose agent sends totals only never comes
 * here.
 *
 * Without a configured retention, the retention is learned from the
 * youngest item each night's purge removed (removed_min_age of the samples
 * inside the purge window, or removed_min_settled_age with the fresh split,
 * so temp files deleted inside the window cannot pull it down): the second
 * smallest of the last seven nights,
 * once three nights were seen, rounded down to whole days (whole minutes
 * below a day) -- one night with a manual deletion inside the window cannot
 * pull it down, and rounding down only makes fewer items young.
 *
 * This file sits beside purge.c and allowance.c under detect.c: detect.c
 * calls it, it calls allowance.c, and nothing here calls back up.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect_int.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/banned.h"

#define NIGHTS (sizeof(((struct detect_exact_state *)0)->nights) / sizeof(uint32_t))
#define NIGHTS_NEEDED 3
#define NO_NIGHT INT64_MIN
#define SETTLE_MIN 7200u

void detect__exact_init(struct detect_state *st)
{
	memset(&st->x, 0, sizeof st->x);
	st->x.night_min = UINT64_MAX;
	st->x.night_day = NO_NIGHT;
}

int detect_state_restore(struct detect_state *st, uint32_t version, const void *blob,
			 size_t len)
{
	detect_state_init(st);
	if (!blob)
		return -EPROTO;
	if (version == DETECT_STATE_VERSION && len == sizeof *st) {
		memcpy(st, blob, sizeof *st);
		return 0;
	}
	/* version 3 is this struct without today's hour profile: the
	 * first day after the upgrade casts no purge-hour vote */
	if (version == 3 && len == offsetof(struct detect_state, day_hours)) {
		memcpy(st, blob, len);
		st->version = DETECT_STATE_VERSION;
		st->purge_rm_time = 0;
		st->late_ok = 0;
		return 0;
	}
	/* version 2 is this struct without its feedback tail */
	if (version == 2 && len == offsetof(struct detect_state, fb)) {
		memcpy(st, blob, len);
		st->version = DETECT_STATE_VERSION;
		return 0;
	}
	/* version 1 is this struct without its exact-accounting tail */
	if (version == 1 && len == offsetof(struct detect_state, x)) {
		memcpy(st, blob, len);
		st->version = DETECT_STATE_VERSION;
		detect__exact_init(st);
		return 0;
	}
	return -EPROTO;
}

uint64_t detect_retention(const struct detect_state *st, const struct detect_params *p,
			  bool *learned)
{
	if (learned)
		*learned = !p->retention_s && st->x.learned;
	return p->retention_s ? p->retention_s : st->x.learned;
}

void detect__exact_input(struct detect_input *in, const struct sw_sample *s)
{
	in->exact = (s->flags & SW_SAMPLE_EXACT) != 0;
	if (!in->exact)
		return;
	in->young_split = (s->flags & SW_SAMPLE_YOUNG_SPLIT) && s->retention;
	in->removed[0] = (double)s->removed_bytes;
	in->removed[1] = (double)s->removed_objects;
	if (in->young_split) {
		in->removed_young[0] = (double)s->removed_young_bytes;
		in->removed_young[1] = (double)s->removed_young_objects;
	}
	in->removed_min_age = s->removed_min_age;
	in->retention = s->retention;
	in->fresh_split = (s->flags & SW_SAMPLE_FRESH_SPLIT) && s->fresh_age;
	if (in->fresh_split) {
		in->fresh_age = s->fresh_age;
		in->removed_fresh[0] = (double)s->removed_fresh_bytes;
		in->removed_fresh[1] = (double)s->removed_fresh_objects;
		in->removed_min_settled_age = s->removed_min_settled_age;
	}
}

/* The age below which an item may still be an upload in flight: two hours
 * and at least six sample intervals, but never more than an eighth of the
 * retention, configured or learned (an item cannot be "just uploaded" for a
 * good part of the time it is kept: with the minutes of retention tests
 * use, seconds). */
static uint64_t settle_age(const struct detect_state *st, const struct detect_params *p)
{
	/* a learned retention too: it comes from the youngest settled item
	 * the purges removed (removed_min_settled_age), which temp files
	 * deleted inside the window cannot pull down.  Learned from
	 * removed_min_age instead, it fell to minutes on the wide traces and
	 * the cap then alerted on every upload (43 false alerts) */
	uint64_t s = 6ull * detect_interval(st, p), r = detect_retention(st, p, NULL);

	if (s < SETTLE_MIN)
		s = SETTLE_MIN;
	if (r && s > r / 8)
		s = r / 8;
	return s;
}

/* Whether the agent's fresh split separates what may be in flight from
 * what has settled by the detector's own settle age: when the agent's
 * boundary is at least ours (every item it calls settled is), or, with a
 * longer settle age of ours (long intervals), when nothing it calls
 * settled is younger than ours. */
static bool fresh_split_fits(const struct detect_input *in, uint64_t settle)
{
	return in->fresh_split &&
	       (in->fresh_age >= settle || in->removed_min_settled_age >= settle);
}

bool detect__exact_take(struct detect_state *st, const struct detect_params *p,
			const struct detect_input *in, double r[2], double xl[2], double young[2],
			double got[2], bool *aged)
{
	double y[2], pe[2], f[2] = { 0, 0 };
	uint64_t settle;
	int i;

	young[0] = young[1] = got[0] = got[1] = 0;
	*aged = false;
	if (!in->exact || in->status != SW_SCAN_COMPLETE)
		return false;
	st->x.seen = 1;
	if (!in->young_split)
		return false;
	/* a file deleted minutes after it appeared is most often an upload
	 * that was aborted or replaced (a partial file its uploader removes):
	 * young by age, yet never evidence.  An agent that splits the
	 * removal at its settle age (SW_SAMPLE_FRESH_SPLIT) says which part
	 * that is: the fresh part goes to the statistical model (its churn
	 * tolerance covers uploads, its thresholds real loss), the settled
	 * young part is judged here whatever fresh removal came with it -- a
	 * case folder deleted together with a fresh decoy file fires at
	 * once.  Without the split, or with one at a boundary below ours that
	 * does not separate the two, removal that includes an unsettled item
	 * is judged whole by the statistical model, as totals are (a bound on
	 * the count here instead brought back a false alert per temp-file
	 * burst: 167 per store-month on the wide traces). */
	settle = settle_age(st, p);
	if (fresh_split_fits(in, settle)) {
		for (i = 0; i < 2; i++)
			f[i] = in->removed_fresh[i] > 0 ? in->removed_fresh[i] : 0;
	} else if (in->removed_min_age < settle) {
		return false;
	}
	*aged = true;
	for (i = 0; i < 2; i++) {
		y[i] = in->removed_young[i] > f[i] ? in->removed_young[i] - f[i] : 0;
		/* what the statistical model still judges: the rest, fresh
		 * removal included */
		r[i] -= y[i];
		xl[i] -= y[i];
	}
	/* path-scoped declarations explain their items exactly (the
	 * collector counted them in the agent's journal); what is left,
	 * declared allowances cover first: an operator's declaration is
	 * exactly for deleting what retention would keep */
	for (i = 0; i < 2; i++) {
		pe[i] = in->explained_young[i] > 0 ? in->explained_young[i] : 0;
		if (pe[i] > y[i])
			pe[i] = y[i];
		y[i] -= pe[i];
	}
	detect__explain_consume(st, in->time, y, got);
	for (i = 0; i < 2; i++) {
		young[i] = y[i] - got[i] > 0 ? y[i] - got[i] : 0;
		got[i] += pe[i];
	}
	if (young[1] >= 0.5)
		st->x.young_objects += (uint64_t)(young[1] + 0.5);
	return young[0] >= 1 || young[1] >= 0.5;
}

unsigned detect__exact_kind(const struct detect_params *p, const struct detect_input *in,
			    const double cur[2], bool purging)
{
	double rel[2], y;

	/* the items as removed (before declarations took their share), the
	 * fresh part aside when the agent split it off */
	for (int i = 0; i < 2; i++) {
		y = in->removed_young[i] - (in->fresh_split ? in->removed_fresh[i] : 0);
		y = y > 0 ? y : 0;
		rel[i] = cur[i] + y > 0 ? y / (cur[i] + y) : 0;
	}
	/* items of next to no bytes (sidecars, thumbnails, index files): the
	 * objects went, the bytes stayed -- object loss even inside the purge
	 * window, as classify() in detect.c says of a statistical loss (a
	 * purge deletes whole files) */
	if (rel[1] > 0 && rel[0] < p->flat_ratio * rel[1])
		return DETECT_OBJECT_LOSS;
	return purging ? DETECT_OVERPURGE : DETECT_DROP;
}

void detect__exact_spare(const struct detect_input *in, const double thr[2], double want[2])
{
	double f;

	if (!in->exact || !in->fresh_split || in->status != SW_SCAN_COMPLETE)
		return;
	for (int i = 0; i < 2; i++) {
		f = in->removed_fresh[i] > 0 ? in->removed_fresh[i] : 0;
		if (f >= thr[i])
			continue;
		want[i] -= f;
		if (want[i] < 0)
			want[i] = 0;
	}
}

/* The second smallest of the nights kept (the smallest with fewer than
 * three), rounded down. */
static uint32_t learn_from_nights(const struct detect_exact_state *x)
{
	uint32_t v[NIGHTS], t, r;
	unsigned n = x->nnights < NIGHTS ? x->nnights : NIGHTS, i, j;

	if (n < NIGHTS_NEEDED)
		return 0;
	memcpy(v, x->nights, sizeof v);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	r = v[1];
	return r >= DETECT__DAY ? r - r % DETECT__DAY : r - r % 60;
}

void detect__exact_learn(struct detect_state *st, const struct detect_input *in, bool inw)
{
	struct detect_exact_state *x = &st->x;
	uint64_t min_age;
	double young;

	if (!in->exact || in->status != SW_SCAN_COMPLETE)
		return;
	if (x->night_day != NO_NIGHT && (!inw || x->night_day != st->day_index)) {
		/* the night's window closed: keep its youngest purged age */
		if (x->night_min != UINT64_MAX) {
			uint64_t v = x->night_min > UINT32_MAX ? UINT32_MAX : x->night_min;

			x->nights[x->nnights % NIGHTS] = (uint32_t)v;
			/* past the ring's size only the position matters */
			x->nnights = (uint8_t)(x->nnights + 1u >= 2 * NIGHTS ? NIGHTS
									    : x->nnights + 1u);
			x->learned = learn_from_nights(x);
		}
		x->night_day = NO_NIGHT;
		x->night_min = UINT64_MAX;
	}
	/* a sample with young removal was no purge: it tells nothing of it.
	 * With the fresh split, the fresh part (temp files, aborted uploads
	 * deleted inside the window) is neither: the youngest settled age is
	 * what the purge reached, and a sample that removed fresh items only
	 * tells nothing */
	if (!inw || in->removed[1] < 0.5)
		return;
	if (in->fresh_split) {
		min_age = in->removed_min_settled_age;
		young = in->removed_young[1] - in->removed_fresh[1];
	} else {
		min_age = in->removed_min_age;
		young = in->removed_young[1];
	}
	if (min_age == UINT64_MAX || (in->young_split && young >= 0.5))
		return;
	x->night_day = st->day_index;
	if (min_age < x->night_min)
		x->night_min = min_age;
}

/* "2m", "36h", "31d": the largest unit that divides it. */
static void duration_format(uint64_t s, char *out, size_t len)
{
	if (s && s % DETECT__DAY == 0)
		snprintf(out, len, "%llud", (unsigned long long)(s / DETECT__DAY));
	else if (s && s % 3600 == 0)
		snprintf(out, len, "%lluh", (unsigned long long)(s / 3600));
	else if (s && s % 60 == 0)
		snprintf(out, len, "%llum", (unsigned long long)(s / 60));
	else
		snprintf(out, len, "%llus", (unsigned long long)s);
}

void detect__exact_describe(struct detect_event *e, const struct detect_input *in,
			    const double young[2], bool inw)
{
	char yb[BYTES_FMT_MAX], ret[32];

	bytes_format(young[0], yb, sizeof yb);
	duration_format(in->retention, ret, sizeof ret);
	if (inw)
		snprintf(e->summary, sizeof e->summary,
			 "%s %s: the purge window removed %.0f items (%s) younger than the "
			 "retention (%s) without a declared deletion: a purge must keep them",
			 detect_kind_name(e->kind), detect_state_name(e->state), young[1], yb, ret);
	else
		snprintf(e->summary, sizeof e->summary,
			 "%s %s: %.0f items (%s) younger than the retention (%s) removed "
			 "without a declared deletion (exact accounting)",
			 detect_kind_name(e->kind), detect_state_name(e->state), young[1], yb, ret);
}

void detect__exact_figures(struct detect_figures *fig, const double young[2],
			   const double got[2])
{
	if (!fig || !fig->judged)
		return;
	for (int i = 0; i < 2; i++) {
		fig->removed[i] += young[i] + got[i];
		fig->declared[i] += got[i];
		fig->unexplained[i] += young[i];
	}
}
