/*
 * outbox.c - delivering the durable notification outbox (see outbox.h).
 *
 * A row's life: queued (next_at = now) -> attempt in flight -> deleted on
 * NOTIFY_OK, or rescheduled with backoff, or dropped on expiry.  Rows in
 * flight are remembered in memory only, so after a crash every row is simply
 * due again: at-least-once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector/notify/notify.h"
#include "outbox.h"
#include "shrinkwatch/backoff.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

struct attempt {
	struct outbox *o;
	int64_t id, alert_id, expires_at;
	int attempts;
	char notifier[SW_NAME_MAX + 1];
};

int64_t outbox_backoff(int attempts)
{
	static const struct backoff_policy policy = {
		.min = OUTBOX_BACKOFF_MIN, .max = OUTBOX_BACKOFF_MAX, .below_pct = 0, .above_pct = 25,
	};

	return (int64_t)backoff_delay(&policy, attempts > 0 ? (unsigned)attempts : 1, NULL);
}

static bool in_flight(const struct outbox *o, int64_t id)
{
	for (unsigned i = 0; i < o->inflight; i++)
		if (o->inflight_ids[i] == id)
			return true;
	return false;
}

static void flight_done(struct outbox *o, int64_t id)
{
	for (unsigned i = 0; i < o->inflight; i++)
		if (o->inflight_ids[i] == id) {
			o->inflight_ids[i] = o->inflight_ids[--o->inflight];
			return;
		}
}

static void drop_row(struct outbox *o, const struct attempt *a, const char *why)
{
	if (ledger_outbox_delete(o->ledger, a->id) == 0)
		o->stats.dropped++;
	log_err("outbox: giving up on notification %lld of alert %lld to '%s' after %d "
		"attempts: %s",
		(long long)a->id, (long long)a->alert_id, a->notifier, a->attempts, why);
}

static void attempt_failed(struct outbox *o, const struct attempt *a, int64_t now,
			   const char *why)
{
	int64_t next = now + outbox_backoff(a->attempts);

	if (next >= a->expires_at) {
		o->stats.expired++;
		drop_row(o, a, why && *why ? why : "expired");
		return;
	}
	o->stats.retried++;
	log_warn("outbox: notification %lld of alert %lld to '%s' failed (attempt %d): %s; "
		 "retrying in %llds",
		 (long long)a->id, (long long)a->alert_id, a->notifier, a->attempts,
		 why ? why : "", (long long)(next - now));
	ledger_outbox_retry(o->ledger, a->id, a->attempts, next, why);
}

static void on_done(void *ctx, enum notify_result result, const char *why)
{
	struct attempt *a = ctx;
	struct outbox *o = a->o;
	int64_t now = o->clock ? o->clock() : (int64_t)time(NULL);

	flight_done(o, a->id);
	switch (result) {
	case NOTIFY_OK:
		o->stats.delivered++;
		if (ledger_outbox_delete(o->ledger, a->id) == 0)
			log_info("outbox: delivered notification %lld of alert %lld to '%s'",
				 (long long)a->id, (long long)a->alert_id, a->notifier);
		break;
	case NOTIFY_PERMANENT:
		drop_row(o, a, why && *why ? why : "the notifier refused it for good");
		break;
	default:
		attempt_failed(o, a, now, why);
		break;
	}
	free(a);
}

struct run_ctx {
	struct outbox *o;
	int64_t now;
	int started;
};

void outbox_message(const struct outbox *o, const struct ledger_alert *al,
		    enum alert_state state, bool repeat, int64_t time, const char *payload,
		    char *url, size_t urllen, struct notify_message *m)
{
	memset(m, 0, sizeof *m);
	m->alert_id = (uint64_t)al->id;
	m->agent = al->agent;
	m->store = al->store;
	m->kind = al->kind;
	notify_severity_parse(al->severity, &m->severity);
	m->state = state;
	m->repeat = repeat;
	m->since = al->since;
	m->time = time;
	m->ends_at = alert_state_closed(state) ? (al->closed_at ? al->closed_at : time) : 0;
	m->lost_bytes = al->lost_bytes;
	m->lost_objects = al->lost_objects;
	m->summary = al->summary;
	m->attribution = al->attribution;
	if (o->dashboard_base && *o->dashboard_base) {
		snprintf(url, urllen, "%s/alert/%lld", o->dashboard_base, (long long)al->id);
		m->dashboard_url = url;
	} else {
		m->dashboard_url = "";
	}
	m->json = payload;
}

static int start_one(void *ctx, const struct ledger_outbox *row)
{
	struct run_ctx *rc = ctx;
	struct outbox *o = rc->o;
	int64_t now = rc->now;
	struct ledger_alert *al = NULL;
	struct notify_message m;
	struct attempt *a;
	char url[512];
	int err;

	if (in_flight(o, row->id) || o->inflight >= OUTBOX_MAX_INFLIGHT)
		return 0;
	a = calloc(1, sizeof *a);
	al = malloc(sizeof *al);
	if (!a || !al) {
		err = -ENOMEM;
		goto out;
	}
	a->o = o;
	a->id = row->id;
	a->alert_id = row->alert_id;
	a->expires_at = row->expires_at;
	a->attempts = row->attempts + 1;
	snprintf(a->notifier, sizeof a->notifier, "%s", row->notifier);
	if (now >= row->expires_at) {
		o->stats.expired++;
		a->attempts = row->attempts;
		drop_row(o, a, "expired before it could be delivered");
		err = 0;
		goto out;
	}
	err = ledger_alert_get(o->ledger, row->alert_id, al);
	if (err) {
		drop_row(o, a, "its alert is missing from the ledger");
		err = 0;
		goto out;
	}
	outbox_message(o, al, row->state, row->repeat, row->created_at, row->payload, url,
		       sizeof url, &m);
	o->stats.attempts++;
	o->inflight_ids[o->inflight++] = a->id;
	err = notify_send(row->notifier, &m, on_done, a);
	if (err) {
		flight_done(o, a->id);
		/* -ENOENT: no such notifier (now); it may come back with a reload,
		 * and the row expires if it does not */
		attempt_failed(o, a, now, err == -ENOENT ? "no such notifier is configured"
							 : strerror(-err));
		err = 0;
		goto out;
	}
	a = NULL; /* on_done owns it now */
	rc->started++;
