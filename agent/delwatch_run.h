/*
 * delwatch_run.h - the agent's deletion watch: delwatch.h on the event loop.
 *
 * One fanotify group per store, not per filesystem: a group marks the whole
 * filesystem anyway (FAN_MARK_FILESYSTEM), and each keeps only the events
 * under its own store, so two stores on one filesystem cost two groups that
 * both read every deletion there.  Stores are few per agent and deletions
 * rare next to reads, and a group per store keeps each store's overflow,
 * rescan and failure its own; a shared group would save kernel memory on an
 * agent with many stores on one filesystem, at the price of routing events
 * between stores here.
 *
 * Per store, deletion_watch (agent/config.h) decides: "no" never watches;
 * "auto" watches where the kernel allows it (CAP_SYS_ADMIN, Linux >= 5.9)
 * and says once, at INFO, why not otherwise; "yes" makes a store that cannot
 * be watched fail delwatch_run_start() (the daemon refuses to start).
 *
 * The fanotify fds are polled with uv_poll; every DELWATCH_RUN_FLUSH_MS the
 * reports gathered are logged, moved to the delivery queue (delqueue.h) and
 * the shippers are kicked.  When the kernel's queue overflowed, events were
 * lost: one warning per episode (an episode ends with a flush period without
 * overflow), and delwatch_run_take_rescan() tells the scan scheduler to
 * make the store's next scan a full one.  Loop thread only.
 */
#ifndef SHRINKWATCH_AGENT_DELWATCH_RUN_H
#define SHRINKWATCH_AGENT_DELWATCH_RUN_H

#include <stdbool.h>
#include <uv.h>

#include "config.h"
#include "delqueue.h"

#define DELWATCH_RUN_FLUSH_MS 1000
/* Directory levels a report groups by: "2023/08/". */
#define DELWATCH_RUN_DEPTH 2

struct delwatch_run;

/* Starts watching cfg's stores, pushing reports into q and calling
 * kick(ctx) after each flush that pushed some.  Returns 0 and *out (stop
 * with delwatch_run_stop()), or a negative errno with a message in err when
 * a store with deletion_watch = yes cannot be watched. */
int delwatch_run_start(struct delwatch_run **out, uv_loop_t *loop, const struct agent_config *cfg,
		       struct delqueue *q, void (*kick)(void *ctx), void *ctx, char *err,
		       size_t errlen);
/* True once after an overflow of store's watch: scan it in full next. */
bool delwatch_run_take_rescan(struct delwatch_run *r, const char *store);
/* Stores being watched (for the start-up log line). */
size_t delwatch_run_count(const struct delwatch_run *r);
/* Flushes what was gathered into the queue and closes every handle; the
 * memory goes when the loop has run their close callbacks.  NULL is fine. */
void delwatch_run_stop(struct delwatch_run *r);

#endif
