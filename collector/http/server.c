/* server.c - the collector's web server on libmicrohttpd (see server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "inventory_page.h"
#include "copies_page.h"
#include "server.h"
#include "api.h"
#include "metrics.h"
#include "pages.h"
#include "route.h"
#include "site.h"
#include "collector/store/registry.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

enum { SEEN_HTTP = 1, SEEN_DASHBOARDS = 2, SEEN_THREADS = 4, SEEN_PERADDR = 8, SEEN_TIMEOUT = 16 };

void http_config_defaults(struct http_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->enabled = true;
	parse_hostport(HTTP_DEFAULT_LISTEN, cfg->host, sizeof cfg->host, &cfg->port);
	snprintf(cfg->dashboards, sizeof cfg->dashboards, "%s", HTTP_DEFAULT_DASHBOARDS);
	cfg->threads = 4;
	cfg->per_address = HTTP_DEFAULT_PER_ADDRESS;
	cfg->request_timeout_s = HTTP_DEFAULT_REQUEST_TIMEOUT_S;
}

static int seen_once(struct http_config *cfg, unsigned bit, char *err, size_t errlen)
{
	if (cfg->seen & bit) {
		snprintf(err, errlen, "key given twice");
		return -1;
	}
	cfg->seen |= bit;
	return 0;
}

int http_config_hook(void *ctx, const char *section, const char *key, const char *value,
		     char *err, size_t errlen)
{
	struct http_config *cfg = ctx;
	uint64_t n;

	if (strcmp(section, "collector"))
		return 0;
	if (!strcmp(key, "http")) {
		if (seen_once(cfg, SEEN_HTTP, err, errlen))
			return -1;
		if (!strcmp(value, "off") || !strcmp(value, "no")) {
			cfg->enabled = false;
			return 1;
		}
		cfg->enabled = true;
		if (parse_hostport(value, cfg->host, sizeof cfg->host, &cfg->port)) {
			snprintf(err, errlen, "'%s' is not HOST:PORT (e.g. %s) or off", value,
				 HTTP_DEFAULT_LISTEN);
			return -1;
		}
		return 1;
	}
	if (!strcmp(key, "dashboards")) {
		if (seen_once(cfg, SEEN_DASHBOARDS, err, errlen))
			return -1;
		if (value[0] != '/' || strlen(value) >= sizeof cfg->dashboards - 64) {
			snprintf(err, errlen, "'%s' is not an absolute path of reasonable length",
				 value);
			return -1;
		}
		snprintf(cfg->dashboards, sizeof cfg->dashboards, "%s", value);
		return 1;
	}
	if (!strcmp(key, "http_max_connections_per_address")) {
		if (seen_once(cfg, SEEN_PERADDR, err, errlen))
			return -1;
		if (parse_u64(value, &n) || n < 1 || n > HTTP_SOFT_CONNECTIONS) {
			snprintf(err, errlen, "'%s' is not a count between 1 and %u", value,
				 HTTP_SOFT_CONNECTIONS);
			return -1;
		}
		cfg->per_address = (unsigned)n;
		return 1;
	}
	if (!strcmp(key, "http_request_timeout")) {
		if (seen_once(cfg, SEEN_TIMEOUT, err, errlen))
			return -1;
		if (parse_duration(value, &n) || n < 1 || n > 3600) {
			snprintf(err, errlen, "'%s' is not a duration between 1s and 1h", value);
			return -1;
		}
		cfg->request_timeout_s = n;
		return 1;
	}
	if (!strcmp(key, "http_threads")) {
		if (seen_once(cfg, SEEN_THREADS, err, errlen))
			return -1;
		if (parse_u64(value, &n) || n < 1 || n > 64) {
			snprintf(err, errlen, "'%s' is not a thread count between 1 and 64", value);
			return -1;
		}
		cfg->threads = (unsigned)n;
		return 1;
	}
	return 0;
}

int http_config_register(struct http_config *cfg, struct collector_config *ccfg)
{
	const struct collector_config_hook h = { http_config_hook, cfg };

	http_config_defaults(cfg);
	return collector_config_register(ccfg, &h);
}

int http_check(const struct http_config *cfg, char *err, size_t errlen)
{
	struct graphdefs gs;
	int rc;

	if (!cfg->enabled)
		return 0;
	/* a dashboards directory set by hand must exist; the default may not
	 * (a source build), which http_site_load_graphs() warns about */
	if (cfg->seen & SEEN_DASHBOARDS)
		rc = graphdefs_load(cfg->dashboards, &gs, err, errlen);
	else
		rc = http_site_load_graphs(cfg->dashboards, &gs, err, errlen);
	if (rc)
		return -1;
	graphdefs_release(&gs);
	return 0;
}

