/* test_board.c - the shared per-store status board. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector/store/board.h"
#include "collector/store/registry.h"

static void test_observe_snapshot_and_states(void **state)
{
	struct board b;
	struct registry reg;
	struct agent_rec *a1, *a2;
	struct store_rec *s1, *s2;
	struct sw_sample x;
	struct board_entry *all, one;
	long n;
	(void)state;

	assert_int_equal(board_init(&b), 0);
	registry_init(&reg);
	a1 = registry_agent(&reg, "zeta", 1);
	a2 = registry_agent(&reg, "alpha", 1);
	a1->interval = a2->interval = 60;
	s1 = registry_store(a1, "cases", 1);
	s2 = registry_store(a2, "bodycam", 1);
	memset(&x, 0, sizeof x);
	x.time = 1000;
	x.bytes = 42;
	board_observe_sample(&b, a1, s1, &x);
	x.status = SW_SCAN_PARTIAL;
	board_observe_sample(&b, a2, s2, &x);

	assert_int_equal(board_get(&b, "zeta", "cases", &one), 0);
	assert_int_equal(one.last.bytes, 42);
	assert_int_equal(one.interval, 60);
	assert_int_equal(board_entry_state(&one), BOARD_UNCALIBRATED);
	board_set_detector(&b, "zeta", "cases", true, false);
	assert_int_equal(board_get(&b, "zeta", "cases", &one), 0);
	assert_int_equal(board_entry_state(&one), BOARD_OK);
	assert_int_equal(board_get(&b, "alpha", "bodycam", &one), 0);
	assert_int_equal(board_entry_state(&one), BOARD_PARTIAL);
	assert_int_equal(board_get(&b, "nope", "x", &one), -ENOENT);

	/* sorted by name, but a store with an open alert comes first */
	n = board_snapshot(&b, &all);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].agent, "alpha");
	free(all);
	board_set_alerts(&b, "zeta", "cases", 1, "drop");
	board_set_detector(&b, "alpha", "bodycam", true, true);
	n = board_snapshot(&b, &all);
	assert_string_equal(all[0].agent, "zeta");
	assert_int_equal(board_entry_state(&all[0]), BOARD_ALERT);
	assert_string_equal(all[0].worst_kind, "drop");
	assert_int_equal(board_entry_state(&all[1]), BOARD_SILENT);
	assert_false(all[0].agent_connected);
	free(all);

	/* a connection shows on every store of that agent, and only there */
	board_set_connected(&b, "zeta", true);
	board_set_connected(&b, "zeta", true);
	assert_int_equal(board_get(&b, "zeta", "cases", &one), 0);
	assert_true(one.agent_connected);
	assert_int_equal(board_get(&b, "alpha", "bodycam", &one), 0);
	assert_false(one.agent_connected);
	n = board_snapshot(&b, &all);
	assert_true(all[0].agent_connected);
	assert_false(all[1].agent_connected);
	free(all);
	board_set_connected(&b, "zeta", false);
	board_set_connected(&b, "never-seen", false);
	assert_int_equal(board_get(&b, "zeta", "cases", &one), 0);
	assert_false(one.agent_connected);

	registry_release(&reg);
	board_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_observe_snapshot_and_states),
	};
	return cmocka_run_group_tests_name("board", tests, NULL, NULL);
}
