/* test_containers.c - capped buffers, the JSON writer, names and the one store key,
 * and the string map (the agent's spool, which replaced its queue, has test_spool.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "shrinkwatch/json.h"
#include "shrinkwatch/names.h"
#include "shrinkwatch/strmap.h"

static void test_buf_cap(void **state)
{
	struct buf b;
	(void)state;

	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(buf_append(&b, "x", 1), -ENOBUFS);
	assert_int_equal(b.len, 10);
	buf_consume(&b, 4);
	assert_memory_equal(b.data, "456789", 6);
	assert_int_equal(buf_append(&b, "abcd", 4), 0);
	buf_release(&b);
	assert_null(b.data);
}

static const char *json_of(struct buf *b, const char *s)
{
	b->len = 0;
	assert_int_equal(json_put_str(b, s), 0);
	buf_put_u8(b, 0);
	return (const char *)b->data;
}

static void test_json_escaping(void **state)
{
	struct buf b;
	(void)state;

	buf_init(&b, 4096);
	assert_string_equal(json_of(&b, "plain"), "\"plain\"");
	assert_string_equal(json_of(&b, "q\"b\\n\n"), "\"q\\\"b\\\\n\\n\"");
	assert_string_equal(json_of(&b, "<script>&"), "\"\\u003cscript\\u003e\\u0026\"");
	assert_string_equal(json_of(&b, "\x01\x7f"), "\"\\u0001\\u007f\"");
	assert_string_equal(json_of(&b, "caf\xc3\xa9"), "\"caf\xc3\xa9\"");
	/* C1 controls (CSI U+009B, NEL U+0085) are escaped like C0; U+00A0 is not */
	assert_string_equal(json_of(&b, "\xc2\x9b" "31m\xc2\x85\xc2\xa0"),
			    "\"\\u009b31m\\u0085\xc2\xa0\"");
	assert_string_equal(json_of(&b, "bad\xff\xc3("), "\"bad\\ufffd\\ufffd(\"");
	assert_string_equal(json_of(&b, "\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	b.len = 0;
	assert_int_equal(json_put_double(&b, 1.0 / 0.0), 0);
	assert_int_equal(json_put_raw(&b, ","), 0);
	assert_int_equal(json_put_double(&b, 0.25), 0);
	buf_put_u8(&b, 0);
	assert_string_equal((char *)b.data, "null,0.25");
	buf_release(&b);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(name_valid("evsrv01"));
	assert_true(name_valid("body-cam_2.a"));
	assert_false(name_valid(""));
	assert_false(name_valid(".hidden"));
	assert_false(name_valid(".."));
	assert_false(name_valid("a/b"));
	assert_false(name_valid("a b"));
	assert_false(name_valid("caf\xc3\xa9"));
	assert_true(name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(name_valid("01234567890123456789012345678901234567890123456789012345678901234"));
}

static void test_name_printable(void **state)
{
	char out[8];
	(void)state;

	name_printable("a\nb\x1b[c\xc3", out, sizeof out);
	assert_string_equal(out, "a?b?[c?");
	name_printable("0123456789", out, sizeof out);
	assert_string_equal(out, "0123456");
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

static void test_strmap(void **state)
{
	struct strmap m;
	char key[32];
	const char *k;
	void *v;
	size_t seen = 0;
	(void)state;

	strmap_init(&m);
	for (uintptr_t i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "agent%lu", (unsigned long)i);
		assert_int_equal(strmap_put(&m, key, (void *)(i + 1)), 0);
	}
	assert_int_equal(m.count, 5000);
	for (uintptr_t i = 0; i < 5000; i += 2) {
		snprintf(key, sizeof key, "agent%lu", (unsigned long)i);
		assert_ptr_equal(strmap_del(&m, key), (void *)(i + 1));
	}
	assert_int_equal(m.count, 2500);
	assert_null(strmap_get(&m, "agent0"));
	assert_ptr_equal(strmap_get(&m, "agent1"), (void *)2);
	assert_int_equal(strmap_put(&m, "agent1", (void *)77), 0); /* replace */
	assert_ptr_equal(strmap_get(&m, "agent1"), (void *)77);
	for (size_t pos = 0; strmap_next(&m, &pos, &k, &v);)
		seen++;
	assert_int_equal(seen, 2500);
	/* reinsert after deletes reuses tombstones without losing entries */
	for (uintptr_t i = 0; i < 5000; i += 2) {
		snprintf(key, sizeof key, "agent%lu", (unsigned long)i);
		assert_int_equal(strmap_put(&m, key, (void *)(i + 1)), 0);
	}
	assert_int_equal(m.count, 5000);
	assert_ptr_equal(strmap_get(&m, "agent4998"), (void *)4999);
	strmap_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),   cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_names),     cmocka_unit_test(test_name_printable),
		cmocka_unit_test(test_store_key), cmocka_unit_test(test_strmap),
	};
	return cmocka_run_group_tests_name("containers", tests, NULL, NULL);
}
