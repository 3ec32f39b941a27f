/* manifest_codec.c - manifest records in bytes (manifest_codec.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_codec.h"
#include "shrinkwatch/crc32c.h"
#include "shrinkwatch/banned.h"

static size_t mc__varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static uint64_t mc__zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t mc__unzz(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int mcodec_encode(const char *relpath, size_t relen, const struct manifest_dirbuf *b,
		  uint8_t **out, size_t *outlen)
{
	/* worst case per file: 2 + 2 + 255 + 4 * 10 bytes */
	size_t cap = 8 + 2 + relen + 4 + b->n * (MAN_NAME_MAX + 4 + 40), o = 0;
	const char *prev = NULL;
	size_t prevlen = 0;
	uint8_t *p;

	*out = NULL;
	if (relen > UINT16_MAX || b->n > UINT32_MAX)
		return -EINVAL;
	p = malloc(cap);
	if (!p)
		return -ENOMEM;
	o = 8;
	p[o++] = (uint8_t)(relen >> 8);
	p[o++] = (uint8_t)relen;
	memcpy(p + o, relpath, relen);
	o += relen;
	p[o++] = (uint8_t)(b->n >> 24);
	p[o++] = (uint8_t)(b->n >> 16);
	p[o++] = (uint8_t)(b->n >> 8);
	p[o++] = (uint8_t)b->n;
	for (size_t i = 0; i < b->n; i++) {
		const struct manifest_entry *e = &b->e[i];
		const char *name = b->names + e->name_off;
		size_t shared = 0;

		if (e->namelen == 0 || e->namelen > MAN_NAME_MAX) {
			free(p);
			return -EINVAL;
		}
		while (prev && shared < prevlen && shared < e->namelen && prev[shared] == name[shared])
			shared++;
		o += mc__varint(p + o, shared);
		o += mc__varint(p + o, e->namelen - shared);
		memcpy(p + o, name + shared, e->namelen - shared);
		o += e->namelen - shared;
		o += mc__varint(p + o, e->size);
		o += mc__varint(p + o, mc__zz(e->birth));
		o += mc__varint(p + o, e->ino);
		/* wrapping difference: hostile times must not overflow */
		o += mc__varint(p + o, mc__zz((int64_t)((uint64_t)e->mtime - (uint64_t)e->birth)));
		prev = name;
		prevlen = e->namelen;
	}
	{
		uint32_t len = (uint32_t)(o - 8), crc = crc32c(0, p + 8, len);

		p[0] = (uint8_t)(len >> 24);
		p[1] = (uint8_t)(len >> 16);
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
		p[4] = (uint8_t)(crc >> 24);
		p[5] = (uint8_t)(crc >> 16);
		p[6] = (uint8_t)(crc >> 8);
		p[7] = (uint8_t)crc;
	}
	*out = p;
	*outlen = o;
	return 0;
}

int mcodec_reader_init(struct mcodec_reader *r, const uint8_t *payload, size_t len)
{
	size_t dlen;

	memset(r, 0, sizeof *r);
	if (len < 6)
		return -EBADMSG;
	dlen = (size_t)payload[0] << 8 | payload[1];
	if (2 + dlen + 4 > len)
		return -EBADMSG;
	r->dir = (const char *)payload + 2;
	r->dirlen = dlen;
	r->p = payload + 2 + dlen;
	r->count = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 |
		   r->p[3];
	r->p += 4;
	r->end = payload + len;
	return 0;
}

static int mc__get(struct mcodec_reader *r, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t c;

		if (r->p >= r->end)
			return -1;
		c = *r->p++;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

int mcodec_next(struct mcodec_reader *r, struct mcodec_file *f)
{
	uint64_t shared, suffix, size, birth, ino, dm;

	if (r->done == r->count)
		return r->p == r->end ? 0 : -1;
	if (mc__get(r, &shared) || mc__get(r, &suffix) || shared > r->namelen ||
	    suffix > MAN_NAME_MAX - shared || shared + suffix == 0 ||
	    (uint64_t)(r->end - r->p) < suffix)
		return -1;
	memcpy(r->name + shared, r->p, suffix);
	r->p += suffix;
	r->namelen = shared + suffix;
	r->name[r->namelen] = '\0';
	if (mc__get(r, &size) || mc__get(r, &birth) || mc__get(r, &ino) || mc__get(r, &dm))
		return -1;
	f->name = r->name;
	f->namelen = r->namelen;
	f->size = size;
	f->birth = mc__unzz(birth);
	f->ino = ino;
	f->mtime = (int64_t)((uint64_t)f->birth + (uint64_t)mc__unzz(dm));
	r->done++;
	return 1;
}

/* ---- directory buffers --------------------------------------------------- */

int manifest_dirbuf_add(struct manifest_dirbuf *b, const char *name, size_t namelen,
			uint64_t size, uint64_t ino, int64_t birth, int64_t mtime)
{
	struct manifest_entry *e;

	if (namelen == 0 || namelen > MAN_NAME_MAX)
		return -EINVAL;
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		struct manifest_entry *ne = realloc(b->e, ncap * sizeof *ne);

		if (!ne)
			return -ENOMEM;
		b->e = ne;
		b->cap = ncap;
	}
	if (b->nlen + namelen > b->ncap) {
		size_t ncap = b->ncap ? b->ncap * 2 : 4096;
		char *nn;

		while (ncap < b->nlen + namelen)
			ncap *= 2;
		nn = realloc(b->names, ncap);
		if (!nn)
			return -ENOMEM;
		b->names = nn;
		b->ncap = ncap;
	}
	memcpy(b->names + b->nlen, name, namelen);
	e = &b->e[b->n++];
	e->name_off = b->nlen;
	e->namelen = (uint16_t)namelen;
	e->size = size;
	e->ino = ino;
	e->birth = birth;
	e->mtime = mtime;
	b->nlen += namelen;
	return 0;
}

void manifest_dirbuf_reset(struct manifest_dirbuf *b)
{
	b->n = 0;
	b->nlen = 0;
	/* a huge directory's buffers are not kept for the small ones after it */
	if (b->cap > 65536 || b->ncap > (4u << 20))
		manifest_dirbuf_release(b);
}

void manifest_dirbuf_release(struct manifest_dirbuf *b)
{
	free(b->e);
	free(b->names);
	memset(b, 0, sizeof *b);
}
