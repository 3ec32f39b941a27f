/*
 * journal.h - the fields a journal notification carries.
 *
 * Building the field list is a pure function, apart from the sending, so the
 * unit tests check every field without a journald.  MESSAGE_ID is fixed per
 * alert kind (docs/operations.md lists them), so `journalctl MESSAGE_ID=...`
 * finds every drop ever notified, across restarts and versions.
 */
#ifndef SHRINKWATCH_COLLECTOR_NOTIFY_JOURNAL_H
#define SHRINKWATCH_COLLECTOR_NOTIFY_JOURNAL_H

#include <stddef.h>
#include <sys/uio.h>

#include "notify.h"

#define NOTIFY_JOURNAL_FIELDS_MAX 20

struct notify_journal_fields {
	struct iovec iov[NOTIFY_JOURNAL_FIELDS_MAX]; /* "NAME=value", pointing into text */
	size_t n;
	char text[8192];
};

/* The 128-bit id (32 hex digits) for an alert kind; unknown kinds share one. */
const char *notify_journal_message_id(const char *kind);

/* The journal PRIORITY for a severity: critical 2, warning 4, info 6. */
int notify_journal_priority(enum notify_severity s);

/*
 * Fills f with MESSAGE, MESSAGE_ID, PRIORITY, SYSLOG_IDENTIFIER,
 * SHRINKWATCH_NOTIFIER, SHRINKWATCH_ALERT_ID, AGENT, STORE, KIND, SEVERITY,
 * STATE, LOST_BYTES, LOST_OBJECTS, SINCE, TIME, REPEAT and (when set)
 * DASHBOARD_URL, for notifier name.  Long values are cut to fit.  0 or
 * -ENOBUFS.
 */
int notify_journal_build(const struct notify_message *m, const char *name,
			 struct notify_journal_fields *f);

#endif
