/* api.c - the JSON API (see api.h and docs/api.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "collector/ledger/read.h"
#include "view.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/banned.h"

/* "key": number-or-null */
static int put_num(struct buf *b, const char *key, bool have, double v, bool comma)
{
	int err = json_put_key(b, key);

	err = err ? err : (have ? json_put_double(b, v) : json_put_raw(b, "null"));
	return err ? err : (comma ? json_put_raw(b, ",") : 0);
}

static int put_str(struct buf *b, const char *key, const char *v, bool comma)
{
	int err = json_put_key(b, key);

	err = err ? err : json_put_str(b, v);
	return err ? err : (comma ? json_put_raw(b, ",") : 0);
}

static int put_time(struct buf *b, const char *key, int64_t t, bool comma)
{
	int err = json_put_key(b, key);

	err = err ? err : (t ? json_put_i64(b, t) : json_put_raw(b, "null"));
	return err ? err : (comma ? json_put_raw(b, ",") : 0);
}

static int put_store(const void *item, struct buf *b)
{
	const struct http_store_view *s = item;
	int err = json_put_raw(b, "{");

	err = err ? err : put_str(b, "agent", s->e.agent, true);
	err = err ? err : put_str(b, "store", s->e.store, true);
	err = err ? err : put_str(b, "state", board_state_name(s->state), true);
	err = err ? err : put_num(b, "open_alerts", true, s->open_alerts, true);
	err = err ? err : put_str(b, "worst_kind", s->worst_kind, true);
	err = err ? err : json_put_key(b, "agent_connected");
	err = err ? err : json_put_raw(b, s->e.agent_connected ? "true," : "false,");
	err = err ? err : json_put_key(b, "calibrated");
	err = err ? err : json_put_raw(b, s->e.calibrated ? "true," : "false,");
	err = err ? err : put_num(b, "interval", true, s->e.interval, true);
	err = err ? err : put_num(b, "samples_since_start", true, (double)s->e.samples, true);
	err = err ? err : put_num(b, "removed_bytes", s->delta.have_removed,
				  s->delta.removed_bytes, true);
	err = err ? err : put_num(b, "removed_objects", s->delta.have_removed,
				  s->delta.removed_objects, true);
	err = err ? err : put_num(b, "change_24h_bytes", s->have_change24, s->change24_bytes,
				  true);
	err = err ? err : put_num(b, "change_24h_objects", s->have_change24,
				  s->change24_objects, true);
	err = err ? err : json_put_key(b, "last");
	if (!err && s->e.have_last)
		err = sample_to_json(b, NULL, &s->e.last);
	else if (!err)
		err = json_put_raw(b, "null");
	return err ? err : json_put_raw(b, "}");
}

/* {"id": ID, "agent": ..., "store": ..., (the rest follows) */
static int put_head(struct buf *b, int64_t id, const char *agent, const char *store)
{
	int err = json_put_raw(b, "{");

	err = err ? err : json_put_key(b, "id");
	err = err ? err : json_put_i64(b, id);
	err = err ? err : json_put_raw(b, ",");
	err = err ? err : put_str(b, "agent", agent, true);
	return err ? err : put_str(b, "store", store, true);
}

static int put_alert(const void *item, struct buf *b)
{
	const struct ledger_alert *a = item;
	int err = put_head(b, a->id, a->agent, a->store);

	err = err ? err : put_str(b, "kind", a->kind, true);
	err = err ? err : put_str(b, "severity", a->severity, true);
	err = err ? err : put_str(b, "state", alert_state_name(a->state), true);
	err = err ? err : json_put_key(b, "open");
	err = err ? err : json_put_raw(b, a->closed_at ? "false," : "true,");
	err = err ? err : put_time(b, "since", a->since, true);
	err = err ? err : put_time(b, "fired_at", a->fired_at, true);
	err = err ? err : put_time(b, "updated_at", a->updated_at, true);
	err = err ? err : put_time(b, "closed_at", a->closed_at, true);
	err = err ? err : put_num(b, "lost_bytes", true, a->lost_bytes, true);
	err = err ? err : put_num(b, "lost_objects", true, a->lost_objects, true);
	err = err ? err : put_num(b, "expected_bytes", a->have_expected, a->expected_bytes, true);
	err = err ? err : put_num(b, "observed_bytes", a->have_expected, a->observed_bytes, true);
	err = err ? err : put_num(b, "expected_objects", a->have_expected, a->expected_objects,
				  true);
	err = err ? err : put_num(b, "observed_objects", a->have_expected, a->observed_objects,
				  true);
	err = err ? err : put_str(b, "summary", a->summary, true);
	err = err ? err : put_str(b, "ack_by", a->ack_by, true);
	err = err ? err : put_time(b, "ack_at", a->ack_at, true);
	err = err ? err : put_str(b, "ack_comment", a->ack_comment, true);
	err = err ? err : put_time(b, "explanation_id", a->explanation_id, true);
	err = err ? err : json_put_key(b, "attribution");
	err = err ? err : (a->attribution[0] ? json_put_str(b, a->attribution)
					     : json_put_raw(b, "null"));
	return err ? err : json_put_raw(b, "}");
}

