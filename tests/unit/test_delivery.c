/* test_delivery.c - the collector's delivery keys through its config hook:
 * TLS keys, allow-list (inline and from a file), limits, and the rules that
 * TLS needs its files and plaintext needs a loopback address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "collector/config.h"
#include "collector/net/delivery.h"
#include "testutil.h"

static int load(struct delivery *d, const char *text, char *err, size_t errlen)
{
	struct collector_config cfg;
	struct collector_config_hook hook;
	char path[256];

	tu_write(tu_dir, "c.conf", text, path, sizeof path);
	delivery_config_hook(d, &hook);
	return collector_config_load(path, &cfg, &hook, 1, err, errlen);
}

static void test_keys(void **state)
{
	struct delivery d;
	char err[600], path[256], text[600];
	(void)state;

	memset(&d, 0, sizeof d);
	tu_write(tu_dir, "allow", "# agents\nevsrv03\n\n  evsrv04  # second\n", path, sizeof path);
	snprintf(text, sizeof text,
		 "[collector]\nlisten = 10.0.0.5:7405\ntls_ca = /p/ca.crt\ntls_cert = /p/c.crt\n"
		 "tls_key = /p/c.key\nallow_agents = evsrv01 evsrv02\nallow_agents_file = %s\n"
		 "max_connections_per_address = 3\nhandshake_timeout = 4s\nmax_clock_skew = 1m\n"
		 "max_write_queue = 128k\n",
		 path);
	assert_int_equal(load(&d, text, err, sizeof err), 0);
	assert_int_equal(delivery_check(&d, "10.0.0.5", err, sizeof err), 0);
	assert_int_equal(d.next.max_per_address, 3);
	assert_int_equal(d.next.handshake_s, 4);
	assert_int_equal(d.next.max_clock_skew_s, 60);
	assert_int_equal(d.next.max_write_queue, 128 * 1024);
	assert_true(delivery_allowed(&d.next, "evsrv01"));
	assert_true(delivery_allowed(&d.next, "evsrv04"));
	assert_false(delivery_allowed(&d.next, "evsrv05"));
	assert_false(delivery_allowed(&d.next, "second"));
	delivery_release(&d);

	/* the per-agent limits (admit.h): defaults, then set */
	memset(&d, 0, sizeof d);
	assert_int_equal(load(&d, "[collector]\ninsecure = yes\n", err, sizeof err), 0);
	assert_int_equal(d.next.max_stores, 64);
	assert_int_equal(d.next.new_stores_per_hour, 16);
	assert_int_equal(d.next.min_interval_s, 10);
	assert_int_equal(d.next.max_seq_jump, 1000000);
	delivery_release(&d);
	memset(&d, 0, sizeof d);
	assert_int_equal(load(&d, "[collector]\ninsecure = yes\nmax_stores_per_agent = 8\n"
			      "max_new_stores_per_hour = 2\nmin_interval = 1s\nmax_seq_jump = 5000\n",
			      err, sizeof err), 0);
	assert_int_equal(d.next.max_stores, 8);
	assert_int_equal(d.next.new_stores_per_hour, 2);
	assert_int_equal(d.next.min_interval_s, 1);
	assert_int_equal(d.next.max_seq_jump, 5000);
	delivery_release(&d);

	/* without a list, every agent the CA vouches for */
	memset(&d, 0, sizeof d);
	assert_int_equal(load(&d, "[collector]\ninsecure = yes\n", err, sizeof err), 0);
	assert_true(delivery_allowed(&d.next, "anyone"));
	assert_int_equal(delivery_check(&d, "127.0.0.1", err, sizeof err), 0);
	assert_int_equal(delivery_check(&d, "0.0.0.0", err, sizeof err), -1);
	assert_non_null(strstr(err, "loopback"));
	delivery_release(&d);
}

static void test_errors(void **state)
{
	struct delivery d;
	char err[600];
	(void)state;

	memset(&d, 0, sizeof d);
	assert_int_equal(load(&d, "[collector]\nallow_agents = ok ../bad\n", err, sizeof err), -1);
	assert_non_null(strstr(err, "not a valid agent name"));
	assert_int_equal(load(&d, "[collector]\ntls_ca = /a\ntls_ca = /b\n", err, sizeof err), -1);
	assert_non_null(strstr(err, "key given twice"));
	assert_int_equal(load(&d, "[collector]\nhandshake_timeout = 0s\n", err, sizeof err), -1);
	assert_int_equal(load(&d, "[collector]\nmax_stores_per_agent = 0\n", err, sizeof err), -1);
	assert_non_null(strstr(err, "not a count between 1 and 100000"));
	assert_int_equal(load(&d, "[collector]\nmax_seq_jump = 10\n", err, sizeof err), -1);
	assert_int_equal(load(&d, "[collector]\nmin_interval = 0s\n", err, sizeof err), -1);
	assert_int_equal(load(&d, "[collector]\nallow_agents_file = /nonexistent/x\n", err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "cannot open"));
	/* TLS needs all three files */
	assert_int_equal(load(&d, "[collector]\ntls_ca = /a\n", err, sizeof err), 0);
	assert_int_equal(delivery_check(&d, "127.0.0.1", err, sizeof err), -1);
	assert_non_null(strstr(err, "tls_cert"));
	delivery_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, tu_setup_dir, tu_teardown_dir);
}
