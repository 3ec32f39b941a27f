/* test_rrdcached.c - the collector's `rrdcached` key, through the real config
 * loader with the module's hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/config.h"
#include "collector/store/rrdcached.h"
#include "testutil.h"

static int load(const char *text, struct rrdcached_config *rc, char *err, size_t errlen)
{
	struct collector_config cfg;
	struct collector_config_hook hook = { rrdcached_config_hook, rc };
	char path[256];

	memset(rc, 0, sizeof *rc);
	tu_write(tu_dir, "collector.conf", text, path, sizeof path);
	return collector_config_load(path, &cfg, &hook, 1, err, errlen);
}

static void test_addresses(void **state)
{
	struct rrdcached_config rc;
	char err[1024];
	(void)state;

	assert_int_equal(load("[collector]\nrrd_sync = yes\n", &rc, err, sizeof err), 0);
	assert_string_equal(rc.address, "");
	assert_int_equal(load("[collector]\nrrdcached = unix:/run/rrdcached.sock\n", &rc, err,
			      sizeof err),
			 0);
	assert_string_equal(rc.address, "unix:/run/rrdcached.sock");
	assert_int_equal(load("[collector]\nrrdcached = 127.0.0.1:42217\n", &rc, err, sizeof err),
			 0);
	assert_string_equal(rc.address, "127.0.0.1:42217");
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"[collector]\nrrdcached = unix:relative.sock\n",
		"[collector]\nrrdcached = somewhere\n",
		"[collector]\nrrdcached = \n",
		"[collector]\nrrdcached = unix:/a\nrrdcached = unix:/b\n",
		"[detect]\nrrdcached = unix:/a\n", /* only inside [collector] */
	};
	struct rrdcached_config rc;
	char err[1024];
	(void)state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(load(bad[i], &rc, err, sizeof err), -1);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(load(bad[3], &rc, err, sizeof err), -1);
	assert_non_null(strstr(err, "twice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_addresses, tu_setup_dir, tu_teardown_dir),
		cmocka_unit_test_setup_teardown(test_refused, tu_setup_dir, tu_teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
