/*
 * test_objstore_replay.c - an object store's listing replayed into the
 * manifest (agent/objstore_replay.h): exact removals by key between two
 * listings, moves (same ETag and size under a new key), hostile keys (a
 * newline, invalid UTF-8, "a//b", a folder placeholder "f/", a leading '/',
 * a 600-byte name, 20 levels) coming back byte for byte, a flat bucket of
 * 20,000 keys cut into records, and a listing out of order (totals only,
 * nothing reported).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/manifest.h"
#include "agent/objstore.h"
#include "agent/objstore_replay.h"
#include "shrinkwatch/log.h"

#define T1 1800000000
#define T2 (T1 + 600)

struct key {
	char k[1100];
	size_t len;
	uint64_t size;
	const char *etag;
};

struct run {
	char dir[64], file[128];
	struct manifest *m;
	char removed[64][1100];
	size_t removed_len[64], nremoved;
	struct sw_sample s;
};

static int on_removed(void *ud, const struct manifest_removed *r)
{
	struct run *run = ud;

	if (run->nremoved < 64 && r->pathlen < sizeof run->removed[0]) {
		memcpy(run->removed[run->nremoved], r->path, r->pathlen);
		run->removed_len[run->nremoved] = r->pathlen;
	}
	run->nremoved++;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->k, y->k, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void put64(FILE *f, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
		fputc((int)(v >> (8 * i)) & 0xff, f);
}

/* Writes a listing file the way objstore.c does (sorted unless told not). */
static void write_listing(struct run *r, struct key *k, size_t n, int sort)
{
	FILE *f;

	if (sort)
		qsort(k, n, sizeof *k, key_cmp);
	f = fopen(r->file, "wb");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		fputc((int)(k[i].len >> 8), f);
		fputc((int)(k[i].len & 0xff), f);
		fwrite(k[i].k, 1, k[i].len, f);
		put64(f, k[i].size);
		/* no ETag given: one of its own (the key's) */
		put64(f, k[i].etag ? objstore__hash64(k[i].etag, strlen(k[i].etag))
				   : objstore__hash64(k[i].k, k[i].len));
		put64(f, T1 - 86400);
	}
	assert_int_equal(fclose(f), 0);
}

