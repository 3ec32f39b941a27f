/*
 * metrics.h - /metrics in the Prometheus text exposition format
 * (version 0.0.4), for sites that keep fleet-wide history in Prometheus.
 *
 * Formatting is a pure function of a snapshot so that it can be tested and
 * checked with `promtool check metrics`: every family has HELP and TYPE,
 * counters end in _total, units are base units (bytes, seconds), label values
 * are escaped (backslash, quote, newline).
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_METRICS_H
#define SHRINKWATCH_COLLECTOR_HTTP_METRICS_H

#include <stdint.h>

#include "site.h"
#include "view.h"
#include "shrinkwatch/buf.h"

struct metrics_collector {
	struct http_stats stats;
	uint64_t agents_known;
	int64_t outbox_rows; /* -1: no ledger (the family is left out) */
	uint64_t http_requests;
};

/* Writes the whole exposition for n stores and the collector's counters. */
int metrics_write(struct buf *b, const struct http_store_view *s, size_t n,
		  const struct metrics_collector *c);
/* Appends a label value with \\, \" and \n escaped. */
int metrics_put_label(struct buf *b, const char *v);

/* Gathers the snapshot and writes it (the /metrics handler). */
int http_metrics(struct http_site *site, struct buf *b);

#endif
