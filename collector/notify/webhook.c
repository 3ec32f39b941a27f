/*
 * webhook.c - type = webhook: POST the alert JSON to a URL.
 *
 *   url = https://chat.example.org/hooks/shrinkwatch
 *   timeout = 10s
 *   ca_file = /etc/ssl/private-ca.pem          (optional)
 *   bearer_token_file = /etc/shrinkwatch/hook.token   (or bearer_token)
 *
 * The body is exactly the alert JSON the outbox holds (m->json), so a
 * receiver sees the same bytes on every retry and can deduplicate on the
 * alert id and state.  The transfer runs on the loop through curl_uv.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/curl_uv.h"
#include "http_post.h"
#include "notify_int.h"
#include "shrinkwatch/banned.h"

#define WEBHOOK_DEFAULT_TIMEOUT_MS 10000

struct webhook_priv {
	char *url;
	struct notify_http_conf http;
	struct curl_uv *cu;
};

static int webhook_create(struct notifier *n)
{
	struct webhook_priv *p = calloc(1, sizeof *p);

	if (!p)
		return -ENOMEM;
	p->http.timeout_ms = WEBHOOK_DEFAULT_TIMEOUT_MS;
	n->priv = p;
	return 0;
}

static int webhook_parse(struct notifier *n, const char *key, const char *value, char *err,
			 size_t errlen)
{
	struct webhook_priv *p = n->priv;

	if (!strcmp(key, "url")) {
		if (p->url) {
			snprintf(err, errlen, "key given twice (a webhook posts to one URL)");
			return -1;
		}
		if (!notify__http_url_valid(value)) {
			snprintf(err, errlen, "'%s' is not an http:// or https:// URL", value);
			return -1;
		}
		p->url = strdup(value);
		return p->url ? 1 : -1;
	}
	return notify__http_parse(&p->http, key, value, err, errlen);
}

static int webhook_validate(struct notifier *n, char *err, size_t errlen)
{
	struct webhook_priv *p = n->priv;

	if (!p->url) {
		snprintf(err, errlen, "url: missing");
		return -1;
	}
	return 0;
}

static int webhook_start(struct notifier *n, uv_loop_t *loop)
{
	struct webhook_priv *p = n->priv;

	return curl_uv_new(loop, &p->cu);
}

static int webhook_send(struct notifier *n, const struct notify_message *m,
			notify_done_fn done, void *ctx)
{
	struct webhook_priv *p = n->priv;
	char label[NOTIFY_NAME_MAX + 16];

	snprintf(label, sizeof label, "webhook '%s'", n->name);
	return notify__http_post(p->cu, p->url, m->json, strlen(m->json), &p->http, label, done,
				 ctx);
}

static void webhook_destroy(struct notifier *n)
{
	struct webhook_priv *p = n->priv;

	if (!p)
		return;
	curl_uv_free(p->cu); /* pending posts report NOTIFY_RETRY */
	notify__http_conf_release(&p->http);
	free(p->url);
	free(p);
	n->priv = NULL;
}

const struct notify_type notify_webhook_type = {
	.name = "webhook",
	.create = webhook_create,
	.parse = webhook_parse,
	.validate = webhook_validate,
	.start = webhook_start,
	.send = webhook_send,
	.destroy = webhook_destroy,
};
