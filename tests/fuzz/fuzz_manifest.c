/* fuzz_manifest.c - libFuzzer target for the manifest's record decoder
 * (agent/manifest_codec.h): whatever a manifest file holds (bit rot, a torn
 * write, an attacker's bytes), decoding a record never crashes and never
 * reads past it, and what it decodes encodes and decodes again to the same
 * files, field for field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/manifest_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* copy, so ASan sees any read past the end of the input */
	uint8_t *p = malloc(size ? size : 1);
	struct manifest_dirbuf b = { 0 };
	struct mcodec_reader r, again;
	struct mcodec_file f;
	uint8_t *rec = NULL;
	size_t len = 0, i = 0;

	if (!p)
		return 0;
	memcpy(p, data, size);
	if (mcodec_reader_init(&r, p, size) < 0)
		goto out;
	while (mcodec_next(&r, &f) > 0)
		if (f.namelen == 0 || f.namelen > MAN_NAME_MAX ||
		    manifest_dirbuf_add(&b, f.name, f.namelen, f.size, f.ino, f.birth, f.mtime) < 0)
			abort();
	if (mcodec_encode(r.dir, r.dirlen, &b, &rec, &len) < 0 || len < 8 ||
	    mcodec_reader_init(&again, rec + 8, len - 8) < 0)
		abort(); /* what we read, we must be able to write */
	while (mcodec_next(&again, &f) > 0) {
		const struct manifest_entry *e = &b.e[i++];

		if (i > b.n || f.namelen != e->namelen ||
		    memcmp(f.name, b.names + e->name_off, f.namelen) || f.size != e->size ||
		    f.ino != e->ino || f.birth != e->birth || f.mtime != e->mtime)
			abort();
	}
	if (i != b.n || again.p != again.end)
		abort();
out:
	free(rec);
	manifest_dirbuf_release(&b);
	free(p);
	return 0;
}
