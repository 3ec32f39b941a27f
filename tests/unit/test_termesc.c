/* test_termesc.c - escaping untrusted text for terminals (lib/termesc.c):
 * ESC sequences, newlines, C1 controls, DEL and invalid UTF-8 never reach
 * the terminal raw; printable UTF-8 does; a cut never splits an escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shrinkwatch/termesc.h"

static void test_controls(void **state)
{
	char out[256];
	(void)state;

	assert_string_equal(term_escape("plain-name_1.2 /usr/bin/rm", out, sizeof out),
			    "plain-name_1.2 /usr/bin/rm");
	/* a forged culprit: clear the line, then print another program */
	assert_string_equal(term_escape("/tmp/x\x1b[2K\r/usr/sbin/logrotate", out, sizeof out),
			    "/tmp/x\\e[2K\\r/usr/sbin/logrotate");
	assert_string_equal(term_escape("a\nFORGED\tb\a\b\v\f", out, sizeof out),
			    "a\\nFORGED\\tb\\a\\b\\v\\f");
	assert_string_equal(term_escape("\x01\x1f\x7f", out, sizeof out), "\\x01\\x1f\\x7f");
	assert_string_equal(term_escape("back\\slash", out, sizeof out), "back\\\\slash");
	/* NUL inside a counted string */
	assert_string_equal(term_escape_n("a\0b", 3, out, sizeof out), "a\\x00b");
}

static void test_utf8(void **state)
{
	char out[256];
	(void)state;

	/* printable UTF-8 stays */
	assert_string_equal(term_escape("Beweismittel-\xc3\xa4\xe6\x97\xa5", out, sizeof out),
			    "Beweismittel-\xc3\xa4\xe6\x97\xa5");
	/* C1 CSI (U+009B) and NEL (U+0085) as UTF-8 */
	assert_string_equal(term_escape("x\xc2\x9b" "31mred\xc2\x85", out, sizeof out),
			    "x\\u009b31mred\\u0085");
	/* raw 8-bit CSI, a lone continuation, an overlong '/', a surrogate, a
	 * truncated sequence at the end */
	assert_string_equal(term_escape("\x9b" "1m", out, sizeof out), "\\x9b1m");
	assert_string_equal(term_escape("\x80", out, sizeof out), "\\x80");
	assert_string_equal(term_escape("\xc0\xaf", out, sizeof out), "\\xc0\\xaf");
	assert_string_equal(term_escape("\xed\xa0\x80", out, sizeof out), "\\xed\\xa0\\x80");
	assert_string_equal(term_escape("ok\xe6\x97", out, sizeof out), "ok\\xe6\\x97");
}

static void test_truncation(void **state)
{
	char out[10];
	(void)state;

	/* fits exactly */
	assert_string_equal(term_escape("123456789", out, sizeof out), "123456789");
	/* too long: cut with "..." */
	assert_string_equal(term_escape("1234567890", out, sizeof out), "123456...");
	/* never half an escape: "\e" does not fit whole before "..." */
	assert_string_equal(term_escape("12345\x1b[2Kxyz", out, sizeof out), "12345...");
	/* never half a UTF-8 character */
	assert_string_equal(term_escape("12345\xe6\x97\xa5xyz", out, sizeof out), "12345...");
	assert_string_equal(term_escape("x", out, 1), "");
	assert_string_equal(term_escape("\x1b\x1b", out, 3), "\\e");
}

/* term_fputs() escapes a string of any length whole: 20,000 ESC bytes
 * become 40,000 characters, none cut. */
static void test_fputs_whole(void **state)
{
	static char in[20001], got[50000];
	FILE *f = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(f);
	memset(in, 0x1b, sizeof in - 1);
	assert_true(term_fputs(in, f) >= 0);
	assert_true(term_fputs("a\nb", f) >= 0);
	rewind(f);
	n = fread(got, 1, sizeof got - 1, f);
	fclose(f);
	assert_int_equal(n, 40000 + 4);
	assert_memory_equal(got, "\\e\\e", 4);
	assert_memory_equal(got + 40000, "a\\nb", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_fputs_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