/* ---- the loop thread's side ------------------------------------------- */

/* The caller's counters, read on the loop thread, into the site's snapshot. */
static void copy_stats(uv_timer_t *t)
{
	struct http_server *h = t->data;
	struct http_stats now;

	memset(&now, 0, sizeof now);
	if (h->stats)
		h->stats(h->stats_ud, &now);
	http_site_set_stats(&h->site, &now);
	http_guard_sweep(&h->guard, http_guard_now_ms());
	if (h->metrics) {
		struct buf text;

		buf_init(&text, HTTP_EXTRA_METRICS_MAX);
		if (h->metrics(h->metrics_ud, &text) == 0)
			http_site_set_extra_metrics(&h->site, &text);
		buf_release(&text);
	}
}

void http_add_metrics(struct http_server *h, http_metrics_fn fn, void *ud)
{
	h->metrics = fn;
	h->metrics_ud = ud;
}

void http_observe_sample(void *ctx, struct agent_rec *a, struct store_rec *st,
			 const struct sw_sample *s)
{
	struct http_server *h = ctx;

	if (!h->mhd)
		return;
	http_site_note_sample(&h->site, a->name, st->name, s);
}

/* ---- the HTTP threads' side ------------------------------------------- */

struct args_ctx {
	struct http_route *r;
	int bad;
};

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			      const char *value)
{
	struct args_ctx *a = cls;
	(void)kind;

	if (http_route_arg(a->r, key, value))
		a->bad = 1;
	return MHD_YES;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned code, const char *type,
			       const void *body, size_t len, const char *cache)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
				"frame-ancestors 'none'");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned code,
				    const char *text)
{
	return respond(conn, code, "text/plain; charset=utf-8", text, strlen(text), "no-store");
}

/* Runs the route's handler into b; sets the content type and cache policy. */
static int dispatch(struct http_site *site, const struct http_route *r, struct buf *b,
		    const char **type, const char **cache)
{
	*type = "text/html; charset=utf-8";
	*cache = "no-store";
	switch (r->kind) {
	case HTTP_R_OVERVIEW:
		return http_page_overview(site, b);
	case HTTP_R_STORE:
		return http_page_store(site, r, b);
	case HTTP_R_ALERT:
		return http_page_alert(site, r->alert_id, b);
	case HTTP_R_GRAPH:
		*type = r->svg ? "image/svg+xml" : "image/png";
		*cache = "max-age=20";
		return http_graph(site, r, b);
	case HTTP_R_API_STORES:
		*type = "application/json";
		return http_api_stores(site, b);
	case HTTP_R_API_STORE:
		*type = "application/json";
		return http_api_store(site, r, b);
	case HTTP_R_API_ALERTS:
		*type = "application/json";
		return http_api_alerts(site, r, b);
	case HTTP_R_API_EXPLANATIONS:
		*type = "application/json";
		return http_api_explanations(site, b);
	case HTTP_R_METRICS:
		*type = "text/plain; version=0.0.4; charset=utf-8";
		return http_metrics(site, b);
	case HTTP_R_API_INVENTORY:
		*type = "application/json";
		return http_api_inventory(site, r->alert_id, r->offset, b);
	case HTTP_R_INVENTORY_CSV:
		*type = "text/csv; charset=utf-8";
		return http_inventory_csv(site, r->alert_id, b);
	case HTTP_R_COPIES:
		return http_page_copies(site, b);
	case HTTP_R_API_COPIES:
		*type = "application/json";
		return http_api_copies(site, b);
	case HTTP_R_COPY_GRAPH:
		*type = "image/png";
		return http_copy_graph(site, r, b);
	case HTTP_R_NOT_FOUND:
		break;
	}
	return -ENOENT;
}

/* What check_raw_uri() leaves in a request's con_cls. */
static char uri_has_nul, uri_too_long;

/*
 * Sees the request's URI before libmicrohttpd decodes it.  An encoded NUL
 * would cut the decoded path short ("/store/a/b%00.x" would arrive as
 * "/store/a/b"), so such a request is refused rather than served as another
 * path; and a query string is bounded too, not only the path.
 */
