/*
 * test_detect.c - the detector on crafted sequences.
 *
 * A tiny synthetic store: 1 TB, 60 s samples, steady ingest with added_*,
 * a nightly purge at 02:00 of what was ingested three days earlier (the
 * store is configured with retention = 3d, purge_at = 02:00).  Each test
 * perturbs it and checks which alerts fire, and that normal life stays quiet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <errno.h>

#include "shrinkwatch/buf.h"
#include "shrinkwatch/detect.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/sample.h"

#define T0 1735689600LL /* 2025-01-01 00:00 UTC */
#define IV 60
#define DAY 86400
#define RET 3

struct sim {
	struct detect_state st;
	struct detect_params p;
	int64_t t;
	double bytes, objects;
	double day_ingest[64]; /* bytes ingested per day, for the purge */
	double surge;          /* ingest multiplier */
	double leak;           /* bytes lost per sample */
	int kinds[DETECT_KIND_COUNT][3]; /* counts per kind and transition */
	struct detect_event last;
	struct detect_event last_firing; /* the last FIRING event */
	struct detect_event last_update; /* the last UPDATED event */
	int has_added;
	int purge;
	double noise_o; /* added_objects off by this much, alternately + and - */
	struct detect_figures fig; /* the last sample's */
};

static void sim_init(struct sim *s, int configured)
{
	memset(s, 0, sizeof *s);
	detect_params_default(&s->p);
	if (configured) {
		s->p.retention_days = RET;
		s->p.purge_at = 2 * 3600;
	}
	detect_state_init(&s->st);
	s->t = T0;
	s->bytes = 1e12;
	s->objects = 1e5;
	s->surge = 1;
	s->has_added = 1;
	s->purge = 1;
	for (int d = 0; d < 64; d++)
		s->day_ingest[d] = 1e10;
}

static void record(struct sim *s, const struct detect_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		assert_true(ev[i].kind < DETECT_KIND_COUNT);
		assert_true(ev[i].state <= DETECT_RESOLVED);
		s->kinds[ev[i].kind][ev[i].state]++;
		s->last = ev[i];
		if (ev[i].state == DETECT_FIRING)
			s->last_firing = ev[i];
		if (ev[i].state == DETECT_UPDATED)
			s->last_update = ev[i];
	}
}

/* Feeds one sample with explicit removal (lost bytes/objects this interval). */
static int sim_step_with(struct sim *s, double lost_b, double lost_o, uint8_t status)
{
	struct detect_event ev[DETECT_MAX_EVENTS];
	struct detect_input in;
	int64_t tod = (s->t - T0) % DAY, day = (s->t - T0) / DAY;
	double add_b = s->surge * 1e10 / (DAY / IV), add_o = s->surge * 10.0 / (DAY / IV) * 100;
	double purge_b = 0, purge_o = 0;
	int n;

	if (s->purge && tod == 2 * 3600 && day >= 1) {
		/* what was ingested RET+1 cycle days ago (day 0 is the trace's first) */
		purge_b = 0.8 * 1e10;
		purge_o = 0.8 * 1000;
	}
	s->day_ingest[day % 64] += add_b;
	s->bytes += add_b - purge_b - lost_b - s->leak;
	s->objects += add_o - purge_o - lost_o;
	memset(&in, 0, sizeof in);
	in.time = s->t;
	in.status = status;
	in.bytes = status == SW_SCAN_COMPLETE ? s->bytes : 0;
	in.objects = status == SW_SCAN_COMPLETE ? s->objects : 0;
	in.added_bytes = add_b;
	in.added_objects = add_o + ((s->t / IV) % 2 ? s->noise_o : -s->noise_o);
	in.has_added = s->has_added;
	in.mount_id = 7;
	n = detect_update_figures(&s->st, &s->p, &in, ev, &s->fig);
	assert_true(n >= 0 && n <= DETECT_MAX_EVENTS);
	record(s, ev, n);
	s->t += IV;
	return n;
}

static void sim_run(struct sim *s, int64_t seconds)
{
	int64_t end = s->t + seconds;

	while (s->t < end)
		sim_step_with(s, 0, 0, SW_SCAN_COMPLETE);
}

static int fired(const struct sim *s, int kind)
{
	return s->kinds[kind][DETECT_FIRING];
}

static int any_fired(const struct sim *s)
{
	int n = 0;

	for (int k = 0; k < DETECT_KIND_COUNT; k++)
		n += s->kinds[k][DETECT_FIRING];
	return n;
}

static void test_state_is_small_and_flat(void **unused)
{
	struct detect_state st;

	(void)unused;
	assert_true(sizeof(struct detect_state) <= 2048);
	detect_state_init(&st);
	assert_int_equal(st.version, DETECT_STATE_VERSION);
}

static void test_normal_life_is_quiet(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 12 * DAY);
	assert_int_equal(any_fired(&s), 0);
}

static void test_normal_life_is_quiet_learned(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 0);
	sim_run(&s, 12 * DAY);
	assert_int_equal(any_fired(&s), 0);
}

