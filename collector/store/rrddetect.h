/*
 * rrddetect.h - the per-store detector RRD: what the detector expected and
 * saw for every sample it judged, kept where a graph can read it.
 *
 * The store RRD (rrdstore.h) holds what the agent measured; the detector's
 * expectation -- how much tonight's retention purge may remove, how much of
 * a loss declared deletions explained, how much was left unexplained -- is
 * learned state that no graph could otherwise show.  One file per (agent,
 * store) at data_dir/detect/<agent>/<store>.rrd (apart from data_dir/rrd,
 * which the registry reads as the list of stores, and because store names
 * may contain '.'), created on first use with the store RRD's step and
 * archives (rrdsample_layout()).  Data sources (GAUGE, per sample; "_obj" the
 * same for objects):
 *
 *   removed, removed_obj          previous + added - now (negative: growth
 *                                 nothing added, e.g. a file renamed in)
 *   purge_allow, purge_allow_obj  the retention allowance of the purge window
 *                                 the sample lies in (for the whole window;
 *                                 0 outside a window)
 *   purge_done, purge_done_obj    removal so far in that window (0 outside)
 *   declared, declared_obj        loss consumed by declared deletions
 *   unexplained, unexplained_obj  what the alarms were fed
 *
 * and removed = purge part + declared + unexplained, so the part the purge
 * explained is a CDEF.  A sample the detector did not judge (partial scan,
 * first sample, vanished store) is a row of unknowns.
 *
 * This file is the format: where the file is, how it is created and what an
 * update line says.  The rows are written by the collector's one RRD writer
 * (rrdstore.h, "Detector rows": its low-priority worker, a bounded queue,
 * quiet stores' rows held and written together), never on the event loop and
 * never in the way of a sample's acknowledgement.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDDETECT_H
#define SHRINKWATCH_COLLECTOR_RRDDETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/detect.h"

#define RRDDETECT_NDS 10
/* Longest update line: a time and ten numbers of at most ~25 characters. */
#define RRDDETECT_LINE_MAX 320

/* Data sources in file order; the update string follows this order. */
extern const char *const rrddetect_ds_names[RRDDETECT_NDS];

/* data_dir/detect/<agent>/<store>.rrd; 0 or -ENAMETOOLONG. */
int rrddetect_path(const char *data_dir, const char *agent, const char *store, char *out,
		   size_t outlen);
/* The creation arguments (DS and RRA) as rrdsample_layout() does them. */
int rrddetect_layout(unsigned long step, const char **argv, int max, char *storage,
		     size_t len);
/* "t:v1:...:v10" (unknowns as U when !fig->judged); outlen must be at least
 * RRDDETECT_LINE_MAX.  0 or -ENOBUFS. */
int rrddetect_format_update(int64_t t, const struct detect_figures *fig, char *out,
			    size_t outlen);
/* Whether a row says anything (a removal, a purge window, a declared or
 * unexplained loss): the writer holds a quiet store's rows, not these. */
bool rrddetect_row_matters(const struct detect_figures *fig);

#endif
