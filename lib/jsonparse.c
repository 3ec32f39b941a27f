/*
 * jsonparse.c - strict, bounded JSON tokenizer (see jsonparse.h).
 *
 * Recursive descent with an explicit depth limit, so stack use is bounded;
 * every token goes into the caller's array, so memory use is bounded.  The
 * grammar is RFC 8259 without extensions: no comments, no trailing commas, no
 * leading zeros, no NaN, no raw control characters in strings.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/jsonparse.h"
#include "shrinkwatch/banned.h"

struct parser {
	const char *s;
	size_t len, pos;
	struct jsonparse_tok *toks;
	size_t max, n;
};

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int new_tok(struct parser *p, uint8_t type, int *idx)
{
	if (p->n >= p->max)
		return -ENOBUFS;
	if (p->len > UINT32_MAX)
		return -EINVAL;
	memset(&p->toks[p->n], 0, sizeof p->toks[p->n]);
	p->toks[p->n].type = type;
	p->toks[p->n].start = (uint32_t)p->pos;
	*idx = (int)p->n++;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex4(const char *s, size_t avail, unsigned *out)
{
	unsigned v = 0;

	if (avail < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -EINVAL;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0], cp;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Validates a string starting after its opening quote; leaves pos after the
 * closing quote. */
static int scan_string(struct parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			return 0;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			unsigned u, lo;
			if (++p->pos >= p->len)
				return -EINVAL;
			switch (p->s[p->pos]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p->pos++;
				continue;
			case 'u':
				if (hex4(p->s + p->pos + 1, p->len - p->pos - 1, &u))
					return -EINVAL;
				p->pos += 5;
				if (u >= 0xdc00 && u <= 0xdfff)
					return -EINVAL;
				if (u >= 0xd800 && u <= 0xdbff) {
					if (p->len - p->pos < 6 || p->s[p->pos] != '\\' ||
					    p->s[p->pos + 1] != 'u' ||
					    hex4(p->s + p->pos + 2, p->len - p->pos - 2, &lo) ||
					    lo < 0xdc00 || lo > 0xdfff)
						return -EINVAL;
					p->pos += 6;
				}
				continue;
			default:
				return -EINVAL;
			}
		}
		size_t n = utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
		if (!n)
			return -EINVAL;
		p->pos += n;
	}
	return -EINVAL;
}

/* Consumes a run of decimal digits; returns how many. */
static size_t digits(struct parser *p)
{
	size_t n = 0;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
		p->pos++;
		n++;
	}
	return n;
}

static int scan_number(struct parser *p)
{

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len)
		return -EINVAL;
	if (p->s[p->pos] == '0') {
		p->pos++;
	} else if (p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
		digits(p);
	} else {
		return -EINVAL;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p))
			return -EINVAL;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return -EINVAL;
	}
	return 0;
}

static int literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return -EINVAL;
	p->pos += n;
	return 0;
}

static int parse_value(struct parser *p, int depth);

static int parse_container(struct parser *p, int depth, int idx, char close)
{
	int err, k;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (close == '}') {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return -EINVAL;
			if ((err = new_tok(p, JSONPARSE_STRING, &k)))
				return err;
			p->pos++;
			p->toks[k].start = (uint32_t)p->pos;
			if ((err = scan_string(p)))
				return err;
			p->toks[k].end = (uint32_t)(p->pos - 1);
			p->toks[k].next = (uint32_t)p->n;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return -EINVAL;
			p->pos++;
		}
		if ((err = parse_value(p, depth + 1)))
			return err;
		p->toks[idx].size++;
		skip_ws(p);
		if (p->pos >= p->len)
			return -EINVAL;
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] != close)
			return -EINVAL;
		p->pos++;
		return 0;
	}
}

static int parse_value(struct parser *p, int depth)
{
	int idx, err;
	char c;

	skip_ws(p);
	if (p->pos >= p->len)
		return -EINVAL;
	c = p->s[p->pos];
	switch (c) {
	case '{':
	case '[':
		if (depth >= JSONPARSE_MAX_DEPTH)
			return -EINVAL; /* at most JSONPARSE_MAX_DEPTH nested containers */
		if ((err = new_tok(p, c == '{' ? JSONPARSE_OBJECT : JSONPARSE_ARRAY, &idx)))
			return err;
		err = parse_container(p, depth, idx, c == '{' ? '}' : ']');
		break;
	case '"':
		if ((err = new_tok(p, JSONPARSE_STRING, &idx)))
			return err;
		p->pos++;
		p->toks[idx].start = (uint32_t)p->pos;
		err = scan_string(p);
		if (!err) {
			p->toks[idx].end = (uint32_t)(p->pos - 1);
			p->toks[idx].next = (uint32_t)p->n;
		}
		return err;
	case 't':
	case 'f':
		if ((err = new_tok(p, JSONPARSE_BOOL, &idx)))
			return err;
		err = literal(p, c == 't' ? "true" : "false");
		break;
	case 'n':
		if ((err = new_tok(p, JSONPARSE_NULL, &idx)))
			return err;
		err = literal(p, "null");
		break;
	default:
		if ((err = new_tok(p, JSONPARSE_NUMBER, &idx)))
			return err;
		err = scan_number(p);
		break;
	}
	if (err)
		return err;
	p->toks[idx].end = (uint32_t)p->pos;
	p->toks[idx].next = (uint32_t)p->n;
	return 0;
}

