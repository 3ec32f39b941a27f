/* pages.c - the dashboard's HTML pages (see pages.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "collector/ledger/read.h"
#include "page.h"
#include "inventory_page.h"
#include "copies_page.h"
#include "pages.h"
#include "view.h"
#include "collector/store/rrddetect.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

/* Opens the ledger; a problem other than "no ledger yet" becomes a note. */
static bool open_ledger(struct http_site *site, struct ledgerview *lv, struct buf *b)
{
	int rc = ledgerview_open(lv, site->data_dir);

	if (rc == -ENOENT)
		return false;
	if (rc) {
		http_put_note(b, "err", lv->error);
		return false;
	}
	if (lv->user_version != LEDGERVIEW_VERSION) {
		char t[160];

		snprintf(t, sizeof t,
			 "The alert ledger has schema version %d; this dashboard was written for "
			 "version %d and shows what it can read.",
			 lv->user_version, LEDGERVIEW_VERSION);
		http_put_note(b, "note", t);
	}
	return true;
}

static int put_store_link(struct buf *b, const char *agent, const char *store)
{
	/* names are validated ([A-Za-z0-9._-]): safe in a URL path as they are */
	int err = buf_printf(b, "<a href=\"/store/");

	err = err ? err : html_put_text(b, agent);
	err = err ? err : buf_printf(b, "/");
	err = err ? err : html_put_text(b, store);
	err = err ? err : buf_printf(b, "\">");
	err = err ? err : html_put_text(b, agent);
	err = err ? err : buf_printf(b, "/");
	err = err ? err : html_put_text(b, store);
	return err ? err : buf_printf(b, "</a>");
}

static int put_alert_table(struct buf *b, const struct ledger_alert *a, size_t n,
			   bool with_store)
{
	char t[64], lb[48], lo[48];
	int err = buf_printf(b, "<table><tr><th>Alert</th><th>State</th>%s<th>Kind</th>"
				"<th>Severity</th><th>Since</th><th>Lost</th><th>Summary</th></tr>\n",
			     with_store ? "<th>Store</th>" : "");

	for (size_t i = 0; !err && i < n; i++) {
		http_fmt_time(a[i].since, t, sizeof t);
		bytes_format(a[i].lost_bytes, lb, sizeof lb);
		http_fmt_count(a[i].lost_objects, 0, lo, sizeof lo);
		err = buf_printf(b, "<tr class=\"%s\"><td><a href=\"/alert/%" PRId64 "\">#%" PRId64
				    "</a></td><td>",
				 a[i].closed_at ? "" : "alert", a[i].id, a[i].id);
		err = err ? err : http_put_state(b, alert_state_name(a[i].state));
		if (with_store) {
			err = err ? err : buf_printf(b, "</td><td>");
			err = err ? err : put_store_link(b, a[i].agent, a[i].store);
		}
		err = err ? err : buf_printf(b, "</td><td>");
		err = err ? err : html_put_text(b, a[i].kind);
		err = err ? err : buf_printf(b, "</td><td>");
		err = err ? err : html_put_text(b, a[i].severity);
		err = err ? err : buf_printf(b, "</td><td>%s</td><td class=\"n\">%s, %s objects</td>"
						"<td>",
					     t, lb, lo);
		err = err ? err : html_put_text(b, a[i].summary);
		err = err ? err : buf_printf(b, "</td></tr>\n");
	}
	return err ? err : buf_printf(b, "</table>\n");
}

