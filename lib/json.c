/* json.c - escaping JSON writer (see json.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "shrinkwatch/json.h"
#include "shrinkwatch/banned.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f))
			return 0; /* overlong, surrogates */
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

int json_put_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int err = buf_put_u8(b, '"');

	while (!err && *p) {
		char esc[8];
		size_t n;

		switch (*p) {
		case '"':
			err = buf_append(b, "\\\"", 2);
			p++;
			continue;
		case '\\':
			err = buf_append(b, "\\\\", 2);
			p++;
			continue;
		case '\n':
			err = buf_append(b, "\\n", 2);
			p++;
			continue;
		case '\t':
			err = buf_append(b, "\\t", 2);
			p++;
			continue;
		case '<':
		case '>':
		case '&':
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			err = buf_append(b, esc, 6);
			p++;
			continue;
		default:
			break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			err = buf_append(b, esc, 6);
			p++;
			continue;
		}
		n = utf8_len(p);
		if (n == 0) {
			err = buf_append(b, "\\ufffd", 6);
			p++;
			continue;
		}
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			/* a C1 control (U+0080-U+009F): escaped like C0, so that
			 * JSON printed on a terminal cannot drive it */
			snprintf(esc, sizeof esc, "\\u%04x", p[1]);
			err = buf_append(b, esc, 6);
			p += n;
			continue;
		}
		err = buf_append(b, p, n);
		p += n;
	}
	return err ? err : buf_put_u8(b, '"');
}

size_t json_utf8_char(const char *p)
{
	return utf8_len((const unsigned char *)p);
}

bool json_valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (!n)
			return false;
		p += n;
	}
	return true;
}

int json_put_hex(struct buf *b, const char *s)
{
	static const char digits[] = "0123456789abcdef";
	int err = buf_put_u8(b, '"');

	for (const unsigned char *p = (const unsigned char *)s; !err && *p; p++) {
		char two[2] = { digits[*p >> 4], digits[*p & 15] };

		err = buf_append(b, two, 2);
	}
	return err ? err : buf_put_u8(b, '"');
}

int json_put_key(struct buf *b, const char *key)
{
	int err = json_put_str(b, key);
	return err ? err : buf_put_u8(b, ':');
}

int json_put_u64(struct buf *b, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v);
	return buf_append(b, tmp, (size_t)n);
}

int json_put_i64(struct buf *b, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);
	return buf_append(b, tmp, (size_t)n);
}

int json_put_double(struct buf *b, double v)
{
	char tmp[40];
	int n;

	if (!isfinite(v))
		return json_put_raw(b, "null");
	n = snprintf(tmp, sizeof tmp, "%.6g", v);
	return buf_append(b, tmp, (size_t)n);
}

int json_put_raw(struct buf *b, const char *lit)
{
	return buf_append(b, lit, strlen(lit));
}
