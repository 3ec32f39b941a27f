/*
 * test_digests.c - the copy digests (agent/digests.h) built from a real
 * manifest: the digest formula, equal digests for the same items under
 * different prefixes, a missing or changed file changing the digest of
 * exactly its ancestors, answers split into frames in name-hash order, and
 * every refusal.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "agent/digests.h"
#include "agent/manifest.h"
#include "scan_tree.h"
#include "shrinkwatch/log.h"

static void check(int ret)
{
	assert_int_equal(ret, 0);
}

struct fx {
	char state[1024];
	struct manifest *m;
	struct digests *d;
	int64_t now;
	/* what the last answer said */
	struct sw_digests hdr[16];
	struct sw_digentry *e; /* all frames' entries */
	size_t nframes, ne;
};

/* One directory of a synthetic scan: files "NAME:SIZE" separated by ' '. */
struct dirspec {
	const char *path;
	const char *files;
};

/* depth: the agent's inventory_depth (0 = names at any depth). */
static void setup_fx_depth(struct fx *f, unsigned depth)
{
	memset(f, 0, sizeof *f);
	log_force_stderr(true);
	log_set_level(LOG_ERR);
	check(tree_make_root(f->state, sizeof f->state));
	check(manifest_open(f->state, "cam", &f->m));
	check(digests_open(f->state, depth, &f->d));
	f->e = calloc(4096, sizeof *f->e);
	assert_non_null(f->e);
	f->now = 1700000000;
}

static void setup_fx(struct fx *f)
{
	setup_fx_depth(f, 0);
}

static void teardown_fx(struct fx *f)
{
	digests_close(f->d);
	manifest_close(f->m);
	tree_remove(f->state);
	free(f->e);
}

/* One committed scan holding exactly the directories of spec. */
static void scan(struct fx *f, const struct dirspec *spec, size_t n, int complete)
{
	struct manifest_dirbuf b = { 0 };
	struct manifest_diff diff;

	f->now += 60;
	check(manifest_begin(f->m, f->now));
	for (size_t i = 0; i < n; i++) {
		char *files = strdup(spec[i].files), *save = NULL;

		assert_non_null(files);
		manifest_dirbuf_reset(&b);
		for (char *t = strtok_r(files, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			char *colon = strchr(t, ':');

			assert_non_null(colon);
			check(manifest_dirbuf_add(&b, t, (size_t)(colon - t),
						  strtoull(colon + 1, NULL, 10), 1000 + i,
						  1600000000, 1600000000));
		}
		free(files);
		check(manifest_dir_update(f->m, spec[i].path, strlen(spec[i].path), &b));
	}
	manifest_dirbuf_release(&b);
	check(manifest_finish(f->m, complete, 0, NULL, NULL, &diff));
	check(manifest_commit(f->m));
	check(digests_refresh(f->d, "cam", f->m, NULL));
}

static int collect(void *ud, struct buf *frame)
{
	struct fx *f = ud;
	struct sw_frame fr;
	size_t n;

	assert_true(proto_frame_parse(frame->data, frame->len, &fr) > 0);
	assert_true(f->nframes < 16);
	check(proto_decode_digests(&fr, &f->hdr[f->nframes], f->e + f->ne, 4096 - f->ne, &n));
	f->ne += n;
	f->nframes++;
	buf_release(frame);
	return 0;
}

static const struct sw_digests *ask(struct fx *f, const char *dir, uint8_t flags)
{
	struct sw_digreq r = { .req_id = 5, .flags = flags };

	snprintf(r.store, sizeof r.store, "cam");
	snprintf(r.dir, sizeof r.dir, "%s", dir);
	f->nframes = f->ne = 0;
	check(digests_answer(f->d, &r, collect, f));
	assert_true(f->nframes > 0);
	assert_int_equal(f->hdr[0].req_id, 5);
	return &f->hdr[f->nframes - 1];
}

/* The digest of dir, which must exist. */
static void self_of(struct fx *f, const char *dir, uint8_t *out)
{
	const struct sw_digests *h = ask(f, dir, SW_DIG_SELF);

	assert_int_equal(h->status, SW_DIG_LAST);
	assert_int_equal(f->ne, 0);
	memcpy(out, h->self, SW_DIGEST_LEN);
}

static void sha256(const void *p, size_t n, uint8_t *out)
{
	unsigned len = 0;

	assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, SW_DIGEST_LEN);
}

