/* test_http_route.c - URL routing of the dashboard (collector/http/route.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "collector/http/route.h"

static void test_known_paths(void **state)
{
	struct http_route r;
	(void)state;

	assert_int_equal(http_route_parse("/", &r), HTTP_R_OVERVIEW);
	assert_int_equal(http_route_parse("/metrics", &r), HTTP_R_METRICS);
	assert_int_equal(http_route_parse("/api/v1/stores", &r), HTTP_R_API_STORES);
	assert_int_equal(http_route_parse("/api/v1/alerts", &r), HTTP_R_API_ALERTS);
	assert_int_equal(http_route_parse("/api/v1/explanations", &r), HTTP_R_API_EXPLANATIONS);

	assert_int_equal(http_route_parse("/store/evsrv01/bodycam", &r), HTTP_R_STORE);
	assert_string_equal(r.agent, "evsrv01");
	assert_string_equal(r.store, "bodycam");
	assert_int_equal(r.range, HTTP_RANGE_DAY);
	assert_int_equal(r.width, HTTP_GRAPH_W_DEFAULT);

	assert_int_equal(http_route_parse("/api/v1/stores/a.b-c_d/S1", &r), HTTP_R_API_STORE);
	assert_string_equal(r.agent, "a.b-c_d");
	assert_string_equal(r.store, "S1");

	assert_int_equal(http_route_parse("/graph/evsrv01/bodycam/bytes", &r), HTTP_R_GRAPH);
	assert_string_equal(r.graph, "bytes");

	assert_int_equal(http_route_parse("/alert/12", &r), HTTP_R_ALERT);
	assert_int_equal(r.alert_id, 12);

	assert_int_equal(http_route_parse("/alert/12/inventory.csv", &r), HTTP_R_INVENTORY_CSV);
	assert_int_equal(r.alert_id, 12);
	assert_int_equal(http_route_parse("/api/v1/alerts/7/inventory", &r), HTTP_R_API_INVENTORY);
	assert_int_equal(r.alert_id, 7);
	assert_int_equal(http_route_arg(&r, "offset", "10000"), 0);
	assert_int_equal(r.offset, 10000);
	assert_int_equal(http_route_arg(&r, "offset", "-1"), -EINVAL);

	assert_int_equal(http_route_parse("/copies", &r), HTTP_R_COPIES);
	assert_int_equal(http_route_parse("/api/v1/copies", &r), HTTP_R_API_COPIES);
	assert_int_equal(http_route_parse("/copies/archive-2019.v2.png", &r), HTTP_R_COPY_GRAPH);
	assert_string_equal(r.graph, "archive-2019.v2");
	assert_int_equal(http_route_parse("/copies/.png", &r), HTTP_R_NOT_FOUND);
	assert_int_equal(http_route_parse("/copies/a/b.png", &r), HTTP_R_NOT_FOUND);
	assert_int_equal(http_route_parse("/copies/..%2f.png", &r), HTTP_R_NOT_FOUND);
	assert_int_equal(http_route_parse("/copies/x.svg", &r), HTTP_R_NOT_FOUND);
}

static void test_unknown_and_hostile_paths(void **state)
{
	static const char *const bad[] = {
		"", "//", "/index.html", "/metrics/", "/api/v1", "/api/v1/", "/api/v1/stores/",
		"/api/v1/stores/a", "/api/v1/stores/a/b/c", "/store", "/store/", "/store/a",
		"/store/a/", "/store//b", "/store/a/b/", "/store/a/b/c", "/store/../etc",
		"/store/../../etc/passwd", "/store/a/..", "/store/.hidden/x", "/store/a/.b",
		"/store/a b/c", "/store/a%2Fb/c", "/store/<script>/x", "/store/a/b\"c",
		"/graph/a/b", "/graph/a/b/c/d", "/graph/a/b/../c", "/graph/a/b/.c",
		"/alert/", "/alert/0", "/alert/-1", "/alert/01", "/alert/1x", "/alert/1/",
		"/alert/99999999999999999999", "/alert/ 1", "/STORE/a/b", "/Metrics",
		"/alert/0/inventory.csv", "/alert/1/inventory.csv/", "/alert/1/inventory",
		"/alert/01/inventory.csv", "/api/v1/alerts/1/inventory/", "/api/v1/alerts/x/inventory",
		"/api/v1/alerts/1/../inventory", "/api/v1/alerts//inventory",
	};
	struct http_route r;
	(void)state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (http_route_parse(bad[i], &r) != HTTP_R_NOT_FOUND)
			fail_msg("'%s' was routed to %d", bad[i], r.kind);
		assert_string_equal(r.agent, ""); /* nothing half-parsed is left */
		assert_string_equal(r.store, "");
	}
	assert_int_equal(http_route_parse(NULL, &r), HTTP_R_NOT_FOUND);
}

