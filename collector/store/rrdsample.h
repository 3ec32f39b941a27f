/*
 * rrdsample.h - the store RRD's format: where a store's file is, its data
 * sources and archives, and how a sample becomes an update line.  The writer
 * (rrdstore.h) writes these files; the registry, the dashboard and the
 * detector RRD (whose archives are the same, rrddetect.h) read this format.
 *
 * Layout (DESIGN.md, docs/operations.md): one file per (agent,
 * store) at data_dir/rrd/<agent>/<store>.rrd, created on the first sample
 * with step = the agent's interval and heartbeat = 2 x step; data sources
 * bytes, objects, added_bytes, added_objects, fs_used, fs_size, fs_inodes
 * (GAUGE); AVERAGE, MIN and MAX archives at full resolution for 3 days,
 * 5-minute points for 5 weeks, hourly points for 400 days and daily points for
 * 10 years.  MIN is kept because it is what still shows a drop after
 * consolidation.  Totals of a partial or missing scan are written as unknown,
 * never as a number.  The detector RRD's layout is in rrddetect.h.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDSAMPLE_H
#define SHRINKWATCH_COLLECTOR_RRDSAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/sample.h"

/* Data sources in file order; the update string follows this order. */
#define RRDSAMPLE_NDS 7
extern const char *const rrdsample_ds_names[RRDSAMPLE_NDS];

/* Path of a store's RRD file (NUL-terminated in out). */
int rrdsample_path(const char *data_dir, const char *agent, const char *store, char *out,
		  size_t outlen);

/*
 * The RRD creation arguments (DS and RRA definitions) for a step in seconds:
 * fills argv with up to max strings in storage (caller's buffer of len bytes)
 * and returns the count, or -ENOBUFS.  Exposed for tests and tooling.
 */
int rrdsample_layout(unsigned long step, const char **argv, int max, char *storage, size_t len);

/*
 * Formats one sample as an rrd update string "time:v1:...:v7" (unknown
 * totals as U).  Exposed for tests.
 */
int rrdsample_format_update(const struct sw_sample *s, char *out, size_t outlen);

/* Reads data_dir/rrd/<agent>/agent.seq (0 if absent). */
uint64_t rrdsample_read_agent_seq(const char *data_dir, const char *agent);

#endif
