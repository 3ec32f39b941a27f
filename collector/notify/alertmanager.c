/*
 * alertmanager.c - type = alertmanager (see alertmanager.h).
 *
 *   url = http://am1.example.org:9093      (repeat for every cluster member)
 *   url = http://am2.example.org:9093
 *   resend_interval = 1m
 *   timeout = 10s, ca_file, bearer_token / bearer_token_file as for webhook
 *
 * An HA cluster gossips alerts between members, and Alertmanager's own
 * documentation asks clients to send to every member rather than to one
 * behind a load balancer: so each notification goes to every url, and counts
 * as delivered when at least one member accepted it (the others learn of it
 * from their peers, and get it again with the next re-send).  It is retried
 * only if no member accepted it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/curl_uv.h"
#include "alertmanager.h"
#include "http_post.h"
#include "notify_int.h"
#include "shrinkwatch/bytes.h"
#include "shrinkwatch/json.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/strmap.h"
#include "shrinkwatch/banned.h"

#define AM_MAX_URLS 8
#define AM_DEFAULT_TIMEOUT_MS 10000
#define AM_DEFAULT_RESEND_S 60
#define AM_DEFAULT_MAX_ACTIVE 10000
#define AM_OBJECT_MAX 16384
#define AM_PATH "/api/v2/alerts"

struct am_priv {
	char *urls[AM_MAX_URLS]; /* full endpoint URLs */
	size_t nurls;
	struct notify_http_conf http;
	uint64_t resend_ms;
	uint64_t max_active;
	struct curl_uv *cu;
	uv_timer_t resend;
	bool started;
	struct strmap active; /* alert id -> char * (the alert object's JSON) */
	struct log_ratelimit rl;
};

/* One notification's posts to every URL, judged together. */
struct fanout {
	size_t pending, ok, retry;
	char why[512];
	notify_done_fn done;
	void *ctx;
};

const char *notify_alertmanager_alertname(const char *kind)
{
	if (!strcmp(kind, "vanished"))
		return "ShrinkwatchStoreVanished";
	if (!strcmp(kind, "silence"))
		return "ShrinkwatchAgentSilent";
	if (!strncmp(kind, "copy_", 5))
		return "ShrinkwatchCopyIncomplete";
	return "ShrinkwatchUnexplainedLoss";
}

static int put_pair(struct buf *b, const char *key, const char *value, bool comma)
{
	int e = 0;

	if (comma)
		e = json_put_raw(b, ",");
	e = e ? e : json_put_key(b, key);
	return e ? e : json_put_str(b, value);
}

int notify_alertmanager_build(const struct notify_message *m, struct buf *out)
{
	char id[32], starts[32], ends[32], lost[BYTES_FMT_MAX], desc[1024];
	const char *url = m->dashboard_url ? m->dashboard_url : "";
	int e = 0;

	snprintf(id, sizeof id, "%" PRIu64, m->alert_id);
	notify__rfc3339(m->since, starts, sizeof starts);
	bytes_format(m->lost_bytes, lost, sizeof lost);
	notify__rfc3339(m->ends_at ? m->ends_at : m->time, ends, sizeof ends);
	snprintf(desc, sizeof desc,
		 "Unexplained loss of %s (%.0f bytes) and %.0f objects on %s/%s since %s "
		 "(shrinkwatch alert %s, %s, now %s).",
		 lost, m->lost_bytes, m->lost_objects, m->agent, m->store, starts, id, m->kind,
		 alert_state_name(m->state));

	e = e ? e : json_put_raw(out, "{\"labels\":{");
	e = e ? e : put_pair(out, "alertname", notify_alertmanager_alertname(m->kind), false);
	e = e ? e : put_pair(out, "alert_id", id, true);
	e = e ? e : put_pair(out, "agent", m->agent, true);
	e = e ? e : put_pair(out, "store", m->store, true);
	e = e ? e : put_pair(out, "kind", m->kind, true);
	e = e ? e : put_pair(out, "severity", notify_severity_name(m->severity), true);
	e = e ? e : json_put_raw(out, "},\"annotations\":{");
	e = e ? e : put_pair(out, "summary", m->summary, false);
	e = e ? e : put_pair(out, "description", desc, true);
	e = e ? e : put_pair(out, "state", alert_state_name(m->state), true);
	if (m->attribution && m->attribution[0])
		e = e ? e : put_pair(out, "attribution", m->attribution, true);
	if (url[0])
		e = e ? e : put_pair(out, "dashboard", url, true);
	e = e ? e : json_put_raw(out, "}");
	e = e ? e : put_pair(out, "startsAt", starts, true);
	if (alert_state_closed(m->state))
		e = e ? e : put_pair(out, "endsAt", ends, true);
	if (url[0])
		e = e ? e : put_pair(out, "generatorURL", url, true);
	e = e ? e : json_put_raw(out, "}");
	return e;
}

