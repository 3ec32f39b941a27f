/* termesc.c - escaping untrusted text for terminals (see termesc.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/termesc.h"
#include "shrinkwatch/banned.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* The escape of the C0 byte, DEL or backslash c into e. */
static void escape_byte(unsigned char c, char e[8])
{
	static const char bytes[] = "\a\b\t\n\v\f\r\x1b\\", names[] = "abtnvfre\\";

	for (size_t i = 0; i + 1 < sizeof bytes; i++) {
		if ((unsigned char)bytes[i] == c) {
			e[0] = '\\';
			e[1] = names[i];
			e[2] = '\0';
			return;
		}
	}
	snprintf(e, 8, "\\x%02x", c);
}

char *term_escape_n(const char *in, size_t len, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, safe = 0;

	if (outlen == 0)
		return out;
	while (i < len) {
		char e[8];
		const char *piece = e;
		size_t plen, step;
		uint32_t cp = 0;

		step = utf8_len(s + i, len - i, &cp);
		if (step == 0) {
			snprintf(e, sizeof e, "\\x%02x", s[i]);
			step = 1;
		} else if (cp < 0x20 || cp == 0x7f || cp == '\\') {
			escape_byte((unsigned char)cp, e);
		} else if (cp >= 0x80 && cp <= 0x9f) {
			snprintf(e, sizeof e, "\\u%04x", (unsigned)cp);
		} else {
			piece = (const char *)s + i;
		}
		plen = piece == e ? strlen(e) : step;
		if (o + plen + 1 > outlen) {
			/* cut after the last whole piece that leaves room for
			 * "...", never inside an escape or a UTF-8 sequence */
			if (outlen >= 4) {
				memcpy(out + safe, "...", 3);
				o = safe + 3;
			}
			break;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += step;
		if (o + 4 <= outlen)
			safe = o;
	}
	out[o] = '\0';
	return out;
}

char *term_escape(const char *in, char *out, size_t outlen)
{
	return term_escape_n(in, strlen(in), out, outlen);
}

int term_fputs(const char *s, FILE *f)
{
	size_t n = strlen(s), cap = TERM_ESCAPE_MAX(n);
	char *out = malloc(cap);
	int rc;

	if (!out)
		return fputs("(not shown: out of memory)", f);
	rc = fputs(term_escape_n(s, n, out, cap), f);
	free(out);
	return rc;
}
