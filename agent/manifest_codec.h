/*
 * manifest_codec.h - one manifest record in bytes (internal to manifest.c,
 * separate so the format can be tested and fuzzed on its own).
 *
 * A record is "u32 length, u32 crc32c(payload)" and a payload: u16 length
 * and bytes of the directory's path relative to the store, u32 file count,
 * then the files sorted by name (bytewise), each as
 *   varint shared, varint suffix length, suffix bytes  (front-coded name)
 *   varint size, varint zigzag(birth), varint inode, varint zigzag(mtime - birth)
 * A count of 0 is a tombstone: the directory has no files any more.
 */
#ifndef SHRINKWATCH_AGENT_MANIFEST_CODEC_H
#define SHRINKWATCH_AGENT_MANIFEST_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Longest file name (Linux NAME_MAX). */
#define MAN_NAME_MAX 255

/* One file of a directory, as the walker saw it.  name is an offset into
 * the directory buffer's name arena. */
struct manifest_entry {
	size_t name_off;
	uint16_t namelen;
	uint64_t size, ino;
	int64_t birth, mtime; /* unix seconds */
};

/* The files of one directory, filled by one walker thread.  Reuse it from
 * directory to directory: manifest_dirbuf_reset() keeps the memory. */
struct manifest_dirbuf {
	struct manifest_entry *e;
	size_t n, cap;
	char *names;
	size_t nlen, ncap;
};

/* Appends one file (name of namelen bytes, at most 255).  0 or -ENOMEM. */
int manifest_dirbuf_add(struct manifest_dirbuf *b, const char *name, size_t namelen,
			uint64_t size, uint64_t ino, int64_t birth, int64_t mtime);
void manifest_dirbuf_reset(struct manifest_dirbuf *b);
/* Frees the buffer's memory (the struct itself is the caller's). */
void manifest_dirbuf_release(struct manifest_dirbuf *b);


/* Encodes the directory relpath with b's entries (already sorted) into a
 * whole record (head included) in *out, *outlen bytes; caller frees *out.
 * 0, -ENOMEM, or -EINVAL for a name longer than MAN_NAME_MAX. */
int mcodec_encode(const char *relpath, size_t relen, const struct manifest_dirbuf *b,
		  uint8_t **out, size_t *outlen);

struct mcodec_reader {
	const uint8_t *p, *end;
	const char *dir;
	size_t dirlen;
	uint32_t count, done;
	char name[MAN_NAME_MAX + 1];
	size_t namelen;
};

/* One decoded file; name points into the reader (valid until the next call). */
struct mcodec_file {
	const char *name;
	size_t namelen;
	uint64_t size, ino;
	int64_t birth, mtime;
};

/* Prepares to read a payload of len bytes.  0 or -EBADMSG. */
int mcodec_reader_init(struct mcodec_reader *r, const uint8_t *payload, size_t len);
/* 1 and *f: the next file; 0 at the end (every byte used); -1 malformed. */
int mcodec_next(struct mcodec_reader *r, struct mcodec_file *f);

#endif
