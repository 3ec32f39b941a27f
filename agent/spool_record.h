/*
 * spool_record.h - the on-disk record format of the agent's spool.
 *
 * One record per sample:
 *
 *   u32 magic "SWR1" | u32 frame length | u32 CRC-32C of the frame | frame
 *
 * big-endian, where the frame is a protocol SAMPLES frame holding exactly this
 * one sample (proto.h), so the spool reuses the fuzzed wire decoder instead of
 * a second serialisation.  The magic lets a reader find the next record after
 * a corrupt one; the checksum tells a torn or bit-rotted record from a good
 * one.  Parsing works on memory only, so it is fuzzed
 * (tests/fuzz/fuzz_spool.c).
 */
#ifndef SHRINKWATCH_AGENT_SPOOL_RECORD_H
#define SHRINKWATCH_AGENT_SPOOL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "shrinkwatch/buf.h"
#include "shrinkwatch/sample.h"

#define SPOOL_RECORD_MAGIC 0x53575231u /* "SWR1" */
#define SPOOL_RECORD_HEADER 12
/* A record is one sample: far below a frame's limit. */
#define SPOOL_RECORD_MAX (SPOOL_RECORD_HEADER + 8 + 4096)

/* Appends s as one record to out.  0 or a negative errno. */
int spool_record_encode(struct buf *out, const struct sw_sample *s);

/* The same record around any one frame (the deletion journal,
 * deljournal.h, keeps DELETIONS frames in it): spool_record_begin() reserves
 * the header at *start, the caller appends one frame, spool_record_seal()
 * fills in the header.  0 or a negative errno. */
int spool_record_begin(struct buf *out, size_t *start);
void spool_record_seal(struct buf *out, size_t start);

/* Like spool_record_parse() for a record of any frame type: the bytes the
 * record occupies with *f pointing into p, 0 if cut short, -EBADMSG. */
struct sw_frame;
long spool_record_frame(const uint8_t *p, size_t n, struct sw_frame *f);

/*
 * Looks at the record starting at p (n bytes available).  Returns the bytes
 * it occupies with *s filled; 0 if the record is cut short (more bytes are
 * needed, or the tail of a torn write); -EBADMSG if it is not a valid record
 * (bad magic, length, checksum or content).  After -EBADMSG, the caller
 * resumes at spool_record_resync().
 */
long spool_record_parse(const uint8_t *p, size_t n, struct sw_sample *s);

/* Offset of the next possible record start after a bad one at p[0]: the
 * next magic at or after offset 1, or n if there is none. */
size_t spool_record_resync(const uint8_t *p, size_t n);

#endif
