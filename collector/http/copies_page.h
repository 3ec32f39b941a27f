/*
 * copies_page.h - the copy relations on the dashboard and in the API.
 *
 * What the last comparison of each [copy NAME] found, read from the ledger
 * (collector/ledger/copyrel.h, the `copies` table) through the read-only
 * view: /copies shows every relation with its state and the two ends' file
 * and byte totals side by side, /api/v1/copies gives the same as JSON
 * (docs/api.md), and each store's page links to the relations it is an end
 * of.  Counts only: the dashboard never asks an agent for names (that is
 * `shrinkwatchctl copy-check`, audited).  Names are escaped for HTML and
 * JSON.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_COPIES_PAGE_H
#define SHRINKWATCH_COLLECTOR_HTTP_COPIES_PAGE_H

#include "shrinkwatch/buf.h"

struct http_site;
struct ledgerview;

/* GET /copies.  0 or a negative errno. */
int http_page_copies(struct http_site *site, struct buf *b);
struct http_route;

/* GET /copies/<name>.png?range=: the relation's graph (source and
 * destination files side by side, the missing count) from its RRD
 * (collector/store/rrdcopies.h).  0, -ENOENT (no such file yet), or a
 * negative errno. */
int http_copy_graph(struct http_site *site, const struct http_route *r, struct buf *b);
/* GET /api/v1/copies: {"copies":[relation...]}.  0 or a negative errno. */
int http_api_copies(struct http_site *site, struct buf *b);
/* The store page's "Copies" section (heading included, nothing when the
 * store is no end of a copy): links to the relations agent/store is the
 * source or the destination of.  0 or -ENOBUFS. */
int http_store_copies_section(struct ledgerview *lv, const char *agent, const char *store,
			      struct buf *b);

#endif
