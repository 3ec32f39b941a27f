/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Every buffer that holds bytes from the network or a file has a cap, so a
 * hostile peer cannot make us allocate without bound (the OpenBSD imsg
 * rule).  Meanings follow git's strbuf: buf_init() makes an empty buffer that
 * owns nothing yet, buf_release() frees the storage and leaves the buffer
 * empty and reusable.
 */
#ifndef SHRINKWATCH_BUF_H
#define SHRINKWATCH_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t alloc;
	size_t cap; /* the buffer never grows past this many bytes */
};

/* Makes an empty buffer that may grow up to cap bytes. */
void buf_init(struct buf *b, size_t cap);
/* Frees the storage; the buffer is empty and may be used again. */
void buf_release(struct buf *b);
/* Makes room for n more bytes.  Returns 0, or -ENOBUFS past the cap, -ENOMEM. */
int buf_reserve(struct buf *b, size_t n);
/* Appends n bytes.  Returns 0 or a negative errno as buf_reserve(). */
int buf_append(struct buf *b, const void *p, size_t n);
/* Removes the first n bytes (n <= len), keeping the rest. */
void buf_consume(struct buf *b, size_t n);

/* Big-endian appenders used by the protocol encoder. */
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
/* A string as a u16 length and its bytes; -EINVAL if longer than max. */
int buf_put_str(struct buf *b, const char *s, size_t max);

#endif
