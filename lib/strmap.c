/* strmap.c - open-addressing string hash map (see strmap.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/strmap.h"
#include "shrinkwatch/banned.h"

static char strmap__tombstone;
#define TOMBSTONE (&strmap__tombstone)

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof *m);
}

void strmap_release(struct strmap *m)
{
	for (size_t i = 0; i < m->nslots; i++)
		if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
			free(m->slots[i].key);
	free(m->slots);
	strmap_init(m);
}

/* Slot holding key, or the first free slot on its probe path. */
static struct strmap_slot *find(const struct strmap *m, const char *key, int for_insert)
{
	size_t mask = m->nslots - 1, i = (size_t)hash(key) & mask;
	struct strmap_slot *first_free = NULL;

	for (;;) {
		struct strmap_slot *s = &m->slots[i];
		if (!s->key)
			return for_insert && first_free ? first_free : s;
		if (s->key == TOMBSTONE) {
			if (!first_free)
				first_free = s;
		} else if (!strcmp(s->key, key)) {
			return s;
		}
		i = (i + 1) & mask;
	}
}

static int grow(struct strmap *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 16;
	struct strmap old = *m;

	if (m->count * 2 < m->nslots)
		n = m->nslots; /* mostly tombstones: rehash at the same size */
	m->slots = calloc(n, sizeof *m->slots);
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	m->nslots = n;
	m->count = m->used = 0;
	for (size_t i = 0; i < old.nslots; i++) {
		struct strmap_slot *s = &old.slots[i];
		if (s->key && s->key != TOMBSTONE) {
			*find(m, s->key, 1) = *s;
			m->count++;
			m->used++;
		}
	}
	free(old.slots);
	return 0;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;

	if (!m->nslots)
		return NULL;
	s = find(m, key, 0);
	return s->key ? s->value : NULL;
}

int strmap_put(struct strmap *m, const char *key, void *value)
{
	struct strmap_slot *s;
	char *copy;

	if ((m->used + 1) * 10 >= m->nslots * 7 && grow(m))
		return -ENOMEM;
	s = find(m, key, 0);
	if (s->key) {
		s->value = value;
		return 0;
	}
	s = find(m, key, 1);
	copy = strdup(key);
	if (!copy)
		return -ENOMEM;
	if (!s->key)
		m->used++;
	s->key = copy;
	s->value = value;
	m->count++;
	return 0;
}

void *strmap_del(struct strmap *m, const char *key)
{
	struct strmap_slot *s;
	void *v;

	if (!m->nslots)
		return NULL;
	s = find(m, key, 0);
	if (!s->key)
		return NULL;
	v = s->value;
	free(s->key);
	s->key = TOMBSTONE;
	s->value = NULL;
	m->count--;
	return v;
}

int strmap_next(const struct strmap *m, size_t *pos, const char **key, void **value)
{
	while (*pos < m->nslots) {
		struct strmap_slot *s = &m->slots[(*pos)++];
		if (s->key && s->key != TOMBSTONE) {
			*key = s->key;
			*value = s->value;
			return 1;
		}
	}
	return 0;
}
