/*
 * jsonparse.h - a strict, bounded JSON parser for requests and responses.
 *
 * The collector's control socket reads requests from local users, so its
 * parser must reject anything malformed instead of guessing, and must never
 * allocate or recurse without bound.  jsonparse() tokenizes a complete JSON
 * text into a caller-provided token array (no allocation); values are then
 * looked up by key and converted on demand.  Strings are validated as UTF-8
 * (overlong forms, surrogates and control characters are rejected) and
 * unescaped only when read, into a caller-provided buffer.
 */
#ifndef SHRINKWATCH_JSONPARSE_H
#define SHRINKWATCH_JSONPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONPARSE_MAX_DEPTH 16

enum jsonparse_type {
	JSONPARSE_NULL = 0,
	JSONPARSE_BOOL,
	JSONPARSE_NUMBER,
	JSONPARSE_STRING,
	JSONPARSE_ARRAY,
	JSONPARSE_OBJECT,
};

/*
 * One token.  [start, end) is the value's text (a string's without the
 * quotes); next is the index of the token after this value's whole subtree,
 * so siblings are walked with i = toks[i].next; size is the number of members
 * of an object (key/value pairs) or elements of an array.  In an object, a
 * member is a STRING token (the key) followed by its value.
 */
struct jsonparse_tok {
	uint8_t type;
	uint32_t start, end;
	uint32_t next;
	uint32_t size;
};

/*
 * Parses the whole of s[0..len) as one JSON value (surrounding whitespace
 * allowed, nothing else).  Returns the number of tokens used (token 0 is the
 * top value), -EINVAL on malformed input or nesting deeper than
 * JSONPARSE_MAX_DEPTH, -ENOBUFS when more than max tokens are needed.
 */
int jsonparse(const char *s, size_t len, struct jsonparse_tok *toks, size_t max);

/* The value of member key in object token obj, as a token index; -ENOENT if
 * absent, -EINVAL if obj is not an object. */
int jsonparse_get(const char *s, const struct jsonparse_tok *toks, int obj, const char *key);

/*
 * Copies string token t, unescaped, NUL-terminated, into out.  -EINVAL if t
 * is not a string or holds a NUL (\u0000), -ENOBUFS if it does not fit.
 */
int jsonparse_str(const char *s, const struct jsonparse_tok *t, char *out, size_t outlen);
/* An integral number token (no fraction or exponent) within int64_t. */
int jsonparse_i64(const char *s, const struct jsonparse_tok *t, int64_t *out);
/* Any number token as a double. */
int jsonparse_double(const char *s, const struct jsonparse_tok *t, double *out);
int jsonparse_bool(const char *s, const struct jsonparse_tok *t, bool *out);

/* Convenience lookups on object obj: 0, -ENOENT if the key is absent or
 * null, -EINVAL on a wrong type, -ENOBUFS for a string too long. */
int jsonparse_get_str(const char *s, const struct jsonparse_tok *toks, int obj, const char *key,
		      char *out, size_t outlen);
int jsonparse_get_i64(const char *s, const struct jsonparse_tok *toks, int obj, const char *key,
		      int64_t *out);
int jsonparse_get_double(const char *s, const struct jsonparse_tok *toks, int obj,
			 const char *key, double *out);
int jsonparse_get_bool(const char *s, const struct jsonparse_tok *toks, int obj, const char *key,
		       bool *out);

#endif