int http_page_overview(struct http_site *site, struct buf *b)
{
	struct http_store_view *v = NULL;
	struct ledger_alert *al = NULL;
	struct ledgerview lv;
	size_t nal = 0, alerting = 0;
	int64_t now = (int64_t)time(NULL);
	long n;
	int err;

	err = http_page_begin(b, "Evidence stores");
	if (err)
		return err;
	open_ledger(site, &lv, b);
	n = http_view_stores(site, &lv, true, &v);
	if (n < 0) {
		err = (int)n;
		goto out;
	}
	if (ledgerview_is_open(&lv) &&
	    ledgerview_alerts(&lv, NULL, NULL, true, LEDGERVIEW_MAX_ROWS, &al, &nal))
		http_put_note(b, "err", lv.error);
	for (long i = 0; i < n; i++)
		alerting += v[i].open_alerts > 0;
	err = buf_printf(b, "<p>%ld stores; %zu with open alerts; %zu open alerts.</p>\n", n,
			 alerting, nal);
	if (!err && nal) {
		err = buf_printf(b, "<h2>Open alerts</h2>\n");
		err = err ? err : put_alert_table(b, al, nal, true);
	}
	err = err ? err : buf_printf(b, "<h2>Stores</h2>\n<table><tr><th>State</th><th>Store</th>"
					"<th>Last sample</th><th>Bytes</th><th>Objects</th>"
					"<th>Change 24 h</th><th>Open alerts</th></tr>\n");
	for (long i = 0; !err && i < n; i++) {
		const struct http_store_view *s = &v[i];
		char age[32], by[48], ob[48], cb[48], co[48];

		if (s->e.have_last)
			http_fmt_age(now - s->e.last.time, age, sizeof age);
		bytes_format(s->e.have_last ? (double)s->e.last.bytes : 0.0 / 0.0, by, sizeof by);
		http_fmt_count(s->e.have_last ? (double)s->e.last.objects : 0.0 / 0.0, 0, ob,
			       sizeof ob);
		bytes_format(s->have_change24 ? s->change24_bytes : 0.0 / 0.0, cb, sizeof cb);
		http_fmt_count(s->have_change24 ? s->change24_objects : 0.0 / 0.0, 1, co,
			       sizeof co);
		err = buf_printf(b, "<tr class=\"%s\"><td>", s->open_alerts ? "alert" : "");
		err = err ? err : http_put_state(b, board_state_name(s->state));
		err = err ? err : buf_printf(b, "</td><td>");
		err = err ? err : put_store_link(b, s->e.agent, s->e.store);
		err = err ? err : buf_printf(b, "</td><td>%s%s</td><td class=\"n\">%s</td>"
						"<td class=\"n\">%s</td><td class=\"n\">%s, %s</td>"
						"<td class=\"n\">%u ",
					     s->e.have_last ? age : "never",
					     s->e.have_last ? " ago" : "", by, ob,
					     s->have_change24 ? cb : "-", co, s->open_alerts);
		err = err ? err : html_put_text(b, s->worst_kind);
		err = err ? err : buf_printf(b, "</td></tr>\n");
	}
	err = err ? err : buf_printf(b, "</table>\n");
	if (!err && n == 0)
		err = http_put_note(b, "note", "No store has reported yet: start an agent.");
	err = err ? err : http_page_end(b);
out:
	free(al);
	free(v);
	ledgerview_close(&lv);
	return err;
}

static int put_facts(struct buf *b, const struct http_store_view *s)
{
	const struct sw_sample *x = &s->e.last;
	char t[64], v1[48], v2[48], v3[48];
	int err;

	http_fmt_time(s->e.have_last ? x->time : 0, t, sizeof t);
	err = buf_printf(b, "<dl><dt>State</dt><dd>");
	err = err ? err : http_put_state(b, board_state_name(s->state));
	err = err ? err : buf_printf(b, "</dd><dt>Last sample</dt><dd>%s</dd>"
					"<dt>Agent connected</dt><dd>%s</dd>"
					"<dt>Interval</dt><dd>%" PRIu32 " s</dd>",
				     t, s->e.agent_connected ? "yes" : "no", s->e.interval);
	if (!err && s->e.have_last) {
		bytes_format((double)x->bytes, v1, sizeof v1);
		http_fmt_count((double)x->objects, 0, v2, sizeof v2);
		err = buf_printf(b, "<dt>Stored</dt><dd>%s in %s objects</dd>", v1, v2);
		bytes_format((double)x->fs_used, v1, sizeof v1);
		bytes_format((double)x->fs_size, v2, sizeof v2);
		err = err ? err : buf_printf(b, "<dt>Filesystem</dt><dd>%s used of %s</dd>", v1,
					     v2);
		err = err ? err : buf_printf(b, "<dt>Scan</dt><dd>%s", sample_status_name(x->status));
		if (!err && x->status != SW_SCAN_COMPLETE) {
			err = buf_printf(b, " (%" PRIu32 " errors; first: ", x->error_count);
			err = err ? err : html_put_text(b, x->first_error);
			err = err ? err : buf_printf(b, ")");
		}
		err = err ? err : buf_printf(b, "</dd>");
	}
	if (!err && s->delta.have_removed) {
		bytes_format((double)x->added_bytes, v1, sizeof v1);
		bytes_format(s->delta.removed_bytes, v2, sizeof v2);
		http_fmt_count(s->delta.removed_objects, 0, v3, sizeof v3);
		err = buf_printf(b, "<dt>Last interval</dt><dd>added %s, removed %s (%s objects)"
				    "</dd>",
				 v1, v2, v3);
	}
	if (!err && s->have_change24) {
		bytes_format(s->change24_bytes, v1, sizeof v1);
		http_fmt_count(s->change24_objects, 1, v2, sizeof v2);
		err = buf_printf(b, "<dt>Change over 24 h</dt><dd>%s, %s objects</dd>", v1, v2);
	}
	return err ? err : buf_printf(b, "</dl>\n");
}

