/*
 * commands.c - the control socket's commands (docs/control.md).
 *
 * One table maps a request's "cmd" to its handler and says whether it changes
 * anything; the permission check happens once, before any handler runs, so
 * no changing command can forget it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/alerts/lifecycle.h"
#include "collector/store/board.h"
#include "control.h"
#include "copy_commands.h"
#include "collector/alerts/explanations.h"
#include "collector/ledger/ledger.h"
#include "collector/alerts/outbox.h"
#include "collector/alerts/watch.h"
#include "collector/alerts/invrequest.h"
#include "collector/alerts/notaloss.h"
#include "collector/ledger/inventory.h"
#include "collector/ledger/inventory_json.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/jsonparse.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/strmap.h"
#include "shrinkwatch/banned.h"

#define MAX_TOKENS 64
#define AUDIT_DEFAULT_LIMIT 1000
#define AUDIT_MAX_LIMIT 100000

struct request {
	struct control *c;
	const struct control_caller *who;
	const char *s;
	const struct jsonparse_tok *toks;
	int64_t now;
	struct buf *out;
	char err[512];
};

typedef int (*cmd_fn)(struct request *r);

/* ---- helpers ----------------------------------------------------------- */

static int fail(struct request *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct request *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	return code;
}

static int get_text(struct request *r, const char *key, char *out, size_t len, bool required)
{
	int e = jsonparse_get_str(r->s, r->toks, 0, key, out, len);

	if (e == -ENOENT && !required) {
		out[0] = '\0';
		return 0;
	}
	if (e == -ENOENT)
		return fail(r, -EINVAL, "'%s' is required", key);
	if (e == -ENOBUFS)
		return fail(r, -EINVAL, "'%s' is too long (at most %zu bytes)", key, len - 1);
	if (e)
		return fail(r, -EINVAL, "'%s' must be a string", key);
	return 0;
}

/* An integer member: 0, 1 if absent (when optional), or an error. */
static int get_int(struct request *r, const char *key, int64_t *v, bool required)
{
	int e = jsonparse_get_i64(r->s, r->toks, 0, key, v);

	if (e == -ENOENT)
		return required ? fail(r, -EINVAL, "'%s' is required", key) : 1;
	if (e)
		return fail(r, -EINVAL, "'%s' must be an integer", key);
	return 0;
}

static bool get_flag(struct request *r, const char *key)
{
	bool v = false;

	jsonparse_get_bool(r->s, r->toks, 0, key, &v);
	return v;
}

/* t as "2026-11-23T02:00:00Z" into buf. */
static const char *iso_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

static int put_ok(struct request *r)
{
	return json_put_raw(r->out, "{\"ok\":true");
}

/* ---- read-only commands ------------------------------------------------ */

/* The retention exact accounting uses for a store (configured, or learned
 * from the nightly purges: detect_retention()), null while unknown. */
static void put_retention(struct request *r, const char *agent, const char *store)
{
	struct watch_store *ws = r->c->watch ? watch_get(r->c->watch, agent, store, false) : NULL;
	bool learned = false;
	uint64_t ret = ws ? detect_retention(&ws->st, &ws->p, &learned) : 0;

	json_put_raw(r->out, ",");
	json_put_key(r->out, "retention");
	ret ? json_put_u64(r->out, ret) : json_put_raw(r->out, "null");
	json_put_raw(r->out, ",");
	json_put_key(r->out, "retention_learned");
	json_put_raw(r->out, learned ? "true" : "false");
	json_put_raw(r->out, ",");
	json_put_key(r->out, "exact");
	json_put_raw(r->out, ws && ws->st.x.seen ? "true" : "false");
}

/* An object store's listing cost and, for a versioned bucket, what can be
 * undone; nothing for a directory store. */
static void put_listing(struct buf *b, const struct board_entry *x)
{
	if (!x->listed)
		return;
	json_put_raw(b, ","); json_put_key(b, "list_requests"); json_put_u64(b, x->list_requests);
	if (!x->have_last || !(x->last.flags & SW_SAMPLE_VERSIONED))
		return;
	json_put_raw(b, ","); json_put_key(b, "versioned"); json_put_raw(b, "true");
	json_put_raw(b, ","); json_put_key(b, "noncurrent_objects");
	json_put_u64(b, x->last.noncurrent_objects);
	json_put_raw(b, ","); json_put_key(b, "noncurrent_bytes");
	json_put_u64(b, x->last.noncurrent_bytes);
	json_put_raw(b, ","); json_put_key(b, "delete_markers");
	json_put_u64(b, x->last.delete_markers);
}