static void test_drop_fires_within_two_samples(void **unused)
{
	static struct sim s;
	int64_t onset;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 5 * DAY + 12 * 3600);
	assert_int_equal(any_fired(&s), 0);
	onset = s.t;
	sim_step_with(&s, 0.006 * s.bytes, 0.006 * s.objects, SW_SCAN_COMPLETE);
	sim_step_with(&s, 0, 0, SW_SCAN_COMPLETE);
	assert_int_equal(fired(&s, DETECT_DROP), 1);
	assert_int_equal(s.last.since, onset);
	assert_true(s.last.time <= onset + IV);
	assert_true(s.last.lost_bytes > 0.0055e12 && s.last.lost_bytes < 0.0065e12);
	assert_true(s.last.observed_bytes < 0);
	assert_true(s.last.summary[0] != '\0');
	sim_run(&s, 2 * 3600);
	assert_int_equal(s.kinds[DETECT_DROP][DETECT_RESOLVED], 1);
	assert_int_equal(any_fired(&s), 1);
}

/* A deletion cut across two scans: the tail, smaller than the episode's
 * update step, is still reported once the loss stops (an alert stating 49
 * of 50 deleted blobs, test_objstore_azure.sh). */
static void test_episode_reports_its_whole_loss(void **unused)
{
	static struct sim s;
	double first_b, first_o;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 5 * DAY + 12 * 3600);
	sim_step_with(&s, 0.006 * s.bytes, 0.006 * s.objects, SW_SCAN_COMPLETE);
	sim_step_with(&s, 0, 0, SW_SCAN_COMPLETE);
	assert_int_equal(fired(&s, DETECT_DROP), 1);
	first_b = s.last_firing.lost_bytes;
	first_o = s.last_firing.lost_objects;
	sim_step_with(&s, 2e8, 40, SW_SCAN_COMPLETE); /* the tail */
	sim_step_with(&s, 0, 0, SW_SCAN_COMPLETE);
	assert_int_equal(s.kinds[DETECT_DROP][DETECT_UPDATED], 1);
	assert_int_equal(s.last.state, DETECT_UPDATED);
	assert_true(s.last.lost_objects >= first_o + 39 && s.last.lost_objects <= first_o + 41);
	assert_true(s.last.lost_bytes >= first_b + 1.9e8 && s.last.lost_bytes <= first_b + 2.1e8);
	/* quiet from here: no further update follows the wobble of churn */
	sim_run(&s, 3600);
	assert_int_equal(s.kinds[DETECT_DROP][DETECT_UPDATED], 1);
}

/*
 * A drop followed by losses of one object a sample: each is within the
 * objects' fast tolerance (a hundredth of the threshold: 2.5 objects of
 * 100,000; at least one object: of 5,000), so each sample is quiet to the
 * alarm, yet the episode lost them; once the losses stop, the alert states
 * them all, in one update (4 KiB each: the bytes' share is noise).
 */
static void episode_single_object_tail(double objects)
{
	static struct sim s;
	double first_o;

	sim_init(&s, 1);
	s.objects = objects;
	sim_run(&s, 5 * DAY + 12 * 3600);
	sim_step_with(&s, 0.006 * s.bytes, 0.006 * s.objects, SW_SCAN_COMPLETE);
	sim_step_with(&s, 0, 0, SW_SCAN_COMPLETE);
	assert_int_equal(fired(&s, DETECT_DROP), 1);
	first_o = s.last_firing.lost_objects;
	for (int k = 0; k < 6; k++)
		sim_step_with(&s, 4096, 1, SW_SCAN_COMPLETE);
	sim_run(&s, 3600);
	assert_int_equal(s.kinds[DETECT_DROP][DETECT_UPDATED], 1);
	assert_true(s.last_update.lost_objects >= first_o + 5.5 &&
		    s.last_update.lost_objects <= first_o + 6.5);
}

static void test_episode_reports_single_object_tail(void **unused)
{
	(void)unused;
	episode_single_object_tail(1e5);
	episode_single_object_tail(5000);
}

/* A loss during a week without a complete scan: the churn tolerance of
 * the sample after the gap covers two hours of churn at most, not a week
 * of it (a week's spread of churn absorbed a 0.6% loss). */
static void test_loss_across_a_long_gap_fires(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 1);
	s.noise_o = 3;
	sim_run(&s, 5 * DAY + 12 * 3600);
	assert_int_equal(any_fired(&s), 0);
	s.t += 7 * DAY; /* the agent was down for a week */
	sim_step_with(&s, 0.006 * s.bytes, 0.006 * s.objects, SW_SCAN_COMPLETE);
	sim_step_with(&s, 0, 0, SW_SCAN_COMPLETE);
	assert_int_equal(fired(&s, DETECT_DROP) + fired(&s, DETECT_OBJECT_LOSS), 1);
}

static void test_masked_drop_with_added(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 5 * DAY + 10 * 3600);
	s.surge = 10; /* heavy ingest: the net total keeps rising */
	for (int i = 0; i < 30; i++)
		sim_step_with(&s, 0.0004 * s.bytes, 0.0004 * s.objects, SW_SCAN_COMPLETE);
	s.surge = 1;
	sim_run(&s, 3600);
	assert_int_equal(fired(&s, DETECT_DROP), 1);
}

