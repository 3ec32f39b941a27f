/*
 * outbox.h - the durable notification outbox: nothing is lost.
 *
 * The alert lifecycle never talks to a notifier: it adds one outbox row per
 * (transition, routed notifier) in the same ledger transaction as the alert
 * change itself, so a transition and its notifications are stored together
 * or not at all.  The outbox then delivers due rows with notify_send(), one
 * attempt at a time per row, and deletes a row only after the notifier says
 * NOTIFY_OK: delivery is at-least-once across crashes and kill -9 (receivers
 * deduplicate on the alert id and state).  A failed attempt is retried with
 * exponential backoff and jitter (5 s doubling to 10 min); a row still
 * undelivered at its expires_at (notify_expiry after it was queued, default
 * 24 h) is dropped with a logged error, as is a row whose notifier says the
 * message can never work (NOTIFY_PERMANENT) (a row for a notifier no longer configured is retried until it expires).
 */
#ifndef SHRINKWATCH_COLLECTOR_OUTBOX_H
#define SHRINKWATCH_COLLECTOR_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "collector/ledger/ledger.h"
#include "collector/notify/notify.h"

#define OUTBOX_MAX_INFLIGHT 64
#define OUTBOX_BATCH 32
#define OUTBOX_BACKOFF_MIN 5
#define OUTBOX_BACKOFF_MAX 600
#define OUTBOX_DEFAULT_EXPIRY (24 * 3600)

struct outbox_stats {
	uint64_t attempts, delivered, retried, expired, dropped;
};

struct outbox {
	uv_loop_t *loop; /* NULL: no timer, the caller drives outbox_run() */
	struct ledger *ledger;
	uv_timer_t timer;
	bool timer_on, stopping;
	int64_t expiry;  /* seconds a notification may wait */
	const char *dashboard_base; /* prefix of /alert/<id> links, "" if none */
	unsigned inflight;
	int64_t inflight_ids[OUTBOX_MAX_INFLIGHT];
	int64_t (*clock)(void); /* wall clock in seconds; NULL = time(); tests fake it */
	struct outbox_stats stats;
};

/* Prepares the outbox; with a loop, a one-second timer delivers due rows. */
int outbox_init(struct outbox *o, uv_loop_t *loop, struct ledger *l, int64_t expiry);
/* Stops the timer; attempts in flight still finish (their rows stay). */
void outbox_stop(struct outbox *o);

/*
 * Queues payload (the alert's JSON) for notifier about alert_id entering
 * state, or, with repeat, about the firing alert being notified again; due
 * now.  Call inside the ledger transaction that records the transition.
 */
int outbox_queue(struct outbox *o, const char *notifier, int64_t alert_id,
		 enum alert_state state, bool repeat, const char *payload, int64_t now);

/*
 * Starts one delivery attempt for every due row that is not already in
 * flight (at most OUTBOX_BATCH per call).  Returns how many attempts started
 * or a negative errno.  The timer calls it with the wall clock; tests call it
 * with their own clock.
 */
int outbox_run(struct outbox *o, int64_t now);

/* Seconds to wait after the attempts-th failed attempt (1-based): 5 s doubling
 * to 10 min, plus up to 25% jitter, drawn from lib/backoff's per-process state
 * (so collectors retrying a receiver that came back do not all hit it in the
 * same second). */
int64_t outbox_backoff(int attempts);

/*
 * The notification of alert al entering state (repeat: notified again while
 * firing) at time, with the alert JSON payload, as notify_send() takes it;
 * url (urllen bytes) holds the dashboard link m points to.  Strings in m
 * point into al, payload and url.
 */
void outbox_message(const struct outbox *o, const struct ledger_alert *al,
		    enum alert_state state, bool repeat, int64_t time, const char *payload,
		    char *url, size_t urllen, struct notify_message *m);

#endif
