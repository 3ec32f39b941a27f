/*
 * test_detect_exact.c - the detector with exact accounting (detect/exact.c).
 *
 * A store of 1 TB sampled every 60 s, with exact figures as a version-3
 * agent sends them: young removal (items younger than the retention) is
 * unexplained on the first sample that shows it, whatever the hour and
 * however new the store; old removal keeps the statistical model; declared
 * deletions cover young removal; the retention is learned from what the
 * nightly purge removed; a version-1 state is upgraded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "shrinkwatch/detect.h"
#include "shrinkwatch/sample.h"

#define T0 1735689600LL /* 2025-01-01 00:00 UTC */
#define IV 60
#define DAY 86400
#define RET (31 * DAY)
#define SETTLED DAY /* footage a day old: no upload in flight */

struct sim {
	struct detect_state st;
	struct detect_params p;
	int64_t t;
	double bytes, objects;
	int fired[DETECT_KIND_COUNT];
	int events;
	struct detect_event last;
	struct detect_figures fig;
	double path_explained; /* young objects the next step's journal answer explains */
	double each; /* bytes of each removed object */
};

static void sim_init(struct sim *s, bool configured)
{
	memset(s, 0, sizeof *s);
	detect_params_default(&s->p);
	s->p.purge_at = 2 * 3600;
	if (configured)
		s->p.retention_s = RET;
	detect_state_init(&s->st);
	s->t = T0;
	s->bytes = 1e12;
	s->objects = 1e5;
	s->each = 1e7;
}

/* Feeds one sample to the detector and counts its events. */
static int feed(struct sim *s, const struct detect_input *in)
{
	struct detect_event ev[DETECT_MAX_EVENTS];
	int n = detect_update_figures(&s->st, &s->p, in, ev, &s->fig);

	for (int i = 0; i < n; i++) {
		s->events++;
		if (ev[i].state == DETECT_FIRING)
			s->fired[ev[i].kind]++;
		s->last = ev[i];
	}
	return n;
}

/* One exact sample: `young` and `old` objects of 10 MB each went, with
 * the youngest removed item min_age old (0: none removed); split says
 * whether the agent knew the retention. */
static int step(struct sim *s, double young, double old, uint64_t min_age, bool split)
{
	struct detect_input in;
	double each = s->each;
	int n;

	s->t += IV;
	s->bytes -= (young + old) * each;
	s->objects -= young + old;
	memset(&in, 0, sizeof in);
	in.time = s->t;
	in.bytes = s->bytes;
	in.objects = s->objects;
	in.has_added = true;
	in.status = SW_SCAN_COMPLETE;
	in.exact = true;
	in.young_split = split;
	in.removed[0] = (young + old) * each;
	in.removed[1] = young + old;
	if (split) {
		in.removed_young[0] = young * each;
		in.removed_young[1] = young;
		in.retention = RET;
		in.explained_young[0] = s->path_explained * each;
		in.explained_young[1] = s->path_explained;
	}
	in.removed_min_age = young + old > 0 ? min_age : UINT64_MAX;
	n = feed(s, &in);
	return n;
}

/* An exact sample with the agent's fresh split (fresh_age seconds): young
 * settled and fresh objects of 10 MB each, `old` ones at or over the
 * retention; min_age the youngest removed, settled_age the youngest at or
 * over fresh_age (0: none).  split: the agent knew the retention. */
static int step_fresh(struct sim *s, double young, double fresh, double old, uint64_t min_age,
		      uint64_t settled_age, uint64_t fresh_age, bool split)
{
	struct detect_input in;
	double each = s->each, all = young + fresh + old;
	int n;

	s->t += IV;
	s->bytes -= all * each;
	s->objects -= all;
	memset(&in, 0, sizeof in);
	in.time = s->t;
	in.bytes = s->bytes;
	in.objects = s->objects;
	in.has_added = true;
	in.status = SW_SCAN_COMPLETE;
	in.exact = true;
	in.young_split = split;
	in.removed[0] = all * each;
	in.removed[1] = all;
	if (split) {
		in.removed_young[0] = (young + fresh) * each;
		in.removed_young[1] = young + fresh;
		in.retention = RET;
	}
	in.removed_min_age = all > 0 ? min_age : UINT64_MAX;
	in.fresh_split = true;
	in.fresh_age = fresh_age;
	in.removed_fresh[0] = fresh * each;
	in.removed_fresh[1] = fresh;
	in.removed_min_settled_age = settled_age ? settled_age : UINT64_MAX;
	n = feed(s, &in);
	return n;
}

