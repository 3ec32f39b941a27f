/* loadgen_verify.c - counting the rows that reached RRD (see loadgen.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen.h"

/* Rows of one file whose "objects" value is exactly the one its round sent. */
static int count_file(const struct lg_load *l, unsigned s, const char *path, uint64_t *rows)
{
	time_t start = l->t0, end = l->t0 + (time_t)(l->rounds - 1) * l->interval;
	unsigned long step = l->interval, nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	int di = -1;

	rrd_clear_error();
	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names, &data)) {
		fprintf(stderr, "loadgen: cannot fetch '%s': %s\n", path, rrd_get_error());
		return -EIO;
	}
	for (unsigned long i = 0; i < nds; i++) {
		if (!strcmp(names[i], "objects"))
			di = (int)i;
		free(names[i]);
	}
	free(names);
	if (di >= 0 && step == l->interval) {
		/* row k holds the time (start + (k+1) * step] */
		size_t nrows = (size_t)((end - start) / (time_t)step);
		for (size_t k = 0; k < nrows; k++) {
			int64_t t = (int64_t)start + (int64_t)(k + 1) * (int64_t)step;
			int64_t r = (t - l->t0) / (int64_t)l->interval;
			double v = data[k * nds + (size_t)di];

			if (r >= 1 && r < (int64_t)l->rounds && !isnan(v) &&
			    v == (double)lg_objects(s, (unsigned)r))
				(*rows)++;
		}
	} else {
		fprintf(stderr, "loadgen: '%s' has no objects source at step %u\n", path,
			l->interval);
	}
	free(data);
	return 0;
}

int lg_verify_rrd(const struct lg_load *l, const char *data_dir, const char *path_fmt,
		  uint64_t *stored, uint64_t *files_missing)
{
	unsigned short_files = 0;

	*stored = *files_missing = 0;
	for (unsigned a = 0; a < l->agents; a++) {
		char agent[SW_NAME_MAX + 1], store[SW_NAME_MAX + 1], path[4400];

		lg_agent_name(l, a, agent, sizeof agent);
		for (unsigned s = 0; s < l->stores; s++) {
			uint64_t rows = 0;

			lg_store_name(s, store, sizeof store);
			snprintf(path, sizeof path, path_fmt, data_dir, agent, store);
			if (access(path, F_OK)) {
				if ((*files_missing)++ < 5)
					fprintf(stderr, "loadgen: '%s' is missing\n", path);
				continue;
			}
			if (count_file(l, s, path, &rows))
				return -EIO;
			if (rows != l->rounds - 1 && short_files++ < 5)
				fprintf(stderr, "loadgen: '%s' holds %" PRIu64 " of %u rows\n",
					path, rows, l->rounds - 1);
			*stored += rows;
		}
	}
	return 0;
}