static void *check_raw_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	if (strlen(uri) > HTTP_RAW_URI_MAX)
		return &uri_too_long;
	return strstr(uri, "%00") ? &uri_has_nul : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *h = cls;
	struct http_route r;
	struct args_ctx args = { .r = &r };
	const char *type, *cache;
	struct buf b;
	enum MHD_Result ret;
	int rc;
	(void)version;
	(void)upload_data;

	__atomic_add_fetch(&h->site.requests, 1, __ATOMIC_RELAXED);
	{
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

		if (ci)
			http_guard_busy(&h->guard, ci->socket_context, http_guard_now_ms());
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_data_size = 0; /* a body is never read */
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "method not allowed: this interface is read-only\n");
	}
	if (strlen(url) > HTTP_URL_MAX || *con_cls == &uri_too_long)
		return respond_text(conn, MHD_HTTP_URI_TOO_LONG, "request URI too long\n");
	if (*con_cls == &uri_has_nul)
		return respond_text(conn, MHD_HTTP_BAD_REQUEST, "NUL in the request URI\n");
	if (http_route_parse(url, &r) == HTTP_R_NOT_FOUND)
		return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &args);
	if (args.bad)
		return respond_text(conn, MHD_HTTP_BAD_REQUEST, "bad query argument\n");
	buf_init(&b, HTTP_MAX_RESPONSE);
	rc = dispatch(&h->site, &r, &b, &type, &cache);
	if (rc == 0)
		ret = respond(conn, MHD_HTTP_OK, type, b.data, b.len, cache);
	else if (rc == -ENOENT)
		ret = respond_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	else {
		log_warn("http: '%s' failed: %s", url, strerror(-rc));
		ret = respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
	}
	buf_release(&b);
	return ret;
}

/* libmicrohttpd's connection notifications, for the guard (guard.h). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *h = cls;
	const union MHD_ConnectionInfo *fd, *addr;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_guard_closed(&h->guard, socket_context);
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	addr = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (fd)
		http_guard_started(&h->guard, fd->connect_fd, addr ? addr->client_addr : NULL,
				   socket_context, http_guard_now_ms());
}

/* A response went out: the connection waits for its next request. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *h = cls;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	(void)con_cls;
	(void)toe;

	if (ci)
		http_guard_idle(&h->guard, ci->socket_context, http_guard_now_ms());
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;
	(void)cls;

	vsnprintf(line, sizeof line, fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	log_warn("http: %s", line);
}

static int resolve(const struct http_config *cfg, struct sockaddr_storage *ss, char *err,
		   size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char port[8];
	int rc;

	snprintf(port, sizeof port, "%u", cfg->port);
	rc = getaddrinfo(cfg->host, port, &hints, &ai);
	if (rc || !ai) {
		snprintf(err, errlen, "http: '%s' is not a numeric address: %s", cfg->host,
			 gai_strerror(rc));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

int http_start(struct http_server *h, const struct http_config *cfg,
	       const struct collector_config *ccfg, uv_loop_t *loop, struct board *board,
	       http_stats_fn stats, void *stats_ud, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;

	memset(h, 0, sizeof *h);
	h->cfg = *cfg;
	if (!cfg->enabled)
		return 0;
	h->stats = stats;
	h->stats_ud = stats_ud;
	if (http_site_init(&h->site, ccfg->data_dir, board, cfg->dashboards, err, errlen))
		return -1;
	if (resolve(cfg, &ss, err, errlen)) {
		http_site_release(&h->site);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (http_guard_init(&h->guard, cfg->per_address, HTTP_SOFT_CONNECTIONS,
			    cfg->request_timeout_s * 1000)) {
		snprintf(err, errlen, "http: cannot make a mutex");
		http_site_release(&h->site);
		return -1;
	}
	h->mhd = MHD_start_daemon(
		flags, cfg->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
		MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
		HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		MHD_OPTION_URI_LOG_CALLBACK, check_raw_uri, NULL, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, NULL, MHD_OPTION_END);
	if (!h->mhd) {
		/* Agents matter more than the dashboard: keep collecting. */
		log_err("http: cannot listen on %s:%u: %s; the dashboard is off", cfg->host,
			cfg->port, strerror(errno ? errno : EADDRINUSE));
		http_guard_release(&h->guard);
		http_site_release(&h->site);
		return 0;
	}
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(h->where, sizeof h->where, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 cfg->host, di ? di->port : cfg->port);
	uv_timer_init(loop, &h->stats_timer);
	h->stats_timer.data = h;
	uv_timer_start(&h->stats_timer, copy_stats, 0, HTTP_STATS_MS);
	h->timer_started = true;
	log_info("http: dashboard on http://%s/ (%zu graphs from '%s'); a request within %llu s, "
		 "at most %u connections per address", h->where, h->site.graphs.n, cfg->dashboards,
		 (unsigned long long)cfg->request_timeout_s, cfg->per_address);
	return 0;
}

void http_stop(struct http_server *h)
{
	if (!h->mhd)
		return;
	MHD_stop_daemon(h->mhd);
	h->mhd = NULL;
	http_guard_release(&h->guard);
	if (h->timer_started && !uv_is_closing((uv_handle_t *)&h->stats_timer)) {
		uv_timer_stop(&h->stats_timer);
		uv_close((uv_handle_t *)&h->stats_timer, NULL);
	}
	http_site_release(&h->site);
}
