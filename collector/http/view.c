/* view.c - store status for the web interface (see view.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "view.h"
#include "shrinkwatch/banned.h"

static int severity_rank(const char *s)
{
	if (!strcmp(s, "critical"))
		return 3;
	if (!strcmp(s, "warning"))
		return 2;
	return 1;
}

void http_view_merge_alerts(struct http_store_view *v, size_t nv,
			    const struct ledger_alert *a, size_t na)
{
	for (size_t i = 0; i < nv; i++) {
		unsigned n = 0;
		int best = 0;
		const char *kind = NULL;

		for (size_t j = 0; j < na; j++) {
			if (a[j].closed_at || strcmp(a[j].agent, v[i].e.agent) ||
			    strcmp(a[j].store, v[i].e.store))
				continue;
			n++;
			if (severity_rank(a[j].severity) > best) {
				best = severity_rank(a[j].severity);
				kind = a[j].kind;
			}
		}
		if (n > v[i].open_alerts) {
			v[i].open_alerts = n;
			snprintf(v[i].worst_kind, sizeof v[i].worst_kind, "%s", kind);
		}
		if (v[i].open_alerts)
			v[i].state = BOARD_ALERT;
	}
}

/* The change over about 24 hours up to the last sample: the reference comes
 * from the RRD through the cache (change24.h). */
static void change24(struct http_site *site, struct http_store_view *v)
{
	double b, o;

	if (!v->e.have_last || v->e.last.status != SW_SCAN_COMPLETE)
		return;
	if (change24_lookup(&site->change24, site->data_dir, v->e.agent, v->e.store,
			    v->e.last.time, (int64_t)time(NULL), &b, &o))
		return;
	v->have_change24 = true;
	v->change24_bytes = (double)v->e.last.bytes - b;
	v->change24_objects = (double)v->e.last.objects - o;
}

static void fill(struct http_site *site, struct http_store_view *v,
		 const struct board_entry *e)
{
	memset(v, 0, sizeof *v);
	v->e = *e;
	v->state = board_entry_state(e);
	v->open_alerts = e->open_alerts;
	snprintf(v->worst_kind, sizeof v->worst_kind, "%s", e->worst_kind);
	http_site_delta(site, e->agent, e->store, &v->delta);
}

static void merge_ledger(struct ledgerview *lv, struct http_store_view *v, size_t n,
			 const char *agent, const char *store)
{
	struct ledger_alert *a = NULL;
	size_t na = 0;

	if (!lv || !ledgerview_is_open(lv))
		return;
	if (!ledgerview_alerts(lv, agent, store, true, LEDGERVIEW_MAX_ROWS, &a, &na))
		http_view_merge_alerts(v, n, a, na);
	free(a);
}

static int by_alert_then_name(const void *pa, const void *pb)
{
	const struct http_store_view *a = pa, *b = pb;
	int r;

	if ((a->open_alerts > 0) != (b->open_alerts > 0))
		return a->open_alerts > 0 ? -1 : 1;
	r = strcmp(a->e.agent, b->e.agent);
	return r ? r : strcmp(a->e.store, b->e.store);
}

long http_view_stores(struct http_site *site, struct ledgerview *lv, bool with_change24,
		      struct http_store_view **out)
{
	struct board_entry *all = NULL;
	struct http_store_view *v;
	long n = board_snapshot(site->board, &all);

	if (n < 0)
		return n;
	v = calloc(n ? (size_t)n : 1, sizeof *v);
	if (!v) {
		free(all);
		return -ENOMEM;
	}
	for (long i = 0; i < n; i++) {
		fill(site, &v[i], &all[i]);
		if (with_change24)
			change24(site, &v[i]);
	}
	free(all);
	merge_ledger(lv, v, (size_t)n, NULL, NULL);
	qsort(v, (size_t)n, sizeof *v, by_alert_then_name);
	*out = v;
	return n;
}

int http_view_store(struct http_site *site, struct ledgerview *lv, const char *agent,
		    const char *store, struct http_store_view *out)
{
	struct board_entry e;

	if (board_get(site->board, agent, store, &e))
		return -ENOENT;
	fill(site, out, &e);
	change24(site, out);
	merge_ledger(lv, out, 1, agent, store);
	return 0;
}
