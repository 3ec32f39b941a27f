/* fuzz_objstore_xml.c - libFuzzer target for the object store listing parser
 * (agent/objstore_xml.c): whatever a server answers, no crash, no read past
 * the input, and the answer does not depend on how the body was split into
 * chunks.  The first byte chooses the chunk size; every record delivered has
 * a key within the cap and a known kind, and a page that failed delivered
 * none. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/objstore_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
	uint64_t n, keybytes, sizes;
};

static int count(void *ctx, const struct objstore_record *r)
{
	struct tally *t = ctx;

	if (r->key_len > OBJSTORE_TEXT_MAX || r->kind > OBJSTORE_DELETE_MARKER || !r->etag)
		abort();
	for (size_t i = 0; i < r->key_len; i++)
		t->keybytes += (unsigned char)r->key[i];
	t->sizes += r->size;
	t->n++;
	return 0;
}

static int run(const uint8_t *data, size_t size, size_t chunk, struct tally *t,
	       struct objstore_page *page)
{
	struct objstore_xml *x = objstore_xml_new(count, t);
	char err[300];
	int rc;

	if (!x)
		return -ENOMEM;
	memset(t, 0, sizeof *t);
	for (size_t off = 0; off < size;) {
		size_t n = size - off > chunk ? chunk : size - off;

		objstore_xml_feed(x, (const char *)data + off, n);
		off += n;
	}
	rc = objstore_xml_finish(x, page, err, sizeof err);
	objstore_xml_free(x);
	if (rc == -EBADMSG && (t->n || !err[0]))
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally a, b;
	static struct objstore_page pa, pb;
	size_t chunk;
	int ra, rb;

	if (size < 1)
		return 0;
	chunk = 1 + data[0] % 61;
	ra = run(data + 1, size - 1, size, &a, &pa);
	rb = run(data + 1, size - 1, chunk, &b, &pb);
	if (ra == -ENOMEM || rb == -ENOMEM)
		return 0;
	/* libxml2 may report an error at a different place for a split body,
	 * but a page it accepts whole it accepts in pieces, with the same records */
	if (ra == 0 && rb == 0 && (a.n != b.n || a.keybytes != b.keybytes || a.sizes != b.sizes ||
				   pa.truncated != pb.truncated || strcmp(pa.next, pb.next)))
		abort();
	return 0;
}
