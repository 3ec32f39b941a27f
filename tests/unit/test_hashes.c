/*
 * test_hashes.c - content hashes (agent/hashes.h): the rate cap, the side
 * file (kept across a restart, rebuilt when damaged), re-hashing only what
 * changed, a silent alteration (same size, mtime restored) caught only by
 * the full rehash, and content digests from the copy digests.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "agent/digests.h"
#include "agent/hashes.h"
#include "agent/manifest.h"
#include "scan_tree.h"
#include "shrinkwatch/log.h"

static void check(int ret)
{
	assert_int_equal(ret, 0);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sha256_file(const char *path, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536];
	unsigned len = 0;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
	close(fd);
}

static void write_file(const char *root, const char *rel, const char *content)
{
	char p[2048];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void stat_file(const char *root, const char *rel, struct stat *st)
{
	char p[2048];

	snprintf(p, sizeof p, "%s/%s", root, rel);
	check(stat(p, st));
}

/* Hashing 20 MB at 10 MB/s takes about 2 s (never less), and the hash is
 * sha256sum's. */
static void test_rate_cap(void **state)
{
	char root[1024], path[1100];
	uint8_t got[HASHES_LEN], want[HASHES_LEN];
	struct hashes_rate r = { .rate = 10u << 20 };
	uint64_t size;
	int64_t mtime;
	double t0, took;
	int fd;
	(void)state;

	check(tree_make_root(root, sizeof root));
	check(tree_file(root, "big.bin", 20u << 20));
	snprintf(path, sizeof path, "%s/big.bin", root);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "evidence", 8, 12345), 8); /* not all zeros */
	close(fd);
	t0 = now_s();
	check(hashes_file(&r, path, got, &size, &mtime));
	took = now_s() - t0;
	sha256_file(path, want);
	assert_memory_equal(got, want, HASHES_LEN);
	assert_int_equal(size, 20u << 20);
	print_message("hashing 20 MB at 10 MB/s took %.2f s\n", took);
	assert_true(took >= 1.95);
	assert_true(took < 8.0); /* tolerant: a loaded 2-core machine */
	/* not a regular file; a file that is not there */
	assert_int_equal(hashes_file(&r, root, got, &size, &mtime), -EINVAL);
	snprintf(path, sizeof path, "%s/none", root);
	assert_int_equal(hashes_file(&r, path, got, &size, &mtime), -ENOENT);
	tree_remove(root);
}

struct hfx {
	char root[1024], state[1024];
	struct hashes *h;
};

static void hopen(struct hfx *f, uint64_t rehash_s)
{
	check(hashes_open(f->state, 1ull << 30, rehash_s, &f->h));
	check(hashes_add_store(f->h, "cam", f->root));
	check(hashes_start(f->h));
}

/* One job over the given files (as the digests' build makes it), waited for. */
static void run_job(struct hfx *f, const char *const *rels, size_t n)
{
	struct hashes_job *j;

	check(hashes_job_begin(f->h, "cam", &j));
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		uint8_t hash[HASHES_LEN];
		int known;

		stat_file(f->root, rels[i], &st);
		known = hashes_lookup(f->h, "cam", rels[i], strlen(rels[i]), (uint64_t)st.st_size,
				      st.st_mtime, hash);
		check(hashes_job_file(j, rels[i], strlen(rels[i]), (uint64_t)st.st_size,
				      st.st_mtime, known));
	}
	check(hashes_job_submit(j));
	check(hashes_wait_idle(f->h, 30000));
}

/* 1 and hash when the file's current hash is known. */
static int lookup(struct hfx *f, const char *rel, uint8_t *hash)
{
	struct stat st;

	stat_file(f->root, rel, &st);
	return hashes_lookup(f->h, "cam", rel, strlen(rel), (uint64_t)st.st_size, st.st_mtime,
			     hash);
}

static const char *const files[] = { "a.mp4", "sub/b.mp4" };

