/*
 * html.h - writing HTML (and other text) into a capped buffer.
 *
 * Agent and store names are validated, but alert summaries, reasons, error
 * texts and operator comments are free text that reaches the dashboard from
 * the network and the ledger.  Every such string goes through html_put_text(),
 * which escapes the five HTML-significant characters (so it is safe in element
 * content and in quoted attribute values alike), drops control characters
 * other than tab and newline, and replaces invalid UTF-8 with U+FFFD so a
 * browser never has to guess an encoding.
 */
#ifndef SHRINKWATCH_HTML_H
#define SHRINKWATCH_HTML_H

#include <stddef.h>

#include "shrinkwatch/buf.h"

/* Appends s, escaped for HTML content or a quoted attribute.  0 or a
 * negative errno (-ENOBUFS past the buffer's cap). */
int html_put_text(struct buf *b, const char *s);
/* Same for the first n bytes of s (s need not be NUL-terminated). */
int html_put_text_n(struct buf *b, const char *s, size_t n);

/*
 * Appends printf-formatted text as it is: for markup and numbers only, never
 * for a string from outside (use html_put_text() for those).  0 or a negative
 * errno.
 */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