static int cmd_status(struct request *r)
{
	struct board_entry *e = NULL;
	long n = r->c->board ? board_snapshot(r->c->board, &e) : 0;
	double objects = 0, bytes = 0;
	unsigned open = 0, agents = 0, connected = 0;
	struct strmap seen;
	int err = 0;
	struct buf *b = r->out;

	if (n < 0)
		return fail(r, (int)n, "cannot read the board: %s", strerror((int)-n));
	strmap_init(&seen);
	put_ok(r);
	json_put_raw(b, ",\"now\":");
	json_put_i64(b, r->now);
	json_put_raw(b, ",\"stores\":[");
	for (long i = 0; i < n && !err; i++) {
		const struct board_entry *x = &e[i];

		objects += x->have_last ? (double)x->last.objects : 0;
		bytes += x->have_last ? (double)x->last.bytes : 0;
		open += x->open_alerts;
		if (!strmap_get(&seen, x->agent) && strmap_put(&seen, x->agent, (void *)x) == 0) {
			agents++;
			connected += x->agent_connected;
		}
		err = json_put_raw(b, i ? ",{" : "{");
		json_put_key(b, "agent"); json_put_str(b, x->agent);
		json_put_raw(b, ","); json_put_key(b, "store"); json_put_str(b, x->store);
		json_put_raw(b, ","); json_put_key(b, "state");
		json_put_str(b, board_state_name(board_entry_state(x)));
		json_put_raw(b, ","); json_put_key(b, "connected");
		json_put_raw(b, x->agent_connected ? "true" : "false");
		json_put_raw(b, ","); json_put_key(b, "interval"); json_put_u64(b, x->interval);
		json_put_raw(b, ","); json_put_key(b, "last_time");
		if (x->have_last)
			json_put_i64(b, x->last.time);
		else
			json_put_raw(b, "null");
		json_put_raw(b, ","); json_put_key(b, "objects");
		json_put_u64(b, x->have_last ? x->last.objects : 0);
		json_put_raw(b, ","); json_put_key(b, "bytes");
		json_put_u64(b, x->have_last ? x->last.bytes : 0);
		json_put_raw(b, ","); json_put_key(b, "scan");
		json_put_str(b, x->have_last ? sample_status_name(x->last.status) : "none");
		json_put_raw(b, ","); json_put_key(b, "open_alerts"); json_put_u64(b, x->open_alerts);
		json_put_raw(b, ","); json_put_key(b, "worst_kind"); json_put_str(b, x->worst_kind);
		/* why a small deletion raised nothing: calibration and floors */
		json_put_raw(b, ","); json_put_key(b, "calibrated");
		json_put_raw(b, x->calibrated ? "true" : "false");
		json_put_raw(b, ","); json_put_key(b, "drop_min_bytes");
		json_put_double(b, x->drop_min_bytes);
		json_put_raw(b, ","); json_put_key(b, "drop_min_objects");
		json_put_double(b, x->drop_min_objects);
		json_put_raw(b, ","); json_put_key(b, "drop_threshold");
		json_put_double(b, x->drop_rel);
		put_retention(r, x->agent, x->store);
		put_listing(b, x);
		err = json_put_raw(b, "}");
	}
	json_put_raw(b, "],\"totals\":{");
	json_put_key(b, "agents"); json_put_u64(b, agents);
	json_put_raw(b, ","); json_put_key(b, "agents_connected"); json_put_u64(b, connected);
	json_put_raw(b, ","); json_put_key(b, "stores"); json_put_i64(b, n);
	json_put_raw(b, ","); json_put_key(b, "objects"); json_put_double(b, objects);
	json_put_raw(b, ","); json_put_key(b, "bytes"); json_put_double(b, bytes);
	json_put_raw(b, ","); json_put_key(b, "open_alerts"); json_put_u64(b, open);
	json_put_raw(b, ","); json_put_key(b, "outbox");
	json_put_i64(b, r->c->ledger ? ledger_outbox_count(r->c->ledger) : 0);
	/* agents that lost samples or had some refused (admit.h) */
	json_put_raw(b, "},\"agents\":");
	if (!r->c->agents || r->c->agents(r->c->agents_ud, b))
		json_put_raw(b, "[]");
	err = json_put_raw(b, "}");
	strmap_release(&seen);
	free(e);
	return err ? fail(r, err, "response too large") : 0;
}