static const struct dirspec copies[] = {
	{ "", "top.txt:77" },
	{ "2021/src", "a.mp4:100 b.mp4:200" },
	{ "2021/src/case1", "x.mp4:1 y.mp4:2" },
	{ "2021/src/case2/deep", "z.mp4:3" },
	{ "mirror/old/copy", "b.mp4:200 a.mp4:100" },
	{ "mirror/old/copy/case1", "y.mp4:2 x.mp4:1" },
	{ "mirror/old/copy/case2/deep", "z.mp4:3" },
};

/* The formula of the contract, computed here by hand for a leaf and its
 * parent: the agent's digests must be exactly these. */
static void test_formula(void **state)
{
	struct fx f;
	uint8_t got[SW_DIGEST_LEN], leaf[SW_DIGEST_LEN], parent[SW_DIGEST_LEN];
	uint8_t buf[256];
	size_t n = 0;
	(void)state;

	setup_fx(&f);
	scan(&f, copies, sizeof copies / sizeof copies[0], 1);
	/* leaf 2021/src/case2/deep: 'F' z.mp4 0x00 u64(3) */
	buf[n++] = 'F';
	memcpy(buf + n, "z.mp4", 5);
	n += 5;
	buf[n++] = 0;
	memset(buf + n, 0, 7);
	buf[n + 7] = 3;
	n += 8;
	sha256(buf, n, leaf);
	self_of(&f, "2021/src/case2/deep", got);
	assert_memory_equal(got, leaf, SW_DIGEST_LEN);
	/* 2021/src/case2 holds no file, only 'D' deep 0x00 digest(deep) */
	n = 0;
	buf[n++] = 'D';
	memcpy(buf + n, "deep", 4);
	n += 4;
	buf[n++] = 0;
	memcpy(buf + n, leaf, SW_DIGEST_LEN);
	n += SW_DIGEST_LEN;
	sha256(buf, n, parent);
	self_of(&f, "2021/src/case2", got);
	assert_memory_equal(got, parent, SW_DIGEST_LEN);
	teardown_fx(&f);
}

/* The same items under different prefixes: equal digests at every level,
 * and equal totals. */
static void test_prefixes_compare(void **state)
{
	struct fx f;
	uint8_t a[SW_DIGEST_LEN], b[SW_DIGEST_LEN];
	(void)state;

	setup_fx(&f);
	scan(&f, copies, sizeof copies / sizeof copies[0], 1);
	self_of(&f, "2021/src", a);
	assert_int_equal(f.hdr[0].files, 5);
	assert_int_equal(f.hdr[0].bytes, 306);
	self_of(&f, "mirror/old/copy", b);
	assert_int_equal(f.hdr[0].files, 5);
	assert_int_equal(f.hdr[0].bytes, 306);
	assert_memory_equal(a, b, SW_DIGEST_LEN);
	self_of(&f, "2021/src/case1", a);
	self_of(&f, "mirror/old/copy/case1", b);
	assert_memory_equal(a, b, SW_DIGEST_LEN);
	/* the root counts every file */
	self_of(&f, "", a);
	assert_int_equal(f.hdr[0].files, 11);
	assert_int_equal(f.hdr[0].scan_time, f.now);
	teardown_fx(&f);
}

static const char *const watched[] = {
	"", "2021", "2021/src", "2021/src/case1", "2021/src/case2", "2021/src/case2/deep",
	"mirror", "mirror/old", "mirror/old/copy", "mirror/old/copy/case1",
	"mirror/old/copy/case2", "mirror/old/copy/case2/deep",
};
#define NWATCHED (sizeof watched / sizeof watched[0])

static void all_selves(struct fx *f, uint8_t out[][SW_DIGEST_LEN])
{
	for (size_t i = 0; i < NWATCHED; i++)
		self_of(f, watched[i], out[i]);
}

/* Which watched directories are expected to change: dir and its ancestors. */
static int is_ancestor_or_self(const char *anc, const char *dir)
{
	size_t n = strlen(anc);

	return n == 0 || (!strncmp(anc, dir, n) && (dir[n] == '\0' || dir[n] == '/'));
}

