/*
 * live_detect.h - the detector in the running collector.
 *
 * An ingest observer (ingest_observe(ing, live_detect_observe, ld)) that
 * feeds every stored sample, in order, to the store's detector state, and a
 * tick for the silence check (call live_detect_tick() from a uv timer, say
 * every 10 s).  Each store's state and effective knobs live in
 * store_rec->user (allocated on first sight; live_detect_release() frees
 * them).  Every alert transition is logged ("detect: 'agent/store' drop
 * firing: ...") and handed to the optional callback, which is where the
 * alert lifecycle (ledger, outbox) plugs in; the dashboard's board is told
 * whether each store is calibrated and silent.
 */
#ifndef SHRINKWATCH_COLLECTOR_LIVE_DETECT_H
#define SHRINKWATCH_COLLECTOR_LIVE_DETECT_H

#include <stdint.h>

#include "registry.h"
#include "shrinkwatch/detect.h"
#include "shrinkwatch/detect_config.h"

struct board;

/* Called for every transition; agent/store/e valid for the call only. */
typedef void (*live_detect_event_fn)(void *ctx, const char *agent, const char *store,
				     const struct detect_event *e);

struct live_detect {
	const struct detect_config_set *cs; /* not owned */
	struct board *board;                /* optional, not owned */
	live_detect_event_fn on_event;      /* optional */
	void *on_event_ctx;
	uint64_t events;                    /* transitions so far */
};

/* Per-store data in store_rec->user. */
struct live_detect_store {
	struct detect_params p;
	struct detect_state st;
};

void live_detect_init(struct live_detect *ld, const struct detect_config_set *cs,
		      struct board *board);
/* ingest_stored_fn: one stored sample of agent a's store. */
void live_detect_observe(void *ctx, struct agent_rec *a, struct store_rec *s,
			 const struct sw_sample *smp);
/* Silence check of every store at wall-clock time now. */
void live_detect_tick(struct live_detect *ld, struct registry *reg, int64_t now);
/* Frees every store's detector data (before registry_release()). */
void live_detect_release(struct registry *reg);

#endif
