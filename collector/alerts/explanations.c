/*
 * explanations.c - declared deletions (see explanations.h).
 *
 * The detector's state is changed on a copy first: if the detector has no
 * room for another explanation, the ledger transaction is rolled back and the
 * operator told so, and the live state is replaced only after the ledger
 * committed -- the two never disagree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "explanations.h"
#include "collector/ledger/ledger.h"
#include "watch.h"
#include "shrinkwatch/isotime.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

static void window_text(char *out, size_t len, const struct ledger_explain *e)
{
	char b[32] = "unlimited", o[32] = "unlimited", t0[ISO_TIME_MAX], t1[ISO_TIME_MAX];

	if (e->bytes >= 0)
		snprintf(b, sizeof b, "%lld", (long long)e->bytes);
	if (e->objects >= 0)
		snprintf(o, sizeof o, "%lld", (long long)e->objects);
	if (e->prefix[0])
		snprintf(out, len, "explanation %lld: %s..%s, path prefix '%s' (item for item): "
			 "%.700s", (long long)e->id, iso_time(e->start, t0, sizeof t0),
			 iso_time(e->end, t1, sizeof t1), e->prefix, e->reason);
	else
		snprintf(out, len, "explanation %lld: %s..%s, bytes %s, objects %s: %.900s",
			 (long long)e->id, iso_time(e->start, t0, sizeof t0),
			 iso_time(e->end, t1, sizeof t1), b, o, e->reason);
}

static int add_to_copy(struct watch_store *ws, const struct ledger_explain *e,
		       struct detect_state *copy, struct detect_event *ev, char *err,
		       size_t errlen)
{
	struct detect_explain d;
	int r;

	*copy = ws->st;
	watch_explain_to_detect(e, &d);
	r = detect_explain_add(copy, &d, ev);
	if (r == -ENOSPC)
		snprintf(err, errlen,
			 "'%s/%s' already has %d active explanations: revoke one first",
			 ws->agent, ws->store, DETECT_MAX_EXPLAIN);
	else if (r < 0)
		snprintf(err, errlen, "the detector refused the explanation: %s", strerror(-r));
	return r;
}

/* A declared path prefix: relative to the store, at most SW_TEXT_MAX bytes
 * (INVREQ's), no NUL; it covers items one by one, so no allowance with it. */
static int prefix_check(const char *prefix, int64_t bytes, int64_t objects, char *err,
			size_t errlen)
{
	size_t n = strlen(prefix);

	if (n >= LEDGER_PREFIX_MAX) {
		snprintf(err, errlen, "the path prefix is longer than %d bytes",
			 LEDGER_PREFIX_MAX - 1);
		return -EINVAL;
	}
	if (prefix[0] == '/') {
		snprintf(err, errlen, "the path prefix is relative to the store (like "
				      "2021/case4411/): drop the leading '/'");
		return -EINVAL;
	}
	if (bytes >= 0 || objects >= 0) {
		snprintf(err, errlen, "a path-scoped declaration covers the items under its "
				      "prefix one by one: it takes no byte or object allowance");
		return -EINVAL;
	}
	return 0;
}

int explain_ahead(struct watch *w, const char *agent, const char *store, int64_t start,
		  int64_t end, int64_t bytes, int64_t objects, const char *prefix,
		  const char *who, const char *reason, int64_t now, int64_t *id, char *err,
		  size_t errlen)
{
	struct ledger_explain *e = calloc(1, sizeof *e);
	struct detect_state *copy = malloc(sizeof *copy);
	struct watch_store *ws;
	struct detect_event ev;
	struct store_key target;
	char detail[LEDGER_TEXT_MAX];
	int r;

	if (!e || !copy) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ws = watch_get(w, agent, store, false);
	if (!ws) {
		r = -ENOENT;
		snprintf(err, errlen, "unknown store '%s/%s'", agent, store);
		goto out;
	}
	if (end < start) {
		r = -EINVAL;
		snprintf(err, errlen, "the window ends before it starts");
		goto out;
	}
	if (prefix && *prefix && (r = prefix_check(prefix, bytes, objects, err, errlen)))
		goto out;
	snprintf(e->agent, sizeof e->agent, "%s", agent);
	snprintf(e->store, sizeof e->store, "%s", store);
	if (prefix)
		snprintf(e->prefix, sizeof e->prefix, "%s", prefix);
	e->start = start;
	e->end = end;
	e->bytes = bytes;
	e->objects = objects;
	snprintf(e->reason, sizeof e->reason, "%s", reason);
	snprintf(e->who, sizeof e->who, "%s", who);
	e->created_at = now;
	if ((r = ledger_begin(w->ledger))) {
		snprintf(err, errlen, "cannot write the ledger: %s", strerror(-r));
		goto out;
	}
	r = ledger_explain_insert(w->ledger, e);
	if (!r) {
		store_key(&target, agent, store);
		window_text(detail, sizeof detail, e);
		r = ledger_audit_add(w->ledger, now, who, "explain", target.s, detail);
	}
	if (r)
		snprintf(err, errlen, "cannot write the ledger: %s", strerror(-r));
	else
		r = add_to_copy(ws, e, copy, &ev, err, errlen);
	if (r < 0) {
		ledger_rollback(w->ledger);
		goto out;
	}
	if ((r = ledger_commit(w->ledger)) < 0) {
		snprintf(err, errlen, "cannot write the ledger: %s", strerror(-r));
		goto out;
	}
	ws->st = *copy;
	ws->dirty = true;
	log_notice("explain: '%s' filed %s for '%s/%s'", who, detail, agent, store);
	if (r == 1)
		watch_events(w, ws, &ev, 1, e->id, now);
	*id = e->id;
	r = 0;
out:
	free(copy);
	free(e);
	return r;
}

