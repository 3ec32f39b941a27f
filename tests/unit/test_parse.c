/* test_parse.c - strict value parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shrinkwatch/parse.h"

static void test_duration(void **state)
{
	uint64_t v;
	(void)state;

	assert_int_equal(parse_duration("90", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(parse_duration("60s", &v), 0);
	assert_int_equal(v, 60);
	assert_int_equal(parse_duration("5m", &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(parse_duration("2h", &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(parse_duration("31d", &v), 0);
	assert_int_equal(v, 31 * 86400);
	assert_int_equal(parse_duration("1w", &v), 0);
	assert_int_equal(v, 7 * 86400);
	assert_int_equal(parse_duration("0", &v), -ERANGE);
	assert_int_equal(parse_duration("", &v), -EINVAL);
	assert_int_equal(parse_duration("s", &v), -EINVAL);
	assert_int_equal(parse_duration("5x", &v), -EINVAL);
	assert_int_equal(parse_duration("-5s", &v), -EINVAL);
	assert_int_equal(parse_duration("5 s", &v), -EINVAL);
	assert_int_equal(parse_duration("99999999999999999999", &v), -ERANGE);
	assert_int_equal(parse_duration("9999999999999999999w", &v), -ERANGE);
}

static void test_size(void **state)
{
	uint64_t v;
	(void)state;

	assert_int_equal(parse_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("64M", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(parse_size("1T", &v), 0);
	assert_int_equal(v, 1ull << 40);
	assert_int_equal(parse_size("1.5G", &v), -EINVAL);
	assert_int_equal(parse_size("G", &v), -EINVAL);
}

static void test_bool_and_u64(void **state)
{
	bool b;
	uint64_t v;
	(void)state;

	assert_int_equal(parse_bool("yes", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("Off", &b), 0);
	assert_false(b);
	assert_int_equal(parse_bool("maybe", &b), -EINVAL);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("12a", &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", &v), -EINVAL);
}

static void test_hostport(void **state)
{
	char host[64];
	uint16_t port;
	(void)state;

	assert_int_equal(parse_hostport("127.0.0.1:7405", host, sizeof host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7405);
	assert_int_equal(parse_hostport("collector.example:1", host, sizeof host, &port), 0);
	assert_string_equal(host, "collector.example");
	assert_int_equal(parse_hostport("[::1]:7405", host, sizeof host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(parse_hostport("::1:7405", host, sizeof host, &port), -EINVAL);
	assert_int_equal(parse_hostport("host", host, sizeof host, &port), -EINVAL);
	assert_int_equal(parse_hostport(":7405", host, sizeof host, &port), -EINVAL);
	assert_int_equal(parse_hostport("h:0", host, sizeof host, &port), -EINVAL);
	assert_int_equal(parse_hostport("h:65536", host, sizeof host, &port), -EINVAL);
	assert_int_equal(parse_hostport("h:80x", host, sizeof host, &port), -EINVAL);
	assert_int_equal(parse_hostport("a-very-long-host-name:1", host, 8, &port), -EINVAL);
}

static void test_time_of_day(void **state)
{
	uint32_t s;
	(void)state;

	assert_int_equal(parse_time_of_day("02:00", &s), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(parse_time_of_day("23:59", &s), 0);
	assert_int_equal(s, 86340);
	assert_int_equal(parse_time_of_day("24:00", &s), -EINVAL);
	assert_int_equal(parse_time_of_day("2:00", &s), -EINVAL);
	assert_int_equal(parse_time_of_day("02:60", &s), -EINVAL);
	assert_int_equal(parse_time_of_day("02:0x", &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),       cmocka_unit_test(test_size),
		cmocka_unit_test(test_bool_and_u64),   cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_time_of_day),
	};
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
