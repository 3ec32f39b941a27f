/*
 * change24.h - the overview's "change over 24 hours", cached.
 *
 * The change is the last sample's total (live, from the board) minus the
 * total about 24 hours before it, which only the store's RRD file knows.
 * Reading one file per store per request made the overview of thousands of
 * stores cost thousands of rrd_fetch calls each time; the value 24 hours ago
 * moves by one sample per interval, so it is kept per store and read again
 * at most every HTTP_CHANGE24_TTL seconds (or when the store's last sample
 * went back in time, as after a restore).  The change shown is then "24
 * hours, give or take the TTL", and always ends at the latest sample.
 *
 * Used by the HTTP threads concurrently: one mutex around the map, never
 * held during a file read.
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_CHANGE24_H
#define SHRINKWATCH_COLLECTOR_HTTP_CHANGE24_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "shrinkwatch/strmap.h"

#define HTTP_CHANGE24_TTL 300

struct change24_cache {
	pthread_mutex_t mu;
	struct strmap m; /* store_key() -> struct change24_entry * */
	unsigned ttl;    /* seconds */
	uint64_t reads, hits; /* RRD reads and cache answers, for tests and the bench */
};

int change24_cache_init(struct change24_cache *c, unsigned ttl);
void change24_cache_release(struct change24_cache *c);

/*
 * The store's bytes and objects about 24 hours before last_time (the time of
 * its last complete sample), from the cache when it was read less than ttl
 * seconds before now, else from data_dir's RRD file.  0, or -ENOENT when the
 * file has no value then (a store younger than a day, no file).
 */
int change24_lookup(struct change24_cache *c, const char *data_dir, const char *agent,
		    const char *store, int64_t last_time, int64_t now, double *bytes,
		    double *objects);

#endif
