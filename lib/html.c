/* html.c - escaping HTML writer (see html.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shrinkwatch/html.h"
#include "shrinkwatch/banned.h"

/* Length of the valid UTF-8 sequence of at most avail bytes at p (2..4), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0; /* overlong forms, surrogates, beyond U+10FFFF */
	return n;
}

int html_put_text_n(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	int err = 0;

	while (!err && p < end) {
		const char *rep = NULL;
		size_t n;

		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			break;
		}
		if (rep) {
			err = buf_append(b, rep, strlen(rep));
			p++;
			continue;
		}
		if (*p < 0x80) {
			if (*p >= 0x20 && *p != 0x7f)
				err = buf_append(b, p, 1);
			else if (*p == '\t' || *p == '\n')
				err = buf_append(b, p, 1);
			p++; /* other control characters are dropped */
			continue;
		}
		n = utf8_seq(p, (size_t)(end - p));
		if (n) {
			err = buf_append(b, p, n);
			p += n;
		} else {
			err = buf_append(b, "\xef\xbf\xbd", 3); /* U+FFFD */
			p++;
		}
	}
	return err;
}

int html_put_text(struct buf *b, const char *s)
{
	return html_put_text_n(b, s ? s : "", s ? strlen(s) : 0);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof small)
		return buf_append(b, small, (size_t)n);
	err = buf_reserve(b, (size_t)n + 1);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
