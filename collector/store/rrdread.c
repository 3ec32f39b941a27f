/* rrdread.c - the samples a store RRD holds, read back (see rrdread.h). */
#include <errno.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rrdread.h"
#include "rrdsample.h"
#include "shrinkwatch/banned.h"

/* The data source's index in the file, or -1. */
static int ds_index(char **names, unsigned long n, const char *want)
{
	for (unsigned long i = 0; i < n; i++)
		if (!strcmp(names[i], want))
			return (int)i;
	return -1;
}

static uint64_t u64_of(double v)
{
	return v <= 0 ? 0 : v >= 1.8e19 ? UINT64_MAX : (uint64_t)llround(v);
}

int rrdread_since(const char *data_dir, const char *agent, const char *store, int64_t after,
		  rrdread_fn fn, void *ctx)
{
	char path[4200];
	time_t start, end, last;
	unsigned long step = 0, nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	int ix[RRDSAMPLE_NDS], count = 0, rc = 0;

	if (rrdsample_path(data_dir, agent, store, path, sizeof path))
		return -ENAMETOOLONG;
	if (access(path, R_OK))
		return -errno;
	rrd_clear_error();
	last = rrd_last_r(path);
	if (last <= 0)
		return -EIO;
	if (last <= after)
		return 0;
	start = (time_t)after;
	end = last;
	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names, &data))
		return -EIO;
	for (int d = 0; d < RRDSAMPLE_NDS; d++)
		ix[d] = ds_index(names, nds, rrdsample_ds_names[d]);
	if (ix[0] < 0 || ix[1] < 0 || !step) {
		rc = -EIO;
		goto out;
	}
	/* row k covers (start + k step, start + (k + 1) step] */
	for (time_t t = start + (time_t)step; t <= end && !rc; t += (time_t)step) {
		const rrd_value_t *row = data + (size_t)((t - start) / (time_t)step - 1) * nds;
		struct sw_sample s;

		if (t <= after || t > last || isnan(row[ix[0]]) || isnan(row[ix[1]]))
			continue;
		memset(&s, 0, sizeof s);
		snprintf(s.store, sizeof s.store, "%s", store);
		s.time = (int64_t)t;
		s.status = SW_SCAN_COMPLETE;
		s.bytes = u64_of(row[ix[0]]);
		s.objects = u64_of(row[ix[1]]);
		if (ix[2] >= 0 && ix[3] >= 0 && !isnan(row[ix[2]]) && !isnan(row[ix[3]])) {
			s.added_bytes = u64_of(row[ix[2]]);
			s.added_objects = u64_of(row[ix[3]]);
			s.flags |= SW_SAMPLE_HAS_ADDED;
		}
		if (ix[4] >= 0 && !isnan(row[ix[4]]))
			s.fs_used = u64_of(row[ix[4]]);
		if (ix[5] >= 0 && !isnan(row[ix[5]]))
			s.fs_size = u64_of(row[ix[5]]);
		if (ix[6] >= 0 && !isnan(row[ix[6]]))
			s.fs_inodes = u64_of(row[ix[6]]);
		rc = fn(ctx, &s);
		count++;
	}
out:
	for (unsigned long i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return rc ? rc : count;
}
