/*
 * registry.h - the agents and stores the collector knows, in memory.
 *
 * Looked up on every frame, so O(1) by name.  Rebuilt at start-up from the
 * data directory (each agent's agent.seq and each store's RRD last update),
 * so that a restarted collector still knows every store -- including the
 * ones whose agent never comes back, which is exactly when the silence check
 * must fire.
 */
#ifndef SHRINKWATCH_COLLECTOR_REGISTRY_H
#define SHRINKWATCH_COLLECTOR_REGISTRY_H

#include <stdint.h>

#include "shrinkwatch/sample.h"
#include "shrinkwatch/strmap.h"

struct store_rec {
	char name[SW_NAME_MAX + 1];
	struct sw_sample last; /* last stored sample (seq 0: loaded from RRD) */
	int have_last;
	int64_t first_seen;    /* time of the first sample this run knows */
	uint64_t samples;      /* stored since start-up */
	void *user;            /* per-store state of other modules (detector) */
};

struct agent_rec {
	char name[SW_NAME_MAX + 1];
	char software[257];
	uint64_t instance_id;
	uint32_t interval;      /* seconds, from HELLO (or the RRD step at start-up) */
	uint64_t seq_accepted;  /* highest seq handed to the RRD writers */
	uint64_t seq_stored;    /* highest seq durably stored */
	int64_t last_seen;      /* wall clock of the last frame, 0 = never this run */
	struct strmap stores;   /* name -> struct store_rec * */
	uint64_t samples_stored, samples_dropped_old;
	uint32_t write_epoch;   /* RRD failure epoch, see struct rrd_batch */
};

struct registry {
	struct strmap agents; /* name -> struct agent_rec * */
};

void registry_init(struct registry *r);
/* Frees every agent and store record (not their user data). */
void registry_release(struct registry *r);
/* The agent named name, created (zeroed) if create; NULL if absent or on ENOMEM. */
struct agent_rec *registry_agent(struct registry *r, const char *name, int create);
struct store_rec *registry_store(struct agent_rec *a, const char *name, int create);
/*
 * Loads data_dir/rrd/<agent>/ for every valid agent directory.  Returns the
 * number of stores found or a negative errno; unreadable entries are logged
 * and skipped.
 */
int registry_load(struct registry *r, const char *data_dir);

#endif