static void run_quiet(struct sim *s, int samples)
{
	for (int i = 0; i < samples; i++)
		step(s, 0, 0, 0, true);
}

/* A single young file deleted in the first hour of a new store: fires at
 * once as a drop (the statistical detector would take up to 10% a day for
 * the purge until it is calibrated, and needs a second sample). */
static void test_young_fires_at_once_on_a_new_store(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	run_quiet(&s, 10);
	assert_false(detect_calibrated(&s.st, &s.p));
	assert_int_equal(step(&s, 1, 0, SETTLED, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
	assert_int_equal(s.last.state, DETECT_FIRING);
	assert_true(s.last.lost_objects > 0.9 && s.last.lost_objects < 1.1);
	assert_non_null(strstr(s.last.summary, "younger than the retention (31d)"));
	assert_true(s.fig.unexplained[1] > 0.9);
	/* removed = declared + unexplained + purge part, the figures' rule */
	assert_true(s.fig.removed[1] > 0.9 && s.fig.removed[1] < 1.1);
	/* the alert is open: more young loss updates it, never a second one */
	step(&s, 30, 0, SETTLED, true);
	assert_int_equal(s.fired[DETECT_DROP], 1);
}

/* Without a purge hour the detector warms up and takes purge-sized loss on
 * trust (its whole day is a "window"): young removal is still a drop at
 * once, and the learned figures never include it. */
static void test_young_in_warmup_is_drop(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	s.p.purge_at = -1;
	run_quiet(&s, 3);
	assert_int_equal(step(&s, 0, 50, RET + 60, true), 0); /* old: the guessed purge */
	assert_int_equal(step(&s, 2, 0, SETTLED, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
	assert_non_null(strstr(s.last.summary, "2 items"));
}

/* Inside the purge window, old removal is the purge's; young removal at
 * the same time is an overpurge on the same sample. */
static void test_young_in_purge_window_is_overpurge(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	while ((s.t - T0) % DAY != 2 * 3600 - IV)
		step(&s, 0, 0, 0, true);
	/* the purge: old items only, nothing fires */
	for (int i = 0; i < 10; i++)
		step(&s, 0, 20, RET + 600, true);
	assert_int_equal(s.events, 0);
	step(&s, 3, 20, 86400, true);
	assert_int_equal(s.fired[DETECT_OVERPURGE], 1);
	assert_int_equal(s.last.kind, DETECT_OVERPURGE);
	/* the alert is the young items: the purge's old ones (an excess over
	 * what a new store's allowance knows, below its own threshold) are
	 * not counted in it */
	assert_true(s.last.lost_objects > 2.9 && s.last.lost_objects < 3.1);
	assert_non_null(strstr(s.last.summary, "purge window removed 3 items"));
}

/* A new store's first purge night: its allowance knows nothing yet, so the
 * old items' removal is an excess gathering below the overpurge threshold;
 * the alert young removal opens counts the young items only. */
static void test_overpurge_counts_young_only(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	s.p.purge_at = 0; /* the first samples lie in the window */
	s.objects = 20;   /* small: the warm-up cap (10%) allows 2 items */
	s.bytes = 20 * 1e7;
	run_quiet(&s, 2);
	assert_int_equal(step(&s, 3, 5, SETTLED, true), 1);
	assert_int_equal(s.last.kind, DETECT_OVERPURGE);
	assert_true(s.last.lost_objects > 2.9 && s.last.lost_objects < 3.1);
}

/* A declared deletion covers young removal, item for item in its
 * allowance; what exceeds it fires. */
static void test_declared_deletion_covers_young(void **unused)
{
	struct detect_explain e = { .id = 7, .start = T0, .end = T0 + DAY,
				    .allow_bytes = -1, .allow_objects = 5 };
	struct detect_event ev;
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	run_quiet(&s, 5);
	assert_int_equal(detect_explain_add(&s.st, &e, &ev), 0);
	assert_int_equal(step(&s, 5, 0, SETTLED, true), 0);
	assert_true(s.fig.declared[1] > 4.9);
	assert_int_equal(step(&s, 2, 0, SETTLED, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
	assert_true(s.last.lost_objects > 1.9 && s.last.lost_objects < 2.1);
}

/* A path-scoped declaration allows no bytes: the detector takes what the
 * agent's journal listed under the prefix (explained_young, counted by the
 * collector) and nothing more.  Items outside the prefix in the same sample
 * fire, exactly as many as there were; an answer claiming more than was
 * removed explains no more than the young removal. */
static void test_path_declaration_explains_items(void **unused)
{
	struct detect_explain e = { .id = 9, .start = T0, .end = T0 + DAY,
				    .allow_bytes = 0, .allow_objects = 0 };
	struct detect_event ev;
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	run_quiet(&s, 5);
	assert_int_equal(detect_explain_add(&s.st, &e, &ev), 0);
	s.path_explained = 5;
	assert_int_equal(step(&s, 5, 0, DAY, true), 0);
	assert_true(s.fig.declared[1] > 4.9 && s.fig.declared[1] < 5.1);
	assert_true(s.fig.unexplained[1] < 0.1);
	s.path_explained = 50;
	assert_int_equal(step(&s, 2, 0, DAY, true), 0);
	assert_true(s.fig.declared[1] > 1.9 && s.fig.declared[1] < 2.1);
	s.path_explained = 3;
	assert_int_equal(step(&s, 5, 0, DAY, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
	assert_true(s.last.lost_objects > 1.9 && s.last.lost_objects < 2.1);
	/* without an answer (0), the whole young removal is lost */
	s.path_explained = 0;
	step(&s, 4, 0, DAY, true);
	assert_true(s.fig.unexplained[1] > 3.9 && s.fig.unexplained[1] < 4.1);
	assert_true(s.fig.declared[1] < 0.1);
	assert_int_equal(s.fired[DETECT_DROP], 1);
}

/* A file removed minutes after it appeared may be an aborted upload: young
 * removal that includes one is judged by the statistical model (a few
 * items: quiet), while the same removal of footage that had settled (three
 * hours old) fires at once.  Before the settle age, every partial upload a
 * camera dock abandoned paged the operator. */
static void test_unsettled_removal_is_statistical(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	run_quiet(&s, 10);
	assert_int_equal(step(&s, 3, 0, 600, true), 0);
	assert_int_equal(step(&s, 3, 0, 7199, true), 0);
	assert_int_equal(s.events, 0);
	assert_int_equal(step(&s, 3, 0, 3 * 3600, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
}

/* An insider deletes a case folder of 30 items days old together with one
 * fresh decoy file: with the agent's fresh split the 30 settled items fire
 * at once (before the split the decoy carried the whole removal to the
 * statistical model, which took it quietly); the decoy alone, or temp
 * files alone, stay with the statistical model. */
static void test_decoy_with_case_folder_fires(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	run_quiet(&s, 10);
	assert_int_equal(step_fresh(&s, 0, 3, 0, 300, 0, 7200, true), 0);
	assert_int_equal(s.events, 0);
	assert_int_equal(step_fresh(&s, 30, 1, 0, 300, 3 * DAY, 7200, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
	assert_int_equal(s.last.state, DETECT_FIRING);
	assert_true(s.last.lost_objects > 29.9 && s.last.lost_objects < 30.1);
	assert_true(s.fig.unexplained[1] > 29.9);
}

/* Young items of next to no bytes (sidecars, 4 KB each, where the store's
 * files average 10 MB): the objects went and the bytes stayed, an object
 * loss -- inside the purge window too, since a purge deletes whole files.
 * Before, every young loss opened a drop (or an overpurge in the window). */
static void test_young_sidecars_are_object_loss(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	s.each = 4096;
	run_quiet(&s, 10);
	assert_int_equal(step(&s, 12, 0, SETTLED, true), 1);
	assert_int_equal(s.last.kind, DETECT_OBJECT_LOSS);
	sim_init(&s, true);
	s.each = 4096;
	while ((s.t - T0) % DAY != 2 * 3600 + 5 * IV)
		run_quiet(&s, 1);
	assert_int_equal(step(&s, 12, 0, SETTLED, true), 1);
	assert_int_equal(s.last.kind, DETECT_OBJECT_LOSS);
}

/* Temp files deleted inside a declared window are churn, not the evidence
 * the declaration is for: they must not eat its object allowance, or the
 * declared case items that follow fire as unexplained.  Before, the fresh
 * part went through the statistical residual into the allowance. */
static void test_fresh_removal_spares_the_declaration(void **unused)
{
	struct detect_explain e = { .id = 9, .start = T0, .end = T0 + DAY,
				    .allow_bytes = -1, .allow_objects = 5 };
	struct detect_event ev;
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	run_quiet(&s, 5);
	assert_int_equal(detect_explain_add(&s.st, &e, &ev), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(step_fresh(&s, 0, 2, 0, 300, 0, 7200, true), 0);
		run_quiet(&s, 2);
	}
	assert_int_equal(step_fresh(&s, 5, 0, 0, SETTLED, SETTLED, 7200, true), 0);
	assert_int_equal(s.events, 0);
	assert_true(s.fig.declared[1] > 4.9);
	/* what exceeds the allowance still fires */
	assert_int_equal(step_fresh(&s, 1, 0, 0, SETTLED, SETTLED, 7200, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
}

/* Files copied in and deleted within minutes under a declaration (an
 * operator clearing a staging copy, test_alerts.sh): fresh, yet a removal
 * that reaches the alarm threshold on its own is no churn, and the
 * declaration explains it. */
static void test_declared_fresh_burst_is_explained(void **unused)
{
	struct detect_explain e = { .id = 3, .start = T0, .end = T0 + DAY,
				    .allow_bytes = -1, .allow_objects = 1000 };
	struct detect_event ev;
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	run_quiet(&s, 5);
	assert_int_equal(detect_explain_add(&s.st, &e, &ev), 0);
	assert_int_equal(step_fresh(&s, 0, 600, 0, 60, 0, 7200, true), 0);
	run_quiet(&s, 3);
	assert_int_equal(s.events, 0);
}

/* An agent whose boundary is below the detector's settle age (a long
 * sample interval makes ours six intervals): its split is used only when
 * nothing it calls settled is younger than our settle age; else the
 * removal is judged whole by the statistical model, as without a split. */
static void test_fresh_split_below_settle_age(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	run_quiet(&s, 10);
	/* settle age 7200 s; the agent split at 600 s, settled from 1200 s */
	assert_int_equal(step_fresh(&s, 30, 1, 0, 300, 1200, 600, true), 0);
	assert_int_equal(s.events, 0);
	assert_int_equal(step_fresh(&s, 30, 1, 0, 300, 2 * DAY, 600, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
	assert_true(s.last.lost_objects > 29.9 && s.last.lost_objects < 30.1);
}

/* The settle age is at most an eighth of the retention: with a retention of
 * 2 minutes (as tests use), items 30 s old have settled and their removal
 * fires at once, while items 5 s old may be uploads in flight. */
static void test_settle_age_bounded_by_retention(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, true);
	s.p.retention_s = 120;
	run_quiet(&s, 10);
	assert_int_equal(step(&s, 3, 0, 5, true), 0);
	assert_int_equal(s.events, 0);
	assert_int_equal(step(&s, 3, 0, 30, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
}

/* Without the split (the agent did not know the retention yet) the sample
 * goes to the statistical model: one small removal does not fire. */
static void test_without_split_statistical(void **unused)
{
	struct sim s;

	(void)unused;
	sim_init(&s, false);
	run_quiet(&s, 10);
	assert_int_equal(step(&s, 1, 0, 3600, false), 0);
	assert_int_equal(s.events, 0);
}

/* The retention is learned from the youngest item each night's purge
 * removed: three nights are needed, one night with a manual deletion in
 * the window (a low minimum) does not pull it down, and it is rounded
 * down to whole days. */
static void test_learns_retention_from_purge_nights(void **unused)
{
	uint32_t mins[4] = { RET + 3000, RET + 5 * DAY / 10, 3 * DAY, RET + 2000 };
	bool learned = false;
	struct sim s;

	(void)unused;
	sim_init(&s, false);
	for (int night = 0; night < 4; night++) {
		while ((s.t - T0) % DAY != 2 * 3600 - IV)
			step(&s, 0, 0, 0, false);
		for (int i = 0; i < 5; i++)
			step(&s, 0, 10, mins[night] + (uint32_t)i * 100, false);
		step(&s, 0, 0, 0, false);
		if (night == 1)
			assert_int_equal(detect_retention(&s.st, &s.p, NULL), 0);
		run_quiet(&s, 180); /* past the window */
	}
	assert_int_equal(detect_retention(&s.st, &s.p, &learned), RET);
	assert_true(learned);
	s.p.retention_s = 7 * DAY; /* configured wins */
	assert_int_equal(detect_retention(&s.st, &s.p, &learned), 7 * DAY);
	assert_false(learned);
}

/* Temp files (minutes old) deleted inside the purge window every night do
 * not pull the learned retention down: with the fresh split it is learned
 * from the youngest settled item the purge removed.  Before, the nights'
 * minimum was the temp files' age (minutes), and the learned retention
 * with it. */
static void test_temp_files_do_not_pull_learned_retention(void **unused)
{
	uint32_t mins[4] = { RET + 3000, RET + 5 * DAY / 10, RET + 1000, RET + 2000 };
	struct sim s;

	(void)unused;
	sim_init(&s, false);
	for (int night = 0; night < 4; night++) {
		while ((s.t - T0) % DAY != 2 * 3600 - IV)
			step(&s, 0, 0, 0, false);
		for (int i = 0; i < 5; i++)
			step_fresh(&s, 0, i == 2 ? 20 : 0, 10, i == 2 ? 240 : mins[night],
				   mins[night] + (uint32_t)i * 100, 7200, false);
		step(&s, 0, 0, 0, false);
		run_quiet(&s, 180); /* past the window */
	}
	assert_int_equal(detect_retention(&s.st, &s.p, NULL), RET);
	/* nights of temp files only teach nothing */
	sim_init(&s, false);
	for (int night = 0; night < 4; night++) {
		while ((s.t - T0) % DAY != 2 * 3600 - IV)
			step(&s, 0, 0, 0, false);
		step_fresh(&s, 0, 20, 0, 240, 0, 7200, false);
		run_quiet(&s, 180);
	}
	assert_int_equal(detect_retention(&s.st, &s.p, NULL), 0);
}

/* A learned retention caps the settle age at an eighth of it, as a
 * configured one does: nights that purged items two hours old teach a
 * retention of about two hours, and items twenty minutes old have then
 * settled -- their removal fires at once (before, only a configured
 * retention capped it: two hours of blindness on a store that keeps two). */
static void test_settle_age_bounded_by_learned_retention(void **unused)
{
	uint32_t mins[4] = { 7300, 7400, 7350, 7500 };
	struct sim s;

	(void)unused;
	sim_init(&s, false);
	for (int night = 0; night < 4; night++) {
		while ((s.t - T0) % DAY != 2 * 3600 - IV)
			step(&s, 0, 0, 0, false);
		for (int i = 0; i < 5; i++)
			step_fresh(&s, 0, 0, 10, mins[night], mins[night], 7200, false);
		step(&s, 0, 0, 0, false);
		run_quiet(&s, 180);
	}
	assert_int_equal(detect_retention(&s.st, &s.p, NULL), 7320);
	run_quiet(&s, 60);
	assert_int_equal(s.events, 0);
	assert_int_equal(step(&s, 3, 0, 1200, true), 1);
	assert_int_equal(s.last.kind, DETECT_DROP);
}

/* One exact sample of a store with ingest: `added` objects came, `purged`
 * old ones (the youngest min_age old) went; with the young split (none of
 * them young) against a retention of split seconds, none if 0. */
static void step_ingest_split(struct sim *s, double added, double purged, uint64_t min_age,
			      uint64_t split)
{
	struct detect_input in;

	s->t += IV;
	s->bytes += (added - purged) * s->each;
	s->objects += added - purged;
	memset(&in, 0, sizeof in);
	in.time = s->t;
	in.bytes = s->bytes;
	in.objects = s->objects;
	in.has_added = true;
	in.added_bytes = added * s->each;
	in.added_objects = added;
	in.status = SW_SCAN_COMPLETE;
	in.exact = true;
	in.removed[0] = purged * s->each;
	in.removed[1] = purged;
	in.removed_min_age = purged > 0 ? min_age : UINT64_MAX;
	in.young_split = split != 0;
	in.retention = split;
	feed(s, &in);
}

static void step_ingest(struct sim *s, double added, double purged, uint64_t min_age)
{
	step_ingest_split(s, added, purged, min_age, 0);
}

/* A store keeping footage 7 days, unconfigured: the totals cannot learn a
 * lag under 14 days, so the purge allowance was half as much again as the
 * recent purges, and the night an incident's surge of ingest (four days'
 * worth in one) came of age fired an overpurge.  The ages the purges
 * removed say the retention from the third night: the allowance follows
 * the ingest of 7 days before, surge included, as with a configured
 * retention; and a night purging twice the surge still fires. */
static void test_purged_ages_size_the_purge_allowance(void **unused)
{
	static struct sim s;
	const int per_day = DAY / IV;
	double ingest[32];

	(void)unused;
	sim_init(&s, false);
	s.objects = 1e6;
	s.bytes = s.objects * s.each;
	for (int d = 0; d < 32; d++)
		ingest[d] = d == 10 ? 4000 : 1000;
	for (int d = 0; d < 26; d++)
		for (int k = 0; k < per_day; k++) {
			/* cycle days start at 01:00, an hour before the purge */
			int cd = k < 3600 / IV ? d - 1 : d;
			double purged = 0;

			if (k == 2 * 3600 / IV && d >= 1) {
				purged = cd >= 8 ? ingest[cd - 8] : 1000;
				if (d == 23)
					purged *= 8; /* twice the surge: eight nights of ingest */
			}
			step_ingest(&s, ingest[cd < 0 ? 0 : cd] / per_day, purged,
				    7 * (uint64_t)DAY + 3600);
			if (d == 19 && k == per_day - 1) {
				/* the surge came of age on night 18, quietly */
				assert_int_equal(s.events, 0);
				assert_int_equal(detect_retention(&s.st, &s.p, NULL), 7 * DAY);
			}
		}
	assert_int_equal(s.fired[DETECT_OVERPURGE], 1);
}

/* A 7-day store (configured, purge at 02:00, window until 04:00) whose
 * purge one night runs its second half at 07:30, over half an hour: all of
 * it past retention, as the young split says.  The late half was explained
 * only while the night stayed under half its allowance -- judged against
 * the use so far, which the late half itself pushed past -- and the rest
 * fired as a drop.  Removal all past retention is explained up to what
 * retention explains tonight. */
static void test_late_half_past_retention_is_the_purge(void **unused)
{
	static struct sim s;
	const int per_day = DAY / IV, late = 30;
	int before = 0;

	(void)unused;
	sim_init(&s, false);
	s.p.retention_s = 7 * DAY;
	s.p.retention_days = 7;
	for (int d = 0; d < 20; d++)
		for (int k = 0; k < per_day; k++) {
			double purged = 0;
			bool split_night = d == 16;

			if (d >= 1 && k == 2 * 3600 / IV)
				purged = split_night ? 500 : 1000;
			if (split_night && k >= 7 * 3600 / IV + 1800 / IV &&
			    k < 7 * 3600 / IV + 1800 / IV + late)
				purged = 500.0 / late;
			step_ingest_split(&s, 1000.0 / per_day, purged, 7 * (uint64_t)DAY + 3600,
					  7 * DAY);
			if (d == 15 && k == per_day - 1)
				before = s.events;
		}
	assert_int_equal(s.events, before);
}

/* A saved version-1 state (this struct without its exact part) is taken
 * with what it learned, and so is a version-3 one (without the hour
 * profile); anything else is refused. */
static void test_restore_upgrades_version_1(void **unused)
{
	struct sim s;
	struct detect_state back;

	(void)unused;
	sim_init(&s, true);
	run_quiet(&s, 50);
	s.st.version = 1;
	assert_int_equal(detect_state_restore(&back, 1, &s.st,
					      offsetof(struct detect_state, x)), 0);
	assert_int_equal(back.version, DETECT_STATE_VERSION);
	assert_int_equal(back.nsamples, s.st.nsamples);
	assert_true(back.x.night_min == UINT64_MAX);
	/* version 3 lacks today's hour profile: taken, the profile empty */
	s.st.version = 3;
	s.st.day_hours[5] = 1234;
	assert_int_equal(detect_state_restore(&back, 3, &s.st,
					      offsetof(struct detect_state, day_hours)), 0);
	assert_int_equal(back.version, DETECT_STATE_VERSION);
	assert_int_equal(back.nsamples, s.st.nsamples);
	assert_memory_equal(back.hour_votes, s.st.hour_votes, sizeof back.hour_votes);
	assert_int_equal(back.day_hours[5], 0);
	assert_int_equal(detect_state_restore(&back, 3, &s.st, sizeof s.st), -EPROTO);
	assert_int_equal(detect_state_restore(&back, 1, &s.st, 100), -EPROTO);
	assert_int_equal(detect_state_restore(&back, 9, &s.st, sizeof s.st), -EPROTO);
	assert_int_equal(back.nsamples, 0);
}

/* A version-3 sample's exact figures reach the detector; a sample without
 * SW_SAMPLE_EXACT (a version-1 frame) leaves them out. */
static void test_input_from_sample(void **unused)
{
	struct sw_sample x;
	struct detect_input in;

	(void)unused;
	memset(&x, 0, sizeof x);
	x.time = T0;
	x.flags = SW_SAMPLE_HAS_ADDED | SW_SAMPLE_EXACT | SW_SAMPLE_YOUNG_SPLIT;
	x.removed_objects = 10;
	x.removed_bytes = 1000;
	x.removed_young_objects = 3;
	x.removed_young_bytes = 300;
	x.removed_min_age = 42;
	x.retention = 120;
	detect_input_from_sample(&in, &x);
	assert_true(in.exact && in.young_split);
	assert_true(in.removed[1] == 10 && in.removed_young[0] == 300);
	assert_int_equal(in.removed_min_age, 42);
	assert_int_equal(in.retention, 120);
	assert_false(in.fresh_split);
	x.flags |= SW_SAMPLE_FRESH_SPLIT;
	x.fresh_age = 15;
	x.removed_fresh_objects = 2;
	x.removed_fresh_bytes = 20;
	x.removed_min_settled_age = 60;
	detect_input_from_sample(&in, &x);
	assert_true(in.fresh_split);
	assert_int_equal(in.fresh_age, 15);
	assert_true(in.removed_fresh[1] == 2 && in.removed_fresh[0] == 20);
	assert_int_equal(in.removed_min_settled_age, 60);
	x.flags = SW_SAMPLE_HAS_ADDED;
	detect_input_from_sample(&in, &x);
	assert_false(in.exact || in.young_split);
	assert_true(in.removed_young[1] == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_young_fires_at_once_on_a_new_store),
		cmocka_unit_test(test_young_in_warmup_is_drop),
		cmocka_unit_test(test_path_declaration_explains_items),
		cmocka_unit_test(test_young_in_purge_window_is_overpurge),
		cmocka_unit_test(test_overpurge_counts_young_only),
		cmocka_unit_test(test_declared_deletion_covers_young),
		cmocka_unit_test(test_unsettled_removal_is_statistical),
		cmocka_unit_test(test_settle_age_bounded_by_retention),
		cmocka_unit_test(test_without_split_statistical),
		cmocka_unit_test(test_learns_retention_from_purge_nights),
		cmocka_unit_test(test_decoy_with_case_folder_fires),
		cmocka_unit_test(test_fresh_split_below_settle_age),
		cmocka_unit_test(test_young_sidecars_are_object_loss),
		cmocka_unit_test(test_fresh_removal_spares_the_declaration),
		cmocka_unit_test(test_declared_fresh_burst_is_explained),
		cmocka_unit_test(test_temp_files_do_not_pull_learned_retention),
		cmocka_unit_test(test_settle_age_bounded_by_learned_retention),
		cmocka_unit_test(test_purged_ages_size_the_purge_allowance),
		cmocka_unit_test(test_late_half_past_retention_is_the_purge),
		cmocka_unit_test(test_restore_upgrades_version_1),
		cmocka_unit_test(test_input_from_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
