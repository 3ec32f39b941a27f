/*
 * inventory_page.h - an alert's loss inventory on the dashboard and in the API.
 *
 * Only an inventory an administrator fetched (`shrinkwatchctl lost`, audited
 * with its reason, collector/alerts/invrequest.h) is shown: the dashboard
 * is read-only and never asks an agent for names.  The alert page shows the
 * grouped view (directories by bytes, largest first) with a CSV download;
 * the API gives the request, the groups and the items in pages
 * (docs/api.md).  Names are escaped for HTML, JSON and CSV.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_INVENTORY_PAGE_H
#define SHRINKWATCH_COLLECTOR_HTTP_INVENTORY_PAGE_H

#include <stdint.h>

#include "shrinkwatch/buf.h"

struct http_site;
struct ledgerview;

/* Items per API page. */
#define HTTP_INVENTORY_PAGE 10000
/* Directories shown on the alert page. */
#define HTTP_INVENTORY_GROUPS 100

/* The alert page's "Loss inventory" section from lv (open): the latest
 * fetched inventory of alert id, or how to fetch one.  0 or -ENOBUFS. */
int http_inventory_section(struct ledgerview *lv, int64_t id, struct buf *b);
/* GET /api/v1/alerts/<id>/inventory[?offset=N]: 0, -ENOENT when the alert
 * has no fetched inventory, or another negative errno. */
int http_api_inventory(struct http_site *site, int64_t id, uint64_t offset, struct buf *b);
/* GET /alert/<id>/inventory.csv: every item, as much as the response can
 * hold (the last row says where the rest is when it cannot). */
int http_inventory_csv(struct http_site *site, int64_t id, struct buf *b);

#endif
