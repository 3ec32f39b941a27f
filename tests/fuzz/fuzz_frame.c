/* fuzz_frame.c - libFuzzer target for the frame parser and every message
 * decoder: whatever the bytes, no crash, no read past the input, and a frame
 * that decodes re-encodes to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_samples(const struct sw_frame *f)
{
	static struct sw_sample s[SW_SAMPLES_MAX];
	struct buf again;
	size_t n;

	if (proto_decode_samples(f, s, SW_SAMPLES_MAX, &n))
		return;
	buf_init(&again, SW_FRAME_HEADER + SW_FRAME_MAX);
	if (proto_encode_samples_version(&again, s, n, f->version) ||
	    again.len != SW_FRAME_HEADER + f->len ||
	    memcmp(again.data + SW_FRAME_HEADER, f->payload, f->len))
		abort(); /* what we accept, we must be able to say back */
	buf_release(&again);
}

static void check_deletions(const struct sw_frame *f)
{
	static struct sw_deletion d[SW_DELETIONS_MAX];
	struct buf again;
	size_t n;

	if (proto_decode_deletions(f, d, SW_DELETIONS_MAX, &n))
		return;
	buf_init(&again, SW_FRAME_HEADER + SW_FRAME_MAX);
	if (proto_encode_deletions(&again, d, n) || again.len != SW_FRAME_HEADER + f->len ||
	    memcmp(again.data + SW_FRAME_HEADER, f->payload, f->len))
		abort();
	buf_release(&again);
}

static void check_policy(const struct sw_frame *f)
{
	static struct sw_policy p[SW_POLICY_MAX];
	struct buf again;
	size_t n;

	if (proto_decode_policy(f, p, SW_POLICY_MAX, &n))
		return;
	buf_init(&again, SW_FRAME_HEADER + SW_FRAME_MAX);
	if (proto_encode_policy(&again, p, n) || again.len != SW_FRAME_HEADER + f->len ||
	    memcmp(again.data + SW_FRAME_HEADER, f->payload, f->len))
		abort();
	buf_release(&again);
}

static void check_invreq(const struct sw_frame *f)
{
	struct sw_invreq r;
	struct buf again;

	if (proto_decode_invreq(f, &r))
		return;
	buf_init(&again, SW_FRAME_HEADER + SW_FRAME_MAX);
	if (proto_encode_invreq(&again, &r) || again.len != SW_FRAME_HEADER + f->len ||
	    memcmp(again.data + SW_FRAME_HEADER, f->payload, f->len))
		abort();
	buf_release(&again);
}

static void check_inventory(const struct sw_frame *f)
{
	static struct sw_invitem items[SW_INVENTORY_MAX];
	struct sw_inventory hdr;
	struct buf again;
	size_t n;

	if (proto_decode_inventory(f, &hdr, items, SW_INVENTORY_MAX, &n))
		return;
	buf_init(&again, SW_FRAME_HEADER + SW_FRAME_MAX);
	if (proto_encode_inventory(&again, &hdr, items, n) ||
	    again.len != SW_FRAME_HEADER + f->len ||
	    memcmp(again.data + SW_FRAME_HEADER, f->payload, f->len))
		abort();
	buf_release(&again);
}

static void check_digreq(const struct sw_frame *f)
{
	static struct sw_digreq r;
	struct buf again;

	if (proto_decode_digreq(f, &r))
		return;
	buf_init(&again, SW_FRAME_HEADER + SW_FRAME_MAX);
	if (proto_encode_digreq(&again, &r) || again.len != SW_FRAME_HEADER + f->len ||
	    memcmp(again.data + SW_FRAME_HEADER, f->payload, f->len))
		abort();
	buf_release(&again);
}

static void check_digests(const struct sw_frame *f)
{
	static struct sw_digentry e[SW_DIGESTS_MAX];
	struct sw_digests hdr;
	struct buf again;
	size_t n;

	if (proto_decode_digests(f, &hdr, e, SW_DIGESTS_MAX, &n))
		return;
	buf_init(&again, SW_FRAME_HEADER + SW_FRAME_MAX);
	if (proto_encode_digests(&again, &hdr, e, n) || again.len != SW_FRAME_HEADER + f->len ||
	    memcmp(again.data + SW_FRAME_HEADER, f->payload, f->len))
		abort();
	buf_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* copy, so ASan sees any read past the end of the input */
	uint8_t *copy = malloc(size ? size : 1);
	size_t off = 0;

	memcpy(copy, data, size);
	while (off < size) {
		struct sw_frame f;
		struct sw_hello h;
		struct sw_error e;
		uint64_t seq;
		long used = proto_frame_parse(copy + off, size - off, &f);

		if (used <= 0)
			break;
		switch (f.type) {
		case SW_MSG_HELLO:
			proto_decode_hello(&f, &h);
			break;
		case SW_MSG_SAMPLES:
			check_samples(&f);
			break;
		case SW_MSG_ACK:
			proto_decode_ack(&f, &seq);
			break;
		case SW_MSG_ERROR:
			proto_decode_error(&f, &e);
			break;
		case SW_MSG_DELETIONS:
			check_deletions(&f);
			break;
		case SW_MSG_DELACK:
			proto_decode_delack(&f, &seq);
			break;
		case SW_MSG_POLICY:
			check_policy(&f);
			break;
		case SW_MSG_INVREQ:
			check_invreq(&f);
			break;
		case SW_MSG_INVENTORY:
			check_inventory(&f);
			break;
		case SW_MSG_DIGREQ:
			check_digreq(&f);
			break;
		case SW_MSG_DIGESTS:
			check_digests(&f);
			break;
		}
		off += (size_t)used;
	}
	free(copy);
	return 0;
}
