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

#include "server.h"
#include "api.h"
#include "metrics.h"
#include "pages.h"
#include "route.h"
#include "collector/store/registry.h"
#include "collector/net/session.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

enum { SEEN_HTTP = 1, SEEN_DASHBOARDS = 2, SEEN_THREADS = 4 };

void http_config_defaults(struct http_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->enabled = true;
	parse_hostport(HTTP_DEFAULT_LISTEN, cfg->host, sizeof cfg->host, &cfg->port);
	snprintf(cfg->dashboards, sizeof cfg->dashboards, "%s", HTTP_DEFAULT_DASHBOARDS);
	cfg->threads = 4;
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

/*
 * Loads the graph definitions into gs.  A dashboards directory that is not
 * there (not installed) leaves the dashboard without graphs, with a warning:
 * the collector's job is to keep samples, and pages, API and /metrics work
 * without graphs.  A file that is there but wrong is an error.
 */
static int load_graphs(const struct http_config *cfg, struct graphdefs *gs, char *err,
		       size_t errlen)
{
	int rc = graphdefs_load(cfg->dashboards, gs, err, errlen);

	if (rc == -ENOENT) {
		log_warn("http: no graphs: %s", err);
		return 0;
	}
	return rc ? -1 : 0;
}

int http_check(const struct http_config *cfg, char *err, size_t errlen)
{
	struct graphdefs gs;

	if (!cfg->enabled)
		return 0;
	if (load_graphs(cfg, &gs, err, errlen))
		return -1;
	graphdefs_release(&gs);
	return 0;
}

/* ---- the loop thread's side ------------------------------------------- */

static void copy_stats(uv_timer_t *t)
{
	struct http_server *h = t->data;

	pthread_mutex_lock(&h->mu);
	h->stats.ingest = h->ingest->stats;
	h->stats.agents_connected = session_count();
	if (h->rrd)
		rrdstore_get_stats(h->rrd, &h->stats.rrd);
	pthread_mutex_unlock(&h->mu);
}

void http_observe_sample(void *ctx, struct agent_rec *a, struct store_rec *st,
			 const struct sw_sample *s)
{
	struct http_server *h = ctx;
	char key[2 * SW_NAME_MAX + 2];
	struct http_delta *d;

	snprintf(key, sizeof key, "%s/%s", a->name, st->name);
	pthread_mutex_lock(&h->mu);
	d = strmap_get(&h->deltas, key);
	if (!d) {
		d = calloc(1, sizeof *d);
		if (!d || strmap_put(&h->deltas, key, d)) {
			free(d);
			goto out;
		}
	}
	if (s->status != SW_SCAN_COMPLETE) {
		/* totals unknown: no removal can be computed across this sample */
		d->have_prev = d->have_removed = false;
		goto out;
	}
	d->have_removed = d->have_prev && (s->flags & SW_SAMPLE_HAS_ADDED);
	if (d->have_removed) {
		d->removed_bytes = (double)d->prev_bytes + (double)s->added_bytes - (double)s->bytes;
		d->removed_objects =
			(double)d->prev_objects + (double)s->added_objects - (double)s->objects;
	}
	d->prev_bytes = s->bytes;
	d->prev_objects = s->objects;
	d->have_prev = true;
out:
	pthread_mutex_unlock(&h->mu);
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
static int dispatch(struct http_server *h, const struct http_route *r, struct buf *b,
		    const char **type, const char **cache)
{
	*type = "text/html; charset=utf-8";
	*cache = "no-store";
	switch (r->kind) {
	case HTTP_R_OVERVIEW:
		return http_page_overview(h, b);
	case HTTP_R_STORE:
		return http_page_store(h, r, b);
	case HTTP_R_ALERT:
		return http_page_alert(h, r->alert_id, b);
	case HTTP_R_GRAPH:
		*type = r->svg ? "image/svg+xml" : "image/png";
		*cache = "max-age=20";
		return http_graph(h, r, b);
	case HTTP_R_API_STORES:
		*type = "application/json";
		return http_api_stores(h, b);
	case HTTP_R_API_STORE:
		*type = "application/json";
		return http_api_store(h, r, b);
	case HTTP_R_API_ALERTS:
		*type = "application/json";
		return http_api_alerts(h, r, b);
	case HTTP_R_API_EXPLANATIONS:
		*type = "application/json";
		return http_api_explanations(h, b);
	case HTTP_R_METRICS:
		*type = "text/plain; version=0.0.4; charset=utf-8";
		return http_metrics(h, b);
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

	__atomic_add_fetch(&h->requests, 1, __ATOMIC_RELAXED);
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
	rc = dispatch(h, &r, &b, &type, &cache);
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
	       struct ingest *ing, struct rrdstore *rrd, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;

	memset(h, 0, sizeof *h);
	h->cfg = *cfg;
	if (!cfg->enabled)
		return 0;
	snprintf(h->data_dir, sizeof h->data_dir, "%s", ccfg->data_dir);
	h->board = board;
	h->ingest = ing;
	h->rrd = rrd;
	strmap_init(&h->deltas);
	if (pthread_mutex_init(&h->mu, NULL) || graph_cache_init(&h->cache) ||
	    change24_cache_init(&h->change24, HTTP_CHANGE24_TTL)) {
		snprintf(err, errlen, "http: out of memory");
		return -1;
	}
	if (load_graphs(cfg, &h->graphs, err, errlen))
		return -1;
	if (resolve(cfg, &ss, err, errlen))
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon(
		flags, cfg->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
		MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_LIMIT, 256u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		MHD_OPTION_URI_LOG_CALLBACK, check_raw_uri, NULL, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, NULL, MHD_OPTION_END);
	if (!h->mhd) {
		/* Agents matter more than the dashboard: keep collecting. */
		log_err("http: cannot listen on %s:%u: %s; the dashboard is off", cfg->host,
			cfg->port, strerror(errno ? errno : EADDRINUSE));
		graphdefs_release(&h->graphs);
		graph_cache_release(&h->cache);
		change24_cache_release(&h->change24);
		pthread_mutex_destroy(&h->mu);
		strmap_release(&h->deltas);
		return 0;
	}
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(h->where, sizeof h->where, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 cfg->host, di ? di->port : cfg->port);
	uv_timer_init(loop, &h->stats_timer);
	h->stats_timer.data = h;
	uv_timer_start(&h->stats_timer, copy_stats, 0, HTTP_STATS_MS);
	h->timer_started = true;
	ingest_observe(ing, http_observe_sample, h);
	log_info("http: dashboard on http://%s/ (%zu graphs from '%s')", h->where, h->graphs.n,
		 cfg->dashboards);
	return 0;
}

void http_stop(struct http_server *h)
{
	const char *k;
	void *v;

	if (!h->mhd)
		return;
	MHD_stop_daemon(h->mhd);
	h->mhd = NULL;
	if (h->timer_started && !uv_is_closing((uv_handle_t *)&h->stats_timer)) {
		uv_timer_stop(&h->stats_timer);
		uv_close((uv_handle_t *)&h->stats_timer, NULL);
	}
	for (size_t i = 0; strmap_next(&h->deltas, &i, &k, &v);)
		free(v);
	strmap_release(&h->deltas);
	graphdefs_release(&h->graphs);
	graph_cache_release(&h->cache);
	change24_cache_release(&h->change24);
	pthread_mutex_destroy(&h->mu);
}