static int put_explanation(const void *item, struct buf *b)
{
	const struct ledger_explain *e = item;
	int err = put_head(b, e->id, e->agent, e->store);

	err = err ? err : put_time(b, "start", e->start, true);
	err = err ? err : put_time(b, "end", e->end, true);
	err = err ? err : put_num(b, "bytes", e->bytes >= 0, (double)e->bytes, true);
	err = err ? err : put_num(b, "objects", e->objects >= 0, (double)e->objects, true);
	err = err ? err : put_str(b, "reason", e->reason, true);
	err = err ? err : put_str(b, "who", e->who, true);
	err = err ? err : put_time(b, "created_at", e->created_at, true);
	err = err ? err : put_time(b, "alert_id", e->alert_id, true);
	err = err ? err : put_time(b, "revoked_at", e->revoked_at, true);
	err = err ? err : put_str(b, "revoked_by", e->revoked_by, true);
	/* a path-scoped declaration's prefix; "" for an allowance */
	err = err ? err : put_str(b, "path", e->prefix, false);
	return err ? err : json_put_raw(b, "}");
}

/* "key": [items...], -- n items of size sz, each written by put. */
static int put_array(struct buf *b, const char *key, const void *items, size_t n, size_t sz,
		     int (*put)(const void *item, struct buf *b))
{
	int err = json_put_key(b, key);

	err = err ? err : json_put_raw(b, "[");
	for (size_t i = 0; !err && i < n; i++) {
		err = i ? json_put_raw(b, ",") : 0;
		err = err ? err : put((const char *)items + i * sz, b);
	}
	return err ? err : json_put_raw(b, "],");
}

/* "ledger": "ok" | "absent" | the error, so a client knows why lists are empty. */
static int open_ledger(struct http_site *site, struct ledgerview *lv, char *status,
		       size_t len)
{
	int rc = ledgerview_open(lv, site->data_dir);

	snprintf(status, len, "%s", rc == 0 ? "ok" : rc == -ENOENT ? "absent" : lv->error);
	return rc;
}

static int put_ledger_status(struct buf *b, const char *status, const struct ledgerview *lv)
{
	int err = put_str(b, "ledger", status, true);

	err = err ? err : json_put_key(b, "ledger_version");
	return err ? err : json_put_i64(b, lv->user_version);
}

int http_api_stores(struct http_site *site, struct buf *b)
{
	struct http_store_view *v = NULL;
	struct ledgerview lv;
	char status[256];
	long n;
	int err;

	open_ledger(site, &lv, status, sizeof status);
	n = http_view_stores(site, &lv, true, &v);
	if (n < 0) {
		err = (int)n;
		goto out;
	}
	err = json_put_raw(b, "{");
	err = err ? err : put_array(b, "stores", v, (size_t)n, sizeof *v, put_store);
	err = err ? err : put_ledger_status(b, status, &lv);
	err = err ? err : json_put_raw(b, "}\n");
out:
	free(v);
	ledgerview_close(&lv);
	return err;
}

int http_api_store(struct http_site *site, const struct http_route *r, struct buf *b)
{
	struct http_store_view s;
	struct ledger_alert *al = NULL;
	struct ledger_explain *ex = NULL;
	struct ledgerview lv;
	size_t nal = 0, nex = 0;
	char status[256];
	int err;

	open_ledger(site, &lv, status, sizeof status);
	err = http_view_store(site, &lv, r->agent, r->store, &s);
	if (err)
		goto out;
	if (ledgerview_is_open(&lv) &&
	    (ledgerview_alerts(&lv, r->agent, r->store, false, LEDGERVIEW_MAX_ROWS, &al, &nal) ||
	     ledgerview_explanations(&lv, r->agent, r->store, LEDGERVIEW_MAX_ROWS, &ex, &nex)))
		snprintf(status, sizeof status, "%s", lv.error);
	err = json_put_raw(b, "{");
	err = err ? err : json_put_key(b, "store");
	err = err ? err : put_store(&s, b);
	err = err ? err : json_put_raw(b, ",");
	err = err ? err : put_array(b, "alerts", al, (size_t)nal, sizeof *al, put_alert);
	err = err ? err : put_array(b, "explanations", ex, (size_t)nex, sizeof *ex, put_explanation);
	err = err ? err : put_ledger_status(b, status, &lv);
	err = err ? err : json_put_raw(b, "}\n");
out:
	free(al);
	free(ex);
	ledgerview_close(&lv);
	return err;
}

int http_api_alerts(struct http_site *site, const struct http_route *r, struct buf *b)
{
	struct ledger_alert *al = NULL;
	struct ledgerview lv;
	size_t nal = 0;
	char status[256];
	int err;

	if (!open_ledger(site, &lv, status, sizeof status) &&
	    ledgerview_alerts(&lv, NULL, NULL, r->open_only, LEDGERVIEW_MAX_ROWS, &al, &nal))
		snprintf(status, sizeof status, "%s", lv.error);
	err = json_put_raw(b, "{");
	err = err ? err : put_array(b, "alerts", al, (size_t)nal, sizeof *al, put_alert);
	err = err ? err : put_ledger_status(b, status, &lv);
	err = err ? err : json_put_raw(b, "}\n");
	free(al);
	ledgerview_close(&lv);
	return err;
}

int http_api_explanations(struct http_site *site, struct buf *b)
{
	struct ledger_explain *ex = NULL;
	struct ledgerview lv;
	size_t nex = 0;
	char status[256];
	int err;

	if (!open_ledger(site, &lv, status, sizeof status) &&
	    ledgerview_explanations(&lv, NULL, NULL, LEDGERVIEW_MAX_ROWS, &ex, &nex))
		snprintf(status, sizeof status, "%s", lv.error);
	err = json_put_raw(b, "{");
	err = err ? err : put_array(b, "explanations", ex, (size_t)nex, sizeof *ex, put_explanation);
	err = err ? err : put_ledger_status(b, status, &lv);
	err = err ? err : json_put_raw(b, "}\n");
	free(ex);
	ledgerview_close(&lv);
	return err;
}
