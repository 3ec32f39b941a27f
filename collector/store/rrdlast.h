/*
 * rrdlast.h - each RRD file's last update time, remembered by its writer.
 *
 * librrd refuses an update not newer than the file's last one, and asking
 * the file (rrd_last_r) opens and parses its header every time.  Each worker
 * of the RRD writer (rrdstore.c: the sample writers for the store files, the
 * detector rows' worker for the detector's) keeps the time it last wrote per
 * path, reads the file only the first time or after a failed write
 * (rrdlast_forget), and drops older rows before they reach librrd.  Every
 * file has exactly one worker that writes it, so one cache per worker needs
 * no locking.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDLAST_H
#define SHRINKWATCH_COLLECTOR_RRDLAST_H

#include <stdint.h>

#include "shrinkwatch/strmap.h"

struct rrdlast {
	struct strmap times; /* path -> int64_t * */
};

void rrdlast_init(struct rrdlast *c);
void rrdlast_release(struct rrdlast *c);
/* path's last update: cached, else read from the file (and cached); 0 if
 * the file does not exist; -1 if it cannot be read (errno or rrd_get_error
 * says why). */
int64_t rrdlast_get(struct rrdlast *c, const char *path);
/* Records a successful write up to t (without memory the next get reads
 * the file again). */
void rrdlast_set(struct rrdlast *c, const char *path, int64_t t);
/* After a failed write: the next get reads the file. */
void rrdlast_forget(struct rrdlast *c, const char *path);

#endif