struct list_ctx {
	struct request *r;
	int n, err;
};

static int list_alert(void *ctx, const struct ledger_alert *a)
{
	struct list_ctx *l = ctx;

	if (l->n++)
		json_put_raw(l->r->out, ",");
	return l->err = alert_to_json(l->r->out, a, ALERT_JSON_ROW);
}

static int cmd_alerts(struct request *r)
{
	struct list_ctx l = { .r = r };
	int err;

	put_ok(r);
	json_put_raw(r->out, ",\"alerts\":[");
	err = ledger_alert_each(r->c->ledger, get_flag(r, "all"), list_alert, &l);
	if (!err)
		err = json_put_raw(r->out, "]}");
	return err ? fail(r, err, "cannot list alerts: %s", strerror(-err)) : 0;
}

static int put_explain(struct buf *b, const struct ledger_explain *e)
{
	json_put_raw(b, "{"); json_put_key(b, "id"); json_put_i64(b, e->id);
	json_put_raw(b, ","); json_put_key(b, "agent"); json_put_str(b, e->agent);
	json_put_raw(b, ","); json_put_key(b, "store"); json_put_str(b, e->store);
	json_put_raw(b, ","); json_put_key(b, "start"); json_put_i64(b, e->start);
	json_put_raw(b, ","); json_put_key(b, "end"); json_put_i64(b, e->end);
	json_put_raw(b, ","); json_put_key(b, "bytes");
	e->bytes < 0 ? json_put_raw(b, "null") : json_put_i64(b, e->bytes);
	json_put_raw(b, ","); json_put_key(b, "objects");
	e->objects < 0 ? json_put_raw(b, "null") : json_put_i64(b, e->objects);
	json_put_raw(b, ","); json_put_key(b, "reason"); json_put_str(b, e->reason);
	json_put_raw(b, ","); json_put_key(b, "who"); json_put_str(b, e->who);
	json_put_raw(b, ","); json_put_key(b, "created_at"); json_put_i64(b, e->created_at);
	json_put_raw(b, ","); json_put_key(b, "alert_id");
	e->alert_id ? json_put_i64(b, e->alert_id) : json_put_raw(b, "null");
	json_put_raw(b, ","); json_put_key(b, "revoked_at");
	e->revoked_at ? json_put_i64(b, e->revoked_at) : json_put_raw(b, "null");
	json_put_raw(b, ","); json_put_key(b, "revoked_by");
	e->revoked_at ? json_put_str(b, e->revoked_by) : json_put_raw(b, "null");
	json_put_raw(b, ","); json_put_key(b, "revoke_reason");
	e->revoked_at ? json_put_str(b, e->revoke_reason) : json_put_raw(b, "null");
	json_put_raw(b, ","); json_put_key(b, "path");
	e->prefix[0] ? json_put_str(b, e->prefix) : json_put_raw(b, "null");
	return json_put_raw(b, "}");
}

static int list_explain(void *ctx, const struct ledger_explain *e)
{
	struct list_ctx *l = ctx;

	if (l->n++)
		json_put_raw(l->r->out, ",");
	return l->err = put_explain(l->r->out, e);
}

static int cmd_explanations(struct request *r)
{
	struct list_ctx l = { .r = r };
	int err;

	put_ok(r);
	json_put_raw(r->out, ",\"explanations\":[");
	err = ledger_explain_each(r->c->ledger, get_flag(r, "all") ? 0 : r->now, list_explain,
				  &l);
	if (!err)
		err = json_put_raw(r->out, "]}");
	return err ? fail(r, err, "cannot list explanations: %s", strerror(-err)) : 0;
}

static int list_audit(void *ctx, const struct ledger_audit *a)
{
	struct list_ctx *l = ctx;
	struct buf *b = l->r->out;

	json_put_raw(b, l->n++ ? ",{" : "{");
	json_put_key(b, "id"); json_put_i64(b, a->id);
	json_put_raw(b, ","); json_put_key(b, "time"); json_put_i64(b, a->time);
	json_put_raw(b, ","); json_put_key(b, "who"); json_put_str(b, a->who);
	json_put_raw(b, ","); json_put_key(b, "action"); json_put_str(b, a->action);
	json_put_raw(b, ","); json_put_key(b, "target"); json_put_str(b, a->target);
	json_put_raw(b, ","); json_put_key(b, "detail"); json_put_str(b, a->detail);
	return l->err = json_put_raw(b, "}");
}

