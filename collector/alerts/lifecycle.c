/*
 * lifecycle.c - the alert lifecycle (see lifecycle.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lifecycle.h"
#include "collector/store/board.h"
#include "deletion_reports.h"
#include "outbox.h"
#include "unrecorded.h"
#include "collector/ledger/reserve.h"
#include "shrinkwatch/backoff.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/banned.h"

#define ALERT_JSON_MAX (16 * 1024)
#define ALERT_MAX_ROUTES 16

void alert_config_default(struct alert_config *c)
{
	c->repeat_interval = ALERT_DEFAULT_REPEAT;
	c->notify_expiry = 24 * 3600;
	c->deletions_keep = DELETIONS_KEEP_DEFAULT;
}

int alert_config_key(void *ctx, const char *section, const char *key, const char *value,
		     char *err, size_t errlen)
{
	struct alert_config *c = ctx;
	uint64_t s;

	if (strcmp(section, "collector") != 0)
		return 0;
	if (!strcmp(key, "deletion_reports_keep")) {
		/* 0: keep every report; else at least a day, at most ten years */
		if (parse_duration(value, &s) || (s && s < 86400) || s > 3650ull * 86400) {
			snprintf(err, errlen, "%s must be 0 or a duration from 1d to 3650d", key);
			return -1;
		}
		c->deletions_keep = (int64_t)s;
		return 1;
	}
	if (strcmp(key, "repeat_interval") && strcmp(key, "notify_expiry"))
		return 0;
	if (parse_duration(value, &s) || s == 0 || s > 365ull * 86400) {
		snprintf(err, errlen, "%s must be a duration like 4h", key);
		return -1;
	}
	if (!strcmp(key, "repeat_interval"))
		c->repeat_interval = (int64_t)s;
	else
		c->notify_expiry = (int64_t)s;
	return 1;
}

enum notify_severity alert_severity(unsigned kind)
{
	switch (kind) {
	case DETECT_DROP:
	case DETECT_VANISHED:
	case DETECT_OVERPURGE:
	case DETECT_COPY_LOST:
		return NOTIFY_CRITICAL;
	default:
		return NOTIFY_WARNING;
	}
}

/* info 0, warning 1, critical 2; an unknown name ranks with info */
static int sev_rank(const char *s)
{
	enum notify_severity sev = NOTIFY_INFO;

	notify_severity_parse(s, &sev);
	return (int)sev;
}

int alert_to_json(struct buf *b, const struct ledger_alert *a, enum alert_json_form form)
{
	int err = 0;

#define K(k) (err = err ? err : json_put_key(b, k))
#define S(v) (err = err ? err : json_put_str(b, v))
#define I(v) (err = err ? err : json_put_i64(b, v))
#define D(v) (err = err ? err : json_put_double(b, v))
#define R(v) (err = err ? err : json_put_raw(b, v))
#define OPT_I(v) ((v) ? I(v) : R("null"))
#define OPT_S(v) (*(v) ? S(v) : R("null"))
	R("{");
	K("id"); I(a->id); R(",");
	K("agent"); S(a->agent); R(",");
	K("store"); S(a->store); R(",");
	K("kind"); S(a->kind); R(",");
	K("episode"); I(a->episode); R(",");
	K("severity"); S(a->severity); R(",");
	K("state"); S(alert_state_name(a->state)); R(",");
	if (form != ALERT_JSON_ROW) {
		K("transition"); S(alert_state_name(a->state)); R(",");
		K("repeat"); R(form == ALERT_JSON_REPEAT ? "true" : "false"); R(",");
	}
	K("since"); I(a->since); R(",");
	K("fired_at"); I(a->fired_at); R(",");
	K("updated_at"); I(a->updated_at); R(",");
	K("closed_at"); OPT_I(a->closed_at); R(",");
	K("lost_bytes"); D(a->lost_bytes); R(",");
	K("lost_objects"); D(a->lost_objects); R(",");
	K("expected_bytes"); D(a->expected_bytes); R(",");
	K("observed_bytes"); D(a->observed_bytes); R(",");
	K("expected_objects"); D(a->expected_objects); R(",");
	K("observed_objects"); D(a->observed_objects); R(",");
	K("summary"); S(a->summary); R(",");
	K("ack_by"); OPT_S(a->ack_by); R(",");
	K("ack_at"); OPT_I(a->ack_at); R(",");
	K("ack_comment"); OPT_S(a->ack_comment); R(",");
	K("explanation_id"); OPT_I(a->explanation_id); R(",");
	K("attribution"); OPT_S(a->attribution);
	R("}");
#undef K
#undef S
#undef I
#undef D
#undef R
#undef OPT_I
#undef OPT_S
	return err;
}