static void test_side_file(void **state)
{
	struct hfx f;
	uint8_t got[HASHES_LEN], want[HASHES_LEN];
	char p[2048];
	int fd;
	(void)state;

	log_force_stderr(true);
	log_set_level(LOG_CRIT);
	check(tree_make_root(f.root, sizeof f.root));
	check(tree_make_root(f.state, sizeof f.state));
	check(tree_mkdir(f.root, "sub"));
	write_file(f.root, "a.mp4", "first clip");
	write_file(f.root, "sub/b.mp4", "second clip");
	hopen(&f, 86400);
	assert_false(lookup(&f, "a.mp4", got));
	run_job(&f, files, 2);
	assert_true(lookup(&f, "a.mp4", got));
	snprintf(p, sizeof p, "%s/a.mp4", f.root);
	sha256_file(p, want);
	assert_memory_equal(got, want, HASHES_LEN);
	assert_false(hashes_rehash_due(f.h, "cam")); /* the first job was the full one */
	hashes_close(f.h);
	/* kept across a restart */
	hopen(&f, 86400);
	assert_true(lookup(&f, "sub/b.mp4", got));
	hashes_close(f.h);
	/* one byte damaged: set aside, rebuilt (nothing known, every file again) */
	snprintf(p, sizeof p, "%s/hashes/cam.swh", f.state);
	fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 64 + 40), 1);
	close(fd);
	hopen(&f, 86400);
	assert_false(lookup(&f, "a.mp4", got));
	snprintf(p, sizeof p, "%s/hashes/cam.swh.damaged", f.state);
	assert_int_equal(access(p, F_OK), 0);
	assert_true(hashes_rehash_due(f.h, "cam"));
	run_job(&f, files, 2);
	assert_true(lookup(&f, "a.mp4", got));
	assert_memory_equal(got, want, HASHES_LEN);
	hashes_close(f.h);
	tree_remove(f.root);
	tree_remove(f.state);
}

/* A changed file is hashed again; a file altered with its size and mtime
 * restored keeps its old hash until the full rehash. */
static void test_changed_and_silent(void **state)
{
	struct hfx f;
	uint8_t before[HASHES_LEN], got[HASHES_LEN], want[HASHES_LEN];
	struct timespec times[2];
	struct stat st;
	char p[2048];
	double deadline;
	(void)state;

	log_force_stderr(true);
	log_set_level(LOG_CRIT);
	check(tree_make_root(f.root, sizeof f.root));
	check(tree_make_root(f.state, sizeof f.state));
	check(tree_mkdir(f.root, "sub"));
	write_file(f.root, "a.mp4", "first clip");
	write_file(f.root, "sub/b.mp4", "second clip");
	hopen(&f, 2);
	run_job(&f, files, 2);
	assert_true(lookup(&f, "sub/b.mp4", before));
	/* a visible change (new size): stale, hashed again by the next job */
	write_file(f.root, "a.mp4", "first clip, longer");
	assert_false(lookup(&f, "a.mp4", got));
	run_job(&f, files, 2);
	assert_true(lookup(&f, "a.mp4", got));
	snprintf(p, sizeof p, "%s/a.mp4", f.root);
	sha256_file(p, want);
	assert_memory_equal(got, want, HASHES_LEN);
	/* a silent change: same size, mtime restored */
	stat_file(f.root, "sub/b.mp4", &st);
	write_file(f.root, "sub/b.mp4", "SECOND clip");
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	snprintf(p, sizeof p, "%s/sub/b.mp4", f.root);
	check(utimensat(AT_FDCWD, p, times, 0));
	if (hashes_rehash_due(f.h, "cam")) {
		/* the machine was slow: the full rehash is already due; skip the
		 * "not caught yet" half rather than assert something untrue */
		print_message("full rehash already due; skipping the not-yet-caught check\n");
	} else {
		uint64_t gen = hashes_generation(f.h, "cam");

		run_job(&f, files, 2);
		/* nothing queued, nothing new: the digests are not rebuilt for it */
		assert_int_equal(hashes_generation(f.h, "cam"), gen);
		assert_true(lookup(&f, "sub/b.mp4", got));
		assert_memory_equal(got, before, HASHES_LEN); /* not caught: size and mtime agree */
	}
	deadline = now_s() + 30;
	while (!hashes_rehash_due(f.h, "cam")) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		assert_true(now_s() < deadline);
		nanosleep(&ts, NULL);
	}
	run_job(&f, files, 2);
	assert_true(lookup(&f, "sub/b.mp4", got));
	sha256_file(p, want);
	assert_memory_equal(got, want, HASHES_LEN); /* caught by the full rehash */
	assert_memory_not_equal(got, before, HASHES_LEN);
	hashes_close(f.h);
	tree_remove(f.root);
	tree_remove(f.state);
}

/* Content digests through the copy digests: a file's entry carries its
 * SHA-256 once hashed (zeros before), two copies compare equal by content,
 * a store without hash_contents refuses content requests. */
struct cap {
	struct sw_digests hdr;
	struct sw_digentry e[8];
	size_t n;
};

static int capture(void *ud, struct buf *frame)
{
	struct cap *c = ud;
	struct sw_frame f;

	assert_true(proto_frame_parse(frame->data, frame->len, &f) > 0);
	check(proto_decode_digests(&f, &c->hdr, c->e, 8, &c->n));
	buf_release(frame);
	return 0;
}