static void test_truncate_and_object_loss(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 5 * DAY + 12 * 3600);
	sim_step_with(&s, 0.01 * s.bytes, 0, SW_SCAN_COMPLETE);
	sim_run(&s, 3 * 3600);
	assert_int_equal(fired(&s, DETECT_TRUNCATE), 1);
	sim_step_with(&s, 1e6, 0.02 * s.objects, SW_SCAN_COMPLETE);
	sim_run(&s, 3 * 3600);
	assert_int_equal(fired(&s, DETECT_OBJECT_LOSS), 1);
	assert_int_equal(any_fired(&s), 2);
	/* it says what was lost, objects, and never reads as explained (it
	 * read "0 B lost; expected -977 KiB, observed -977 KiB") */
	assert_int_equal(s.last_firing.kind, DETECT_OBJECT_LOSS);
	assert_true(s.last_firing.lost_objects > 0);
	{
		char want[96];

		snprintf(want, sizeof want, "object_loss firing: %.0f objects (",
			 s.last_firing.lost_objects);
		assert_non_null(strstr(s.last_firing.summary, want));
		assert_non_null(strstr(s.last_firing.summary, "lost without explanation"));
		assert_non_null(strstr(s.last_firing.summary, "bytes changed by -"));
		assert_null(strstr(s.last_firing.summary, "expected -"));
	}
}

static void test_partial_scan_and_dip_never_fire(void **unused)
{
	static struct sim s;
	struct detect_event ev[DETECT_MAX_EVENTS];
	struct detect_input in;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 5 * DAY + 12 * 3600);
	/* a partial scan reporting (unknown) tiny totals */
	sim_step_with(&s, 0, 0, SW_SCAN_PARTIAL);
	sim_run(&s, 600);
	/* a complete scan that misses 5% for one sample, then it is back */
	memset(&in, 0, sizeof in);
	in.time = s.t;
	in.bytes = s.bytes * 0.95;
	in.objects = s.objects * 0.95;
	in.has_added = 1;
	in.mount_id = 7;
	record(&s, ev, detect_update(&s.st, &s.p, &in, ev));
	s.t += IV;
	sim_run(&s, 3600);
	assert_int_equal(any_fired(&s), 0);
}

static void test_surge_and_net_only_are_quiet(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 4 * DAY + 9 * 3600);
	s.surge = 8;
	sim_run(&s, 5 * 3600);
	s.surge = 1;
	s.has_added = 0; /* an older agent from here on */
	sim_run(&s, 4 * DAY);
	assert_int_equal(any_fired(&s), 0);
}

static void test_declared_deletion_is_quiet(void **unused)
{
	static struct sim s;
	struct detect_explain e = { .id = 1, .allow_bytes = 2e10, .allow_objects = -1 };
	struct detect_event ev;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 5 * DAY + 12 * 3600);
	e.start = s.t - 60;
	e.end = s.t + 3600;
	assert_int_equal(detect_explain_add(&s.st, &e, &ev), 0);
	assert_int_equal(detect_explain_add(&s.st, &e, &ev), -EEXIST);
	sim_step_with(&s, 1.5e10, 1500, SW_SCAN_COMPLETE);
	sim_run(&s, 3600);
	assert_int_equal(any_fired(&s), 0);
	assert_int_equal(detect_explain_revoke(&s.st, 1), 0);
	assert_int_equal(detect_explain_revoke(&s.st, 1), -ENOENT);
}

static void test_explained_after_the_fact(void **unused)
{
	static struct sim s;
	struct detect_explain e = { .id = 9, .allow_bytes = -1, .allow_objects = -1 };
	struct detect_explain small = { .id = 8, .allow_bytes = 1e9, .allow_objects = -1 };
	struct detect_event ev;
	int64_t onset;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 5 * DAY + 12 * 3600);
	onset = s.t;
	sim_step_with(&s, 1.5e10, 1500, SW_SCAN_COMPLETE);
	sim_run(&s, 300);
	assert_int_equal(fired(&s, DETECT_DROP), 1);
	small.start = e.start = onset - 600;
	small.end = e.end = onset + 600;
	assert_false(detect_explain_covers(&s.last, &small));
	assert_true(detect_explain_covers(&s.last, &e));
	assert_int_equal(detect_explain_add(&s.st, &small, &ev), 0);
	assert_int_equal(detect_explain_add(&s.st, &e, &ev), 1);
	assert_int_equal(ev.state, DETECT_RESOLVED);
	assert_int_equal(ev.resolution, DETECT_RES_EXPLAINED);
	assert_int_equal(ev.kind, DETECT_DROP);
}

static void test_leak_fires_and_learning_freezes(void **unused)
{
	static struct sim s;
	double base;
	int64_t onset;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 4 * DAY);
	onset = s.t;
	s.leak = 0.0005 * 1e12 / (DAY / IV); /* 0.05% of the store per day */
	while (!fired(&s, DETECT_LEAK) && s.t < onset + 10 * DAY)
		sim_step_with(&s, 0, 0, SW_SCAN_COMPLETE);
	assert_int_equal(fired(&s, DETECT_LEAK), 1);
	assert_true(s.t - onset <= 7 * DAY);
	assert_int_equal(any_fired(&s), 1);
	/* while the leak alert is open the baseline must not absorb the leak */
	base = s.st.m[0].base;
	sim_run(&s, DAY);
	assert_true(s.st.m[0].base == base);
}

/* Runs the store to 02:00 of day d, where that night's purge also deletes
 * 3% of the store (kept evidence), and on for an hour. */
static void overpurge_on(struct sim *s, int d)
{
	sim_run(s, T0 + d * DAY + 2 * 3600 - s->t);
	sim_step_with(s, 0.03 * s->bytes, 0.03 * s->objects, SW_SCAN_COMPLETE);
	sim_run(s, 3600);
}

static void test_overpurge(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 1);
	overpurge_on(&s, 6);
	assert_int_equal(fired(&s, DETECT_OVERPURGE), 1);
	assert_int_equal(any_fired(&s), 1);
}

