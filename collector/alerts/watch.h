/*
 * watch.h - the live detector: every stored sample through detect_update().
 *
 * An ingest observer keeps one struct detect_state per store (hung on the
 * registry's store_rec->user as well, for O(1) access per sample) and hands
 * every detector event to the alert lifecycle.  A one-second timer runs the
 * silence check (detect_tick()) over every store it knows -- including stores
 * known only from disk or from the ledger, whose agent never came back, which
 * is exactly when the dead man's switch must fire.
 *
 * Detector state is saved in the ledger's detector_state table every save
 * interval (a minute), in transactions of WATCH_SAVE_CHUNK stores, one per
 * loop turn so thousands of stores never hold the loop for long, and in full
 * at shutdown -- never per sample -- and restored at start; a store whose
 * alerts wait in memory for the ledger (alert_pending(), a full disk) is not
 * saved until they are recorded.  At start the samples its store RRD holds
 * beyond the saved state (a kill -9 between two saves, a restart while the
 * ledger could not write) are read back and judged before anything new
 * (WATCH_REPLAY_MAX at most), so what the saved state missed -- an alert
 * included -- is derived again.  Declared deletions are then re-applied
 * from the ledger (added if the saved state missed them, removed if they
 * were revoked since), so a restart, even after kill -9, forgets nothing an
 * operator declared.
 */
#ifndef SHRINKWATCH_COLLECTOR_WATCH_H
#define SHRINKWATCH_COLLECTOR_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "pathhold.h"
#include "shrinkwatch/detect.h"
#include "shrinkwatch/detect_config.h"
#include "shrinkwatch/sample.h"
#include "shrinkwatch/strmap.h"
#include "versioned.h"

struct agent_rec;
struct store_rec;
struct registry;
struct board;
struct alerts;
struct ledger;
struct rrdstore;

#define WATCH_SAVE_INTERVAL_MS 60000
/* Stores saved per loop turn: a transaction of this many takes ~10 ms. */
#define WATCH_SAVE_CHUNK 500
/* How far back a store's samples are read back at start, at most (seconds
 * before the file's last update). */
#define WATCH_REPLAY_MAX 86400

struct watch_store {
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	struct detect_params p;
	struct detect_state st;
	bool dirty;    /* changed since the last save */
	bool silent;   /* last value told to the board */
	uint32_t interval; /* the agent's interval, 0 = not known (detector RRD step) */
	/* The interval [detect]/[store] configure, 0 = none: then the detector
	 * takes the agent's announced interval (HELLO) rather than learning it
	 * from the first spacings, which at a first start are the start-up scan
	 * and the next wall-clock boundary, a fraction of the interval. */
	uint32_t cfg_interval;
	/* Wall clock of the last sample's arrival; 0 until the first sample or
	 * tick after start-up.  Silence is time since arrival, not since the
	 * sample's own time: an agent delivering a backlog (after a collector
	 * outage) is not silent, and a restarted collector gives every agent
	 * the silence period to reconnect before it calls a store silent. */
	int64_t arrived;
	/* delete markers of a versioned bucket, for the alert's note */
	struct versioned_track versioned;
};

/*
 * What the detector works with, given to watch_init().  The pointers are
 * borrowed: each must stay valid until watch_stop().
 */
struct watch_deps {
	/* The store RRDs, for the samples the saved states missed
	 * (collector/store/rrdread.h); NULL = none read back. */
	const char *data_dir;
	struct ledger *ledger; /* saved states and explanations; required */
	const struct detect_config_set *cfg; /* parameters per store; required */
	struct board *board;   /* told each store's calibration and silence; may be NULL */
	struct alerts *alerts; /* gets every detector event; may be NULL */
	/* The RRD writer each judged sample's detector figures go to
	 * (collector/store/rrdstore.h, rows of collector/store/rrddetect.h);
	 * NULL = not kept.  Rows are handed to it only while samples are fed, and
	 * watch_stop() never uses it: the caller may stop it once the last sample
	 * was fed (ingest stopped), before watch_stop(). */
	struct rrdstore *rrd;
};

struct watch {
	uv_loop_t *loop;
	struct board *board;
	struct alerts *alerts;
	struct ledger *ledger;
	const struct detect_config_set *cfg;
	struct strmap stores; /* "agent/store" -> struct watch_store * */
	uv_timer_t tick, save;
	size_t save_pos;       /* where the save round in progress continues */
	size_t saved_in_round; /* stores written so far in that round */
	bool timers_on;
	uint64_t samples, events;
	struct rrdstore *rrd; /* from watch_deps */
	const char *data_dir; /* from watch_deps */
	uint64_t replayed;    /* samples read back from the store RRDs at start */
	/* samples waiting for the agent's answer on declared path prefixes;
	 * the composition sets its sender (pathhold_set_sender()) and routes
	 * its INVENTORY frames to it */
	struct pathhold hold;
};

/*
 * Restores saved detector states from deps->ledger, creates states for every
 * store of reg (may be NULL), applies the active explanations, and with a
 * loop starts the silence and save timers.  deps is copied.  0 or a negative
 * errno.
 */
int watch_init(struct watch *w, uv_loop_t *loop, struct registry *reg,
	       const struct watch_deps *deps);
/*
 * Judges the samples each store's RRD holds beyond its restored state
 * (collector/store/rrdread.h; deps->data_dir, at most WATCH_REPLAY_MAX back)
 * at wall-clock now.  Call once after watch_init(), once the notifiers run
 * (an alert it raises is routed to the notifiers running then) and before
 * any new sample is fed.
 */
void watch_replay(struct watch *w, int64_t now);
/* Saves every state and stops the timers. */
void watch_stop(struct watch *w);

/* One stored sample of store st of agent a; ctx is the struct watch.  Its
 * signature is ingest's observer's (collector/net/ingest.h: ingest_stored_fn),
 * so the collector's main.c hands it to ingest_observe(); watch knows nothing
 * of ingest. */
void watch_observe(void *ctx, struct agent_rec *a, struct store_rec *st,
		   const struct sw_sample *s);
/* Feeds one sample of agent/store (what watch_observe does, without the
 * agent's interval: the detector RRD then takes the learned one). */
void watch_sample(struct watch *w, const char *agent, const char *store,
		  const struct sw_sample *s, int64_t now);
/* The silence check over every store at now. */
void watch_tick(struct watch *w, int64_t now);
/* Saves every state changed since the last save, in transactions of
 * WATCH_SAVE_CHUNK stores (the timer writes one chunk per loop turn). */
int watch_save(struct watch *w, int64_t now);

/* The store's state; NULL if unknown (and !create, or out of memory). */
struct watch_store *watch_get(struct watch *w, const char *agent, const char *store,
			      bool create);
struct ledger_explain;
/* A ledger explanation as the detector takes it (NULL allowances: -1). */
void watch_explain_to_detect(const struct ledger_explain *e, struct detect_explain *d);
/* Tells ws its agent's announced interval (HELLO, or the RRD step of a store
 * known from disk); the detector uses it unless one is configured. */
void watch_set_interval(struct watch_store *ws, uint32_t interval);
/* Hands events of ws to the alert lifecycle. */
void watch_events(struct watch *w, struct watch_store *ws, const struct detect_event *ev,
		  int n, int64_t explanation_id, int64_t now);

#endif
