/*
 * http_post.h - one JSON POST for the HTTP notifiers (webhook,
 * alertmanager), and the keys they share.
 *
 * TLS verification is always on (peer and host name); ca_file replaces the
 * system's trust store for receivers with a private CA.  Redirects are not
 * followed: a receiver that moved is a configuration to fix, not something to
 * chase with alert contents.  Only http and https URLs are accepted.
 */
#ifndef SHRINKWATCH_COLLECTOR_NOTIFY_HTTP_H
#define SHRINKWATCH_COLLECTOR_NOTIFY_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/curl_uv.h"
#include "notify.h"

/* The keys webhook and alertmanager share. */
struct notify_http_conf {
	uint64_t timeout_ms; /* whole transfer; default set by the type */
	char *ca_file;       /* NULL: the system's trust store */
	char *bearer;        /* NULL: no Authorization header */
};

/* timeout, ca_file, bearer_token, bearer_token_file: 1 taken, 0 not one of
 * these, -1 invalid (message in err). */
int notify__http_parse(struct notify_http_conf *c, const char *key, const char *value,
		       char *err, size_t errlen);
void notify__http_conf_release(struct notify_http_conf *c);
/* Whether url is an http:// or https:// URL of reasonable length. */
int notify__http_url_valid(const char *url);

/*
 * How an attempt went: curl's result, then the HTTP status.  2xx OK;
 * 408, 429, 5xx, connection errors and timeouts RETRY; other 4xx PERMANENT
 * (the receiver will refuse this request however often it is sent); an
 * aborted transfer (notifier stopped) RETRY; a malformed URL PERMANENT.
 */
enum notify_result notify__http_judge(CURLcode rc, long status);

/*
 * POSTs body (len bytes, copied) as application/json to url on cu and
 * reports done(ctx, result, why) once, why naming the HTTP status or curl's
 * error and the start of the response body.  label names the attempt in log
 * lines.  0, or a negative errno and done is never called.
 */
int notify__http_post(struct curl_uv *cu, const char *url, const char *body, size_t len,
		      const struct notify_http_conf *c, const char *label, notify_done_fn done,
		      void *ctx);

#endif
