/*
 * names.h - validation of names that come from configs or the network.
 *
 * Agent and store names end up in file paths (data_dir/rrd/<agent>/<store>.rrd),
 * URLs and HTML, so they are restricted to [A-Za-z0-9._-], at most
 * SW_NAME_MAX bytes, and may not start with '.' (no ".", "..", hidden files).
 */
#ifndef SHRINKWATCH_NAMES_H
#define SHRINKWATCH_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "shrinkwatch/sample.h"

bool name_valid(const char *s);
/* Same check for a counted string that need not be NUL-terminated. */
bool name_valid_n(const char *s, size_t n);

/* Copies untrusted text for a log line or an error message: bytes outside
 * printable ASCII become '?', so a name cannot forge log lines or emit
 * terminal escapes.  out gets at most outlen - 1 bytes and a NUL. */
void name_printable(const char *in, char *out, size_t outlen);

/*
 * A store's one key, "AGENT/STORE": the key of every per-store map of the
 * collector (the board, the detector states, the HTTP server's caches) and
 * the name operators write in configs ([store AGENT/STORE]).  Built in one
 * place so the maps cannot disagree on its spelling or its size.
 */
#define STORE_KEY_MAX (2 * SW_NAME_MAX + 2)
struct store_key {
	char s[STORE_KEY_MAX];
};

/* Fills k from two names and returns k->s.  A name longer than SW_NAME_MAX
 * (never valid, so never a key of a map) is cut at SW_NAME_MAX bytes. */
const char *store_key(struct store_key *k, const char *agent, const char *store);

#endif
