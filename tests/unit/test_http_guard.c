/* test_http_guard.c - the dashboard's connection guard (collector/http/
 * guard.c): a full address loses its longest-waiting connection, not the new
 * one, unless every other is busy; the server as a whole the same; requests
 * and responses past their time are shut down; and its config keys. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/http/guard.h"
#include "collector/http/server.h"

struct conn {
	int fd[2]; /* [0] the server's end, [1] the client's */
	void *ctx;
};

static void open_conn(struct http_guard *g, struct conn *c, uint32_t ip, uint64_t now)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(ip) };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, c->fd), 0);
	http_guard_started(g, c->fd[0], (struct sockaddr *)&sa, &c->ctx, now);
}

/* Whether the guard shut the server's end down (the client reads EOF). */
static bool was_shut(struct conn *c)
{
	char b;

	return recv(c->fd[1], &b, 1, MSG_DONTWAIT) == 0;
}

static void close_conn(struct http_guard *g, struct conn *c)
{
	http_guard_closed(g, &c->ctx);
	close(c->fd[0]);
	close(c->fd[1]);
}

static void test_room_per_address(void **state)
{
	struct http_guard g;
	struct conn c[5], other;
	(void)state;

	assert_int_equal(http_guard_init(&g, 3, 100, 10000), 0);
	for (int i = 0; i < 3; i++)
		open_conn(&g, &c[i], 0x7f000001, 1000 + (uint64_t)i);
	http_guard_busy(&g, c[0].ctx, 1005); /* c[0] is being served */
	open_conn(&g, &other, 0x0a000001, 1006); /* another address: not counted */
	/* a 4th from 127.0.0.1: c[1] waited longest for its request, it goes */
	open_conn(&g, &c[3], 0x7f000001, 1010);
	assert_false(was_shut(&c[0]));
	assert_true(was_shut(&c[1]));
	assert_false(was_shut(&c[2]));
	assert_false(was_shut(&c[3]));
	assert_false(was_shut(&other));
	assert_int_equal(g.evicted, 1);
	/* all the others busy: the new one goes */
	http_guard_busy(&g, c[2].ctx, 1011);
	http_guard_busy(&g, c[3].ctx, 1011);
	open_conn(&g, &c[4], 0x7f000001, 1012);
	assert_true(was_shut(&c[4]));
	assert_false(was_shut(&c[2]));
	for (int i = 0; i < 5; i++)
		close_conn(&g, &c[i]);
	close_conn(&g, &other);
	assert_null(g.conns);
	assert_int_equal(g.n, 0);
	http_guard_release(&g);
}

static void test_room_in_all(void **state)
{
	struct http_guard g;
	struct conn c[3];
	(void)state;

	assert_int_equal(http_guard_init(&g, 10, 2, 10000), 0);
	open_conn(&g, &c[0], 0x0a000001, 1000);
	open_conn(&g, &c[1], 0x0a000002, 1001);
	open_conn(&g, &c[2], 0x0a000003, 1002);
	assert_true(was_shut(&c[0]));
	assert_false(was_shut(&c[1]));
	assert_false(was_shut(&c[2]));
	for (int i = 0; i < 3; i++)
		close_conn(&g, &c[i]);
	http_guard_release(&g);
}

static void test_time(void **state)
{
	struct http_guard g;
	struct conn slow, served, idle;
	(void)state;

	assert_int_equal(http_guard_init(&g, 10, 100, 3000), 0);
	open_conn(&g, &slow, 0x7f000001, 0);
	open_conn(&g, &served, 0x7f000001, 0);
	open_conn(&g, &idle, 0x7f000001, 0);
	http_guard_busy(&g, served.ctx, 1000);
	http_guard_busy(&g, idle.ctx, 1000);
	http_guard_idle(&g, idle.ctx, 2000); /* keep-alive: waits from 2000 */
	http_guard_sweep(&g, 2999);
	assert_false(was_shut(&slow));
	http_guard_sweep(&g, 3000);
	assert_true(was_shut(&slow));
	assert_false(was_shut(&served));
	assert_false(was_shut(&idle));
	http_guard_sweep(&g, 5000);
	assert_true(was_shut(&idle));
	assert_false(was_shut(&served));
	http_guard_sweep(&g, 1000 + HTTP_GUARD_RESPONSE_S * 1000);
	assert_true(was_shut(&served));
	assert_int_equal(g.timed_out, 3);
	close_conn(&g, &slow);
	close_conn(&g, &served);
	close_conn(&g, &idle);
	http_guard_release(&g);
}

static void test_config_keys(void **state)
{
	struct http_config cfg;
	char err[256];
	(void)state;

	http_config_defaults(&cfg);
	assert_int_equal(cfg.per_address, 32);
	assert_int_equal(cfg.request_timeout_s, 10);
	assert_int_equal(http_config_hook(&cfg, "collector", "http_max_connections_per_address",
					  "200", err, sizeof err), 1);
	assert_int_equal(http_config_hook(&cfg, "collector", "http_request_timeout", "30s", err,
					  sizeof err), 1);
	assert_int_equal(cfg.per_address, 200);
	assert_int_equal(cfg.request_timeout_s, 30);
	http_config_defaults(&cfg);
	assert_int_equal(http_config_hook(&cfg, "collector", "http_max_connections_per_address",
					  "300", err, sizeof err), -1);
	assert_int_equal(http_config_hook(&cfg, "collector", "http_request_timeout", "0s", err,
					  sizeof err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room_per_address),
		cmocka_unit_test(test_room_in_all),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_config_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