static int put_explanations(struct buf *b, const struct ledger_explain *e, size_t n)
{
	char t1[64], t2[64], by[48], ob[48];
	int err = buf_printf(b, "<table><tr><th>#</th><th>Window</th><th>Allowance</th>"
				"<th>Reason</th><th>Who</th><th>Status</th></tr>\n");

	for (size_t i = 0; !err && i < n; i++) {
		http_fmt_time(e[i].start, t1, sizeof t1);
		http_fmt_time(e[i].end, t2, sizeof t2);
		if (e[i].bytes >= 0)
			bytes_format((double)e[i].bytes, by, sizeof by);
		else
			snprintf(by, sizeof by, "any bytes");
		if (e[i].objects >= 0)
			http_fmt_count((double)e[i].objects, 0, ob, sizeof ob);
		else
			snprintf(ob, sizeof ob, "any");
		if (e[i].prefix[0]) {
			/* path-scoped: the items under the prefix, no allowance */
			err = buf_printf(b, "<tr><td>%" PRId64 "</td><td>%s &ndash; %s</td>"
					    "<td>items under ", e[i].id, t1, t2);
			err = err ? err : html_put_text(b, e[i].prefix);
			err = err ? err : buf_printf(b, "</td><td>");
		} else {
			err = buf_printf(b, "<tr><td>%" PRId64 "</td><td>%s &ndash; %s</td>"
					    "<td>%s, %s objects</td><td>",
					 e[i].id, t1, t2, by, ob);
		}
		err = err ? err : html_put_text(b, e[i].reason);
		err = err ? err : buf_printf(b, "</td><td>");
		err = err ? err : html_put_text(b, e[i].who);
		err = err ? err : buf_printf(b, "</td><td>");
		if (!err && e[i].revoked_at) {
			err = buf_printf(b, "revoked by ");
			err = err ? err : html_put_text(b, e[i].revoked_by);
		} else if (!err && e[i].alert_id) {
			err = buf_printf(b, "explains <a href=\"/alert/%" PRId64 "\">#%" PRId64
					    "</a>",
					 e[i].alert_id, e[i].alert_id);
		} else if (!err) {
			err = buf_printf(b, "declared");
		}
		err = err ? err : buf_printf(b, "</td></tr>\n");
	}
	return err ? err : buf_printf(b, "</table>\n");
}

/* The detector's series come from the detector RRD, written from the first
 * sample the live detector sees: say so while a store has none. */
static int note_detector_rrd(struct http_site *site, struct buf *b, const struct http_route *r)
{
	char path[4200];
	struct stat st;

	if (rrddetect_path(site->data_dir, r->agent, r->store, path, sizeof path) == 0 &&
	    stat(path, &st) == 0)
		return 0;
	return http_put_note(b, "note", "This store has no detector RRD yet (it is written "
					"from the next sample on), so the expected purge, "
					"declared and unexplained series are empty.");
}

static int put_graphs(struct http_site *site, struct buf *b, const struct http_route *r)
{
	int err = buf_printf(b, "<h2>Graphs</h2><p class=\"tabs\">");

	for (unsigned g = 0; !err && g < HTTP_NRANGES; g++) {
		if (g == r->range) {
			err = buf_printf(b, "<b>%s</b>", http_range_name(g));
			continue;
		}
		err = buf_printf(b, "<a href=\"/store/%s/%s?range=%s\">%s</a>", r->agent, r->store,
				 http_range_name(g), http_range_name(g));
	}
	err = err ? err : buf_printf(b, "</p>\n");
	if (!err && !site->graphs.n)
		err = http_put_note(b, "note", "No graph definitions are installed (see the "
						"collector's dashboards key).");
	for (size_t i = 0; !err && i < site->graphs.n; i++) {
		const struct graphdef *g = &site->graphs.v[i];

		err = buf_printf(b, "<img class=\"graph\" src=\"/graph/%s/%s/%s?range=%s&amp;w=%u"
				    "&amp;h=%u\" width=\"%u\" height=\"%u\" alt=\"",
				 r->agent, r->store, g->name, http_range_name(r->range),
				 HTTP_GRAPH_W_DEFAULT, HTTP_GRAPH_H_DEFAULT, HTTP_GRAPH_W_DEFAULT,
				 HTTP_GRAPH_H_DEFAULT);
		err = err ? err : html_put_text(b, g->title);
		err = err ? err : buf_printf(b, "\">\n");
	}
	err = err ? err : http_put_note(b, "note",
					"Removed per interval = previous bytes + bytes added - "
					"bytes now; the detector splits it into the expected "
					"purge, declared deletions and the unexplained rest. The "
					"purge graph sets what a purge window removed against "
					"the purge the detector expected. Red lines mark alerts, "
					"shaded bands declared deletions.");
	return err ? err : note_detector_rrd(site, b, r);
}