/* An overpurge night that alerted (and resolved before its window closed)
 * is no normal purge: it must not become a "recent purge" whose quarter
 * turns every normal night after it into a missed one, each missed night
 * widening the allowance by a night's worth until a second overpurge of
 * the same size passed unseen (the store went blind after its first
 * alert, with no acknowledgement at all). */
static void test_overpurge_does_not_blind_the_store(void **unused)
{
	static struct sim s;
	int k;

	(void)unused;
	sim_init(&s, 1);
	overpurge_on(&s, 6);
	assert_int_equal(fired(&s, DETECT_OVERPURGE), 1);
	/* the alert resolves while the purge window is still open */
	assert_int_equal(s.kinds[DETECT_OVERPURGE][DETECT_RESOLVED], 1);
	assert_true(s.st.in_purge);
	/* six normal nights: each is a purge, none is counted as missed, and
	 * the overpurge night is none of the recent purges */
	for (k = 0; k < 6; k++) {
		sim_run(&s, T0 + (7 + k) * DAY + 5 * 3600 - s.t);
		assert_int_equal(s.st.missed, 0);
		for (int j = 0; j < 4; j++)
			assert_true(s.st.m[0].recent_purge[j] < 2e10);
	}
	assert_int_equal(any_fired(&s), 1);
	/* a week later the same overpurge alerts again */
	overpurge_on(&s, 13);
	assert_int_equal(fired(&s, DETECT_OVERPURGE), 2);
	assert_int_equal(any_fired(&s), 2);
}

/* Issue 14, class 1: a declared deletion spread over a window that spans
 * the nightly purge, allowance exactly what is deleted, stays quiet (it fired
 * `leak`: each sample's churn tolerance was left to the slow CUSUM). */
static void test_declared_window_over_purge_is_quiet(void **unused)
{
	static struct sim s;
	struct detect_explain e = { .id = 3, .allow_bytes = 2e10, .allow_objects = 2000 };
	struct detect_event ev;
	int k;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 5 * DAY + 23 * 3600);
	e.start = s.t;
	e.end = s.t + 6 * 3600;
	assert_int_equal(detect_explain_add(&s.st, &e, &ev), 0);
	for (k = 0; k < 6 * 60; k++) /* 23:00 to 05:00, the purge at 02:00 */
		sim_step_with(&s, 2e10 / 360, 2000.0 / 360, SW_SCAN_COMPLETE);
	sim_run(&s, 2 * DAY);
	assert_int_equal(any_fired(&s), 0);
}

/* With added_*, bytes that fall while objects do not are no purge, even
 * inside the purge window: truncation, not overpurge (and not absorbed). */
static void test_truncate_inside_purge_window(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 6 * DAY + 2 * 3600 + 600);
	sim_step_with(&s, 0.02 * s.bytes, 0, SW_SCAN_COMPLETE);
	sim_run(&s, 600);
	assert_int_equal(fired(&s, DETECT_TRUNCATE), 1);
	assert_int_equal(any_fired(&s), 1);
}

/* A trace that starts inside the purge window: what that window saw (a
 * little churn) is no night's purge and must not set the allowance of the
 * nights to come (it made every purge of the first days an overpurge). */
static void test_first_partial_window_is_not_learned(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 1);
	s.t = T0 + 5400; /* 01:30, inside the 01:00-04:00 window */
	sim_run(&s, 300);
	sim_step_with(&s, 3e8, 30, SW_SCAN_COMPLETE);
	sim_run(&s, 3 * DAY);
	assert_int_equal(any_fired(&s), 0);
}

/* Runs the store to tod (seconds after midnight) of day d, then removes
 * total bytes (and objects in the same proportion of the store) evenly
 * over n samples, as a purge deletes whole files. */
static void purge_at_tod(struct sim *s, int d, int64_t tod, double total, int n)
{
	sim_run(s, T0 + d * DAY + tod - s->t);
	for (int i = 0; i < n; i++)
		sim_step_with(s, total / n, total / n / 1e7, SW_SCAN_COMPLETE);
}

/* A large purge that retention explains (a surge of ingest R days before)
 * is a purge, and so is every normal night after it: a night in the normal
 * range ends the missed nights although it is under a quarter of the large
 * one (each night counted as missed added a night's worth to the allowance,
 * for good). */
static void test_normal_night_after_a_large_purge_is_no_missed_night(void **unused)
{
	static struct sim s;
	int k;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, T0 + 3 * DAY - s.t);
	s.surge = 5;
	sim_run(&s, DAY);
	s.surge = 1;
	purge_at_tod(&s, 7, 2 * 3600 + IV, 3e10, 30);
	for (k = 0; k < 4; k++) {
		sim_run(&s, T0 + (8 + k) * DAY + 5 * 3600 - s.t);
		assert_int_equal(s.st.missed, 0);
	}
	assert_int_equal(any_fired(&s), 0);
}

/* An unconfigured store learns its purge hour from one night's vote; the
 * window must have that hour inside, with room either side.  Three spans
 * of hours tied on one vote, and the first of them put the voted hour
 * (02:00) at the window's last hour (23:00-03:00): a purge starting at
 * 03:10 the next night (a scheduler's jitter) was outside.  The voted hour
 * holds the purge's start: the window opens an hour before it (01:00), not
 * two -- a drop an hour before a purge was taken for it. */