static void setup_run(struct run *r)
{
	memset(r, 0, sizeof *r);
	log_force_stderr(true);
	log_set_level(LOG_ERR);
	snprintf(r->dir, sizeof r->dir, "/tmp/sw-replay-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->file, sizeof r->file, "%s/listing", r->dir);
	assert_int_equal(manifest_open(r->dir, "bucket", &r->m), 0);
}

static void teardown_run(struct run *r)
{
	char cmd[200];

	manifest_close(r->m);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
	assert_int_equal(system(cmd), 0);
}

/* Replays the listing as the listing that started at start, after prev. */
static int replay(struct run *r, int64_t prev, int64_t start)
{
	struct scan_options opt = { .manifest = r->m, .removed = on_removed, .removed_ud = r,
				    .retention = 3600 * 24 * 30 };
	int err;

	opt.start.tv_sec = start;
	opt.prev_start.tv_sec = prev;
	memset(&r->s, 0, sizeof r->s);
	snprintf(r->s.store, sizeof r->s.store, "bucket");
	r->s.status = SW_SCAN_COMPLETE;
	r->nremoved = 0;
	err = objstore_replay(r->file, &opt, &r->s);
	assert_int_equal(manifest_commit(r->m), 0);
	return err;
}

static void add(struct key *k, size_t *n, const char *key, size_t len, uint64_t size,
		const char *etag)
{
	memcpy(k[*n].k, key, len);
	k[*n].len = len;
	k[*n].size = size;
	k[*n].etag = etag;
	(*n)++;
}

static int was_removed(const struct run *r, const char *key, size_t len)
{
	for (size_t i = 0; i < r->nremoved && i < 64; i++)
		if (r->removed_len[i] == len && !memcmp(r->removed[i], key, len))
			return 1;
	return 0;
}

static void test_removed_and_moved(void **state)
{
	struct run r;
	static struct key k[16];
	size_t n = 0;

	(void)state;
	setup_run(&r);
	add(k, &n, "cam1/2024/a.mp4", 15, 100, "\"e1\"");
	add(k, &n, "cam1/2024/b.mp4", 15, 200, "\"e2\"");
	add(k, &n, "cam1/c.mp4", 10, 300, "\"e3\"");
	add(k, &n, "cam2/d.mp4", 10, 400, "\"e4\"");
	add(k, &n, "top.mp4", 7, 500, "\"e5\"");
	write_listing(&r, k, n, 1);
	assert_int_equal(replay(&r, 0, T1), 0);
	assert_false(r.s.flags & SW_SAMPLE_EXACT); /* nothing before it */
	assert_int_equal(r.nremoved, 0);

	/* b.mp4 and top.mp4 deleted; d.mp4 copied to a new key and deleted
	 * (a move: same ETag and size); a new object */
	n = 0;
	add(k, &n, "cam1/2024/a.mp4", 15, 100, "\"e1\"");
	add(k, &n, "cam1/c.mp4", 10, 300, "\"e3\"");
	add(k, &n, "archive/d.mp4", 13, 400, "\"e4\"");
	add(k, &n, "cam3/new.mp4", 12, 50, "\"e9\"");
	write_listing(&r, k, n, 1);
	assert_int_equal(replay(&r, T1, T2), 0);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_true(r.s.flags & SW_SAMPLE_YOUNG_SPLIT);
	assert_int_equal(r.s.removed_objects, 2);
	assert_int_equal(r.s.removed_bytes, 700);
	assert_int_equal(r.s.removed_young_objects, 2);
	assert_int_equal(r.s.moved_objects, 1);
	assert_int_equal(r.s.moved_bytes, 400);
	assert_int_equal(r.nremoved, 2);
	assert_true(was_removed(&r, "cam1/2024/b.mp4", 15));
	assert_true(was_removed(&r, "top.mp4", 7));

	/* the same listing again: nothing removed, still exact */
	assert_int_equal(replay(&r, T2, T2 + 600), 0);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 0);
	assert_int_equal(r.s.moved_objects, 0);

	/* a listing whose previous one the manifest does not hold: not exact */
	assert_int_equal(replay(&r, T2 + 1, T2 + 1200), 0);
	assert_false(r.s.flags & SW_SAMPLE_EXACT);
	teardown_run(&r);
}

static void test_hostile_keys(void **state)
{
	struct run r;
	static struct key k[32];
	char longname[700], deep[200];
	size_t n = 0, keep;

	(void)state;
	setup_run(&r);
	memset(longname, 'L', sizeof longname);
	memcpy(longname, "v/", 2);
	deep[0] = 0;
	for (int i = 0; i < 20; i++)
		strcat(deep, "d/");
	strcat(deep, "x");
	add(k, &n, "keep", 4, 1, "\"k\"");
	keep = n;
	add(k, &n, "cam/line\nbreak.mp4", 18, 10, "\"h1\"");
	add(k, &n, "bad\xff\xfe.mp4", 10, 11, "\"h2\"");
	add(k, &n, "a//b", 4, 12, "\"h3\"");
	add(k, &n, "f/", 2, 0, "\"h4\"");
	add(k, &n, "/lead", 5, 13, "\"h5\"");
	add(k, &n, "/", 1, 0, "\"h6\"");
	add(k, &n, longname, 602, 14, "\"h7\"");
	add(k, &n, deep, strlen(deep), 15, "\"h8\"");
	add(k, &n, "f/inside", 8, 16, "\"h9\"");
	write_listing(&r, k, n, 1);
	assert_int_equal(replay(&r, 0, T1), 0);

	/* everything but "keep" deleted: each key comes back byte for byte */
	n = 0;
	add(k, &n, "keep", 4, 1, "\"k\"");
	write_listing(&r, k, n, 1);
	assert_int_equal(replay(&r, T1, T2), 0);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 9);
	assert_int_equal(r.nremoved, 9);
	(void)keep;
	assert_true(was_removed(&r, "cam/line\nbreak.mp4", 18));
	assert_true(was_removed(&r, "bad\xff\xfe.mp4", 10));
	assert_true(was_removed(&r, "a//b", 4));
	assert_true(was_removed(&r, "f/", 2));
	assert_true(was_removed(&r, "/lead", 5));
	assert_true(was_removed(&r, "/", 1));
	assert_true(was_removed(&r, longname, 602));
	assert_true(was_removed(&r, deep, strlen(deep)));
	assert_true(was_removed(&r, "f/inside", 8));
	teardown_run(&r);
}

