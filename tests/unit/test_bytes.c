/* test_bytes.c - the one byte formatter (lib/bytes.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shrinkwatch/bytes.h"

static const char *fmt(double v)
{
	static char out[BYTES_FMT_MAX];

	return bytes_format(v, out, sizeof out);
}

static void test_whole_bytes_below_one_kib(void **state)
{
	(void)state;
	assert_string_equal(fmt(0), "0 B");
	assert_string_equal(fmt(1), "1 B");
	assert_string_equal(fmt(512), "512 B");
	assert_string_equal(fmt(1023), "1023 B");
	assert_string_equal(fmt(-0.0), "0 B");
}

static void test_binary_units_one_decimal(void **state)
{
	(void)state;
	assert_string_equal(fmt(1024), "1.0 KiB");
	assert_string_equal(fmt(1536), "1.5 KiB");
	assert_string_equal(fmt(2048), "2.0 KiB");
	assert_string_equal(fmt(800 * 1024), "800.0 KiB");
	assert_string_equal(fmt(1048575), "1024.0 KiB"); /* rounded, the unit kept */
	assert_string_equal(fmt(69444444), "66.2 MiB");
	assert_string_equal(fmt(37200000000.0), "34.6 GiB");
	assert_string_equal(fmt(10000000000.0), "9.3 GiB");
	assert_string_equal(fmt(1099511627776.0), "1.0 TiB");
	assert_string_equal(fmt(1125899906842624.0), "1.0 PiB");
	/* PiB is the largest unit */
	assert_string_equal(fmt(2048.0 * 1125899906842624.0), "2048.0 PiB");
}

static void test_negative_keeps_sign(void **state)
{
	(void)state;
	assert_string_equal(fmt(-512), "-512 B");
	assert_string_equal(fmt(-1024), "-1.0 KiB");
	assert_string_equal(fmt(-9930555556.0), "-9.2 GiB");
}

static void test_unknown_is_a_dash(void **state)
{
	(void)state;
	assert_string_equal(fmt(NAN), "-");
	assert_string_equal(fmt(INFINITY), "-");
	assert_string_equal(fmt(-INFINITY), "-");
}

static void test_buffer_is_capped(void **state)
{
	char out[BYTES_FMT_MAX], small[6];
	(void)state;

	/* the widest text below 2^63 fits BYTES_FMT_MAX whole */
	assert_string_equal(bytes_format(-9223372036854775807.0, out, sizeof out), "-8192.0 PiB");
	assert_true(strlen(out) < sizeof out);
	/* a short buffer gets a cut text, NUL-terminated, and nothing past it */
	memset(small, 'x', sizeof small);
	assert_ptr_equal(bytes_format(37200000000.0, small, sizeof small), small);
	assert_string_equal(small, "34.6 ");
	/* what bytes_format() returns is the buffer it wrote */
	assert_ptr_equal(bytes_format(1, out, sizeof out), out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_bytes_below_one_kib),
		cmocka_unit_test(test_binary_units_one_decimal),
		cmocka_unit_test(test_negative_keeps_sign),
		cmocka_unit_test(test_unknown_is_a_dash),
		cmocka_unit_test(test_buffer_is_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