static void test_learned_window_is_centred_on_the_vote(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 0);
	s.purge = 0;
	purge_at_tod(&s, 1, 2 * 3600, 8e9, 1);
	/* the next night: 01:30 to 03:30 lie in the window, 00:30 and 04:30
	 * not */
	sim_run(&s, T0 + 2 * DAY + 1800 - s.t);
	assert_false(s.fig.in_purge);
	sim_run(&s, T0 + 2 * DAY + 3600 + 1800 - s.t);
	assert_true(s.fig.in_purge);
	sim_run(&s, T0 + 2 * DAY + 3 * 3600 + 1800 - s.t);
	assert_true(s.fig.in_purge);
	sim_run(&s, T0 + 2 * DAY + 4 * 3600 + 1800 - s.t);
	assert_false(s.fig.in_purge);
	assert_int_equal(any_fired(&s), 0);
}

/* Night d's purge: from tod for hours h, bytes b an hour (objects in
 * proportion), the rest of each hour's samples ordinary ones. */
static void purge_hours(struct sim *s, int d, int64_t tod, int hours, double b)
{
	int per = 3600 / IV;

	sim_run(s, T0 + d * DAY + tod - s->t);
	for (int i = 0; i < hours * per; i++)
		sim_step_with(s, b / per, b / per / 1e7, SW_SCAN_COMPLETE);
}

/* A purge that runs for three hours deletes less in its busiest hour than
 * a purge-sized vote needed (0.2% of the store): the hour was never
 * learned, no window opened after the warm-up, and every night's purge
 * (0.36% of the store) fired as a drop.  The night votes for the hours it
 * ran in, and the window covers all three. */
static void test_long_thin_purge_is_learned(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 0);
	s.purge = 0;
	for (int d = 0; d < 10; d++)
		purge_hours(&s, d, 3600, 3, 1.2e9);
	sim_run(&s, T0 + 10 * DAY + 3600 + 1800 - s.t);
	assert_true(s.fig.in_purge);
	sim_run(&s, 3600);
	assert_true(s.fig.in_purge);
	sim_run(&s, 3600);
	assert_true(s.fig.in_purge);
	assert_int_equal(any_fired(&s), 0);
}

/* The same three-hour purge, and on the eleventh night a drop of 1% at
 * 00:40, an hour and a half before it: a drop, not the purge.  The window
 * opened two hours before the voted block and took it in. */
static void test_drop_before_the_purge_block_fires(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 0);
	s.purge = 0;
	for (int d = 0; d < 10; d++)
		purge_hours(&s, d, 2 * 3600, 3, 1.2e9);
	sim_run(&s, T0 + 10 * DAY + 40 * 60 - s.t);
	assert_int_equal(any_fired(&s), 0);
	assert_false(s.fig.in_purge);
	sim_step_with(&s, 1e10, 1000, SW_SCAN_COMPLETE);
	sim_run(&s, 10 * 60);
	assert_int_equal(fired(&s, DETECT_DROP), 1);
}

/* A purge that runs in two parts two hours apart (a job that resumes, a
 * second run), the second larger on the first night: one window covers
 * both, and neither part fires on the nights after, whichever is larger. */
static void test_purge_in_two_runs_is_one_window(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 0);
	s.purge = 0;
	purge_hours(&s, 0, 3600, 1, 3e9);
	purge_hours(&s, 0, 4 * 3600, 1, 6e9);
	for (int d = 1; d < 8; d++) {
		purge_hours(&s, d, 3600, 1, 6e9);
		purge_hours(&s, d, 4 * 3600, 1, 3e9);
	}
	sim_run(&s, T0 + 8 * DAY + 3600 + 1800 - s.t);
	assert_true(s.fig.in_purge);
	sim_run(&s, 3 * 3600);
	assert_true(s.fig.in_purge);
	assert_int_equal(any_fired(&s), 0);
}

/* A configured purge (02:00, window until 04:00) that runs until 05:30 in
 * batches, every other sample removing nothing: the window stays open
 * while the purge pauses.  One quiet sample after 04:00 closed it, and the
 * rest of every night's purge fired as a drop. */
static void test_purge_pausing_past_its_window_stays_a_purge(void **unused)
{
	static struct sim s;
	int per = 7 * 1800 / IV;

	(void)unused;
	sim_init(&s, 1);
	s.purge = 0;
	for (int d = 1; d < 12; d++) {
		sim_run(&s, T0 + d * DAY + 2 * 3600 - s.t);
		for (int i = 0; i < per; i++)
			sim_step_with(&s, i % 2 ? 0 : 2 * 0.8e10 / per,
				      i % 2 ? 0 : 2 * 800.0 / per, SW_SCAN_COMPLETE);
	}
	sim_run(&s, DAY);
	assert_int_equal(any_fired(&s), 0);
}

/* Temp files (3 objects every 20 samples) set the slow CUSUM's threshold
 * for objects at hundreds; four hours of a slight excess build the
 * statistic past 100.  The sample after a two-hour gap sized the threshold
 * with its own 2 h (its drift allowance a hundred times a sample's) and it
 * fell to its floor of 0.1% of the store (100 objects): a leak alert from
 * a gap.  The threshold is a sample interval's, whatever the gap. */