/* Queues the notification of a's state (repeat: of a firing alert, again) for
 * every routed notifier; marks a->last_notified_at. */
static int notify_transition(struct alerts *al, struct ledger_alert *a, bool repeat,
			     int64_t now)
{
	char names[ALERT_MAX_ROUTES][NOTIFY_NAME_MAX + 1];
	enum notify_severity sev = NOTIFY_WARNING;
	struct buf b;
	size_t n, i;
	int err = 0;

	if (!al->outbox)
		return 0;
	notify_severity_parse(a->severity, &sev);
	n = notify_route(sev, a->agent, a->store, names, ALERT_MAX_ROUTES);
	if (!n)
		return 0;
	a->last_notified_at = now;
	buf_init(&b, ALERT_JSON_MAX);
	err = alert_to_json(&b, a, repeat ? ALERT_JSON_REPEAT : ALERT_JSON_NOTICE);
	if (!err)
		err = buf_append(&b, "", 1);
	for (i = 0; !err && i < n; i++)
		err = outbox_queue(al->outbox, names[i], a->id, a->state, repeat,
				   (const char *)b.data, now);
	buf_release(&b);
	return err;
}

/* The alert row for a firing event (new). */
static void fill_from_event(struct ledger_alert *a, const char *agent, const char *store,
			    const struct detect_event *ev)
{
	snprintf(a->agent, sizeof a->agent, "%s", agent);
	snprintf(a->store, sizeof a->store, "%s", store);
	snprintf(a->kind, sizeof a->kind, "%s", detect_kind_name(ev->kind));
	a->episode = ev->episode;
	snprintf(a->severity, sizeof a->severity, "%s",
		 notify_severity_name(alert_severity(ev->kind)));
	a->since = ev->since;
	a->lost_bytes = ev->lost_bytes;
	a->lost_objects = ev->lost_objects;
	a->expected_bytes = ev->expected_bytes;
	a->observed_bytes = ev->observed_bytes;
	a->expected_objects = ev->expected_objects;
	a->observed_objects = ev->observed_objects;
	snprintf(a->summary, sizeof a->summary, "%s", ev->summary);
}

static void target_of(const struct ledger_alert *a, char *out, size_t len)
{
	snprintf(out, len, "alert %lld", (long long)a->id);
}

/* Records alert a entering its state a->state: event row, audit row,
 * notifications, the row itself. */
static int record(struct alerts *al, struct ledger_alert *a, const char *who,
		  const char *audit_action, const char *detail, int64_t now, bool notify)
{
	char target[64];
	int err;

	target_of(a, target, sizeof target);
	err = ledger_event_add(al->ledger, a->id, now, alert_event_entered(a->state), detail);
	if (!err && audit_action)
		err = ledger_audit_add(al->ledger, now, who, audit_action, target, detail);
	if (!err && notify)
		err = notify_transition(al, a, false, now);
	if (!err)
		err = ledger_alert_update(al->ledger, a);
	if (!err)
		al->transitions++;
	return err;
}

static int on_firing(struct alerts *al, const char *agent, const char *store,
		     const struct detect_event *ev, int64_t now)
{
	struct ledger_alert *a = calloc(1, sizeof *a);
	int err;

	if (!a)
		return -ENOMEM;
	fill_from_event(a, agent, store, ev);
	a->state = ALERT_FIRING;
	a->fired_at = ev->time;
	a->updated_at = now;
	err = ledger_alert_insert(al->ledger, a);
	/* who deleted, if the agent watches deletions: in the first notification */
	if (!err && deletions_attribute_alert(al->ledger, al->reg, a, now) < 0)
		err = -EIO;
	if (!err)
		err = record(al, a, "collector", "alert-fired", a->summary, now, true);
	if (!err)
		log_warn("alert: %s %s firing on '%s/%s' (alert %lld): %s%s%s", a->severity, a->kind,
			 agent, store, (long long)a->id, a->summary, a->attribution[0] ? "; " : "",
			 a->attribution);
	free(a);
	return err;
}

