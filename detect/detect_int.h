/*
 * detect_int.h - internals shared by the detector's source files
 * (the .c files of detect/).  Not an API: the collector and shrinkwatchctl use
 * include/shrinkwatch/detect.h only.
 */
#ifndef SHRINKWATCH_DETECT_INT_H
#define SHRINKWATCH_DETECT_INT_H

#include "shrinkwatch/detect.h"

#define DETECT__DAY 86400
/* open_kind when no loss episode is open. */
#define DETECT__NO_EPISODE 0xff

/* Daily ingest is kept log-coded in 16 bits (0.1% precision). */
uint16_t detect__code(double v);
double detect__decode(uint16_t c);

/*
 * Retention (purge.c).  detect__purge_begin() is called for every
 * complete sample before its residual is judged: it rolls the purge-cycle
 * day, opens or closes the purge window (learning from a closed one when
 * learn is true) and sets st->in_purge.  An open window stays open past its
 * end (up to 4 more hours) while `removing` says the purge is still
 * deleting.  Returns whether the sample lies in a purge window.
 */
bool detect__purge_begin(struct detect_state *st, const struct detect_params *p, int64_t t,
			 bool learn, bool removing);
/* Adds a sample's removal r[i] to the window, returns the part above the
 * allowance that this sample adds (>= 0 or negative when it shrinks). */
double detect__purge_excess(struct detect_metric *m, double r);
/*
 * Retention first, also after the window: once tonight's window closed with
 * less removed than half its allowance (a purge run in two parts, started
 * late or interrupted), a later removal r (above the churn tolerance) in the
 * four hours after the window is explained.  aged: the removal's young part
 * was taken out by exact accounting, so r is all items past retention --
 * what a purge deletes -- and it is explained up to tonight's due (the
 * learned share of the ingest R days before, with its tolerance).  Else a
 * drop after the purge is as likely (a masked drop in the morning's upload
 * peak), and it is explained only while the night stays under half its
 * allowance.  Returns the part of r explained (0 while the window is open
 * or was used up).
 */
double detect__purge_late(const struct detect_state *st, const struct detect_params *p,
			  struct detect_metric *m, int64_t t, double r, bool aged);
/* Books ingest for the current cycle day and the hour-of-day removal vote. */
void detect__purge_account(struct detect_state *st, int64_t t, const double ingest[2],
			   const double removal[2]);
/* Whether the purge hour is configured or learned. */
bool detect__purge_hour_known(const struct detect_state *st, const struct detect_params *p);
/* The retention lag in days in use (configured or learned), 0 if unknown. */
unsigned detect__retention(const struct detect_state *st, const struct detect_params *p);

/* Declared deletions (allowance.c): consumes up to want[i] of the
 * allowances active at t; returns the consumed amounts in got[i]. */
void detect__explain_consume(struct detect_state *st, int64_t t, const double want[2],
			     double got[2]);
/* Whether a declared deletion's window covers t (allowance.c). */
bool detect__explain_active(const struct detect_state *st, int64_t t);

/*
 * The one-line summary of an event whose figures (lost, expected and
 * observed) are filled in (format.c): pct and pco are the lost bytes and
 * objects in percent of the totals before.  It leads with what was lost
 * without explanation, in the measure the kind is about (objects for
 * object_loss), and writes times in ISO 8601 (UTC).
 */
void detect__summary(struct detect_event *e, double pct, double pco);

/*
 * Exact accounting (exact.c).  detect__exact_input() adds a version-3
 * sample's exact figures to in.  detect__exact_take(), for every complete
 * sample before its residual is judged: with young removal split against a
 * retention it takes that removal out of r[] and xl[] (the statistical
 * model judges the rest), lets declared deletions consume it first (got[])
 * and leaves in young[] what none covered; returns whether that is a loss
 * to fire on now; *aged says whether it took the young part out (what is
 * left is all past retention).  Removal that includes an item younger than
 * the settle age (an upload in flight) is left whole to the statistical
 * model.  detect__exact_learn() learns the retention from what the
 * purge window (inw) removed.  detect__exact_describe() writes the
 * summary of an event the young loss opened; detect__exact_figures() adds
 * the young removal to a judged sample's figures.
 */
struct sw_sample;
void detect__exact_init(struct detect_state *st);
void detect__exact_input(struct detect_input *in, const struct sw_sample *s);
bool detect__exact_take(struct detect_state *st, const struct detect_params *p,
			const struct detect_input *in, double r[2], double xl[2], double young[2],
			double got[2], bool *aged);
void detect__exact_learn(struct detect_state *st, const struct detect_input *in, bool inw);
/* Takes the fresh removal (the agent's fresh split) out of what declared
 * deletions may explain (want, bytes and objects) while it stays below the
 * sample's alarm threshold (thr): items younger than the settle age are
 * mostly uploads and temp files, churn for the statistical model to judge
 * -- else the temp files of a day-long declared window eat its object
 * allowance and the declared items that follow fire as unexplained.  Fresh
 * removal that reaches the threshold on its own is no churn: files copied
 * in and deleted under a declaration, which explains it. */
void detect__exact_spare(const struct detect_input *in, const double thr[2], double want[2]);
/* The kind of an episode young loss opens: object loss when the settled
 * young items removed carried next to no bytes (relative to the totals cur,
 * flat_ratio), else overpurge inside a known purge window (purging), else a
 * drop. */
unsigned detect__exact_kind(const struct detect_params *p, const struct detect_input *in,
			    const double cur[2], bool purging);
void detect__exact_describe(struct detect_event *e, const struct detect_input *in,
			    const double young[2], bool inw);
void detect__exact_figures(struct detect_figures *fig, const double young[2],
			   const double got[2]);

/*
 * Operator feedback (feedback.c).  detect__feedback_window() is called when
 * a purge window opens: it raises the window's allowance to what an
 * acknowledged night removed (weighted by its age).  detect__feedback_floor()
 * returns metric i's fast-alarm threshold h raised to an acknowledged
 * drop (weighted by its age).
 */
void detect__feedback_window(struct detect_state *st, int64_t t);
double detect__feedback_floor(const struct detect_state *st, int i, int64_t t, double h);

#endif
