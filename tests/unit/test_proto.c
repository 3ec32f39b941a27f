/* test_proto.c - the wire protocol: round trips and every kind of refusal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "shrinkwatch/proto.h"
#include "shrinkwatch/sample.h"

static struct sw_sample make_sample(uint64_t seq, const char *store)
{
	struct sw_sample s;

	memset(&s, 0, sizeof s);
	s.seq = seq;
	s.time = 1700000000 + (int64_t)seq * 60;
	snprintf(s.store, sizeof s.store, "%s", store);
	s.objects = 1000 + seq;
	s.bytes = 123456789012ull + seq;
	s.added_objects = 3;
	s.added_bytes = 4096;
	s.fs_used = 1ull << 40;
	s.fs_size = 1ull << 42;
	s.fs_inodes = 99999;
	s.mount_id = 0x803;
	s.flags = SW_SAMPLE_HAS_ADDED | SW_SAMPLE_BTIME;
	s.status = SW_SCAN_PARTIAL;
	s.error_count = 2;
	snprintf(s.first_error, sizeof s.first_error, "cannot open 'a/b': Permission denied");
	s.scan_ms = 42;
	return s;
}

static void test_hello_round_trip(void **state)
{
	struct sw_hello h = { .instance_id = 0x1122334455667788ull, .interval = 60 }, out;
	struct sw_frame f;
	struct buf b;
	(void)state;

	snprintf(h.agent, sizeof h.agent, "evsrv01");
	snprintf(h.software, sizeof h.software, "shrinkwatch-agent 0.1.0");
	buf_init(&b, 4096);
	assert_int_equal(proto_encode_hello(&b, &h), 0);
	assert_int_equal(proto_frame_parse(b.data, b.len, &f), (long)b.len);
	assert_int_equal(f.type, SW_MSG_HELLO);
	assert_int_equal(proto_decode_hello(&f, &out), 0);
	assert_string_equal(out.agent, "evsrv01");
	assert_string_equal(out.software, "shrinkwatch-agent 0.1.0");
	assert_int_equal(out.instance_id, h.instance_id);
	assert_int_equal(out.interval, 60);
	buf_release(&b);
}

static void test_samples_round_trip(void **state)
{
	struct sw_sample in[3] = { make_sample(7, "bodycam"), make_sample(8, "cases"),
				   make_sample(9, "bodycam") };
	struct sw_sample out[4];
	struct sw_frame f;
	struct buf b;
	size_t n;
	(void)state;

	memset(out, 0, sizeof out); /* so whole structs compare, padding included */
	buf_init(&b, 1 << 20);
	assert_int_equal(proto_encode_samples(&b, in, 3), 0);
	assert_int_equal(proto_frame_parse(b.data, b.len, &f), (long)b.len);
	assert_int_equal(proto_decode_samples(&f, out, 4, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_memory_equal(&in[i], &out[i], sizeof in[i]);
	/* more samples than the caller has room for: refused, not truncated */
	assert_int_equal(proto_decode_samples(&f, out, 2, &n), -EPROTO);
	buf_release(&b);
}

static void test_ack_and_error(void **state)
{
	struct sw_frame f;
	struct sw_error e;
	struct buf b;
	uint64_t seq;
	long used;
	(void)state;

	buf_init(&b, 4096);
	assert_int_equal(proto_encode_ack(&b, 0xfedcba9876543210ull), 0);
	assert_int_equal(proto_encode_error(&b, SW_ERR_DENIED, "go away"), 0);
	used = proto_frame_parse(b.data, b.len, &f);
	assert_true(used > 0);
	assert_int_equal(proto_decode_ack(&f, &seq), 0);
	assert_int_equal(seq, 0xfedcba9876543210ull);
	assert_int_equal(proto_decode_error(&f, &e), -EPROTO); /* wrong type */
	assert_int_equal(proto_frame_parse(b.data + used, b.len - (size_t)used, &f),
			 (long)(b.len - (size_t)used));
	assert_int_equal(proto_decode_error(&f, &e), 0);
	assert_int_equal(e.code, SW_ERR_DENIED);
	assert_string_equal(e.text, "go away");
	buf_release(&b);
}

/* Every prefix of a valid frame asks for more bytes; none is an error. */
static void test_truncated_frames_wait(void **state)
{
	struct sw_sample s = make_sample(1, "bodycam");
	struct sw_frame f;
	struct buf b;
	(void)state;

	buf_init(&b, 1 << 20);
	assert_int_equal(proto_encode_samples(&b, &s, 1), 0);
	for (size_t len = 0; len < b.len; len++)
		assert_int_equal(proto_frame_parse(b.data, len, &f), 0);
	buf_release(&b);
}

static void test_bad_headers(void **state)
{
	uint8_t garbage[8] = { 'G', 'E', 'T', ' ', '/', ' ', 'H', 'T' };
	uint8_t badver[8] = { 'S', 'W', 9, SW_MSG_ACK, 0, 0, 0, 8 };
	uint8_t badtype[8] = { 'S', 'W', SW_PROTO_VERSION, 77, 0, 0, 0, 0 };
	uint8_t huge[8] = { 'S', 'W', SW_PROTO_VERSION, SW_MSG_SAMPLES, 0xff, 0xff, 0xff, 0xff };
	uint8_t justover[8] = { 'S', 'W', SW_PROTO_VERSION, SW_MSG_SAMPLES, 0, 0x10, 0, 1 };
	struct sw_frame f;
	(void)state;

	assert_int_equal(proto_frame_parse(garbage, 1, &f), -EPROTO); /* refused at once */
	assert_int_equal(proto_frame_parse(garbage, sizeof garbage, &f), -EPROTO);
	assert_int_equal(proto_frame_parse(badver, sizeof badver, &f), -EPROTONOSUPPORT);
	assert_int_equal(proto_frame_parse(badtype, sizeof badtype, &f), -EPROTO);
	assert_int_equal(proto_frame_parse(huge, sizeof huge, &f), -EMSGSIZE);
	assert_int_equal(proto_frame_parse(justover, sizeof justover, &f), -EMSGSIZE);
}

/* Encodes, lets mutate() damage the frame, and expects the decoder to refuse
 * it with want (-EPROTO malformed, -EINVAL unacceptable content). */
static void expect_samples_refused_with(void (*mutate)(struct buf *b), int want)
{
	struct sw_sample s[2] = { make_sample(5, "bodycam"), make_sample(6, "bodycam") };
	struct sw_sample out[4];
	struct sw_frame f;
	struct buf b;
	size_t n = 99;
	long used;

	buf_init(&b, 1 << 20);
	assert_int_equal(proto_encode_samples(&b, s, 2), 0);
	mutate(&b);
	used = proto_frame_parse(b.data, b.len, &f);
	assert_true(used > 0);
	assert_int_equal(proto_decode_samples(&f, out, 4, &n), want);
	if (want == -EINVAL) {
		assert_int_equal(n, 0); /* the first sample is the bad one */
		assert_string_equal(out[0].store, "/odycam");
	} else {
		assert_int_equal(n, 0);
	}
	buf_release(&b);
}

static void expect_samples_refused(void (*mutate)(struct buf *b))
{
	expect_samples_refused_with(mutate, -EPROTO);
}

static void set_len(struct buf *b, uint32_t len)
{
	b->data[4] = (uint8_t)(len >> 24);
	b->data[5] = (uint8_t)(len >> 16);
	b->data[6] = (uint8_t)(len >> 8);
	b->data[7] = (uint8_t)len;
}

static void cut_last_byte(struct buf *b)
{
	b->len--;
	set_len(b, (uint32_t)(b->len - SW_FRAME_HEADER));
}

static void add_trailing_byte(struct buf *b)
{
	buf_put_u8(b, 0);
	set_len(b, (uint32_t)(b->len - SW_FRAME_HEADER));
}

static void bad_store_name(struct buf *b)
{
	/* first sample's store name starts after count(2) + seq(8) + time(8) + len(2) */
	b->data[SW_FRAME_HEADER + 2 + 8 + 8 + 2] = '/';
}

static void count_zero(struct buf *b)
{
	b->data[SW_FRAME_HEADER] = 0;
	b->data[SW_FRAME_HEADER + 1] = 0;
}

static void count_too_high(struct buf *b)
{
	b->data[SW_FRAME_HEADER] = 0xff;
}

static void seq_not_rising(struct buf *b)
{
	/* make the second sample's seq equal to the first's: find it by value */
	for (size_t i = b->len - 8; i > SW_FRAME_HEADER + 10; i--)
		if (b->data[i] == 6 && b->data[i - 1] == 0 && b->data[i - 7] == 0) {
			b->data[i] = 5;
			return;
		}
	fail_msg("second seq not found");
}

static void test_malformed_samples(void **state)
{
	(void)state;
	expect_samples_refused(cut_last_byte);
	expect_samples_refused(add_trailing_byte);
	expect_samples_refused_with(bad_store_name, -EINVAL);
	expect_samples_refused(count_zero);
	expect_samples_refused(count_too_high);
	expect_samples_refused(seq_not_rising);
}

static void test_encoder_refuses_bad_names(void **state)
{
	struct sw_sample s = make_sample(1, "ok");
	struct sw_hello h = { .interval = 60 };
	struct buf b;
	(void)state;

	buf_init(&b, 1 << 20);
	snprintf(s.store, sizeof s.store, "../etc");
	assert_int_equal(proto_encode_samples(&b, &s, 1), -EINVAL);
	assert_int_equal(b.len, 0); /* no half frame left behind */
	snprintf(h.agent, sizeof h.agent, "bad name");
	assert_int_equal(proto_encode_hello(&b, &h), -EINVAL);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_hello_rejects_zero_interval(void **state)
{
	struct sw_hello h = { .interval = 0 }, out;
	struct sw_frame f;
	struct buf b;
	(void)state;

	snprintf(h.agent, sizeof h.agent, "a1");
	buf_init(&b, 4096);
	assert_int_equal(proto_encode_hello(&b, &h), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_hello(&f, &out), -EINVAL);
	buf_release(&b);
}

static void test_max_batch_fits_a_frame(void **state)
{
	static struct sw_sample s[SW_SAMPLES_MAX];
	struct buf b;
	(void)state;

	for (size_t i = 0; i < SW_SAMPLES_MAX; i++) {
		s[i] = make_sample(i + 1, "a-store-name-that-is-quite-long-but-valid-0123456789");
		memset(s[i].first_error, 'x', SW_ERRTEXT_MAX);
		s[i].first_error[SW_ERRTEXT_MAX] = '\0';
	}
	buf_init(&b, SW_FRAME_HEADER + SW_FRAME_MAX);
	assert_int_equal(proto_encode_samples(&b, s, SW_SAMPLES_MAX), 0);
	assert_true(b.len <= SW_FRAME_HEADER + SW_FRAME_MAX);
	buf_release(&b);
}

/* Version 2: deletion reports, on fixed bytes so the wire format cannot
 * drift without this test (and docs/protocol.md) changing. */
static const uint8_t deletions_fixture[] = {
	'S', 'W', 2, SW_MSG_DELETIONS, 0, 0, 0, 84,
	0, 1,                               /* count */
	0, 0, 0, 0, 0, 0, 0x01, 0x9c,       /* id 412 */
	0, 7, 'b', 'o', 'd', 'y', 'c', 'a', 'm',
	0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00, /* first 1700000000 */
	0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x02, /* last */
	0, 0, 0, 0, 0, 0, 0x01, 0x9c,       /* files 412 */
	0, 0, 0, 0, 0, 0, 0, 2,             /* dirs */
	0, 8, '2', '0', '2', '3', '/', '0', '8', '/',
	0, 0, 0x10, 0xd8,                   /* pid 4312 */
	0, 0, 0, 0, 0, 0, 0, 0,             /* uid 0 */
	0, 9, '/', 'b', 'i', 'n', '/', 'r', 's', 'y', 'n',
};

static struct sw_deletion make_deletion(uint64_t id)
{
	struct sw_deletion d;

	memset(&d, 0, sizeof d);
	d.id = id;
	snprintf(d.store, sizeof d.store, "bodycam");
	d.first = 1700000000;
	d.last = 1700000002;
	d.files = 412;
	d.dirs = 2;
	snprintf(d.dir, sizeof d.dir, "2023/08/");
	d.pid = 4312;
	d.uid = 0;
	snprintf(d.exe, sizeof d.exe, "/bin/rsyn");
	return d;
}

static void test_deletions_fixture(void **state)
{
	struct sw_deletion in = make_deletion(412), out[2];
	struct sw_frame f;
	struct buf b;
	size_t n;
	(void)state;

	memset(out, 0, sizeof out);
	buf_init(&b, 1 << 20);
	assert_int_equal(proto_encode_deletions(&b, &in, 1), 0);
	assert_int_equal(b.len, sizeof deletions_fixture);
	assert_memory_equal(b.data, deletions_fixture, sizeof deletions_fixture);
	assert_int_equal(proto_frame_parse(deletions_fixture, sizeof deletions_fixture, &f),
			 (long)sizeof deletions_fixture);
	assert_int_equal(f.version, 2);
	assert_int_equal(proto_decode_deletions(&f, out, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(&in, &out[0], sizeof in);
	buf_release(&b);
}

static void test_deletions_refusals(void **state)
{
	struct sw_deletion d[2] = { make_deletion(5), make_deletion(5) }, out[2];
	uint8_t v1[sizeof deletions_fixture];
	struct sw_frame f;
	struct buf b;
	size_t n;
	(void)state;

	/* a version-2 message in a version-1 frame is malformed */
	memcpy(v1, deletions_fixture, sizeof v1);
	v1[2] = 1;
	assert_int_equal(proto_frame_parse(v1, sizeof v1, &f), -EPROTO);
	/* ids must rise inside a frame */
	buf_init(&b, 1 << 20);
	assert_int_equal(proto_encode_deletions(&b, d, 2), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_deletions(&f, out, 2, &n), -EPROTO);
	/* an unknown uid below -1 or a last before first: unacceptable */
	b.len = 0;
	d[1].id = 6;
	d[1].uid = -7;
	assert_int_equal(proto_encode_deletions(&b, d, 2), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_deletions(&f, out, 2, &n), -EINVAL);
	assert_int_equal(n, 1);
	b.len = 0;
	d[1].uid = -1;
	d[1].last = d[1].first - 1;
	assert_int_equal(proto_encode_deletions(&b, d, 2), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_deletions(&f, out, 2, &n), -EINVAL);
	/* too long free text is clipped on the way out, not refused */
	b.len = 0;
	memset(d[0].exe, 'x', SW_TEXT_MAX);
	d[0].exe[SW_TEXT_MAX] = '\0';
	d[1] = make_deletion(9);
	assert_int_equal(proto_encode_deletions(&b, d, 2), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_deletions(&f, out, 2, &n), 0);
	assert_int_equal(strlen(out[0].exe), SW_TEXT_MAX);
	buf_release(&b);
}

static void test_delack_and_hello_v2(void **state)
{
	static const uint8_t delack[] = { 'S', 'W', 2, SW_MSG_DELACK, 0, 0, 0, 8,
					  0, 0, 0, 0, 0, 0, 0x01, 0x9c };
	static const uint8_t v4[] = { 'S', 'W', 4, SW_MSG_HELLO, 0, 0, 0, 0 };
	struct sw_hello h = { .instance_id = 1, .interval = 60 }, out;
	struct sw_frame f;
	struct buf b;
	uint64_t id;
	(void)state;

	buf_init(&b, 4096);
	assert_int_equal(proto_encode_delack(&b, 412), 0);
	assert_int_equal(b.len, sizeof delack);
	assert_memory_equal(b.data, delack, sizeof delack);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_delack(&f, &id), 0);
	assert_int_equal(id, 412);
	assert_int_equal(proto_decode_ack(&f, &id), -EPROTO);
	b.len = 0;
	snprintf(h.agent, sizeof h.agent, "evsrv01");
	assert_int_equal(proto_encode_hello_version(&b, &h, 2), 0);
	assert_int_equal(b.data[2], 2);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(f.version, 2);
	assert_int_equal(proto_decode_hello(&f, &out), 0);
	assert_int_equal(proto_encode_hello_version(&b, &h, 4), -EINVAL);
	/* a version this build does not know: what a v1 collector sees of v2 */
	assert_int_equal(proto_frame_parse(v4, sizeof v4, &f), -EPROTONOSUPPORT);
	assert_string_equal(proto_msg_name(SW_MSG_DELETIONS), "DELETIONS");
	buf_release(&b);
}

/* ---- version 3 ---------------------------------------------------------- */

static struct sw_sample make_exact(uint64_t seq)
{
	struct sw_sample s = make_sample(seq, "bodycam");

	s.status = SW_SCAN_COMPLETE;
	s.error_count = 0;
	s.first_error[0] = '\0';
	s.flags |= SW_SAMPLE_EXACT | SW_SAMPLE_YOUNG_SPLIT;
	s.removed_objects = 12;
	s.removed_bytes = 12ull << 30;
	s.removed_young_objects = 3;
	s.removed_young_bytes = 3ull << 30;
	s.removed_min_age = 3600;
	s.shrunk_bytes = 777;
	s.moved_objects = 40;
	s.moved_bytes = 40ull << 20;
	s.retention = 31 * 86400;
	s.journal_dropped = 5;
	return s;
}

static void test_samples_v3_round_trip(void **state)
{
	struct sw_sample in[2] = { make_exact(7), make_exact(8) }, out[2];
	struct sw_frame f;
	struct buf b, v1;
	size_t n;
	(void)state;

	memset(out, 0, sizeof out);
	buf_init(&b, 1 << 20);
	buf_init(&v1, 1 << 20);
	assert_int_equal(proto_encode_samples_version(&b, in, 2, 3), 0);
	assert_int_equal(b.data[2], 3);
	assert_int_equal(proto_encode_samples(&v1, in, 2), 0);
	/* the version-3 encoding is the version-1 one plus ten u64 per sample */
	assert_int_equal(b.len, v1.len + 2 * SW_SAMPLE_V3_EXTRA);
	assert_int_equal(v1.len, SW_FRAME_HEADER + 2 + 2 * proto_sample_wire_size(&in[0]));
	/* ... at the end of each sample, in the contract's order, big-endian */
	assert_int_equal(b.data[b.len - 1], 5);      /* journal_dropped */
	assert_int_equal(b.data[b.len - 8 - 1], 0x80); /* retention 2678400 = 0x28de80 */
	assert_int_equal(b.data[b.len - 8 - 2], 0xde);
	assert_int_equal(b.data[b.len - 8 - 3], 0x28);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_samples(&f, out, 2, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(out[i].seq, in[i].seq);
		assert_int_equal(out[i].objects, in[i].objects);
		assert_int_equal(out[i].flags, in[i].flags);
		assert_int_equal(out[i].removed_objects, in[i].removed_objects);
		assert_int_equal(out[i].removed_bytes, in[i].removed_bytes);
		assert_int_equal(out[i].removed_young_objects, in[i].removed_young_objects);
		assert_int_equal(out[i].removed_young_bytes, in[i].removed_young_bytes);
		assert_int_equal(out[i].removed_min_age, in[i].removed_min_age);
		assert_int_equal(out[i].shrunk_bytes, in[i].shrunk_bytes);
		assert_int_equal(out[i].moved_objects, in[i].moved_objects);
		assert_int_equal(out[i].moved_bytes, in[i].moved_bytes);
		assert_int_equal(out[i].retention, in[i].retention);
		assert_int_equal(out[i].journal_dropped, in[i].journal_dropped);
	}
	/* to a version-1/2 collector: totals only, no flag it would refuse */
	assert_true(proto_frame_parse(v1.data, v1.len, &f) > 0);
	assert_int_equal(f.version, 1);
	assert_int_equal(proto_decode_samples(&f, out, 2, &n), 0);
	assert_int_equal(out[0].flags, SW_SAMPLE_HAS_ADDED | SW_SAMPLE_BTIME);
	assert_int_equal(out[0].removed_objects, 0);
	assert_int_equal(out[0].journal_dropped, 0);
	assert_int_equal(out[0].objects, in[0].objects);
	/* a version-2 link gets SAMPLES in version 1 */
	v1.len = 0;
	assert_int_equal(proto_encode_samples_version(&v1, in, 2, 2), 0);
	assert_int_equal(v1.data[2], 1);
	assert_int_equal(proto_encode_samples_version(&v1, in, 2, 4), -EINVAL);
	buf_release(&v1);
	buf_release(&b);
}

static int decode_one_v3(const struct sw_sample *s, uint8_t version)
{
	struct sw_sample out;
	struct sw_frame f;
	struct buf b;
	size_t n;
	int err;

	buf_init(&b, 1 << 20);
	assert_int_equal(proto_encode_samples_version(&b, s, 1, 3), 0);
	b.data[2] = version; /* what a peer could send */
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	err = proto_decode_samples(&f, &out, 1, &n);
	buf_release(&b);
	return err;
}

static void test_samples_v3_refusals(void **state)
{
	struct sw_sample s = make_exact(3);
	(void)state;

	assert_int_equal(decode_one_v3(&s, 3), 0);
	/* the v3 encoding in a v1 frame: its flags are not version 1's */
	assert_int_equal(decode_one_v3(&s, 1), -EINVAL);
	s.flags &= SW_SAMPLE_FLAGS_V1; /* and without them, trailing bytes */
	assert_int_equal(decode_one_v3(&s, 1), -EPROTO);
	s = make_exact(3);
	s.removed_young_objects = s.removed_objects + 1;
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_exact(3);
	s.removed_young_bytes = s.removed_bytes + 1;
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_exact(3);
	s.retention = 0; /* a split against no retention */
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_exact(3);
	s.flags &= ~(uint32_t)SW_SAMPLE_EXACT; /* a split without exact figures */
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_exact(3);
	s.status = SW_SCAN_PARTIAL; /* a partial scan is never exact */
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
}

/* A version-1 frame never carries the version-3 flags. */
static void test_samples_v1_refuses_exact_flag(void **state)
{
	struct sw_sample s = make_sample(1, "bodycam"), out;
	struct sw_frame f;
	struct buf b;
	size_t n, flags_at;
	(void)state;

	buf_init(&b, 1 << 20);
	assert_int_equal(proto_encode_samples(&b, &s, 1), 0);
	/* flags follow count, seq, time, store and eight u64 */
	flags_at = SW_FRAME_HEADER + 2 + 8 + 8 + 2 + strlen(s.store) + 8 * 8;
	assert_int_equal(b.data[flags_at + 3], SW_SAMPLE_HAS_ADDED | SW_SAMPLE_BTIME);
	b.data[flags_at + 3] |= SW_SAMPLE_EXACT;
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_samples(&f, &out, 1, &n), -EINVAL);
	buf_release(&b);
}

static void test_policy(void **state)
{
	static const uint8_t fixture[] = {
		'S', 'W', 3, SW_MSG_POLICY, 0, 0, 0, 19,
		0, 1,                              /* count */
		0, 7, 'b', 'o', 'd', 'y', 'c', 'a', 'm',
		0, 0, 0, 0, 0, 0x28, 0xde, 0x80,   /* 31 days */
	};
	struct sw_policy in = { .retention = 31 * 86400 }, out[2];
	struct sw_frame f;
	struct buf b;
	size_t n = 9;
	(void)state;

	memset(out, 0, sizeof out);
	snprintf(in.store, sizeof in.store, "bodycam");
	buf_init(&b, 4096);
	assert_int_equal(proto_encode_policy(&b, &in, 1), 0);
	assert_int_equal(b.len, sizeof fixture);
	assert_memory_equal(b.data, fixture, sizeof fixture);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_policy(&f, out, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(&in, &out[0], sizeof in);
	assert_int_equal(proto_decode_policy(&f, out, 0, &n), -EPROTO); /* no room */
	/* empty: the collector knows no store yet */
	b.len = 0;
	assert_int_equal(proto_encode_policy(&b, NULL, 0), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_policy(&f, out, 2, &n), 0);
	assert_int_equal(n, 0);
	/* a bad store name: refused with its index */
	b.len = 0;
	assert_int_equal(proto_encode_policy(&b, &in, 1), 0);
	b.data[SW_FRAME_HEADER + 4] = '/';
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_policy(&f, out, 2, &n), -EINVAL);
	assert_int_equal(n, 0);
	/* a version-3 message in an older frame is malformed at the header */
	b.data[2] = 2;
	assert_int_equal(proto_frame_parse(b.data, b.len, &f), -EPROTO);
	assert_int_equal(proto_encode_policy(&b, &in, SW_POLICY_MAX + 1), -EINVAL);
	assert_string_equal(proto_msg_name(SW_MSG_POLICY), "POLICY");
	buf_release(&b);
}

static void test_invreq(void **state)
{
	struct sw_invreq in = { .req_id = 77, .from = 1700000000, .to = 1700086400,
				.max_items = 100000 },
			 out;
	struct sw_frame f;
	struct buf b;
	(void)state;

	memset(&out, 0, sizeof out);
	snprintf(in.store, sizeof in.store, "bodycam");
	snprintf(in.prefix, sizeof in.prefix, "2021/case4411/");
	buf_init(&b, 4096);
	assert_int_equal(proto_encode_invreq(&b, &in), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(f.version, 3);
	assert_int_equal(proto_decode_invreq(&f, &out), 0);
	assert_memory_equal(&in, &out, sizeof in);
	/* cut short: malformed */
	f.len--;
	assert_int_equal(proto_decode_invreq(&f, &out), -EPROTO);
	/* from after to: unacceptable, both ways */
	in.from = in.to + 1;
	assert_int_equal(proto_encode_invreq(&b, &in), -EINVAL);
	b.len = 0;
	in.from = 1700000000;
	assert_int_equal(proto_encode_invreq(&b, &in), 0);
	b.data[SW_FRAME_HEADER + 8 + 2 + 7 + 7] = 0xff; /* from's low byte: after to */
	b.data[SW_FRAME_HEADER + 8 + 2 + 7 + 3] = 0x7f;
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_invreq(&f, &out), -EINVAL);
	buf_release(&b);
}

static void test_inventory_hostile_paths(void **state)
{
	static struct sw_invitem in[3], out[3];
	struct sw_inventory hdr = { .req_id = 77, .status = SW_INV_LAST, .total_items = 3,
				    .truncated = 1 },
			    ohdr;
	struct sw_frame f;
	struct buf b;
	size_t n;
	(void)state;

	memset(in, 0, sizeof in);
	memset(out, 0, sizeof out);
	for (int i = 0; i < 3; i++) {
		in[i].size = 1000u * (unsigned)i;
		in[i].birth = 1600000000 + i;
		in[i].removed_after = 1700000000;
		in[i].removed_before = 1700000060;
		in[i].pid = 0;
		in[i].uid = -1;
		snprintf(in[i].exe, sizeof in[i].exe, "?");
	}
	snprintf(in[0].path, sizeof in[0].path, "2021/case\n4411/\xff\xfe\x1b[31mred.mp4");
	memset(in[1].path, 'a', SW_PATH_WIRE_MAX); /* a 4 KB path */
	in[1].path[SW_PATH_WIRE_MAX] = '\0';
	in[1].pid = 4312;
	in[1].uid = 1000;
	snprintf(in[1].exe, sizeof in[1].exe, "/usr/bin/rm");
	snprintf(in[2].path, sizeof in[2].path, "2021/case4411");
	in[2].flags = SW_INV_CUT;
	buf_init(&b, SW_FRAME_HEADER + SW_FRAME_MAX);
	assert_int_equal(proto_encode_inventory(&b, &hdr, in, 3), 0);
	assert_int_equal(b.len, SW_FRAME_HEADER + SW_INVENTORY_FIXED +
					proto_invitem_wire_size(&in[0]) +
					proto_invitem_wire_size(&in[1]) +
					proto_invitem_wire_size(&in[2]));
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_inventory(&f, &ohdr, out, 3, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ohdr.req_id, 77);
	assert_int_equal(ohdr.status, SW_INV_LAST);
	assert_int_equal(ohdr.total_items, 3);
	assert_int_equal(ohdr.truncated, 1);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(&in[i], &out[i], sizeof in[i]);
	assert_int_equal(proto_decode_inventory(&f, &ohdr, out, 2, &n), -EPROTO); /* no room */
	/* every prefix waits, every cut is malformed */
	for (size_t len = 0; len < b.len; len++)
		assert_int_equal(proto_frame_parse(b.data, len, &f), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	f.len -= 1;
	assert_int_equal(proto_decode_inventory(&f, &ohdr, out, 3, &n), -EPROTO);
	/* a bracket that ends before it starts, an unknown flag: unacceptable */
	in[2].removed_before = in[2].removed_after - 1;
	b.len = 0;
	assert_int_equal(proto_encode_inventory(&b, &hdr, in, 3), -EINVAL);
	assert_int_equal(b.len, 0);
	in[2].removed_before = in[2].removed_after;
	in[2].flags = 0x80;
	assert_int_equal(proto_encode_inventory(&b, &hdr, in, 3), -EINVAL);
	in[2].flags = 0;
	/* refused request: no items needed, or the reason in item 0 */
	hdr.status = SW_INV_REFUSED;
	assert_int_equal(proto_encode_inventory(&b, &hdr, NULL, 0), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_inventory(&f, &ohdr, out, 3, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ohdr.status, SW_INV_REFUSED);
	b.data[SW_FRAME_HEADER + 8] = 3; /* unknown status */
	assert_int_equal(proto_decode_inventory(&f, &ohdr, out, 3, &n), -EINVAL);
	buf_release(&b);
}

/* A frame full of 4 KB paths stops at SW_FRAME_MAX with -EMSGSIZE and
 * leaves nothing behind; the sender sizes its batches by wire size. */
static void test_inventory_frame_bound(void **state)
{
	static struct sw_invitem items[300];
	struct sw_inventory hdr = { .req_id = 1, .status = SW_INV_MORE };
	struct buf b;
	size_t fit = 0, used = SW_INVENTORY_FIXED;
	(void)state;

	for (size_t i = 0; i < 300; i++) {
		memset(items[i].path, 'p', SW_PATH_WIRE_MAX);
		items[i].path[SW_PATH_WIRE_MAX] = '\0';
		items[i].uid = -1;
		snprintf(items[i].exe, sizeof items[i].exe, "?");
	}
	buf_init(&b, 2 * SW_FRAME_MAX);
	assert_int_equal(proto_encode_inventory(&b, &hdr, items, 300), -EMSGSIZE);
	assert_int_equal(b.len, 0);
	while (used + proto_invitem_wire_size(&items[fit]) <= SW_FRAME_MAX)
		used += proto_invitem_wire_size(&items[fit++]);
	assert_int_equal(proto_encode_inventory(&b, &hdr, items, fit), 0);
	assert_true(b.len <= SW_FRAME_HEADER + SW_FRAME_MAX);
	buf_release(&b);
}

static void test_sample_json_exact(void **state)
{
	struct sw_sample s = make_exact(4);
	struct buf b;
	char *json;
	(void)state;

	buf_init(&b, 1 << 16);
	assert_int_equal(sample_to_json(&b, NULL, &s), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	json = (char *)b.data;
	assert_non_null(strstr(json, "\"exact\":true"));
	assert_non_null(strstr(json, "\"removed_objects\":12"));
	assert_non_null(strstr(json, "\"removed_young_objects\":3"));
	assert_non_null(strstr(json, "\"retention\":2678400"));
	assert_non_null(strstr(json, "\"removed_min_age\":3600"));
	assert_non_null(strstr(json, "\"shrunk_bytes\":777"));
	assert_non_null(strstr(json, "\"moved_objects\":40"));
	assert_non_null(strstr(json, "\"journal_dropped\":5"));
	/* totals only: no figure that could read as "nothing removed" */
	b.len = 0;
	s.flags &= ~(uint32_t)(SW_SAMPLE_EXACT | SW_SAMPLE_YOUNG_SPLIT);
	assert_int_equal(sample_to_json(&b, NULL, &s), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_null(strstr((char *)b.data, "removed_"));
	/* nothing removed: no minimum age */
	b.len = 0;
	s = make_exact(4);
	s.removed_objects = s.removed_young_objects = 0;
	s.removed_bytes = s.removed_young_bytes = 0;
	s.removed_min_age = UINT64_MAX;
	assert_int_equal(sample_to_json(&b, NULL, &s), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_null(strstr((char *)b.data, "removed_min_age"));
	buf_release(&b);
}

/* ---- object store listings (SW_SAMPLE_LISTING, version 3) --------------- */

static struct sw_sample make_listing(uint64_t seq)
{
	struct sw_sample s = make_exact(seq);

	s.flags &= ~(uint32_t)(SW_SAMPLE_EXACT | SW_SAMPLE_YOUNG_SPLIT | SW_SAMPLE_BTIME);
	s.flags |= SW_SAMPLE_LISTING | SW_SAMPLE_VERSIONED;
	s.requests = 1003;
	s.noncurrent_objects = 70;
	s.noncurrent_bytes = 7ull << 30;
	s.delete_markers = 12;
	return s;
}

static void test_samples_listing_round_trip(void **state)
{
	struct sw_sample in[2] = { make_listing(7), make_exact(8) }, out[2];
	struct sw_frame f;
	struct buf b, v1;
	size_t n;
	(void)state;

	buf_init(&b, 1 << 20);
	buf_init(&v1, 1 << 20);
	assert_int_equal(proto_encode_samples_version(&b, in, 2, 3), 0);
	assert_int_equal(proto_encode_samples(&v1, in, 2), 0);
	/* the listing's four u64 follow the exact figures, only on a listing */
	assert_int_equal(b.len, v1.len + 2 * SW_SAMPLE_V3_EXTRA + SW_SAMPLE_LISTING_EXTRA);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_samples(&f, out, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].flags, in[0].flags);
	assert_int_equal(out[0].requests, 1003);
	assert_int_equal(out[0].noncurrent_objects, 70);
	assert_int_equal(out[0].noncurrent_bytes, 7ull << 30);
	assert_int_equal(out[0].delete_markers, 12);
	assert_int_equal(out[0].journal_dropped, in[0].journal_dropped);
	/* the directory store after it is read where it starts */
	assert_int_equal(out[1].seq, 8);
	assert_int_equal(out[1].flags, in[1].flags);
	assert_int_equal(out[1].requests, 0);
	assert_int_equal(out[1].retention, in[1].retention);
	/* a version-1/2 collector gets the bucket's totals and no flag it
	 * would refuse */
	assert_true(proto_frame_parse(v1.data, v1.len, &f) > 0);
	assert_int_equal(proto_decode_samples(&f, out, 2, &n), 0);
	assert_int_equal(out[0].flags, SW_SAMPLE_HAS_ADDED);
	assert_int_equal(out[0].objects, in[0].objects);
	assert_int_equal(out[0].requests, 0);
	assert_int_equal(out[0].delete_markers, 0);
	buf_release(&v1);
	buf_release(&b);
}

static void test_samples_listing_refusals(void **state)
{
	struct sw_sample s = make_listing(3);
	(void)state;

	assert_int_equal(decode_one_v3(&s, 3), 0);
	s.flags &= ~(uint32_t)SW_SAMPLE_VERSIONED; /* unversioned: requests only */
	s.noncurrent_objects = s.noncurrent_bytes = s.delete_markers = 0;
	assert_int_equal(decode_one_v3(&s, 3), 0);
	s.delete_markers = 1; /* markers without a versioned listing */
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_listing(3);
	s.flags &= ~(uint32_t)SW_SAMPLE_LISTING; /* versioned without a listing */
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
}

/* A version-3 sample written before SW_SAMPLE_LISTING existed (an agent's
 * spool) has no listing tail: it still decodes, field for field. */
static void test_samples_v3_without_listing_tail(void **state)
{
	struct sw_sample in = make_exact(5), out;
	struct sw_frame f;
	struct buf b;
	size_t n;
	(void)state;

	buf_init(&b, 1 << 20);
	assert_int_equal(proto_encode_samples_version(&b, &in, 1, 3), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_samples(&f, &out, 1, &n), 0);
	assert_int_equal(out.journal_dropped, 5);
	assert_int_equal(out.requests, 0);
	/* the flag set on those bytes: the tail is missing */
	b.data[SW_FRAME_HEADER + 2 + 8 + 8 + 2 + strlen(in.store) + 8 * 8 + 3] |=
		SW_SAMPLE_LISTING;
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_samples(&f, &out, 1, &n), -EPROTO);
	buf_release(&b);
}

static void test_sample_json_listing(void **state)
{
	struct sw_sample s = make_listing(4);
	struct buf b;
	char *json;
	(void)state;

	buf_init(&b, 1 << 16);
	assert_int_equal(sample_to_json(&b, NULL, &s), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	json = (char *)b.data;
	assert_non_null(strstr(json, "\"list_requests\":1003"));
	assert_non_null(strstr(json, "\"versioned\":true"));
	assert_non_null(strstr(json, "\"noncurrent_objects\":70"));
	assert_non_null(strstr(json, "\"delete_markers\":12"));
	b.len = 0;
	s.flags &= ~(uint32_t)SW_SAMPLE_VERSIONED;
	assert_int_equal(sample_to_json(&b, NULL, &s), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_non_null(strstr((char *)b.data, "\"list_requests\":1003"));
	assert_null(strstr((char *)b.data, "delete_markers"));
	b.len = 0;
	s = make_exact(4); /* a directory store: nothing of listings */
	assert_int_equal(sample_to_json(&b, NULL, &s), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_null(strstr((char *)b.data, "list_requests"));
	buf_release(&b);
}

/* ---- the fresh split (SW_SAMPLE_FRESH_SPLIT, version 3) ----------------- */

static struct sw_sample make_fresh(uint64_t seq)
{
	struct sw_sample s = make_exact(seq);

	s.flags |= SW_SAMPLE_FRESH_SPLIT;
	s.fresh_age = 7200;
	s.removed_fresh_objects = 1;
	s.removed_fresh_bytes = 1ull << 20;
	s.removed_min_settled_age = 3 * 86400;
	s.removed_min_age = 600;
	return s;
}

/* The fresh tail comes last, after the listing's, only with its flag; a
 * sample without it (a spooled record from before) reads as before. */
static void test_samples_fresh_round_trip(void **state)
{
	struct sw_sample in[3] = { make_fresh(7), make_listing(8), make_exact(9) }, out[3];
	struct sw_frame f;
	struct buf b, v1;
	size_t n;
	(void)state;

	in[1].flags |= SW_SAMPLE_EXACT | SW_SAMPLE_FRESH_SPLIT;
	in[1].fresh_age = 900;
	in[1].removed_fresh_objects = 2; /* no young split: within the whole */
	in[1].removed_fresh_bytes = 5;
	in[1].removed_min_settled_age = UINT64_MAX;
	buf_init(&b, 1 << 20);
	buf_init(&v1, 1 << 20);
	assert_int_equal(proto_encode_samples_version(&b, in, 3, 3), 0);
	assert_int_equal(proto_encode_samples(&v1, in, 3), 0);
	assert_int_equal(b.len, v1.len + 3 * SW_SAMPLE_V3_EXTRA + SW_SAMPLE_LISTING_EXTRA +
					2 * SW_SAMPLE_FRESH_EXTRA);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_samples(&f, out, 3, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(out[i].flags, in[i].flags);
		assert_int_equal(out[i].fresh_age, in[i].fresh_age);
		assert_int_equal(out[i].removed_fresh_objects, in[i].removed_fresh_objects);
		assert_int_equal(out[i].removed_fresh_bytes, in[i].removed_fresh_bytes);
		assert_int_equal(out[i].removed_min_settled_age, in[i].removed_min_settled_age);
		assert_int_equal(out[i].removed_young_objects, in[i].removed_young_objects);
		assert_int_equal(out[i].requests, in[i].requests);
	}
	assert_int_equal(out[0].removed_min_settled_age, 3 * 86400);
	assert_int_equal(out[2].fresh_age, 0);
	/* a version-1/2 collector: no flag it would refuse, no tail */
	assert_true(proto_frame_parse(v1.data, v1.len, &f) > 0);
	assert_int_equal(proto_decode_samples(&f, out, 3, &n), 0);
	assert_int_equal(out[0].flags & SW_SAMPLE_FRESH_SPLIT, 0);
	assert_int_equal(out[0].fresh_age, 0);
	/* the flag set on the bytes of a sample without the tail: cut short */
	b.len = 0;
	assert_int_equal(proto_encode_samples_version(&b, &in[2], 1, 3), 0);
	b.data[SW_FRAME_HEADER + 2 + 8 + 8 + 2 + strlen(in[2].store) + 8 * 8 + 3] |=
		SW_SAMPLE_FRESH_SPLIT;
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_samples(&f, out, 1, &n), -EPROTO);
	buf_release(&v1);
	buf_release(&b);
}

static void test_samples_fresh_refusals(void **state)
{
	struct sw_sample s = make_fresh(3);
	(void)state;

	assert_int_equal(decode_one_v3(&s, 3), 0);
	s.removed_fresh_objects = s.removed_young_objects + 1; /* beyond the young */
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_fresh(3);
	s.removed_fresh_bytes = s.removed_young_bytes + 1;
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_fresh(3);
	s.fresh_age = 0;
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_fresh(3);
	s.fresh_age = s.retention + 1; /* fresh must be young */
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_fresh(3);
	s.removed_min_settled_age = s.fresh_age - 1; /* settled, yet fresh */
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_fresh(3);
	s.flags &= ~(uint32_t)(SW_SAMPLE_EXACT | SW_SAMPLE_YOUNG_SPLIT); /* no exact figures */
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
	s = make_fresh(3);
	s.flags &= ~(uint32_t)SW_SAMPLE_YOUNG_SPLIT; /* within the whole removal then */
	s.removed_fresh_objects = s.removed_objects;
	s.removed_fresh_bytes = s.removed_bytes;
	s.removed_min_settled_age = UINT64_MAX;
	assert_int_equal(decode_one_v3(&s, 3), 0);
	s.removed_fresh_objects = s.removed_objects + 1;
	assert_int_equal(decode_one_v3(&s, 3), -EINVAL);
}

static void test_sample_json_fresh(void **state)
{
	struct sw_sample s = make_fresh(4);
	struct buf b;
	(void)state;

	buf_init(&b, 1 << 16);
	assert_int_equal(sample_to_json(&b, NULL, &s), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_non_null(strstr((char *)b.data, "\"fresh_age\":7200"));
	assert_non_null(strstr((char *)b.data, "\"removed_fresh_objects\":1"));
	assert_non_null(strstr((char *)b.data, "\"removed_min_settled_age\":259200"));
	b.len = 0;
	s.removed_min_settled_age = UINT64_MAX; /* nothing settled: left out */
	assert_int_equal(sample_to_json(&b, NULL, &s), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_non_null(strstr((char *)b.data, "\"fresh_age\":7200"));
	assert_null(strstr((char *)b.data, "removed_min_settled_age"));
	b.len = 0;
	s = make_exact(4);
	assert_int_equal(sample_to_json(&b, NULL, &s), 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_null(strstr((char *)b.data, "fresh"));
	buf_release(&b);
}

/* DIGREQ: a byte fixture, a round trip, and every refusal both ways. */
static void test_digreq(void **state)
{
	static const uint8_t fixture[] = {
		'S', 'W', 3, SW_MSG_DIGREQ, 0, 0, 0, 8 + 2 + 3 + 2 + 9 + 1,
		0, 0, 0, 0, 0, 0, 0, 42,                  /* req_id */
		0, 3, 'c', 'a', 'm',                      /* store */
		0, 9, '2', '0', '2', '1', '/', 'c', 'a', 's', 'e', /* dir */
		SW_DIG_CONTENT | SW_DIG_SELF,             /* flags */
	};
	static const char *bad_dirs[] = { "/2021", "2021/", "a//b", "..", "a/../b", ".",
					  "a/./b", "/" };
	struct sw_digreq in, out;
	struct sw_frame f;
	struct buf b;
	(void)state;

	memset(&in, 0, sizeof in);
	memset(&out, 0, sizeof out);
	in.req_id = 42;
	snprintf(in.store, sizeof in.store, "cam");
	snprintf(in.dir, sizeof in.dir, "2021/case");
	in.flags = SW_DIG_CONTENT | SW_DIG_SELF;
	buf_init(&b, 2 * SW_FRAME_MAX);
	assert_int_equal(proto_encode_digreq(&b, &in), 0);
	assert_int_equal(b.len, sizeof fixture);
	assert_memory_equal(b.data, fixture, sizeof fixture);
	assert_int_equal(proto_frame_parse(b.data, b.len, &f), (long)b.len);
	assert_int_equal(proto_decode_digreq(&f, &out), 0);
	assert_memory_equal(&in, &out, sizeof in);
	/* every cut is malformed, a trailing byte too */
	for (uint32_t len = 0; len < f.len; len++) {
		struct sw_frame cut = f;

		cut.len = len;
		assert_int_equal(proto_decode_digreq(&cut, &out), -EPROTO);
	}
	/* a digest request never travels in an older frame */
	b.data[2] = 2;
	assert_int_equal(proto_frame_parse(b.data, b.len, &f), -EPROTO);
	b.data[2] = 3;
	/* an unknown flag, a zero req_id, a bad store: refused both ways */
	b.data[b.len - 1] = 0x10;
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_digreq(&f, &out), -EINVAL);
	b.len = 0;
	in.flags = 0x10;
	assert_int_equal(proto_encode_digreq(&b, &in), -EINVAL);
	in.flags = SW_DIG_NAMES;
	in.req_id = 0;
	assert_int_equal(proto_encode_digreq(&b, &in), -EINVAL);
	in.req_id = 1;
	snprintf(in.store, sizeof in.store, "../etc");
	assert_int_equal(proto_encode_digreq(&b, &in), -EINVAL);
	snprintf(in.store, sizeof in.store, "cam");
	/* the root and a 4 KB dir are fine */
	in.dir[0] = '\0';
	assert_int_equal(proto_encode_digreq(&b, &in), 0);
	memset(in.dir, 'd', SW_PATH_WIRE_MAX);
	in.dir[SW_PATH_WIRE_MAX] = '\0';
	assert_int_equal(proto_encode_digreq(&b, &in), 0);
	assert_int_equal(b.len, 0 + (SW_FRAME_HEADER + 8 + 2 + 3 + 2 + 1) * 2 + SW_PATH_WIRE_MAX);
	/* dirs that are not canonical: refused by the encoder and the decoder */
	for (size_t i = 0; i < sizeof bad_dirs / sizeof bad_dirs[0]; i++) {
		snprintf(in.dir, sizeof in.dir, "%s", bad_dirs[i]);
		assert_false(proto_digdir_valid(in.dir));
		assert_int_equal(proto_encode_digreq(&b, &in), -EINVAL);
		b.len = 0;
		snprintf(in.dir, sizeof in.dir, "%.*s", (int)strlen(bad_dirs[i]), "xxxxxxxx");
		assert_int_equal(proto_encode_digreq(&b, &in), 0);
		memcpy(b.data + SW_FRAME_HEADER + 8 + 2 + 3 + 2, bad_dirs[i], strlen(bad_dirs[i]));
		assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
		assert_int_equal(proto_decode_digreq(&f, &out), -EINVAL);
		b.len = 0;
	}
	buf_release(&b);
}

static void make_digentry(struct sw_digentry *e, uint8_t first, uint8_t kind)
{
	memset(e, 0, sizeof *e);
	memset(e->name_hash, 0x11, sizeof e->name_hash);
	e->name_hash[0] = first;
	e->kind = kind;
	e->size = 1000u + first;
	e->files = kind == 'D' ? 7 : 0;
	e->birth = kind == 'F' ? 1600000000 + first : 0;
	memset(e->digest, 0xa0 + first % 16, sizeof e->digest);
}

/* DIGESTS: a round trip with hostile names, then every refusal. */
static void test_digests(void **state)
{
	static struct sw_digentry in[3], out[3];
	struct sw_digests hdr, ohdr;
	struct sw_frame f;
	struct buf b;
	size_t n;
	(void)state;

	memset(&hdr, 0, sizeof hdr);
	memset(&ohdr, 0, sizeof ohdr);
	memset(out, 0, sizeof out);
	hdr.req_id = 9;
	hdr.status = SW_DIG_LAST;
	hdr.scan_time = 1700000000;
	memset(hdr.self, 0x5a, sizeof hdr.self);
	hdr.files = 12;
	hdr.bytes = 1ull << 40;
	make_digentry(&in[0], 0x01, 'F');
	make_digentry(&in[1], 0x02, 'D');
	make_digentry(&in[2], 0xf0, 'F');
	snprintf(in[0].name, sizeof in[0].name, "case\n4411\xff\x1b[31m.mp4");
	memset(in[1].name, 'n', SW_PATH_WIRE_MAX);
	buf_init(&b, 2 * SW_FRAME_MAX);
	assert_int_equal(proto_encode_digests(&b, &hdr, in, 3), 0);
	assert_int_equal(b.len, SW_FRAME_HEADER + SW_DIGESTS_FIXED + proto_digentry_wire_size(&in[0]) +
					proto_digentry_wire_size(&in[1]) +
					proto_digentry_wire_size(&in[2]));
	assert_int_equal(proto_frame_parse(b.data, b.len, &f), (long)b.len);
	assert_int_equal(proto_decode_digests(&f, &ohdr, out, 3, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(&hdr, &ohdr, sizeof hdr);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(&in[i], &out[i], sizeof in[i]);
	assert_int_equal(proto_decode_digests(&f, &ohdr, out, 2, &n), -EPROTO); /* no room */
	for (uint32_t len = 0; len < f.len; len++) {
		struct sw_frame cut = f;

		cut.len = len;
		assert_int_equal(proto_decode_digests(&cut, &ohdr, out, 3, &n), -EPROTO);
	}
	/* entries out of name-hash order, or repeated: malformed / refused */
	b.len = 0;
	make_digentry(&in[2], 0x02, 'F');
	assert_int_equal(proto_encode_digests(&b, &hdr, in, 3), -EINVAL);
	assert_int_equal(b.len, 0);
	make_digentry(&in[2], 0xf0, 'F');
	assert_int_equal(proto_encode_digests(&b, &hdr, in, 3), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	b.data[b.len - proto_digentry_wire_size(&in[2])] = 0x01; /* entry 2's hash below 1's */
	assert_int_equal(proto_decode_digests(&f, &ohdr, out, 3, &n), -EPROTO);
	b.data[b.len - proto_digentry_wire_size(&in[2])] = 0xf0;
	/* an unknown kind: refused, with the index */
	b.data[b.len - proto_digentry_wire_size(&in[2]) + SW_NAME_HASH_LEN] = 'X';
	assert_int_equal(proto_decode_digests(&f, &ohdr, out, 3, &n), -EINVAL);
	assert_int_equal(n, 2);
	b.len = 0;
	in[2].kind = 'L';
	assert_int_equal(proto_encode_digests(&b, &hdr, in, 3), -EINVAL);
	in[2].kind = 'F';
	/* a name holding '/' is not one component */
	snprintf(in[2].name, sizeof in[2].name, "a/b");
	assert_int_equal(proto_encode_digests(&b, &hdr, in, 3), -EINVAL);
	in[2].name[0] = '\0';
	/* an unknown status, a zero req_id */
	hdr.status = SW_DIG_STATUS_MAX + 1;
	assert_int_equal(proto_encode_digests(&b, &hdr, NULL, 0), -EINVAL);
	hdr.status = SW_DIG_REFUSED;
	snprintf(hdr.text, sizeof hdr.text, "store 'cam' has no manifest yet");
	assert_int_equal(proto_encode_digests(&b, &hdr, NULL, 0), 0);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_digests(&f, &ohdr, out, 3, &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(ohdr.text, hdr.text);
	b.data[SW_FRAME_HEADER + 8] = SW_DIG_STATUS_MAX + 1;
	assert_int_equal(proto_decode_digests(&f, &ohdr, out, 3, &n), -EINVAL);
	b.len = 0;
	hdr.req_id = 0;
	assert_int_equal(proto_encode_digests(&b, &hdr, NULL, 0), -EINVAL);
	buf_release(&b);
}

/* A full frame of entries without names fits; with 4 KB names the encoder
 * stops at SW_FRAME_MAX with -EMSGSIZE and leaves nothing behind; a count
 * above SW_DIGESTS_MAX is refused. */
static void test_digests_frame_bound(void **state)
{
	static struct sw_digentry e[SW_DIGESTS_MAX + 1];
	static struct sw_digentry out[SW_DIGESTS_MAX];
	struct sw_digests hdr = { .req_id = 1, .status = SW_DIG_MORE };
	struct sw_frame f;
	struct buf b;
	size_t n;
	(void)state;

	for (uint32_t i = 0; i <= SW_DIGESTS_MAX; i++) {
		memset(&e[i], 0, sizeof e[i]);
		e[i].name_hash[0] = (uint8_t)(i >> 8);
		e[i].name_hash[1] = (uint8_t)i;
		e[i].kind = 'F';
	}
	buf_init(&b, 8 * SW_FRAME_MAX);
	assert_int_equal(proto_encode_digests(&b, &hdr, e, SW_DIGESTS_MAX + 1), -EINVAL);
	assert_int_equal(proto_encode_digests(&b, &hdr, e, SW_DIGESTS_MAX), 0);
	assert_true(b.len <= SW_FRAME_HEADER + SW_FRAME_MAX);
	assert_true(proto_frame_parse(b.data, b.len, &f) > 0);
	assert_int_equal(proto_decode_digests(&f, &hdr, out, SW_DIGESTS_MAX, &n), 0);
	assert_int_equal(n, SW_DIGESTS_MAX);
	/* a count above the limit in the frame itself */
	b.data[SW_DIGESTS_FIXED + SW_FRAME_HEADER - 2] = 0x20;
	b.data[SW_DIGESTS_FIXED + SW_FRAME_HEADER - 1] = 0x01;
	assert_int_equal(proto_decode_digests(&f, &hdr, out, SW_DIGESTS_MAX, &n), -EPROTO);
	b.len = 0;
	for (uint32_t i = 0; i < 300; i++)
		memset(e[i].name, 'p', SW_PATH_WIRE_MAX);
	assert_int_equal(proto_encode_digests(&b, &hdr, e, 300), -EMSGSIZE);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_round_trip),
		cmocka_unit_test(test_samples_round_trip),
		cmocka_unit_test(test_ack_and_error),
		cmocka_unit_test(test_truncated_frames_wait),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_malformed_samples),
		cmocka_unit_test(test_encoder_refuses_bad_names),
		cmocka_unit_test(test_hello_rejects_zero_interval),
		cmocka_unit_test(test_max_batch_fits_a_frame),
		cmocka_unit_test(test_deletions_fixture),
		cmocka_unit_test(test_deletions_refusals),
		cmocka_unit_test(test_delack_and_hello_v2),
		cmocka_unit_test(test_samples_v3_round_trip),
		cmocka_unit_test(test_samples_v3_refusals),
		cmocka_unit_test(test_samples_v1_refuses_exact_flag),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_invreq),
		cmocka_unit_test(test_inventory_hostile_paths),
		cmocka_unit_test(test_inventory_frame_bound),
		cmocka_unit_test(test_sample_json_exact),
		cmocka_unit_test(test_samples_listing_round_trip),
		cmocka_unit_test(test_samples_listing_refusals),
		cmocka_unit_test(test_samples_v3_without_listing_tail),
		cmocka_unit_test(test_sample_json_listing),
		cmocka_unit_test(test_samples_fresh_round_trip),
		cmocka_unit_test(test_samples_fresh_refusals),
		cmocka_unit_test(test_sample_json_fresh),
		cmocka_unit_test(test_digreq),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_digests_frame_bound),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
