/* graphdef.c - loading graph definitions (see graphdef.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphdef.h"
#include "collector/store/rrddetect.h"
#include "collector/store/rrdsample.h"
#include "shrinkwatch/confload.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

struct load_ctx {
	struct graphdef *g;
	char cur_section[160]; /* section of the element being filled */
};

static bool vname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > GRAPHDEF_VNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static bool color_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != 6 && n != 8)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

/* RPN: names, numbers, operators, commas and PREV(x); nothing that could end
 * the rrdtool argument (':') or read a file. */
static bool rpn_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_,.+-*/()", *s)))
			return false;
	return true;
}

static const struct graphdef_elem *find_vname(const struct graphdef *g, const char *v,
					      size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if ((g->elems[i].kind == GRAPHDEF_DEF || g->elems[i].kind == GRAPHDEF_CDEF) &&
		    !strcmp(g->elems[i].vname, v))
			return &g->elems[i];
	return NULL;
}

static int graph_key(struct confload *cl, struct graphdef *g, const char *key, const char *v)
{
	uint64_t n;
	bool b;

	if (!strcmp(key, "title"))
		snprintf(g->title, sizeof g->title, "%s", v);
	else if (!strcmp(key, "vertical_label"))
		snprintf(g->vertical_label, sizeof g->vertical_label, "%s", v);
	else if (!strcmp(key, "base")) {
		if (parse_u64(v, &n) || (n != 1000 && n != 1024)) {
			confload_error(cl, "'%s' is not 1000 or 1024", v);
			return -1;
		}
		g->base = (unsigned)n;
	} else if (!strcmp(key, "lower_limit")) {
		if (strcmp(v, "0") && strcmp(v, "none")) {
			confload_error(cl, "'%s' is not 0 or none", v);
			return -1;
		}
		g->lower_zero = !strcmp(v, "0");
	} else if (!strcmp(key, "order")) {
		if (parse_u64(v, &n) || n > 1000) {
			confload_error(cl, "'%s' is not a number between 0 and 1000", v);
			return -1;
		}
		g->order = (int)n;
	} else if (!strcmp(key, "marks")) {
		if (parse_bool(v, &b)) {
			confload_error(cl, "'%s' is not yes or no", v);
			return -1;
		}
		g->marks = b;
	} else {
		confload_error(cl, "unknown key");
		return -1;
	}
	return 0;
}

/* The element for section "KIND VNAME", started when the section changes. */
static struct graphdef_elem *element(struct confload *cl, struct load_ctx *ctx,
				     const char *section)
{
	static const char *const kinds[] = { "def", "cdef", "line", "area" };
	struct graphdef *g = ctx->g;
	struct graphdef_elem *e;
	const char *arg = NULL;
	unsigned k;

	if (!strcmp(section, ctx->cur_section) && g->nelems)
		return &g->elems[g->nelems - 1];
	for (k = 0; k < 4; k++)
		if ((arg = confload_section_arg(section, kinds[k])))
			break;
	if (k == 4) {
		confload_error(cl, "unknown section [%s] (graph, def, cdef, line, area)", section);
		return NULL;
	}
	if (!vname_ok(arg)) {
		confload_error(cl, "'%s' is not a name of 1 to %d letters, digits or '_'", arg,
			       GRAPHDEF_VNAME_MAX);
		return NULL;
	}
	if (g->nelems == GRAPHDEF_MAX_ELEMS) {
		confload_error(cl, "more than %d elements", GRAPHDEF_MAX_ELEMS);
		return NULL;
	}
	if (k <= GRAPHDEF_CDEF && find_vname(g, arg, g->nelems)) {
		confload_error(cl, "'%s' is defined twice", arg);
		return NULL;
	}
	if (k >= GRAPHDEF_LINE && !find_vname(g, arg, g->nelems)) {
		confload_error(cl, "'%s' is not defined by an earlier def or cdef", arg);
		return NULL;
	}
	e = &g->elems[g->nelems++];
	memset(e, 0, sizeof *e);
	e->kind = (enum graphdef_kind)k;
	snprintf(e->vname, sizeof e->vname, "%s", arg);
	e->width = 1;
	snprintf(ctx->cur_section, sizeof ctx->cur_section, "%s", section);
	return e;
}

/* A key given twice in one element (or the same [KIND NAME] section written
 * twice in a row, which INI readers merge) would silently win: refuse it. */
static bool given_twice(struct confload *cl, const struct graphdef_elem *e, const char *key)
{
	const char *cur = !strcmp(key, "ds")	  ? e->ds :
			  !strcmp(key, "cf")	  ? e->cf :
			  !strcmp(key, "rpn")	  ? e->rpn :
			  !strcmp(key, "color") ? e->color :
			  !strcmp(key, "label") ? e->label :
						  "";

	if (!cur[0])
		return false;
	confload_error(cl, "key given twice in [%s]", e->vname);
	return true;
}

