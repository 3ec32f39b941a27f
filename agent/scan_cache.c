/* scan_cache.c - per-directory memory between scans (scan_cache.h). */
#include <stdlib.h>
#include <string.h>

#include "scan_cache.h"
#include "shrinkwatch/banned.h"

struct scan_cache *scan_cache_new(unsigned full_interval_s, unsigned hot_s)
{
	struct scan_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->full_interval_s = full_interval_s;
	c->hot_s = hot_s;
	return c;
}

void scan_cache_reset(struct scan_cache *c)
{
	if (c->root)
		scan_node_free_tree(c->root);
	c->root = NULL;
	c->ndirs = 0;
	c->root_dev = 0;
	c->last_start = (struct timespec){ 0, 0 };
	c->last_full = (struct timespec){ 0, 0 };
	c->btime_ok = 0;
}

void scan_cache_free(struct scan_cache *c)
{
	if (!c)
		return;
	scan_cache_reset(c);
	free(c);
}

struct scan_node *scan_node_new(const char *name, size_t namelen)
{
	struct scan_node *n = calloc(1, sizeof(*n) + namelen + 1);

	if (!n)
		return NULL;
	memcpy(n->name, name, namelen);
	n->name[namelen] = '\0';
	n->namelen = namelen;
	return n;
}

uint64_t scan_node_free_tree(struct scan_node *n)
{
	uint64_t freed = 0;

	if (n)
		n->next = NULL; /* the caller unlinked it from its siblings */
	/* Iterative: splice each node's children in front of its siblings so
	 * that no recursion depth follows the tree's depth. */
	while (n) {
		struct scan_node *next = n->next;

		if (n->children) {
			struct scan_node *last = n->children;

			while (last->next)
				last = last->next;
			last->next = next;
			next = n->children;
		}
		free(n);
		freed++;
		n = next;
	}
	return freed;
}
