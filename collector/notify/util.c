/* util.c - small helpers the notifier types share (see notify_int.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify_int.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

struct deferred {
	struct deferred *next, **prevp; /* not yet reported */
	uv_timer_t timer;
	notify_done_fn done;
	void *ctx;
	enum notify_result result;
	char why[256];
};

static struct deferred *pending;

static void deferred_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Reports once and lets the timer go. */
static void deferred_report(struct deferred *d)
{
	*d->prevp = d->next;
	if (d->next)
		d->next->prevp = d->prevp;
	uv_timer_stop(&d->timer);
	uv_close((uv_handle_t *)&d->timer, deferred_closed);
	d->done(d->ctx, d->result, d->why);
}

static void deferred_fire(uv_timer_t *t)
{
	deferred_report(t->data);
}

int notify__defer(uv_loop_t *loop, notify_done_fn done, void *ctx, enum notify_result result,
		  const char *why)
{
	struct deferred *d = calloc(1, sizeof *d);

	if (!d)
		return -ENOMEM;
	d->done = done;
	d->ctx = ctx;
	d->result = result;
	snprintf(d->why, sizeof d->why, "%s", why ? why : "");
	uv_timer_init(loop, &d->timer);
	d->timer.data = d;
	uv_timer_start(&d->timer, deferred_fire, 0, 0);
	d->next = pending;
	if (d->next)
		d->next->prevp = &d->next;
	d->prevp = &pending;
	pending = d;
	return 0;
}

void notify__defer_flush(void)
{
	while (pending)
		deferred_report(pending);
}

void notify__rfc3339(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, outlen, "1970-01-01T00:00:00Z");
}

int notify__parse_timeout(const char *value, uint64_t *ms, char *err, size_t errlen)
{
	uint64_t s;

	if (parse_duration(value, &s) || s < 1 || s > 86400) {
		snprintf(err, errlen, "'%s' is not a duration between 1s and 1d", value);
		return -1;
	}
	*ms = s * 1000;
	return 0;
}

const char *notify__severity_upper(enum notify_severity s)
{
	switch (s) {
	case NOTIFY_INFO:
		return "INFO";
	case NOTIFY_WARNING:
		return "WARNING";
	case NOTIFY_CRITICAL:
		return "CRITICAL";
	}
	return "UNKNOWN";
}
