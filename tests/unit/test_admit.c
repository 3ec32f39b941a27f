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
#include "shrinkwatch/buf.h"

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

/* b's bytes as a string. */
static const char *text(struct buf *b)
{
	assert_int_equal(buf_append(b, "", 1), 0);
	b->len--;
	return (const char *)b->data;
}

/* An agent new to the collector (no store in the registry) brings its
 * whole estate at once, up to max_stores; later growth is rate-limited, and
 * the stores refused are listed with why (status) and counted (/metrics). */
static void test_first_estate(void **state)
{
	struct delivery_limits l;
	struct registry reg;
	struct agent_rec *a;
	struct admit ad;
	struct sw_sample x[80];
	struct admit_agent_stats *v;
	struct buf b;
	char why[400];
	size_t n;
	(void)state;

	limits(&l);
	l.new_stores_per_hour = 16;
	admit_init(&ad);
	registry_init(&reg);
	a = registry_agent(&reg, "fresh", 1);
	/* 40 stores in the first frame: all kept (not 16 and 24 blind) */
	fill(x, 40, "s", 0, 1);
	n = 40;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), 0);
	assert_int_equal(n, 40);
	/* more in the first hour, up to max_stores (64): 24 of 30 */
	fill(x, 30, "s", 40, 41);
	n = 30;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1500, why, sizeof why), 0);
	assert_int_equal(n, 24);
	assert_int_equal(counts(&ad, "fresh", &v)->stores_refused, 6);
	free(v);
	buf_init(&b, 1 << 20);
	assert_int_equal(admit_put_json(&ad, &b), 0);
	assert_non_null(strstr(text(&b), "\"refused_stores\":[{\"store\":\"s64\",\"reason\":"
				       "\"agent 'fresh' has 64 stores, the most one agent may have "
				       "(max_stores_per_agent = 64)\",\"since\":1500,\"samples\":1}"));
	assert_non_null(strstr(text(&b), "{\"store\":\"s69\""));
	buf_release(&b);
	buf_init(&b, 1 << 20);
	assert_int_equal(admit_put_metrics(&ad, &b), 0);
	assert_non_null(strstr(text(&b), "shrinkwatch_agent_stores_refused{agent=\"fresh\"} 6\n"));
	buf_release(&b);
	registry_release(&reg);
	admit_release(&ad);

	/* after the first hour the excess is gone: 16 at once, then the rate */
	admit_init(&ad);
	registry_init(&reg);
	a = registry_agent(&reg, "fresh", 1);
	fill(x, 3, "s", 0, 1);
	n = 3;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), 0);
	assert_int_equal(n, 3);
	fill(x, 20, "t", 0, 4);
	n = 20;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000 + ADMIT_ESTATE_S, why, sizeof why),
			 0);
	assert_int_equal(n, 16);
	buf_init(&b, 1 << 20);
	assert_int_equal(admit_put_json(&ad, &b), 0);
	assert_non_null(strstr(text(&b), "{\"store\":\"t16\",\"reason\":\"agent 'fresh' added 16 "
				       "stores within the hour"));
	buf_release(&b);
	/* a refused store admitted later leaves the list */
	fill(x, 1, "t", 16, 30);
	n = 1;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000 + ADMIT_ESTATE_S + 225, why,
				       sizeof why), 0);
	assert_int_equal(n, 1);
	buf_init(&b, 1 << 20);
	assert_int_equal(admit_put_json(&ad, &b), 0);
	assert_null(strstr(text(&b), "\"t16\""));
	assert_non_null(strstr(text(&b), "\"t17\""));
	buf_release(&b);
	registry_release(&reg);
	admit_release(&ad);

	/* an agent the collector has stores of gets new_stores_per_hour only */
	admit_init(&ad);
	registry_init(&reg);
	a = registry_agent(&reg, "known", 1);
	assert_non_null(registry_store(a, "old", 1));
	fill(x, 20, "s", 0, 1);
	n = 20;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), 0);
	assert_int_equal(n, 16);
	registry_release(&reg);
	admit_release(&ad);
}

