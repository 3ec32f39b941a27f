/*
 * pathcut.h - inventory_depth, the one rule for every path the agent sends.
 *
 * A site that may not ship full names sets inventory_depth = N in the
 * agent's configuration (shrinkwatch-agent.conf(5)): then no path leaves
 * the agent with more than its first N components, whatever the message
 * (a loss inventory's items in accounts.c, a copy-check's names in
 * digests.c).  Both apply the rule through this module, so it cannot drift
 * between them.  Depth 0 means no cut.
 */
#ifndef SHRINKWATCH_AGENT_PATHCUT_H
#define SHRINKWATCH_AGENT_PATHCUT_H

#include <stddef.h>

/* Cuts path (len bytes, relative to the store) to its first depth
 * components (0: not at all); returns the new length, len when the path is
 * short enough to go whole. */
size_t pathcut_cut(const char *path, size_t len, unsigned depth);

/* Whether the names of the entries directly in directory dir (len bytes,
 * relative to the store, "" = the root) may be sent under depth: an entry's
 * path has one component more than dir, so only when that stays within
 * depth (or depth is 0).  1 or 0. */
int pathcut_names_allowed(const char *dir, size_t len, unsigned depth);

#endif