static void test_name_length_limits(void **state)
{
	char path[HTTP_URL_MAX + 64], name[SW_NAME_MAX + 2];
	struct http_route r;
	(void)state;

	memset(name, 'n', SW_NAME_MAX);
	name[SW_NAME_MAX] = '\0';
	snprintf(path, sizeof path, "/store/%s/%s", name, name);
	assert_int_equal(http_route_parse(path, &r), HTTP_R_STORE); /* 64 bytes: fine */
	name[SW_NAME_MAX] = 'n';
	name[SW_NAME_MAX + 1] = '\0';
	snprintf(path, sizeof path, "/store/%s/x", name);
	assert_int_equal(http_route_parse(path, &r), HTTP_R_NOT_FOUND); /* 65: too long */

	memset(path, 'a', sizeof path - 1);
	path[0] = '/';
	path[sizeof path - 1] = '\0';
	assert_int_equal(http_route_parse(path, &r), HTTP_R_NOT_FOUND);
}

static void test_query_arguments(void **state)
{
	struct http_route r;
	(void)state;

	http_route_parse("/graph/a/b/bytes", &r);
	assert_int_equal(http_route_arg(&r, "range", "year"), 0);
	assert_int_equal(r.range, HTTP_RANGE_YEAR);
	assert_string_equal(http_range_name(r.range), "year");
	assert_string_equal(http_range_start(r.range), "end-1y");
	assert_int_equal(http_route_arg(&r, "w", "640"), 0);
	assert_int_equal(http_route_arg(&r, "h", "200"), 0);
	assert_int_equal(r.width, 640);
	assert_int_equal(r.height, 200);
	assert_int_equal(http_route_arg(&r, "format", "svg"), 0);
	assert_true(r.svg);
	assert_int_equal(http_route_arg(&r, "format", "png"), 0);
	assert_false(r.svg);
	assert_int_equal(http_route_arg(&r, "state", "open"), 0);
	assert_true(r.open_only);
	assert_int_equal(http_route_arg(&r, "state", "all"), 0);
	assert_false(r.open_only);
	/* unknown arguments are ignored; bad values of known ones are errors */
	assert_int_equal(http_route_arg(&r, "utm_source", "x"), 0);
	assert_int_equal(http_route_arg(&r, "range", "decade"), -EINVAL);
	assert_int_equal(http_route_arg(&r, "range", NULL), -EINVAL);
	assert_int_equal(http_route_arg(&r, "w", "99999"), -EINVAL);
	assert_int_equal(http_route_arg(&r, "w", "10"), -EINVAL);
	assert_int_equal(http_route_arg(&r, "h", "-5"), -EINVAL);
	assert_int_equal(http_route_arg(&r, "h", "200px"), -EINVAL);
	assert_int_equal(http_route_arg(&r, "format", "gif"), -EINVAL);
	assert_int_equal(http_route_arg(&r, "state", "closed"), -EINVAL);
	assert_int_equal(r.width, 640); /* a refused value changes nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_paths),
		cmocka_unit_test(test_unknown_and_hostile_paths),
		cmocka_unit_test(test_name_length_limits),
		cmocka_unit_test(test_query_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
