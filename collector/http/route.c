/* route.c - request paths to dashboard routes (see route.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "route.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/parse.h"
#include "shrinkwatch/banned.h"

static const char *const range_names[HTTP_NRANGES] = { "day", "week", "month", "year" };
static const char *const range_starts[HTTP_NRANGES] = { "end-1d", "end-1w", "end-1mon",
							"end-1y" };

const char *http_range_name(enum http_range g)
{
	return (unsigned)g < HTTP_NRANGES ? range_names[g] : "day";
}

const char *http_range_start(enum http_range g)
{
	return (unsigned)g < HTTP_NRANGES ? range_starts[g] : range_starts[0];
}

/*
 * Splits path (after a prefix) into exactly n valid names separated by '/'.
 * Returns 0, or -1 if the count or any name is wrong.
 */
static int split_names(const char *p, size_t n, char (*out[])[SW_NAME_MAX + 1])
{
	for (size_t i = 0; i < n; i++) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if ((slash != NULL) != (i + 1 < n))
			return -1;
		if (!name_valid_n(p, len))
			return -1;
		memcpy(*out[i], p, len);
		(*out[i])[len] = '\0';
		p += len + (slash ? 1 : 0);
	}
	return 0;
}

static const char *after(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) ? NULL : path + n;
}

/* Whether p is a positive decimal id followed by exactly suffix (*id). */
static bool id_then(const char *p, const char *suffix, uint64_t *id)
{
	char digits[20];
	size_t n = strspn(p, "0123456789");

	if (n == 0 || n > 18 || p[0] == '0' || strcmp(p + n, suffix))
		return false;
	memcpy(digits, p, n);
	digits[n] = '\0';
	return parse_u64(digits, id) == 0;
}

enum http_route_kind http_route_parse(const char *path, struct http_route *r)
{
	char(*as[3])[SW_NAME_MAX + 1] = { &r->agent, &r->store, &r->graph };
	const char *p;
	uint64_t id;

	memset(r, 0, sizeof *r);
	r->kind = HTTP_R_NOT_FOUND;
	r->range = HTTP_RANGE_DAY;
	r->width = HTTP_GRAPH_W_DEFAULT;
	r->height = HTTP_GRAPH_H_DEFAULT;
	if (!path || strlen(path) > HTTP_URL_MAX)
		return r->kind;
	if (!strcmp(path, "/"))
		r->kind = HTTP_R_OVERVIEW;
	else if (!strcmp(path, "/metrics"))
		r->kind = HTTP_R_METRICS;
	else if (!strcmp(path, "/api/v1/stores"))
		r->kind = HTTP_R_API_STORES;
	else if (!strcmp(path, "/api/v1/alerts"))
		r->kind = HTTP_R_API_ALERTS;
	else if (!strcmp(path, "/api/v1/explanations"))
		r->kind = HTTP_R_API_EXPLANATIONS;
	else if (!strcmp(path, "/copies"))
		r->kind = HTTP_R_COPIES;
	else if (!strcmp(path, "/api/v1/copies"))
		r->kind = HTTP_R_API_COPIES;
	else if ((p = after(path, "/copies/")) && strlen(p) > 4 && strlen(p) - 4 <= SW_NAME_MAX &&
		 !strcmp(p + strlen(p) - 4, ".png") && name_valid_n(p, strlen(p) - 4)) {
		r->kind = HTTP_R_COPY_GRAPH;
		memcpy(r->graph, p, strlen(p) - 4);
		r->graph[strlen(p) - 4] = '\0';
	}
	else if ((p = after(path, "/api/v1/stores/")) && !split_names(p, 2, as))
		r->kind = HTTP_R_API_STORE;
	else if ((p = after(path, "/store/")) && !split_names(p, 2, as))
		r->kind = HTTP_R_STORE;
	else if ((p = after(path, "/graph/")) && !split_names(p, 3, as))
		r->kind = HTTP_R_GRAPH;
	else if ((p = after(path, "/alert/")) && p[0] >= '1' && p[0] <= '9' &&
		 strlen(p) <= 18 && !parse_u64(p, &id)) {
		r->kind = HTTP_R_ALERT;
		r->alert_id = (int64_t)id;
	} else if ((p = after(path, "/alert/")) && id_then(p, "/inventory.csv", &id)) {
		r->kind = HTTP_R_INVENTORY_CSV;
		r->alert_id = (int64_t)id;
	} else if ((p = after(path, "/api/v1/alerts/")) && id_then(p, "/inventory", &id)) {
		r->kind = HTTP_R_API_INVENTORY;
		r->alert_id = (int64_t)id;
	}
	if (r->kind == HTTP_R_NOT_FOUND) {
		/* a failed split may have filled some names: leave none behind */
		memset(r->agent, 0, sizeof r->agent);
		memset(r->store, 0, sizeof r->store);
		memset(r->graph, 0, sizeof r->graph);
	}
	return r->kind;
}

static int parse_bounded(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t n;

	if (!v || parse_u64(v, &n) || n < lo || n > hi)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

int http_route_arg(struct http_route *r, const char *key, const char *value)
{
	if (!key)
		return 0;
	if (!strcmp(key, "range")) {
		for (unsigned i = 0; value && i < HTTP_NRANGES; i++)
			if (!strcmp(value, range_names[i])) {
				r->range = (enum http_range)i;
				return 0;
			}
		return -EINVAL;
	}
	if (!strcmp(key, "w"))
		return parse_bounded(value, HTTP_GRAPH_W_MIN, HTTP_GRAPH_W_MAX, &r->width);
	if (!strcmp(key, "h"))
		return parse_bounded(value, HTTP_GRAPH_H_MIN, HTTP_GRAPH_H_MAX, &r->height);
	if (!strcmp(key, "format")) {
		if (value && (!strcmp(value, "png") || !strcmp(value, "svg"))) {
			r->svg = !strcmp(value, "svg");
			return 0;
		}
		return -EINVAL;
	}
	if (!strcmp(key, "state")) {
		if (value && (!strcmp(value, "open") || !strcmp(value, "all"))) {
			r->open_only = !strcmp(value, "open");
			return 0;
		}
		return -EINVAL;
	}
	if (!strcmp(key, "offset"))
		return value && strlen(value) <= 18 && !parse_u64(value, &r->offset) ? 0 : -EINVAL;
	return 0; /* unknown arguments are ignored, as browsers add their own */
}
