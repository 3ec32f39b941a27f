/* test_spool.c - the agent's on-disk spool: append, read from any seq, trim
 * at the slowest reader's ack, survive a reopen, skip a corrupt record, cut a
 * torn tail, drop the oldest past the bound with a gap marker. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/spool.h"
#include "agent/spool_record.h"
#include "shrinkwatch/log.h"
#include "testutil.h"

static void fill(struct sw_sample *s, uint64_t seq)
{
	memset(s, 0, sizeof *s);
	s->seq = seq;
	s->time = 1700000000 + (int64_t)seq;
	snprintf(s->store, sizeof s->store, "store%llu", (unsigned long long)(seq % 3));
	s->objects = seq * 10;
	s->bytes = seq * 1000;
	s->flags = SW_SAMPLE_HAS_ADDED;
}

static void append_range(struct spool *sp, uint64_t from, uint64_t to)
{
	struct sw_sample s;

	for (uint64_t q = from; q <= to; q++) {
		fill(&s, q);
		assert_int_equal(spool_append(sp, &s, 1), 0);
	}
}

static int count_segments(const char *dir)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.seg$'", dir);
	p = popen(cmd, "r");
	if (!p || fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static void test_append_read_reopen(void **state)
{
	char dir[128], sdir[160];
	struct spool sp;
	struct sw_sample out[64], want;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(sdir, sizeof sdir, "%s/spool", dir);
	assert_int_equal(spool_open(&sp, sdir, SPOOL_FSYNC_ALWAYS, 0, 2), 0);
	append_range(&sp, 1, 50);
	memset(out, 0, sizeof out);
	assert_int_equal(spool_read(&sp, 0, 0, out, 64), 50);
	fill(&want, 17);
	assert_memory_equal(&out[16], &want, sizeof want);
	assert_int_equal(spool_read(&sp, 1, 45, out, 64), 5);
	assert_int_equal(out[0].seq, 46);
	/* a seq not above the last is refused */
	fill(&want, 50);
	assert_int_equal(spool_append(&sp, &want, 1), -EINVAL);
	spool_close(&sp);

	/* everything survives a reopen, and the last seq with it */
	assert_int_equal(spool_open(&sp, sdir, SPOOL_FSYNC_NEVER, 0, 2), 0);
	assert_int_equal(spool_last_seq(&sp), 50);
	assert_int_equal(spool_read(&sp, 0, 10, out, 64), 40);
	assert_int_equal(out[39].seq, 50);
	assert_int_equal(spool_pending(&sp, 0), 50);
	spool_close(&sp);
	tu_rmrf(dir);
}

static void test_trim_at_slowest_reader(void **state)
{
	char dir[128], sdir[160];
	struct spool sp;
	struct sw_sample out[16];
	int before;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(sdir, sizeof sdir, "%s/spool", dir);
	/* 1 MiB bound: 64 KiB segments, a few hundred records each */
	assert_int_equal(spool_open(&sp, sdir, SPOOL_FSYNC_NEVER, 1 << 20, 2), 0);
	append_range(&sp, 1, 2000);
	before = count_segments(sdir);
	assert_true(before >= 3);
	spool_ack(&sp, 0, 2000);
	assert_int_equal(count_segments(sdir), before); /* reader 1 still needs them */
	spool_ack(&sp, 1, 1500);
	assert_true(count_segments(sdir) < before);
	assert_int_equal(spool_read(&sp, 1, 1500, out, 16), 16);
	assert_int_equal(out[0].seq, 1501);
	spool_ack(&sp, 1, 2000);
	assert_int_equal(count_segments(sdir), 1); /* the newest stays */
	assert_int_equal(spool_read(&sp, 0, 2000, out, 16), 0);
	spool_close(&sp);
	assert_int_equal(spool_open(&sp, sdir, SPOOL_FSYNC_NEVER, 1 << 20, 2), 0);
	assert_int_equal(spool_last_seq(&sp), 2000);
	spool_close(&sp);
	tu_rmrf(dir);
}

