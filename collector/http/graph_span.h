/*
 * graph_span.h - where a store's graph starts.
 *
 * A graph covers its view's range (a day, a week, a month, a year) up to
 * now.  A store younger than that range would be drawn as a thin line at the
 * right edge of an empty graph: an agent added an hour ago shows nothing in
 * the day view, a month of history nothing readable in the year view.  So a
 * young store's graph covers the span the store has: it starts at the
 * store's first known point, and its title says since when.
 *
 * "Young" is decided by the RRD file itself, not by when its first known
 * point in the range lies: a store that has data from before the range
 * (seen in the file's coarsest archive, which keeps ten years) keeps the
 * whole range even if its agent was down at the range's start, because a
 * gap in monitoring is something the graph must show.
 *
 * Reads the file with rrd_fetch_r() (no lock: the _r calls keep no global
 * state), on the HTTP threads.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_GRAPH_SPAN_H
#define SHRINKWATCH_COLLECTOR_HTTP_GRAPH_SPAN_H

#include <stdint.h>

/* The shortest span a young store's graph covers, in seconds: a store whose
 * first sample came a moment ago still gets a readable graph. */
#define GRAPH_SPAN_MIN 60

/*
 * The time a graph of the store RRD at path over [from, now], width pixels
 * wide, should start: from, or, when the file holds nothing older than
 * from, the start of its first known point (at the resolution such a graph
 * reads, else at the file's finest), but no later than now - GRAPH_SPAN_MIN
 * and never before from.  A file that cannot be read or holds no known
 * value at all gives from (the graph then shows librrd's error or an empty
 * range, as before).
 */
int64_t graph_span_start(const char *path, int64_t from, int64_t now, unsigned width);

#endif
