/* test_http_graphdef.c - graph definition files and the rrd_graph_v arguments
 * made from them (collector/http/graphdef.c, collector/http/graph.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "collector/http/graph.h"
#include "collector/http/graphdef.h"
#include "testutil.h"

static const char good[] =
	"# a comment\n"
	"[graph]\n"
	"title = Stored bytes\n"
	"vertical_label = bytes\n"
	"base = 1024\n"
	"order = 5\n"
	"marks = yes\n"
	"[def b]\n"
	"ds = bytes\n"
	"cf = MIN\n"
	"[def a]\n"
	"ds = added_bytes\n"
	"cf = AVERAGE\n"
	"[cdef r]\n"
	"rpn = PREV(b),a,STEPWIDTH,*,RAWSTEP,/,+,b,-\n"
	"[area b]\n"
	"color = 9ecae1\n"
	"label = lowest: MIN\n"
	"[line r]\n"
	"color = de2d26cc\n"
	"width = 2\n";

static void test_good_file(void **state)
{
	char dir[64], path[256], err[512];
	struct graphdef g;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	tu_write(dir, "bytes.conf", good, path, sizeof path);
	assert_int_equal(graphdef_load_file(path, &g, err, sizeof err), 0);
	assert_string_equal(g.name, "bytes");
	assert_string_equal(g.title, "Stored bytes");
	assert_int_equal(g.base, 1024);
	assert_int_equal(g.order, 5);
	assert_true(g.marks);
	assert_int_equal(g.nelems, 5);
	assert_int_equal(g.elems[0].kind, GRAPHDEF_DEF);
	assert_string_equal(g.elems[0].cf, "MIN");
	assert_int_equal(g.elems[2].kind, GRAPHDEF_CDEF);
	assert_int_equal(g.elems[3].kind, GRAPHDEF_AREA);
	assert_string_equal(g.elems[3].label, "lowest: MIN");
	assert_int_equal(g.elems[4].kind, GRAPHDEF_LINE);
	assert_int_equal(g.elems[4].width, 2);
	tu_rmrf(dir);
}

struct bad_case {
	const char *text;
	const char *want; /* substring of the error, after the file name */
};