static int apply_event(struct alerts *al, const char *agent, const char *store,
		       const struct detect_event *ev, int64_t explanation_id, int64_t now)
{
	struct ledger_alert *a = malloc(sizeof *a);
	const char *kind = detect_kind_name(ev->kind);
	char detail[LEDGER_TEXT_MAX];
	int err;

	if (!a)
		return -ENOMEM;
	err = ledger_alert_find(al->ledger, agent, store, kind, ev->episode, a);
	if (err == -ENOENT) {
		/* an UPDATED or RESOLVED event of an alert we never stored (a
		 * refused write long ago): a firing one is still worth an alert */
		err = ev->state == DETECT_RESOLVED ? 0 : on_firing(al, agent, store, ev, now);
		goto out;
	}
	if (err)
		goto out;
	if (a->closed_at) {
		/* explained (or resolved) already; the detector only caught up */
		log_debug("alert: %lld is %s; ignoring the detector's '%s'", (long long)a->id,
			  alert_state_name(a->state), detect_state_name(ev->state));
		goto out;
	}
	if (ev->state == DETECT_FIRING || ev->state == DETECT_UPDATED) {
		fill_from_event(a, agent, store, ev);
		a->updated_at = now;
		err = ledger_event_add(al->ledger, a->id, now, ALERT_EVENT_UPDATED, ev->summary);
		if (!err)
			err = ledger_alert_update(al->ledger, a);
		if (!err && deletions_attribute_alert(al->ledger, al->reg, a, now) < 0)
			err = -EIO;
		if (!err)
			log_info("alert: %lld (%s on '%s/%s') updated: %s", (long long)a->id,
				 a->kind, agent, store, ev->summary);
		goto out;
	}
	/* resolved */
	a->updated_at = now;
	a->closed_at = ev->time;
	if (ev->resolution == DETECT_RES_EXPLAINED && explanation_id) {
		a->state = ALERT_EXPLAINED;
		a->explanation_id = explanation_id;
		snprintf(detail, sizeof detail, "explained by explanation %lld",
			 (long long)explanation_id);
		err = record(al, a, "collector", "alert-explained", detail, now, true);
	} else {
		a->state = ALERT_RESOLVED;
		snprintf(detail, sizeof detail, "%s: %s", detect_resolution_name(ev->resolution),
			 ev->summary);
		err = record(al, a, "collector", "alert-resolved", detail, now, true);
	}
	if (!err)
		log_notice("alert: %lld (%s on '%s/%s') %s: %s", (long long)a->id, a->kind, agent,
			   store, alert_state_name(a->state), detail);
out:
	free(a);
	return err;
}

/* Retry rounds: 1 s doubling to a minute, a quarter above at most. */
static const struct backoff_policy RETRY_WAIT = { 1000, 60000, 0, 25 };

static void on_retry_timer(uv_timer_t *t);

/* Arms the next retry round after a failure (or the first queued event). */
static void schedule_retry(struct alerts *al, int64_t now)
{
	uint64_t ms = backoff_delay(&RETRY_WAIT, al->retry_failures + 1, NULL);

	al->retry_at_ms = now * 1000 + (int64_t)ms;
	if (al->timer_on)
		uv_timer_start(&al->retry_timer, on_retry_timer, ms, 0);
}

static void queue_retry(struct alerts *al, const char *agent, const char *store,
			const struct detect_event *ev, int64_t explanation_id, bool told,
			int64_t now)
{
	struct alert_retry *r;

	if (!al->retry)
		al->retry = calloc(ALERT_RETRY_MAX, sizeof *al->retry);
	if (!al->retry || al->nretry >= ALERT_RETRY_MAX) {
		log_err("alert: cannot keep the %s event of '%s/%s' for a retry: it is lost",
			detect_kind_name(ev->kind), agent, store);
		return;
	}
	r = &al->retry[al->nretry++];
	snprintf(r->agent, sizeof r->agent, "%s", agent);
	snprintf(r->store, sizeof r->store, "%s", store);
	r->ev = *ev;
	r->explanation_id = explanation_id;
	r->told = told;
	if (al->nretry == 1)
		schedule_retry(al, now);
}

