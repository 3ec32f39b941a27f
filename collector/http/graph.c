/* graph.c - rendering graphs with librrd (see graph.h). */
#include <errno.h>
#include <inttypes.h>
#include <rrd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graph.h"
#include "shrinkwatch/banned.h"

static pthread_mutex_t rrd_graph_mu = PTHREAD_MUTEX_INITIALIZER;

static int add(char **argv, int *n, int max, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int add(char **argv, int *n, int max, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n >= max)
		return -E2BIG;
	va_start(ap, fmt);
	r = vasprintf(&argv[*n], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Copies s into out with ':' (and '\') escaped for an rrdtool argument. */
static void rrd_escape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *s && o + 3 < outlen; s++) {
		if (*s == ':' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

/* The RPN with the word RAWSTEP replaced by the store's interval. */
static void expand_rpn(const char *rpn, uint32_t raw_step, char *out, size_t outlen)
{
	size_t o = 0;

	while (*rpn && o + 12 < outlen) {
		if (!strncmp(rpn, "RAWSTEP", 7) && (rpn[7] == ',' || rpn[7] == '\0') &&
		    (o == 0 || out[o - 1] == ',')) {
			o += (size_t)snprintf(out + o, outlen - o, "%" PRIu32,
					      raw_step ? raw_step : 1);
			rpn += 7;
		} else {
			out[o++] = *rpn++;
		}
	}
	out[o] = '\0';
}

static int add_marks(const struct graph_request *rq, char **argv, int *n, int max,
		     const char *any_vname)
{
	const struct graph_marks *m = rq->marks;
	int err = 0;

	if (!m || !rq->g->marks)
		return 0;
	for (size_t i = 0; !err && i < m->nwindows && i < HTTP_GRAPH_MAX_MARKS; i++) {
		err = add(argv, n, max,
			  "CDEF:sw_win%zu=%s,POP,TIME,%" PRId64 ",GE,TIME,%" PRId64
			  ",LE,*,INF,UNKN,IF",
			  i, any_vname, m->windows[i][0], m->windows[i][1]);
		if (!err)
			err = add(argv, n, max, "AREA:sw_win%zu#fdd0a2a0%s", i,
				  i ? "" : ":declared deletion");
	}
	for (size_t i = 0; !err && i < m->nalerts && i < HTTP_GRAPH_MAX_MARKS; i++)
		err = add(argv, n, max, "VRULE:%" PRId64 "#d7301f%s", m->alerts[i],
			  i ? "" : ":alert");
	return err;
}

int graph_args(const struct graph_request *rq, char **argv, int max)
{
	const struct graphdef *g = rq->g;
	const char *any = NULL;
	char path[4200], dpath[4200], text[256], rpn[300];
	bool no_detect = g->uses_detect && !rq->detect_path;
	int n = 0, err;

	rrd_escape(rq->rrd_path, path, sizeof path);
	rrd_escape(rq->detect_path ? rq->detect_path : "", dpath, sizeof dpath);
	err = add(argv, &n, max, "graph");
	err = err ? err : add(argv, &n, max, "-");
	err = err ? err : add(argv, &n, max, "--imgformat=%s", rq->svg ? "SVG" : "PNG");
	err = err ? err : add(argv, &n, max, "--full-size-mode");
	err = err ? err : add(argv, &n, max, "--width=%u", rq->width);
	err = err ? err : add(argv, &n, max, "--height=%u", rq->height);
	if (rq->start) {
		struct tm tm;
		time_t t = (time_t)rq->start;
		char since[32];

		strftime(since, sizeof since, "%Y-%m-%d %H:%M UTC", gmtime_r(&t, &tm));
		err = err ? err : add(argv, &n, max, "--start=%" PRId64, rq->start);
		err = err ? err : add(argv, &n, max, "--end=now");
		err = err ? err : add(argv, &n, max, "--title=%s (%s, since %s)", g->title,
				       http_range_name(rq->range), since);
	} else {
		err = err ? err : add(argv, &n, max, "--start=%s", http_range_start(rq->range));
		err = err ? err : add(argv, &n, max, "--end=now");
		err = err ? err : add(argv, &n, max, "--title=%s (%s)", g->title,
				       http_range_name(rq->range));
	}
	if (g->vertical_label[0])
		err = err ? err : add(argv, &n, max, "--vertical-label=%s", g->vertical_label);
	err = err ? err : add(argv, &n, max, "--base=%u", g->base);
	if (g->lower_zero)
		err = err ? err : add(argv, &n, max, "--lower-limit=0");
	/* no --slope-mode: it draws a point between its neighbours as a thin
	 * triangle, and on the week, month and year graphs a purge, a declared
	 * deletion or a loss is often one point wide -- exactly what must show */
	err = err ? err : add(argv, &n, max, "--border=0");
	err = err ? err : add(argv, &n, max, "--color=BACK#ffffff");
	err = err ? err : add(argv, &n, max, "--color=CANVAS#ffffff");
	err = err ? err : add(argv, &n, max, "--color=GRID#e0e0e0");
	err = err ? err : add(argv, &n, max, "--color=MGRID#c8c8c8");
	/* without a detector RRD yet, its series are unknown values over the
	 * store RRD's time axis */
	if (no_detect)
		err = err ? err : add(argv, &n, max, "DEF:sw_axis=%s:bytes:AVERAGE", path);
	for (size_t i = 0; !err && i < g->nelems; i++) {
		const struct graphdef_elem *e = &g->elems[i];

		if (e->kind == GRAPHDEF_DEF && e->file == GRAPHDEF_FILE_DETECT && no_detect) {
			err = add(argv, &n, max, "CDEF:%s=sw_axis,POP,UNKN", e->vname);
			any = any ? any : e->vname;
		} else if (e->kind == GRAPHDEF_DEF) {
			err = add(argv, &n, max, "DEF:%s=%s:%s:%s", e->vname,
				  e->file == GRAPHDEF_FILE_DETECT ? dpath : path, e->ds, e->cf);
			any = any ? any : e->vname;
		} else if (e->kind == GRAPHDEF_CDEF) {
			expand_rpn(e->rpn, rq->raw_step, rpn, sizeof rpn);
			err = add(argv, &n, max, "CDEF:%s=%s", e->vname, rpn);
		}
	}
	if (!err && any)
		err = add_marks(rq, argv, &n, max, any);
	for (size_t i = 0; !err && i < g->nelems; i++) {
		const struct graphdef_elem *e = &g->elems[i];

		rrd_escape(e->label, text, sizeof text);
		if (e->kind == GRAPHDEF_LINE)
			err = add(argv, &n, max, "LINE%u:%s#%s%s%s", e->width, e->vname, e->color,
				  text[0] ? ":" : "", text);
		else if (e->kind == GRAPHDEF_AREA)
			err = add(argv, &n, max, "AREA:%s#%s%s%s%s", e->vname, e->color,
				  text[0] || e->stack ? ":" : "", text, e->stack ? ":STACK" : "");
	}
	if (no_detect)
		err = err ? err : add(argv, &n, max,
				      "COMMENT:\\n");
	if (no_detect)
		err = err ? err : add(argv, &n, max,
				      "COMMENT:(no detector data for this store yet)\\n");
	if (err) {
		graph_args_free(argv, n);
		return err;
	}
	return n;
}

void graph_args_free(char **argv, int n)
{
	for (int i = 0; i < n; i++)
		free(argv[i]);
}

int graph_render_argv(int argc, char **argv, const char *what, struct buf *out, char *err,
		      size_t errlen)
{
	rrd_info_t *info, *i;
	int rc = -EIO;

	pthread_mutex_lock(&rrd_graph_mu);
	rrd_clear_error();
	info = rrd_graph_v(argc, argv);
	if (!info) {
		snprintf(err, errlen, "graph: %s: %s", what,
			 rrd_test_error() ? rrd_get_error() : "unknown librrd error");
		goto out;
	}
	for (i = info; i; i = i->next)
		if (i->type == RD_I_BLO && !strcmp(i->key, "image"))
			break;
	if (!i || !i->value.u_blo.size) {
		snprintf(err, errlen, "graph: %s: librrd returned no image", what);
		goto out;
	}
	rc = buf_append(out, i->value.u_blo.ptr, i->value.u_blo.size);
	if (rc)
		snprintf(err, errlen, "graph: %s is larger than %u bytes", what,
			 HTTP_GRAPH_MAX_BYTES);
out:
	if (info)
		rrd_info_free(info);
	pthread_mutex_unlock(&rrd_graph_mu);
	return rc;
}

int graph_render(const struct graph_request *rq, struct buf *out, char *err, size_t errlen)
{
	char *argv[HTTP_GRAPH_MAX_ARGS], what[4400];
	int n, rc;

	n = graph_args(rq, argv, HTTP_GRAPH_MAX_ARGS);
	if (n < 0) {
		snprintf(err, errlen, "graph: too many elements for '%s'", rq->g->name);
		return n;
	}
	snprintf(what, sizeof what, "'%s' of '%s'", rq->g->name, rq->rrd_path);
	rc = graph_render_argv(n, argv, what, out, err, errlen);
	graph_args_free(argv, n);
	return rc;
}

int graph_cache_init(struct graph_cache *c)
{
	memset(c, 0, sizeof *c);
	for (unsigned i = 0; i < HTTP_GRAPH_CACHE; i++)
		buf_init(&c->e[i].img, HTTP_GRAPH_MAX_BYTES);
	return pthread_mutex_init(&c->mu, NULL) ? -ENOMEM : 0;
}

void graph_cache_release(struct graph_cache *c)
{
	for (unsigned i = 0; i < HTTP_GRAPH_CACHE; i++)
		buf_release(&c->e[i].img);
	pthread_mutex_destroy(&c->mu);
}

int graph_cache_get(struct graph_cache *c, const char *key, time_t now, struct buf *out)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&c->mu);
	for (unsigned i = 0; i < HTTP_GRAPH_CACHE; i++) {
		struct graph_cache_entry *e = &c->e[i];

		if (e->img.len && now - e->made < HTTP_GRAPH_TTL && now >= e->made &&
		    !strcmp(e->key, key)) {
			rc = buf_append(out, e->img.data, e->img.len);
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void graph_cache_put(struct graph_cache *c, const char *key, time_t now, const struct buf *img)
{
	struct graph_cache_entry *e = NULL;

	pthread_mutex_lock(&c->mu);
	for (unsigned i = 0; i < HTTP_GRAPH_CACHE && !e; i++)
		if (!strcmp(c->e[i].key, key) || now - c->e[i].made >= HTTP_GRAPH_TTL)
			e = &c->e[i];
	if (!e) {
		e = &c->e[c->next];
		c->next = (c->next + 1) % HTTP_GRAPH_CACHE;
	}
	e->img.len = 0;
	if (buf_append(&e->img, img->data, img->len) == 0) {
		snprintf(e->key, sizeof e->key, "%s", key);
		e->made = now;
	} else {
		e->key[0] = '\0';
	}
	pthread_mutex_unlock(&c->mu);
}
