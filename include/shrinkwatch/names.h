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

bool name_valid(const char *s);
/* Same check for a counted string that need not be NUL-terminated. */
bool name_valid_n(const char *s, size_t n);

/* Copies untrusted text for a log line or an error message: bytes outside
 * printable ASCII become '?', so a name cannot forge log lines or emit
 * terminal escapes.  out gets at most outlen - 1 bytes and a NUL. */
void name_printable(const char *in, char *out, size_t outlen);

#endif
