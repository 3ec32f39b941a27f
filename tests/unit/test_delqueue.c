/*
 * test_delqueue.c - deletion reports wait until every collector that takes
 * them has acknowledged them, are read again after a reconnect, and a full
 * queue drops the oldest.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent/delqueue.h"
#include "shrinkwatch/log.h"

static struct sw_deletion report(uint64_t files)
{
	struct sw_deletion d;

	memset(&d, 0, sizeof d);
	snprintf(d.store, sizeof d.store, "bodycam");
	d.first = d.last = 1700000000;
	d.files = files;
	snprintf(d.dir, sizeof d.dir, "2023/08/");
	snprintf(d.exe, sizeof d.exe, "/usr/bin/rsync");
	d.pid = 4312;
	return d;
}

static void test_ids_rise_and_acks_trim(void **state)
{
	struct sw_deletion d[3] = { report(1), report(2), report(3) }, out[4];
	struct delqueue q;
	(void)state;

	assert_int_equal(delqueue_init(&q, 8, 2), 0);
	for (int i = 0; i < 3; i++)
		delqueue_push(&q, &d[i]);
	assert_true(d[0].id < d[1].id && d[1].id < d[2].id);
	assert_int_equal(delqueue_read(&q, 0, out, 4), 3);
	assert_int_equal(out[2].files, 3);
	/* after a reconnect the reader asks again from its last ack */
	assert_int_equal(delqueue_read(&q, d[0].id, out, 4), 2);
	assert_int_equal(out[0].id, d[1].id);
	/* one collector's ack keeps them for the other */
	delqueue_ack(&q, 0, d[2].id);
	assert_int_equal(delqueue_pending(&q), 3);
	delqueue_ack(&q, 1, d[1].id);
	assert_int_equal(delqueue_pending(&q), 1);
	assert_int_equal(delqueue_acked(&q, 1), d[1].id);
	/* a version-1 collector holds nothing back */
	delqueue_set_reader(&q, 1, false);
	assert_int_equal(delqueue_pending(&q), 0);
	delqueue_release(&q);
}

static void test_full_queue_drops_oldest(void **state)
{
	struct sw_deletion d, out[4];
	struct delqueue q;
	(void)state;

	log_force_stderr(true);
	log_set_level(LOG_ERR);
	assert_int_equal(delqueue_init(&q, 3, 1), 0);
	for (uint64_t i = 1; i <= 5; i++) {
		d = report(i);
		delqueue_push(&q, &d);
	}
	assert_int_equal(delqueue_pending(&q), 3);
	assert_int_equal(q.dropped, 2);
	assert_int_equal(delqueue_read(&q, 0, out, 4), 3);
	assert_int_equal(out[0].files, 3);
	assert_int_equal(out[2].files, 5);
	delqueue_release(&q);
	assert_int_equal(delqueue_init(&q, 0, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_rise_and_acks_trim),
		cmocka_unit_test(test_full_queue_drops_oldest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