int explain_alert(struct watch *w, int64_t alert_id, int64_t bytes, int64_t objects,
		  const char *who, const char *reason, int64_t now, int64_t *id, char *err,
		  size_t errlen)
{
	struct ledger_explain *e = calloc(1, sizeof *e);
	struct ledger_alert *a = malloc(sizeof *a);
	struct detect_state *copy = malloc(sizeof *copy);
	struct watch_store *ws;
	struct detect_explain d;
	struct detect_event as, ev;
	char target[64], detail[LEDGER_TEXT_MAX];
	int r, added = -1;

	if (!e || !a || !copy) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = ledger_alert_get(w->ledger, alert_id, a);
	if (r) {
		snprintf(err, errlen, r == -ENOENT ? "no alert %lld" : "cannot read alert %lld",
			 (long long)alert_id);
		goto out;
	}
	if (a->closed_at) {
		r = -ESTALE;
		snprintf(err, errlen, "alert %lld is already %s", (long long)alert_id,
			 alert_state_name(a->state));
		goto out;
	}
	snprintf(e->agent, sizeof e->agent, "%s", a->agent);
	snprintf(e->store, sizeof e->store, "%s", a->store);
	e->start = a->since < a->fired_at ? a->since : a->fired_at;
	e->end = now > a->updated_at ? now : a->updated_at;
	e->bytes = bytes;
	e->objects = objects;
	snprintf(e->reason, sizeof e->reason, "%s", reason);
	snprintf(e->who, sizeof e->who, "%s", who);
	e->created_at = now;
	e->alert_id = alert_id;

	memset(&as, 0, sizeof as);
	as.time = a->fired_at;
	as.since = a->since;
	as.episode = a->episode;
	as.lost_bytes = a->lost_bytes;
	as.lost_objects = a->lost_objects;
	watch_explain_to_detect(e, &d);
	if (!detect_explain_covers(&as, &d)) {
		r = -EDOM;
		snprintf(err, errlen,
			 "the explanation does not cover alert %lld: it lost %.0f bytes and %.0f "
			 "objects",
			 (long long)alert_id, a->lost_bytes, a->lost_objects);
		goto out;
	}
	if ((r = ledger_begin(w->ledger))) {
		snprintf(err, errlen, "cannot write the ledger: %s", strerror(-r));
		goto out;
	}
	r = ledger_explain_insert(w->ledger, e);
	if (!r) {
		snprintf(target, sizeof target, "alert %lld", (long long)alert_id);
		window_text(detail, sizeof detail, e);
		r = ledger_audit_add(w->ledger, now, who, "explain", target, detail);
	}
	if (!r)
		r = alert_mark_explained(w->alerts, a, e->id, who, reason, now);
	if (r) {
		ledger_rollback(w->ledger);
		snprintf(err, errlen, "cannot write the ledger: %s", strerror(-r));
		goto out;
	}
	/* the detector closes its episode too, if the explanation fits */
	ws = watch_get(w, a->agent, a->store, false);
	if (ws) {
		char ignored[128];

		added = add_to_copy(ws, e, copy, &ev, ignored, sizeof ignored);
		if (added < 0)
			log_warn("explain: %s", ignored);
	}
	if ((r = ledger_commit(w->ledger)) < 0) {
		snprintf(err, errlen, "cannot write the ledger: %s", strerror(-r));
		goto out;
	}
	if (ws && added >= 0) {
		ws->st = *copy;
		ws->dirty = true;
		if (added == 1)
			watch_events(w, ws, &ev, 1, e->id, now); /* closed already: no-op */
	}
	alert_update_board(w->alerts, a->agent, a->store);
	*id = e->id;
	r = 0;
out:
	free(copy);
	free(a);
	free(e);
	return r;
}

int explain_revoke(struct watch *w, int64_t id, const char *who, const char *reason,
		   int64_t now, char *err, size_t errlen)
{
	struct ledger_explain *e = malloc(sizeof *e);
	struct watch_store *ws;
	char target[64], detail[LEDGER_TEXT_MAX];
	int r;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = ledger_explain_get(w->ledger, id, e);
	if (r) {
		snprintf(err, errlen, r == -ENOENT ? "no explanation %lld"
						   : "cannot read explanation %lld",
			 (long long)id);
		goto out;
	}
	if (e->revoked_at) {
		r = -EALREADY;
		snprintf(err, errlen, "explanation %lld was revoked by %s already", (long long)id,
			 e->revoked_by);
		goto out;
	}
	snprintf(target, sizeof target, "explanation %lld", (long long)id);
	snprintf(detail, sizeof detail, "revoked (%s/%s): %s", e->agent, e->store, reason);
	if (!(r = ledger_begin(w->ledger))) {
		r = ledger_explain_revoke(w->ledger, id, now, who, reason);
		if (!r)
			r = ledger_audit_add(w->ledger, now, who, "revoke", target, detail);
		r = r ? (ledger_rollback(w->ledger), r) : ledger_commit(w->ledger);
	}
	if (r) {
		snprintf(err, errlen, "cannot write the ledger: %s", strerror(-r));
		goto out;
	}
	ws = watch_get(w, e->agent, e->store, false);
	if (ws && detect_explain_revoke(&ws->st, (uint32_t)id) == 0)
		ws->dirty = true;
	log_notice("explain: '%s' revoked explanation %lld of '%s/%s': %s", who, (long long)id,
		   e->agent, e->store, reason);
out:
	free(e);
	return r;
}
