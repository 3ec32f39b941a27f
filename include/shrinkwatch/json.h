/*
 * json.h - writing JSON into a capped buffer.
 *
 * Names and texts in shrinkwatch come from the network (agent and store names
 * are validated, but error texts and reasons are free text), so every string
 * goes through json_put_str(), which escapes quotes, backslashes, control
 * characters and the HTML-sensitive '<', '>', '&' (so JSON can be embedded in a
 * page safely).  Invalid UTF-8 bytes are replaced by U+FFFD.
 */
#ifndef SHRINKWATCH_JSON_H
#define SHRINKWATCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/buf.h"

/* Appends s as a quoted, escaped JSON string. */
int json_put_str(struct buf *b, const char *s);
/* Whether s is valid UTF-8 throughout: when it is not, json_put_str() is
 * lossy (U+FFFD), and a writer that must keep the exact bytes (a file name
 * in a loss inventory) adds them with json_put_hex() beside it. */
bool json_valid_utf8(const char *s);
/* Length (1..4) of the valid UTF-8 sequence at p (NUL-terminated), 0 when
 * the bytes there are not valid UTF-8. */
size_t json_utf8_char(const char *p);
/* Appends s's bytes as a quoted string of lowercase hex digits. */
int json_put_hex(struct buf *b, const char *s);
/* Appends "key": (key must be a literal-safe identifier; it is escaped anyway). */
int json_put_key(struct buf *b, const char *key);
int json_put_u64(struct buf *b, uint64_t v);
int json_put_i64(struct buf *b, int64_t v);
/* Finite doubles with up to 6 significant decimals; NaN/inf become null. */
int json_put_double(struct buf *b, double v);
/* Appends a raw literal such as "{", "}", ",", "true", "null". */
int json_put_raw(struct buf *b, const char *lit);

#endif
