/* spool_record.c - encoding and checking spool records (see spool_record.h). */
#include <errno.h>
#include <string.h>

#include "shrinkwatch/crc32c.h"
#include "shrinkwatch/proto.h"
#include "spool_record.h"
#include "shrinkwatch/banned.h"

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void set_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int spool_record_begin(struct buf *out, size_t *start)
{
	int err = buf_reserve(out, SPOOL_RECORD_HEADER);

	if (err)
		return err;
	*start = out->len;
	out->len += SPOOL_RECORD_HEADER;
	return 0;
}

void spool_record_seal(struct buf *out, size_t start)
{
	size_t frame = out->len - start - SPOOL_RECORD_HEADER;

	set_u32(out->data + start, SPOOL_RECORD_MAGIC);
	set_u32(out->data + start + 4, (uint32_t)frame);
	set_u32(out->data + start + 8,
		crc32c(0, out->data + start + SPOOL_RECORD_HEADER, frame));
}

int spool_record_encode(struct buf *out, const struct sw_sample *s)
{
	size_t start;
	int err = spool_record_begin(out, &start);

	if (err)
		return err;
	err = proto_encode_samples_version(out, s, 1, SW_PROTO_VERSION_EXACT);
	if (err) {
		out->len = start;
		return err;
	}
	spool_record_seal(out, start);
	return 0;
}

long spool_record_frame(const uint8_t *p, size_t n, struct sw_frame *f)
{
	uint32_t len;
	long used;

	if (n < 4)
		return memcmp(p, "SWR1", n) ? -EBADMSG : 0;
	if (get_u32(p) != SPOOL_RECORD_MAGIC)
		return -EBADMSG;
	if (n < SPOOL_RECORD_HEADER)
		return 0;
	len = get_u32(p + 4);
	if (len < SW_FRAME_HEADER || len > SPOOL_RECORD_MAX - SPOOL_RECORD_HEADER)
		return -EBADMSG;
	if (n - SPOOL_RECORD_HEADER < len)
		return 0;
	if (crc32c(0, p + SPOOL_RECORD_HEADER, len) != get_u32(p + 8))
		return -EBADMSG;
	used = proto_frame_parse(p + SPOOL_RECORD_HEADER, len, f);
	if (used != (long)len)
		return -EBADMSG;
	return (long)(SPOOL_RECORD_HEADER + len);
}

long spool_record_parse(const uint8_t *p, size_t n, struct sw_sample *s)
{
	struct sw_frame f;
	size_t count;
	long used = spool_record_frame(p, n, &f);

	if (used <= 0)
		return used;
	if (f.type != SW_MSG_SAMPLES || proto_decode_samples(&f, s, 1, &count) || count != 1)
		return -EBADMSG;
	return used;
}

size_t spool_record_resync(const uint8_t *p, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (p[i] == 'S' && (n - i < 4 || !memcmp(p + i, "SWR1", 4)))
			return i;
	return n;
}
