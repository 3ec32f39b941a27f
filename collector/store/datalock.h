/*
 * datalock.h - one collector per data directory.
 *
 * Two collectors on the same data_dir would write the same RRD files and the
 * same ledger, and the second one, starting, would unlink the running one's
 * control socket and leave it unreachable.  So the collector takes an
 * exclusive flock(2) on data_dir/collector.lock before it touches anything
 * else, holds it for its whole life (the kernel drops it when the process
 * ends, even after kill -9, so a stale file never blocks a restart) and
 * writes its pid into the file so that a refused second start can name the
 * collector that holds the directory.
 */
#ifndef SHRINKWATCH_COLLECTOR_DATALOCK_H
#define SHRINKWATCH_COLLECTOR_DATALOCK_H

#include <stddef.h>
#include <sys/types.h>

#define DATALOCK_NAME "collector.lock"

struct datalock {
	int fd; /* -1 when not held */
};

/*
 * Takes the lock of data_dir (which must exist).  0 on success; -EWOULDBLOCK
 * when another process holds it (*holder is then its pid as written in the
 * file, or 0 if unknown); another negative errno when the lock file cannot be
 * opened or locked.  The pid is written on a best-effort basis: a full disk
 * does not stop the lock from working.
 */
int datalock_take(struct datalock *l, const char *data_dir, pid_t *holder);
/* Releases the lock (the file stays, as it should: unlinking it would let a
 * third process lock a new file while a second still holds the old one). */
void datalock_release(struct datalock *l);

#endif
