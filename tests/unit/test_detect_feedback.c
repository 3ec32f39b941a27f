/*
 * test_detect_feedback.c - operator feedback: "not a loss" (detect/feedback.c).
 *
 * A 1 TB store sampled every minute with added_*, steady ingest, a nightly
 * purge at 02:00 (configured, retention 3 days).  An operator acknowledges an
 * overpurge, a drop or a leak as a normal event: the alert closes as
 * "not-a-loss", the same event again is quiet, three times it still alarms,
 * and the effect wears off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "shrinkwatch/detect.h"
#include "shrinkwatch/sample.h"

#define T0 1735689600LL /* 2025-01-01 00:00 UTC */
#define IV 60
#define DAY 86400

struct store {
	struct detect_state st;
	struct detect_params p;
	int64_t t;
	double bytes, objects;
	double leak; /* bytes lost per sample */
	int firing[DETECT_KIND_COUNT];
	struct detect_event open; /* the last FIRING or UPDATED event */
};

static void store_init(struct store *s)
{
	memset(s, 0, sizeof *s);
	detect_params_default(&s->p);
	s->p.retention_days = 3;
	s->p.purge_at = 2 * 3600;
	detect_state_init(&s->st);
	s->t = T0;
	s->bytes = 1e12;
	s->objects = 1e5;
}

/* One sample; extra_b/extra_o are lost on top of the nightly purge.  In the
 * minute of 02:00 the purge removes 0.8% of a day's ingest x 100. */
static void step(struct store *s, double extra_b, double extra_o)
{
	struct detect_event ev[DETECT_MAX_EVENTS];
	struct detect_input in;
	double add_b = 1e10 / (DAY / IV), add_o = 1000.0 / (DAY / IV);
	bool purge = (s->t - T0) % DAY == 2 * 3600 && s->t - T0 >= DAY;
	int n;

	s->bytes += add_b - (purge ? 0.8e10 : 0) - extra_b - s->leak;
	s->objects += add_o - (purge ? 800 : 0) - extra_o;
	memset(&in, 0, sizeof in);
	in.time = s->t;
	in.status = SW_SCAN_COMPLETE;
	in.bytes = s->bytes;
	in.objects = s->objects;
	in.added_bytes = add_b;
	in.added_objects = add_o;
	in.has_added = true;
	in.mount_id = 7;
	n = detect_update(&s->st, &s->p, &in, ev);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (ev[i].state == DETECT_FIRING)
			s->firing[ev[i].kind]++;
		if (ev[i].state != DETECT_RESOLVED)
			s->open = ev[i];
	}
	s->t += IV;
}

static void run_until(struct store *s, int64_t t)
{
	while (s->t < t)
		step(s, 0, 0);
}

static int fired(const struct store *s)
{
	int n = 0;

	for (int k = 0; k < DETECT_KIND_COUNT; k++)
		n += s->firing[k];
	return n;
}

/* An operator says the last alert (of kind) was not a loss: while it is
 * open (the detector closes it) or after it resolved as quiet. */
static void ack_not_a_loss(struct store *s, unsigned kind, bool open)
{
	struct detect_event ev;

	assert_int_equal(s->open.kind, kind);
	if (!open) {
		assert_int_equal(detect_not_a_loss(&s->st, &s->p, &s->open, &ev), 0);
		return;
	}
	assert_int_equal(detect_not_a_loss(&s->st, &s->p, &s->open, &ev), 1);
	assert_int_equal(ev.state, DETECT_RESOLVED);
	assert_int_equal(ev.resolution, DETECT_RES_NOT_A_LOSS);
	assert_int_equal(ev.kind, kind);
	assert_int_equal(ev.episode, s->open.episode);
	assert_string_equal(detect_resolution_name(ev.resolution), "not-a-loss");
	/* a second word on the same alert closes nothing more */
	assert_int_equal(detect_not_a_loss(&s->st, &s->p, &s->open, &ev), 0);
}

/* Tonight's purge (day d, 02:00) removes `extra` of the store on top; with
 * ack, the operator says the alert is not a loss ten minutes later. */
static void night(struct store *s, int d, double extra, bool ack)
{
	run_until(s, T0 + (int64_t)d * DAY + 2 * 3600);
	step(s, extra * s->bytes, extra * s->objects);
	run_until(s, s->t + 600);
	if (ack)
		ack_not_a_loss(s, DETECT_OVERPURGE, true);
	run_until(s, T0 + (int64_t)d * DAY + 6 * 3600);
}

static void test_overpurge_night_learned(void **unused)
{
	static struct store s;

	(void)unused;
	store_init(&s);
	night(&s, 6, 0.03, true);
	assert_int_equal(s.firing[DETECT_OVERPURGE], 1);
	assert_int_equal(fired(&s), 1);
	/* the same night size the next night: quiet */
	night(&s, 7, 0.03, false);
	assert_int_equal(fired(&s), 1);
	/* three times that night: still an overpurge */
	night(&s, 8, 3 * (0.03 + 0.008), false);
	assert_int_equal(s.firing[DETECT_OVERPURGE], 2);
}

/* Two stores with the same history, one told "not a loss": the purge
 * allowance differs while the feedback counts and is the same once it wore
 * off.  (Compared with a twin rather than by another overpurge: a store
 * that had an overpurge night counts normal nights as missed afterwards,
 * which widens its allowance by itself -- purge.c's recent purges.) */
