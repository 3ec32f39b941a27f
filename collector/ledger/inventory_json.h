/*
 * inventory_json.h - a loss inventory as JSON and CSV, the one shape the
 * control socket (shrinkwatchctl lost) and the HTTP API both give, so they
 * cannot drift apart (docs/api.md, docs/control.md).
 *
 * Paths and executables are hostile: JSON escapes them (json_put_str()),
 * and when one is not valid UTF-8 its exact bytes follow in hex
 * ("path_hex", "exe_hex"); CSV quotes every text field and neutralises
 * formulas (csv.h).
 */
#ifndef SHRINKWATCH_COLLECTOR_INVENTORY_JSON_H
#define SHRINKWATCH_COLLECTOR_INVENTORY_JSON_H

#include "collector/ledger/inventory.h"
#include "shrinkwatch/buf.h"

/* The request as one JSON object (id, agent, store, alert_id, from, to,
 * young_below, who, reason, requested_at, state, error, finished_at,
 * matched, truncated, kept, journal_dropped).  0 or -ENOBUFS. */
int inventory_rec_json(struct buf *b, const struct inventory_rec *r);
/* One item as a JSON object (size, path[, path_hex], dir[, dir_hex],
 * dir_items, dir_bytes, birth, removed_after, removed_before, pid, uid, exe[, exe_hex],
 * cut).  0 or -ENOBUFS. */
int inventory_item_json(struct buf *b, const struct inventory_item *it);
/* The CSV header line and one item as a CSV line (both end in CRLF). */
int inventory_csv_header(struct buf *b);
int inventory_item_csv(struct buf *b, const struct inventory_item *it);

#endif