static int cmd_audit(struct request *r)
{
	struct list_ctx l = { .r = r };
	int64_t since = 0, limit = AUDIT_DEFAULT_LIMIT;
	int err;

	if (get_int(r, "since", &since, false) < 0 || get_int(r, "limit", &limit, false) < 0)
		return -EINVAL;
	if (limit <= 0 || limit > AUDIT_MAX_LIMIT)
		return fail(r, -EINVAL, "'limit' must be 1..%d", AUDIT_MAX_LIMIT);
	put_ok(r);
	json_put_raw(r->out, ",\"audit\":[");
	err = ledger_audit_each(r->c->ledger, since, (int)limit, list_audit, &l);
	if (!err)
		err = json_put_raw(r->out, "]}");
	return err ? fail(r, err, "cannot read the audit log: %s", strerror(-err)) : 0;
}

/* ---- changing commands ------------------------------------------------- */

/* A text every change must come with (comment, reason): present, non-empty. */
static int get_why(struct request *r, const char *key, char *out, size_t len)
{
	if (get_text(r, key, out, len, true))
		return -EINVAL;
	return out[0] ? 0 : fail(r, -EINVAL, "a %s is required", key);
}

/* The answer of a change: {"ok":true,"id":N}. */
static int put_id(struct request *r, int64_t id)
{
	put_ok(r);
	json_put_raw(r->out, ",\"id\":");
	json_put_i64(r->out, id);
	return json_put_raw(r->out, "}");
}

static int cmd_ack(struct request *r)
{
	char comment[LEDGER_TEXT_MAX];
	int64_t id;
	int err;

	if (get_int(r, "id", &id, true) || get_why(r, "comment", comment, sizeof comment))
		return -EINVAL;
	if (get_flag(r, "not_a_loss")) { /* the alert closes; the baseline learns it */
		if (!r->c->watch)
			return fail(r, -ENOTSUP, "this collector runs no detector");
		err = alert_not_a_loss(r->c->watch, id, r->who->user, comment, r->now, r->err,
				       sizeof r->err);
		return err ? err : put_id(r, id);
	}
	err = alert_ack(r->c->alerts, id, r->who->user, comment, r->now, r->err, sizeof r->err);
	return err ? err : put_id(r, id);
}

/* -1 when absent: unlimited. */
static int get_allowance(struct request *r, const char *key, int64_t *v)
{
	int e = get_int(r, key, v, false);

	if (e == 1)
		*v = -1;
	else if (!e && *v < 0)
		return fail(r, -EINVAL, "'%s' must not be negative", key);
	return e < 0 ? e : 0;
}

static int cmd_explain(struct request *r)
{
	char reason[LEDGER_TEXT_MAX], store[STORE_KEY_MAX], prefix[LEDGER_PREFIX_MAX] = "", *slash;
	int64_t alert = 0, from = 0, to = 0, bytes, objects, id = 0;
	int err;

	if (get_why(r, "reason", reason, sizeof reason) || get_allowance(r, "bytes", &bytes) ||
	    get_allowance(r, "objects", &objects))
		return -EINVAL;
	err = get_int(r, "alert", &alert, false);
	if (err < 0)
		return err;
	if (err == 0) {
		if (get_text(r, "path", prefix, sizeof prefix, false) < 0)
			return -EINVAL;
		if (prefix[0])
			return fail(r, -EINVAL, "'path' declares ahead (with a store and a window); "
						"an alert is explained by its allowances");
		err = explain_alert(r->c->watch, alert, bytes, objects, r->who->user, reason,
				    r->now, &id, r->err, sizeof r->err);
	} else {
		if (get_text(r, "store", store, sizeof store, true) ||
		    get_int(r, "from", &from, true) || get_int(r, "to", &to, true))
			return -EINVAL;
		slash = strchr(store, '/');
		if (!slash)
			return fail(r, -EINVAL, "store must be AGENT/STORE");
		*slash = '\0';
		if (!name_valid(store) || !name_valid(slash + 1))
			return fail(r, -EINVAL, "'%s/%s' is not a valid AGENT/STORE", store,
				    slash + 1);
		if (get_text(r, "path", prefix, sizeof prefix, false) < 0)
			return -EINVAL;
		err = explain_ahead(r->c->watch, store, slash + 1, from, to, bytes, objects,
				    prefix, r->who->user, reason, r->now, &id, r->err,
				    sizeof r->err);
	}
	return err ? err : put_id(r, id);
}

