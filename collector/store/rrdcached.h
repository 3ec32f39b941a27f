/*
 * rrdcached.h - the collector's `rrdcached` key: send RRD updates through an
 * rrdcached daemon instead of writing the files directly.
 *
 *   [collector]
 *   rrdcached = unix:/run/rrdcached.sock
 *
 * A config hook (collector/config.h) owns the key, so the core config file
 * stays unaware of it; main.c hands the address to rrdstore_start()
 * (struct rrdstore_config).  rrdstore.h says what rrd_sync means with a
 * daemon (FLUSH, then syncfs, before acknowledging; without rrd_sync,
 * acknowledged once rrdcached took the update), and that detector rows are
 * written into their files directly.
 */
#ifndef SHRINKWATCH_COLLECTOR_RRDCACHED_H
#define SHRINKWATCH_COLLECTOR_RRDCACHED_H

#include <stddef.h>

#include "collector/config.h"

struct rrdcached_config {
	char address[256]; /* "" = write files directly */
};

/*
 * The hook: ctx is a struct rrdcached_config, cleared by the caller before
 * loading.  Accepts "unix:/absolute/path" or "HOST:PORT" (rrdcached's own
 * address forms); returns 1 if it took the key, 0 if not its own, -1 with a
 * message in err.
 */
int rrdcached_config_hook(void *ctx, const char *section, const char *key, const char *value,
			  char *err, size_t errlen);
/* Clears rc (no daemon) and registers the hook on cfg
 * (collector_config_register()): 0 or its negative errno.  Call it for every
 * load. */
int rrdcached_config_register(struct rrdcached_config *rc, struct collector_config *cfg);

#endif
