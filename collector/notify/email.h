/*
 * email.h - type = email: a plain-text mail through the local MTA.
 *
 *   to = oncall@example.org, evidence-team@example.org   (or several to = lines)
 *   from = shrinkwatch@monitor.example.org      (default shrinkwatch@<hostname>)
 *   sendmail = /usr/sbin/sendmail                (default; run as sendmail -t -oi)
 *   timeout = 30s
 *
 * Building the message is a pure function so the tests can check it.  Header
 * injection is impossible: every header value has CR, LF and other control
 * characters replaced by spaces, and configured addresses are checked at
 * start-up.
 */
#ifndef SHRINKWATCH_COLLECTOR_NOTIFY_EMAIL_H
#define SHRINKWATCH_COLLECTOR_NOTIFY_EMAIL_H

#include <stddef.h>
#include <stdint.h>

#include "notify.h"
#include "shrinkwatch/buf.h"

/*
 * Appends the whole message (headers, blank line, body; LF line ends, as
 * sendmail expects on stdin) to out.  to holds nto addresses; now is the
 * Date; host names the Message-ID's domain.  0 or -ENOBUFS/-ENOMEM.
 */
int notify_email_build(const struct notify_message *m, const char *from, char *const *to,
		       size_t nto, int64_t now, const char *host, struct buf *out);

#endif
