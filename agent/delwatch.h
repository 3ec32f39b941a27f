/*
 * delwatch.h - deletions under a store as they happen, and who did them.
 *
 * A scan tells that data went; it cannot tell who removed it.  Where the
 * agent may (CAP_SYS_ADMIN, Linux >= 5.9), a fanotify mark on the store's
 * whole filesystem (FAN_MARK_FILESYSTEM, FAN_REPORT_DFID_NAME) reports each
 * deletion within the event loop's next turn with the pid of the process that
 * made it; the watcher resolves the parent directory, keeps only those under
 * the store, and adds them up per (process, directory prefix) so that a bulk
 * delete becomes one line: "412 files deleted under 2023/08/ by pid 4312
 * /usr/bin/rsync uid 0".  Sizes are not in the events (the file is gone): the
 * bytes lost come from the next scan's totals.
 *
 * Without the capability delwatch_open() fails with -EPERM and the agent
 * relies on its scans alone (it should say so once).  When the kernel's
 * event queue overflows, events were lost: delwatch_read() returns
 * -EOVERFLOW and the caller rescans the store.  Reads are non-blocking: poll
 * delwatch_fd() (uv_poll) and call delwatch_read() when it is readable.
 */
#ifndef SHRINKWATCH_AGENT_DELWATCH_H
#define SHRINKWATCH_AGENT_DELWATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Distinct (process, directory) pairs kept between two delwatch_take();
 * further pairs are added up in one last entry with pid 0 and dir "*". */
#define DELWATCH_MAX_REPORTS 64
#define DELWATCH_TEXT_MAX 256

struct delwatch_report {
	pid_t pid;                     /* 0: several processes (the table was full) */
	int64_t uid;                   /* real uid; -1 when the process had gone */
	char exe[DELWATCH_TEXT_MAX];   /* "?" when the process had gone */
	char dir[DELWATCH_TEXT_MAX];   /* prefix relative to the store, ends in '/' */
	uint64_t files;                /* non-directories deleted */
	uint64_t dirs;                 /* directories deleted */
	int64_t first, last;           /* unix seconds of the first and last event */
};

struct delwatch;

/* Watches deletions under store_path, grouping them by the first
 * prefix_depth directories of their path (2: "2023/08/").  Returns 0 and
 * *out (caller frees with delwatch_close()), or a negative errno: -EPERM
 * without CAP_SYS_ADMIN, -EINVAL/-ENOSYS on kernels without these fanotify
 * features, -ENOENT when the store is missing. */
int delwatch_open(struct delwatch **out, const char *store_path, unsigned prefix_depth);
void delwatch_close(struct delwatch *dw);
/* The fanotify fd, to poll for readability. */
int delwatch_fd(const struct delwatch *dw);
/* Reads every pending event.  Returns 0, -EOVERFLOW when the kernel dropped
 * events (rescan the store), or another negative errno. */
int delwatch_read(struct delwatch *dw);
/* Moves up to max reports into out and forgets them; returns how many. */
size_t delwatch_take(struct delwatch *dw, struct delwatch_report *out, size_t max);
/* One line for a log or an alert; returns snprintf's count. */
int delwatch_format(const struct delwatch_report *r, char *buf, size_t len);

#endif
