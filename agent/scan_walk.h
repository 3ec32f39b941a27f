/*
 * scan_walk.h - the directory walk behind scan_store() (internal to scan.c
 * and scan_walk.c).
 *
 * One struct scan_walk per scan, shared by the walker threads; one struct
 * scan_worker per thread, so that the counters are added up without locks
 * and each thread has its own getdents buffers (one per depth, reused) and
 * its own path buffer (used for error messages only: every system call is
 * relative to an open directory fd).
 */
#ifndef SHRINKWATCH_AGENT_SCAN_WALK_H
#define SHRINKWATCH_AGENT_SCAN_WALK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "hardlinks.h"
#include "manifest.h"
#include "scan_cache.h"
#include "scan_pool.h"
#include "shrinkwatch/sample.h"

/* Deeper trees make the scan partial rather than costing unbounded memory. */
#define SCAN_MAX_DEPTH 256
#define SCAN_BUF_SIZE 32768

/* What scan_walk_dir() does with a directory. */
enum {
	SCAN_MODE_READ = 0,  /* read its entries (fd opened O_RDONLY) */
	SCAN_MODE_CHECK = 1, /* unchanged: only look at its cached subdirectories */
};

struct scan_walk;

struct scan_worker {
	struct scan_walk *walk;
	char *path;
	size_t len, cap;
	char *bufs[SCAN_MAX_DEPTH + 1];
	uint64_t objects, bytes, added_objects, added_bytes;
	uint64_t dirs_read, dirs_unchanged, files_statted;
	int64_t ndirs_delta; /* cache nodes created minus freed */
	int no_btime;        /* met a file without a birth time */
	int nomem;
	int man_failed;      /* a directory could not be recorded in the manifest */
	/* the files of the directory being read at each depth (manifest) */
	struct manifest_dirbuf mbufs[SCAN_MAX_DEPTH + 1];
};

struct scan_walk {
	struct timespec start, prev;
	int has_prev;
	uint32_t dev_major, dev_minor;
	int incremental; /* trust unchanged directories (needs nodes) */
	unsigned hot_s;
	uint64_t gen;
	struct manifest *man; /* NULL: totals only */
	struct hardlinks hl;
	struct scan_pool pool;
	struct scan_worker *workers;
	unsigned nworkers;
	pthread_mutex_t lock; /* for the error fields */
	uint32_t error_count;
	char first_error[SW_ERRTEXT_MAX + 1];
};

/* Records a failure on path/name (name may be NULL) as a partial scan. */
void scan_walk_error(struct scan_worker *w, const char *what, const char *name, int err);
/* Prepares node for a read of the directory whose statx is sx: records the
 * times the next scan compares, and whether they are too recent to trust. */
void scan_walk_prepare(struct scan_node *node, const struct statx *sx);
/* Whether node still stands for the directory whose statx is sx. */
int scan_walk_unchanged(const struct scan_walk *walk, const struct scan_node *node,
			const struct statx *sx);
/* Tells the manifest (if any) that the directory at the worker's path plus
 * name (NULL: the worker's path itself) is still there, unread. */
void scan_walk_seen(struct scan_worker *w, const char *name);
/* Adds an unchanged directory's cached totals. */
void scan_walk_account(struct scan_worker *w, const struct scan_node *node);
/* Walks the directory open on fd (closed on return) at the worker's path. */
void scan_walk_dir(struct scan_worker *w, int fd, struct scan_node *node, unsigned depth,
		   int mode);
/* The pool's entry point (scan_pool_fn). */
void scan_walk_task(void *arg, unsigned worker, struct scan_task *t);

#endif