static void expect_changed_exactly(struct fx *f, uint8_t before[][SW_DIGEST_LEN],
				   const char *dir)
{
	uint8_t after[NWATCHED][SW_DIGEST_LEN];

	all_selves(f, after);
	for (size_t i = 0; i < NWATCHED; i++) {
		int changed = memcmp(before[i], after[i], SW_DIGEST_LEN) != 0;

		if (changed != is_ancestor_or_self(watched[i], dir))
			fail_msg("'%s' %s after a change in '%s'", watched[i],
				 changed ? "changed" : "did not change", dir);
	}
}

static void test_change_reaches_exactly_the_ancestors(void **state)
{
	struct dirspec changed[sizeof copies / sizeof copies[0]];
	uint8_t before[NWATCHED][SW_DIGEST_LEN];
	struct fx f;
	(void)state;

	setup_fx(&f);
	scan(&f, copies, sizeof copies / sizeof copies[0], 1);
	all_selves(&f, before);
	/* one file missing in mirror/old/copy/case1 */
	memcpy(changed, copies, sizeof copies);
	changed[5].files = "y.mp4:2";
	scan(&f, changed, sizeof copies / sizeof copies[0], 1);
	expect_changed_exactly(&f, before, "mirror/old/copy/case1");
	/* back as it was: the digests are the first ones again */
	scan(&f, copies, sizeof copies / sizeof copies[0], 1);
	all_selves(&f, before);
	/* one file of another size, deep in the source */
	changed[5].files = copies[5].files;
	changed[3].files = "z.mp4:4";
	scan(&f, changed, sizeof copies / sizeof copies[0], 1);
	expect_changed_exactly(&f, before, "2021/src/case2/deep");
	/* a renamed file changes its directory too */
	scan(&f, copies, sizeof copies / sizeof copies[0], 1);
	all_selves(&f, before);
	changed[3].files = "Z.mp4:3";
	scan(&f, changed, sizeof copies / sizeof copies[0], 1);
	expect_changed_exactly(&f, before, "2021/src/case2/deep");
	teardown_fx(&f);
}

/* A listing: entries in name-hash order, names only when asked for, 'D'
 * entries with their subtree's digest and totals; a big directory split
 * over frames that keep rising. */
static void test_listing(void **state)
{
	static char big[3000 * 16];
	struct dirspec spec[3] = { { "2021/src", "a.mp4:100 b.mp4:200" },
				   { "2021/src/case1", "x.mp4:1 y.mp4:2" },
				   { "many", big } };
	uint8_t case1[SW_DIGEST_LEN];
	const struct sw_digests *h;
	struct fx f;
	size_t at = 0;
	(void)state;

	for (int i = 0; i < 3000; i++)
		at += (size_t)snprintf(big + at, sizeof big - at, "f%04d:%d ", i, i);
	setup_fx(&f);
	scan(&f, spec, 3, 1);
	self_of(&f, "2021/src/case1", case1);
	h = ask(&f, "2021/src", 0);
	assert_int_equal(f.nframes, 1);
	assert_int_equal(h->status, SW_DIG_LAST);
	assert_int_equal(f.ne, 3);
	for (size_t i = 0; i < f.ne; i++) {
		assert_string_equal(f.e[i].name, "");
		if (f.e[i].kind == 'D') {
			assert_memory_equal(f.e[i].digest, case1, SW_DIGEST_LEN);
			assert_int_equal(f.e[i].files, 2);
			assert_int_equal(f.e[i].size, 3);
		} else {
			assert_int_equal(f.e[i].birth, 1600000000);
		}
	}
	h = ask(&f, "2021/src", SW_DIG_NAMES);
	assert_int_equal(f.ne, 3);
	for (size_t i = 0; i < f.ne; i++) {
		uint8_t nh[SW_DIGEST_LEN];

		sha256(f.e[i].name, strlen(f.e[i].name), nh);
		assert_memory_equal(nh, f.e[i].name_hash, SW_NAME_HASH_LEN);
		assert_true(!strcmp(f.e[i].name, "case1") == (f.e[i].kind == 'D'));
	}
	/* descending by name hash: the 'D' entry's hash names it */
	h = ask(&f, "2021", 0);
	assert_int_equal(f.ne, 1);
	{
		char dir[64];
		int w = snprintf(dir, sizeof dir, "2021/#");

		for (size_t i = 0; i < SW_NAME_HASH_LEN; i++)
			w += snprintf(dir + w, sizeof dir - (size_t)w, "%02x", f.e[0].name_hash[i]);
		h = ask(&f, dir, SW_DIG_BYHASH | SW_DIG_SELF);
		assert_int_equal(h->status, SW_DIG_LAST);
		assert_int_equal(h->files, 4);
		/* without the flag the same path is a literal name: no such directory */
		h = ask(&f, dir, SW_DIG_SELF);
		assert_int_equal(h->status, SW_DIG_NO_DIR);
		dir[strlen(dir) - 1] = dir[strlen(dir) - 1] == '0' ? '1' : '0';
		h = ask(&f, dir, SW_DIG_BYHASH | SW_DIG_SELF);
		assert_int_equal(h->status, SW_DIG_NO_DIR);
	}
	h = ask(&f, "2021/src/case1", SW_DIG_BYHASH | SW_DIG_SELF);
	assert_memory_equal(h->self, case1, SW_DIGEST_LEN);
	/* 3000 files: three frames, MORE, MORE, LAST, the same header, rising */
	h = ask(&f, "many", 0);
	assert_int_equal(f.ne, 3000);
	assert_int_equal(f.nframes, 3);
	assert_int_equal(f.hdr[0].status, SW_DIG_MORE);
	assert_int_equal(f.hdr[1].status, SW_DIG_MORE);
	assert_int_equal(h->status, SW_DIG_LAST);
	assert_memory_equal(f.hdr[0].self, h->self, SW_DIGEST_LEN);
	assert_int_equal(h->files, 3000);
	for (size_t i = 1; i < f.ne; i++)
		assert_true(memcmp(f.e[i - 1].name_hash, f.e[i].name_hash, SW_NAME_HASH_LEN) < 0);
	teardown_fx(&f);
}