/* One try in one transaction; on a full disk, the reserve goes and the
 * event is tried once more. */
static int try_event(struct alerts *al, const char *agent, const char *store,
		     const struct detect_event *ev, int64_t explanation_id, int64_t now)
{
	int err = -ENOSPC;

	for (int tries = 0; tries < 2 && err == -ENOSPC; tries++) {
		if (tries && !ledger_reserve_release(al->reserve))
			break;
		err = ledger_begin(al->ledger);
		if (err)
			continue;
		err = apply_event(al, agent, store, ev, explanation_id, now);
		if (err)
			ledger_rollback(al->ledger);
		else
			err = ledger_commit(al->ledger);
	}
	return err;
}

/* Applies ev, or keeps it for a retry (told: already sent as not yet
 * recorded).  0 or the negative errno of the failed try. */
static int on_event(struct alerts *al, const char *agent, const char *store,
		    const struct detect_event *ev, int64_t explanation_id, bool told, int64_t now,
		    bool quiet)
{
	int err = try_event(al, agent, store, ev, explanation_id, now);

	if (err) {
		if (!quiet)
			log_err("alert: cannot record the %s %s of '%s/%s' in the ledger (%s); "
				"kept in memory, will retry", detect_kind_name(ev->kind),
				detect_state_name(ev->state), agent, store, strerror(-err));
		if (!told)
			told = unrecorded_notify(agent, store, ev, alert_severity(ev->kind), now) > 0;
		queue_retry(al, agent, store, ev, explanation_id, told, now);
		return err;
	}
	alert_update_board(al, agent, store);
	return 0;
}

int alert_on_event(struct alerts *al, const char *agent, const char *store,
		   const struct detect_event *ev, int64_t explanation_id, int64_t now)
{
	/* behind events that wait, in their order: the ledger is not ready */
	if (al->nretry) {
		bool told = unrecorded_notify(agent, store, ev, alert_severity(ev->kind), now) > 0;

		queue_retry(al, agent, store, ev, explanation_id, told, now);
		return -EAGAIN;
	}
	return on_event(al, agent, store, ev, explanation_id, false, now, false);
}

bool alert_pending(const struct alerts *al, const char *agent, const char *store)
{
	for (size_t i = 0; i < al->nretry; i++)
		if (!strcmp(al->retry[i].agent, agent) && !strcmp(al->retry[i].store, store))
			return true;
	return false;
}

size_t alert_retry_run(struct alerts *al, int64_t now)
{
	size_t n = al->nretry, i;
	struct alert_retry *copy;

	if (!n || now * 1000 < al->retry_at_ms)
		return n;
	copy = malloc(n * sizeof *copy);
	if (!copy)
		return n;
	/* in their order; once one fails, the rest wait behind it untried */
	memcpy(copy, al->retry, n * sizeof *copy);
	al->nretry = 0;
	for (i = 0; i < n && !al->nretry; i++)
		on_event(al, copy[i].agent, copy[i].store, &copy[i].ev, copy[i].explanation_id,
			 copy[i].told, now, true);
	for (; i < n; i++)
		queue_retry(al, copy[i].agent, copy[i].store, &copy[i].ev,
			    copy[i].explanation_id, copy[i].told, now);
	free(copy);
	if (al->nretry) {
		al->retry_failures++;
		schedule_retry(al, now);
		log_err("alert: %zu detector events still cannot be recorded in the ledger; next "
			"try in %lld s", al->nretry,
			(long long)((al->retry_at_ms - now * 1000 + 999) / 1000));
	} else {
		if (al->retry_failures || n)
			log_notice("alert: the %zu detector events kept in memory are recorded", n);
		al->retry_failures = 0;
	}
	return al->nretry;
}

static void on_retry_timer(uv_timer_t *t)
{
	struct alerts *al = t->data;

	alert_retry_run(al, (int64_t)time(NULL));
}