/* One sample of store "g" with seq seq (and flags). */
static size_t one(struct sw_sample *x, uint64_t seq, uint32_t flags)
{
	fill(x, 1, "g", 0, seq);
	snprintf(x[0].store, sizeof x[0].store, "g");
	x[0].flags = flags;
	return 1;
}

static void test_seq_jump(void **state)
{
	struct delivery_limits l;
	struct registry reg;
	struct agent_rec *a;
	struct admit ad;
	struct sw_sample x[1];
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
	n = one(x, UINT64_MAX, 0);
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), -ERANGE);
	assert_non_null(strstr(why, "is not a sequence number an agent reaches"));
	n = one(x, 5000000, 0);
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), 0);
	a->seq_accepted = 5000000; /* as ingest_samples() leaves it */
	/* the bound: max_seq_jump (1000) plus max_stores (64) for each
	 * min_interval (10 s) since the agent was last heard of, and one */
	n = one(x, 5000000 + 1000 + 64 + 1, 0);
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), -ERANGE);
	assert_non_null(strstr(why, "seq 5001065 jumps 1065 past seq 5000000, the last this "
				    "collector has from the agent (at most 1064"));
	n = one(x, UINT64_MAX, 0);
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), -ERANGE);
	/* three days later, what a spool dropped while the collector was away
	 * is no attack: 64 stores * 25920 intervals more */
	n = one(x, 5000000 + 1000 + 64 * 25921 + 1, 0);
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000 + 3 * 86400, why, sizeof why),
			 -ERANGE);
	n = one(x, 5000000 + 1000 + 64 * 25921, 0);
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000 + 3 * 86400, why, sizeof why), 0);
	assert_int_equal(counts(&ad, "good", &v)->frames_refused, 4);
	free(v);
	registry_release(&reg);
	admit_release(&ad);
}

static void test_gaps(void **state)
{
	struct delivery_limits l;
	struct registry reg;
	struct agent_rec *a;
	struct admit ad;
	struct sw_sample x[3];
	struct admit_agent_stats *v;
	char why[400];
	size_t n;
	(void)state;

	limits(&l);
	admit_init(&ad);
	registry_init(&reg);
	a = registry_agent(&reg, "good", 1);
	assert_non_null(registry_store(a, "g", 1));
	a->seq_accepted = 500; /* loaded from agent.seq at start-up */
	/* 501-599 never arrive, then 600, 601 */
	fill(x, 2, "g", 0, 600);
	snprintf(x[0].store, sizeof x[0].store, "g");
	snprintf(x[1].store, sizeof x[1].store, "g");
	n = 2;
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), 0);
	assert_int_equal(n, 2);
	assert_int_equal(counts(&ad, "good", &v)->samples_lost, 99);
	assert_int_equal(v[0].c.gaps, 1);
	free(v);
	/* the same frame resent (a batch failed, ingest went back): no gap */
	n = 2;
	fill(x, 2, "g", 0, 600);
	snprintf(x[0].store, sizeof x[0].store, "g");
	snprintf(x[1].store, sizeof x[1].store, "g");
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1000, why, sizeof why), 0);
	assert_int_equal(counts(&ad, "good", &v)->samples_lost, 99);
	free(v);
	a->seq_accepted = 601;
	/* a sample flagged after a spool overflow: a gap of unknown size */
	n = one(x, 602, SW_SAMPLE_GAP);
	assert_int_equal(admit_samples(&ad, &l, a, x, &n, 1010, why, sizeof why), 0);
	assert_int_equal(counts(&ad, "good", &v)->samples_lost, 99);
	assert_int_equal(v[0].c.gaps, 2);
	free(v);
	registry_release(&reg);
	admit_release(&ad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_floor),
		cmocka_unit_test(test_new_store_budget),
		cmocka_unit_test(test_first_estate),
		cmocka_unit_test(test_seq_jump),
		cmocka_unit_test(test_gaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
