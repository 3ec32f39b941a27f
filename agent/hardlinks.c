/* hardlinks.c - the set of hard-linked inodes already counted (hardlinks.h). */
#include <errno.h>
#include <stdlib.h>

#include "hardlinks.h"
#include "shrinkwatch/banned.h"

void hardlinks_init(struct hardlinks *hl)
{
	pthread_mutex_init(&hl->lock, NULL);
	hl->slots = NULL;
	hl->cap = 0;
	hl->used = 0;
	hl->has_zero = 0;
}

void hardlinks_release(struct hardlinks *hl)
{
	free(hl->slots);
	hl->slots = NULL;
	hl->cap = hl->used = 0;
	hl->has_zero = 0;
	pthread_mutex_destroy(&hl->lock);
}

/* A 64-bit mixer (splitmix64's finaliser): inode numbers are often dense. */
static size_t hardlinks__hash(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x;
}

static void hardlinks__put(uint64_t *slots, size_t cap, uint64_t ino)
{
	size_t i = hardlinks__hash(ino) & (cap - 1);

	while (slots[i] != 0)
		i = (i + 1) & (cap - 1);
	slots[i] = ino;
}

static int hardlinks__grow(struct hardlinks *hl)
{
	size_t ncap = hl->cap ? hl->cap * 2 : 256;
	uint64_t *n = calloc(ncap, sizeof(*n));
	size_t i;

	if (!n)
		return -ENOMEM;
	for (i = 0; i < hl->cap; i++)
		if (hl->slots[i] != 0)
			hardlinks__put(n, ncap, hl->slots[i]);
	free(hl->slots);
	hl->slots = n;
	hl->cap = ncap;
	return 0;
}

int hardlinks_add(struct hardlinks *hl, uint64_t ino)
{
	size_t i;
	int ret;

	pthread_mutex_lock(&hl->lock);
	if (ino == 0) {
		ret = !hl->has_zero;
		hl->has_zero = 1;
		goto out;
	}
	if ((hl->used + 1) * 2 > hl->cap) {
		ret = hardlinks__grow(hl);
		if (ret < 0)
			goto out;
	}
	for (i = hardlinks__hash(ino) & (hl->cap - 1); hl->slots[i] != 0;
	     i = (i + 1) & (hl->cap - 1)) {
		if (hl->slots[i] == ino) {
			ret = 0;
			goto out;
		}
	}
	hl->slots[i] = ino;
	hl->used++;
	ret = 1;
out:
	pthread_mutex_unlock(&hl->lock);
	return ret;
}
