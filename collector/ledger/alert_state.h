/*
 * alert_state.h - the state of an alert and the kinds of its timeline
 * events, with their one spelling.
 *
 * The ledger keeps these as text (alerts.state, alert_events.state,
 * outbox.state; docs/ledger.md), and the same words reach the API's JSON,
 * the notifiers' payloads and the journal's STATE field, so the names are a
 * contract: alert_state.c spells them once.  Code compares the enums; only
 * the edges print a name or parse one.  Notifiers include this header too:
 * it needs nothing but the C library, so it ties no module to the ledger's
 * storage.
 */
#ifndef SHRINKWATCH_COLLECTOR_ALERT_STATE_H
#define SHRINKWATCH_COLLECTOR_ALERT_STATE_H

#include <stdbool.h>

/* Where an alert is in its lifecycle (collector/alerts/lifecycle.h). */
enum alert_state {
	ALERT_FIRING,       /* "firing": open, not acknowledged */
	ALERT_ACKNOWLEDGED, /* "acknowledged": open, an operator has taken it */
	ALERT_RESOLVED,     /* "resolved": closed, the condition cleared */
	ALERT_EXPLAINED,    /* "explained": closed, a declared deletion covers the loss */
	ALERT_NOT_A_LOSS,   /* "not-a-loss": closed, an operator said it was a normal event
			     * (ack --not-a-loss; who, when and why in ack_by/ack_at/ack_comment) */
	ALERT_STATE_COUNT
};

/*
 * What an alert_events row (an alert's timeline) records.  An alert entering
 * a state is recorded under that state's name, so the first values are the
 * states themselves (alert_event_entered()); the others happen to an alert
 * without changing its state.
 */
enum alert_event {
	ALERT_EVENT_FIRING = ALERT_FIRING,
	ALERT_EVENT_ACKNOWLEDGED = ALERT_ACKNOWLEDGED,
	ALERT_EVENT_RESOLVED = ALERT_RESOLVED,
	ALERT_EVENT_EXPLAINED = ALERT_EXPLAINED,
	ALERT_EVENT_NOT_A_LOSS = ALERT_NOT_A_LOSS,
	ALERT_EVENT_UPDATED = ALERT_STATE_COUNT, /* "updated": the detector's new figures */
	ALERT_EVENT_REPEATED,   /* "repeated": notified again, still firing, unacknowledged */
	ALERT_EVENT_ATTRIBUTED, /* "attributed": who deleted became known (deletion reports) */
	ALERT_EVENT_COUNT
};

/* The name of state s ("firing"), or "?" for a value out of range, so a
 * caller can always print the result. */
const char *alert_state_name(enum alert_state s);
/* Parses a state name, exactly as alert_state_name() spells it: 0, or
 * -EINVAL for any other text (*out untouched). */
int alert_state_parse(const char *text, enum alert_state *out);

/* The name of event kind e ("updated"), or "?" out of range. */
const char *alert_event_name(enum alert_event e);
/* Parses an event name: 0, or -EINVAL (*out untouched). */
int alert_event_parse(const char *text, enum alert_event *out);

/* The timeline event of an alert entering state s. */
static inline enum alert_event alert_event_entered(enum alert_state s)
{
	return (enum alert_event)s;
}

/* Whether an alert in state s is closed (resolved, explained or not a loss):
 * a closed alert is never notified again and ends its Alertmanager alert. */
static inline bool alert_state_closed(enum alert_state s)
{
	return s == ALERT_RESOLVED || s == ALERT_EXPLAINED || s == ALERT_NOT_A_LOSS;
}

#endif
