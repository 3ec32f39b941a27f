/* test_http_graph_span.c - a young store's graph covers the span it has
 * (collector/http/graph_span.c), an older one its whole range, gap or not.
 * What graph_args() makes of the start: test_http_graphdef.c. */
#include <errno.h>
#include <inttypes.h>
#include <rrd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "collector/http/graph_span.h"
#include "collector/store/rrdsample.h"
#include "testutil.h"

#define DAY 86400

/* A store RRD (the collector's layout) with a sample every step seconds
 * over each [from, to) of spans (pairs; 0-terminated). */
static void make_rrd(const char *path, unsigned long step, const int64_t *spans)
{
	const char *argv[64];
	char storage[4096], line[128];
	int argc = rrdsample_layout(step, argv, 64, storage, sizeof storage);

	assert_true(argc > 0);
	rrd_clear_error();
	if (rrd_create_r(path, step, (time_t)spans[0] - 1, argc, argv))
		fail_msg("rrd_create: %s", rrd_get_error());
	for (const int64_t *s = spans; s[0]; s += 2)
		for (int64_t t = s[0]; t < s[1]; t += (int64_t)step) {
			const char *up[1] = { line };

			snprintf(line, sizeof line, "%" PRId64 ":1000:10:0:0:5000:9000:20", t);
			if (rrd_update_r(path, NULL, 1, up))
				fail_msg("rrd_update: %s", rrd_get_error());
		}
}

static void test_young_store_starts_at_its_first_point(void **state)
{
	int64_t now = (int64_t)time(NULL) / 2 * 2;
	char path[256];
	(void)state;

	snprintf(path, sizeof path, "%s/young.rrd", tu_dir);
	/* ten minutes of an agent every 2 s: the day view would have put them in
	 * the last pixels (the demo's complaint); the month's hourly archive
	 * has no known row yet, so the finest one says where it starts */
	make_rrd(path, 2, (const int64_t[]){ now - 600, now - 2, 0 });
	int64_t day = graph_span_start(path, now - DAY, now, 720);
	assert_true(day >= now - 604 && day <= now - 596);
	int64_t month = graph_span_start(path, now - 31 * DAY, now, 720);
	assert_true(month >= now - 604 && month <= now - 596);
}

static void test_a_moment_old_store_gets_the_shortest_span(void **state)
{
	int64_t now = (int64_t)time(NULL) / 2 * 2;
	char path[256];
	(void)state;

	snprintf(path, sizeof path, "%s/new.rrd", tu_dir);
	make_rrd(path, 2, (const int64_t[]){ now - 20, now - 2, 0 });
	assert_int_equal(graph_span_start(path, now - DAY, now, 720), now - GRAPH_SPAN_MIN);
}

static void test_month_old_store_in_the_year_view(void **state)
{
	int64_t now = (int64_t)time(NULL) / 300 * 300;
	char path[256];
	(void)state;

	snprintf(path, sizeof path, "%s/month.rrd", tu_dir);
	make_rrd(path, 300, (const int64_t[]){ now - 30 * DAY, now - 300, 0 });
	int64_t year = graph_span_start(path, now - 366 * DAY, now, 720);
	/* within one row of the year view's archive (hourly) */
	assert_true(year >= now - 30 * DAY - 3600 && year <= now - 30 * DAY + 3600);
	/* older than the day and the week: their whole range */
	assert_int_equal(graph_span_start(path, now - DAY, now, 720), now - DAY);
	assert_int_equal(graph_span_start(path, now - 7 * DAY, now, 720), now - 7 * DAY);
}

static void test_old_store_with_a_gap_keeps_its_range(void **state)
{
	int64_t now = (int64_t)time(NULL) / 300 * 300;
	char path[256];
	(void)state;

	snprintf(path, sizeof path, "%s/gap.rrd", tu_dir);
	/* monitored 20 to 10 days ago, then the agent was down until an hour ago:
	 * the week graph must show that gap, not start an hour ago */
	make_rrd(path, 300, (const int64_t[]){ now - 20 * DAY, now - 10 * DAY, now - 3600, now, 0 });
	assert_int_equal(graph_span_start(path, now - 7 * DAY, now, 720), now - 7 * DAY);
}

static void test_unreadable_file_keeps_the_range(void **state)
{
	int64_t now = (int64_t)time(NULL);
	char path[256];
	(void)state;

	snprintf(path, sizeof path, "%s/none.rrd", tu_dir);
	assert_int_equal(graph_span_start(path, now - DAY, now, 720), now - DAY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_young_store_starts_at_its_first_point,
						tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_a_moment_old_store_gets_the_shortest_span,
						tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_month_old_store_in_the_year_view,
						tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_old_store_with_a_gap_keeps_its_range,
						tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_unreadable_file_keeps_the_range,
						tu_setup_dir, tu_teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