static int cmd_revoke(struct request *r)
{
	char reason[LEDGER_TEXT_MAX];
	int64_t id;
	int err;

	if (get_int(r, "id", &id, true) || get_why(r, "reason", reason, sizeof reason))
		return -EINVAL;
	err = explain_revoke(r->c->watch, id, r->who->user, reason, r->now, r->err,
			     sizeof r->err);
	return err ? err : put_id(r, id);
}

/* ---- deletion reports (collector/alerts/deletion_reports.h) ------------------------------------ */

#define DELETIONS_DEFAULT_LIMIT 100
#define DELETIONS_MAX_LIMIT 10000

static int list_deletion(void *ctx, const struct ledger_deletion *d)
{
	struct list_ctx *l = ctx;
	struct buf *b = l->r->out;

	json_put_raw(b, l->n++ ? ",{" : "{");
	json_put_key(b, "id"); json_put_i64(b, d->id);
	json_put_raw(b, ","); json_put_key(b, "agent"); json_put_str(b, d->agent);
	json_put_raw(b, ","); json_put_key(b, "store"); json_put_str(b, d->store);
	json_put_raw(b, ","); json_put_key(b, "report_id"); json_put_i64(b, (int64_t)d->report_id);
	json_put_raw(b, ","); json_put_key(b, "first"); json_put_i64(b, d->first);
	json_put_raw(b, ","); json_put_key(b, "last"); json_put_i64(b, d->last);
	json_put_raw(b, ","); json_put_key(b, "files"); json_put_i64(b, (int64_t)d->files);
	json_put_raw(b, ","); json_put_key(b, "dirs"); json_put_i64(b, (int64_t)d->dirs);
	json_put_raw(b, ","); json_put_key(b, "dir"); json_put_str(b, d->dir);
	json_put_raw(b, ","); json_put_key(b, "pid"); json_put_i64(b, d->pid);
	json_put_raw(b, ","); json_put_key(b, "uid");
	d->uid >= 0 ? json_put_i64(b, d->uid) : json_put_raw(b, "null");
	json_put_raw(b, ","); json_put_key(b, "exe"); json_put_str(b, d->exe);
	json_put_raw(b, ","); json_put_key(b, "received_at"); json_put_i64(b, d->received_at);
	return l->err = json_put_raw(b, "}");
}

static int cmd_deletions(struct request *r)
{
	struct list_ctx l = { .r = r };
	char agent[SW_NAME_MAX + 1], store[SW_NAME_MAX + 1];
	int64_t limit = DELETIONS_DEFAULT_LIMIT;
	int err;

	if (get_text(r, "agent", agent, sizeof agent, false) ||
	    get_text(r, "store", store, sizeof store, false) || get_int(r, "limit", &limit, false) < 0)
		return -EINVAL;
	if (limit < 1 || limit > DELETIONS_MAX_LIMIT)
		return fail(r, -EINVAL, "'limit' must be 1..%d", DELETIONS_MAX_LIMIT);
	if (store[0] && !agent[0])
		return fail(r, -EINVAL, "'store' needs 'agent'");
	put_ok(r);
	json_put_raw(r->out, ",\"deletions\":[");
	err = ledger_deletion_each(r->c->ledger, agent[0] ? agent : NULL, store[0] ? store : NULL,
				   (int)limit, list_deletion, &l);
	if (!err)
		err = json_put_raw(r->out, "]}");
	return err ? fail(r, err, "cannot list deletion reports: %s", strerror(-err)) : 0;
}

/* ---- loss inventories (collector/alerts/invrequest.h) --------------------- */

/* A page of items stops growing past this (the response limit is 8 MB). */
#define LOST_PAGE_BYTES (4u * 1024 * 1024)

static int put_inventory(struct request *r, const struct inventory_rec *rec)
{
	put_ok(r);
	json_put_raw(r->out, ",\"inventory\":");
	inventory_rec_json(r->out, rec);
	return json_put_raw(r->out, "}");
}

static int no_inventories(struct request *r)
{
	return fail(r, -ENOTSUP, "this collector offers no loss inventories");
}

struct declared_ctx {
	struct invrequest_query *q;
	int64_t since;
};

/* A path-scoped declaration of the query's store, not revoked before the
 * loss, whose window meets the query's: its items are left out. */
