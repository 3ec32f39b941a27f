/*
 * scan_pool.h - the small pool of threads that walks one store.
 *
 * Each thread walks depth-first, and puts the subdirectories it meets in
 * a shared queue while the queue has room (SCAN_POOL_DEPTH per thread);
 * when it is full, the thread descends into them itself.  Early on the
 * queue fills with the top of the tree, so an idle thread takes a large
 * piece of work rather than a leaf at a time, and whatever the tree the
 * queue (open fds and paths) stays bounded.  The calling thread is worker 0;
 * the others are started by scan_pool_run() and joined before it returns.
 */
#ifndef SHRINKWATCH_AGENT_SCAN_POOL_H
#define SHRINKWATCH_AGENT_SCAN_POOL_H

#include <pthread.h>
#include <stdbool.h>

/* Queued directories per thread. */
#define SCAN_POOL_DEPTH 16

/* One directory to walk: an open fd (the task owns it), its path relative
 * to the store (owned, malloc'ed) for error messages, and the walker's own
 * per-directory data. */
struct scan_task {
	int fd;
	char *relpath;
	void *node;
	unsigned depth;
	int mode; /* the walker's: what to do with the directory */
};

typedef void (*scan_pool_fn)(void *arg, unsigned worker, struct scan_task *task);

struct scan_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct scan_task *ring;
	unsigned cap, head, count;
	unsigned idle; /* threads waiting for a task */
	unsigned busy; /* threads running a task */
	unsigned nthreads;
	scan_pool_fn fn;
	void *arg;
};

/* Prepares a pool of nthreads (>= 1).  Returns 0 or -ENOMEM. */
int scan_pool_init(struct scan_pool *p, unsigned nthreads, scan_pool_fn fn, void *arg);
void scan_pool_release(struct scan_pool *p);
/* Runs first and everything offered from it; returns when all is done.
 * Returns 0, or a negative errno when no thread could be started (the walk
 * then ran on the calling thread alone, and still completed). */
int scan_pool_run(struct scan_pool *p, struct scan_task *first);
/* Queues a task: true if taken (the pool now owns it), false if the queue
 * is full or there is one thread (the caller walks it itself). */
bool scan_pool_offer(struct scan_pool *p, const struct scan_task *t);

#endif
