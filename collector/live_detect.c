/*
 * live_detect.c - the detector in the running collector (see live_detect.h).
 *
 * Runs on the loop thread only (ingest observers and timers do), so the
 * per-store state needs no lock.  A store's knobs are resolved once, on
 * first sight, from [detect] and [store agent/store]; the agent's announced
 * interval fills in when the config does not set one, so silence works
 * before the detector has learned the spacing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "live_detect.h"
#include "shrinkwatch/log.h"

void live_detect_init(struct live_detect *ld, const struct detect_config_set *cs,
		      struct board *board)
{
	memset(ld, 0, sizeof *ld);
	ld->cs = cs;
	ld->board = board;
}

static struct live_detect_store *store_data(struct live_detect *ld, struct agent_rec *a,
					    struct store_rec *s)
{
	struct live_detect_store *d = s->user;
	char key[2 * SW_NAME_MAX + 2];

	if (d)
		return d;
	d = calloc(1, sizeof *d);
	if (!d) {
		log_err("detect: '%s/%s': out of memory", a->name, s->name);
		return NULL;
	}
	snprintf(key, sizeof key, "%s/%s", a->name, s->name);
	detect_config_resolve(ld->cs, key, &d->p);
	if (!d->p.interval)
		d->p.interval = a->interval;
	detect_state_init(&d->st);
	s->user = d;
	return d;
}

static void report(struct live_detect *ld, struct agent_rec *a, struct store_rec *s,
		   struct live_detect_store *d, const struct detect_event *ev, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct detect_event *e = &ev[i];
		int prio = e->state == DETECT_FIRING ? LOG_WARNING : LOG_NOTICE;

		log_msg(prio, "detect: '%s/%s' %s %s (episode %u): %s", a->name, s->name,
			detect_kind_name(e->kind), detect_state_name(e->state), e->episode,
			e->summary);
		ld->events++;
		if (ld->on_event)
			ld->on_event(ld->on_event_ctx, a->name, s->name, e);
	}
	if (ld->board)
		board_set_detector(ld->board, a->name, s->name, detect_calibrated(&d->st, &d->p),
				   detect_silent(&d->st));
}

void live_detect_observe(void *ctx, struct agent_rec *a, struct store_rec *s,
			 const struct sw_sample *smp)
{
	struct live_detect *ld = ctx;
	struct live_detect_store *d = store_data(ld, a, s);
	struct detect_event ev[DETECT_MAX_EVENTS];
	struct detect_input in;
	int n;

	if (!d)
		return;
	detect_input_from_sample(&in, smp);
	n = detect_update(&d->st, &d->p, &in, ev);
	report(ld, a, s, d, ev, n);
}

/* Calls fn for every store of every agent. */
typedef void (*store_fn)(void *ctx, struct agent_rec *a, struct store_rec *s);

static void each_store(struct registry *reg, store_fn fn, void *ctx)
{
	size_t i = 0, j;
	const char *k;
	void *v;

	while (strmap_next(&reg->agents, &i, &k, &v)) {
		struct agent_rec *a = v;
		const char *sk;
		void *sv;

		for (j = 0; strmap_next(&a->stores, &j, &sk, &sv);)
			fn(ctx, a, sv);
	}
}

struct tick_ctx {
	struct live_detect *ld;
	int64_t now;
};

static void tick_store(void *ctx, struct agent_rec *a, struct store_rec *s)
{
	struct tick_ctx *tc = ctx;
	struct live_detect_store *d = s->user;
	struct detect_event ev;

	if (!d && s->have_last) {
		/* known from the RRD at start-up but silent since */
		struct detect_input in;

		d = store_data(tc->ld, a, s);
		if (!d)
			return;
		detect_input_from_sample(&in, &s->last);
		detect_update(&d->st, &d->p, &in, &ev);
	}
	if (d && detect_tick(&d->st, &d->p, tc->now, &ev) == 1)
		report(tc->ld, a, s, d, &ev, 1);
}

void live_detect_tick(struct live_detect *ld, struct registry *reg, int64_t now)
{
	struct tick_ctx tc = { ld, now };

	each_store(reg, tick_store, &tc);
}

static void free_store(void *ctx, struct agent_rec *a, struct store_rec *s)
{
	(void)ctx;
	(void)a;
	free(s->user);
	s->user = NULL;
}

void live_detect_release(struct registry *reg)
{
	each_store(reg, free_store, NULL);
}
