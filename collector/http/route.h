/*
 * route.h - from a request's path and query to what the dashboard
 * serves, without touching anything.
 *
 * Routing is a pure function so that it can be tested exhaustively: every
 * path part that names an agent, a store or a graph must pass name_valid()
 * (the same rule that keeps names out of file paths), an alert id must be a
 * positive decimal number, and anything else is HTTP_R_NOT_FOUND.  Query
 * arguments are checked one by one with http_route_arg(); an unknown argument
 * is ignored, a known one with a bad value is an error (400).
 */
#ifndef SHRINKWATCH_COLLECTOR_HTTP_ROUTE_H
#define SHRINKWATCH_COLLECTOR_HTTP_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "shrinkwatch/sample.h"

/* Longest request path accepted; longer ones are refused with 414. */
#define HTTP_URL_MAX 512

enum http_route_kind {
	HTTP_R_NOT_FOUND = 0,
	HTTP_R_OVERVIEW,         /* /                              */
	HTTP_R_STORE,            /* /store/<agent>/<store>         */
	HTTP_R_ALERT,            /* /alert/<id>                    */
	HTTP_R_GRAPH,            /* /graph/<agent>/<store>/<graph> */
	HTTP_R_API_STORES,       /* /api/v1/stores                 */
	HTTP_R_API_STORE,        /* /api/v1/stores/<agent>/<store> */
	HTTP_R_API_ALERTS,       /* /api/v1/alerts                 */
	HTTP_R_API_EXPLANATIONS, /* /api/v1/explanations           */
	HTTP_R_METRICS,          /* /metrics                       */
	HTTP_R_API_INVENTORY,    /* /api/v1/alerts/<id>/inventory  */
	HTTP_R_INVENTORY_CSV,    /* /alert/<id>/inventory.csv      */
	HTTP_R_COPIES,           /* /copies                        */
	HTTP_R_API_COPIES,       /* /api/v1/copies                 */
	HTTP_R_COPY_GRAPH,       /* /copies/<name>.png (graph = name) */
};

enum http_range { HTTP_RANGE_DAY = 0, HTTP_RANGE_WEEK, HTTP_RANGE_MONTH, HTTP_RANGE_YEAR };
#define HTTP_NRANGES 4

#define HTTP_GRAPH_W_MIN 200
#define HTTP_GRAPH_W_MAX 2000
#define HTTP_GRAPH_H_MIN 100
#define HTTP_GRAPH_H_MAX 1200
#define HTTP_GRAPH_W_DEFAULT 720
#define HTTP_GRAPH_H_DEFAULT 240

struct http_route {
	enum http_route_kind kind;
	char agent[SW_NAME_MAX + 1];
	char store[SW_NAME_MAX + 1];
	char graph[SW_NAME_MAX + 1];
	int64_t alert_id;
	/* query arguments, with their defaults */
	enum http_range range; /* range=day|week|month|year */
	unsigned width, height; /* w=, h= (graphs) */
	bool svg;               /* format=png|svg (graphs) */
	bool open_only;         /* state=open|all (alerts; default all) */
	uint64_t offset;        /* offset=N (an inventory's items; default 0) */
};

/* Fills r from a decoded path (no query).  Returns r->kind. */
enum http_route_kind http_route_parse(const char *path, struct http_route *r);
/* Applies one query argument.  0, or -EINVAL if a known key has a bad value. */
int http_route_arg(struct http_route *r, const char *key, const char *value);

/* "day", "week", ...; and the rrdtool start time ("end-1d", ...). */
const char *http_range_name(enum http_range g);
const char *http_range_start(enum http_range g);

#endif