int alert_ack(struct alerts *al, int64_t id, const char *who, const char *comment, int64_t now,
	      char *err, size_t errlen)
{
	struct ledger_alert *a = malloc(sizeof *a);
	char detail[LEDGER_TEXT_MAX];
	int rc;

	if (!a)
		return -ENOMEM;
	rc = ledger_alert_get(al->ledger, id, a);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "no alert %lld", (long long)id);
		goto out;
	}
	if (rc) {
		snprintf(err, errlen, "cannot read the ledger: %s", strerror(-rc));
		goto out;
	}
	if (a->closed_at) {
		snprintf(err, errlen, "alert %lld is already %s", (long long)id,
			 alert_state_name(a->state));
		rc = -ESTALE;
		goto out;
	}
	if (a->ack_at) {
		snprintf(err, errlen, "alert %lld was acknowledged by %s already", (long long)id,
			 a->ack_by);
		rc = -EALREADY;
		goto out;
	}
	a->state = ALERT_ACKNOWLEDGED;
	snprintf(a->ack_by, sizeof a->ack_by, "%s", who);
	snprintf(a->ack_comment, sizeof a->ack_comment, "%s", comment);
	a->ack_at = now;
	a->updated_at = now;
	snprintf(detail, sizeof detail, "acknowledged by %s: %s", who, comment);
	rc = ledger_begin(al->ledger);
	if (!rc) {
		rc = record(al, a, who, "ack", detail, now, true);
		rc = rc ? (ledger_rollback(al->ledger), rc) : ledger_commit(al->ledger);
	}
	if (rc) {
		snprintf(err, errlen, "cannot record the acknowledgement: %s", strerror(-rc));
		goto out;
	}
	log_notice("alert: %lld (%s on '%s/%s') acknowledged by '%s': %s", (long long)id, a->kind,
		   a->agent, a->store, who, comment);
	alert_update_board(al, a->agent, a->store);
out:
	free(a);
	return rc;
}

int alert_mark_explained(struct alerts *al, struct ledger_alert *a, int64_t explain_id,
			 const char *who, const char *reason, int64_t now)
{
	char detail[LEDGER_TEXT_MAX];
	int err;

	a->state = ALERT_EXPLAINED;
	a->explanation_id = explain_id;
	a->closed_at = now;
	a->updated_at = now;
	snprintf(detail, sizeof detail, "explained by %s (explanation %lld): %s", who,
		 (long long)explain_id, reason);
	err = record(al, a, who, "alert-explained", detail, now, true);
	if (!err)
		log_notice("alert: %lld (%s on '%s/%s') explained by '%s': %s", (long long)a->id,
			   a->kind, a->agent, a->store, who, reason);
	return err;
}

int alert_mark_not_a_loss(struct alerts *al, struct ledger_alert *a, const char *who,
			  const char *comment, int64_t now)
{
	char detail[LEDGER_TEXT_MAX];
	int err;

	a->state = ALERT_NOT_A_LOSS;
	snprintf(a->ack_by, sizeof a->ack_by, "%s", who);
	snprintf(a->ack_comment, sizeof a->ack_comment, "%s", comment);
	a->ack_at = now;
	if (!a->closed_at)
		a->closed_at = now;
	a->updated_at = now;
	snprintf(detail, sizeof detail, "not a loss, said %s: %s", who, comment);
	err = record(al, a, who, "not-a-loss", detail, now, true);
	if (!err)
		log_notice("alert: %lld (%s on '%s/%s') is not a loss, said '%s': %s",
			   (long long)a->id, a->kind, a->agent, a->store, who, comment);
	return err;
}

struct board_count {
	const char *agent, *store;
	unsigned n;
	char worst[24], worst_sev[12];
};

static int count_open(void *ctx, const struct ledger_alert *a)
{
	struct board_count *c = ctx;

	if (strcmp(a->agent, c->agent) || strcmp(a->store, c->store))
		return 0;
	c->n++;
	if (!c->worst[0] || sev_rank(a->severity) > sev_rank(c->worst_sev)) {
		snprintf(c->worst, sizeof c->worst, "%s", a->kind);
		snprintf(c->worst_sev, sizeof c->worst_sev, "%s", a->severity);
	}
	return 0;
}

void alert_update_board(struct alerts *al, const char *agent, const char *store)
{
	struct board_count c = { .agent = agent, .store = store };

	if (!al->board)
		return;
	if (ledger_alert_each_open_of(al->ledger, agent, store, count_open, &c) == 0)
		board_set_alerts(al->board, agent, store, c.n, c.worst);
}

struct seed_ctx {
	struct alerts *al;
	char done[64][STORE_KEY_MAX];
	unsigned n;
};