static const char *file_name(enum graphdef_file f)
{
	return f == GRAPHDEF_FILE_DETECT ? "detector" : "store";
}

/* Whether ds is a data source of the file f. */
static bool ds_of(enum graphdef_file f, const char *ds)
{
	const char *const *names = f == GRAPHDEF_FILE_DETECT ? rrddetect_ds_names : rrdsample_ds_names;
	unsigned n = f == GRAPHDEF_FILE_DETECT ? RRDDETECT_NDS : RRDSAMPLE_NDS;

	for (unsigned i = 0; i < n; i++)
		if (!strcmp(ds, names[i]))
			return true;
	return false;
}

static int elem_key(struct confload *cl, struct graphdef_elem *e, const char *key,
		    const char *v)
{
	uint64_t n;
	bool b;

	if (given_twice(cl, e, key))
		return -1;

	switch (e->kind) {
	case GRAPHDEF_DEF:
		if (!strcmp(key, "ds")) {
			/* "file" may come later: then it is checked there, or at
			 * the end of the file for the default */
			if (e->file_set ? !ds_of(e->file, v) :
					  !ds_of(GRAPHDEF_FILE_STORE, v) &&
						  !ds_of(GRAPHDEF_FILE_DETECT, v)) {
				confload_error(cl, "'%s' is not a data source of the %s RRDs", v,
					       e->file_set ? file_name(e->file) :
							     "store or detector");
				return -1;
			}
			snprintf(e->ds, sizeof e->ds, "%s", v);
			return 0;
		}
		if (!strcmp(key, "file")) {
			enum graphdef_file f = GRAPHDEF_FILE_STORE;

			if (e->file_set) {
				confload_error(cl, "key given twice in [%s]", e->vname);
				return -1;
			}
			if (!strcmp(v, "detect"))
				f = GRAPHDEF_FILE_DETECT;
			else if (strcmp(v, "store")) {
				confload_error(cl, "'%s' is not store or detect", v);
				return -1;
			}
			if (e->ds[0] && !ds_of(f, e->ds)) {
				confload_error(cl, "'%s' is not a data source of the %s RRDs", e->ds,
					       file_name(f));
				return -1;
			}
			e->file = f;
			e->file_set = true;
			return 0;
		}
		if (!strcmp(key, "cf")) {
			if (strcmp(v, "AVERAGE") && strcmp(v, "MIN") && strcmp(v, "MAX")) {
				confload_error(cl, "'%s' is not AVERAGE, MIN or MAX", v);
				return -1;
			}
			snprintf(e->cf, sizeof e->cf, "%s", v);
			return 0;
		}
		break;
	case GRAPHDEF_CDEF:
		if (!strcmp(key, "rpn")) {
			if (!rpn_ok(v) || strlen(v) >= sizeof e->rpn) {
				confload_error(cl, "'%s' is not an RPN expression of names, numbers "
						   "and , + - * / ( )", v);
				return -1;
			}
			snprintf(e->rpn, sizeof e->rpn, "%s", v);
			return 0;
		}
		break;
	case GRAPHDEF_LINE:
	case GRAPHDEF_AREA:
		if (!strcmp(key, "color")) {
			if (!color_ok(v)) {
				confload_error(cl, "'%s' is not a colour RRGGBB or RRGGBBAA", v);
				return -1;
			}
			snprintf(e->color, sizeof e->color, "%s", v);
			return 0;
		}
		if (!strcmp(key, "label")) {
			snprintf(e->label, sizeof e->label, "%s", v);
			return 0;
		}
		if (e->kind == GRAPHDEF_LINE && !strcmp(key, "width")) {
			if (parse_u64(v, &n) || n < 1 || n > 5) {
				confload_error(cl, "'%s' is not a width from 1 to 5", v);
				return -1;
			}
			e->width = (unsigned)n;
			return 0;
		}
		if (e->kind == GRAPHDEF_AREA && !strcmp(key, "stack")) {
			if (parse_bool(v, &b)) {
				confload_error(cl, "'%s' is not yes or no", v);
				return -1;
			}
			e->stack = b;
			return 0;
		}
		break;
	}
	confload_error(cl, "unknown key");
	return -1;
}

static int handler(struct confload *cl, const char *section, const char *key, const char *v)
{
	struct load_ctx *ctx = cl->user;
	struct graphdef_elem *e;

	if (!strcmp(section, "graph")) {
		ctx->cur_section[0] = '\0';
		return graph_key(cl, ctx->g, key, v);
	}
	e = element(cl, ctx, section);
	return e ? elem_key(cl, e, key, v) : -1;
}

