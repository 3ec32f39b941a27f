/* copies_page.c - the copy relations on the dashboard (see copies_page.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "copies_page.h"
#include "graph.h"
#include "page.h"
#include "route.h"
#include "site.h"
#include "collector/ledger/copyrel.h"
#include "collector/ledger/copyrel_json.h"
#include "collector/ledger/read.h"
#include "collector/store/rrdcopies.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/html.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/banned.h"

/* A bar of v against the larger of the two ends, in CSS only (no script). */
static int put_bar(struct buf *b, uint64_t v, uint64_t max)
{
	unsigned pct = max ? (unsigned)((double)v * 100.0 / (double)max + 0.5) : 0;

	return buf_printf(b, "<span style=\"display:inline-block;height:0.8em;width:%upx;"
			     "background:#4a7\"></span>", pct);
}

static int put_end_cell(struct buf *b, const char *end, uint64_t files, uint64_t bytes,
			uint64_t maxf)
{
	char fb[64], bb[BYTES_FMT_MAX];

	http_fmt_count((double)files, 0, fb, sizeof fb);
	buf_printf(b, "<td>");
	html_put_text(b, end);
	buf_printf(b, "<br>%s files, %s ", fb, bytes_format((double)bytes, bb, sizeof bb));
	put_bar(b, files, maxf);
	return buf_printf(b, "</td>");
}

static int row(void *ctx, const struct copyrel_rec *r)
{
	struct buf *b = ctx;
	char since[64], checked[64], complete[64];
	uint64_t maxf = r->src_files > r->dst_files ? r->src_files : r->dst_files;
	const char *state = r->state == COPYREL_INCOMPLETE ? "alert" :
			    r->state == COPYREL_COMPLETE  ? "ok" :
							    "partial";

	http_fmt_time(r->since, since, sizeof since);
	http_fmt_time(r->checked_at, checked, sizeof checked);
	http_fmt_time(r->complete_at, complete, sizeof complete);
	buf_printf(b, "<tr id=\"copy-");
	html_put_text(b, r->name);
	buf_printf(b, "\"><td>");
	html_put_text(b, r->name);
	buf_printf(b, "<br><img alt=\"history\" width=\"360\" height=\"120\" src=\"/copies/");
	html_put_text(b, r->name);
	buf_printf(b, ".png?w=360&amp;h=120\"></td>");
	put_end_cell(b, r->source, r->src_files, r->src_bytes, maxf);
	put_end_cell(b, r->destination, r->dst_files, r->dst_bytes, maxf);
	buf_printf(b, "<td>");
	http_put_state(b, state);
	buf_printf(b, " %s</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
		      "<td>%s</td><td>%s</td><td>%s</td></tr>\n",
		   copyrel_state_name(r->state), (unsigned long long)r->missing,
		   (unsigned long long)r->differs, (unsigned long long)r->lost,
		   (unsigned long long)r->young, since, checked, r->complete_at ? complete : "never");
	return 0;
}

static int open_view(struct http_site *site, struct ledgerview *lv, struct buf *b)
{
	int rc = ledgerview_open(lv, site->data_dir);

	if (rc == -ENOENT)
		return http_put_note(b, "note", "No copy relation checked yet."), -ENOENT;
	if (rc)
		return http_put_note(b, "err", lv->error), rc;
	return 0;
}

int http_page_copies(struct http_site *site, struct buf *b)
{
	struct ledgerview lv;
	size_t mark;
	int err = http_page_begin(b, "Copies");

	if (err)
		return err;
	memset(&lv, 0, sizeof lv);
	buf_printf(b, "<p>Each <code>[copy NAME]</code> of the collector's configuration, as "
		      "its last comparison found it: source and destination side by side. "
		      "Names of missing items: <code>shrinkwatchctl copy-check NAME --reason "
		      "TEXT</code> (administrators, audited).</p>\n");
	if (open_view(site, &lv, b) == 0) {
		mark = b->len;
		buf_printf(b, "<table><tr><th>Copy</th><th>Source</th><th>Destination</th>"
			      "<th>State</th><th>Missing</th><th>Differing</th><th>Lost</th>"
			      "<th>In transit</th><th>Since</th><th>Checked</th>"
			      "<th>Last complete</th></tr>\n");
		if (copyrel_list(lv.db, row, b)) {
			b->len = mark;
			http_put_note(b, "note", "No copy relation in this ledger (configure "
						 "[copy NAME] sections).");
		} else {
			buf_printf(b, "</table>\n");
		}
	}
	ledgerview_close(&lv);
	return http_page_end(b);
}

static int json_row(void *ctx, const struct copyrel_rec *r)
{
	struct buf *b = ctx;

	if (b->len && b->data[b->len - 1] == '}')
		json_put_raw(b, ",");
	return copyrel_rec_json(b, r);
}