int jsonparse(const char *s, size_t len, struct jsonparse_tok *toks, size_t max)
{
	struct parser p = { .s = s, .len = len, .toks = toks, .max = max };
	int err;

	if (len > UINT32_MAX || max > INT32_MAX)
		return -EINVAL;
	err = parse_value(&p, 0);
	if (err)
		return err;
	skip_ws(&p);
	if (p.pos != len)
		return -EINVAL;
	return (int)p.n;
}

/* Compares a raw (escaped) string token with key; keys we look up are plain
 * ASCII, so an escaped key simply never matches. */
static bool key_is(const char *s, const struct jsonparse_tok *t, const char *key)
{
	size_t n = strlen(key);

	return t->end - t->start == n && memcmp(s + t->start, key, n) == 0;
}

int jsonparse_get(const char *s, const struct jsonparse_tok *toks, int obj, const char *key)
{
	uint32_t i, m;

	if (toks[obj].type != JSONPARSE_OBJECT)
		return -EINVAL;
	i = (uint32_t)obj + 1;
	for (m = 0; m < toks[obj].size; m++) {
		if (key_is(s, &toks[i], key))
			return (int)i + 1;
		i = toks[i + 1].next;
	}
	return -ENOENT;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int jsonparse_str(const char *s, const struct jsonparse_tok *t, char *out, size_t outlen)
{
	size_t i = t->start, o = 0;
	char tmp[4];

	if (t->type != JSONPARSE_STRING || !outlen)
		return -EINVAL;
	while (i < t->end) {
		size_t n = 1;
		if (s[i] != '\\') {
			tmp[0] = s[i++];
		} else {
			char e = s[i + 1];
			unsigned cp, lo;
			i += 2;
			switch (e) {
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u':
				/* validated by the tokenizer */
				if (hex4(s + i, t->end - i, &cp))
					return -EINVAL;
				i += 4;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (hex4(s + i + 2, t->end - i - 2, &lo))
						return -EINVAL;
					i += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0)
					return -EINVAL;
				n = put_utf8(tmp, cp);
				break;
			default: tmp[0] = e; break;
			}
		}
		if (o + n >= outlen)
			return -ENOBUFS;
		memcpy(out + o, tmp, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

int jsonparse_i64(const char *s, const struct jsonparse_tok *t, int64_t *out)
{
	char buf[32], *end;
	size_t n = t->end - t->start;
	long long v;

	if (t->type != JSONPARSE_NUMBER || n >= sizeof buf)
		return -EINVAL;
	memcpy(buf, s + t->start, n);
	buf[n] = '\0';
	if (strpbrk(buf, ".eE"))
		return -EINVAL;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end)
		return -ERANGE;
	*out = v;
	return 0;
}

int jsonparse_double(const char *s, const struct jsonparse_tok *t, double *out)
{
	char buf[64], *end;
	size_t n = t->end - t->start;
	double v;

	if (t->type != JSONPARSE_NUMBER || n >= sizeof buf)
		return -EINVAL;
	memcpy(buf, s + t->start, n);
	buf[n] = '\0';
	v = strtod(buf, &end);
	if (*end || !isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

int jsonparse_bool(const char *s, const struct jsonparse_tok *t, bool *out)
{
	if (t->type != JSONPARSE_BOOL)
		return -EINVAL;
	*out = s[t->start] == 't';
	return 0;
}

/* The member's token, or -ENOENT when absent or null. */
static int member(const char *s, const struct jsonparse_tok *toks, int obj, const char *key)
{
	int i = jsonparse_get(s, toks, obj, key);

	if (i >= 0 && toks[i].type == JSONPARSE_NULL)
		return -ENOENT;
	return i;
}

int jsonparse_get_str(const char *s, const struct jsonparse_tok *toks, int obj, const char *key,
		      char *out, size_t outlen)
{
	int i = member(s, toks, obj, key);

	return i < 0 ? i : jsonparse_str(s, &toks[i], out, outlen);
}

int jsonparse_get_i64(const char *s, const struct jsonparse_tok *toks, int obj, const char *key,
		      int64_t *out)
{
	int i = member(s, toks, obj, key);

	return i < 0 ? i : jsonparse_i64(s, &toks[i], out);
}

int jsonparse_get_double(const char *s, const struct jsonparse_tok *toks, int obj,
			 const char *key, double *out)
{
	int i = member(s, toks, obj, key);

	return i < 0 ? i : jsonparse_double(s, &toks[i], out);
}

int jsonparse_get_bool(const char *s, const struct jsonparse_tok *toks, int obj, const char *key,
		       bool *out)
{
	int i = member(s, toks, obj, key);

	return i < 0 ? i : jsonparse_bool(s, &toks[i], out);
}