static void test_gap_keeps_the_leak_threshold(void **unused)
{
	static struct sim s;
	int k;

	(void)unused;
	sim_init(&s, 1);
	for (k = 0; k < 6 * DAY / IV + 6 * 3600 / IV; k++)
		sim_step_with(&s, 0, k % 20 ? 0 : 3, SW_SCAN_COMPLETE);
	for (k = 0; k < 4 * 3600 / IV; k++)
		sim_step_with(&s, 0, k % 20 ? 1 : 4, SW_SCAN_COMPLETE);
	assert_int_equal(any_fired(&s), 0);
	assert_true(s.st.m[1].slow > 100);
	/* two hours of temp files went during the gap */
	s.t += 2 * 3600;
	sim_step_with(&s, 0, 20, SW_SCAN_COMPLETE);
	assert_int_equal(fired(&s, DETECT_LEAK), 0);
}

/* An unconfigured store learns everything during the warm-up, its first
 * purges too, which inflated the learned spread.  When the purge hour
 * became known the baseline restarted but the spread did not,
 * and with its two-week memory it held the slow CUSUM's threshold (var / k)
 * far above 0.1% of the store: a leak of 0.1% a day went unseen for days.
 * The spread restarts with the baseline. */
static void test_warmup_purge_leaves_no_spread_behind(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 0);
	s.purge = 0;
	for (int d = 0; d < 4; d++)
		purge_at_tod(&s, d, 2 * 3600 + 1800, 8e9, 30);
	sim_run(&s, T0 + 4 * DAY + 6 * 3600 - s.t);
	assert_int_equal(any_fired(&s), 0);
	s.leak = 1e9 / (DAY / IV); /* 0.1% of the store a day */
	for (int d = 4; d < 8; d++)
		purge_at_tod(&s, d + 1, 2 * 3600 + 1800, 8e9, 30);
	assert_int_equal(fired(&s, DETECT_LEAK), 1);
}

/* The false-alarm knob: the noise multiple follows ln(ARL), so the same
 * small object loss on a noisy store alarms at the default rate and not when
 * the operator asks for far fewer false alerts. */
static void test_false_alarm_rate_sets_thresholds(void **unused)
{
	static struct sim s;
	int rare;

	(void)unused;
	for (rare = 0; rare < 2; rare++) {
		sim_init(&s, 1);
		s.noise_o = 60;
		if (rare)
			s.p.false_alerts_year = 1e-9;
		sim_run(&s, 8 * DAY + 12 * 3600);
		assert_int_equal(any_fired(&s), 0);
		sim_step_with(&s, 0, 800, SW_SCAN_COMPLETE);
		sim_run(&s, 600);
		assert_int_equal(fired(&s, DETECT_OBJECT_LOSS), rare ? 0 : 1);
	}
}

static void test_vanished_and_recovered(void **unused)
{
	static struct sim s;
	struct detect_event ev[DETECT_MAX_EVENTS];
	struct detect_input in;
	int64_t first;
	int n;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, 5 * DAY);
	/* one zero reading that is back on the next sample: nothing */
	memset(&in, 0, sizeof in);
	in.time = s.t;
	in.mount_id = 7;
	in.has_added = 1;
	assert_int_equal(detect_update(&s.st, &s.p, &in, ev), 0);
	s.t += IV;
	sim_run(&s, 600);
	assert_int_equal(any_fired(&s), 0);
	/* the volume is unmounted: empty mount point, another mount id */
	memset(&in, 0, sizeof in);
	first = in.time = s.t;
	in.mount_id = 8;
	in.has_added = 1;
	assert_int_equal(detect_update(&s.st, &s.p, &in, ev), 0);
	in.time += IV;
	n = detect_update(&s.st, &s.p, &in, ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, DETECT_VANISHED);
	assert_int_equal(ev[0].state, DETECT_FIRING);
	assert_int_equal(ev[0].since, first);
	assert_true(ev[0].lost_bytes > 0.9e12);
	in.time += IV;
	assert_int_equal(detect_update(&s.st, &s.p, &in, ev), 0);
	in.time += IV;
	in.bytes = s.bytes;
	in.objects = s.objects;
	in.mount_id = 7;
	n = detect_update(&s.st, &s.p, &in, ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].state, DETECT_RESOLVED);
	assert_int_equal(ev[0].resolution, DETECT_RES_RECOVERED);
}

static void test_missing_path_is_vanished(void **unused)
{
	static struct sim s;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, DAY);
	sim_step_with(&s, 0, 0, SW_SCAN_MISSING);
	assert_int_equal(fired(&s, DETECT_VANISHED), 1);
}

static void test_silence_and_resolution(void **unused)
{
	static struct sim s;
	struct detect_event ev;
	int64_t last, deadline;

	(void)unused;
	sim_init(&s, 1);
	sim_run(&s, DAY);
	last = s.t - IV;
	assert_int_equal(detect_interval(&s.st, &s.p), IV);
	deadline = detect_silence_deadline(&s.st, &s.p);
	assert_true(deadline > last + 3 * IV && deadline <= last + 4 * IV);
	assert_int_equal(detect_tick(&s.st, &s.p, last + 2 * IV, &ev), 0);
	assert_int_equal(detect_tick(&s.st, &s.p, deadline, &ev), 1);
	assert_int_equal(ev.kind, DETECT_SILENCE);
	assert_int_equal(ev.state, DETECT_FIRING);
	/* a time an operator can read: ISO 8601, UTC (2025-01-02T00:00:00Z) */
	{
		char want[64];
		time_t tt = (time_t)ev.since;
		struct tm tm;

		assert_non_null(gmtime_r(&tt, &tm));
		strftime(want, sizeof want, "silence: no sample since %Y-%m-%dT%H:%M:%SZ", &tm);
		assert_string_equal(ev.summary, want);
	}
	assert_int_equal(detect_tick(&s.st, &s.p, deadline + 600, &ev), 0); /* once */
	s.t = deadline + 600;
	sim_step_with(&s, 0, 0, SW_SCAN_COMPLETE);
	assert_int_equal(s.kinds[DETECT_SILENCE][DETECT_RESOLVED], 1);
	assert_int_equal(s.last.resolution, DETECT_RES_SAMPLE);
}