static int seed_one(void *ctx, const struct ledger_alert *a)
{
	struct seed_ctx *c = ctx;
	struct store_key key;

	store_key(&key, a->agent, a->store);
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->done[i], key.s))
			return 0;
	if (c->n < sizeof c->done / sizeof c->done[0])
		memcpy(c->done[c->n++], key.s, sizeof key.s);
	alert_update_board(c->al, a->agent, a->store);
	return 0;
}

void alert_seed_board(struct alerts *al)
{
	struct seed_ctx *c = calloc(1, sizeof *c);

	if (!c || !al->board) {
		free(c);
		return;
	}
	c->al = al;
	ledger_alert_each(al->ledger, false, seed_one, c);
	free(c);
}

struct repeat_ctx {
	struct alerts *al;
	int64_t now;
	int64_t due[64];
	unsigned n;
};

static int find_repeats(void *ctx, const struct ledger_alert *a)
{
	struct repeat_ctx *r = ctx;

	if (a->state != ALERT_FIRING || a->ack_at || !a->last_notified_at)
		return 0;
	if (r->now - a->last_notified_at < r->al->cfg.repeat_interval)
		return 0;
	if (r->n < sizeof r->due / sizeof r->due[0])
		r->due[r->n++] = a->id;
	return 0;
}

static void send_repeats(struct alerts *al, int64_t now)
{
	struct repeat_ctx r = { .al = al, .now = now };
	struct ledger_alert *a;
	char detail[128];

	if (ledger_alert_each(al->ledger, false, find_repeats, &r) || !r.n)
		return;
	a = malloc(sizeof *a);
	if (!a)
		return;
	for (unsigned i = 0; i < r.n; i++) {
		if (ledger_alert_get(al->ledger, r.due[i], a))
			continue;
		snprintf(detail, sizeof detail, "still firing and unacknowledged after %llds",
			 (long long)(now - a->fired_at));
		if (ledger_begin(al->ledger))
			break;
		if (ledger_event_add(al->ledger, a->id, now, ALERT_EVENT_REPEATED, detail) ||
		    notify_transition(al, a, true, now) ||
		    ledger_alert_update(al->ledger, a)) {
			ledger_rollback(al->ledger);
			break;
		}
		if (ledger_commit(al->ledger))
			break;
		log_info("alert: %lld (%s on '%s/%s') notified again: %s", (long long)a->id,
			 a->kind, a->agent, a->store, detail);
	}
	free(a);
}

void alert_tick(struct alerts *al, int64_t now)
{
	/* events the ledger refused, when their backoff has passed */
	alert_retry_run(al, now);
	send_repeats(al, now);
}

static void on_timer(uv_timer_t *t)
{
	alert_tick(t->data, (int64_t)time(NULL));
}

int alert_init(struct alerts *al, uv_loop_t *loop, struct ledger *l, struct board *b,
	       struct registry *reg, struct outbox *o, const struct alert_config *cfg)
{
	memset(al, 0, sizeof *al);
	al->ledger = l;
	al->board = b;
	al->reg = reg;
	al->outbox = o;
	if (cfg)
		al->cfg = *cfg;
	else
		alert_config_default(&al->cfg);
	if (loop) {
		uint64_t ms = (uint64_t)al->cfg.repeat_interval * 1000 / 4;

		if (ms > 60000)
			ms = 60000;
		if (ms < 1000)
			ms = 1000;
		uv_timer_init(loop, &al->timer);
		al->timer.data = al;
		uv_timer_init(loop, &al->retry_timer);
		al->retry_timer.data = al;
		uv_timer_start(&al->timer, on_timer, ms, ms);
		al->timer_on = true;
	}
	return 0;
}

void alert_stop(struct alerts *al)
{
	if (al->timer_on) {
		uv_timer_stop(&al->timer);
		uv_close((uv_handle_t *)&al->timer, NULL);
		uv_timer_stop(&al->retry_timer);
		uv_close((uv_handle_t *)&al->retry_timer, NULL);
		al->timer_on = false;
	}
	if (al->nretry)
		log_err("alert: %zu detector events could not be recorded before shutdown; the "
			"detector kept the older state of their stores, so the next start "
			"derives them again from the stored samples", al->nretry);
	free(al->retry);
	al->retry = NULL;
	al->nretry = 0;
}
