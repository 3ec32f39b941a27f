/*
 * state.h - what the agent must remember across restarts.
 *
 * The sequence number (DESIGN.md: per-agent, monotonic, survives restarts) and,
 * per store, when its previous scan started (so added_* stays meaningful after
 * a restart instead of being unknown for one interval).  Stored as a small
 * text file, state_dir/agent.state, replaced atomically (write, fsync, rename,
 * fsync the directory) so a crash leaves either the old or the new state.
 */
#ifndef SHRINKWATCH_AGENT_STATE_H
#define SHRINKWATCH_AGENT_STATE_H

#include <stdint.h>
#include <time.h>

#include "shrinkwatch/sample.h"

#define AGENT_STATE_MAX_STORES 256

struct agent_state_store {
	char name[SW_NAME_MAX + 1];
	struct timespec last_start; /* {0,0}: never scanned */
};

struct agent_state {
	uint64_t seq; /* last sequence number handed out */
	struct agent_state_store stores[AGENT_STATE_MAX_STORES];
	unsigned nstores;
};

/* Reads state_dir/agent.state.  A missing file is a fresh start (returns 0
 * with an empty state); a malformed one is -EBADMSG (the caller refuses to
 * start rather than reuse sequence numbers). */
int agent_state_load(const char *state_dir, struct agent_state *st);
/* Writes it atomically.  0 or a negative errno. */
int agent_state_save(const char *state_dir, const struct agent_state *st);

/* The entry for a store, created if absent (NULL if the table is full). */
struct agent_state_store *agent_state_store(struct agent_state *st, const char *name);

#endif
