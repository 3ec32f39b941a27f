/*
 * test_live_detect.c - the detector wired as an ingest observer: per-store
 * knobs come from the config by "agent/store", a drop in stored samples is
 * reported through the callback, the silence timer fires for a store whose
 * agent stopped, and every store's data is freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "live_detect.h"
#include "registry.h"
#include "shrinkwatch/detect_config.h"
#include "shrinkwatch/log.h"

struct seen {
	int n[DETECT_KIND_COUNT][3];
	char last_store[2 * SW_NAME_MAX + 2];
};

static void on_event(void *ctx, const char *agent, const char *store, const struct detect_event *e)
{
	struct seen *s = ctx;

	s->n[e->kind][e->state]++;
	snprintf(s->last_store, sizeof s->last_store, "%s/%s", agent, store);
}

static void test_observer_and_tick(void **unused)
{
	struct detect_config_set cs;
	struct live_detect ld;
	struct registry reg;
	struct agent_rec *a;
	struct store_rec *st;
	struct sw_sample smp;
	struct seen seen;
	struct live_detect_store *d;
	char err[256];
	int64_t t = 1735689600;
	int i;

	(void)unused;
	log_init("test_live_detect", LOG_ERR);
	log_force_stderr(true);
	detect_config_init(&cs);
	assert_int_equal(detect_config_hook(&cs, "store bwv1/footage", "purge_at", "02:00", err,
					    sizeof err), 1);
	registry_init(&reg);
	a = registry_agent(&reg, "bwv1", 1);
	assert_non_null(a);
	a->interval = 60;
	st = registry_store(a, "footage", 1);
	assert_non_null(st);
	memset(&seen, 0, sizeof seen);
	live_detect_init(&ld, &cs, NULL);
	ld.on_event = on_event;
	ld.on_event_ctx = &seen;

	memset(&smp, 0, sizeof smp);
	smp.bytes = 1000000000000ull;
	smp.objects = 100000;
	smp.flags = SW_SAMPLE_HAS_ADDED;
	smp.mount_id = 3;
	for (i = 0; i < 2 * 1440; i++) {
		smp.time = t;
		smp.added_bytes = 1000000;
		smp.bytes += smp.added_bytes;
		if (i == 1440 + 720) { /* day 2, 12:00: 1% gone */
			smp.bytes -= 10000000000ull;
			smp.objects -= 1000;
		}
		live_detect_observe(&ld, a, st, &smp);
		t += 60;
	}
	d = st->user;
	assert_non_null(d);
	assert_int_equal(d->p.purge_at, 7200);     /* from [store bwv1/footage] */
	assert_int_equal(d->p.interval, 60);       /* from the agent's HELLO */
	assert_true(detect_calibrated(&d->st, &d->p));
	assert_int_equal(seen.n[DETECT_DROP][DETECT_FIRING], 1);
	assert_string_equal(seen.last_store, "bwv1/footage");

	/* the agent stops: the timer finds the store silent, once */
	live_detect_tick(&ld, &reg, t + 60);
	assert_int_equal(seen.n[DETECT_SILENCE][DETECT_FIRING], 0);
	live_detect_tick(&ld, &reg, t + 600);
	live_detect_tick(&ld, &reg, t + 1200);
	assert_int_equal(seen.n[DETECT_SILENCE][DETECT_FIRING], 1);
	assert_true(detect_silent(&d->st));
	smp.time = t + 1260;
	live_detect_observe(&ld, a, st, &smp);
	assert_int_equal(seen.n[DETECT_SILENCE][DETECT_RESOLVED], 1);
	assert_true(ld.events >= 3);

	live_detect_release(&reg);
	assert_null(st->user);
	registry_release(&reg);
	detect_config_release(&cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_observer_and_tick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