static void test_sample_and_json(void **unused)
{
	struct sw_sample smp;
	struct detect_input in;
	struct detect_event e;
	struct buf b;

	(void)unused;
	memset(&smp, 0, sizeof smp);
	smp.time = 1700000000;
	smp.bytes = 123;
	smp.objects = 4;
	smp.added_bytes = 5;
	smp.flags = SW_SAMPLE_HAS_ADDED;
	smp.status = SW_SCAN_PARTIAL;
	smp.mount_id = 77;
	detect_input_from_sample(&in, &smp);
	assert_true(in.time == 1700000000 && in.bytes == 123 && in.objects == 4);
	assert_true(in.has_added && in.added_bytes == 5 && in.mount_id == 77);
	assert_int_equal(in.status, SW_SCAN_PARTIAL);

	memset(&e, 0, sizeof e);
	e.time = 10;
	e.since = 5;
	e.episode = 3;
	e.kind = DETECT_TRUNCATE;
	e.state = DETECT_RESOLVED;
	e.resolution = DETECT_RES_QUIET;
	e.lost_bytes = 1e9;
	snprintf(e.summary, sizeof e.summary, "a \"quoted\" <summary>");
	buf_init(&b, 4096);
	assert_int_equal(detect_event_json(&b, "agent/s1", &e), 0);
	assert_int_equal(json_put_raw(&b, ""), 0);
	buf_append(&b, "", 1);
	assert_non_null(strstr((char *)b.data, "\"time\":10,\"store\":\"agent/s1\",\"kind\":\"truncate\","
					      "\"state\":\"resolved\",\"episode\":3,\"since\":5,"
					      "\"resolution\":\"quiet\",\"lost_bytes\":1000000000"));
	assert_null(strstr((char *)b.data, "<summary>"));
	buf_release(&b);
	buf_init(&b, 16);
	assert_int_equal(detect_event_json(&b, "agent/s1", &e), -ENOBUFS);
	buf_release(&b);
}

static void test_names(void **unused)
{
	(void)unused;
	assert_string_equal(detect_kind_name(DETECT_OBJECT_LOSS), "object_loss");
	assert_string_equal(detect_state_name(DETECT_RESOLVED), "resolved");
	assert_string_equal(detect_kind_name(99), "unknown");
}

/*
 * A store of few large files (3,400 files of about 380 MB, 1.3 TB) with
 * added_*, whose uploads abort now and then: a temp file of 1-5 objects and
 * a few MB appears and is gone a few samples later.  Samples come every
 * minute with a 100-minute gap each day, across which the churn adds up.
 * None of it is a loss; a loss of 10% of the files' sidecars is.
 */
struct churn {
	struct detect_state st;
	struct detect_params p;
	int64_t t;
	double bytes, objects, add_b, add_o, temp_b, temp_o;
	int temp_left;
	int no_temp; /* no new temp files */
	uint32_t rng;
	int kinds[DETECT_KIND_COUNT];
};

/* The store on its first day, its temp files drawn from seed. */
static void churn_init(struct churn *c, uint32_t seed)
{
	memset(c, 0, sizeof *c);
	detect_params_default(&c->p);
	c->p.retention_days = 180; /* nothing old enough to purge in these traces */
	c->p.purge_at = 2 * 3600;
	detect_state_init(&c->st);
	c->t = T0;
	c->bytes = 1.3e12;
	c->objects = 3400;
	c->rng = seed;
}

static uint32_t churn_rand(struct churn *c)
{
	c->rng = c->rng * 1103515245u + 12345u;
	return (c->rng >> 8) & 0xffff;
}

/* One minute of the store's life; a sample unless it falls in a gap. */
static void churn_step(struct churn *c, double lost_b, double lost_o, int sample)
{
	struct detect_event ev[DETECT_MAX_EVENTS];
	struct detect_input in;
	int n;

	if ((c->t / 60) % 120 == 0) { /* a 380 MB file every two hours */
		c->bytes += 3.8e8;
		c->objects += 1;
		c->add_b += 3.8e8;
		c->add_o += 1;
	}
	if (c->temp_left > 0 && --c->temp_left == 0) {
		c->bytes -= c->temp_b;
		c->objects -= c->temp_o;
	} else if (c->temp_left == 0 && !c->no_temp && churn_rand(c) % 20 == 0) {
		c->temp_o = 1 + churn_rand(c) % 5;
		c->temp_b = 1e6 * (1 + churn_rand(c) % 50);
		c->temp_left = 1 + churn_rand(c) % 4;
		c->bytes += c->temp_b;
		c->objects += c->temp_o;
		c->add_b += c->temp_b;
		c->add_o += c->temp_o;
	}
	c->bytes -= lost_b;
	c->objects -= lost_o;
	if (sample) {
		memset(&in, 0, sizeof in);
		in.time = c->t;
		in.status = SW_SCAN_COMPLETE;
		in.bytes = c->bytes;
		in.objects = c->objects;
		in.added_bytes = c->add_b;
		in.added_objects = c->add_o;
		in.has_added = 1;
		in.mount_id = 7;
		n = detect_update(&c->st, &c->p, &in, ev);
		assert_true(n >= 0 && n <= DETECT_MAX_EVENTS);
		for (int i = 0; i < n; i++)
			if (ev[i].state == DETECT_FIRING && ev[i].kind < DETECT_KIND_COUNT)
				c->kinds[ev[i].kind]++;
		c->add_b = c->add_o = 0;
	}
	c->t += 60;
}

