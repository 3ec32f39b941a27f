/*
 * graphdef.h - graph definitions: which RRD series a dashboard graph
 * draws, in which colours, with which labels.
 *
 * They are data, not C: one INI file per graph in DIR/graphs/NAME.conf (DIR is
 * the collector's `dashboards` key, /usr/share/shrinkwatch/dashboards by
 * default), loaded once at start-up, so a site can change colours or add a
 * graph without a rebuild.  A file is a [graph] section followed by elements
 * in drawing order:
 *
 *   [graph]          title, vertical_label, base (1000|1024), lower_limit,
 *                    order (sort key on the page), marks (yes: alert VRULEs and
 *                    shaded declared-deletion windows)
 *   [def VNAME]      ds (an RRD data source: bytes, objects, added_bytes, ...),
 *                    cf (AVERAGE|MIN|MAX), file (store|detect: the store RRD,
 *                    the default, or the detector RRD of collector/store/rrddetect.h, whose
 *                    data sources are removed, purge_allow, declared, ...)
 *   [cdef VNAME]     rpn (an rrdtool RPN expression over earlier names)
 *   [line VNAME]     color (RRGGBB[AA]), label, width (1..5)
 *   [area VNAME]     color, label, stack (yes|no)
 *
 * Every error names the file and line ("FILE:LINE: [section] key: message"),
 * or the file and section for what only the end of the file shows.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_GRAPHDEF_H
#define SHRINKWATCH_COLLECTOR_HTTP_GRAPHDEF_H

#include <stdbool.h>
#include <stddef.h>

#include "shrinkwatch/sample.h"

#define GRAPHDEF_MAX_ELEMS 24
#define GRAPHDEF_MAX_GRAPHS 32
#define GRAPHDEF_VNAME_MAX 30

enum graphdef_kind { GRAPHDEF_DEF, GRAPHDEF_CDEF, GRAPHDEF_LINE, GRAPHDEF_AREA };
/* Which of a store's RRD files a def reads. */
enum graphdef_file { GRAPHDEF_FILE_STORE = 0, GRAPHDEF_FILE_DETECT };

struct graphdef_elem {
	enum graphdef_kind kind;
	char vname[GRAPHDEF_VNAME_MAX + 1];
	char ds[32];     /* def */
	char cf[8];      /* def */
	char rpn[256];   /* cdef */
	char color[9];   /* line, area: hex without '#' */
	char label[96];  /* line, area */
	unsigned width;  /* line */
	bool stack;      /* area */
	enum graphdef_file file; /* def */
	bool file_set;   /* def: file given */
};

struct graphdef {
	char name[SW_NAME_MAX + 1]; /* file name without .conf */
	char title[128];
	char vertical_label[64];
	unsigned base;
	bool lower_zero;
	bool marks;
	bool uses_detect; /* a def reads the detector RRD */
	int order;
	struct graphdef_elem elems[GRAPHDEF_MAX_ELEMS];
	size_t nelems;
};

struct graphdefs {
	struct graphdef *v; /* sorted by order, then name */
	size_t n;
};

/*
 * Loads one file into g (name from the file name).  0, or -1 with a message
 * naming the file (and line) in err.
 */
int graphdef_load_file(const char *path, struct graphdef *g, char *err, size_t errlen);
/*
 * Loads every DIR/graphs/\*.conf into gs (caller releases).  A directory with
 * no graph is an error too: the dashboard would be empty.  0, -ENOENT if
 * DIR/graphs does not exist (not installed: the caller may go on without
 * graphs), or -1 with a message in err.
 */
int graphdefs_load(const char *dir, struct graphdefs *gs, char *err, size_t errlen);
void graphdefs_release(struct graphdefs *gs);
const struct graphdef *graphdefs_find(const struct graphdefs *gs, const char *name);

#endif
