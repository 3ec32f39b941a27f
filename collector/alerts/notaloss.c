/*
 * notaloss.c - operator feedback: an alert was not a loss (see notaloss.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notaloss.h"
#include "lifecycle.h"
#include "watch.h"
#include "collector/ledger/ledger.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

/* The detector's kind of an alert row's kind name; DETECT_KIND_COUNT if none. */
static unsigned kind_of(const char *name)
{
	unsigned k;

	for (k = 0; k < DETECT_KIND_COUNT; k++)
		if (!strcmp(name, detect_kind_name(k)))
			break;
	return k;
}

/* The alert as the detector saw it: what detect_not_a_loss() learns from. */
static void alert_as_event(const struct ledger_alert *a, struct detect_event *e)
{
	memset(e, 0, sizeof *e);
	e->kind = (uint8_t)kind_of(a->kind);
	e->episode = a->episode;
	e->since = a->since;
	e->time = a->closed_at ? a->closed_at : a->updated_at;
	e->lost_bytes = a->lost_bytes;
	e->lost_objects = a->lost_objects;
}

/* Whether a may be called not a loss; err says why not. */
static int check(const struct ledger_alert *a, const char *comment, char *err, size_t errlen)
{
	if (!comment || !*comment) {
		snprintf(err, errlen, "say why it was not a loss: --comment TEXT");
		return -EINVAL;
	}
	if (kind_of(a->kind) == DETECT_SILENCE) {
		snprintf(err, errlen,
			 "alert %lld is a silence alert: no loss to learn (the next sample "
			 "resolves it); acknowledge it without --not-a-loss",
			 (long long)a->id);
		return -EINVAL;
	}
	if (a->state == ALERT_EXPLAINED || a->state == ALERT_NOT_A_LOSS) {
		snprintf(err, errlen, "alert %lld is already %s", (long long)a->id,
			 alert_state_name(a->state));
		return -EALREADY;
	}
	return 0;
}

int alert_not_a_loss(struct watch *w, int64_t id, const char *who, const char *comment,
		     int64_t now, char *err, size_t errlen)
{
	struct ledger_alert *a = malloc(sizeof *a);
	struct detect_state *copy = malloc(sizeof *copy);
	struct watch_store *ws = NULL;
	struct detect_event as, ev;
	int r, closed = 0;

	if (!w->alerts) {
		r = -ENOTSUP;
		snprintf(err, errlen, "this collector keeps no alerts");
		goto out;
	}
	if (!a || !copy) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = ledger_alert_get(w->ledger, id, a);
	if (r) {
		snprintf(err, errlen, r == -ENOENT ? "no alert %lld" : "cannot read alert %lld",
			 (long long)id);
		goto out;
	}
	if ((r = check(a, comment, err, errlen)))
		goto out;
	ws = watch_get(w, a->agent, a->store, false);
	if (ws) {
		alert_as_event(a, &as);
		*copy = ws->st;
		closed = detect_not_a_loss(copy, &ws->p, &as, &ev);
		if (closed < 0) {
			r = closed;
			snprintf(err, errlen, "the detector cannot learn a %s alert", a->kind);
			goto out;
		}
	}
	if ((r = ledger_begin(w->ledger))) {
		snprintf(err, errlen, "cannot write the ledger: %s", strerror(-r));
		goto out;
	}
	r = alert_mark_not_a_loss(w->alerts, a, who, comment, now);
	r = r ? (ledger_rollback(w->ledger), r) : ledger_commit(w->ledger);
	if (r) {
		snprintf(err, errlen, "cannot write the ledger: %s", strerror(-r));
		goto out;
	}
	if (ws) {
		ws->st = *copy;
		ws->dirty = true;
		if (closed == 1) /* the alert is closed already: the lifecycle only logs it */
			watch_events(w, ws, &ev, 1, 0, now);
	} else {
		log_warn("alert: %lld is not a loss, but the detector does not know '%s/%s': "
			 "nothing learned",
			 (long long)id, a->agent, a->store);
	}
	alert_update_board(w->alerts, a->agent, a->store);
out:
	free(copy);
	free(a);
	return r;
}
