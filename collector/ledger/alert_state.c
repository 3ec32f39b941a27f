/* alert_state.c - the names of alert states and timeline events (see alert_state.h). */
#include <errno.h>
#include <string.h>

#include "alert_state.h"
#include "shrinkwatch/banned.h"

/* One table: a state's event has the state's name (alert_event_entered()). */
static const char *const names[ALERT_EVENT_COUNT] = {
	[ALERT_FIRING] = "firing",
	[ALERT_ACKNOWLEDGED] = "acknowledged",
	[ALERT_RESOLVED] = "resolved",
	[ALERT_EXPLAINED] = "explained",
	[ALERT_NOT_A_LOSS] = "not-a-loss",
	[ALERT_EVENT_UPDATED] = "updated",
	[ALERT_EVENT_REPEATED] = "repeated",
	[ALERT_EVENT_ATTRIBUTED] = "attributed",
};

/* The index of text among the first n names, or -EINVAL. */
static int lookup(const char *text, int n)
{
	for (int i = 0; text && i < n; i++)
		if (!strcmp(text, names[i]))
			return i;
	return -EINVAL;
}

const char *alert_state_name(enum alert_state s)
{
	return (unsigned)s < ALERT_STATE_COUNT ? names[s] : "?";
}

int alert_state_parse(const char *text, enum alert_state *out)
{
	int i = lookup(text, ALERT_STATE_COUNT);

	if (i < 0)
		return i;
	*out = (enum alert_state)i;
	return 0;
}

const char *alert_event_name(enum alert_event e)
{
	return (unsigned)e < ALERT_EVENT_COUNT ? names[e] : "?";
}

int alert_event_parse(const char *text, enum alert_event *out)
{
	int i = lookup(text, ALERT_EVENT_COUNT);

	if (i < 0)
		return i;
	*out = (enum alert_event)i;
	return 0;
}
