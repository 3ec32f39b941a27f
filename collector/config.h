/*
 * config.h - the collector's configuration file (shrinkwatch-collector.conf(5)).
 *
 *   [collector]  listen, data_dir, rrd_threads, rrd_sync, max_connections
 *
 * Sections owned by other modules ([detect], [store AGENT/STORE], [notify
 * NAME], ...), and keys of [collector] that this file does not know (http,
 * control, tls_*, ...), are offered to the hooks the modules registered on
 * the configuration (collector_config_register()), so each module parses and
 * validates its own keys and nobody keeps a list of who owns what.  A key
 * nobody takes is an error.
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

/* Hooks one configuration can hold: one or a few per module. */
#define COLLECTOR_CONFIG_MAX_HOOKS 16

struct collector_config {
	char listen_host[256];
	uint16_t listen_port;
	char data_dir[PATH_MAX];
	unsigned rrd_threads;     /* RRD writer threads */
	bool rrd_sync;            /* fdatasync RRD files before acknowledging */
	unsigned max_connections; /* agent connections at once */
	/* the modules' hooks, in the order they registered */
	struct collector_config_hook hooks[COLLECTOR_CONFIG_MAX_HOOKS];
	size_t nhooks;
};

/*
 * Fills cfg with the [collector] defaults and no hooks.  Call it once per
 * load, before the modules register: a reload (SIGHUP) builds a fresh
 * configuration, so every module registers again and can forget what an
 * earlier load told it.
 */
void collector_config_init(struct collector_config *cfg);

/*
 * Registers a module's hook, as collectd's plugin_register_config(): the
 * module owns its keys and sections, and whoever composes the collector
 * (main.c) only asks each module to register, without knowing its keys.
 * hook is copied; hook->ctx must stay valid while cfg is read.  Hooks are
 * offered keys in the order they registered.  0, or -ENOSPC when
 * COLLECTOR_CONFIG_MAX_HOOKS are registered already.
 */
int collector_config_register(struct collector_config *cfg,
			      const struct collector_config_hook *hook);

/*
 * Reads path into cfg (made with collector_config_init()): the [collector]
 * keys this file knows are set in cfg, every other key is offered to the
 * registered hooks.  Returns 0, or -1 with "FILE:LINE: [section] key:
 * message" in err.
 */
int collector_config_read(const char *path, struct collector_config *cfg, char *err,
			  size_t errlen);

/*
 * collector_config_init(), collector_config_register() of each of hooks
 * (nhooks entries, may be 0) and collector_config_read(), for a caller with
 * a fixed set of hooks (the unit tests of one module, the fuzz targets).
 * -1 with a message in err also when more than COLLECTOR_CONFIG_MAX_HOOKS
 * are given.
 */
int collector_config_load(const char *path, struct collector_config *cfg,
			  const struct collector_config_hook *hooks, size_t nhooks, char *err,
			  size_t errlen);

/*
 * What --check-config can check beyond the file's syntax: that data_dir is a
 * directory the collector can read, write and search, or that it does not
 * exist yet and can be made (the collector makes the last component only).
 * Checked as the user running the check.  0, or -1 with a message that says
 * what to do in err.
 */
int collector_config_check(const struct collector_config *cfg, char *err, size_t errlen);
/*
 * Whether the control socket path (the default place, not given in the
 * file) can be created: its directory, /run/shrinkwatch, exists only under
 * the packaged unit.  0, or 1 with a warning naming the key to set in warn
 * (the collector runs without the socket; see collector/main.c).
 */
int collector_config_check_socket(const char *path, char *warn, size_t len);

#endif
