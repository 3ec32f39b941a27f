/*
 * lifecycle.h - the alert lifecycle: one alert per episode, from firing to closed.
 *
 * The detector reports transitions of a store's loss episodes (firing,
 * updated, resolved); this module turns them into alerts in the ledger:
 *
 *   firing -> acknowledged (an operator, with a comment)
 *   firing | acknowledged -> resolved (the condition cleared)
 *                          | explained (a declared deletion covers the loss)
 *   firing | acknowledged | resolved -> not-a-loss (an operator says it was a
 *                            normal event: notaloss.h)
 *
 * There is exactly one alert per (agent, store, kind, episode): an UPDATED
 * event updates its row, it never makes a new alert.  Every transition writes,
 * in one ledger transaction, the alert row, an alert_events row, an audit row
 * and one outbox row per notifier notify_route() picks, so what operators
 * see, what the audit says and what gets notified cannot disagree.  While an
 * alert is firing and unacknowledged, it is notified again every
 * repeat_interval.
 *
 * Severity by kind: drop, vanished and overpurge are critical (data is gone
 * now, or a purge removed far more than retention explains); leak, truncate,
 * object_loss and silence are warnings (slower, or not yet a proven loss).
 * copy_lost is critical (evidence gone at both ends); copy_missing and
 * copy_differs are warnings (the source still holds the item).
 *
 * If the ledger cannot be written (a full disk), the ledger's reserve is
 * released and the event tried again at once (collector/ledger/reserve.h);
 * if that is not enough, the event is kept in a bounded in-memory queue and
 * applied again with a backoff (1 s doubling to a minute, each failure
 * logged), so an alert delayed by a full disk is not an alert lost; a
 * firing event goes meanwhile to the local notifiers, marked "not yet
 * recorded" (unrecorded.h).  The detector does not save the state of a
 * store whose events wait here (alert_pending(), watch.h), so a restart
 * before they are recorded re-derives them from the stored samples.
 */
#ifndef SHRINKWATCH_COLLECTOR_ALERT_H
#define SHRINKWATCH_COLLECTOR_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "collector/ledger/ledger.h"
#include "collector/notify/notify.h"
#include "shrinkwatch/buf.h"
#include "shrinkwatch/detect.h"

struct board;
struct outbox;
struct registry;

#define ALERT_DEFAULT_REPEAT (4 * 3600)
#define ALERT_RETRY_MAX 256

/* [collector] keys of the alert pipeline. */
struct alert_config {
	int64_t repeat_interval; /* seconds; repeat_interval = 4h */
	int64_t notify_expiry;   /* seconds; notify_expiry = 24h */
	int64_t deletions_keep;  /* seconds; deletion_reports_keep = 400d, 0 = for ever */
};

struct alert_retry {
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	struct detect_event ev;
	int64_t explanation_id;
	bool told; /* sent to the local notifiers as not yet recorded */
};

struct ledger_reserve;

struct alerts {
	struct ledger *ledger;
	struct board *board;   /* may be NULL (tests) */
	struct outbox *outbox;
	/* the agents' intervals, for the window of an alert's attribution
	 * (deletion_reports.h); may be NULL */
	struct registry *reg;
	struct alert_config cfg;
	uv_timer_t timer;
	bool timer_on;
	struct alert_retry *retry; /* ring of events the ledger refused */
	size_t nretry;
	unsigned retry_failures; /* retry rounds that failed in a row */
	int64_t retry_at_ms;     /* wall clock of the next retry round */
	uv_timer_t retry_timer;  /* with a loop: runs the retry rounds */
	/* space held back for the ledger (data_dir/ledger.reserve), released
	 * when the ledger is full; NULL = none (tests) */
	struct ledger_reserve *reserve;
	uint64_t transitions;
};

void alert_config_default(struct alert_config *c);
/* collector_config_hook for [collector] repeat_interval and notify_expiry;
 * ctx is a struct alert_config. */
int alert_config_key(void *ctx, const char *section, const char *key, const char *value,
		     char *err, size_t errlen);

/* With a loop, a timer sends repeats and retries refused events.  reg (the
 * agents' intervals, for deletion attribution), b, o and cfg may be NULL
 * (cfg NULL: the defaults). */
int alert_init(struct alerts *al, uv_loop_t *loop, struct ledger *l, struct board *b,
	       struct registry *reg, struct outbox *o, const struct alert_config *cfg);
void alert_stop(struct alerts *al);

/*
 * Applies one detector event of store agent/store at wall-clock now.
 * explanation_id names the declared deletion behind a RESOLVED/EXPLAINED
 * event (0 otherwise).  0, or a negative errno after queueing the event for
 * a retry.
 */
int alert_on_event(struct alerts *al, const char *agent, const char *store,
		   const struct detect_event *ev, int64_t explanation_id, int64_t now);

/* Whether events of agent/store wait in memory for the ledger (the
 * detector does not save that store's state meanwhile, watch.h). */
bool alert_pending(const struct alerts *al, const char *agent, const char *store);
/* Tries the waiting events again now if their backoff has passed (the
 * timer's job; alert_tick() calls it too).  Returns how many still wait. */
size_t alert_retry_run(struct alerts *al, int64_t now);

/* An operator acknowledges alert id.  -ENOENT, -EALREADY (acknowledged),
 * -ESTALE (closed), with a message in err. */
int alert_ack(struct alerts *al, int64_t id, const char *who, const char *comment, int64_t now,
	      char *err, size_t errlen);
/* Closes open alert a as explained by explanation explain_id (filed by who
 * for reason).  Call inside a ledger transaction that also records the
 * explanation. */
int alert_mark_explained(struct alerts *al, struct ledger_alert *a, int64_t explain_id,
			 const char *who, const char *reason, int64_t now);

/* Closes alert a as not a loss, said by who with comment (kept in ack_by,
 * ack_at, ack_comment): event, audit ("not-a-loss") and notification rows.
 * a may be resolved already (the detector closed it as quiet); closed_at
 * then stays.  Call inside a ledger transaction (notaloss.c). */
int alert_mark_not_a_loss(struct alerts *al, struct ledger_alert *a, const char *who,
			  const char *comment, int64_t now);

/* Sends repeats due at now and retries queued events; the timer calls it. */
void alert_tick(struct alerts *al, int64_t now);
/* Recomputes the board's open-alert count and worst kind for one store. */
void alert_update_board(struct alerts *al, const char *agent, const char *store);
/* Puts every store with open alerts in the ledger on the board (start-up). */
void alert_seed_board(struct alerts *al);

enum notify_severity alert_severity(unsigned kind);

/* What alert_to_json() writes besides the row. */
enum alert_json_form {
	ALERT_JSON_ROW,    /* the row only (shrinkwatchctl alerts) */
	ALERT_JSON_NOTICE, /* a notification of the alert's state: "transition", "repeat": false */
	ALERT_JSON_REPEAT, /* a firing alert notified again: "transition", "repeat": true */
};
/* The alert as JSON (docs/control.md, docs/api.md); in a notification,
 * "transition" names the state notified, which is the alert's state. */
int alert_to_json(struct buf *b, const struct ledger_alert *a, enum alert_json_form form);

#endif
