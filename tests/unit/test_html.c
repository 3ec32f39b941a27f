/* test_html.c - HTML escaping and buf_printf (lib/html.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shrinkwatch/html.h"

static char *esc(struct buf *b, const char *s)
{
	b->len = 0;
	assert_int_equal(html_put_text(b, s), 0);
	assert_int_equal(buf_append(b, "", 1), 0);
	return (char *)b->data;
}

static void test_escapes_markup(void **state)
{
	struct buf b;
	(void)state;

	buf_init(&b, 4096);
	assert_string_equal(esc(&b, "plain-name_1.2"), "plain-name_1.2");
	assert_string_equal(esc(&b, "<script>alert(\"x\")</script>"),
			    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
	assert_string_equal(esc(&b, "a & b 'c'"), "a &amp; b &#39;c&#39;");
	assert_string_equal(esc(&b, "&amp;"), "&amp;amp;");
	assert_string_equal(esc(&b, ""), "");
	b.len = 0;
	assert_int_equal(html_put_text(&b, NULL), 0);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_control_and_utf8(void **state)
{
	struct buf b;
	(void)state;

	buf_init(&b, 4096);
	/* tab and newline stay; other control characters and DEL go */
	assert_string_equal(esc(&b, "a\tb\nc\x01\x1b[31md\x7f"), "a\tb\nc[31md");
	/* valid UTF-8 passes: e-acute, euro sign, an emoji */
	assert_string_equal(esc(&b, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb9"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb9");
	/* invalid bytes become U+FFFD: a lone continuation byte, an overlong '<'
	 * (0xc0 0xbc must never turn into a tag), a surrogate, a truncated tail */
	assert_string_equal(esc(&b, "x\x80y"), "x\xef\xbf\xbdy");
	assert_string_equal(esc(&b, "\xc0\xbcscript"), "\xef\xbf\xbd\xef\xbf\xbdscript");
	assert_string_equal(esc(&b, "\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(esc(&b, "ok\xe2\x82"), "ok\xef\xbf\xbd\xef\xbf\xbd");
	buf_release(&b);
}

static void test_counted_string_stops_at_n(void **state)
{
	struct buf b;
	(void)state;

	buf_init(&b, 64);
	/* a multi-byte sequence cut by n is not read past n */
	assert_int_equal(html_put_text_n(&b, "<a\xc3\xa9", 3), 0);
	assert_int_equal(b.len, strlen("&lt;a\xef\xbf\xbd"));
	assert_memory_equal(b.data, "&lt;a\xef\xbf\xbd", b.len);
	buf_release(&b);
}

static void test_cap_and_printf(void **state)
{
	struct buf b;
	char big[1000];
	(void)state;

	buf_init(&b, 16);
	assert_int_equal(html_put_text(&b, "<<<<"), 0); /* 16 bytes: exactly the cap */
	assert_int_equal(html_put_text(&b, "<"), -ENOBUFS);
	assert_int_equal(b.len, 16);
	buf_release(&b);

	buf_init(&b, 4096);
	assert_int_equal(buf_printf(&b, "<td>%d</td>", 42), 0);
	assert_int_equal(b.len, strlen("<td>42</td>"));
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(buf_printf(&b, "[%s]", big), 0); /* longer than the stack buffer */
	assert_int_equal(b.len, strlen("<td>42</td>") + 1001);
	assert_int_equal(b.data[b.len - 1], ']');
	buf_release(&b);

	buf_init(&b, 8);
	assert_int_equal(buf_printf(&b, "%s", "123456789"), -ENOBUFS);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes_markup),
		cmocka_unit_test(test_control_and_utf8),
		cmocka_unit_test(test_counted_string_stops_at_n),
		cmocka_unit_test(test_cap_and_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