int http_page_store(struct http_site *site, const struct http_route *r, struct buf *b)
{
	struct http_store_view s;
	struct ledger_alert *al = NULL;
	struct ledger_explain *ex = NULL;
	struct ledgerview lv;
	size_t nal = 0, nex = 0;
	char title[2 * SW_NAME_MAX + 8];
	bool have_lv;
	int err;

	snprintf(title, sizeof title, "%s/%s", r->agent, r->store);
	err = http_page_begin(b, title);
	if (err)
		return err;
	have_lv = open_ledger(site, &lv, b);
	if (http_view_store(site, have_lv ? &lv : NULL, r->agent, r->store, &s)) {
		err = -ENOENT;
		goto out;
	}
	err = put_facts(b, &s);
	err = err ? err : put_graphs(site, b, r);
	err = err ? err : buf_printf(b, "<h2>Alerts</h2>\n");
	if (!err && have_lv &&
	    ledgerview_alerts(&lv, r->agent, r->store, false, 100, &al, &nal))
		err = http_put_note(b, "err", lv.error);
	if (!err)
		err = nal ? put_alert_table(b, al, nal, false) :
			    http_put_note(b, "note", "No alert for this store.");
	if (!err && have_lv)
		err = http_store_copies_section(&lv, r->agent, r->store, b);
	err = err ? err : buf_printf(b, "<h2>Declared deletions</h2>\n");
	if (!err && have_lv && ledgerview_explanations(&lv, r->agent, r->store, 100, &ex, &nex))
		err = http_put_note(b, "err", lv.error);
	if (!err)
		err = nex ? put_explanations(b, ex, nex) :
			    http_put_note(b, "note", "No deletion declared for this store.");
	err = err ? err : http_page_end(b);
out:
	free(al);
	free(ex);
	ledgerview_close(&lv);
	return err;
}

static int put_alert_facts(struct buf *b, const struct ledger_alert *a)
{
	char t[64], v1[48], v2[48], v3[48], v4[48];
	int err = buf_printf(b, "<dl><dt>Store</dt><dd>");

	err = err ? err : put_store_link(b, a->agent, a->store);
	err = err ? err : buf_printf(b, "</dd><dt>State</dt><dd>");
	err = err ? err : http_put_state(b, alert_state_name(a->state));
	err = err ? err : buf_printf(b, "</dd><dt>Kind</dt><dd>");
	err = err ? err : html_put_text(b, a->kind);
	err = err ? err : buf_printf(b, "</dd><dt>Severity</dt><dd>");
	err = err ? err : html_put_text(b, a->severity);
	err = err ? err : buf_printf(b, "</dd><dt>Summary</dt><dd>");
	err = err ? err : html_put_text(b, a->summary);
	bytes_format(a->lost_bytes, v1, sizeof v1);
	http_fmt_count(a->lost_objects, 0, v2, sizeof v2);
	err = err ? err : buf_printf(b, "</dd><dt>What was lost</dt><dd>%s in %s objects</dd>", v1,
				     v2);
	if (a->attribution[0]) {
		err = err ? err : buf_printf(b, "<dt>Deleted by</dt><dd>");
		err = err ? err : html_put_text(b, a->attribution);
		err = err ? err : buf_printf(b, "</dd>");
	}
	if (a->have_expected) {
		bytes_format(a->expected_bytes, v1, sizeof v1);
		bytes_format(a->observed_bytes, v2, sizeof v2);
		http_fmt_count(a->expected_objects, 1, v3, sizeof v3);
		http_fmt_count(a->observed_objects, 1, v4, sizeof v4);
		err = err ? err : buf_printf(b, "<dt>Expected change</dt><dd>%s, %s objects</dd>"
						"<dt>Observed change</dt><dd>%s, %s objects</dd>",
					     v1, v3, v2, v4);
	}
	http_fmt_time(a->since, t, sizeof t);
	err = err ? err : buf_printf(b, "<dt>Loss started</dt><dd>%s</dd>", t);
	http_fmt_time(a->fired_at, t, sizeof t);
	err = err ? err : buf_printf(b, "<dt>Fired</dt><dd>%s</dd>", t);
	http_fmt_time(a->updated_at, t, sizeof t);
	err = err ? err : buf_printf(b, "<dt>Updated</dt><dd>%s</dd>", t);
	if (a->closed_at) {
		http_fmt_time(a->closed_at, t, sizeof t);
		err = err ? err : buf_printf(b, "<dt>Closed</dt><dd>%s</dd>", t);
	}
	if (a->ack_at) {
		http_fmt_time(a->ack_at, t, sizeof t);
		err = err ? err : buf_printf(b, "<dt>%s</dt><dd>%s by ",
					     a->state == ALERT_NOT_A_LOSS ? "Not a loss"
									  : "Acknowledged",
					     t);
		err = err ? err : html_put_text(b, a->ack_by);
		err = err ? err : buf_printf(b, ": ");
		err = err ? err : html_put_text(b, a->ack_comment);
		err = err ? err : buf_printf(b, "</dd>");
	}
	if (a->explanation_id)
		err = err ? err : buf_printf(b, "<dt>Explained by</dt><dd>declared deletion #%" PRId64
						"</dd>",
					     a->explanation_id);
	return err ? err : buf_printf(b, "</dl>\n");
}