static void test_bad_files_name_file_and_line(void **state)
{
	static const struct bad_case cases[] = {
		{ "[graph]\ntitle = x\n[def b]\nds = nope\ncf = MIN\n",
		  ":4: [def b] ds: 'nope' is not a data source" },
		{ "[def b]\nds = bytes\ncf = LAST\n", ":3: [def b] cf: 'LAST' is not AVERAGE" },
		{ "[def b]\nds = bytes\ncf = MIN\n[line c]\ncolor = 000000\n",
		  ":5: [line c] color: 'c' is not defined by an earlier def or cdef" },
		{ "[def b]\nds = bytes\ncf = MIN\n[line b]\ncolor = red\n",
		  ":5: [line b] color: 'red' is not a colour" },
		{ "[def b]\nds = bytes\ncf = MIN\n[def b]\nds = objects\n",
		  ":5: [def b] ds: key given twice" },
		{ "[def b]\nds = bytes\ncf = MIN\n[def c]\nds = bytes\ncf = MIN\n[def b]\n"
		  "ds = objects\n",
		  ":8: [def b] ds: 'b' is defined twice" },
		{ "[graph]\nbase = 1023\n", ":2: [graph] base: '1023' is not 1000 or 1024" },
		{ "[graph]\ncolour = 1\n", ":2: [graph] colour: unknown key" },
		{ "[pie b]\nx = 1\n", ":2: [pie b] x: unknown section [pie b]" },
		{ "[def b-c]\nds = bytes\n", "'b-c' is not a name" },
		{ "[def b]\nds = bytes\ncf = MIN\n[cdef c]\nrpn = b,1,+:evil\n",
		  ":5: [cdef c] rpn: 'b,1,+:evil' is not an RPN expression" },
		{ "[def b]\nds = bytes\ncf = MIN\n[line b]\ncolor = 000000\nwidth = 9\n",
		  ":6: [line b] width: '9' is not a width" },
		{ "[def b]\nds = bytes\ncf = MIN\n[line b]\ncolor = 000000\nstack = yes\n",
		  ":6: [line b] stack: unknown key" },
		{ "[def b]\nds = bytes\n[line b]\ncolor = 000000\n", ": [def b]: cf is missing" },
		{ "[def b]\nds = bytes\ncf = MIN\n[line b]\nlabel = x\n",
		  ": [line b]: color is missing" },
		{ "[def b]\nds = bytes\ncf = MIN\n", ": the graph draws nothing" },
		{ "not ini at all\n", ":1: syntax error" },
		/* which file a def reads */
		{ "[def b]\nfile = nas\n", ":2: [def b] file: 'nas' is not store or detect" },
		{ "[def b]\nfile = detect\nds = bytes\n",
		  ":3: [def b] ds: 'bytes' is not a data source of the detector RRDs" },
		{ "[def b]\nds = removed\nfile = store\n",
		  ":3: [def b] file: 'removed' is not a data source of the store RRDs" },
		{ "[def b]\nfile = detect\nfile = store\n", ":3: [def b] file: key given twice" },
		{ "[def b]\nds = purge_allow\ncf = MAX\n[line b]\ncolor = 000000\n",
		  ": [def b]: 'purge_allow' is not a data source of the store RRDs (add file = "
		  "detect" },
		{ "[cdef b]\nrpn = 1\nfile = detect\n", ":3: [cdef b] file: unknown key" },
	};
	char dir[64], path[256], err[512], want[512];
	struct graphdef g;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tu_write(dir, "g.conf", cases[i].text, path, sizeof path);
		err[0] = '\0';
		assert_int_equal(graphdef_load_file(path, &g, err, sizeof err), -1);
		snprintf(want, sizeof want, "%s", path);
		if (strncmp(err, want, strlen(want)) || !strstr(err, cases[i].want))
			fail_msg("case %zu: error '%s' does not contain '%s'", i, err, cases[i].want);
	}
	tu_write(dir, "Bad name!.conf", good, path, sizeof path);
	assert_int_equal(graphdef_load_file(path, &g, err, sizeof err), -1);
	assert_non_null(strstr(err, "a graph file is named NAME.conf"));
	tu_rmrf(dir);
}

static void test_directory(void **state)
{
	char dir[64], sub[128], path[256], err[512];
	struct graphdefs gs;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	assert_int_equal(graphdefs_load(dir, &gs, err, sizeof err), -ENOENT);
	snprintf(sub, sizeof sub, "%s/graphs", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(graphdefs_load(dir, &gs, err, sizeof err), -1);
	assert_non_null(strstr(err, "no graph definitions"));

	tu_write(sub, "zeta.conf", "[graph]\norder = 1\n[def x]\nds = objects\ncf = MAX\n"
				   "[line x]\ncolor = 000000\n", path, sizeof path);
	tu_write(sub, "alpha.conf", good, path, sizeof path);
	tu_write(sub, "README", "not a graph", path, sizeof path);
	assert_int_equal(graphdefs_load(dir, &gs, err, sizeof err), 0);
	assert_int_equal(gs.n, 2);
	assert_string_equal(gs.v[0].name, "zeta"); /* order 1 before order 5 */
	assert_non_null(graphdefs_find(&gs, "alpha"));
	assert_null(graphdefs_find(&gs, "README"));
	graphdefs_release(&gs);

	tu_write(sub, "broken.conf", "[def x]\nds = fs_used\ncf = MIN\n[area y]\n"
				     "color = 000000\n", path, sizeof path);
	assert_int_equal(graphdefs_load(dir, &gs, err, sizeof err), -1);
	assert_non_null(strstr(err, "broken.conf:5:"));
	tu_rmrf(dir);
}

/* The dashboards/ shipped in the source tree load as they are. */
static void test_shipped_dashboards(void **state)
{
	struct graphdefs gs;
	char err[512];
	(void)state;

	if (graphdefs_load("dashboards", &gs, err, sizeof err))
		fail_msg("%s", err);
	assert_non_null(graphdefs_find(&gs, "bytes"));
	assert_non_null(graphdefs_find(&gs, "objects"));
	assert_non_null(graphdefs_find(&gs, "churn"));
	/* the expected purge beside the removal, from the detector RRD */
	assert_true(graphdefs_find(&gs, "churn")->uses_detect);
	assert_non_null(graphdefs_find(&gs, "purge"));
	assert_true(graphdefs_find(&gs, "purge")->uses_detect);
	assert_false(graphdefs_find(&gs, "bytes")->uses_detect);
	graphdefs_release(&gs);
}

static bool has_arg(char **argv, int n, const char *want)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(argv[i], want))
			return true;
	return false;
}

