/* fuzz_spool.c - libFuzzer target for the spool's record reader: whatever a
 * segment file holds (bit rot, a torn write, an attacker's bytes), walking it
 * as the spool does never crashes, never reads past the input, always makes
 * progress, and a record it accepts re-encodes to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/spool_record.h"
#include "shrinkwatch/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* copy, so ASan sees any read past the end of the input */
	uint8_t *p = malloc(size ? size : 1);
	size_t off = 0;

	if (!p)
		return 0;
	memcpy(p, data, size);
	while (off < size) {
		struct sw_sample s;
		long used = spool_record_parse(p + off, size - off, &s);

		if (used == 0)
			break;
		if (used < 0) {
			size_t skip = spool_record_resync(p + off, size - off);
			if (skip == 0 || skip > size - off)
				abort(); /* the reader must move forward, within the input */
			off += skip;
			continue;
		}
		{
			struct buf again;

			struct sw_sample back;
			uint8_t version = p[off + SPOOL_RECORD_HEADER + 2];

			buf_init(&again, SPOOL_RECORD_MAX);
			if (spool_record_encode(&again, &s))
				abort(); /* what we accept, we must be able to write back */
			/* a record in today's encoding comes back byte for byte; an older
			 * spool's (version 1) is written back as version 3, which must
			 * read back as the same sample */
			if (version == SW_PROTO_VERSION_EXACT) {
				if (again.len != (size_t)used || memcmp(again.data, p + off, again.len))
					abort();
			} else if (spool_record_parse(again.data, again.len, &back) !=
					   (long)again.len ||
				   back.seq != s.seq || back.objects != s.objects ||
				   back.bytes != s.bytes || back.time != s.time) {
				abort();
			}
			buf_release(&again);
		}
		off += (size_t)used;
	}
	free(p);
	return 0;
}
