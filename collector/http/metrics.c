/* metrics.c - Prometheus text exposition (see metrics.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "collector/ledger/read.h"
#include "metrics.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/banned.h"

int metrics_put_label(struct buf *b, const char *v)
{
	int err = 0;

	for (; !err && *v; v++) {
		if (*v == '\\')
			err = buf_append(b, "\\\\", 2);
		else if (*v == '"')
			err = buf_append(b, "\\\"", 2);
		else if (*v == '\n')
			err = buf_append(b, "\\n", 2);
		else
			err = buf_append(b, v, 1);
	}
	return err;
}

static int family(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int store_labels(struct buf *b, const char *name, const struct http_store_view *s)
{
	int err = buf_printf(b, "%s{agent=\"", name);

	err = err ? err : metrics_put_label(b, s->e.agent);
	err = err ? err : buf_printf(b, "\",store=\"");
	err = err ? err : metrics_put_label(b, s->e.store);
	return err ? err : buf_printf(b, "\"");
}

enum store_metric {
	M_BYTES, M_OBJECTS, M_ADDED_BYTES, M_ADDED_OBJECTS, M_REMOVED_BYTES, M_REMOVED_OBJECTS,
	M_LAST, M_OPEN, M_COMPLETE, M_N
};

static const struct {
	const char *name, *help;
} store_metrics[M_N] = {
	{ "shrinkwatch_store_bytes", "Bytes in the store at the last complete scan." },
	{ "shrinkwatch_store_objects", "Objects in the store at the last complete scan." },
	{ "shrinkwatch_store_added_bytes", "Bytes created in the store's last interval." },
	{ "shrinkwatch_store_added_objects", "Objects created in the store's last interval." },
	{ "shrinkwatch_store_removed_bytes",
	  "Bytes removed in the last interval (previous + added - now)." },
	{ "shrinkwatch_store_removed_objects",
	  "Objects removed in the last interval (previous + added - now)." },
	{ "shrinkwatch_store_last_sample_timestamp_seconds",
	  "Unix time at which the store's last stored scan started." },
	{ "shrinkwatch_store_open_alerts", "Open alerts of the store." },
	{ "shrinkwatch_store_scan_complete", "1 if the last scan was complete, else 0." },
};

/* Whether metric m of s has a value, and the value. */
static bool store_value(const struct http_store_view *s, enum store_metric m, double *v)
{
	const struct sw_sample *x = &s->e.last;
	bool complete = s->e.have_last && x->status == SW_SCAN_COMPLETE;
	bool added = complete && (x->flags & SW_SAMPLE_HAS_ADDED);

	switch (m) {
	case M_BYTES:
		*v = (double)x->bytes;
		return complete;
	case M_OBJECTS:
		*v = (double)x->objects;
		return complete;
	case M_ADDED_BYTES:
		*v = (double)x->added_bytes;
		return added;
	case M_ADDED_OBJECTS:
		*v = (double)x->added_objects;
		return added;
	case M_REMOVED_BYTES:
		*v = s->delta.removed_bytes;
		return s->delta.have_removed;
	case M_REMOVED_OBJECTS:
		*v = s->delta.removed_objects;
		return s->delta.have_removed;
	case M_LAST:
		*v = (double)x->time;
		return s->e.have_last;
	case M_OPEN:
		*v = s->open_alerts;
		return true;
	case M_COMPLETE:
		*v = complete;
		return s->e.have_last;
	case M_N:
		break;
	}
	return false;
}

static int write_stores(struct buf *b, const struct http_store_view *s, size_t n)
{
	static const enum board_state states[] = { BOARD_OK, BOARD_UNCALIBRATED, BOARD_PARTIAL,
						   BOARD_SILENT, BOARD_ALERT };
	int err = 0;
	double v;

	for (unsigned m = 0; !err && m < M_N; m++) {
		err = family(b, store_metrics[m].name, "gauge", store_metrics[m].help);
		for (size_t i = 0; !err && i < n; i++) {
			if (!store_value(&s[i], (enum store_metric)m, &v))
				continue;
			err = store_labels(b, store_metrics[m].name, &s[i]);
			err = err ? err : buf_printf(b, "} %.17g\n", v);
		}
	}
	err = err ? err : family(b, "shrinkwatch_store_state", "gauge",
				 "1 for the store's dashboard state, 0 for the others.");
	for (size_t i = 0; !err && i < n; i++)
		for (unsigned k = 0; !err && k < sizeof states / sizeof states[0]; k++) {
			err = store_labels(b, "shrinkwatch_store_state", &s[i]);
			err = err ? err : buf_printf(b, ",state=\"%s\"} %d\n",
						     board_state_name(states[k]),
						     s[i].state == states[k]);
		}
	return err;
}

/* Object stores: what their listings cost (a counter since start-up) and,
 * for a versioned bucket, the deletions that can still be undone. */
static int write_listings(struct buf *b, const struct http_store_view *s, size_t n)
{
	static const struct {
		const char *name, *help;
	} vers[] = {
		{ "shrinkwatch_store_noncurrent_objects",
		  "Noncurrent object versions in the versioned bucket at its last listing." },
		{ "shrinkwatch_store_noncurrent_bytes",
		  "Bytes of noncurrent versions in the versioned bucket at its last listing." },
		{ "shrinkwatch_store_delete_markers",
		  "Delete markers in the versioned bucket at its last listing (recoverable "
		  "deletions)." },
	};
	int err = family(b, "shrinkwatch_store_list_requests_total", "counter",
			 "Object store listing requests the agent reported since start-up.");

	for (size_t i = 0; !err && i < n; i++) {
		if (!s[i].e.listed)
			continue;
		err = store_labels(b, "shrinkwatch_store_list_requests_total", &s[i]);
		err = err ? err : buf_printf(b, "} %" PRIu64 "\n", s[i].e.list_requests);
	}
	for (size_t m = 0; !err && m < sizeof vers / sizeof vers[0]; m++) {
		err = family(b, vers[m].name, "gauge", vers[m].help);
		for (size_t i = 0; !err && i < n; i++) {
			const struct sw_sample *x = &s[i].e.last;
			uint64_t v = m == 0 ? x->noncurrent_objects
				     : m == 1 ? x->noncurrent_bytes : x->delete_markers;

			if (!s[i].e.have_last || !(x->flags & SW_SAMPLE_VERSIONED))
				continue;
			err = store_labels(b, vers[m].name, &s[i]);
			err = err ? err : buf_printf(b, "} %" PRIu64 "\n", v);
		}
	}
	return err;
}

