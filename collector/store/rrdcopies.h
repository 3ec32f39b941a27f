/*
 * rrdcopies.h - one RRD file per copy relation: its history for the
 * dashboard's graph (source and destination totals side by side, the
 * missing count over time).
 *
 * data_dir/copies/<name>.rrd, created on the first comparison that ends,
 * step 60 s with a heartbeat of a day (comparisons come once per source
 * interval, or less often while an end is silent), data sources (GAUGE)
 * src_files, dst_files, src_bytes, dst_bytes, missing, differs; AVERAGE and
 * MAX archives: minutes for 2 days, hours for 100 days, days for 10 years.
 * Written with librrd's thread-safe calls on the loop's worker pool
 * (rrdcopies_submit()), never on the event loop.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDCOPIES_H
#define SHRINKWATCH_COLLECTOR_RRDCOPIES_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define RRDCOPIES_NDS 6
extern const char *const rrdcopies_ds_names[RRDCOPIES_NDS];

/* data_dir/copies/<name>.rrd into out.  0 or -ENAMETOOLONG. */
int rrdcopies_path(const char *data_dir, const char *name, char *out, size_t outlen);

/*
 * Writes one row (v in rrdcopies_ds_names order) at t, creating the file
 * (and data_dir/copies) when it is missing.  Blocks on the disk: call it off
 * the loop.  A row not newer than the file's last is skipped.  0 or a
 * negative errno (logged).
 */
int rrdcopies_write(const char *data_dir, const char *name, int64_t t,
		    const uint64_t v[RRDCOPIES_NDS]);

/* rrdcopies_write() on loop's worker pool; data_dir and name are copied.
 * 0 or -ENOMEM / uv's error (the row is then dropped). */
int rrdcopies_submit(uv_loop_t *loop, const char *data_dir, const char *name, int64_t t,
		     const uint64_t v[RRDCOPIES_NDS]);

#endif
