/*
 * detect_config.h - the detector's part of the collector's INI config.
 *
 * Two kinds of sections belong to the detector:
 *   [detect]       global knobs (every one has a built-in default)
 *   [store KEY]    per-store settings: retention = 31d, purge_at = 02:00
 *                  (UTC) and any [detect] knob as an override
 * KEY is "agent/store" in the live collector and the trace's store column in
 * `shrinkwatchctl replay` (exact match).  A KEY that can match no store
 * ("evsrv01" in the collector, "a/b/c", "* /x") is an error naming the
 * section and its line, not settings that silently never apply.  A store's effective knobs are the
 * built-in defaults, then [detect], then its own section, whatever the order
 * of the sections in the file.
 */
#ifndef SHRINKWATCH_DETECT_CONFIG_H
#define SHRINKWATCH_DETECT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/detect.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/sample.h"

struct detect_store_conf {
	char key[STORE_KEY_MAX]; /* "agent/store" (names.h) */
	struct detect_params p;
	uint32_t set; /* bit per knob given in the section */
};

struct detect_config_set {
	struct detect_params global; /* [detect] values */
	uint32_t global_set;
	struct detect_store_conf *stores; /* owned; detect_config_release() frees */
	size_t nstores, alloc;
};

void detect_config_init(struct detect_config_set *cs);
void detect_config_release(struct detect_config_set *cs);

/*
 * Handles one key of the INI file.  Returns 1 when handled, 0 when the
 * section is not the detector's, -1 on error with a message in err (for
 * example "retention must be a duration like 30d").  KEY of [store KEY] may
 * be AGENT/STORE or a bare STORE (a replay trace's store column).
 */
int detect_config_key(struct detect_config_set *cs, const char *section, const char *key,
		      const char *value, char *err, size_t errlen);

/* The same with the collector's config-hook signature (ctx = the set), for
 * struct collector_config_hook; the collector's stores are always
 * AGENT/STORE, so a bare [store STORE] is refused here. */
int detect_config_hook(void *ctx, const char *section, const char *key, const char *value,
		       char *err, size_t errlen);

/* The effective knobs for a store KEY (defaults when it has no section). */
void detect_config_resolve(const struct detect_config_set *cs, const char *key,
			   struct detect_params *out);

/*
 * Reads the detector's sections from an INI file, ignoring every other
 * section (so it accepts the whole collector config).  Returns 0, or -1 with
 * "FILE:LINE: [section] key: message" in msg.
 */
int detect_config_load(struct detect_config_set *cs, const char *path, char *msg, size_t msglen);

#endif