static void test_graph_args(void **state)
{
	char dir[64], path[256], err[512];
	char *argv[HTTP_GRAPH_MAX_ARGS];
	struct graph_marks m;
	struct graph_request rq;
	struct graphdef g;
	int n;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	tu_write(dir, "bytes.conf", good, path, sizeof path);
	assert_int_equal(graphdef_load_file(path, &g, err, sizeof err), 0);
	memset(&m, 0, sizeof m);
	m.alerts[m.nalerts++] = 1700000000;
	m.windows[0][0] = 1699990000;
	m.windows[0][1] = 1699993600;
	m.nwindows = 1;
	memset(&rq, 0, sizeof rq);
	rq.g = &g;
	rq.rrd_path = "/var/lib/sw:odd/rrd/a/b.rrd";
	rq.range = HTTP_RANGE_WEEK;
	rq.width = 640;
	rq.height = 200;
	rq.raw_step = 60;
	rq.marks = &m;
	n = graph_args(&rq, argv, HTTP_GRAPH_MAX_ARGS);
	assert_true(n > 10);
	assert_string_equal(argv[0], "graph");
	assert_string_equal(argv[1], "-");
	assert_true(has_arg(argv, n, "--imgformat=PNG"));
	assert_true(has_arg(argv, n, "--full-size-mode"));
	assert_true(has_arg(argv, n, "--width=640"));
	assert_true(has_arg(argv, n, "--height=200"));
	assert_true(has_arg(argv, n, "--start=end-1w"));
	assert_true(has_arg(argv, n, "--base=1024"));
	/* a ':' in the path is escaped, or rrdtool would split the DEF there */
	assert_true(has_arg(argv, n, "DEF:b=/var/lib/sw\\:odd/rrd/a/b.rrd:bytes:MIN"));
	assert_true(has_arg(argv, n, "CDEF:r=PREV(b),a,STEPWIDTH,*,60,/,+,b,-"));
	assert_true(has_arg(argv, n, "AREA:b#9ecae1:lowest\\: MIN"));
	assert_true(has_arg(argv, n, "LINE2:r#de2d26cc"));
	assert_true(has_arg(argv, n, "VRULE:1700000000#d7301f:alert"));
	assert_true(has_arg(argv, n, "CDEF:sw_win0=b,POP,TIME,1699990000,GE,TIME,1699993600,LE,*,"
				     "INF,UNKN,IF"));
	graph_args_free(argv, n);

	g.marks = false; /* a graph that asks for no marks gets none */
	rq.svg = true;
	n = graph_args(&rq, argv, HTTP_GRAPH_MAX_ARGS);
	assert_true(has_arg(argv, n, "--imgformat=SVG"));
	assert_false(has_arg(argv, n, "VRULE:1700000000#d7301f:alert"));
	graph_args_free(argv, n);
	assert_int_equal(graph_args(&rq, argv, 5), -E2BIG);
	tu_rmrf(dir);
}

/* A young store's graph (graph_span.h) starts where graph_span_start() said
 * and its title says since when. */
