/*
 * journal.c - type = journal: one structured journal entry per
 * notification (see journal.h).  No keys of its own.
 *
 * sd_journal_sendv() is a single datagram to journald's socket and does not
 * block for long, so it runs on the loop; the result is reported on the next
 * turn of the loop, as notify_send() promises.  No journald (no socket) is a
 * receiver that is down: NOTIFY_RETRY, so in a container without journald the
 * outbox keeps the notification until its expiry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "notify_int.h"
#include "journal.h"
#include "shrinkwatch/banned.h"

static const struct {
	const char *kind;
	const char *id;
} message_ids[] = {
	{ "drop", "04757486c1ac4d639935951c3b15f541" },
	{ "leak", "6c84faabcaec4347bee5e7792b6ae24c" },
	{ "overpurge", "17951fc839c64c5fb372a7d6f0729e2c" },
	{ "truncate", "67208789cfc14ae9bf2e9bdb284f0d8f" },
	{ "object_loss", "3c43fea84f1e44bc804a516032c20922" },
	{ "vanished", "e4db748bc7c84e3b8a5c8889d3919005" },
	{ "silence", "2d4b419cc6ad4e7d8ab7b1fc58467e43" },
	{ "copy_missing", "6b2e8430f7a24528800ed67c16b5c46c" },
	{ "copy_differs", "b31303150165470980517f2d7fcd4280" },
	{ "copy_lost", "d3b051e8173a415784896578985afa36" },
};
#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define OTHER_MESSAGE_ID "2d3d1bc85508471bb888eec46addd2ad"

const char *notify_journal_message_id(const char *kind)
{
	for (size_t i = 0; i < sizeof message_ids / sizeof message_ids[0]; i++)
		if (!strcmp(message_ids[i].kind, kind))
			return message_ids[i].id;
	return OTHER_MESSAGE_ID;
}

int notify_journal_priority(enum notify_severity s)
{
	switch (s) {
	case NOTIFY_CRITICAL:
		return 2;
	case NOTIFY_WARNING:
		return 4;
	case NOTIFY_INFO:
		return 6;
	}
	return 6;
}

/* Appends one "NAME=value" field; values are cut at 1024 bytes. */
static int field(struct notify_journal_fields *f, size_t *used, const char *name,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int field(struct notify_journal_fields *f, size_t *used, const char *name,
		 const char *fmt, ...)
{
	char value[1025];
	va_list ap;
	int n;

	if (f->n == NOTIFY_JOURNAL_FIELDS_MAX)
		return -ENOBUFS;
	va_start(ap, fmt);
	vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	n = snprintf(f->text + *used, sizeof f->text - *used, "%s=%s", name, value);
	if (n < 0 || (size_t)n >= sizeof f->text - *used)
		return -ENOBUFS;
	f->iov[f->n].iov_base = f->text + *used;
	f->iov[f->n].iov_len = (size_t)n;
	f->n++;
	*used += (size_t)n + 1;
	return 0;
}

int notify_journal_build(const struct notify_message *m, const char *name,
			 struct notify_journal_fields *f)
{
	size_t used = 0;
	int e = 0;

	f->n = 0;
	e = e ? e : field(f, &used, "MESSAGE", "shrinkwatch: %s %s alert %" PRIu64 ": %s",
			  notify__severity_upper(m->severity), alert_state_name(m->state),
			  m->alert_id, m->summary);
	e = e ? e : field(f, &used, "MESSAGE_ID", "%s", notify_journal_message_id(m->kind));
	e = e ? e : field(f, &used, "PRIORITY", "%d", notify_journal_priority(m->severity));
	e = e ? e : field(f, &used, "SYSLOG_IDENTIFIER", "%s", "shrinkwatch-collector");
	e = e ? e : field(f, &used, "SHRINKWATCH_NOTIFIER", "%s", name);
	e = e ? e : field(f, &used, "SHRINKWATCH_ALERT_ID", "%" PRIu64, m->alert_id);
	e = e ? e : field(f, &used, "AGENT", "%s", m->agent);
	e = e ? e : field(f, &used, "STORE", "%s", m->store);
	e = e ? e : field(f, &used, "KIND", "%s", m->kind);
	e = e ? e : field(f, &used, "SEVERITY", "%s", notify_severity_name(m->severity));
	e = e ? e : field(f, &used, "STATE", "%s", alert_state_name(m->state));
	e = e ? e : field(f, &used, "LOST_BYTES", "%.0f", m->lost_bytes);
	e = e ? e : field(f, &used, "LOST_OBJECTS", "%.0f", m->lost_objects);
	e = e ? e : field(f, &used, "SINCE", "%" PRId64, m->since);
	e = e ? e : field(f, &used, "TIME", "%" PRId64, m->time);
	e = e ? e : field(f, &used, "REPEAT", "%d", m->repeat ? 1 : 0);
	if (!e && m->dashboard_url && m->dashboard_url[0])
		e = field(f, &used, "DASHBOARD_URL", "%s", m->dashboard_url);
	if (!e && m->attribution && m->attribution[0])
		e = field(f, &used, "ATTRIBUTION", "%s", m->attribution);
	return e;
}

static int journal_send(struct notifier *n, const struct notify_message *m,
			notify_done_fn done, void *ctx)
{
	struct notify_journal_fields *f = malloc(sizeof *f);
	char why[256];
	int e;

	if (!f)
		return -ENOMEM;
	e = notify_journal_build(m, n->name, f);
	if (e) {
		free(f);
		return e;
	}
	/* sd_journal_sendv() quietly succeeds when journald is not there at
	 * all (its socket is missing): that would lose the notification. */
	if (access(JOURNAL_SOCKET, W_OK)) {
		free(f);
		snprintf(why, sizeof why, "journal: '%s': %s (journald not running)",
			 JOURNAL_SOCKET, strerror(errno));
		return notify__defer(n->loop, done, ctx, NOTIFY_RETRY, why);
	}
	e = sd_journal_sendv(f->iov, (int)f->n);
	free(f);
	if (e < 0) {
		snprintf(why, sizeof why, "journal: %s", strerror(-e));
		return notify__defer(n->loop, done, ctx, NOTIFY_RETRY, why);
	}
	return notify__defer(n->loop, done, ctx, NOTIFY_OK, "logged to the journal");
}

const struct notify_type notify_journal_type = {
	.name = "journal",
	.send = journal_send, /* no keys of its own, no state */
};
