/*
 * alertmanager.h - type = alertmanager: Prometheus Alertmanager's
 * API v2 (POST /api/v2/alerts), for sites that route alerts through an
 * Alertmanager cluster to email, PagerDuty, Opsgenie and the like.
 *
 * Alertmanager expects its clients to re-send alerts that are still active
 * (it resolves an alert whose endsAt passed and that nobody refreshed), so
 * each alertmanager notifier keeps the alerts it was last told are open and
 * re-sends them every resend_interval.  That set lives in memory: after a
 * restart of the collector it is rebuilt as the alerts' next notifications
 * pass through, or at once if the alert lifecycle calls
 * notify_alertmanager_prime() with each open alert at start-up.  A reload
 * keeps the set of a notifier that keeps its name.
 */
#ifndef SHRINKWATCH_COLLECTOR_NOTIFY_ALERTMANAGER_H
#define SHRINKWATCH_COLLECTOR_NOTIFY_ALERTMANAGER_H

#include <stddef.h>

#include "notify.h"
#include "shrinkwatch/buf.h"

/*
 * Appends m as one Alertmanager v2 alert object (not the array) to out:
 * labels alertname, alert_id, agent, store, kind, severity; annotations
 * summary, description, state, dashboard; startsAt = since; endsAt once the
 * alert is resolved or explained; generatorURL = the dashboard link.
 * 0 or -ENOBUFS/-ENOMEM.
 */
int notify_alertmanager_build(const struct notify_message *m, struct buf *out);

/* The alertname label for an alert kind. */
const char *notify_alertmanager_alertname(const char *kind);

/*
 * Tells every running alertmanager notifier that routes m (by severity and
 * store) that m is open, so it is re-sent with the next resend_interval
 * without waiting for its next notification.  For the alert lifecycle to call
 * once per open alert after a restart.  Closed states are ignored.  Returns
 * how many notifiers took it, or -ENOMEM.
 */
int notify_alertmanager_prime(const struct notify_message *m);

#endif