static void test_graph_args_with_a_start(void **state)
{
	struct graph_request rq;
	struct graphdef g;
	char *argv[HTTP_GRAPH_MAX_ARGS];
	int n;
	(void)state;

	memset(&g, 0, sizeof g);
	snprintf(g.name, sizeof g.name, "bytes");
	snprintf(g.title, sizeof g.title, "Stored bytes");
	g.base = 1024;
	memset(&rq, 0, sizeof rq);
	rq.g = &g;
	rq.rrd_path = "/x.rrd";
	rq.range = HTTP_RANGE_DAY;
	rq.width = 720;
	rq.height = 240;
	n = graph_args(&rq, argv, HTTP_GRAPH_MAX_ARGS);
	assert_true(has_arg(argv, n, "--start=end-1d"));
	assert_true(has_arg(argv, n, "--title=Stored bytes (day)"));
	/* a loss one point wide is a bar, not a thin triangle (docs/api.md) */
	assert_false(has_arg(argv, n, "--slope-mode"));
	graph_args_free(argv, n);
	rq.start = 1796303160; /* 2026-12-03 13:06 UTC */
	n = graph_args(&rq, argv, HTTP_GRAPH_MAX_ARGS);
	assert_true(has_arg(argv, n, "--start=1796303160"));
	assert_true(has_arg(argv, n, "--end=now"));
	assert_true(has_arg(argv, n, "--title=Stored bytes (day, since 2026-12-03 13:06 UTC)"));
	graph_args_free(argv, n);
}

static const char detect_graph[] =
	"[graph]\n"
	"title = Purge\n"
	"[def total]\n"
	"ds = bytes\n"
	"cf = AVERAGE\n"
	"[def allow]\n"
	"ds = purge_allow\n"
	"cf = MAX\n"
	"file = detect\n"
	"[def s]\n"
	"file = store\n"
	"ds = objects\n"
	"cf = MIN\n"
	"[line allow]\n"
	"color = 7f2704\n";

/* A def with file = detect reads the detector RRD; without one yet, its
 * series is unknown over the store RRD's axis and the graph says why. */
static void test_detector_file(void **state)
{
	char path[256], err[512];
	char *argv[HTTP_GRAPH_MAX_ARGS];
	struct graph_request rq;
	struct graphdef g;
	int n;
	(void)state;

	tu_write(tu_dir, "purge.conf", detect_graph, path, sizeof path);
	assert_int_equal(graphdef_load_file(path, &g, err, sizeof err), 0);
	assert_true(g.uses_detect);
	assert_int_equal(g.elems[0].file, GRAPHDEF_FILE_STORE);
	assert_int_equal(g.elems[1].file, GRAPHDEF_FILE_DETECT);
	assert_int_equal(g.elems[2].file, GRAPHDEF_FILE_STORE);
	memset(&rq, 0, sizeof rq);
	rq.g = &g;
	rq.rrd_path = "/d/rrd/a/b.c.rrd";
	rq.detect_path = "/d/detect/a/b.c.rrd";
	rq.width = 640;
	rq.height = 200;
	n = graph_args(&rq, argv, HTTP_GRAPH_MAX_ARGS);
	assert_true(n > 0);
	assert_true(has_arg(argv, n, "DEF:total=/d/rrd/a/b.c.rrd:bytes:AVERAGE"));
	assert_true(has_arg(argv, n, "DEF:allow=/d/detect/a/b.c.rrd:purge_allow:MAX"));
	assert_true(has_arg(argv, n, "DEF:s=/d/rrd/a/b.c.rrd:objects:MIN"));
	assert_false(has_arg(argv, n, "COMMENT:(no detector data for this store yet)\\n"));
	graph_args_free(argv, n);

	rq.detect_path = NULL;
	n = graph_args(&rq, argv, HTTP_GRAPH_MAX_ARGS);
	assert_true(n > 0);
	assert_true(has_arg(argv, n, "DEF:sw_axis=/d/rrd/a/b.c.rrd:bytes:AVERAGE"));
	assert_true(has_arg(argv, n, "CDEF:allow=sw_axis,POP,UNKN"));
	assert_true(has_arg(argv, n, "DEF:total=/d/rrd/a/b.c.rrd:bytes:AVERAGE"));
	assert_true(has_arg(argv, n, "LINE1:allow#7f2704"));
	assert_true(has_arg(argv, n, "COMMENT:(no detector data for this store yet)\\n"));
	graph_args_free(argv, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_files_name_file_and_line),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_shipped_dashboards),
		cmocka_unit_test(test_graph_args),
		cmocka_unit_test(test_graph_args_with_a_start),
		cmocka_unit_test_setup_teardown(test_detector_file, tu_setup_dir, tu_teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
