/*
 * hardlinks.h - the set of inodes already counted in one scan.
 *
 * A regular file with more than one link would be counted once per name; the
 * walker asks this set whether it has met the inode before.  Only files with
 * nlink > 1 go in, so the set costs nothing on an ordinary evidence store and
 * grows with the number of hard-linked files only.  The walk never leaves one
 * filesystem, so the inode number alone identifies the file.  The set is
 * shared by the walker threads and locks internally.
 */
#ifndef SHRINKWATCH_AGENT_HARDLINKS_H
#define SHRINKWATCH_AGENT_HARDLINKS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct hardlinks {
	pthread_mutex_t lock;
	uint64_t *slots; /* open addressing; 0 = empty */
	size_t cap;      /* a power of two, or 0 before the first insert */
	size_t used;
	int has_zero; /* inode 0 cannot live in a slot */
};

void hardlinks_init(struct hardlinks *hl);
void hardlinks_release(struct hardlinks *hl);
/* Returns 1 when ino was new (count the file), 0 when it was already there,
 * or -ENOMEM. */
int hardlinks_add(struct hardlinks *hl, uint64_t ino);

#endif
