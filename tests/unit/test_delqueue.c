/*
 * test_delqueue.c - deletion reports wait until every collector that takes
 * them has acknowledged them, are read again after a reconnect, and a full
 * queue drops the oldest; with a journal they survive a restart (with their
 * ids, new ids above them), a torn last record is cut off, and the file is
 * emptied or rewritten once acknowledged reports dominate it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "agent/delqueue.h"
#include "shrinkwatch/log.h"
#include "testutil.h"

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

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static void test_journal_survives_restart(void **state)
{
	char dir[128], path[256];
	struct sw_deletion d[3] = { report(40), report(25), report(7) }, out[8], e;
	struct delqueue q;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/deletions.journal", dir);
	assert_int_equal(delqueue_init(&q, 8, 1), 0);
	assert_int_equal(delqueue_persist(&q, path), 0);
	for (int i = 0; i < 3; i++)
		delqueue_push(&q, &d[i]);
	delqueue_ack(&q, 0, d[0].id); /* the first was delivered */
	delqueue_release(&q); /* the agent stops (or dies: every push was synced) */

	assert_int_equal(delqueue_init(&q, 8, 1), 0);
	assert_int_equal(delqueue_persist(&q, path), 0);
	/* what was not compacted away comes back, ids and all; the collector
	 * stores each (agent, id) once, so the delivered one is harmless */
	assert_true(delqueue_read(&q, d[0].id, out, 8) == 2);
	assert_int_equal(out[0].id, d[1].id);
	assert_int_equal(out[0].files, 25);
	assert_string_equal(out[0].exe, "/usr/bin/rsync");
	assert_int_equal(out[1].id, d[2].id);
	/* new reports get ids above the restored ones */
	e = report(1);
	delqueue_push(&q, &e);
	assert_true(e.id > d[2].id);
	/* everything acknowledged: the file is emptied */
	delqueue_ack(&q, 0, e.id);
	assert_int_equal(delqueue_pending(&q), 0);
	assert_int_equal(file_size(path), 0);
	delqueue_release(&q);
	tu_rmrf(dir);
}

static void test_journal_torn_tail_and_bound(void **state)
{
	char dir[128], path[256];
	struct sw_deletion d, out[8];
	struct delqueue q;
	uint64_t last = 0;
	off_t full;
	FILE *f;
	(void)state;

	log_force_stderr(true);
	log_set_level(LOG_ERR);
	tu_mkdtemp(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/deletions.journal", dir);
	assert_int_equal(delqueue_init(&q, 4, 1), 0);
	assert_int_equal(delqueue_persist(&q, path), 0);
	for (uint64_t i = 1; i <= 2; i++) {
		d = report(i);
		delqueue_push(&q, &d);
	}
	delqueue_release(&q);
	/* a crash mid-write leaves half a record */
	full = file_size(path);
	f = fopen(path, "a");
	assert_non_null(f);
	fwrite("SWR1\0\0", 1, 6, f);
	fclose(f);
	assert_int_equal(delqueue_init(&q, 4, 1), 0);
	assert_int_equal(delqueue_persist(&q, path), 0);
	assert_int_equal(delqueue_read(&q, 0, out, 8), 2);
	assert_int_equal(file_size(path), full);
	/* many reports, each acknowledged but the newest: the file stays
	 * bounded by the slack, not by how many went through */
	for (int i = 0; i < 3 * DELQUEUE_JOURNAL_SLACK; i++) {
		d = report(100 + (uint64_t)i);
		delqueue_push(&q, &d);
		if (last)
			delqueue_ack(&q, 0, last);
		last = d.id;
	}
	assert_int_equal(delqueue_pending(&q), 1);
	assert_true(q.journal.records <= 2 + DELQUEUE_JOURNAL_SLACK);
	assert_true(file_size(path) < full * (DELQUEUE_JOURNAL_SLACK + 2));
	delqueue_release(&q);
	/* and what it holds after a restart is the one still waiting (and
	 * acknowledged ones not yet compacted away) */
	assert_int_equal(delqueue_init(&q, 4, 1), 0);
	assert_int_equal(delqueue_persist(&q, path), 0);
	assert_true(delqueue_read(&q, 0, out, 8) >= 1);
	assert_int_equal(delqueue_read(&q, last - 1, out, 8), 1);
	assert_int_equal(out[0].id, last);
	delqueue_release(&q);
	tu_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_rise_and_acks_trim),
		cmocka_unit_test(test_full_queue_drops_oldest),
		cmocka_unit_test(test_journal_survives_restart),
		cmocka_unit_test(test_journal_torn_tail_and_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
