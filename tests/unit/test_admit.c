/* test_admit.c - per-agent limits (collector/net/admit.c): the interval
 * floor, the store cap, the new-stores-per-hour budget and its refill, the
 * seq-jump bound, the counting of lost seqs, and resends that are not
 * counted twice. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector/net/admit.h"
#include "collector/store/registry.h"

static void limits(struct delivery_limits *l)
{
	memset(l, 0, sizeof *l);
	l->max_stores = 64;
	l->new_stores_per_hour = 4;
	l->min_interval_s = 10;
	l->max_seq_jump = 1000;
}

/* n samples of stores "<prefix><first+i>", seqs seq.. */
static void fill(struct sw_sample *x, size_t n, const char *prefix, unsigned first, uint64_t seq)
{
	memset(x, 0, n * sizeof *x);
	for (size_t i = 0; i < n; i++) {
		snprintf(x[i].store, sizeof x[i].store, "%s%u", prefix, first + (unsigned)i);
		x[i].seq = seq + i;
		x[i].time = 1700000000;
	}
}

static const struct admit_counts *counts(struct admit *ad, const char *agent,
					 struct admit_agent_stats **v)
{
	long n = admit_snapshot(ad, v);

	for (long i = 0; i < n; i++)
		if (!strcmp((*v)[i].agent, agent))
			return &(*v)[i].c;
	fail_msg("agent %s has no counters", agent);
	return NULL;
}

static void test_interval_floor(void **state)
{
	struct delivery_limits l;
	struct admit ad;
	struct sw_hello h = { .interval = 9 };
	char why[400];
	(void)state;

	limits(&l);
	admit_init(&ad);
	snprintf(h.agent, sizeof h.agent, "fast");
	assert_int_equal(admit_hello(&ad, &l, &h, why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "interval 9 s is below this collector's floor of 10 s"));
	h.interval = 10;
	assert_int_equal(admit_hello(&ad, &l, &h, why, sizeof why), 0);
	l.min_interval_s = 1; /* configured lower */
	h.interval = 1;
	assert_int_equal(admit_hello(&ad, &l, &h, why, sizeof why), 0);
	admit_release(&ad);
}

static void test_new_store_budget(void **state)
{
	struct delivery_limits l;
	struct registry reg;
	struct agent_rec *a;
	struct admit ad;
	struct sw_sample x[8];
	struct admit_agent_stats *v;
	char why[400];
	size_t n;
	(void)state;

	limits(&l);
	admit_init(&ad);
	registry_init(&reg);
	a = registry_agent(&reg, "busy", 1);
	/* a store the registry knows (on disk) costs nothing */
	assert_non_null(registry_store(a, "old", 1));
	fill(x, 6, "s", 0, 1);
	snprintf(x[0].store, sizeof x[0].store, "old");
	n = 6;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), 0);
	/* old, then 4 new ones (the hour's budget), s5 refused */
	assert_int_equal(n, 5);
	assert_string_equal(x[0].store, "old");
	assert_string_equal(x[4].store, "s4");
	assert_int_equal(counts(&ad, "busy", &v)->samples_refused, 1);
	free(v);
	/* the same frame again (a resend after a reconnect): kept stores pass,
	 * the refused sample is not counted twice */
	fill(x, 6, "s", 0, 1);
	snprintf(x[0].store, sizeof x[0].store, "old");
	n = 6;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1001, why, sizeof why), 0);
	assert_int_equal(n, 5);
	assert_int_equal(counts(&ad, "busy", &v)->samples_refused, 1);
	assert_int_equal(v[0].c.stores_refused, 1);
	free(v);
	/* 900 s later (4 per hour: one every 900 s), one more store */
	fill(x, 2, "s", 5, 7);
	n = 2;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000 + 900, why, sizeof why), 0);
	assert_int_equal(n, 1);
	assert_string_equal(x[0].store, "s5");
	assert_int_equal(counts(&ad, "busy", &v)->samples_refused, 2);
	free(v);

	/* the cap: no new store once the agent has max_stores */
	l.max_stores = 6;
	l.new_stores_per_hour = 100;
	fill(x, 1, "t", 0, 9);
	n = 1;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 100000, why, sizeof why), 0);
	assert_int_equal(n, 0);
	registry_release(&reg);
	admit_release(&ad);
}

static void test_seq_jump_and_gaps(void **state)
{
	struct delivery_limits l;
	struct registry reg;
	struct agent_rec *a;
	struct admit ad;
	struct sw_sample x[4];
	struct admit_agent_stats *v;
	char why[400];
	size_t n;
	(void)state;

	limits(&l);
	admit_init(&ad);
	registry_init(&reg);
	a = registry_agent(&reg, "good", 1);
	assert_non_null(registry_store(a, "g", 1));
	/* a new agent may start high, but not at 2^64-1 */
	fill(x, 1, "g", 0, UINT64_MAX);
	snprintf(x[0].store, sizeof x[0].store, "g");
	n = 1;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), -ERANGE);
	assert_non_null(strstr(why, "is not a sequence number an agent reaches"));
	a->seq_accepted = 500; /* as ingest_samples() leaves it */
	/* within the bound; the frame's last seq counts */
	fill(x, 2, "g", 0, 1400);
	snprintf(x[0].store, sizeof x[0].store, "g");
	snprintf(x[1].store, sizeof x[1].store, "g");
	n = 2;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), 0);
	assert_int_equal(n, 2);
	a->seq_accepted = 1401;
	x[0].seq = 1500;
	x[1].seq = 2402;
	n = 2;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), -ERANGE);
	assert_non_null(strstr(why, "seq 2402 jumps 1001 past seq 1401"));
	/* 500 -> 1400: 899 seqs never arrived, one gap; the refused frame
	 * counts none */
	assert_int_equal(counts(&ad, "good", &v)->samples_lost, 899);
	assert_int_equal(v[0].c.gaps, 1);
	assert_int_equal(v[0].c.frames_refused, 2);
	free(v);
	/* 1401 -> 1500: 98 more; then a sample flagged after a spool overflow */
	x[1].seq = 1501;
	x[1].flags = SW_SAMPLE_GAP;
	n = 2;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), 0);
	assert_int_equal(counts(&ad, "good", &v)->samples_lost, 899 + 98);
	assert_int_equal(v[0].c.gaps, 3);
	free(v);
	registry_release(&reg);
	admit_release(&ad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_floor),
		cmocka_unit_test(test_new_store_budget),
		cmocka_unit_test(test_seq_jump_and_gaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
