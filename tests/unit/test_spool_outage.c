/* test_spool_outage.c - the counts kept while the spool takes no samples
 * (agent/spool_outage.h): only the first failed round's seqs stay used, so
 * the collector sees a gap but never a large jump; the outage ends on the
 * next recorded round, with its counts kept for the summary; a new outage
 * starts afresh; the status line says what and since when. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/spool_outage.h"

static void test_first_round_burns_its_seqs(void **state)
{
	struct spool_outage o;
	(void)state;

	memset(&o, 0, sizeof o);
	/* three stores, seqs 11..13: they stay used */
	assert_int_equal(spool_outage_failed(&o, 11, 3, -ENOSPC), 3);
	assert_true(o.active);
	assert_int_equal(o.err, -ENOSPC);
	assert_int_equal(o.skip_first, 11);
	assert_int_equal(o.skip_last, 13);
	/* the next rounds hand out 14..16 again and again */
	assert_int_equal(spool_outage_failed(&o, 14, 3, -ENOSPC), 0);
	assert_int_equal(spool_outage_failed(&o, 14, 3, -EIO), 0);
	assert_int_equal(o.err, -ENOSPC); /* the first failure is the one named */
	assert_int_equal(o.rounds, 3);
	assert_int_equal(o.samples, 9);
	assert_false(o.ended);
	{
		char st[512];

		assert_int_equal(spool_outage_status(&o, "/var/lib/sw", st, sizeof st), 1);
		assert_non_null(strstr(st, "SPOOL NOT WRITABLE (No space left on device): 3 "
					   "rounds not recorded since 20"));
		assert_non_null(strstr(st, "free space in /var/lib/sw"));
	}
	spool_outage_recorded(&o);
	assert_int_equal(spool_outage_status(&o, "/var/lib/sw", (char[8]){ 0 }, 8), 0);
	assert_false(o.active);
	assert_true(o.ended);
	assert_int_equal(o.rounds, 3); /* kept for the summary */
	/* a recorded round without an outage changes nothing */
	o.ended = 0;
	spool_outage_recorded(&o);
	assert_false(o.ended);
	/* the next outage starts afresh and burns its own first round */
	assert_int_equal(spool_outage_failed(&o, 17, 2, -ENOSPC), 2);
	assert_int_equal(o.rounds, 1);
	assert_int_equal(o.skip_first, 17);
	assert_int_equal(o.skip_last, 18);
	assert_false(o.began_logged);
	assert_int_equal(o.total_rounds, 4);
}

/* A first failed round without samples (every scan failed) leaves the gap
 * to the next round that had some. */
static void test_empty_first_round(void **state)
{
	struct spool_outage o;
	(void)state;

	memset(&o, 0, sizeof o);
	assert_int_equal(spool_outage_failed(&o, 5, 0, -ENOSPC), 0);
	assert_int_equal(o.skip_first, 0);
	assert_int_equal(spool_outage_failed(&o, 5, 2, -ENOSPC), 2);
	assert_int_equal(o.skip_first, 5);
	assert_int_equal(o.skip_last, 6);
	assert_int_equal(spool_outage_failed(&o, 7, 2, -ENOSPC), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_round_burns_its_seqs),
		cmocka_unit_test(test_empty_first_round),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
