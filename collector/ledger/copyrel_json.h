/*
 * copyrel_json.h - a copy relation's state as JSON, the one form the control
 * socket (shrinkwatchctl copies) and the HTTP API give (docs/control.md,
 * docs/api.md), so they cannot drift apart.  Names are hostile: escaped by
 * json_put_str().
 */
#ifndef SHRINKWATCH_COLLECTOR_LEDGER_COPYREL_JSON_H
#define SHRINKWATCH_COLLECTOR_LEDGER_COPYREL_JSON_H

#include "collector/ledger/copyrel.h"
#include "shrinkwatch/buf.h"

/* {"name","source","destination","state","missing","differs","lost","in_transit",
 *  "unknown_dirs","source_files","source_bytes","destination_files",
 *  "destination_bytes","since","checked_at","complete_at"}; 0 or -ENOMEM. */
int copyrel_rec_json(struct buf *b, const struct copyrel_rec *r);

#endif
