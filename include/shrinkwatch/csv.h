/*
 * csv.h - writing CSV (RFC 4180) from hostile text.
 *
 * File names in a loss inventory come from the evidence server and may hold
 * anything but NUL: quotes, commas, newlines, invalid UTF-8, and text a
 * spreadsheet would run as a formula.  Every field goes through
 * csv_put_field(), so the file opens as data, whatever the names.
 */
#ifndef SHRINKWATCH_CSV_H
#define SHRINKWATCH_CSV_H

#include "shrinkwatch/buf.h"

/*
 * Appends s (NUL-terminated) as one quoted field: '"' doubled, invalid
 * UTF-8 bytes replaced by U+FFFD (the file stays UTF-8; the exact bytes are
 * in the JSON forms), and a field starting with = + - @ TAB or CR prefixed
 * with a quote (') so no spreadsheet evaluates it.  0 or -ENOBUFS.
 */
int csv_put_field(struct buf *b, const char *s);
/* Appends a number as a field (unquoted). */
int csv_put_i64(struct buf *b, int64_t v);

#endif
