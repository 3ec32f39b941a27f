/*
 * test_http_change24.c - the overview's 24-hour reference totals read from a
 * real RRD file (librrd) and cached: a second request within the TTL reads
 * no file, one after the TTL or after the last sample went back in time
 * reads it again, and a store without history is -ENOENT (cached too).
 */
#include <errno.h>
#include <rrd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "collector/http/change24.h"
#include "collector/store/rrdsample.h"
#include "testutil.h"

static const int64_t t0 = 1800000000 - 1800000000 % 300;

/* data_dir/rrd/a/s.rrd with 26 hours of 5-minute samples: bytes = 1000 x
 * the sample's index, objects = the index. */
static void make_rrd(const char *data_dir)
{
	char path[256], storage[4096], lines[320][64];
	const char *argv[64], *up[320];
	int argc = rrdsample_layout(300, argv, 64, storage, sizeof storage), n = 0;

	snprintf(path, sizeof path, "%s/rrd", data_dir);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof path, "%s/rrd/a", data_dir);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof path, "%s/rrd/a/s.rrd", data_dir);
	assert_int_equal(rrd_create_r2(path, 300, (time_t)(t0 - 1), 1, NULL, NULL, argc, argv), 0);
	for (int i = 0; i < 26 * 12; i++, n++) {
		snprintf(lines[n], sizeof lines[n], "%lld:%d:%d:0:0:0:0:0",
			 (long long)(t0 + 300 * i), 1000 * i, i);
		up[n] = lines[n];
	}
	assert_int_equal(rrd_updatex_r(path, NULL, 0, n, up), 0);
}

static void test_reads_then_caches(void **state)
{
	struct change24_cache c;
	int64_t last = t0 + 300 * (26 * 12 - 1), now = 1900000000;
	double b = -1, o = -1;
	char path[256], away[300];

	(void)state;
	make_rrd(tu_dir);
	assert_int_equal(change24_cache_init(&c, 300), 0);
	/* 24 hours before the last sample is sample 311 - 288 = 23 */
	assert_int_equal(change24_lookup(&c, tu_dir, "a", "s", last, now, &b, &o), 0);
	assert_true(b == 23000 && o == 23);
	assert_int_equal(c.reads, 1);
	/* within the TTL: from the cache, even with the file gone */
	snprintf(path, sizeof path, "%s/rrd/a/s.rrd", tu_dir);
	snprintf(away, sizeof away, "%s.away", path);
	assert_int_equal(rename(path, away), 0);
	b = o = -1;
	assert_int_equal(change24_lookup(&c, tu_dir, "a", "s", last + 300, now + 299, &b, &o), 0);
	assert_true(b == 23000 && o == 23);
	assert_int_equal(c.reads, 1);
	assert_int_equal(c.hits, 1);
	/* after the TTL: read again (the file is gone: no value) */
	assert_int_equal(change24_lookup(&c, tu_dir, "a", "s", last + 300, now + 300, &b, &o),
			 -ENOENT);
	assert_int_equal(c.reads, 2);
	/* the negative answer is cached as well */
	assert_int_equal(change24_lookup(&c, tu_dir, "a", "s", last + 300, now + 301, &b, &o),
			 -ENOENT);
	assert_int_equal(c.reads, 2);
	/* the last sample went back in time (a restore): read again */
	assert_int_equal(rename(away, path), 0);
	assert_int_equal(change24_lookup(&c, tu_dir, "a", "s", last - 600, now + 302, &b, &o), 0);
	assert_true(b == 21000 && o == 21);
	assert_int_equal(c.reads, 3);
	/* another store has its own entry; a store younger than a day has none */
	assert_int_equal(change24_lookup(&c, tu_dir, "a", "s", t0 + 3600, now + 302, &b, &o),
			 -ENOENT);
	assert_int_equal(change24_lookup(&c, tu_dir, "a", "other", last, now, &b, &o), -ENOENT);
	assert_int_equal(c.reads, 5);
	change24_cache_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_then_caches, tu_setup_dir,
						tu_teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