int http_api_copies(struct http_site *site, struct buf *b)
{
	struct ledgerview lv;
	int rc = ledgerview_open(&lv, site->data_dir), err = 0;

	json_put_raw(b, "{\"copies\":[");
	if (!rc)
		err = copyrel_list(lv.db, json_row, b);
	ledgerview_close(&lv);
	if (rc && rc != -ENOENT)
		return rc;
	(void)err; /* an older ledger without the table: no relations */
	return json_put_raw(b, "]}");
}

struct link_ctx {
	struct buf *b;
	const char *agent, *store;
	unsigned n;
};

/* Whether end ("AGENT/STORE[:PREFIX]") is agent/store. */
static bool is_end(const char *end, const char *agent, const char *store)
{
	size_t al = strlen(agent), sl = strlen(store);

	return !strncmp(end, agent, al) && end[al] == '/' && !strncmp(end + al + 1, store, sl) &&
	       (end[al + 1 + sl] == '\0' || end[al + 1 + sl] == ':');
}

static int link_row(void *ctx, const struct copyrel_rec *r)
{
	struct link_ctx *c = ctx;
	bool src = is_end(r->source, c->agent, c->store);

	if (!src && !is_end(r->destination, c->agent, c->store))
		return 0;
	if (!c->n++)
		buf_printf(c->b, "<h2>Copies</h2>\n<ul>\n");
	buf_printf(c->b, "<li><a href=\"/copies#copy-");
	html_put_text(c->b, r->name);
	buf_printf(c->b, "\">");
	html_put_text(c->b, r->name);
	buf_printf(c->b, "</a>: %s of ", src ? "source" : "destination");
	html_put_text(c->b, src ? r->destination : r->source);
	return buf_printf(c->b, " &mdash; %s, %llu missing, %llu differing</li>\n",
			  copyrel_state_name(r->state), (unsigned long long)r->missing,
			  (unsigned long long)r->differs);
}

int http_store_copies_section(struct ledgerview *lv, const char *agent, const char *store,
			      struct buf *b)
{
	struct link_ctx c = { b, agent, store, 0 };

	if (!lv || !lv->db)
		return 0;
	if (copyrel_list(lv->db, link_row, &c) || !c.n)
		return 0; /* not an end of any copy (or an older ledger): no section */
	buf_printf(b, "</ul>\n");
	return 0;
}

int http_copy_graph(struct http_site *site, const struct http_route *r, struct buf *b)
{
	char path[PATH_MAX], esc[2 * PATH_MAX], err[512], key[256], title[160], range[16];
	char defs[3][2 * PATH_MAX + 64], w[16], h[16];
	char *argv[24];
	struct stat st;
	time_t now = time(NULL);
	int n = 0, rc;
	size_t k = 0;

	if (rrdcopies_path(site->data_dir, r->graph, path, sizeof path) || stat(path, &st))
		return -ENOENT;
	snprintf(key, sizeof key, "copies/%s/%s/%ux%u", r->graph, http_range_name(r->range),
		 r->width, r->height);
	if (graph_cache_get(&site->cache, key, now, b) == 0)
		return 0;
	/* ':' and '\\' are rrdtool's separators in a DEF */
	for (const char *p = path; *p && k + 2 < sizeof esc; p++) {
		if (*p == ':' || *p == '\\')
			esc[k++] = '\\';
		esc[k++] = *p;
	}
	esc[k] = '\0';
	snprintf(defs[0], sizeof defs[0], "DEF:s=%s:src_files:AVERAGE", esc);
	snprintf(defs[1], sizeof defs[1], "DEF:d=%s:dst_files:AVERAGE", esc);
	snprintf(defs[2], sizeof defs[2], "DEF:m=%s:missing:MAX", esc);
	snprintf(title, sizeof title, "copy %s: files at source and destination, missing",
		 r->graph); /* a valid name: no ':' or quote */
	snprintf(range, sizeof range, "%s", http_range_start(r->range));
	snprintf(w, sizeof w, "%u", r->width);
	snprintf(h, sizeof h, "%u", r->height);
	argv[n++] = (char *)"graph";
	argv[n++] = (char *)"-";
	argv[n++] = (char *)"--imgformat";
	argv[n++] = (char *)"PNG";
	argv[n++] = (char *)"--start";
	argv[n++] = range;
	argv[n++] = (char *)"--end";
	argv[n++] = (char *)"now";
	argv[n++] = (char *)"--full-size-mode";
	argv[n++] = (char *)"--width";
	argv[n++] = w;
	argv[n++] = (char *)"--height";
	argv[n++] = h;
	argv[n++] = (char *)"--title";
	argv[n++] = title;
	argv[n++] = defs[0];
	argv[n++] = defs[1];
	argv[n++] = defs[2];
	argv[n++] = (char *)"LINE2:s#1f77b4:source files";
	argv[n++] = (char *)"LINE2:d#2ca02c:destination files";
	argv[n++] = (char *)"AREA:m#d62728:missing";
	rc = graph_render_argv(n, argv, r->graph, b, err, sizeof err);
	if (rc) {
		log_warn("http: %s", err);
		return rc == -ENOENT ? -EIO : rc;
	}
	graph_cache_put(&site->cache, key, now, b);
	return 0;
}