static int counter(struct buf *b, const char *name, const char *help, double v)
{
	int err = family(b, name, "counter", help);

	return err ? err : buf_printf(b, "%s %.17g\n", name, v);
}

static int gauge(struct buf *b, const char *name, const char *help, double v)
{
	int err = family(b, name, "gauge", help);

	return err ? err : buf_printf(b, "%s %.17g\n", name, v);
}

int metrics_write(struct buf *b, const struct http_store_view *s, size_t n,
		  const struct metrics_collector *c)
{
	const struct http_stats *st = &c->stats;
	int err = write_stores(b, s, n);

	err = err ? err : write_listings(b, s, n);

	err = err ? err : counter(b, "shrinkwatch_samples_received_total",
				  "Samples received from agents.", (double)st->samples_received);
	err = err ? err : counter(b, "shrinkwatch_samples_stored_total",
				  "Samples written to RRD files.", (double)st->samples_stored);
	err = err ? err : counter(b, "shrinkwatch_samples_duplicate_total",
				  "Samples dropped as already accepted (by seq).",
				  (double)st->samples_duplicate);
	err = err ? err : counter(b, "shrinkwatch_samples_dropped_old_total",
				  "Samples dropped as not newer than their RRD file.",
				  (double)st->samples_dropped_old);
	err = err ? err : counter(b, "shrinkwatch_rrd_batches_total",
				  "Batches written by the RRD writers.", (double)st->batches);
	err = err ? err : counter(b, "shrinkwatch_rrd_batches_failed_total",
				  "Batches the RRD writers could not store.",
				  (double)st->batches_failed);
	err = err ? err : counter(b, "shrinkwatch_rrd_write_seconds_total",
				  "Time spent writing batches to RRD files.",
				  (double)st->write_usec_total / 1e6);
	err = err ? err : gauge(b, "shrinkwatch_rrd_write_max_seconds",
				"Longest single batch write since start-up.",
				(double)st->write_usec_max / 1e6);
	err = err ? err : gauge(b, "shrinkwatch_rrd_batches_queued",
				"Batches waiting for or being written by the RRD writers.",
				(double)st->batches_queued);
	err = err ? err : gauge(b, "shrinkwatch_agents_connected",
				"Agents connected now.", (double)st->agents_connected);
	err = err ? err : gauge(b, "shrinkwatch_agents_known",
				"Agents the collector knows (connected or not).",
				(double)c->agents_known);
	if (c->outbox_rows >= 0)
		err = err ? err : gauge(b, "shrinkwatch_notify_outbox_rows",
					"Notifications waiting in the ledger's outbox.",
					(double)c->outbox_rows);
	err = err ? err : counter(b, "shrinkwatch_detector_rows_written_total",
				  "Rows written to the detector RRD files (expected-purge graphs).",
				  (double)st->detector_rows_written);
	err = err ? err : counter(b, "shrinkwatch_detector_rows_dropped_total",
				  "Detector RRD rows dropped because the writer was behind.",
				  (double)st->detector_rows_dropped);
	err = err ? err : counter(b, "shrinkwatch_detector_rows_failed_total",
				  "Detector RRD rows whose write failed.",
				  (double)st->detector_rows_failed);
	err = err ? err : gauge(b, "shrinkwatch_detector_rows_held",
				"Quiet stores' detector rows held to be written together.",
				(double)st->detector_rows_held);
	err = err ? err : counter(b, "shrinkwatch_http_requests_total",
				  "HTTP requests served by the dashboard.",
				  (double)c->http_requests);
	return err;
}

static uint64_t distinct_agents(const struct http_store_view *v, size_t n)
{
	struct strmap seen;
	uint64_t count = 0;

	strmap_init(&seen);
	for (size_t i = 0; i < n; i++)
		if (!strmap_get(&seen, v[i].e.agent) && !strmap_put(&seen, v[i].e.agent, &seen))
			count++;
	strmap_release(&seen);
	return count;
}

int http_metrics(struct http_site *site, struct buf *b)
{
	struct http_store_view *v = NULL;
	struct metrics_collector c;
	struct ledgerview lv;
	bool have_lv;
	long n;
	int err;

	memset(&c, 0, sizeof c);
	c.outbox_rows = -1;
	have_lv = ledgerview_open(&lv, site->data_dir) == 0;
	if (have_lv && ledgerview_outbox_rows(&lv, &c.outbox_rows))
		c.outbox_rows = -1;
	n = http_view_stores(site, have_lv ? &lv : NULL, false, &v);
	ledgerview_close(&lv);
	if (n < 0)
		return (int)n;
	http_site_stats(site, &c.stats);
	c.agents_known = distinct_agents(v, (size_t)n);
	c.http_requests = __atomic_load_n(&site->requests, __ATOMIC_RELAXED);
	err = metrics_write(b, v, (size_t)n, &c);
	if (!err)
		err = http_site_extra_metrics(site, b); /* http_add_metrics() */
	free(v);
	return err;
}
