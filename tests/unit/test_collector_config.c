/* test_collector_config.c - the collector's config and section hooks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/config.h"
#include "testutil.h"

/* A hook owning [detect]: accepts "knob", refuses anything else. */
static int detect_hook(void *ctx, const char *section, const char *key, const char *value,
		       char *err, size_t errlen)
{
	int *calls = ctx;

	if (!strcmp(section, "collector") && !strcmp(key, "http"))
		return 1; /* a module's key inside [collector] */
	if (strcmp(section, "detect"))
		return 0;
	(*calls)++;
	if (!strcmp(key, "knob") && !strcmp(value, "1"))
		return 1;
	snprintf(err, errlen, "knob must be 1");
	return -1;
}

static int load(const char *text, struct collector_config *cfg, int *calls, char *err,
		size_t errlen)
{
	struct collector_config_hook hook = { detect_hook, calls };
	char path[256];

	tu_write(tu_dir, "collector.conf", text, path, sizeof path);
	return collector_config_load(path, cfg, &hook, 1, err, errlen);
}

static void test_good_and_defaults(void **state)
{
	struct collector_config cfg;
	char err[1024];
	int calls = 0;
	(void)state;

	assert_int_equal(load("[collector]\nlisten = 127.0.0.1:17405\ndata_dir = /srv/sw\n"
			      "http = 127.0.0.1:1\n"
			      "[detect]\nknob = 1\n",
			      &cfg, &calls, err, sizeof err),
			 0);
	assert_string_equal(cfg.listen_host, "127.0.0.1");
	assert_int_equal(cfg.listen_port, 17405);
	assert_string_equal(cfg.data_dir, "/srv/sw");
	assert_int_equal(calls, 1);
	assert_true(cfg.rrd_sync);
	assert_int_equal(cfg.rrd_threads, 2);

	assert_int_equal(load("", &cfg, &calls, err, sizeof err), 0);
	assert_int_equal(cfg.listen_port, 7405);
	assert_string_equal(cfg.data_dir, COLLECTOR_DEFAULT_DATA_DIR);
}

static void expect_error(const char *text, const char *words)
{
	struct collector_config cfg;
	char err[1024];
	int calls = 0;

	assert_int_equal(load(text, &cfg, &calls, err, sizeof err), -1);
	if (!strstr(err, words))
		fail_msg("error '%s' does not mention '%s'", err, words);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("[collector]\nlisten=nowhere\n", ":2: [collector] listen: 'nowhere' is not HOST:PORT");
	expect_error("[collector]\ndata_dir=rel\n", "[collector] data_dir: 'rel' is not an absolute path");
	expect_error("[collector]\nrrd_threads=0\n", "rrd_threads: '0' is not a thread count");
	expect_error("[collector]\nrrd_sync=perhaps\n", "rrd_sync: 'perhaps' is not yes or no");
	expect_error("[collector]\nlisten=127.0.0.1:1\nlisten=127.0.0.1:2\n", ":3: [collector] listen: key given twice");
	expect_error("[collector]\nport=1\n", "[collector] port: unknown key");
	expect_error("\n[detect]\nknob=2\n", ":3: [detect] knob: knob must be 1");
	expect_error("[nonsense]\na=b\n", "[nonsense] a: unknown section");
}

/* A second module's hook: takes [detect] knob too, and counts its calls. */
static int greedy_hook(void *ctx, const char *section, const char *key, const char *value,
		       char *err, size_t errlen)
{
	int *calls = ctx;

	(void)section;
	(void)key;
	(void)value;
	(void)err;
	(void)errlen;
	(*calls)++;
	return 1;
}

/* Modules register on the configuration object; keys go to the hooks in the
 * order they registered, and the first that takes a key owns it. */
static void test_register(void **state)
{
	struct collector_config cfg;
	struct collector_config_hook first = { detect_hook, NULL }, second = { greedy_hook, NULL };
	char path[256], err[1024];
	int calls_first = 0, calls_second = 0;
	(void)state;

	first.ctx = &calls_first;
	second.ctx = &calls_second;
	tu_write(tu_dir, "collector.conf",
		 "[collector]\nhttp = 127.0.0.1:1\nrrd_threads = 3\n[detect]\nknob = 1\n"
		 "[other]\nkey = v\n",
		 path, sizeof path);
	collector_config_init(&cfg);
	assert_int_equal(cfg.nhooks, 0);
	assert_int_equal(cfg.rrd_threads, 2);
	assert_int_equal(collector_config_register(&cfg, &first), 0);
	assert_int_equal(collector_config_register(&cfg, &second), 0);
	assert_int_equal(collector_config_read(path, &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.rrd_threads, 3);
	assert_int_equal(calls_first, 1);  /* [detect] knob; http is taken uncounted */
	assert_int_equal(calls_second, 1); /* [other] key: nobody before it took it */

	/* the table is bounded: a module that does not fit is told so */
	collector_config_init(&cfg);
	for (int i = 0; i < COLLECTOR_CONFIG_MAX_HOOKS; i++)
		assert_int_equal(collector_config_register(&cfg, &second), 0);
	assert_int_equal(collector_config_register(&cfg, &first), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_and_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_register),
	};
	return cmocka_run_group_tests_name("collector_config", tests, tu_setup_dir, tu_teardown_dir);
}