static void test_temp_churn_on_few_files_is_no_object_loss(void **unused)
{
	static struct churn c;
	int fired_total = 0;

	(void)unused;
	churn_init(&c, 14);
	for (int m = 0; m < 14 * DAY / 60; m++) {
		int64_t tod = (c.t - T0) % DAY;

		churn_step(&c, 0, 0, !(tod >= 12 * 3600 && tod < 12 * 3600 + 100 * 60));
	}
	for (int k = 0; k < DETECT_KIND_COUNT; k++)
		fired_total += c.kinds[k];
	assert_int_equal(c.kinds[DETECT_OBJECT_LOSS], 0);
	assert_int_equal(fired_total, 0);
	/* 10% of the files' sidecars (4 KiB each) are deleted */
	churn_step(&c, 340 * 4096.0, 340, 1);
	for (int m = 0; m < 3 * 60; m++)
		churn_step(&c, 0, 0, 1);
	assert_int_equal(c.kinds[DETECT_OBJECT_LOSS], 1);
}

/*
 * The churn baseline restarts when the purge hour becomes known (the purges
 * it took in are no baseline); a store of few files whose first files reach
 * retention weeks into its life restarts it late, with the slow CUSUM
 * holding a few objects of ordinary churn.  The restarted spread is 0 for
 * its first samples (most have no temp file): the leak threshold fell to
 * its 10-object floor and fired, the leak froze learning, and with a churn
 * tolerance of 0.1 object every few temp files raised object_loss.  The
 * restart is made by hand here, as detect_update() makes it.  Before: 31
 * object_loss in six days.  (The hand-set slow CUSUM still ends in one leak
 * alert here, before and after: the leak statistic is not this test's.)
 */
static void test_churn_baseline_restart_is_no_object_loss(void **unused)
{
	static struct churn c;

	(void)unused;
	churn_init(&c, 21);
	for (int m = 0; m < 4 * DAY / 60; m++)
		churn_step(&c, 0, 0, 1);
	assert_int_equal(c.kinds[DETECT_LEAK] + c.kinds[DETECT_OBJECT_LOSS], 0);
	while (c.temp_left) /* the restart's first sample removes no temp file */
		churn_step(&c, 0, 0, 1);
	c.st.m[0].base = c.st.m[1].base = 0;
	c.st.m[1].slow = 16;
	c.st.base_since = c.t;
	for (int m = 0; m < 6 * DAY / 60; m++)
		churn_step(&c, 0, 0, 1);
	assert_int_equal(c.kinds[DETECT_OBJECT_LOSS], 0);
	churn_step(&c, 340 * 4096.0, 340, 1);
	churn_step(&c, 0, 0, 1);
	assert_int_equal(c.kinds[DETECT_OBJECT_LOSS], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_is_small_and_flat),
		cmocka_unit_test(test_normal_life_is_quiet),
		cmocka_unit_test(test_normal_life_is_quiet_learned),
		cmocka_unit_test(test_drop_fires_within_two_samples),
		cmocka_unit_test(test_episode_reports_its_whole_loss),
		cmocka_unit_test(test_episode_reports_single_object_tail),
		cmocka_unit_test(test_loss_across_a_long_gap_fires),
		cmocka_unit_test(test_masked_drop_with_added),
		cmocka_unit_test(test_truncate_and_object_loss),
		cmocka_unit_test(test_partial_scan_and_dip_never_fire),
		cmocka_unit_test(test_surge_and_net_only_are_quiet),
		cmocka_unit_test(test_declared_deletion_is_quiet),
		cmocka_unit_test(test_explained_after_the_fact),
		cmocka_unit_test(test_leak_fires_and_learning_freezes),
		cmocka_unit_test(test_overpurge),
		cmocka_unit_test(test_overpurge_does_not_blind_the_store),
		cmocka_unit_test(test_declared_window_over_purge_is_quiet),
		cmocka_unit_test(test_truncate_inside_purge_window),
		cmocka_unit_test(test_first_partial_window_is_not_learned),
		cmocka_unit_test(test_learned_window_is_centred_on_the_vote),
		cmocka_unit_test(test_long_thin_purge_is_learned),
		cmocka_unit_test(test_drop_before_the_purge_block_fires),
		cmocka_unit_test(test_purge_in_two_runs_is_one_window),
		cmocka_unit_test(test_purge_pausing_past_its_window_stays_a_purge),
		cmocka_unit_test(test_gap_keeps_the_leak_threshold),
		cmocka_unit_test(test_warmup_purge_leaves_no_spread_behind),
		cmocka_unit_test(test_normal_night_after_a_large_purge_is_no_missed_night),
		cmocka_unit_test(test_false_alarm_rate_sets_thresholds),
		cmocka_unit_test(test_vanished_and_recovered),
		cmocka_unit_test(test_missing_path_is_vanished),
		cmocka_unit_test(test_silence_and_resolution),
		cmocka_unit_test(test_sample_and_json),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_temp_churn_on_few_files_is_no_object_loss),
		cmocka_unit_test(test_churn_baseline_restart_is_no_object_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