static int add_declared(void *ctx, const struct ledger_explain *e)
{
	struct declared_ctx *dc = ctx;
	struct invrequest_query *q = dc->q;
	struct invrequest_declared *d;

	if (!e->prefix[0] || strcmp(e->agent, q->agent) || strcmp(e->store, q->store) ||
	    (e->revoked_at && e->revoked_at <= dc->since) || e->start > q->to ||
	    e->end < q->from || q->ndeclared == INVREQUEST_DECLARED_MAX)
		return 0;
	d = &q->declared[q->ndeclared++];
	snprintf(d->prefix, sizeof d->prefix, "%s", e->prefix);
	d->start = e->start;
	d->end = e->end;
	return 0;
}

/* An alert's query: its store and loss window; for an alert of young
 * removal on a store with exact accounting (a drop or an overpurge), only
 * items younger than the retention, unless all. */
static int alert_query(struct request *r, int64_t id, bool all, struct invrequest_query *q)
{
	struct ledger_alert a;
	struct watch_store *ws;
	uint32_t iv;
	int err = ledger_alert_get(r->c->ledger, id, &a);

	if (err == -ENOENT)
		return fail(r, err, "no alert %lld (shrinkwatchctl alerts --all lists them)",
			    (long long)id);
	if (err)
		return fail(r, err, "cannot read alert %lld: %s", (long long)id, strerror(-err));
	snprintf(q->agent, sizeof q->agent, "%s", a.agent);
	snprintf(q->store, sizeof q->store, "%s", a.store);
	q->alert_id = id;
	q->to = a.closed_at ? a.closed_at : r->now;
	ws = watch_get(r->c->watch, a.agent, a.store, false);
	/* the removals a loss's first sample shows lie between the scan before
	 * it and its own; two intervals back, so a bracket the agent stamped a
	 * scan early is still found */
	iv = ws ? (ws->interval ? ws->interval : detect_interval(&ws->st, &ws->p)) : 0;
	q->from = a.since - 2 * (int64_t)iv;
	if (!all && ws && ws->st.x.seen &&
	    (!strcmp(a.kind, detect_kind_name(DETECT_DROP)) ||
	     !strcmp(a.kind, detect_kind_name(DETECT_OVERPURGE))))
		q->young_below = detect_retention(&ws->st, &ws->p, NULL);
	if (q->young_below) {
		struct declared_ctx dc = { .q = q, .since = a.since };

		/* what path-scoped declarations explained is not the loss */
		if (ledger_explain_each(r->c->ledger, 0, add_declared, &dc))
			return fail(r, -EIO, "cannot read the declared deletions of '%s/%s'",
				    a.agent, a.store);
	}
	return 0;
}

static int window_query(struct request *r, struct invrequest_query *q)
{
	char store[STORE_KEY_MAX], *slash;

	if (get_text(r, "store", store, sizeof store, true) || get_int(r, "from", &q->from, true) ||
	    get_int(r, "to", &q->to, true))
		return -EINVAL;
	slash = strchr(store, '/');
	if (!slash)
		return fail(r, -EINVAL, "store must be AGENT/STORE");
	*slash = '\0';
	if (!name_valid(store) || !name_valid(slash + 1))
		return fail(r, -EINVAL, "'%s/%s' is not a valid AGENT/STORE", store, slash + 1);
	if (q->from > q->to)
		return fail(r, -EINVAL, "'from' is after 'to'");
	snprintf(q->agent, sizeof q->agent, "%.64s", store);
	snprintf(q->store, sizeof q->store, "%.64s", slash + 1);
	return 0;
}

/*
 * lost: an administrator asks which items an alert's loss (or a window's)
 * removed.  Audited with the reason.  An alert whose inventory was fetched
 * already is answered from the ledger (the read is audited too) unless
 * refresh; otherwise the agent is asked and the answer says "pending":
 * poll with lost_status, then page through lost_items.
 */
