/*
 * api.h - the JSON API under /api/v1 (docs/api.md).
 *
 * Every string goes through json_put_str() (quotes, control characters and
 * '<', '>', '&' escaped).  Each function fills b and returns 0, -ENOENT for
 * an unknown store (404), or another negative errno (500).
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_API_H
#define SHRINKWATCH_COLLECTOR_HTTP_API_H

#include "server.h"
#include "route.h"
#include "shrinkwatch/buf.h"

int http_api_stores(struct http_server *h, struct buf *b);
int http_api_store(struct http_server *h, const struct http_route *r, struct buf *b);
int http_api_alerts(struct http_server *h, const struct http_route *r, struct buf *b);
int http_api_explanations(struct http_server *h, struct buf *b);

#endif