static int am_create(struct notifier *n)
{
	struct am_priv *p = calloc(1, sizeof *p);

	if (!p)
		return -ENOMEM;
	p->http.timeout_ms = AM_DEFAULT_TIMEOUT_MS;
	p->resend_ms = AM_DEFAULT_RESEND_S * 1000;
	p->max_active = AM_DEFAULT_MAX_ACTIVE;
	strmap_init(&p->active);
	p->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(300, 5);
	n->priv = p;
	return 0;
}

static int am_parse(struct notifier *n, const char *key, const char *value, char *err,
		    size_t errlen)
{
	struct am_priv *p = n->priv;
	uint64_t v;

	if (!strcmp(key, "url")) {
		size_t len = strlen(value);
		char *u;

		while (len && value[len - 1] == '/')
			len--;
		if (!notify__http_url_valid(value) || len < 8) {
			snprintf(err, errlen, "'%s' is not an http:// or https:// URL", value);
			return -1;
		}
		if (p->nurls == AM_MAX_URLS) {
			snprintf(err, errlen, "more than %d URLs", AM_MAX_URLS);
			return -1;
		}
		/* The base URL of a member; the API path is ours to add. */
		u = malloc(len + sizeof AM_PATH);
		if (!u)
			return -1;
		memcpy(u, value, len);
		memcpy(u + len, AM_PATH, sizeof AM_PATH);
		p->urls[p->nurls++] = u;
		return 1;
	}
	if (!strcmp(key, "resend_interval")) {
		if (parse_duration(value, &v) || v < 5 || v > 86400) {
			snprintf(err, errlen, "'%s' is not a duration between 5s and 1d", value);
			return -1;
		}
		p->resend_ms = v * 1000;
		return 1;
	}
	if (!strcmp(key, "max_active")) {
		if (parse_u64(value, &v) || v < 1 || v > 1000000) {
			snprintf(err, errlen, "'%s' is not a count between 1 and 1000000", value);
			return -1;
		}
		p->max_active = v;
		return 1;
	}
	return notify__http_parse(&p->http, key, value, err, errlen);
}

static int am_validate(struct notifier *n, char *err, size_t errlen)
{
	struct am_priv *p = n->priv;

	if (!p->nurls) {
		snprintf(err, errlen, "url: missing (an Alertmanager, e.g. http://127.0.0.1:9093)");
		return -1;
	}
	return 0;
}

/* ---- re-sending the active alerts ----------------------------------------- */

static void resend_done(void *ctx, enum notify_result r, const char *why)
{
	(void)ctx;
	(void)r;
	(void)why; /* notify_http logged a failure; the next round tries again */
}

static void on_resend(uv_timer_t *t)
{
	struct notifier *n = t->data;
	struct am_priv *p = n->priv;
	struct buf body;
	const char *k;
	void *v;
	char label[NOTIFY_NAME_MAX + 32];
	int e = 0;

	if (!p->active.count)
		return;
	buf_init(&body, (size_t)64 << 20);
	e = json_put_raw(&body, "[");
	for (size_t i = 0, first = 1; !e && strmap_next(&p->active, &i, &k, &v); first = 0) {
		if (!first)
			e = json_put_raw(&body, ",");
		e = e ? e : buf_append(&body, v, strlen(v));
	}
	e = e ? e : json_put_raw(&body, "]");
	e = e ? e : buf_put_u8(&body, 0);
	snprintf(label, sizeof label, "alertmanager '%s' re-send", n->name);
	for (size_t i = 0; !e && i < p->nurls; i++)
		notify__http_post(p->cu, p->urls[i], (const char *)body.data, body.len - 1,
				  &p->http, label, resend_done, NULL);
	if (e)
		log_ratelimited(&p->rl, LOG_ERR, "notify: %s: cannot build the body: %s", label,
				strerror(-e));
	else
		log_debug("notify: %s of %zu active alerts", label, p->active.count);
	buf_release(&body);
}

static int am_start(struct notifier *n, uv_loop_t *loop)
{
	struct am_priv *p = n->priv;
	int e = curl_uv_new(loop, &p->cu);

	if (e)
		return e;
	uv_timer_init(loop, &p->resend);
	p->resend.data = n;
	uv_timer_start(&p->resend, on_resend, p->resend_ms, p->resend_ms);
	p->started = true;
	return 0;
}

/* ---- the active set ------------------------------------------------------- */

static int remember(struct notifier *n, const struct notify_message *m, const char *object)
{
	struct am_priv *p = n->priv;
	char id[32];
	char *old, *copy;

	snprintf(id, sizeof id, "%" PRIu64, m->alert_id);
	if (alert_state_closed(m->state)) {
		free(strmap_del(&p->active, id));
		return 0;
	}
	old = strmap_get(&p->active, id);
	if (!old && p->active.count >= p->max_active) {
		log_ratelimited(&p->rl, LOG_WARNING,
				"notify: alertmanager '%s': more than %" PRIu64 " active alerts, "
				"alert %s is not re-sent",
				n->name, p->max_active, id);
		return 0;
	}
	copy = strdup(object);
	if (!copy || strmap_put(&p->active, id, copy)) {
		free(copy);
		return -ENOMEM;
	}
	free(old);
	return 1;
}

