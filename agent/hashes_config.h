/*
 * hashes_config.h - the content hashes (hashes.h) the agent's configuration
 * asks for: one worker for every `hash_contents = yes` store, at [agent]'s
 * hash_rate, with its rehash_interval.  Separate from hashes.c so the
 * hashing itself knows nothing of the configuration file.
 */
#ifndef SHRINKWATCH_AGENT_HASHES_CONFIG_H
#define SHRINKWATCH_AGENT_HASHES_CONFIG_H

#include "config.h"
#include "hashes.h"

/* Opens the hashes under cfg->state_dir, adds every hash_contents store and
 * starts the worker.  0 and *out (NULL when no store asks for hashing;
 * caller frees with hashes_close()), or a negative errno (logged). */
int hashes_from_config(const struct agent_config *cfg, struct hashes **out);

#endif
