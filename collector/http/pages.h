/*
 * pages.h - the dashboard's pages: overview, store, alert.
 *
 * Each reads what it shows from site (site.h: the board, the ledger in its
 * data_dir, the graphs), fills b with a complete HTML document and returns 0,
 * -ENOENT for a store or alert the collector does not know (404), or another
 * negative errno (500).  Called on the HTTP threads by server.c's dispatch.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_PAGES_H
#define SHRINKWATCH_COLLECTOR_HTTP_PAGES_H

#include "site.h"
#include "route.h"
#include "shrinkwatch/buf.h"

int http_page_overview(struct http_site *site, struct buf *b);
int http_page_store(struct http_site *site, const struct http_route *r, struct buf *b);
int http_page_alert(struct http_site *site, int64_t id, struct buf *b);
/* A graph image (PNG, or SVG if r->svg) with the ledger's marks, from the
 * cache when fresh (graph_serve.c). */
int http_graph(struct http_site *site, const struct http_route *r, struct buf *b);

#endif
