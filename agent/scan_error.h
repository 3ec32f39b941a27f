/*
 * scan_error.h - the words a sample carries about a scan error.
 *
 * A sample's first_error travels to the collector, and paths inside an
 * evidence store can hold names and dates of birth (a folder per case or per
 * person).  Paths stay on the evidence server unless an administrator asks
 * (docs/security.md), so first_error says what failed, how deep in the store
 * (the number of path components) and why (strerror) — never the path.  The
 * agent's own log line, which stays on the server, names the path.
 */
#ifndef SHRINKWATCH_AGENT_SCAN_ERROR_H
#define SHRINKWATCH_AGENT_SCAN_ERROR_H

#include <stddef.h>

/* The number of components of path (plen bytes, relative to the store's
 * root, "" for the root itself) plus one for name when name is not NULL:
 * 0 is the store's root. */
unsigned scan_error_depth(const char *path, size_t plen, const char *name);

/* Writes "cannot WHAT an entry at depth D: STRERROR (the path is in the
 * agent's log)" into out (len bytes, always terminated), or "cannot WHAT the
 * store's root: ..." at depth 0. */
void scan_error_text(char *out, size_t len, const char *what, unsigned depth, int err);

#endif