/* What only the whole file shows: incomplete elements, nothing drawn. */
static int check_complete(const char *path, struct graphdef *g, char *err, size_t errlen)
{
	static const char *const kinds[] = { "def", "cdef", "line", "area" };
	size_t drawn = 0;

	for (size_t i = 0; i < g->nelems; i++) {
		const struct graphdef_elem *e = &g->elems[i];
		const char *missing = NULL;

		if (e->kind == GRAPHDEF_DEF && !e->ds[0])
			missing = "ds";
		else if (e->kind == GRAPHDEF_DEF && !e->cf[0])
			missing = "cf";
		else if (e->kind == GRAPHDEF_CDEF && !e->rpn[0])
			missing = "rpn";
		else if (e->kind >= GRAPHDEF_LINE && !e->color[0])
			missing = "color";
		if (missing) {
			snprintf(err, errlen, "%s: [%s %s]: %s is missing", path, kinds[e->kind],
				 e->vname, missing);
			return -1;
		}
		if (e->kind == GRAPHDEF_DEF && !ds_of(e->file, e->ds)) {
			snprintf(err, errlen,
				 "%s: [def %s]: '%s' is not a data source of the store RRDs (add "
				 "file = detect to read the detector RRD)",
				 path, e->vname, e->ds);
			return -1;
		}
		drawn += e->kind >= GRAPHDEF_LINE;
		if (e->kind == GRAPHDEF_DEF && e->file == GRAPHDEF_FILE_DETECT)
			g->uses_detect = true;
	}
	if (!drawn) {
		snprintf(err, errlen, "%s: the graph draws nothing (no [line] or [area])", path);
		return -1;
	}
	return 0;
}

int graphdef_load_file(const char *path, struct graphdef *g, char *err, size_t errlen)
{
	struct load_ctx ctx = { .g = g };
	struct confload cl = { .path = path, .user = &ctx, .handler = handler };
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	memset(g, 0, sizeof *g);
	g->base = 1000;
	g->order = 100;
	if (n <= 5 || strcmp(base + n - 5, ".conf") || !name_valid_n(base, n - 5)) {
		snprintf(err, errlen, "%s: a graph file is named NAME.conf (NAME of letters, "
				      "digits, '.', '_', '-')", path);
		return -1;
	}
	memcpy(g->name, base, n - 5);
	g->name[n - 5] = '\0';
	if (confload_file(&cl, err, errlen))
		return -1;
	if (!g->title[0])
		snprintf(g->title, sizeof g->title, "%s", g->name);
	return check_complete(path, g, err, errlen);
}

static int by_order(const void *pa, const void *pb)
{
	const struct graphdef *a = pa, *b = pb;

	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return strcmp(a->name, b->name);
}

int graphdefs_load(const char *dir, struct graphdefs *gs, char *err, size_t errlen)
{
	char path[4096];
	struct dirent *d;
	DIR *dh;
	int rc = -1;

	gs->v = NULL;
	gs->n = 0;
	snprintf(path, sizeof path, "%s/graphs", dir);
	dh = opendir(path);
	if (!dh) {
		int e = errno;

		/* Not installed (a source build): say which key finds them. */
		if (e == ENOENT)
			snprintf(err, errlen, "'%s' does not exist: no graph definitions; set "
				 "'dashboards' in [collector] to the directory that holds "
				 "graphs/*.conf (in a source tree, its 'dashboards' directory)", path);
		else
			snprintf(err, errlen, "'%s': cannot open: %s", path, strerror(e));
		return e == ENOENT ? -ENOENT : -1;
	}
	gs->v = calloc(GRAPHDEF_MAX_GRAPHS, sizeof *gs->v);
	if (!gs->v) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while ((d = readdir(dh))) {
		size_t n = strlen(d->d_name);

		if (d->d_name[0] == '.' || n <= 5 || strcmp(d->d_name + n - 5, ".conf"))
			continue;
		if (gs->n == GRAPHDEF_MAX_GRAPHS) {
			snprintf(err, errlen, "%s: more than %d graph files", path,
				 GRAPHDEF_MAX_GRAPHS);
			goto out;
		}
		snprintf(path, sizeof path, "%s/graphs/%s", dir, d->d_name);
		if (graphdef_load_file(path, &gs->v[gs->n], err, errlen))
			goto out;
		gs->n++;
	}
	if (!gs->n) {
		snprintf(err, errlen, "%s/graphs: no graph definitions (*.conf)", dir);
		goto out;
	}
	qsort(gs->v, gs->n, sizeof *gs->v, by_order);
	rc = 0;
out:
	closedir(dh);
	if (rc)
		graphdefs_release(gs);
	return rc;
}

void graphdefs_release(struct graphdefs *gs)
{
	free(gs->v);
	gs->v = NULL;
	gs->n = 0;
}

const struct graphdef *graphdefs_find(const struct graphdefs *gs, const char *name)
{
	for (size_t i = 0; i < gs->n; i++)
		if (!strcmp(gs->v[i].name, name))
			return &gs->v[i];
	return NULL;
}
