/*
 * api.h - the JSON API under /api/v1 (docs/api.md).
 *
 * Every string goes through json_put_str() (quotes, control characters and
 * '<', '>', '&' escaped).  Each function reads from site (site.h), fills b
 * and returns 0, -ENOENT for an unknown store (404), or another negative
 * errno (500).  Called on the HTTP threads by server.c's dispatch.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_API_H
#define SHRINKWATCH_COLLECTOR_HTTP_API_H

#include "site.h"
#include "route.h"
#include "shrinkwatch/buf.h"

int http_api_stores(struct http_site *site, struct buf *b);
int http_api_store(struct http_site *site, const struct http_route *r, struct buf *b);
int http_api_alerts(struct http_site *site, const struct http_route *r, struct buf *b);
int http_api_explanations(struct http_site *site, struct buf *b);

#endif