out:
	free(a);
	free(al);
	return err;
}

int outbox_run(struct outbox *o, int64_t now)
{
	struct run_ctx rc = { .o = o, .now = now };
	int err;

	if (o->stopping)
		return 0;
	err = ledger_outbox_due(o->ledger, now, OUTBOX_BATCH, start_one, &rc);
	return err ? err : rc.started;
}

static void on_timer(uv_timer_t *t)
{
	struct outbox *o = t->data;

	outbox_run(o, o->clock ? o->clock() : (int64_t)time(NULL));
}

int outbox_init(struct outbox *o, uv_loop_t *loop, struct ledger *l, int64_t expiry)
{
	memset(o, 0, sizeof *o);
	o->loop = loop;
	o->ledger = l;
	o->expiry = expiry > 0 ? expiry : OUTBOX_DEFAULT_EXPIRY;
	if (loop) {
		uv_timer_init(loop, &o->timer);
		o->timer.data = o;
		uv_timer_start(&o->timer, on_timer, 200, 1000);
		o->timer_on = true;
	}
	return 0;
}

void outbox_stop(struct outbox *o)
{
	o->stopping = true;
	if (o->timer_on) {
		uv_timer_stop(&o->timer);
		uv_close((uv_handle_t *)&o->timer, NULL);
		o->timer_on = false;
	}
}

int outbox_queue(struct outbox *o, const char *notifier, int64_t alert_id,
		 enum alert_state state, bool repeat, const char *payload, int64_t now)
{
	int err = ledger_outbox_add(o->ledger, notifier, alert_id, state, repeat, payload, now,
				    now, now + o->expiry);

	if (!err && o->timer_on && !o->stopping)
		uv_timer_start(&o->timer, on_timer, 0, 1000);
	return err;
}
