/*
 * test_versioned.c - the note an alert on a versioned bucket carries: how
 * many delete markers appeared since the listing before it fired (the
 * objects are recoverable), that none did (versions removed for good), the
 * bucket's count when the run has no earlier listing, nothing for a bucket
 * without versions or for silence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "collector/alerts/versioned.h"

static int64_t clock_now = 1800000000;

/* The next listing, a minute after the previous one. */
static struct sw_sample listing(uint64_t markers, int versioned)
{
	struct sw_sample s;

	memset(&s, 0, sizeof s);
	clock_now += 60;
	s.time = clock_now;
	s.status = SW_SCAN_COMPLETE;
	s.flags = SW_SAMPLE_LISTING | (versioned ? SW_SAMPLE_VERSIONED : 0);
	s.delete_markers = versioned ? markers : 0;
	return s;
}

static struct detect_event event(unsigned kind, unsigned state)
{
	struct detect_event e;

	memset(&e, 0, sizeof e);
	e.kind = (uint8_t)kind;
	e.state = (uint8_t)state;
	e.since = clock_now; /* the loss started with the latest listing */
	snprintf(e.summary, sizeof e.summary, "drop firing: 5 objects lost");
	return e;
}

static void test_markers_appeared(void **state)
{
	struct versioned_track t;
	struct sw_sample s = listing(2, 1);
	struct detect_event e;
	(void)state;

	memset(&t, 0, sizeof t);
	versioned_note(&t, &s, NULL, 0); /* the listing before: 2 markers */
	s = listing(7, 1);
	e = event(DETECT_DROP, DETECT_FIRING);
	versioned_note(&t, &s, &e, 1);
	assert_string_equal(e.summary, "drop firing: 5 objects lost; versioned bucket: 5 delete "
				       "markers appeared: the objects are recoverable as "
				       "noncurrent versions");
	/* the alert grows: counted from the same base */
	s = listing(9, 1);
	e = event(DETECT_DROP, DETECT_UPDATED);
	versioned_note(&t, &s, &e, 1);
	assert_non_null(strstr(e.summary, "7 delete markers appeared"));
	/* resolved, then a new episode counts from the listing before it */
	e = event(DETECT_DROP, DETECT_RESOLVED);
	versioned_note(&t, &s, &e, 1);
	assert_string_equal(e.summary, "drop firing: 5 objects lost");
	s = listing(10, 1);
	e = event(DETECT_DROP, DETECT_FIRING);
	versioned_note(&t, &s, &e, 1);
	assert_non_null(strstr(e.summary, "; versioned bucket: 1 delete markers appeared"));
}

/* The detector confirms a loss a listing or two after it started: the
 * markers are counted from the listing before the start. */
static void test_counted_from_the_start_of_the_loss(void **state)
{
	struct versioned_track t;
	struct sw_sample s;
	struct detect_event e;
	int64_t started;
	(void)state;

	memset(&t, 0, sizeof t);
	for (int i = 0; i < 40; i++) { /* more listings than remembered */
		s = listing(3, 1);
		versioned_note(&t, &s, NULL, 0);
	}
	s = listing(8, 1); /* the deletions */
	started = s.time;
	versioned_note(&t, &s, NULL, 0);
	s = listing(8, 1);
	versioned_note(&t, &s, NULL, 0);
	s = listing(9, 1); /* confirmed: fires */
	e = event(DETECT_DROP, DETECT_FIRING);
	e.since = started;
	versioned_note(&t, &s, &e, 1);
	assert_non_null(strstr(e.summary, "; versioned bucket: 6 delete markers appeared"));
	/* a loss older than anything remembered: the count, not a difference */
	s = listing(9, 1);
	e = event(DETECT_LEAK, DETECT_FIRING);
	e.since = started - 3600;
	versioned_note(&t, &s, &e, 1);
	assert_non_null(strstr(e.summary, "versioned bucket: 9 delete markers: deleted objects "
					  "may be recoverable"));
}

static void test_no_marker_means_removed_for_good(void **state)
{
	struct versioned_track t;
	struct sw_sample s = listing(4, 1);
	struct detect_event e;
	(void)state;

	memset(&t, 0, sizeof t);
	versioned_note(&t, &s, NULL, 0);
	s = listing(4, 1);
	e = event(DETECT_OBJECT_LOSS, DETECT_FIRING);
	versioned_note(&t, &s, &e, 1);
	assert_non_null(strstr(e.summary, "no delete marker appeared: versions were removed "
					  "for good (4 markers)"));
	assert_null(strstr(e.summary, "recoverable"));
}

static void test_first_listing_of_the_run(void **state)
{
	struct versioned_track t;
	struct sw_sample s = listing(3, 1);
	struct detect_event e = event(DETECT_DROP, DETECT_UPDATED);
	(void)state;

	memset(&t, 0, sizeof t);
	versioned_note(&t, &s, &e, 1); /* an alert open across a collector restart */
	assert_non_null(strstr(e.summary, "versioned bucket: 3 delete markers: deleted objects "
					  "may be recoverable"));
}

static void test_not_versioned_or_not_a_loss(void **state)
{
	struct versioned_track t;
	struct sw_sample s = listing(0, 0);
	struct detect_event e[2] = { event(DETECT_DROP, DETECT_FIRING),
				     event(DETECT_SILENCE, DETECT_FIRING) };
	(void)state;

	memset(&t, 0, sizeof t);
	versioned_note(&t, &s, e, 1);
	assert_string_equal(e[0].summary, "drop firing: 5 objects lost");
	/* a partial listing of a versioned bucket says nothing either, and
	 * silence is never a deletion */
	s = listing(5, 1);
	versioned_note(&t, &s, NULL, 0);
	s.status = SW_SCAN_PARTIAL;
	s.flags &= ~(uint32_t)SW_SAMPLE_VERSIONED;
	e[0] = event(DETECT_DROP, DETECT_FIRING);
	versioned_note(&t, &s, e, 2);
	assert_string_equal(e[0].summary, "drop firing: 5 objects lost");
	s = listing(6, 1);
	e[0] = event(DETECT_DROP, DETECT_FIRING);
	versioned_note(&t, &s, e, 2);
	assert_non_null(strstr(e[0].summary, "1 delete markers appeared"));
	assert_string_equal(e[1].summary, "drop firing: 5 objects lost");
}

/* A long summary keeps its own words; the note is cut, never overflows. */
static void test_long_summary_is_cut(void **state)
{
	struct versioned_track t;
	struct sw_sample s = listing(1, 1);
	struct detect_event e = event(DETECT_DROP, DETECT_FIRING);
	(void)state;

	memset(&t, 0, sizeof t);
	memset(e.summary, 'x', sizeof e.summary - 1);
	e.summary[sizeof e.summary - 1] = '\0';
	versioned_note(&t, &s, &e, 1);
	assert_int_equal(strlen(e.summary), sizeof e.summary - 1);
	memset(e.summary, 'x', sizeof e.summary - 20);
	e.summary[sizeof e.summary - 20] = '\0';
	versioned_note(&t, &s, &e, 1);
	assert_int_equal(strlen(e.summary), sizeof e.summary - 1);
	assert_non_null(strstr(e.summary, "; versioned"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markers_appeared),
		cmocka_unit_test(test_counted_from_the_start_of_the_loss),
		cmocka_unit_test(test_no_marker_means_removed_for_good),
		cmocka_unit_test(test_first_listing_of_the_run),
		cmocka_unit_test(test_not_versioned_or_not_a_loss),
		cmocka_unit_test(test_long_summary_is_cut),
	};
	return cmocka_run_group_tests_name("versioned", tests, NULL, NULL);
}