/* Names compare byte for byte: the same name in another Unicode
 * normalisation (NFC on one side, NFD on the other, as a copy through some
 * SMB or macOS paths makes it) or another case is another name, so those
 * directories differ; documented in docs/protocol.md. */
static void test_names_are_bytes(void **state)
{
	static const struct dirspec spec[] = {
		{ "nfc", "caf\xc3\xa9.mp4:10" },  /* U+00E9 */
		{ "nfd", "cafe\xcc\x81.mp4:10" }, /* e + U+0301 */
		{ "upper", "CAFE.mp4:10" },
		{ "lower", "cafe.mp4:10" },
		{ "same", "caf\xc3\xa9.mp4:10" },
	};
	uint8_t a[SW_DIGEST_LEN], b[SW_DIGEST_LEN];
	struct fx f;
	(void)state;

	setup_fx(&f);
	scan(&f, spec, sizeof spec / sizeof spec[0], 1);
	self_of(&f, "nfc", a);
	self_of(&f, "nfd", b);
	assert_memory_not_equal(a, b, SW_DIGEST_LEN);
	self_of(&f, "same", b);
	assert_memory_equal(a, b, SW_DIGEST_LEN);
	self_of(&f, "upper", a);
	self_of(&f, "lower", b);
	assert_memory_not_equal(a, b, SW_DIGEST_LEN);
	teardown_fx(&f);
}

/* The entries' names, joined by ' ' in the answer's (name-hash) order. */
static void names_of(const struct fx *f, char *out, size_t len)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < f->ne && at < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%s", i ? " " : "", f->e[i].name);
}