int notify_alertmanager_prime(const struct notify_message *m)
{
	struct buf obj;
	struct notifier *n;
	int count = 0, e;

	if (alert_state_closed(m->state))
		return 0;
	buf_init(&obj, AM_OBJECT_MAX);
	e = notify_alertmanager_build(m, &obj);
	e = e ? e : buf_put_u8(&obj, 0);
	for (size_t i = 0; !e && (n = notify__running(i)); i++) {
		if (n->type != &notify_alertmanager_type ||
		    !notify__routes(n, m->severity, m->agent, m->store))
			continue;
		e = remember(n, m, (const char *)obj.data);
		if (e > 0)
			count++;
		e = e < 0 ? e : 0;
	}
	buf_release(&obj);
	return e ? e : count;
}

/* ---- one notification ----------------------------------------------------- */

/* Drops one reference; the last reports the verdict of every member. */
static void fanout_unref(struct fanout *f)
{
	if (--f->pending)
		return;
	if (f->ok)
		f->done(f->ctx, NOTIFY_OK, "accepted");
	else
		f->done(f->ctx, f->retry ? NOTIFY_RETRY : NOTIFY_PERMANENT, f->why);
	free(f);
}

static void fanout_one(void *ctx, enum notify_result r, const char *why)
{
	struct fanout *f = ctx;

	if (r == NOTIFY_OK)
		f->ok++;
	else if (r == NOTIFY_RETRY)
		f->retry++;
	if (r != NOTIFY_OK && !f->why[0])
		snprintf(f->why, sizeof f->why, "%s", why);
	fanout_unref(f);
}

static int am_send(struct notifier *n, const struct notify_message *m, notify_done_fn done,
		   void *ctx)
{
	struct am_priv *p = n->priv;
	struct fanout *f = NULL;
	struct buf obj, body;
	char label[NOTIFY_NAME_MAX + 32];
	size_t started = 0;
	int e;

	buf_init(&obj, AM_OBJECT_MAX);
	buf_init(&body, AM_OBJECT_MAX + 4);
	e = notify_alertmanager_build(m, &obj);
	e = e ? e : buf_put_u8(&obj, 0);
	e = e ? e : json_put_raw(&body, "[");
	e = e ? e : buf_append(&body, obj.data, obj.len - 1);
	e = e ? e : json_put_raw(&body, "]");
	e = e ? e : buf_put_u8(&body, 0);
	if (e)
		goto out;
	f = calloc(1, sizeof *f);
	if (!f) {
		e = -ENOMEM;
		goto out;
	}
	f->done = done;
	f->ctx = ctx;
	f->pending = p->nurls + 1; /* held until every post has started */
	snprintf(label, sizeof label, "alertmanager '%s'", n->name);
	for (size_t i = 0; i < p->nurls; i++) {
		int pe = notify__http_post(p->cu, p->urls[i], (const char *)body.data, body.len - 1,
					   &p->http, label, fanout_one, f);
		if (pe) {
			f->pending--;
			f->retry++;
			snprintf(f->why, sizeof f->why, "cannot post: %s", strerror(-pe));
			e = pe;
		} else {
			started++;
		}
	}
	if (!started) { /* nothing will call back: fail without calling done */
		free(f);
		f = NULL;
		goto out;
	}
	e = 0;
	/* The set follows what Alertmanager was told, whether it took it now or
	 * will take it from a retry. */
	if (remember(n, m, (const char *)obj.data) < 0)
		log_warn("notify: %s: out of memory, alert %" PRIu64 " is not re-sent", label,
			 m->alert_id);
	fanout_unref(f); /* posts report from the loop, never before this */
out:
	buf_release(&obj);
	buf_release(&body);
	return e;
}

/* A reload keeps the open alerts, so they are still re-sent. */
static void am_adopt(struct notifier *fresh, struct notifier *old)
{
	struct am_priv *f = fresh->priv, *o = old->priv;
	struct strmap swap = f->active;

	f->active = o->active;
	o->active = swap;
}

static void am_closed(uv_handle_t *h)
{
	free(h->data);
}

static void am_destroy(struct notifier *n)
{
	struct am_priv *p = n->priv;
	const char *k;
	void *v;

	if (!p)
		return;
	curl_uv_free(p->cu); /* pending posts report NOTIFY_RETRY */
	notify__http_conf_release(&p->http);
	for (size_t i = 0; i < p->nurls; i++)
		free(p->urls[i]);
	for (size_t i = 0; strmap_next(&p->active, &i, &k, &v);)
		free(v);
	strmap_release(&p->active);
	n->priv = NULL;
	if (p->started) {
		uv_timer_stop(&p->resend);
		p->resend.data = p;
		uv_close((uv_handle_t *)&p->resend, am_closed);
	} else {
		free(p);
	}
}

const struct notify_type notify_alertmanager_type = {
	.name = "alertmanager",
	.create = am_create,
	.parse = am_parse,
	.validate = am_validate,
	.start = am_start,
	.send = am_send,
	.adopt = am_adopt,
	.destroy = am_destroy,
};
