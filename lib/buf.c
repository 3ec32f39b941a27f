/* buf.c - capped growable byte buffers (see buf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shrinkwatch/buf.h"
#include "shrinkwatch/banned.h"

void buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

int buf_reserve(struct buf *b, size_t n)
{
	size_t want, grow;
	uint8_t *p;

	if (n > b->cap || b->len > b->cap - n)
		return -ENOBUFS;
	want = b->len + n;
	if (want <= b->alloc)
		return 0;
	grow = b->alloc ? b->alloc : 256;
	while (grow < want)
		grow = grow > b->cap / 2 ? b->cap : grow * 2;
	if (grow > b->cap)
		grow = b->cap;
	p = realloc(b->data, grow);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->alloc = grow;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int err;

	if (n == 0)
		return 0;
	err = buf_reserve(b, n);
	if (err)
		return err;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

int buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return buf_append(b, p, sizeof p);
}

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			 (uint8_t)v };
	return buf_append(b, p, sizeof p);
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	int err = buf_put_u32(b, (uint32_t)(v >> 32));
	return err ? err : buf_put_u32(b, (uint32_t)v);
}

int buf_put_str(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);
	int err;

	if (n > max || n > UINT16_MAX)
		return -EINVAL;
	err = buf_put_u16(b, (uint16_t)n);
	return err ? err : buf_append(b, s, n);
}