/* "#" and the 32 hex digits of a name hash, as SW_DIG_BYHASH takes it. */
static void hash_ref(const uint8_t *h, char *out)
{
	out[0] = '#';
	for (size_t i = 0; i < SW_NAME_HASH_LEN; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", h[i]);
}

/* inventory_depth = 2: an administrator's copy-check gets the names of the
 * first two components only; the entries of a directory at depth 2 or
 * deeper come by name hash alone (empty names), whether the directory is
 * asked by its path or by name hashes; the digests and hashes themselves
 * are the same as without a depth, so a comparison is unchanged. */
static void test_names_within_inventory_depth(void **state)
{
	struct fx f, full;
	char names[256], dir[256];
	uint8_t a[SW_DIGEST_LEN], b[SW_DIGEST_LEN], case1[SW_NAME_HASH_LEN];
	const struct sw_digests *h;
	(void)state;

	setup_fx_depth(&f, 2);
	setup_fx(&full);
	scan(&f, copies, sizeof copies / sizeof copies[0], 1);
	scan(&full, copies, sizeof copies / sizeof copies[0], 1);
	/* the root's entries (depth 1) and 2021's (depth 2): named */
	h = ask(&f, "", SW_DIG_NAMES);
	assert_int_equal(h->status, SW_DIG_LAST);
	assert_int_equal(f.ne, 3);
	for (size_t i = 0; i < f.ne; i++)
		assert_true(!strcmp(f.e[i].name, "top.txt") || !strcmp(f.e[i].name, "2021") ||
			    !strcmp(f.e[i].name, "mirror"));
	ask(&f, "2021", SW_DIG_NAMES);
	names_of(&f, names, sizeof names);
	assert_string_equal(names, "src");
	/* 2021/src's entries would be at depth 3: hashes, sizes, digests, no name */
	ask(&f, "2021/src", SW_DIG_NAMES);
	assert_int_equal(f.ne, 4);
	ask(&full, "2021/src", SW_DIG_NAMES);
	assert_int_equal(full.ne, 4);
	for (size_t i = 0; i < f.ne; i++) {
		assert_string_equal(f.e[i].name, "");
		assert_string_not_equal(full.e[i].name, "");
		assert_memory_equal(f.e[i].name_hash, full.e[i].name_hash, SW_NAME_HASH_LEN);
		assert_int_equal(f.e[i].kind, full.e[i].kind);
		assert_int_equal(f.e[i].size, full.e[i].size);
		assert_memory_equal(f.e[i].digest, full.e[i].digest, SW_DIGEST_LEN);
		if (!strcmp(full.e[i].name, "case1"))
			memcpy(case1, f.e[i].name_hash, SW_NAME_HASH_LEN);
	}
	/* deeper, asked the way a walk descends (by name hash): still no names */
	snprintf(dir, sizeof dir, "2021/src/");
	hash_ref(case1, dir + strlen(dir));
	h = ask(&f, dir, SW_DIG_NAMES | SW_DIG_BYHASH);
	assert_int_equal(h->status, SW_DIG_LAST);
	assert_int_equal(f.ne, 2);
	names_of(&f, names, sizeof names);
	assert_string_equal(names, " ");
	ask(&f, "mirror/old/copy/case2/deep", SW_DIG_NAMES);
	assert_int_equal(f.ne, 1);
	assert_string_equal(f.e[0].name, "");
	/* the same digests with and without the depth */
	self_of(&f, "2021/src", a);
	self_of(&full, "2021/src", b);
	assert_memory_equal(a, b, SW_DIGEST_LEN);
	teardown_fx(&f);
	teardown_fx(&full);
}

static void test_refusals(void **state)
{
	struct sw_digreq r = { .req_id = 9 };
	const struct sw_digests *h;
	struct fx f;
	(void)state;

	setup_fx(&f);
	/* before any scan */
	snprintf(r.store, sizeof r.store, "cam");
	check(digests_answer(f.d, &r, collect, &f));
	assert_int_equal(f.hdr[0].status, SW_DIG_REFUSED);
	assert_non_null(strstr(f.hdr[0].text, "no committed manifest scan"));
	scan(&f, copies, sizeof copies / sizeof copies[0], 1);
	h = ask(&f, "2021/nothing", 0);
	assert_int_equal(h->status, SW_DIG_NO_DIR);
	h = ask(&f, "2021/src", SW_DIG_CONTENT);
	assert_int_equal(h->status, SW_DIG_REFUSED);
	assert_non_null(strstr(h->text, "content hashes"));
	/* a store never scanned here */
	f.nframes = f.ne = 0;
	snprintf(r.store, sizeof r.store, "other");
	check(digests_answer(f.d, &r, collect, &f));
	assert_int_equal(f.hdr[0].status, SW_DIG_REFUSED);
	/* a partial scan: refused, never answered from a tree with holes */
	scan(&f, copies, 3, 0);
	h = ask(&f, "", SW_DIG_SELF);
	assert_int_equal(h->status, SW_DIG_REFUSED);
	assert_non_null(strstr(h->text, "partial"));
	/* complete again: answered, from the new scan */
	scan(&f, copies, sizeof copies / sizeof copies[0], 1);
	h = ask(&f, "", SW_DIG_SELF);
	assert_int_equal(h->status, SW_DIG_LAST);
	assert_int_equal(h->scan_time, f.now);
	teardown_fx(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formula),
		cmocka_unit_test(test_prefixes_compare),
		cmocka_unit_test(test_change_reaches_exactly_the_ancestors),
		cmocka_unit_test(test_listing),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_names_are_bytes),
		cmocka_unit_test(test_names_within_inventory_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
