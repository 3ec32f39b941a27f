/*
 * spawn.h - running a child process for a notifier (exec, email).
 *
 * Both types feed a message to a program's stdin and judge the attempt by its
 * exit status, so they share this: the child runs in its own session (so a
 * timeout kills the whole process group, shell scripts' children included),
 * its stdout and stderr are drained into a bounded buffer and logged, and the
 * attempt ends when the child has exited and closed its output, or a short
 * grace period after its exit (a daemonised grandchild keeping the pipes open
 * must not hold the attempt forever).
 */
#ifndef SHRINKWATCH_COLLECTOR_NOTIFY_SPAWN_H
#define SHRINKWATCH_COLLECTOR_NOTIFY_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "notify.h"

/* How much of a child's stdout and stderr is kept for the log. */
#define NOTIFY_SPAWN_OUTPUT_MAX 4096

/*
 * Children of one notifier running at once; more attempts wait their turn.
 * uv_spawn() forks on the loop's thread (a few milliseconds each for a
 * process the collector's size), so a burst of attempts would otherwise stall
 * the loop for the whole burst, and a paging script rarely wants to run
 * dozens of times in parallel.
 */
#define NOTIFY_SPAWN_MAX_RUNNING 4

struct notify_child;
struct notify_waiting;

/* The attempts of one notifier not yet reported (running or waiting), so
 * stopping it can end them.  Zero-initialise it. */
struct notify_children {
	struct notify_child *head;
	struct notify_waiting *wait_head, *wait_tail;
	unsigned running;
	uv_loop_t *loop;
};

/*
 * Runs argv (argv[0] an absolute path) with env (NULL-terminated; NULL keeps
 * the collector's environment), writes input (len bytes, copied) to its stdin,
 * and reports done(ctx, ...) once: NOTIFY_OK on exit status 0, NOTIFY_RETRY
 * on any other status, a signal, a timeout (timeout_ms from its start, after
 * which the process group is killed) or a program that cannot be started.
 * With NOTIFY_SPAWN_MAX_RUNNING children of list running, it waits (argv,
 * env and input copied) until one ends.  label names
 * the attempt in log lines ("exec 'oncall'").  Returns 0, or -ENOMEM and
 * never calls done.
 */
int notify__spawn(uv_loop_t *loop, struct notify_children *list, const char *label,
		  char *const argv[], char *const env[], const char *input, size_t len,
		  uint64_t timeout_ms, notify_done_fn done, void *ctx);

/* Reports NOTIFY_RETRY ("notifier stopped") for every attempt in list,
 * running or waiting, and kills the process groups; the handles are freed
 * once libuv closes them. */
void notify__children_stop(struct notify_children *list);

/*
 * Splits a command line on blanks into argv (no quoting: an argument cannot
 * contain a blank).  argv[0] must be an absolute path.  Fills at most max - 1
 * pointers into a strdup'ed copy returned in *storage (caller frees it) and a
 * NULL.  0, or -1 with a message in err.
 */
int notify__split_command(const char *cmd, char **argv, size_t max, char **storage, char *err,
			  size_t errlen);

#endif