static int cmd_lost(struct request *r)
{
	struct invrequest_query q;
	struct inventory_rec rec;
	struct board_entry be;
	char reason[LEDGER_TEXT_MAX], target[64], detail[LEDGER_TEXT_MAX];
	int64_t alert = 0, id;
	int err;

	if (!r->c->inventories)
		return no_inventories(r);
	if (get_why(r, "reason", reason, sizeof reason))
		return -EINVAL;
	memset(&q, 0, sizeof q);
	err = get_int(r, "alert", &alert, false);
	if (err < 0)
		return err;
	err = err == 0 ? alert_query(r, alert, get_flag(r, "all"), &q) : window_query(r, &q);
	if (err)
		return err;
	invrequest_expire(r->c->inventories, r->now);
	if (alert && !get_flag(r, "refresh") &&
	    inventory_latest_for_alert(r->c->ledger->db, alert, &rec) == 0 &&
	    (rec.young_below != 0) == (q.young_below != 0)) {
		snprintf(target, sizeof target, "alert %lld", (long long)alert);
		snprintf(detail, sizeof detail, "read loss inventory %lld (fetched %lld): %.900s",
			 (long long)rec.id, (long long)rec.finished_at, reason);
		err = ledger_audit_add(r->c->ledger, r->now, r->who->user, "inventory", target,
				       detail);
		if (err)
			return fail(r, err, "cannot write the audit trail: %s", strerror(-err));
		return put_inventory(r, &rec);
	}
	if (r->c->board && board_get(r->c->board, q.agent, q.store, &be) == 0 && be.have_last)
		q.journal_dropped = be.last.journal_dropped;
	err = invrequest_start(r->c->inventories, &q, r->who->user, reason, r->now, &id, r->err,
			       sizeof r->err);
	if (err && !id)
		return err;
	if (inventory_get(r->c->ledger->db, id, &rec))
		return fail(r, -EIO, "cannot read inventory %lld back", (long long)id);
	return err ? err : put_inventory(r, &rec);
}

static int get_inventory(struct request *r, struct inventory_rec *rec)
{
	int64_t id;
	int err;

	if (!r->c->inventories)
		return no_inventories(r);
	if (get_int(r, "id", &id, true))
		return -EINVAL;
	invrequest_expire(r->c->inventories, r->now);
	err = inventory_get(r->c->ledger->db, id, rec);
	if (err == -ENOENT)
		return fail(r, err, "no inventory %lld", (long long)id);
	return err ? fail(r, err, "cannot read inventory %lld", (long long)id) : 0;
}

/* lost_status: how a request is going (no paths). */
static int cmd_lost_status(struct request *r)
{
	struct inventory_rec rec;
	int err = get_inventory(r, &rec);

	return err ? err : put_inventory(r, &rec);
}

struct page_ctx {
	struct request *r;
	uint64_t n;
	int err;
};

static int page_item(void *ctx, const struct inventory_item *it)
{
	struct page_ctx *p = ctx;
	struct buf *b = p->r->out;

	if (p->n && b->len > LOST_PAGE_BYTES)
		return 1; /* the next page starts here */
	if (p->n++)
		json_put_raw(b, ",");
	return p->err = inventory_item_json(b, it);
}

/* lost_items: one page of a stored inventory, grouped (largest directory
 * first); "next" is the offset of the next page, null after the last. */
static int cmd_lost_items(struct request *r)
{
	struct inventory_rec rec;
	struct page_ctx p = { .r = r };
	int64_t offset = 0;
	int err = get_inventory(r, &rec);

	if (err)
		return err;
	if (get_int(r, "offset", &offset, false) < 0 || offset < 0)
		return fail(r, -EINVAL, "'offset' must be a non-negative integer");
	if (offset == 0) {
		/* the paths leave: who read them is in the audit trail */
		char target[48], detail[128];

		snprintf(target, sizeof target, "inventory %lld", (long long)rec.id);
		snprintf(detail, sizeof detail, "listed the %llu items of loss inventory %lld",
			 (unsigned long long)rec.kept, (long long)rec.id);
		err = ledger_audit_add(r->c->ledger, r->now, r->who->user, "inventory-read",
				       target, detail);
		if (err)
			return fail(r, err, "cannot write the audit trail: %s", strerror(-err));
	}
	put_ok(r);
	json_put_raw(r->out, ",\"inventory\":");
	inventory_rec_json(r->out, &rec);
	json_put_raw(r->out, ",\"items\":[");
	err = inventory_items(r->c->ledger->db, rec.id, (uint64_t)offset, 0, page_item, &p);
	if (err < 0 || p.err)
		return fail(r, err < 0 ? err : p.err, "cannot list inventory %lld",
			    (long long)rec.id);
	json_put_raw(r->out, "],\"next\":");
	err == 1 ? json_put_u64(r->out, (uint64_t)offset + p.n) : json_put_raw(r->out, "null");
	return json_put_raw(r->out, "}");
}

/* The copy commands (copy_commands.h), on this request. */
static int copy_cmd(struct request *r, int (*fn)(const struct copy_request *))
{
	const struct copy_request q = { r->c->copies, r->c->ledger, r->s, r->toks,
					r->who->user, r->now, r->out, r->err, sizeof r->err };

	return fn(&q);
}