int http_page_alert(struct http_site *site, int64_t id, struct buf *b)
{
	struct ledger_alert a;
	struct ledger_event *ev = NULL;
	struct ledger_audit *au = NULL;
	struct ledgerview lv;
	size_t nev = 0, nau = 0;
	char title[64], target[48], t[64];
	int err;

	snprintf(title, sizeof title, "Alert #%" PRId64, id);
	err = http_page_begin(b, title);
	if (err)
		return err;
	if (!open_ledger(site, &lv, b) || ledgerview_alert(&lv, id, &a)) {
		err = -ENOENT;
		goto out;
	}
	err = put_alert_facts(b, &a);
	/* ledger names go into a URL only if they are valid names */
	if (name_valid(a.agent) && name_valid(a.store) && site->graphs.n)
		err = err ? err : buf_printf(b, "<img class=\"graph\" src=\"/graph/%s/%s/%s?range=day"
					"&amp;w=%u&amp;h=%u\" width=\"%u\" height=\"%u\" "
					"alt=\"bytes around the alert\">\n",
				     a.agent, a.store, site->graphs.v[0].name,
				     HTTP_GRAPH_W_DEFAULT, HTTP_GRAPH_H_DEFAULT,
				     HTTP_GRAPH_W_DEFAULT, HTTP_GRAPH_H_DEFAULT);
	err = err ? err : buf_printf(b, "<h2>Timeline</h2>\n<table><tr><th>Time</th><th>State</th>"
					"<th>Detail</th></tr>\n");
	if (!err && ledgerview_events(&lv, id, LEDGERVIEW_MAX_ROWS, &ev, &nev))
		err = http_put_note(b, "err", lv.error);
	for (size_t i = 0; !err && i < nev; i++) {
		http_fmt_time(ev[i].time, t, sizeof t);
		err = buf_printf(b, "<tr><td>%s</td><td>", t);
		err = err ? err : http_put_state(b, alert_event_name(ev[i].kind));
		err = err ? err : buf_printf(b, "</td><td>");
		err = err ? err : html_put_text(b, ev[i].detail);
		err = err ? err : buf_printf(b, "</td></tr>\n");
	}
	err = err ? err : buf_printf(b, "</table>\n");
	err = err ? err : http_inventory_section(&lv, id, b);
	err = err ? err : buf_printf(b, "<h2>Audit trail</h2>\n<table><tr><th>Time</th>"
					"<th>Who</th><th>Action</th><th>Detail</th></tr>\n");
	snprintf(target, sizeof target, "alert %" PRId64, id);
	if (!err && ledgerview_audit(&lv, target, LEDGERVIEW_MAX_ROWS, &au, &nau))
		err = http_put_note(b, "err", lv.error);
	for (size_t i = 0; !err && i < nau; i++) {
		http_fmt_time(au[i].time, t, sizeof t);
		err = buf_printf(b, "<tr><td>%s</td><td>", t);
		err = err ? err : html_put_text(b, au[i].who);
		err = err ? err : buf_printf(b, "</td><td>");
		err = err ? err : html_put_text(b, au[i].action);
		err = err ? err : buf_printf(b, "</td><td>");
		err = err ? err : html_put_text(b, au[i].detail);
		err = err ? err : buf_printf(b, "</td></tr>\n");
	}
	err = err ? err : buf_printf(b, "</table>\n");
	err = err ? err : http_page_end(b);
out:
	free(ev);
	free(au);
	ledgerview_close(&lv);
	return err;
}
