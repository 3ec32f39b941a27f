/* unrecorded.c - an alert the ledger cannot take yet, told at once (see unrecorded.h). */
#include <stdio.h>
#include <string.h>

#include "unrecorded.h"
#include "collector/ledger/ledger.h"
#include "collector/notify/notify.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

#define UNRECORDED_ROUTES 16

static void on_sent(void *ctx, enum notify_result result, const char *why)
{
	(void)ctx;
	if (result != NOTIFY_OK)
		log_warn("alert: a not-yet-recorded alert was not delivered: %s",
			 why ? why : "failed");
}

/* The payload: the event as `shrinkwatchctl replay` prints it, inside an
 * object that says it is not recorded. */
static int payload(struct buf *b, const char *agent, const char *store,
		   const struct detect_event *ev, const char *summary)
{
	char key[2 * SW_NAME_MAX + 2];
	int err;

	snprintf(key, sizeof key, "%s/%s", agent, store);
	err = buf_append(b, "{", 1);
	if (!err)
		err = json_put_key(b, "recorded");
	if (!err)
		err = json_put_raw(b, "false");
	if (!err)
		err = buf_append(b, ",", 1);
	if (!err)
		err = json_put_key(b, "summary");
	if (!err)
		err = json_put_str(b, summary);
	if (!err)
		err = buf_append(b, ",", 1);
	if (!err)
		err = json_put_key(b, "event");
	if (!err)
		err = detect_event_json(b, key, ev);
	if (!err)
		err = buf_append(b, "}", 2); /* with the terminating NUL */
	return err;
}

int unrecorded_notify(const char *agent, const char *store, const struct detect_event *ev,
		      enum notify_severity sev, int64_t now)
{
	char names[UNRECORDED_ROUTES][NOTIFY_NAME_MAX + 1];
	char summary[DETECT_SUMMARY_MAX + 128];
	struct notify_message m;
	struct buf b;
	size_t n;
	int sent = 0;

	if (ev->state != DETECT_FIRING && ev->state != DETECT_UPDATED)
		return 0;
	n = notify_route(sev, agent, store, names, UNRECORDED_ROUTES);
	if (!n)
		return 0;
	snprintf(summary, sizeof summary,
		 "NOT YET RECORDED (the collector cannot write its ledger): %s", ev->summary);
	buf_init(&b, 16 * 1024);
	if (payload(&b, agent, store, ev, summary))
		goto out;
	memset(&m, 0, sizeof m);
	m.alert_id = 0;
	m.agent = agent;
	m.store = store;
	m.kind = detect_kind_name(ev->kind);
	m.severity = sev;
	m.state = ALERT_FIRING;
	m.since = ev->since;
	m.time = now;
	m.lost_bytes = ev->lost_bytes;
	m.lost_objects = ev->lost_objects;
	m.summary = summary;
	m.dashboard_url = "";
	m.json = (const char *)b.data;
	m.attribution = "";
	for (size_t i = 0; i < n; i++)
		if (notify_is_local(names[i]) && notify_send(names[i], &m, on_sent, NULL) == 0)
			sent++;
	if (sent)
		log_warn("alert: %s %s on '%s/%s' told to %d notifiers before it is recorded",
			 m.kind, detect_state_name(ev->state), agent, store, sent);
out:
	buf_release(&b);
	return sent;
}
