/* graph_serve.c - /graph/<agent>/<store>/<graph> (see pages.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "collector/ledger/read.h"
#include "graph_span.h"
#include "pages.h"
#include "collector/store/rrddetect.h"
#include "collector/store/rrdsample.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

static const int64_t range_seconds[HTTP_NRANGES] = { 86400, 7 * 86400, 31 * 86400,
						     366 * 86400 };

/* Alert times and declared-deletion windows of the store inside the range. */
static void load_marks(struct http_site *site, const struct http_route *r, int64_t now,
		       struct graph_marks *m)
{
	int64_t from = now - range_seconds[r->range];
	struct ledger_alert *al = NULL;
	struct ledger_explain *ex = NULL;
	struct ledgerview lv;
	size_t nal = 0, nex = 0;

	memset(m, 0, sizeof *m);
	if (ledgerview_open(&lv, site->data_dir))
		return;
	if (!ledgerview_alerts(&lv, r->agent, r->store, false, LEDGERVIEW_MAX_ROWS, &al, &nal))
		for (size_t i = 0; i < nal && m->nalerts < HTTP_GRAPH_MAX_MARKS; i++)
			if (al[i].fired_at >= from)
				m->alerts[m->nalerts++] = al[i].fired_at;
	if (!ledgerview_explanations(&lv, r->agent, r->store, LEDGERVIEW_MAX_ROWS, &ex, &nex))
		for (size_t i = 0; i < nex && m->nwindows < HTTP_GRAPH_MAX_MARKS; i++)
			if (!ex[i].revoked_at && ex[i].end >= from) {
				m->windows[m->nwindows][0] = ex[i].start;
				m->windows[m->nwindows][1] = ex[i].end;
				m->nwindows++;
			}
	free(al);
	free(ex);
	ledgerview_close(&lv);
}

int http_graph(struct http_site *site, const struct http_route *r, struct buf *b)
{
	const struct graphdef *g = graphdefs_find(&site->graphs, r->graph);
	struct graph_request rq;
	struct graph_marks marks;
	struct board_entry e;
	char path[4200], dpath[4200], key[256], err[512];
	time_t now = time(NULL);
	int64_t from, start;
	struct stat st;
	int rc;

	if (!g || board_get(site->board, r->agent, r->store, &e))
		return -ENOENT;
	if (rrdsample_path(site->data_dir, r->agent, r->store, path, sizeof path) ||
	    stat(path, &st))
		return -ENOENT;
	snprintf(key, sizeof key, "%s/%s/%s/%s/%ux%u.%s", r->agent, r->store, g->name,
		 http_range_name(r->range), r->width, r->height, r->svg ? "svg" : "png");
	if (graph_cache_get(&site->cache, key, now, b) == 0)
		return 0;
	load_marks(site, r, (int64_t)now, &marks);
	memset(&rq, 0, sizeof rq);
	rq.g = g;
	rq.rrd_path = path;
	if (g->uses_detect &&
	    !rrddetect_path(site->data_dir, r->agent, r->store, dpath, sizeof dpath) &&
	    !stat(dpath, &st))
		rq.detect_path = dpath;
	rq.range = r->range;
	from = (int64_t)now - range_seconds[r->range];
	start = graph_span_start(path, from, (int64_t)now, r->width);
	rq.start = start > from ? start : 0;
	rq.width = r->width;
	rq.height = r->height;
	rq.svg = r->svg;
	rq.raw_step = e.interval;
	rq.marks = &marks;
	rc = graph_render(&rq, b, err, sizeof err);
	if (rc) {
		log_warn("http: %s", err);
		return rc == -ENOENT ? -EIO : rc;
	}
	graph_cache_put(&site->cache, key, now, b);
	return 0;
}
