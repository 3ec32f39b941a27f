/* graph_span.c - where a store's graph starts (graph_span.h). */
#include <math.h>
#include <rrd.h>
#include <stdbool.h>
#include <time.h>

#include "graph_span.h"
#include "shrinkwatch/banned.h"

#define SPAN_OLD_LOOKBACK (3650LL * 86400) /* the coarsest archive's ten years */
#define SPAN_FINEST_LOOKBACK (2LL * 86400) /* within the finest archive (3 days) */

/*
 * The start of the first row of the AVERAGE archive holding a known value
 * (any data source) over (from, to], asking for rows of about step_req
 * seconds (librrd picks the archive, as a graph does).  0 and *first, 1 when
 * every row is unknown, or -1 when the file cannot be read.
 */
static int first_known(const char *path, int64_t from, int64_t to, unsigned long step_req,
		       int64_t *first)
{
	time_t start = (time_t)from, end = (time_t)to;
	unsigned long step = step_req ? step_req : 1, nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	int rc = 1;

	if (to <= from || rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names, &data))
		return -1;
	for (time_t t = start; step && rc == 1 && t < end; t += (time_t)step) {
		const rrd_value_t *row = data + (size_t)((t - start) / (time_t)step) * nds;

		for (unsigned long d = 0; d < nds; d++)
			if (!isnan(row[d])) {
				*first = (int64_t)t;
				rc = 0;
				break;
			}
	}
	for (unsigned long i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return rc;
}

int64_t graph_span_start(const char *path, int64_t from, int64_t now, unsigned width)
{
	unsigned long res = width && now > from ? (unsigned long)((now - from) / width) : 1;
	int64_t first = 0, latest = now - GRAPH_SPAN_MIN;
	int r;

	if (now - from <= GRAPH_SPAN_MIN)
		return from;
	/* data a day or more before the range: not young, whatever the range
	 * holds (a day's archive row that ends inside the range says nothing) */
	r = first_known(path, from - SPAN_OLD_LOOKBACK, from - 86400, 86400, &first);
	if (r <= 0)
		return from;
	r = first_known(path, from, now, res, &first);
	if (r == 1) /* a store younger than one row of the view's archive */
		r = first_known(path, from > now - SPAN_FINEST_LOOKBACK ? from
				: now - SPAN_FINEST_LOOKBACK, now, 1, &first);
	if (r != 0 || first <= from)
		return from;
	return first < latest ? first : latest > from ? latest : from;
}
