/*
 * view.h - what the pages, the API and /metrics show about stores: the
 * board's live status merged with the ledger's open alerts.
 *
 * The board learns about alerts from the alert lifecycle on the loop thread;
 * the ledger is where alerts are kept.  A store counts as alerting if either
 * says so, so the dashboard never shows "ok" for a store with an open alert in
 * the ledger (for example right after a restart, before the lifecycle has
 * told the board).
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_VIEW_H
#define SHRINKWATCH_COLLECTOR_HTTP_VIEW_H

#include "collector/store/board.h"
#include "site.h"
#include "collector/ledger/read.h"

struct http_store_view {
	struct board_entry e;
	enum board_state state;
	unsigned open_alerts;
	char worst_kind[24];
	struct http_delta delta;
	bool have_change24;
	double change24_bytes, change24_objects; /* now minus 24 hours ago */
};

/*
 * Every store, open alerts first, then by agent and store.  lv (may be NULL
 * or closed) supplies open alerts; with_change24 reads each store's RRD for
 * the value 24 hours ago.  *out is malloc'ed (caller frees); returns the
 * count or a negative errno.
 */
long http_view_stores(struct http_site *site, struct ledgerview *lv, bool with_change24,
		      struct http_store_view **out);
/* One store: 0, or -ENOENT if the collector knows no such store. */
int http_view_store(struct http_site *site, struct ledgerview *lv, const char *agent,
		    const char *store, struct http_store_view *out);

/* Applies the open alerts in a (n entries, any order) to the views. */
void http_view_merge_alerts(struct http_store_view *v, size_t nv,
			    const struct ledger_alert *a, size_t na);

#endif
