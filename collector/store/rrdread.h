/*
 * rrdread.h - the samples a store RRD holds, read back for the detector.
 *
 * A sample is acknowledged once it is in its store RRD; the detector's state
 * is saved in the ledger only every minute, and not at all while the ledger
 * cannot write (a full disk) or while alerts of the store wait to be
 * recorded.  So after a restart (a kill -9, a restart on a full disk) the
 * store RRD may hold samples newer than the saved detector state, and the
 * agent will never send them again (the collector stored them).  The
 * detector reads them back from the file's finest archive (every sample for
 * three days, rrdsample.h) and judges them before any new sample: nothing
 * the saved state missed goes unjudged.
 *
 * The RRD keeps what the detector needs of a sample: the totals, added_*
 * (whether known) and the file system figures; not the sequence number,
 * scan status details or the mount identity.  A row whose totals are
 * unknown (a partial or missing scan, or no sample in that step) is not
 * handed on.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDREAD_H
#define SHRINKWATCH_COLLECTOR_RRDREAD_H

#include <stdint.h>

#include "shrinkwatch/sample.h"

/* Called per sample, in time order; a nonzero return stops the reading and
 * is returned by rrdread_since(). */
typedef int (*rrdread_fn)(void *ctx, const struct sw_sample *s);

/*
 * Hands fn every sample of data_dir's store RRD of agent/store with a time
 * after `after`, up to the file's last update: time, bytes, objects,
 * added_* (SW_SAMPLE_HAS_ADDED when known), fs_*, status complete, seq 0.
 * Returns the number of samples handed on, or a negative errno (-ENOENT: no
 * such file; -EIO: librrd could not read it), or fn's nonzero return.
 */
int rrdread_since(const char *data_dir, const char *agent, const char *store, int64_t after,
		  rrdread_fn fn, void *ctx);

#endif
