/*
 * pages.h - the dashboard's pages: overview, store, alert.
 *
 * Each fills b with a complete HTML document and returns 0, -ENOENT for a
 * store or alert the collector does not know (404), or another negative
 * errno (500).
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_PAGES_H
#define SHRINKWATCH_COLLECTOR_HTTP_PAGES_H

#include "server.h"
#include "route.h"
#include "shrinkwatch/buf.h"

int http_page_overview(struct http_server *h, struct buf *b);
int http_page_store(struct http_server *h, const struct http_route *r, struct buf *b);
int http_page_alert(struct http_server *h, int64_t id, struct buf *b);
/* A graph image (PNG, or SVG if r->svg) with the ledger's marks, from the
 * cache when fresh (graph_serve.c). */
int http_graph(struct http_server *h, const struct http_route *r, struct buf *b);

#endif
