/*
 * page.h - the dashboard's common page frame and value formatting.
 *
 * Pages are complete HTML documents with their CSS inline: no external
 * asset, no JavaScript, so they work in a locked-down browser on an
 * evidence-handling network.  Every text that is not a literal of ours goes
 * through html_put_text().
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_PAGE_H
#define SHRINKWATCH_COLLECTOR_HTTP_PAGE_H

#include <stdint.h>

#include "collector/store/board.h"
#include "shrinkwatch/buf.h"

/* Opens the document: head, style, the navigation bar and an <h1>. */
int http_page_begin(struct buf *b, const char *title);
/* Closes the document. */
int http_page_end(struct buf *b);

/* "2026-11-23 00:45:59 UTC" (or "never" for 0) into out. */
void http_fmt_time(int64_t t, char *out, size_t outlen);
/* "42 s", "3 min", "5 h", "2 d" into out. */
void http_fmt_age(int64_t seconds, char *out, size_t outlen);
/* "+1,234" style count with sign when signed is set. */
void http_fmt_count(double v, int with_sign, char *out, size_t outlen);
/* <span class="st st-alert">alert</span> */
int http_put_state(struct buf *b, const char *state);
/* A notice paragraph (escaped text). */
int http_put_note(struct buf *b, const char *cls, const char *text);

#endif
