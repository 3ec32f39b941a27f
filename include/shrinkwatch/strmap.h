/*
 * strmap.h - a hash map from NUL-terminated strings to pointers.
 *
 * The collector keeps thousands of agents and tens of thousands of stores in
 * memory and looks them up on every sample, so lookups are O(1): open
 * addressing with linear probing, FNV-1a hashing, grown at 70% load.  The map
 * copies its keys; it does not own the values (the caller frees them, e.g.
 * while iterating before strmap_release()).
 */
#ifndef SHRINKWATCH_STRMAP_H
#define SHRINKWATCH_STRMAP_H

#include <stddef.h>

struct strmap_slot {
	char *key; /* NULL = empty; STRMAP_TOMBSTONE = deleted */
	void *value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t nslots; /* power of two, or 0 */
	size_t count;  /* live entries */
	size_t used;   /* live + tombstones */
};

void strmap_init(struct strmap *m);
/* Frees the table and the key copies, not the values. */
void strmap_release(struct strmap *m);
void *strmap_get(const struct strmap *m, const char *key);
/* Inserts or replaces.  0, or -ENOMEM (the map is unchanged). */
int strmap_put(struct strmap *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key);

/* Iteration: for (size_t i = 0; strmap_next(m, &i, &k, &v); ) ...
 * The map must not be modified during the loop. */
int strmap_next(const struct strmap *m, size_t *pos, const char **key, void **value);

#endif
