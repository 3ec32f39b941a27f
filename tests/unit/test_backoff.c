/* test_backoff.c - the backoff schedule stays within its bounds for every
 * attempt, differently seeded generators draw different sequences, and two
 * processes draw different jitter from their own seeded state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "shrinkwatch/backoff.h"

static void test_bounds(void **state)
{
	static const struct backoff_policy agent = { 1000, 60000, 20, 20 };
	static const struct backoff_policy outbox = { 5, 600, 0, 25 };
	struct backoff_rng r;
	(void)state;

	backoff_rng_seed(&r, 42);
	for (unsigned k = 1; k <= 40; k++) {
		uint64_t base = 1000, base2 = 5;

		for (unsigned j = 1; j < k; j++) {
			base = base * 2 > 60000 ? 60000 : base * 2;
			base2 = base2 * 2 > 600 ? 600 : base2 * 2;
		}
		for (int n = 0; n < 200; n++) {
			uint64_t d = backoff_delay(&agent, k, n & 1 ? &r : NULL);
			uint64_t e = backoff_delay(&outbox, k, n & 1 ? &r : NULL);

			assert_true(d >= base * 4 / 5 && d <= base * 6 / 5);
			assert_true(e >= base2 && e <= base2 + base2 / 4);
		}
	}
	/* attempt 0 counts as the first */
	assert_true(backoff_delay(&outbox, 0, &r) <= 6);
	/* jitter around any base */
	for (int n = 0; n < 1000; n++) {
		uint64_t d = backoff_jitter(&agent, 2000, &r);
		assert_true(d >= 1600 && d <= 2400);
	}
}

static void test_seeds_differ(void **state)
{
	struct backoff_rng a, b, a2;
	static const struct backoff_policy p = { 1000, 60000, 20, 20 };
	int same = 0;
	(void)state;

	backoff_rng_seed(&a, 1);
	backoff_rng_seed(&b, 2);
	backoff_rng_seed(&a2, 1);
	for (int i = 0; i < 32; i++) {
		uint64_t x = backoff_jitter(&p, 60000, &a), y = backoff_jitter(&p, 60000, &b);

		same += x == y;
		/* the same seed repeats: tests can rely on it */
		assert_int_equal(x, backoff_jitter(&p, 60000, &a2));
	}
	assert_true(same < 4);
	/* seed 0 is usable, not a stuck generator */
	backoff_rng_seed(&a, 0);
	assert_true(backoff_rng_next(&a) != backoff_rng_next(&a));
}

/* Draws 8 jittered delays from the process's own state in a child. */
static void draw_in_child(int fd)
{
	static const struct backoff_policy p = { 1000, 60000, 20, 20 };
	uint64_t v[8];

	for (int i = 0; i < 8; i++)
		v[i] = backoff_jitter(&p, 60000, NULL);
	_exit(write(fd, v, sizeof v) == (ssize_t)sizeof v ? 0 : 1);
}

static void test_processes_differ(void **state)
{
	uint64_t got[2][8];
	(void)state;

	/* forked before the parent ever drew: each child seeds its own */
	for (int k = 0; k < 2; k++) {
		int fds[2], status;
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			draw_in_child(fds[1]);
		}
		close(fds[1]);
		assert_int_equal(read(fds[0], got[k], sizeof got[k]), sizeof got[k]);
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_memory_not_equal(got[0], got[1], sizeof got[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_processes_differ),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_seeds_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