static void test_overpurge_feedback_decays(void **unused)
{
	static struct store s, twin;
	double acked;

	(void)unused;
	store_init(&s);
	store_init(&twin);
	night(&s, 6, 0.03, true);
	night(&twin, 6, 0.03, false);
	acked = s.st.fb.night[0];
	assert_true(acked > 0.035e12);
	assert_true(detect_feedback_weight(&s.st, s.t) > 1.4);
	assert_true(detect_feedback_weight(&s.st, s.t + 7 * DAY) < 0.76);
	assert_true(detect_feedback_weight(&s.st, s.t + 28 * DAY) == 0);
	/* the next night's window opens with room for the acknowledged night */
	run_until(&s, T0 + 7 * DAY + 3600 + 1800);
	run_until(&twin, T0 + 7 * DAY + 3600 + 1800);
	assert_true(s.st.m[0].purge_allow >= 1.3 * acked);
	assert_true(twin.st.m[0].purge_allow < acked);
	/* two weeks later a quarter of the boost is left (1.5 x 2^-2) */
	run_until(&s, T0 + 20 * DAY + 3600 + 1800);
	run_until(&twin, T0 + 20 * DAY + 3600 + 1800);
	assert_true(s.st.m[0].purge_allow <= fmax(twin.st.m[0].purge_allow, 0.4 * acked));
	/* after four weeks nothing of it is left */
	run_until(&s, T0 + 36 * DAY + 3600 + 1800);
	run_until(&twin, T0 + 36 * DAY + 3600 + 1800);
	assert_true(s.st.m[0].purge_allow == twin.st.m[0].purge_allow);
	assert_int_equal(fired(&s), 1);
}

static void test_drop_learned_and_bounded(void **unused)
{
	static struct store s;
	int64_t at = T0 + 5 * DAY + 12 * 3600;

	(void)unused;
	store_init(&s);
	run_until(&s, at);
	step(&s, 0.01 * s.bytes, 0.01 * s.objects);
	run_until(&s, at + 3600);
	assert_int_equal(s.firing[DETECT_DROP], 1);
	ack_not_a_loss(&s, DETECT_DROP, false); /* resolved as quiet already */
	/* the same surge of deletions a day later: quiet */
	run_until(&s, at + DAY);
	step(&s, 0.01 * s.bytes, 0.01 * s.objects);
	run_until(&s, at + DAY + 3600);
	assert_int_equal(fired(&s), 1);
	/* three times it: a drop */
	run_until(&s, at + 2 * DAY);
	step(&s, 0.03 * s.bytes, 0.03 * s.objects);
	run_until(&s, at + 2 * DAY + 3600);
	assert_int_equal(s.firing[DETECT_DROP], 2);
}

static void test_drop_feedback_decays(void **unused)
{
	static struct store s;
	int64_t at = T0 + 5 * DAY + 12 * 3600;

	(void)unused;
	store_init(&s);
	run_until(&s, at);
	step(&s, 0.01 * s.bytes, 0.01 * s.objects);
	run_until(&s, at + 600);
	ack_not_a_loss(&s, DETECT_DROP, true);
	/* after four weeks the acknowledged size is a drop again */
	run_until(&s, at + 29 * DAY);
	step(&s, 0.01 * s.bytes, 0.01 * s.objects);
	run_until(&s, at + 29 * DAY + 3600);
	assert_int_equal(s.firing[DETECT_DROP], 2);
}

static void test_leak_learned(void **unused)
{
	static struct store s;
	int64_t onset;

	(void)unused;
	store_init(&s);
	run_until(&s, T0 + 4 * DAY);
	onset = s.t;
	s.leak = 0.0005 * 1e12 / (DAY / IV); /* 0.05% a day: a new steady job */
	while (!s.firing[DETECT_LEAK] && s.t < onset + 10 * DAY)
		step(&s, 0, 0);
	assert_int_equal(s.firing[DETECT_LEAK], 1);
	ack_not_a_loss(&s, DETECT_LEAK, true);
	assert_true(s.st.m[0].base > 0.5 * s.leak);
	/* the job goes on: the baseline includes it, no new leak for days */
	run_until(&s, s.t + 5 * DAY);
	assert_int_equal(fired(&s), 1);
	/* the job at five times its rate still alarms, within two days */
	s.leak *= 5;
	onset = s.t;
	while (s.firing[DETECT_LEAK] < 2 && s.t < onset + 10 * DAY)
		step(&s, 0, 0);
	assert_int_equal(s.firing[DETECT_LEAK], 2);
	assert_true(s.t - onset < 2 * DAY);
}

static void test_refusals_and_restore(void **unused)
{
	static struct store s;
	static struct detect_state copy;
	struct detect_event a, ev;

	(void)unused;
	store_init(&s);
	memset(&a, 0, sizeof a);
	a.kind = DETECT_SILENCE;
	assert_int_equal(detect_not_a_loss(&s.st, &s.p, &a, &ev), -EINVAL);
	a.kind = DETECT_KIND_COUNT;
	assert_int_equal(detect_not_a_loss(&s.st, &s.p, &a, &ev), -EINVAL);
	assert_true(detect_feedback_weight(&s.st, T0) == 0);
	/* a version-2 state (without the feedback tail) is upgraded */
	night(&s, 6, 0.03, true);
	assert_int_equal(detect_state_restore(&copy, 2, &s.st,
					      offsetof(struct detect_state, fb)), 0);
	assert_int_equal(copy.version, DETECT_STATE_VERSION);
	assert_true(copy.fb.since == 0 && copy.m[0].last == s.st.m[0].last);
	assert_int_equal(detect_state_restore(&copy, DETECT_STATE_VERSION, &s.st, sizeof s.st), 0);
	assert_true(copy.fb.since == s.st.fb.since && copy.fb.night[0] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overpurge_night_learned),
		cmocka_unit_test(test_overpurge_feedback_decays),
		cmocka_unit_test(test_drop_learned_and_bounded),
		cmocka_unit_test(test_drop_feedback_decays),
		cmocka_unit_test(test_leak_learned),
		cmocka_unit_test(test_refusals_and_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
