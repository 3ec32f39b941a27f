/*
 * board.h - what the collector knows about every store right now, readable
 * from any thread.
 *
 * The registry belongs to the event loop; the HTTP server (its own threads)
 * and anything else that reports status read this board instead.  The loop
 * thread updates an entry when a sample is stored (board_observe_sample(),
 * registered as an ingest observer) and when the detector or the alert
 * lifecycle changes a store's state (board_set_detector(),
 * board_set_alerts()); readers take a consistent copy with board_snapshot().
 * One mutex, held only for memcpy-sized work.
 */
#ifndef SHRINKWATCH_COLLECTOR_BOARD_H
#define SHRINKWATCH_COLLECTOR_BOARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/sample.h"
#include "shrinkwatch/strmap.h"

struct agent_rec;
struct store_rec;

enum board_state {
	BOARD_OK = 0,
	BOARD_UNCALIBRATED, /* the detector is still learning this store */
	BOARD_PARTIAL,      /* the last scan was partial: totals unknown */
	BOARD_SILENT,       /* no sample for too long */
	BOARD_ALERT,        /* at least one open alert */
};

struct board_entry {
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	struct sw_sample last; /* last stored sample */
	bool have_last;
	bool agent_connected;  /* filled in by board_snapshot()/board_get() */
	uint32_t interval;     /* seconds */
	/* from the detector */
	bool calibrated;
	bool silent;
	/* the detector's floors for this store (board_set_floors()): a loss
	 * below all of them never alerts; 0 until the detector has the store */
	double drop_min_bytes, drop_min_objects, drop_rel;
	/* from the alert lifecycle */
	unsigned open_alerts;
	char worst_kind[24]; /* kind of the most severe open alert, "" if none */
	uint64_t samples;    /* stored since start-up */
	/* object stores (SW_SAMPLE_LISTING): listing requests the stored
	 * samples reported since start-up, the store's listing cost */
	bool listed;
	uint64_t list_requests;
};

struct board {
	pthread_mutex_t mu;
	struct strmap entries; /* "agent/store" -> struct board_entry * */
	/* Agents with a live session, kept apart from the entries so that a
	 * connect or disconnect is one lookup, not a walk over every store
	 * (a reconnect storm of thousands of agents would otherwise cost
	 * agents x stores comparisons under the mutex the HTTP threads take). */
	struct strmap connected; /* agent -> (void *)1 */
	uint64_t version;      /* bumped on every change (cache keys) */
};

int board_init(struct board *b);
void board_release(struct board *b);

/* Ingest observer (ingest_stored_fn): records a stored sample. */
void board_observe_sample(void *board, struct agent_rec *a, struct store_rec *st,
			  const struct sw_sample *s);
/* Seeds an entry from what the registry loaded at start-up. */
void board_seed(struct board *b, const char *agent, const char *store,
		const struct sw_sample *last, bool have_last, uint32_t interval);
void board_set_connected(struct board *b, const char *agent, bool connected);
void board_set_detector(struct board *b, const char *agent, const char *store,
			bool calibrated, bool silent);
void board_set_alerts(struct board *b, const char *agent, const char *store,
		      unsigned open_alerts, const char *worst_kind);
/*
 * The detector's loss floors in force for the store (drop_min_bytes,
 * drop_min_objects and drop_threshold, a fraction of the store), so the
 * status can say why a small deletion raised nothing.
 */
void board_set_floors(struct board *b, const char *agent, const char *store,
		      double min_bytes, double min_objects, double rel);

/*
 * A copy of every entry, sorted by open alerts first, then agent and store.
 * *out is malloc'ed (caller frees); returns the count or a negative errno.
 */
long board_snapshot(struct board *b, struct board_entry **out);
/* One entry; 0, or -ENOENT. */
int board_get(struct board *b, const char *agent, const char *store, struct board_entry *out);

/* The entry's state as shown on the dashboard (alert > silent > partial >
 * uncalibrated > ok). */
enum board_state board_entry_state(const struct board_entry *e);
const char *board_state_name(enum board_state s);

#endif
