/*
 * copies_conf.h - the [copy NAME] sections of the collector's configuration.
 *
 * A copy relation says that every item of one store (under source_prefix)
 * must also be in another store (under destination_prefix), the two stores
 * on the same agent or on different ones: a migration in progress, or a
 * replica kept for good.  collector/alerts/copies.h checks each relation
 * continuously; this file only reads and validates the sections, so a
 * mistake in one is refused at start-up (or at --check-config) with the key
 * that caused it, not found by an operator weeks later.
 *
 *   [copy archive-move]
 *   source = evidence1/videos
 *   destination = evidence2/videos
 *   source_prefix = 2019          (optional, relative to the store, "" = all)
 *   destination_prefix = old/2019 (optional)
 *   grace = 1h                    (how long an item may be at the source only)
 *   compare = sizes               (names | sizes | content)
 */
#ifndef SHRINKWATCH_COLLECTOR_COPIES_CONF_H
#define SHRINKWATCH_COLLECTOR_COPIES_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/proto.h"

/* Relations one configuration can hold. */
#define COPIES_MAX 64
/* Longest relation name (the NAME of [copy NAME]). */
#define COPIES_NAME_MAX 64
/* Longest prefix: a path relative to the store. */
#define COPIES_PREFIX_MAX 1024
#define COPIES_DEFAULT_GRACE 3600

/* What makes two items "the same". */
enum copies_compare {
	COPIES_NAMES = 0, /* present under the same name */
	COPIES_SIZES,     /* and the same size (the default) */
	COPIES_CONTENT,   /* and the same SHA-256 of the contents (hash_contents on the agents) */
};

/* One end of a relation: a store of an agent and a directory in it. */
struct copies_end {
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	char prefix[COPIES_PREFIX_MAX + 1]; /* "" = the whole store */
};

struct copies_relation {
	char name[COPIES_NAME_MAX + 1];
	struct copies_end source, destination;
	int64_t grace; /* seconds */
	enum copies_compare compare;
};

struct copies_config {
	struct copies_relation rel[COPIES_MAX];
	size_t n;
};

/* Empties c (no relations). */
void copies_config_init(struct copies_config *c);

/*
 * collector_config_hook for the [copy NAME] sections; ctx is a struct
 * copies_config.  Takes every key of a "copy ..." section and refuses the
 * unknown ones; leaves every other section alone (returns 0).
 */
int copies_config_key(void *ctx, const char *section, const char *key, const char *value,
		      char *err, size_t errlen);

/*
 * What one key at a time cannot check, after the whole file was read: that
 * every relation names both a source and a destination, and that its two
 * ends are not the same directory.  0, or -1 with "[copy NAME]: message"
 * in err.
 */
int copies_config_finish(const struct copies_config *c, char *err, size_t errlen);

/* "names", "sizes", "content". */
const char *copies_compare_name(enum copies_compare c);

/* The relation called name, or NULL. */
const struct copies_relation *copies_config_find(const struct copies_config *c,
						 const char *name);

/*
 * Parses "AGENT/STORE" into e's agent and store (the prefix is left alone).
 * Both must be valid names (shrinkwatch/names.h).  0, or -EINVAL with a
 * sentence in err.
 */
int copies_end_parse(struct copies_end *e, const char *value, char *err, size_t errlen);

/*
 * Checks a prefix: relative (no leading '/'), no "." or ".." component, no
 * empty component, no control character, at most COPIES_PREFIX_MAX bytes.
 * A trailing '/' is dropped.  0 with the normalised prefix in out
 * (COPIES_PREFIX_MAX + 1 bytes), or -EINVAL with a sentence in err.
 */
int copies_prefix_parse(const char *value, char *out, char *err, size_t errlen);

#endif