static void ask(struct digests *d, const char *store, const char *dir, uint8_t flags,
		struct cap *c)
{
	struct sw_digreq r = { .req_id = 3, .flags = flags };

	snprintf(r.store, sizeof r.store, "%s", store);
	snprintf(r.dir, sizeof r.dir, "%s", dir);
	memset(c, 0, sizeof *c);
	check(digests_answer(d, &r, capture, c));
}

static void put_dir(struct manifest *m, const char *root, const char *dir,
		    const char *const *names, size_t n)
{
	struct manifest_dirbuf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		char rel[1024];
		struct stat st;

		snprintf(rel, sizeof rel, "%s/%s", dir, names[i]);
		stat_file(root, rel, &st);
		check(manifest_dirbuf_add(&b, names[i], strlen(names[i]), (uint64_t)st.st_size,
					  st.st_ino, st.st_mtime, st.st_mtime));
	}
	check(manifest_dir_update(m, dir, strlen(dir), &b));
	manifest_dirbuf_release(&b);
}

static void test_content_digests(void **state)
{
	static const char *const names[] = { "x.mp4", "y.mp4" };
	struct hfx f;
	struct manifest *m;
	struct manifest_diff diff;
	struct digests *d;
	struct cap c;
	uint8_t src[SW_DIGEST_LEN], want[HASHES_LEN], zero[HASHES_LEN] = { 0 };
	char p[2048];
	(void)state;

	log_force_stderr(true);
	log_set_level(LOG_CRIT);
	check(tree_make_root(f.root, sizeof f.root));
	check(tree_make_root(f.state, sizeof f.state));
	check(tree_mkdir(f.root, "src"));
	check(tree_mkdir(f.root, "dst"));
	write_file(f.root, "src/x.mp4", "clip x");
	write_file(f.root, "src/y.mp4", "clip y");
	write_file(f.root, "dst/x.mp4", "clip x");
	write_file(f.root, "dst/y.mp4", "clip Y"); /* same size, other content */
	hopen(&f, 86400);
	check(manifest_open(f.state, "cam", &m));
	check(digests_open(f.state, 0, &d));
	check(manifest_begin(m, 1700000000));
	put_dir(m, f.root, "src", names, 2);
	put_dir(m, f.root, "dst", names, 2);
	check(manifest_finish(m, 1, 0, NULL, NULL, &diff));
	check(manifest_commit(m));
	check(digests_refresh(d, "cam", m, f.h));
	/* before the worker is done: zeros (or the hash, if it was quick) */
	check(hashes_wait_idle(f.h, 30000));
	check(digests_refresh(d, "cam", m, f.h)); /* new hashes: rebuilt */
	ask(d, "cam", "src", SW_DIG_CONTENT, &c);
	assert_int_equal(c.hdr.status, SW_DIG_LAST);
	assert_int_equal(c.n, 2);
	snprintf(p, sizeof p, "%s/src/x.mp4", f.root);
	sha256_file(p, want);
	assert_true(!memcmp(c.e[0].digest, want, HASHES_LEN) ||
		    !memcmp(c.e[1].digest, want, HASHES_LEN));
	assert_memory_not_equal(c.e[0].digest, zero, HASHES_LEN);
	memcpy(src, c.hdr.self, SW_DIGEST_LEN);
	/* by names and sizes the copies agree; by content they do not */
	ask(d, "cam", "dst", SW_DIG_CONTENT | SW_DIG_SELF, &c);
	assert_memory_not_equal(c.hdr.self, src, SW_DIGEST_LEN);
	ask(d, "cam", "src", SW_DIG_SELF, &c);
	memcpy(src, c.hdr.self, SW_DIGEST_LEN);
	ask(d, "cam", "dst", SW_DIG_SELF, &c);
	assert_memory_equal(c.hdr.self, src, SW_DIGEST_LEN);
	/* names-only listings carry no content hash */
	ask(d, "cam", "src", 0, &c);
	assert_memory_equal(c.e[0].digest, zero, HASHES_LEN);
	/* without hashes: content refused with what to do */
	check(digests_refresh(d, "cam", m, NULL));
	ask(d, "cam", "src", SW_DIG_CONTENT, &c);
	assert_int_equal(c.hdr.status, SW_DIG_REFUSED);
	assert_non_null(strstr(c.hdr.text, "hash_contents = yes"));
	digests_close(d);
	manifest_close(m);
	hashes_close(f.h);
	tree_remove(f.root);
	tree_remove(f.state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_cap),
		cmocka_unit_test(test_side_file),
		cmocka_unit_test(test_changed_and_silent),
		cmocka_unit_test(test_content_digests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