static int cmd_copies(struct request *r)
{
	return copy_cmd(r, copy_cmd_copies);
}

static int cmd_copy_check(struct request *r)
{
	return copy_cmd(r, copy_cmd_check);
}

static int cmd_copy_check_result(struct request *r)
{
	return copy_cmd(r, copy_cmd_check_result);
}

static const struct {
	const char *name;
	cmd_fn fn;
	bool changes;
} commands[] = {
	{ "status", cmd_status, false },
	{ "alerts", cmd_alerts, false },
	{ "explanations", cmd_explanations, false },
	{ "audit", cmd_audit, false },
	{ "deletions", cmd_deletions, false },
	{ "ack", cmd_ack, true },
	{ "explain", cmd_explain, true },
	{ "revoke", cmd_revoke, true },
	/* paths leave the evidence server: administrators only, audited */
	{ "lost", cmd_lost, true },
	{ "lost_items", cmd_lost_items, true },
	{ "lost_status", cmd_lost_status, false },
	{ "copies", cmd_copies, false },
	{ "copy_check", cmd_copy_check, true },
	{ "copy_check_result", cmd_copy_check_result, true },
};

/* Writes the summary row of a burst of refusals (peerlimit.h). */
static void audit_summary(void *ctx, const struct peerlimit_summary *s)
{
	struct control *c = ctx;
	char detail[256], t1[32], t2[32];

	snprintf(detail, sizeof detail, "%llu more '%s' requests refused from uid %u between "
		 "%s and %s (the first of the burst has its own row)",
		 (unsigned long long)s->count, s->cmd, (unsigned)s->uid,
		 iso_time(s->first, t1, sizeof t1), iso_time(s->last, t2, sizeof t2));
	if (c->ledger)
		ledger_audit_add(c->ledger, s->last, s->user, "refused", s->cmd, detail);
	log_warn("control: '%s' (uid %u): %s", s->user, (unsigned)s->uid, detail);
}

void control_flush_refusals(struct control *c, int64_t now, bool all)
{
	peerlimit_flush(&c->limit, now, c->loop ? uv_now(c->loop) : 0, all, audit_summary, c);
}

static void refuse(struct request *r, const char *cmd)
{
	char detail[256];

	snprintf(detail, sizeof detail, "'%s' refused: uid %u is not root or a member of '%s'",
		 cmd, (unsigned)r->who->uid, r->c->cfg.admin_group);
	r->c->refused++;
	/* the first of a burst gets its row and log line; the rest one summary */
	if (peerlimit_refused(&r->c->limit, r->who->uid, r->who->user, cmd, r->now)) {
		if (r->c->ledger)
			ledger_audit_add(r->c->ledger, r->now, r->who->user, "refused", cmd,
					 detail);
		log_warn("control: '%s' (uid %u, pid %d) may not '%s': not root or a member of "
			 "'%s'", r->who->user, (unsigned)r->who->uid, (int)r->who->pid, cmd,
			 r->c->cfg.admin_group);
	}
	fail(r, -EPERM, "permission denied: '%s' needs root or membership of group '%s'", cmd,
	     r->c->cfg.admin_group);
}

void control_handle(struct control *c, const struct control_caller *who, const char *req,
		    size_t len, int64_t now, struct buf *out)
{
	struct jsonparse_tok toks[MAX_TOKENS];
	struct request r = { .c = c, .who = who, .s = req, .toks = toks, .now = now, .out = out };
	char cmd[32];
	size_t i, mark = out->len;
	int n, err = -EINVAL;

	n = jsonparse(req, len, toks, MAX_TOKENS);
	if (n < 0 || toks[0].type != JSONPARSE_OBJECT) {
		fail(&r, -EINVAL, "malformed request: one JSON object per line expected");
		goto out;
	}
	if (get_text(&r, "cmd", cmd, sizeof cmd, true))
		goto out;
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(commands[i].name, cmd))
			break;
	if (i == sizeof commands / sizeof commands[0]) {
		fail(&r, -EINVAL, "unknown command '%s'", cmd);
		goto out;
	}
	if (commands[i].changes && !who->admin) {
		refuse(&r, cmd);
		err = -EPERM;
		goto out;
	}
	err = commands[i].fn(&r);
out:
	if (err) {
		out->len = mark;
		json_put_raw(out, "{\"ok\":false,\"error\":");
		json_put_str(out, r.err[0] ? r.err : strerror(-err));
		json_put_raw(out, "}");
	}
}
