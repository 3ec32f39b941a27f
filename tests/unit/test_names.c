/* test_names.c - the name rule, printable copies and the one store key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shrinkwatch/names.h"

static void test_valid(void **state)
{
	(void)state;
	assert_true(name_valid("evsrv01"));
	assert_true(name_valid("body-cam_2.1"));
	assert_false(name_valid(""));
	assert_false(name_valid(".hidden"));
	assert_false(name_valid(".."));
	assert_false(name_valid("a/b"));
	assert_false(name_valid("a b"));
	assert_false(name_valid("caf\xc3\xa9"));
	assert_false(name_valid(NULL));
	char longest[SW_NAME_MAX + 2];
	memset(longest, 'a', sizeof longest);
	longest[SW_NAME_MAX] = '\0';
	assert_true(name_valid(longest));
	longest[SW_NAME_MAX] = 'a';
	longest[SW_NAME_MAX + 1] = '\0';
	assert_false(name_valid(longest));
}

static void test_printable(void **state)
{
	char out[16];
	(void)state;
	name_printable("a\x1b[2Jb\n", out, sizeof out);
	assert_string_equal(out, "a?[2Jb?");
	name_printable("0123456789abcdefXYZ", out, sizeof out);
	assert_string_equal(out, "0123456789abcde");
}

static void test_store_key(void **state)
{
	struct store_key k;
	char agent[SW_NAME_MAX + 1], store[SW_NAME_MAX + 8];
	(void)state;

	assert_string_equal(store_key(&k, "evsrv01", "bodycam"), "evsrv01/bodycam");
	assert_ptr_equal(store_key(&k, "a", "b"), k.s);
	/* the two longest valid names fit */
	memset(agent, 'a', SW_NAME_MAX);
	agent[SW_NAME_MAX] = '\0';
	memset(store, 's', SW_NAME_MAX);
	store[SW_NAME_MAX] = '\0';
	store_key(&k, agent, store);
	assert_int_equal(strlen(k.s), 2 * SW_NAME_MAX + 1);
	assert_int_equal(k.s[SW_NAME_MAX], '/');
	/* a longer (invalid) name is cut, never written past the key */
	memset(store, 's', sizeof store - 1);
	store[sizeof store - 1] = '\0';
	store_key(&k, agent, store);
	assert_int_equal(strlen(k.s), 2 * SW_NAME_MAX + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_store_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
