/*
 * curl_uv.h - libcurl's multi interface driven by a libuv loop.
 *
 * Neither daemon may block its loop on HTTP: the collector's notifiers
 * (webhook, alertmanager) share it with sample ingest, and the agent's object
 * store listings (agent/objstore.c) share it with the shippers.  So every
 * transfer runs through one
 * CURLM whose sockets are watched with uv_poll and whose timeouts run on a
 * uv_timer (curl_multi_socket_action, the "multi_socket" API).  The easy
 * handles stay the caller's: it configures them, and gets them back in the
 * done callback, already removed from the multi handle.
 */
#ifndef SHRINKWATCH_CURL_UV_H
#define SHRINKWATCH_CURL_UV_H

#include <curl/curl.h>
#include <uv.h>

struct curl_uv;

/* Called once per transfer with curl's result; the callee owns easy again. */
typedef void (*curl_uv_done_fn)(void *ctx, CURL *easy, CURLcode rc);

/* A multi handle on loop.  0, -ENOMEM or -EIO (libcurl refused). */
int curl_uv_new(uv_loop_t *loop, struct curl_uv **out);

/*
 * Starts a configured transfer (CURLOPT_PRIVATE is used by this module).
 * 0, or a negative errno and done is never called.
 */
int curl_uv_add(struct curl_uv *cu, CURL *easy, curl_uv_done_fn done, void *ctx);

/*
 * Takes back a transfer before it finished: removed from the multi handle,
 * its done is never called, and the caller owns easy again.  For a caller
 * that is going away while its transfer runs.  Does nothing for an easy
 * handle cu does not hold.
 */
void curl_uv_remove(struct curl_uv *cu, CURL *easy);

/*
 * Aborts every transfer (their done sees CURLE_ABORTED_BY_CALLBACK), closes
 * the libuv handles and frees cu once libuv has closed them.  Must not be
 * called from a done callback.
 */
void curl_uv_free(struct curl_uv *cu);

#endif
