/*
 * scan_pool.h - the small pool of threads that walks one store.
 *
 * A walk is depth-first inside each thread: a thread that meets a
 * subdirectory hands it to the pool only when another thread is idle and
 * waiting, and otherwise descends into it itself.  That keeps the queue (and
 * so the memory) bounded by the number of threads whatever the tree, keeps
 * each thread's work local in the dentry cache, and still spreads a wide
 * tree over every thread.  The calling thread is worker 0; the others are
 * started by scan_pool_run() and joined before it returns.
 */
#ifndef SHRINKWATCH_AGENT_SCAN_POOL_H
#define SHRINKWATCH_AGENT_SCAN_POOL_H

#include <pthread.h>
#include <stdbool.h>

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
/* Hands a task to an idle thread: true if taken (the pool now owns it),
 * false if every thread is busy (the caller walks it itself). */
bool scan_pool_offer(struct scan_pool *p, const struct scan_task *t);

#endif