static void test_flat_bucket(void **state)
{
	struct run r;
	size_t cap = 20001, n = 0;
	struct key *k = calloc(cap, sizeof *k);
	uint64_t dirs, files, disk;
	char name[32];

	(void)state;
	assert_non_null(k);
	setup_run(&r);
	for (int i = 0; i < 20000; i++) {
		int len = snprintf(name, sizeof name, "clip-%06d.mp4", i * 2);

		add(k, &n, name, (size_t)len, 1000, NULL);
	}
	write_listing(&r, k, n, 1);
	assert_int_equal(replay(&r, 0, T1), 0);
	manifest_counts(r.m, &dirs, &files, &disk);
	assert_int_equal(files, 20000);
	assert_true(dirs >= 20000 / OBJSTORE_REPLAY_CHUNK_MAX + 1); /* cut into records */

	/* three deleted, one uploaded between two others (etag unseen) */
	n = 0;
	for (int i = 0; i < 20000; i++) {
		int len = snprintf(name, sizeof name, "clip-%06d.mp4", i * 2);

		if (i == 5 || i == 9000 || i == 19999)
			continue;
		add(k, &n, name, (size_t)len, 1000, NULL);
	}
	add(k, &n, "clip-010001.mp4", 15, 7, "\"fresh\"");
	write_listing(&r, k, n, 1);
	assert_int_equal(replay(&r, T1, T2), 0);
	assert_true(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.s.removed_objects, 3);
	assert_int_equal(r.nremoved, 3);
	assert_true(was_removed(&r, "clip-000010.mp4", 15));
	assert_true(was_removed(&r, "clip-018000.mp4", 15));
	assert_true(was_removed(&r, "clip-039998.mp4", 15));
	free(k);
	teardown_run(&r);
}

static void test_out_of_order(void **state)
{
	struct run r;
	static struct key k[8];
	size_t n = 0;

	(void)state;
	setup_run(&r);
	add(k, &n, "a/1", 3, 1, "\"1\"");
	add(k, &n, "a/2", 3, 1, "\"2\"");
	add(k, &n, "b/1", 3, 1, "\"3\"");
	write_listing(&r, k, n, 1);
	assert_int_equal(replay(&r, 0, T1), 0);
	/* "a/2" comes after "b/1": the listing cannot be trusted for removals */
	n = 0;
	add(k, &n, "a/1", 3, 1, "\"1\"");
	add(k, &n, "b/1", 3, 1, "\"3\"");
	add(k, &n, "a/2", 3, 1, "\"2\"");
	write_listing(&r, k, n, 0);
	assert_int_equal(replay(&r, T1, T2), -EILSEQ);
	assert_false(r.s.flags & SW_SAMPLE_EXACT);
	assert_int_equal(r.nremoved, 0);
	/* nor is the next one exact: the manifest's last scan was not complete */
	write_listing(&r, k, n, 1);
	assert_int_equal(replay(&r, T2, T2 + 600), 0);
	assert_false(r.s.flags & SW_SAMPLE_EXACT);
	teardown_run(&r);
}

static void test_key_decoding(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(objstore__replay_key("a/b", 3, out, sizeof out), 3);
	assert_memory_equal(out, "a/b", 3);
	assert_int_equal(objstore__replay_key("d\0#0123456789abcdef\0/n", 22, out, sizeof out), 3);
	assert_memory_equal(out, "d/n", 3);
	assert_int_equal(objstore__replay_key("\0#0123456789abcdef\0/n", 21, out, sizeof out), 1);
	assert_memory_equal(out, "n", 1);
	assert_int_equal(objstore__replay_key("d\0+HE\0/ad", 9, out, sizeof out), 6);
	assert_memory_equal(out, "d/HEad", 6);
	assert_int_equal(objstore__replay_key("d\0.\0//", 6, out, sizeof out), 2);
	assert_memory_equal(out, "d/", 2);
	/* malformed: no second NUL, or no '/' after it */
	assert_int_equal(objstore__replay_key("d\0#xx", 5, out, sizeof out), 0);
	assert_int_equal(objstore__replay_key("d\0#x\0n", 6, out, sizeof out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_removed_and_moved),
		cmocka_unit_test(test_hostile_keys),
		cmocka_unit_test(test_flat_bucket),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_key_decoding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
