/*
 * test_jsonparse.c - the control socket's JSON parser: what it accepts, what
 * it rejects (it must be strict), what it reads back, and its bounds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shrinkwatch/jsonparse.h"

static struct jsonparse_tok toks[64];

static int parse(const char *s)
{
	return jsonparse(s, strlen(s), toks, 64);
}

static void test_accepts(void **state)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-0.5e+3", "\"\"", "true", "null", " {\"a\" : [1, 2, {}]} \n",
		"{\"cmd\":\"ack\",\"id\":12,\"comment\":\"on it \\u00e9 \\ud83d\\ude00\"}",
		"\"caf\xc3\xa9\"",
	};
	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(parse(good[i]) > 0);
}

static void test_rejects(void **state)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "01",
		"1.", ".5", "1e", "+1", "NaN", "tru", "nul", "'a'", "\"a", "\"\\x\"",
		"\"\\ud800\"", "\"\\udc00x\"", "\"\t\"", "{\"a\":1} x", "{a:1}", "[1]]",
		"\"\xc0\xaf\"",        /* overlong '/' */
		"\"\xed\xa0\x80\"",    /* UTF-8 surrogate */
		"\"\xff\"", "// c\n{}", "/* c */{}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int n = parse(bad[i]);
		if (n != -EINVAL)
			fail_msg("accepted '%s' (%d)", bad[i], n);
	}
}

static void test_depth_and_tokens(void **state)
{
	char deep[64];
	(void)state;

	memset(deep, '[', 17);
	memset(deep + 17, ']', 17);
	deep[34] = '\0';
	assert_int_equal(parse(deep), -EINVAL); /* 17 levels > JSONPARSE_MAX_DEPTH */
	deep[16] = ']';
	memset(deep, '[', 16);
	memset(deep + 16, ']', 16);
	deep[32] = '\0';
	assert_int_equal(parse(deep), 16);
	assert_int_equal(jsonparse("[1,2,3]", 7, toks, 3), -ENOBUFS);
	assert_int_equal(jsonparse("[1,2,3]", 7, toks, 4), 4);
}

static void test_lookup(void **state)
{
	const char *s = "{\"cmd\":\"explain\",\"nested\":{\"cmd\":\"no\"},\"list\":[1,[2,3],4],"
			"\"alert\":42,\"big\":1e3,\"all\":true,\"none\":null,"
			"\"reason\":\"line\\nnext \\\"q\\\" \\u00e9\\ud83d\\ude00\"}";
	char text[64];
	int64_t i;
	double d;
	bool b;
	int n, list;
	(void)state;

	n = jsonparse(s, strlen(s), toks, 64);
	assert_true(n > 0);
	assert_int_equal(toks[0].size, 8);
	assert_int_equal(jsonparse_get_str(s, toks, 0, "cmd", text, sizeof text), 0);
	assert_string_equal(text, "explain");
	assert_int_equal(jsonparse_get_i64(s, toks, 0, "alert", &i), 0);
	assert_int_equal(i, 42);
	assert_int_equal(jsonparse_get_i64(s, toks, 0, "big", &i), -EINVAL); /* not integral */
	assert_int_equal(jsonparse_get_double(s, toks, 0, "big", &d), 0);
	assert_true(d == 1000.0);
	assert_int_equal(jsonparse_get_bool(s, toks, 0, "all", &b), 0);
	assert_true(b);
	assert_int_equal(jsonparse_get_str(s, toks, 0, "none", text, sizeof text), -ENOENT);
	assert_int_equal(jsonparse_get_str(s, toks, 0, "missing", text, sizeof text), -ENOENT);
	assert_int_equal(jsonparse_get_str(s, toks, 0, "alert", text, sizeof text), -EINVAL);
	assert_int_equal(jsonparse_get_str(s, toks, 0, "reason", text, sizeof text), 0);
	assert_string_equal(text, "line\nnext \"q\" \xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(jsonparse_get_str(s, toks, 0, "reason", text, 8), -ENOBUFS);
	/* siblings skip whole subtrees */
	list = jsonparse_get(s, toks, 0, "list");
	assert_int_equal(toks[list].type, JSONPARSE_ARRAY);
	assert_int_equal(toks[list].size, 3);
	i = 0;
	assert_int_equal(jsonparse_i64(s, &toks[toks[list + 1].next], &i), -EINVAL); /* [2,3] */
	assert_int_equal(jsonparse_i64(s, &toks[toks[toks[list + 1].next].next], &i), 0);
	assert_int_equal(i, 4);
	/* \u0000 cannot be read into a C string */
	assert_true(parse("\"a\\u0000b\"") > 0);
	assert_int_equal(jsonparse_str("\"a\\u0000b\"", &toks[0], text, sizeof text), -EINVAL);
	/* range */
	assert_true(parse("99999999999999999999") > 0);
	assert_int_equal(jsonparse_i64("99999999999999999999", &toks[0], &i), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_depth_and_tokens),
		cmocka_unit_test(test_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
