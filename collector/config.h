/*
 * config.h - the collector's configuration file (shrinkwatch-collector.conf(5)).
 *
 *   [collector]  listen, data_dir, rrd_threads, rrd_sync, max_connections
 *
 * Sections owned by other modules ([detect], [store AGENT/STORE], [notify
 * NAME], ...), and keys of [collector] that this file does not know (http,
 * control, tls_*, ...), are offered to the modules' hooks, so each module
 * parses and validates its own keys.  A key nobody takes is an error.
 */
#ifndef SHRINKWATCH_COLLECTOR_CONFIG_H
#define SHRINKWATCH_COLLECTOR_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLLECTOR_DEFAULT_CONFIG "/etc/shrinkwatch/collector.conf"
#define COLLECTOR_DEFAULT_DATA_DIR "/var/lib/shrinkwatch"
#define COLLECTOR_DEFAULT_LISTEN "127.0.0.1:7405"

struct collector_config {
	char listen_host[256];
	uint16_t listen_port;
	char data_dir[PATH_MAX];
	unsigned rrd_threads;     /* RRD writer threads */
	bool rrd_sync;            /* fdatasync RRD files before acknowledging */
	unsigned max_connections; /* agent connections at once */
};

/*
 * A module's hook.  Returns 1 if it handled the key, 0 if the key is not its
 * own, -1 on error with a message in err.
 */
typedef int (*collector_config_section_fn)(void *ctx, const char *section, const char *key,
					   const char *value, char *err, size_t errlen);

struct collector_config_hook {
	collector_config_section_fn fn;
	void *ctx;
};

/*
 * Loads path.  hooks (nhooks entries, may be 0) are offered every key this
 * file does not handle itself, in order.  Returns 0, or -1 with "FILE:LINE:
 * [section] key: message" in err.
 */
int collector_config_load(const char *path, struct collector_config *cfg,
			  const struct collector_config_hook *hooks, size_t nhooks, char *err,
			  size_t errlen);

#endif