static void test_corrupt_record_skipped(void **state)
{
	char dir[128], sdir[160], seg[256];
	struct spool sp;
	struct sw_sample out[64];
	struct buf rec;
	struct sw_sample s;
	int fd;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(sdir, sizeof sdir, "%s/spool", dir);
	assert_int_equal(spool_open(&sp, sdir, SPOOL_FSYNC_NEVER, 0, 1), 0);
	append_range(&sp, 1, 10);
	spool_close(&sp);

	/* flip a byte inside the 4th record's payload */
	fill(&s, 1);
	buf_init(&rec, 1 << 16);
	assert_int_equal(spool_record_encode(&rec, &s), 0);
	snprintf(seg, sizeof seg, "%s/%020d.seg", sdir, 1);
	fd = open(seg, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, (off_t)(3 * rec.len + 40)), 1);
	/* and leave half a record at the end, as a crash mid-append would */
	assert_int_equal(pwrite(fd, rec.data, rec.len / 2, lseek(fd, 0, SEEK_END)), (ssize_t)(rec.len / 2));
	close(fd);
	buf_release(&rec);

	assert_int_equal(spool_open(&sp, sdir, SPOOL_FSYNC_NEVER, 0, 1), 0);
	assert_int_equal(sp.corrupt, 1);
	assert_int_equal(spool_read(&sp, 0, 0, out, 64), 9);
	assert_int_equal(out[2].seq, 3);
	assert_int_equal(out[3].seq, 5); /* 4 is gone, the rest survives */
	/* the torn tail was cut: appending goes on cleanly after it */
	append_range(&sp, 11, 12);
	assert_int_equal(spool_read(&sp, 0, 9, out, 64), 3);
	assert_int_equal(out[2].seq, 12);
	spool_close(&sp);
	tu_rmrf(dir);
}

static void test_bound_drops_oldest_with_gap(void **state)
{
	char dir[128], sdir[160];
	struct spool sp;
	struct sw_sample out[4];
	uint64_t first;
	(void)state;

	tu_mkdtemp(dir, sizeof dir);
	snprintf(sdir, sizeof sdir, "%s/spool", dir);
	assert_int_equal(spool_open(&sp, sdir, SPOOL_FSYNC_NEVER, 1 << 20, 1), 0);
	append_range(&sp, 1, 20000); /* several MiB: far past the bound */
	assert_true(sp.total_bytes <= sp.max_bytes);
	assert_true(sp.dropped > 0);
	assert_int_equal(spool_read(&sp, 0, 0, out, 4), 4);
	first = out[0].seq;
	assert_true(first > 1);
	assert_int_equal(first, sp.dropped + 1);
	assert_true(out[0].flags & SW_SAMPLE_GAP);
	assert_false(out[1].flags & SW_SAMPLE_GAP);
	spool_close(&sp);
	/* the gap marker survives a restart until it is delivered */
	assert_int_equal(spool_open(&sp, sdir, SPOOL_FSYNC_NEVER, 1 << 20, 1), 0);
	assert_int_equal(spool_read(&sp, 0, 0, out, 4), 4);
	assert_true(out[0].flags & SW_SAMPLE_GAP);
	spool_ack(&sp, 0, first);
	spool_close(&sp);
	assert_int_equal(spool_open(&sp, sdir, SPOOL_FSYNC_NEVER, 1 << 20, 1), 0);
	assert_int_equal(sp.gap_seq, 0);
	spool_close(&sp);
	tu_rmrf(dir);
}

static void test_record_parse(void **state)
{
	struct buf rec;
	struct sw_sample s, back;
	(void)state;

	fill(&s, 99);
	buf_init(&rec, 1 << 16);
	assert_int_equal(spool_record_encode(&rec, &s), 0);
	memset(&back, 0, sizeof back);
	assert_int_equal(spool_record_parse(rec.data, rec.len, &back), (long)rec.len);
	assert_memory_equal(&s, &back, sizeof s);
	assert_int_equal(spool_record_parse(rec.data, rec.len - 1, &back), 0);
	rec.data[rec.len - 1] ^= 1;
	assert_int_equal(spool_record_parse(rec.data, rec.len, &back), -EBADMSG);
	/* the next place to try is past the start, and holds no record */
	{
		size_t at = spool_record_resync(rec.data, rec.len);
		assert_true(at > 0 && at <= rec.len);
		assert_true(at == rec.len || spool_record_parse(rec.data + at, rec.len - at, &back) <= 0);
	}
	buf_release(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_read_reopen),
		cmocka_unit_test(test_trim_at_slowest_reader),
		cmocka_unit_test(test_corrupt_record_skipped),
		cmocka_unit_test(test_bound_drops_oldest_with_gap),
		cmocka_unit_test(test_record_parse),
	};

	log_init("test_spool", LOG_WARNING);
	log_force_stderr(true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
