/*
 * unrecorded.h - an alert the ledger cannot take yet, told at once.
 *
 * A transition becomes an alert row and its notifications become outbox
 * rows in one ledger transaction (lifecycle.h).  When the ledger cannot
 * write (its disk is full even after the reserve was released), the
 * detector event waits in memory for a retry, and nothing would be sent
 * until it is recorded.  A loss must not wait for disk space: the firing
 * event goes at once to every routed notifier that delivers on this
 * machine without a queue (journal, exec: notify_is_local()), marked "NOT
 * YET RECORDED" in its summary, with alert id 0 and "recorded": false in
 * its JSON.  Once the ledger takes the event, the alert is notified again
 * as usual, with its id.
 */
#ifndef SHRINKWATCH_COLLECTOR_UNRECORDED_H
#define SHRINKWATCH_COLLECTOR_UNRECORDED_H

#include <stdint.h>

#include "collector/notify/notify.h"
#include "shrinkwatch/detect.h"

/* Sends ev of agent/store (a FIRING or UPDATED event; others are not sent)
 * to the local notifiers its severity sev (alert_severity()) routes to.  Returns how many took it
 * (0: none configured, none running yet, or not a loss event). */
int unrecorded_notify(const char *agent, const char *store, const struct detect_event *ev,
		      enum notify_severity sev, int64_t now);

#endif
